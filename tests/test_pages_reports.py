"""The monthly report page, the report list, the overdue list and the notification inbox.

The leader of the team in 南嘎居委会 fills in February's report on 3 March 2026 (due on the 5th); the county admin
of 堆龙德庆区 reads it and links on to its review; a team member and the region's auditor read it; the outsider
(county admin of 比如县) does not find it.
"""

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from reports.choices import ReportStatus
from reports.models import Indicator, MonthlyReport, Notification, ReportEvent, ReportValue
from reports.workflow import report_approve, report_open, report_return, report_save, report_submit
from tests.factories import (
    ActivityFactory,
    ActivityTypeFactory,
    IndicatorFactory,
    MonthlyReportFactory,
    UserRoleFactory,
    make_team,
)
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


@pytest.fixture
def talks(nanga_team):
    """Two 宣讲会 in February: they pre-fill P02 (count, 2) and P06 (participants, 65)."""
    talk = ActivityTypeFactory(name="宣讲会")
    ActivityFactory(team=nanga_team, date=datetime.date(2026, 2, 10), activity_type=talk, participants=40)
    ActivityFactory(team=nanga_team, date=datetime.date(2026, 2, 20), activity_type=talk, participants=25)


@pytest.fixture
def draft(nanga_team, nanga_leader):
    return report_open(actor=nanga_leader, team=nanga_team, month=FEBRUARY)


def page_url(report) -> str:
    return reverse("reports:report", args=[report.pk])


def month_url(team, month="2026-02") -> str:
    return reverse("reports:report_month", args=[team.pk, month])


def html(response) -> str:
    return response.content.decode()


def row_html(page: str, code: str) -> str:
    """The part of the page about one indicator (its row)."""
    match = re.search(rf'id="row-{code}".*?(?=id="row-|<section class="report-group narrative"|</table>)', page, re.S)
    assert match, f"no row {code}"
    return match.group(0)


def input_value(page: str, code: str) -> str:
    match = re.search(rf'name="value-{code}" value="([^"]*)"', page)
    assert match, f"no input for {code}"
    return match.group(1)


def approved_history(team, **series: list[int]) -> None:
    """Approved reports for November, December and January with these values by indicator code."""
    month = datetime.date(2025, 11, 1)
    for index in range(3):
        report = MonthlyReportFactory(team=team, month=month, approved=True)
        for code, values in series.items():
            ReportValue.objects.create(report=report, indicator=IndicatorFactory(code=code), value=values[index])
        month = (month + datetime.timedelta(days=32)).replace(day=1)


def post_form(client, report, *, action="save", version=None, summary=None, values=None, notes=None):
    report.refresh_from_db()
    data = {"version": report.version if version is None else version, "action": action}
    data.update({f"value-{code}": value for code, value in (values or {}).items()})
    data.update({f"note-{code}": note for code, note in (notes or {}).items()})
    if summary is not None:
        data["summary"] = summary
    return client.post(page_url(report), data)


# -- opening the month's report ------------------------------------------------------------------------------


def test_it_opens_the_months_draft_for_the_leader_and_shows_every_indicator_by_duty(
    client, nanga_leader, nanga_team, talks
):
    client.force_login(nanga_leader)

    response = client.get(month_url(nanga_team))

    report = MonthlyReport.objects.get(team=nanga_team, month=FEBRUARY)
    assert response.status_code == 302 and response["Location"] == page_url(report)
    page = html(client.get(page_url(report)))
    assert page.count('class="report-row') == Indicator.objects.filter(active_until_batch__isnull=True).count()
    for title in ("政策讲解员 · 宣传教育", "党建指导员 · 基层党建", "脱贫先锋队 · 精准扶贫"):
        assert title in page
    assert 'inputmode="numeric"' in page and 'inputmode="decimal"' in page
    assert "本月工作小结" in page and "存在问题" in page and "下月计划" in page
    assert "保存草稿" in page and "提交" in page
    # Opening again finds the same report.
    assert client.get(month_url(nanga_team))["Location"] == page_url(report)


def test_it_prefills_the_figures_of_the_activity_log_and_marks_them(client, nanga_leader, nanga_team, talks):
    client.force_login(nanga_leader)

    page = html(client.get(month_url(nanga_team), follow=True))

    assert input_value(page, "P02") == "2"
    assert input_value(page, "P06") == "65"
    assert "来自工作日志" in row_html(page, "P02") and "来自工作日志" in row_html(page, "P06")
    assert input_value(page, "P01") == "" and "来自工作日志" not in row_html(page, "P01")


