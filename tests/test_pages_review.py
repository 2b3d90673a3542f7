"""The county's review queue and review page: the county admin of 堆龙德庆区 approves, returns (with comments on
single values) and reopens the reports of the team in 南嘎居委会; the outsider (county admin of 比如县) reviews only
比如县; the team and the auditor may not review at all.
"""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from reports.choices import ReportStatus
from reports.models import MonthlyReport, ReportEvent, ReportValue, ReviewComment
from reports.workflow import report_approve, report_open, report_save, report_submit
from tests.factories import IndicatorFactory, MonthlyReportFactory, UserRoleFactory, make_team
from zhucun.choices import Role

FEBRUARY = datetime.date(2026, 2, 1)
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _early_march(time_machine):
    """3 March 2026: February's reports are due on the 5th."""
    time_machine.move_to(datetime.datetime(2026, 3, 3, 10, 0, tzinfo=datetime.UTC), tick=False)


@pytest.fixture
def nanga_member(nanga_team):
    return UserRoleFactory(role=Role.TEAM_MEMBER, team=nanga_team, user__username="nanga-member").user


def submit(team, leader, month=FEBRUARY, **values) -> MonthlyReport:
    report = report_open(actor=leader, team=team, month=month)
    report_save(actor=leader, report=report, values=values or {"P02": "3"}, narrative={"summary": "本月宣讲三场。"})
    return report_submit(actor=leader, report=report)


@pytest.fixture
def submitted(nanga_team, nanga_leader):
    return submit(nanga_team, nanga_leader, P01="150", P02="3")


def leader_of(team):
    return UserRoleFactory(role=Role.TEAM_LEADER, team=team).user


def queue(client, user, **params):
    client.force_login(user)
    return client.get(reverse("reports:review_queue"), params)


def review_url(report) -> str:
    return reverse("reports:review", args=[report.pk])


def html(response) -> str:
    return response.content.decode()


# -- the queue -----------------------------------------------------------------------------------------------


def test_it_queues_only_the_countys_submitted_reports(client, county_admin, submitted, batch, naipu):
    draft = MonthlyReportFactory(team=make_team(within="540103", batch=batch), month=FEBRUARY)
    approved = MonthlyReportFactory(team=make_team(within="540103", batch=batch), month=FEBRUARY, approved=True)
    elsewhere = MonthlyReportFactory(team=make_team(village=naipu, batch=batch), month=FEBRUARY, submitted=True)

    page = html(queue(client, county_admin))

    assert review_url(submitted) in page
    for report in (draft, approved, elsewhere):
        assert review_url(report) not in page
    assert f'name="report" value="{submitted.pk}"' in page and "批量审核通过" in page

    every = html(queue(client, county_admin, status="all"))
    assert review_url(draft) in every and review_url(approved) in every and review_url(elsewhere) not in every
    assert review_url(approved) in html(queue(client, county_admin, status="approved"))


def test_it_filters_the_queue_by_township_and_lateness(client, county_admin, nanga_team, submitted, batch):
    other_township = make_team(within="540103002", batch=batch)  # not 东嘎街道 (540103001)
    late = submit(other_township, leader_of(other_township))
    MonthlyReport.objects.filter(pk=late.pk).update(due_date=datetime.date(2026, 3, 1))

    township = html(queue(client, county_admin, area=nanga_team.village_id[:9]))
    assert review_url(submitted) in township and review_url(late) not in township

    page = html(queue(client, county_admin, late="true"))
    assert review_url(late) in page and review_url(submitted) not in page
    assert "<mark>迟报</mark>" in page


def test_it_counts_the_warnings_of_each_report(client, county_admin, nanga_team, nanga_leader, batch):
    month = datetime.date(2025, 11, 1)
    indicator = IndicatorFactory(code="P01")
    for value in (10, 12, 8):
        history = MonthlyReportFactory(team=nanga_team, month=month, approved=True)
        ReportValue.objects.create(report=history, indicator=indicator, value=value)
        month = (month + datetime.timedelta(days=32)).replace(day=1)
    report = report_open(actor=nanga_leader, team=nanga_team, month=FEBRUARY)
    report_save(
        actor=nanga_leader,
        report=report,
        values={"P01": "150"},
        notes={"P01": "集中宣传月"},
        narrative={"summary": "小结"},
    )
    report_submit(actor=nanga_leader, report=report)

    page = html(queue(client, county_admin))

    assert '<span class="badge badge-warning">1</span>' in page


def test_it_keeps_the_queue_from_teams_and_auditors(client, nanga_leader, nanga_member, auditor):
    for user in (nanga_leader, nanga_member, auditor):
        assert queue(client, user).status_code == 403


