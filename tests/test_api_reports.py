"""The monthly reports API and the review queue: the leader of the team in 南嘎居委会 opens, saves and submits
February's report; the county admin of 堆龙德庆区 returns, approves and reopens it; the outsider from 比如县 never
sees it; the auditor reads everything and writes nothing. 3 March 2026: February's reports are due on the 5th."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from reports.choices import ReportStatus
from reports.models import MonthlyReport, ReportEvent, ReportValue
from reports.selectors import report_checks, report_list
from reports.workflow import check_report, report_approve, report_open, report_save, report_submit
from tests.factories import (
    IndicatorFactory,
    MonthlyReportFactory,
    ReportValueFactory,
    UserRoleFactory,
    WorkTeamFactory,
    free_village,
)
from zhucun.choices import Role

REPORTS = "/api/v1/monthly-reports/"
QUEUE = "/api/v1/review-queue/"
FEBRUARY = datetime.date(2026, 2, 1)
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _early_march(time_machine):
    time_machine.move_to(datetime.datetime(2026, 3, 3, 10, 0, tzinfo=datetime.UTC), tick=False)


@pytest.fixture
def api():
    def signed_in(user) -> APIClient:
        client = APIClient()
        client.force_login(user)
        return client

    return signed_in


@pytest.fixture
def nanga_member(nanga_team):
    return UserRoleFactory(role=Role.TEAM_MEMBER, team=nanga_team, user__username="nanga-member").user


@pytest.fixture
def draft(nanga_team, nanga_leader) -> MonthlyReport:
    return report_open(actor=nanga_leader, team=nanga_team, month=FEBRUARY)


@pytest.fixture
def submitted(draft, nanga_leader) -> MonthlyReport:
    report_save(actor=nanga_leader, report=draft, values={"P02": "3"}, narrative={"summary": "召开宣讲会三场。"})
    return report_submit(actor=nanga_leader, report=draft)


@pytest.fixture
def approved(submitted, county_admin) -> MonthlyReport:
    return report_approve(actor=county_admin, report=submitted)


def url(report: MonthlyReport, action: str = "") -> str:
    return f"{REPORTS}{report.pk}/{action + '/' if action else ''}"


def etag(report: MonthlyReport) -> str:
    return f'W/"report-{report.pk}-v{report.version}"'


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def row(response, code: str) -> dict:
    return next(value for value in response.json()["values"] if value["code"] == code)


def history(team, **series: list[int]) -> None:
    """Approved reports of November, December and January with these values: history(team, P01=[10, 12, 8])."""
    months = [datetime.date(2025, 11, 1), datetime.date(2025, 12, 1), datetime.date(2026, 1, 1)]
    reports = [MonthlyReportFactory(team=team, month=month, approved=True) for month in months]
    for code, values in series.items():
        indicator = IndicatorFactory(code=code)
        for report, value in zip(reports, values, strict=True):
            ReportValue.objects.create(report=report, indicator=indicator, value=value)


def county_team(batch, *, within: str = "540103"):
    return WorkTeamFactory(village=free_village(batch=batch, within=within), batch=batch)


# -- the whole month -----------------------------------------------------------------------------------------


def test_it_runs_a_whole_month_open_save_submit_return_correct_resubmit_approve(
    api, nanga_team, nanga_leader, county_admin
):
    history(nanga_team, P01=[10, 12, 8])
    leader, county = api(nanga_leader), api(county_admin)

    opened = leader.post(REPORTS, {"month": "2026-02"}, format="json")
    assert opened.status_code == 201, opened.content
    report = MonthlyReport.objects.get(team=nanga_team, month=FEBRUARY)
    assert opened.json()["id"] == report.pk and opened.json()["status"] == "draft"
    assert opened["ETag"] == etag(report)
    assert leader.post(REPORTS, {"team": nanga_team.pk, "month": "2026-02"}, format="json").status_code == 200
    assert MonthlyReport.objects.count() == 4  # three months of history and February

    saved = leader.patch(
        url(report),
        {"values": {"P01": "150", "P02": "三场", "P03": 2}, "summary": "本月开展入户宣传月活动。"},
        format="json",
    )
    assert saved.status_code == 200, saved.content
    assert saved.json()["input_errors"] == {"P02": ["请输入数字。"]}
    assert row(saved, "P01")["warnings"] == ["超过本队以往月份中位数（10）的10倍，请填写说明。"]
    assert (row(saved, "P02")["input"], row(saved, "P02")["input_errors"]) == ("三场", ["请输入数字。"])
    report.refresh_from_db()
    assert report.draft_input == {"P02": "三场"}
    assert dict(report.values.values_list("indicator__code", "value")) == {"P01": Decimal(150), "P03": Decimal(2)}

    refused = leader.post(url(report, "submit"))
    assert refused.status_code == 400
    assert set(refused.json()) == {"P01", "P02"}
    assert MonthlyReport.objects.get(pk=report.pk).status == ReportStatus.DRAFT

    leader.patch(url(report), {"values": {"P02": "3"}, "notes": {"P01": "集中入户宣传月。"}}, format="json")
    assert leader.post(url(report, "submit")).status_code == 200

    returned = county.post(
        url(report, "return"),
        {"comment": "请核实宣讲场次。", "value_comments": {"P02": "与工作日志不符"}},
        format="json",
    )
    assert returned.status_code == 200, returned.content
    assert returned.json()["status"] == "returned" and returned.json()["review_comment"] == "请核实宣讲场次。"
    shown = leader.get(url(report))
    assert row(shown, "P02")["review_comment"] == "与工作日志不符"
    assert shown.json()["allowed_actions"] == ["save", "submit"]

    assert leader.patch(url(report), {"values": {"P02": "2"}}, format="json").status_code == 200
    assert leader.post(url(report, "submit")).status_code == 200
    done = county.post(url(report, "approve"), {"comment": "同意"}, format="json")

    assert done.status_code == 200, done.content
    report.refresh_from_db()
    assert (report.status, report.reviewed_by, report.review_comment) == ("approved", county_admin, "同意")
    assert [event["kind"] for event in done.json()["events"]] == [
        "created",
        "submitted",
        "returned",
        "submitted",
        "approved",
    ]
    assert done.json()["events"][2]["value_comments"] == [
        {"code": "P02", "name": "组织召开宣讲大会", "comment": "与工作日志不符"}
    ]
    p02 = [(c["old_value"], c["new_value"]) for c in done.json()["changes"] if c["code"] == "P02"]
    assert p02 == [(None, "3"), ("3", "2")]
    assert done["ETag"] == etag(report)


def test_it_shows_each_value_against_last_month_and_the_teams_average(api, nanga_team, nanga_leader, draft):
    history(nanga_team, F04=[20, 20, 23])  # 建档立卡贫困户 (latest) in November, December, January
    report_save(actor=nanga_leader, report=draft, values={"F04": "40"})

    response = api(nanga_leader).get(url(draft))

    assert response.status_code == 200
    f04 = row(response, "F04")
    assert (f04["value"], f04["last_month"], f04["average"]) == ("40", "23", "21")
    assert f04["warnings"] == ["较上月（23）变化超过50%，请填写说明。"]
    assert (f04["unit"], f04["category"], f04["retired"]) == ("户", "poverty", False)
    assert response.json()["version"] == MonthlyReport.objects.get(pk=draft.pk).version
    assert response["ETag"] == etag(MonthlyReport.objects.get(pk=draft.pk))


def test_it_keeps_input_that_is_not_a_number_and_saves_the_rest(api, nanga_leader, draft):
    response = api(nanga_leader).patch(
        url(draft), {"values": {"P01": "12", "P02": "-1", "E04": "1500.5"}, "problems": "道路不通"}, format="json"
    )

    assert response.status_code == 200, response.content
    assert response.json()["input_errors"] == {"P02": ["不能为负数。"]}
    draft.refresh_from_db()
    assert draft.draft_input == {"P02": "-1"} and draft.problems == "道路不通"
    values = dict(draft.values.values_list("indicator__code", "value"))
    assert values["P01"] == Decimal(12) and values["E04"] == Decimal("1500.50")
    assert row(response, "E04")["value"] == "1500.50"


def test_it_answers_a_malformed_save_with_400_and_keeps_the_report(api, nanga_leader, draft):
    response = api(nanga_leader).patch(url(draft), {"values": ["P01", "3"]}, format="json")

    assert response.status_code == 400
    assert "values" in response.json()
    assert MonthlyReport.objects.get(pk=draft.pk).version == draft.version


def test_it_refuses_a_month_to_come_and_a_bad_month(api, nanga_leader, nanga_team):
    client = api(nanga_leader)

    assert client.post(REPORTS, {"month": "2026-04"}, format="json").json() == {"month": ["不能填写未来月份的月报。"]}
    assert client.post(REPORTS, {"month": "二月"}, format="json").json() == {
        "month": ["请按“年-月”填写月份，例如 2026-02。"]
    }
    assert not MonthlyReport.objects.exists()


def test_it_refuses_a_submission_without_a_summary(api, nanga_leader, draft):
    api(nanga_leader).patch(url(draft), {"values": {"P02": "3"}}, format="json")

    response = api(nanga_leader).post(url(draft, "submit"))

    assert response.status_code == 400
    assert response.json() == {"summary": ["请填写本月工作小结。"]}


# -- locking -------------------------------------------------------------------------------------------------


def test_it_refuses_to_change_an_approved_report(api, nanga_leader, approved):
    response = api(nanga_leader).patch(url(approved), {"values": {"P02": "9"}}, format="json")

    assert response.status_code == 400
    assert "锁定" in response.json()["non_field_errors"][0]
    assert approved.values.get(indicator__code="P02").value == Decimal(3)
    assert MonthlyReport.objects.get(pk=approved.pk).version == approved.version


def test_it_reopens_an_approved_report_only_with_a_reason(api, county_admin, nanga_leader, approved):
    client = api(county_admin)

    refused = client.post(url(approved, "reopen"), {"reason": "  "}, format="json")
    assert refused.status_code == 400
    assert refused.json() == {"reason": ["重新打开已审核的月报必须填写理由。"]}
    assert MonthlyReport.objects.get(pk=approved.pk).status == ReportStatus.APPROVED

    reopened = client.post(url(approved, "reopen"), {"reason": "宣讲场次统计有误。"}, format="json")
    assert reopened.status_code == 200, reopened.content
    report = MonthlyReport.objects.get(pk=approved.pk)
    assert (report.status, report.review_comment) == (ReportStatus.RETURNED, "宣讲场次统计有误。")
    assert report.events.last().kind == ReportEvent.Kind.REOPENED
    assert api(nanga_leader).patch(url(report), {"values": {"P02": "4"}}, format="json").status_code == 200


def test_it_asks_for_a_reason_to_return(api, county_admin, submitted):
    response = api(county_admin).post(url(submitted, "return"), {}, format="json")

    assert response.status_code == 400
    assert response.json() == {"comment": ["退回时请填写退回理由。"]}
    assert MonthlyReport.objects.get(pk=submitted.pk).status == ReportStatus.SUBMITTED


# -- concurrency ---------------------------------------------------------------------------------------------


def test_it_answers_412_to_a_stale_if_match_and_changes_nothing(api, nanga_leader, draft):
    client = api(nanga_leader)
    first = client.get(url(draft))["ETag"]
    saved = client.patch(url(draft), {"values": {"P01": "5"}}, format="json", HTTP_IF_MATCH=first)
    assert saved.status_code == 200, saved.content
    assert saved["ETag"] != first

    stale = client.patch(url(draft), {"values": {"P01": "7"}}, format="json", HTTP_IF_MATCH=first)

    assert stale.status_code == 412
    current = MonthlyReport.objects.get(pk=draft.pk)
    assert stale.json()["status"] == "draft" and stale.json()["version"] == current.version
    assert "请刷新后重试" in stale.json()["detail"]
    assert stale["ETag"] == saved["ETag"] == etag(current)
    assert current.values.get(indicator__code="P01").value == Decimal(5)
    assert client.post(url(draft, "submit"), HTTP_IF_MATCH=first).status_code == 412


def test_it_lets_only_the_first_of_two_approvals_with_the_same_if_match_win(api, county_admin, region_admin, submitted):
    seen = api(county_admin).get(url(submitted))["ETag"]

    first = api(county_admin).post(url(submitted, "approve"), {}, format="json", HTTP_IF_MATCH=seen)
    second = api(region_admin).post(url(submitted, "return"), {"comment": "退回"}, format="json", HTTP_IF_MATCH=seen)

    assert first.status_code == 200, first.content
    assert second.status_code == 412
    assert second.json()["status"] == "approved"
    report = MonthlyReport.objects.get(pk=submitted.pk)
    assert (report.status, report.reviewed_by) == (ReportStatus.APPROVED, county_admin)
    assert list(report.events.filter(kind__in=["approved", "returned"]).values_list("kind", flat=True)) == ["approved"]


def test_it_answers_409_to_a_second_approval_without_if_match(api, county_admin, region_admin, submitted):
    assert api(county_admin).post(url(submitted, "approve"), {}, format="json").status_code == 200

    late = api(region_admin).post(url(submitted, "approve"), {}, format="json")

    assert late.status_code == 409
    assert late.json()["status"] == "approved" and "已审核" in late.json()["detail"]
    assert MonthlyReport.objects.get(pk=submitted.pk).reviewed_by == county_admin


def test_it_takes_a_wildcard_if_match(api, county_admin, submitted):
    response = api(county_admin).post(url(submitted, "approve"), {}, format="json", HTTP_IF_MATCH="*")

    assert response.status_code == 200
    assert MonthlyReport.objects.get(pk=submitted.pk).status == ReportStatus.APPROVED


def test_it_approves_many_and_names_the_one_already_approved(api, county_admin, nanga_team, submitted, batch, biru):
    already = MonthlyReportFactory(team=county_team(batch), month=FEBRUARY, approved=True)
    waiting = MonthlyReportFactory(team=county_team(batch), month=FEBRUARY, submitted=True)
    elsewhere = MonthlyReportFactory(team=county_team(batch, within="540622"), month=FEBRUARY, submitted=True)

    response = api(county_admin).post(
        f"{REPORTS}approve-many/",
        {"ids": [submitted.pk, already.pk, waiting.pk, elsewhere.pk, 999999]},
        format="json",
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["approved"] == [submitted.pk, waiting.pk]
    assert [(c["id"], c["status"]) for c in body["conflicts"]] == [(already.pk, "approved")]
    assert (body["forbidden"], body["not_found"]) == ([], [elsewhere.pk, 999999])
    statuses = dict(MonthlyReport.objects.values_list("pk", "status"))
    assert statuses[submitted.pk] == statuses[waiting.pk] == ReportStatus.APPROVED
    assert statuses[elsewhere.pk] == ReportStatus.SUBMITTED


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite serialises all writes; the race needs PostgreSQL")
def test_it_lets_one_of_two_parallel_approvals_win(api, county_admin, region_admin, submitted):
    seen = etag(MonthlyReport.objects.get(pk=submitted.pk))
    clients = [api(county_admin), api(region_admin)]
    barrier = threading.Barrier(len(clients))
    answers: list[int] = []

    def approve(client: APIClient) -> None:
        try:
            barrier.wait(timeout=10)
            answers.append(client.post(url(submitted, "approve"), {}, format="json", HTTP_IF_MATCH=seen).status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=approve, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(answers) == [200, 412]
    report = MonthlyReport.objects.get(pk=submitted.pk)
    assert report.status == ReportStatus.APPROVED and report.version == submitted.version + 1
    assert report.events.filter(kind=ReportEvent.Kind.APPROVED).count() == 1


# -- who may do what -----------------------------------------------------------------------------------------


def test_it_hides_the_report_from_the_outsider(api, outsider, submitted, batch):
    theirs = MonthlyReportFactory(team=county_team(batch, within="540622"), month=FEBRUARY, submitted=True)
    client = api(outsider)

    assert client.get(url(submitted)).status_code == 404
    assert client.patch(url(submitted), {"values": {"P02": "9"}}, format="json").status_code == 404
    for action in ("submit", "approve", "return", "reopen"):
        assert client.post(url(submitted, action), {"comment": "x", "reason": "x"}, format="json").status_code == 404
    assert ids(client.get(REPORTS)) == [theirs.pk]
    assert ids(client.get(QUEUE)) == [theirs.pk]
    assert client.get(REPORTS, {"area": "540103"}).status_code == 400
    assert client.get(QUEUE, {"area": "540103001"}).status_code == 400
    assert client.post(f"{REPORTS}approve-many/", {"ids": [submitted.pk]}, format="json").json()["not_found"] == [
        submitted.pk
    ]
    assert MonthlyReport.objects.get(pk=submitted.pk).status == ReportStatus.SUBMITTED


def test_it_lets_the_auditor_read_every_report_but_write_none(api, auditor, nanga_team, submitted):
    client = api(auditor)

    assert client.get(url(submitted)).status_code == 200
    assert ids(client.get(REPORTS)) == [submitted.pk]
    assert client.get(url(submitted)).json()["allowed_actions"] == []
    assert client.post(REPORTS, {"team": nanga_team.pk, "month": "2026-01"}, format="json").status_code == 403
    assert client.patch(url(submitted), {"summary": "改"}, format="json").status_code == 403
    for action in ("submit", "approve", "return", "reopen"):
        assert client.post(url(submitted, action), {"comment": "x", "reason": "x"}, format="json").status_code == 403
    assert client.post(f"{REPORTS}approve-many/", {"ids": [submitted.pk]}, format="json").status_code == 403
    assert client.get(QUEUE).status_code == 403
    assert client.put(url(submitted), {}, format="json").status_code == 405
    assert client.delete(url(submitted)).status_code == 405
    report = MonthlyReport.objects.get(pk=submitted.pk)
    assert (report.status, report.version, report.summary) == (
        ReportStatus.SUBMITTED,
        submitted.version,
        submitted.summary,
    )
    assert not MonthlyReport.objects.filter(month=datetime.date(2026, 1, 1)).exists()


def test_it_lets_a_team_member_read_the_report_but_not_fill_it_in(api, nanga_member, nanga_team, draft):
    client = api(nanga_member)

    assert client.get(url(draft)).status_code == 200
    assert client.post(REPORTS, {"month": "2026-01"}, format="json").status_code == 403
    assert client.patch(url(draft), {"values": {"P02": "1"}}, format="json").status_code == 403
    assert client.post(url(draft, "submit")).status_code == 403
    assert MonthlyReport.objects.get(pk=draft.pk).version == draft.version


def test_it_keeps_leader_and_county_to_their_own_steps(api, nanga_leader, county_admin, nanga_team, submitted):
    assert (
        api(county_admin).post(REPORTS, {"team": nanga_team.pk, "month": "2026-01"}, format="json").status_code == 403
    )
    assert api(county_admin).patch(url(submitted), {"summary": "县里改"}, format="json").status_code == 403
    assert api(nanga_leader).post(url(submitted, "approve"), {}, format="json").status_code == 403
    assert api(nanga_leader).get(QUEUE).status_code == 403
    assert api(county_admin).get(url(submitted)).json()["allowed_actions"] == ["approve", "return"]
    assert MonthlyReport.objects.get(pk=submitted.pk).status == ReportStatus.SUBMITTED


def test_it_refuses_the_leader_a_team_it_does_not_lead(api, nanga_leader, batch):
    other = county_team(batch)

    response = api(nanga_leader).post(REPORTS, {"team": other.pk, "month": "2026-02"}, format="json")

    assert response.status_code == 400
    assert "team" in response.json()
    assert not MonthlyReport.objects.exists()


# -- lists ---------------------------------------------------------------------------------------------------


def test_it_filters_reports_by_township_team_month_status_late_and_batch(api, county_admin, nanga_team, batch):
    on_time = MonthlyReportFactory(team=nanga_team, month=FEBRUARY, submitted=True)
    late_january = MonthlyReportFactory(
        team=nanga_team,
        month=datetime.date(2026, 1, 1),
        submitted=True,
        submitted_at=datetime.datetime(2026, 2, 7, 9, 0, tzinfo=datetime.UTC),
    )
    other_township = county_team(batch, within="540103102")  # 古荣镇
    missing = MonthlyReportFactory(team=other_township, month=datetime.date(2026, 1, 1))  # a draft past its due date
    client = api(county_admin)

    assert set(ids(client.get(REPORTS))) == {on_time.pk, late_january.pk, missing.pk}
    assert set(ids(client.get(REPORTS, {"area": "540103001"}))) == {on_time.pk, late_january.pk}
    assert ids(client.get(REPORTS, {"area": "540103102"})) == [missing.pk]
    assert ids(client.get(REPORTS, {"team": nanga_team.pk, "month": "2026-01"})) == [late_january.pk]
    assert ids(client.get(REPORTS, {"status": "draft"})) == [missing.pk]
    assert set(ids(client.get(REPORTS, {"late": "true"}))) == {late_january.pk, missing.pk}
    assert ids(client.get(REPORTS, {"late": "false"})) == [on_time.pk]
    assert set(ids(client.get(REPORTS, {"batch": batch.pk}))) == {on_time.pk, late_january.pk, missing.pk}
    assert ids(client.get(REPORTS, {"ordering": "month,village"})) == [late_january.pk, missing.pk, on_time.pk]
    assert ids(client.get(REPORTS, {"ordering": "month,-village"})) == [missing.pk, late_january.pk, on_time.pk]
    assert client.get(REPORTS, {"month": "2026-13"}).status_code == 400
    listed = client.get(REPORTS, {"month": "2026-02"}).json()["results"][0]
    assert (listed["month"], listed["township_name"], listed["county"], listed["late"]) == (
        "2026-02",
        "东嘎街道",
        "540103",
        False,
    )


def test_it_lists_reports_in_a_constant_number_of_queries(api, county_admin, batch, django_assert_num_queries):
    for _ in range(15):
        MonthlyReportFactory(team=county_team(batch), month=FEBRUARY, submitted=True)
    client = api(county_admin)
    client.get(REPORTS, {"page_size": 1})

    with CaptureQueriesContext(connection) as three:
        assert len(ids(client.get(REPORTS, {"page_size": 3}))) == 3
    with django_assert_num_queries(len(three)):
        assert len(ids(client.get(REPORTS, {"page_size": 15}))) == 15


# -- the review queue ----------------------------------------------------------------------------------------


def test_it_queues_only_the_countys_submitted_reports_oldest_first(api, county_admin, submitted, batch):
    older = MonthlyReportFactory(
        team=county_team(batch, within="540103102"),
        month=FEBRUARY,
        submitted=True,
        submitted_at=timezone.now() - datetime.timedelta(days=4),
    )
    MonthlyReportFactory(team=county_team(batch), month=FEBRUARY)  # a draft
    approved = MonthlyReportFactory(team=county_team(batch), month=FEBRUARY, approved=True)
    MonthlyReportFactory(team=county_team(batch, within="540622"), month=FEBRUARY, submitted=True)
    client = api(county_admin)

    response = client.get(QUEUE)

    assert ids(response) == [older.pk, submitted.pk]
    first = response.json()["results"][0]
    assert (first["waiting_days"], first["status"], first["late"]) == (4, "submitted", False)
    assert ids(client.get(QUEUE, {"status": "approved"})) == [approved.pk]
    assert len(ids(client.get(QUEUE, {"status": ""}))) == 4
    assert ids(client.get(QUEUE, {"area": "540103001"})) == [submitted.pk]


def test_it_counts_the_warnings_of_each_queued_report(api, county_admin, nanga_team, nanga_leader):
    history(nanga_team, P01=[10, 12, 8])
    report = report_open(actor=nanga_leader, team=nanga_team, month=FEBRUARY)
    report_save(
        actor=nanga_leader,
        report=report,
        values={"P01": "150", "P02": "2"},
        notes={"P01": "集中宣传月。"},
        narrative={"summary": "小结"},
    )
    report_submit(actor=nanga_leader, report=report)

    queued = api(county_admin).get(QUEUE).json()["results"]

    assert [(row["id"], row["warning_count"], row["error_count"]) for row in queued] == [(report.pk, 1, 0)]


def test_it_checks_many_reports_exactly_as_one(nanga_team, nanga_leader, county_admin, batch):
    history(nanga_team, P01=[10, 12, 8], F04=[20, 20, 20])
    report = report_open(actor=nanga_leader, team=nanga_team, month=FEBRUARY)
    report_save(actor=nanga_leader, report=report, values={"P01": "150", "F04": "31", "D09": "1", "D10": "2"})
    others = [MonthlyReportFactory(team=county_team(batch), month=FEBRUARY) for _ in range(2)]
    ReportValueFactory(report=others[0], indicator=IndicatorFactory(code="D10"), value=5)
    reports = list(report_list(user=county_admin).filter(month=FEBRUARY))

    checks = report_checks(reports)

    for each in reports:
        expected = check_report(each)
        assert (checks[each.pk].errors, checks[each.pk].warnings) == (expected.errors, expected.warnings)
    assert set(checks[report.pk].warnings) == {"P01", "F04"} and set(checks[report.pk].errors) == {"D10"}


def test_it_lists_the_queue_in_a_constant_number_of_queries(api, county_admin, batch, django_assert_num_queries):
    indicator = IndicatorFactory(code="P01")
    for _ in range(15):
        team = county_team(batch)
        ReportValueFactory(
            report=MonthlyReportFactory(team=team, month=datetime.date(2026, 1, 1), approved=True), indicator=indicator
        )
        ReportValueFactory(report=MonthlyReportFactory(team=team, month=FEBRUARY, submitted=True), indicator=indicator)
    client = api(county_admin)
    client.get(QUEUE, {"page_size": 1})

    with CaptureQueriesContext(connection) as three:
        assert len(ids(client.get(QUEUE, {"page_size": 3}))) == 3
    with django_assert_num_queries(len(three)):
        assert len(ids(client.get(QUEUE, {"page_size": 15}))) == 15


# -- the schema ----------------------------------------------------------------------------------------------


def test_it_documents_every_reports_route_with_its_concurrency_headers(api, auditor):
    schema = api(auditor).get("/api/schema/", {"format": "json"}).json()

    routes = [
        "/api/v1/activities/",
        "/api/v1/activities/{id}/",
        "/api/v1/activity-types/",
        "/api/v1/indicators/",
        "/api/v1/indicators/{code}/",
        "/api/v1/indicators/{code}/retire/",
        "/api/v1/indicators/reorder/",
        "/api/v1/monthly-reports/",
        "/api/v1/monthly-reports/{id}/",
        "/api/v1/monthly-reports/{id}/submit/",
        "/api/v1/monthly-reports/{id}/approve/",
        "/api/v1/monthly-reports/{id}/return/",
        "/api/v1/monthly-reports/{id}/reopen/",
        "/api/v1/monthly-reports/approve-many/",
        "/api/v1/review-queue/",
        "/api/v1/notifications/",
        "/api/v1/notifications/{id}/mark-read/",
        "/api/v1/notifications/mark-all-read/",
    ]
    assert [route for route in routes if route not in schema["paths"]] == []
    approve = schema["paths"]["/api/v1/monthly-reports/{id}/approve/"]["post"]
    assert "If-Match" in [parameter["name"] for parameter in approve["parameters"]]
    assert {"200", "409", "412"} <= set(approve["responses"])
    assert "ETag" in approve["responses"]["200"]["headers"]
    queue = [parameter["name"] for parameter in schema["paths"]["/api/v1/review-queue/"]["get"]["parameters"]]
    assert {"area", "status", "late", "month", "team", "batch", "ordering"} <= set(queue)