def test_it_prefills_a_draft_the_monthly_job_opened_before_the_activities_were_logged(
    client, nanga_leader, nanga_team, draft, talks
):
    assert not draft.values.exists()  # opened on the 1st of the month, before the talks were logged
    client.force_login(nanga_leader)

    page = html(client.get(page_url(draft)))
    assert input_value(page, "P02") == "2" and "来自工作日志" in row_html(page, "P02")

    post_form(client, draft, values={"P02": "2", "P06": "60"}, summary="小结")
    page = html(client.get(page_url(draft)))
    assert draft.values.get(indicator__code="P06").value == Decimal(60)
    # The leader corrected the participants: the page says what the log counted.
    assert "工作日志合计 65" in row_html(page, "P06")


def test_it_shows_last_months_value_and_the_teams_average(client, nanga_leader, nanga_team, draft):
    approved_history(nanga_team, P01=[10, 12, 8])
    client.force_login(nanga_leader)

    row = row_html(html(client.get(page_url(draft))), "P01")

    assert "上月 8" in row and "平均 10" in row


def test_it_refuses_to_open_a_month_to_come_and_a_report_for_someone_who_cannot_fill_it(
    client, nanga_leader, county_admin, outsider, nanga_team
):
    client.force_login(nanga_leader)
    assert client.get(month_url(nanga_team, "2026-04")).status_code == 404
    assert client.get(month_url(nanga_team, "2026-13")).status_code == 404
    client.force_login(county_admin)
    assert client.get(month_url(nanga_team)).status_code == 403
    client.force_login(outsider)
    assert client.get(month_url(nanga_team)).status_code == 404
    assert not MonthlyReport.objects.exists()


# -- saving and submitting -----------------------------------------------------------------------------------


def test_it_keeps_all_input_and_shows_the_error_next_to_a_bad_value(client, nanga_leader, draft):
    client.force_login(nanga_leader)

    response = post_form(client, draft, values={"P01": "12", "P02": "三场", "E04": "1500.5"}, summary="宣讲三场。")

    assert response.status_code == 302
    page = html(client.get(response["Location"]))
    assert input_value(page, "P02") == "三场"
    assert "请输入数字。" in row_html(page, "P02")
    assert 'aria-invalid="true"' in row_html(page, "P02")
    assert input_value(page, "P01") == "12" and input_value(page, "E04") == "1500.50"
    assert "宣讲三场。" in page
    draft.refresh_from_db()
    assert draft.draft_input == {"P02": "三场"} and draft.summary == "宣讲三场。"
    assert draft.values.get(indicator__code="P01").value == Decimal(12)


def test_it_does_not_submit_a_bad_value_and_keeps_everything_typed_on_the_page(client, nanga_leader, draft):
    client.force_login(nanga_leader)

    response = post_form(client, draft, action="submit", values={"P01": "12", "P02": "2.5"}, summary="本月召开宣讲会。")

    assert response.status_code == 200
    page = html(response)
    assert "未能提交" in page
    assert input_value(page, "P01") == "12" and input_value(page, "P02") == "2.5"
    assert "“组织召开宣讲大会”须为整数。" in row_html(page, "P02")
    assert "本月召开宣讲会。" in page
    assert 'data-saved="true"' in page  # the server has the input: the browser's copy may go
    draft.refresh_from_db()
    assert draft.status == ReportStatus.DRAFT and draft.draft_input == {"P02": "2.5"}


def test_it_asks_for_a_summary_next_to_its_field(client, nanga_leader, draft):
    client.force_login(nanga_leader)

    page = html(post_form(client, draft, action="submit", values={"P01": "3"}, summary=""))

    assert re.search(r'id="id_summary_error">请填写本月工作小结。', page)
    assert MonthlyReport.objects.get(pk=draft.pk).status == ReportStatus.DRAFT


def test_it_needs_a_note_for_a_warning_before_submitting(client, nanga_leader, nanga_team, draft):
    approved_history(nanga_team, P01=[10, 12, 8])
    client.force_login(nanga_leader)

    page = html(post_form(client, draft, action="submit", values={"P01": "150"}, summary="集中宣传月。"))

    row = row_html(page, "P01")
    assert "超过本队以往月份中位数（10）的10倍，请填写说明。" in row
    assert "该数值需要填写说明后才能提交。" in row
    assert 'name="note-P01"' in row and "hidden" not in row.split('class="row-note"')[1].split(">")[0]
    assert MonthlyReport.objects.get(pk=draft.pk).status == ReportStatus.DRAFT

    response = post_form(
        client, draft, action="submit", values={"P01": "150"}, notes={"P01": "本月开展集中入户宣传月。"}
    )

    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == ReportStatus.SUBMITTED and draft.submitted_by == nanga_leader
    assert draft.values.get(indicator__code="P01").note == "本月开展集中入户宣传月。"