def test_it_shows_the_outsider_only_its_own_county(client, outsider, submitted):
    response = queue(client, outsider)

    assert response.status_code == 200 and review_url(submitted) not in html(response)


def test_it_runs_the_same_queries_for_three_and_ten_reports_in_the_queue(client, county_admin, batch):
    def add(count):
        for _ in range(count):
            team = make_team(within="540103", batch=batch)
            submit(team, leader_of(team), P01="3", P02="2")

    add(3)
    client.force_login(county_admin)
    with CaptureQueriesContext(connection) as three:
        assert client.get(reverse("reports:review_queue")).status_code == 200
    add(7)
    with CaptureQueriesContext(connection) as ten:
        page = html(client.get(reverse("reports:review_queue")))

    assert page.count('name="report" value=') == 10
    print(f"\nreview queue queries: 3 reports {len(three)}, 10 reports {len(ten)}")
    assert len(ten) == len(three)
    assert len(ten) <= 25


# -- approving many ------------------------------------------------------------------------------------------


def test_it_approves_the_ticked_reports_and_names_those_taken_already(
    client, county_admin, region_admin, submitted, batch
):
    team = make_team(within="540103", batch=batch)
    second = submit(team, leader_of(team))
    third_team = make_team(within="540103", batch=batch)
    taken = submit(third_team, leader_of(third_team))
    report_approve(actor=region_admin, report=taken)  # another reviewer was quicker
    client.force_login(county_admin)

    response = client.post(
        reverse("reports:approve_many"),
        {"report": [submitted.pk, second.pk, taken.pk], "next": reverse("reports:review_queue")},
        follow=True,
    )

    page = html(response)
    assert "已审核通过 2 份月报。" in page
    assert f"{third_team.name}2026年2月月报未审核：已被他人处理（当前状态：已审核）。" in page
    for report in (submitted, second):
        report.refresh_from_db()
        assert report.status == ReportStatus.APPROVED and report.reviewed_by == county_admin
    taken.refresh_from_db()
    assert taken.reviewed_by == region_admin


def test_it_approves_nothing_outside_the_county_or_for_the_team(client, outsider, nanga_leader, submitted):
    client.force_login(outsider)
    client.post(reverse("reports:approve_many"), {"report": [submitted.pk]})
    client.force_login(nanga_leader)
    assert client.post(reverse("reports:approve_many"), {"report": [submitted.pk]}).status_code == 403

    assert MonthlyReport.objects.get(pk=submitted.pk).status == ReportStatus.SUBMITTED


# -- the review page -----------------------------------------------------------------------------------------


def test_it_shows_each_value_against_the_teams_history_with_warnings_highlighted(
    client, county_admin, nanga_team, nanga_leader
):
    month = datetime.date(2025, 11, 1)
    indicator = IndicatorFactory(code="P01")
    for value in (10, 12, 8):
        history = MonthlyReportFactory(team=nanga_team, month=month, approved=True)
        ReportValue.objects.create(report=history, indicator=indicator, value=value)
        month = (month + datetime.timedelta(days=32)).replace(day=1)
    report = report_open(actor=nanga_leader, team=nanga_team, month=FEBRUARY)
    report_save(
        actor=nanga_leader,
        report=report,
        values={"P01": "150"},
        notes={"P01": "集中宣传月"},
        narrative={"summary": "小结"},
    )
    report_submit(actor=nanga_leader, report=report)
    client.force_login(county_admin)

    page = html(client.get(review_url(report)))

    row = page.split('id="row-P01"')[1].split("</tr>")[0]
    assert 'class="has-warning"' in page.split('id="row-P01"')[0][-40:] + page.split('id="row-P01"')[1][:40]
    assert ">150<" in row and ">8<" in row and ">10<" in row
    assert "超过本队以往月份中位数（10）的10倍" in row and "集中宣传月" in row
    assert "1 项数值有提示" in page
    assert "审核通过" in page and "退回修改" in page


def test_it_lets_only_the_countys_admins_open_the_review(
    client, submitted, nanga_leader, nanga_member, auditor, outsider, region_admin, county_admin
):
    for user, status in (
        (county_admin, 200),
        (region_admin, 200),
        (nanga_leader, 403),
        (nanga_member, 403),
        (auditor, 403),
        (outsider, 404),
    ):
        client.force_login(user)
        assert client.get(review_url(submitted)).status_code == status, user
        if status != 200:
            response = client.post(review_url(submitted), {"decision": "approve", "version": submitted.version})
            assert response.status_code == status, user
            assert MonthlyReport.objects.get(pk=submitted.pk).status == ReportStatus.SUBMITTED