def test_it_submits_and_then_shows_the_report_read_only(client, nanga_leader, draft, talks):
    client.force_login(nanga_leader)
    page = html(client.get(page_url(draft)))
    assert input_value(page, "P02") == "2"

    response = post_form(client, draft, action="submit", values={"P02": "2", "P06": "65"}, summary="宣讲两场。")

    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == ReportStatus.SUBMITTED
    assert dict(draft.values.values_list("indicator__code", "value")) == {"P02": Decimal(2), "P06": Decimal(65)}
    page = html(client.get(page_url(draft)))
    assert "月报已提交，等待县（区）审核。" in page
    assert "等待县（区）审核，审核期间不能修改。" in page
    assert 'name="value-' not in page and 'value="save"' not in page


def test_it_shows_the_conflict_and_keeps_the_typed_input_when_the_version_is_stale(client, nanga_leader, draft):
    client.force_login(nanga_leader)
    stale = draft.version
    report_save(actor=nanga_leader, report=draft, values={"P01": "4"})  # another tab saved meanwhile

    response = post_form(client, draft, version=stale, values={"P01": "9", "P02": "7"}, summary="另一份小结")

    assert response.status_code == 409
    page = html(response)
    assert "该月报已被他人更新" in page
    assert input_value(page, "P01") == "9" and input_value(page, "P02") == "7" and "另一份小结" in page
    assert 'data-saved="true"' not in page
    draft.refresh_from_db()
    assert draft.values.get(indicator__code="P01").value == Decimal(4)
    assert not draft.values.filter(indicator__code="P02").exists()


def test_it_locks_an_approved_report_with_a_banner(client, nanga_leader, county_admin, draft):
    report_save(actor=nanga_leader, report=draft, values={"P02": "3"}, narrative={"summary": "小结"})
    report_approve(actor=county_admin, report=report_submit(actor=nanga_leader, report=draft))
    client.force_login(nanga_leader)

    page = html(client.get(page_url(draft)))
    assert "已审核·已锁定" in page and 'name="value-' not in page

    response = post_form(client, draft, values={"P02": "9"})
    assert response.status_code == 409
    assert "该月报已审核并锁定" in html(response)
    assert draft.values.get(indicator__code="P02").value == Decimal(3)


def test_it_shows_the_countys_comment_on_a_value_on_the_leaders_form(client, nanga_leader, county_admin, draft):
    report_save(actor=nanga_leader, report=draft, values={"P02": "3"}, narrative={"summary": "小结"})
    submitted = report_submit(actor=nanga_leader, report=draft)
    report_return(actor=county_admin, report=submitted, comment="请核实。", value_comments={"P02": "与工作日志不符"})
    client.force_login(nanga_leader)

    page = html(client.get(page_url(draft)))

    assert "县（区）退回了本月报" in page and "退回意见：请核实。" in page
    assert "县（区）意见：</strong>与工作日志不符" in row_html(page, "P02")
    assert input_value(page, "P02") == "3"  # editable again


def test_it_shows_who_did_what_and_every_value_change(client, nanga_leader, county_admin, draft):
    nanga_leader.first_name, nanga_leader.last_name = "扎西", ""
    nanga_leader.save()
    report_save(actor=nanga_leader, report=draft, values={"P01": "5"}, narrative={"summary": "小结"})
    report_save(actor=nanga_leader, report=draft, values={"P01": "7"})
    report_return(actor=county_admin, report=report_submit(actor=nanga_leader, report=draft), comment="请补充问题。")
    client.force_login(nanga_leader)

    page = html(client.get(page_url(draft)))
    history = page.split('id="history-title"')[1]

    assert "退回修改" in history and "请补充问题。" in history and "提交" in history and "扎西" in history
    assert re.search(r'class="change-old">5</span> → <span class="change-new">7</span>', history)
    assert re.search(r'class="change-old">（空）</span> → <span class="change-new">5</span>', history)


# -- who sees what -------------------------------------------------------------------------------------------