def test_it_approves_one_report(client, county_admin, submitted):
    client.force_login(county_admin)

    response = client.post(review_url(submitted), {"decision": "approve", "version": submitted.version, "comment": ""})

    assert response.status_code == 302 and response["Location"] == reverse("reports:review_queue")
    submitted.refresh_from_db()
    assert submitted.status == ReportStatus.APPROVED and submitted.reviewed_by == county_admin


def test_it_returns_with_a_comment_on_one_value_that_the_leader_then_sees(
    client, county_admin, nanga_leader, submitted
):
    client.force_login(county_admin)

    response = client.post(
        review_url(submitted),
        {"decision": "return", "version": submitted.version, "comment": "", "comment-P02": "与工作日志不符，请核对。"},
    )

    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == ReportStatus.RETURNED
    comment = ReviewComment.objects.get(event__report=submitted)
    assert (comment.indicator.code, comment.comment) == ("P02", "与工作日志不符，请核对。")
    client.force_login(nanga_leader)
    page = html(client.get(reverse("reports:report", args=[submitted.pk])))
    row = page.split('id="row-P02"')[1].split('id="row-')[0]
    assert "与工作日志不符，请核对。" in row and 'name="value-P02" value="3"' in page


def test_it_needs_a_reason_to_return_and_keeps_what_the_reviewer_typed(client, county_admin, submitted):
    client.force_login(county_admin)

    response = client.post(
        review_url(submitted), {"decision": "return", "version": submitted.version, "comment": "  ", "comment-P01": ""}
    )

    assert response.status_code == 400
    page = html(response)
    assert 'id="id_comment_error">退回时请填写退回理由。' in page
    assert MonthlyReport.objects.get(pk=submitted.pk).status == ReportStatus.SUBMITTED


def test_it_reopens_an_approved_report_only_with_a_reason(client, county_admin, submitted, nanga_leader):
    approved = report_approve(actor=county_admin, report=submitted)
    client.force_login(county_admin)
    page = html(client.get(review_url(approved)))
    assert "重新打开" in page and "已审核·已锁定" in page

    response = client.post(review_url(approved), {"decision": "reopen", "version": approved.version, "reason": ""})
    assert response.status_code == 400
    assert 'id="id_reason_error">重新打开已审核的月报必须填写理由。' in html(response)
    assert MonthlyReport.objects.get(pk=approved.pk).status == ReportStatus.APPROVED

    response = client.post(
        review_url(approved), {"decision": "reopen", "version": approved.version, "reason": "户数填报有误。"}
    )
    assert response.status_code == 302
    approved.refresh_from_db()
    assert approved.status == ReportStatus.RETURNED and approved.review_comment == "户数填报有误。"
    event = ReportEvent.objects.filter(report=approved).latest("pk")
    assert (event.kind, event.actor, event.comment) == ("reopened", county_admin, "户数填报有误。")
    client.force_login(nanga_leader)
    leader_page = html(client.get(reverse("reports:report", args=[approved.pk])))
    assert "县（区）已重新打开本月报" in leader_page and "理由：户数填报有误。" in leader_page


def test_it_tells_the_second_reviewer_that_the_first_won(client, county_admin, region_admin, submitted):
    stale_version = submitted.version
    report_approve(actor=region_admin, report=submitted)
    client.force_login(county_admin)

    response = client.post(
        review_url(submitted),
        {"decision": "return", "version": stale_version, "comment": "请补充。", "comment-P02": "请核对"},
    )

    assert response.status_code == 409
    page = html(response)
    assert "该月报已被他人更新（当前状态：已审核" in page
    submitted.refresh_from_db()
    assert submitted.status == ReportStatus.APPROVED and submitted.reviewed_by == region_admin
    assert not ReviewComment.objects.exists()


def test_it_refuses_a_stale_approval_after_the_leader_was_sent_back(client, county_admin, submitted, nanga_leader):
    client.force_login(county_admin)
    page_version = submitted.version
    MonthlyReport.objects.filter(pk=submitted.pk).update(version=page_version + 1)  # someone acted meanwhile

    response = client.post(review_url(submitted), {"decision": "approve", "version": page_version})

    assert response.status_code == 409 and "请刷新后重试" in html(response)
    assert MonthlyReport.objects.get(pk=submitted.pk).status == ReportStatus.SUBMITTED


def test_it_keeps_values_and_history_on_the_review_page(client, county_admin, submitted):
    client.force_login(county_admin)

    page = html(client.get(review_url(submitted)))

    assert "流转与修改记录" in page and "提交" in page
    assert submitted.values.get(indicator__code="P02").value == Decimal(3)
    assert timezone.localdate(submitted.submitted_at) == datetime.date(2026, 3, 3)