def test_it_lets_the_member_county_and_auditor_read_but_not_write(
    client, draft, nanga_member, county_admin, auditor, nanga_leader
):
    report_save(actor=nanga_leader, report=draft, values={"P01": "5"})
    for user in (nanga_member, county_admin, auditor):
        client.force_login(user)
        page = html(client.get(page_url(draft)))
        assert 'name="value-' not in page and 'value="save"' not in page, user
        assert '<span class="value-read">5</span>' in page
        response = post_form(client, draft, values={"P01": "6"})
        assert response.status_code == 403, user
    client.force_login(county_admin)
    assert reverse("reports:review", args=[draft.pk]) in html(client.get(page_url(draft)))
    assert draft.values.get(indicator__code="P01").value == Decimal(5)


def test_it_hides_the_report_from_the_outsider(client, outsider, draft):
    client.force_login(outsider)

    assert client.get(page_url(draft)).status_code == 404
    assert post_form(client, draft, values={"P01": "6"}).status_code == 404


def test_it_runs_the_same_queries_for_a_blank_and_a_full_report(
    client, nanga_leader, nanga_team, county_admin, draft, talks
):
    """The report page (51 indicators, history, prefill, events, changes) costs the same however much it holds."""
    client.force_login(nanga_leader)
    with CaptureQueriesContext(connection) as blank:
        assert client.get(page_url(draft)).status_code == 200

    approved_history(nanga_team, P01=[10, 12, 8], D01=[1, 2, 3], E04=[100, 200, 300])
    every = dict.fromkeys(Indicator.objects.values_list("code", flat=True), "3")
    report_save(actor=nanga_leader, report=draft, values=every, notes={"P01": "说明"}, narrative={"summary": "小结"})
    report_return(
        actor=county_admin,
        report=report_submit(actor=nanga_leader, report=draft),
        comment="请核实。",
        value_comments={"P01": "多了", "P02": "少了"},
    )
    report_save(actor=nanga_leader, report=draft, values=dict.fromkeys(every, "4"))
    with CaptureQueriesContext(connection) as full:
        assert client.get(page_url(draft)).status_code == 200

    print(f"\nreport page queries: blank {len(blank)}, full {len(full)}")
    assert len(full) == len(blank)
    assert len(full) <= 30


# -- the report list ---------------------------------------------------------------------------------------------


def test_it_lists_the_leaders_reports_and_offers_this_and_last_months(client, nanga_leader, nanga_team, draft):
    other = MonthlyReportFactory(team=make_team(within="540103"), month=FEBRUARY)
    client.force_login(nanga_leader)

    page = html(client.get(reverse("reports:report_list")))

    assert page_url(draft) in page and page_url(other) not in page
    assert month_url(nanga_team, "2026-03") in page and month_url(nanga_team, "2026-02") in page
    assert "填写2026年3月月报" in page


def test_it_links_the_county_admin_to_the_review_and_filters_by_status(
    client, county_admin, nanga_leader, nanga_team, draft, batch, naipu
):
    report_save(actor=nanga_leader, report=draft, values={"P01": "1"}, narrative={"summary": "小结"})
    report_submit(actor=nanga_leader, report=draft)
    elsewhere = MonthlyReportFactory(team=make_team(village=naipu, batch=batch), month=FEBRUARY, submitted=True)
    client.force_login(county_admin)

    page = html(client.get(reverse("reports:report_list")))
    assert reverse("reports:review", args=[draft.pk]) in page
    assert reverse("reports:review", args=[elsewhere.pk]) not in page and page_url(elsewhere) not in page

    drafts = html(client.get(reverse("reports:report_list"), {"status": "draft"}))
    assert reverse("reports:review", args=[draft.pk]) not in drafts


def test_it_lets_the_auditor_list_reports_and_open_them_read_only(client, auditor, draft):
    client.force_login(auditor)

    page = html(client.get(reverse("reports:report_list")))

    assert page_url(draft) in page and reverse("reports:review", args=[draft.pk]) not in page


# -- overdue reports ----------------------------------------------------------------------------------------------


def test_it_lists_the_countys_overdue_teams_for_a_past_due_month(client, county_admin, nanga_team, batch, time_machine):
    time_machine.move_to(datetime.datetime(2026, 3, 10, 10, 0, tzinfo=datetime.UTC), tick=False)
    missing = make_team(within="540103", batch=batch)
    returned = make_team(within="540103", batch=batch)
    MonthlyReportFactory(team=nanga_team, month=FEBRUARY, status=ReportStatus.DRAFT)
    MonthlyReportFactory(team=returned, month=FEBRUARY, status=ReportStatus.RETURNED, submitted_at=timezone.now())
    delivered = make_team(within="540103", batch=batch)
    MonthlyReportFactory(team=delivered, month=FEBRUARY, submitted=True)
    biru_team = make_team(within="540622", batch=batch)
    client.force_login(county_admin)

    page = html(client.get(reverse("reports:overdue")))

    assert "2026年2月" in page and "堆龙德庆区" in page
    for team, label in ((nanga_team, "草稿未提交"), (missing, "未填报"), (returned, "已退回未重新提交")):
        assert team.name in page
        assert label in page
    assert delivered.name not in page and biru_team.name not in page
    january = html(client.get(reverse("reports:overdue"), {"month": "2026-01"}))
    assert "2026年1月" in january


def test_it_keeps_the_overdue_list_from_teams(client, nanga_leader, nanga_member):
    for user in (nanga_leader, nanga_member):
        client.force_login(user)
        assert client.get(reverse("reports:overdue")).status_code == 403


# -- notifications -----------------------------------------------------------------------------------------------


def test_it_shows_the_users_own_notifications_unread_first_and_marks_them_read(client, nanga_leader, county_admin):
    old = Notification.objects.create(user=nanga_leader, key="a", title="一月月报已审核", url="/reports/")
    old.read_at = timezone.now()
    old.save()
    Notification.objects.create(user=nanga_leader, key="b", title="二月月报已逾期", url="/reports/")
    Notification.objects.create(user=nanga_leader, key="c", title="二月月报已被退回")
    theirs = Notification.objects.create(user=county_admin, key="d", title="有3份月报待审核")
    client.force_login(nanga_leader)

    page = html(client.get(reverse("reports:notifications")))
    assert page.index("二月月报已被退回") < page.index("二月月报已逾期") < page.index("一月月报已审核")
    assert "有3份月报待审核" not in page
    assert "通知（2）" in page

    overdue = Notification.objects.get(key="b")
    response = client.post(reverse("reports:notification_read", args=[overdue.pk]), {"open": "1"})
    assert response.status_code == 302 and response["Location"] == "/reports/"
    overdue.refresh_from_db()
    assert overdue.read_at is not None

    assert client.post(reverse("reports:notification_read", args=[theirs.pk])).status_code == 404
    client.post(reverse("reports:notifications_read_all"))
    assert not Notification.objects.filter(user=nanga_leader, read_at__isnull=True).exists()
    assert Notification.objects.get(pk=theirs.pk).read_at is None
    assert "通知（" not in html(client.get(reverse("reports:notifications")))


def test_it_sends_anonymous_visitors_to_the_login(client, draft):
    for url in (page_url(draft), reverse("reports:notifications"), reverse("reports:review_queue")):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_it_records_the_submission_once(client, nanga_leader, draft):
    client.force_login(nanga_leader)
    post_form(client, draft, action="submit", values={"P01": "1"}, summary="小结")

    kinds = list(ReportEvent.objects.filter(report=draft).values_list("kind", flat=True))
    assert kinds == ["created", "saved", "submitted"]


def test_it_has_no_inline_scripts_styles_or_handlers(client, nanga_leader, county_admin, region_admin, draft):
    from tests.test_shell import INLINE_HANDLER, INLINE_SCRIPT, INLINE_STYLE

    pages = []
    client.force_login(nanga_leader)
    for url in (page_url(draft), reverse("reports:activity_create"), reverse("reports:report_list")):
        pages.append(html(client.get(url)))
    client.force_login(county_admin)
    for url in (
        reverse("reports:review", args=[draft.pk]),
        reverse("reports:review_queue"),
        reverse("reports:overdue"),
    ):
        pages.append(html(client.get(url)))
    client.force_login(region_admin)
    pages.append(html(client.get(reverse("reports:indicator_list"))))

    for page in pages:
        for pattern in (INLINE_SCRIPT, INLINE_STYLE, INLINE_HANDLER):
            assert not pattern.search(page), pattern.search(page)


def nav(client, user, url="/") -> list[dict]:
    client.force_login(user)
    return client.get(url).context["nav_items"]


def test_it_links_each_role_to_its_reporting_pages(client, nanga_leader, nanga_member, county_admin, region_admin):
    def labels(user):
        return {item["label"] for item in nav(client, user)}

    reporting = {"工作日志", "月报", "审核", "指标目录", "通知"}
    assert labels(nanga_leader) & reporting == {"工作日志", "月报", "通知"}
    assert labels(nanga_member) & reporting == {"工作日志", "月报", "通知"}
    assert labels(county_admin) & reporting == {"工作日志", "月报", "审核", "通知"}
    assert labels(region_admin) & reporting == reporting


def test_it_marks_only_the_closest_link_as_current(client, nanga_leader):
    current = [item["label"] for item in nav(client, nanga_leader, reverse("reports:activity_list")) if item["current"]]

    assert current == ["工作日志"]
