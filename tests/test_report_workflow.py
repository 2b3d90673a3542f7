"""The monthly report workflow: the leader of the team in 南嘎居委会 reports, the county admin of 堆龙德庆区
reviews, the outsider from 比如县 and the auditor look on."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from reports.choices import ReportStatus
from reports.models import MonthlyReport, ReportEvent, ReportValue, ReportValueChange, ReviewComment
from reports.validation import parse_value
from reports.workflow import (
    ReportConflict,
    activity_prefill,
    after_review_hooks,
    report_approve,
    report_approve_many,
    report_open,
    report_reopen,
    report_return,
    report_save,
    report_submit,
)
from tests.factories import ActivityFactory, ActivityTypeFactory, IndicatorFactory, MonthlyReportFactory

FEBRUARY = datetime.date(2026, 2, 1)
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _early_march(time_machine):
    """3 March 2026: February's reports are due on the 5th."""
    time_machine.move_to(datetime.datetime(2026, 3, 3, 10, 0, tzinfo=datetime.UTC), tick=False)


def submitted_report(team, leader, **values) -> MonthlyReport:
    report = report_open(actor=leader, team=team, month=FEBRUARY)
    report_save(
        actor=leader, report=report, values=values or {"P02": "3"}, narrative={"summary": "本月召开宣讲会三场。"}
    )
    return report_submit(actor=leader, report=report)


def test_it_opens_a_draft_due_on_the_fifth_prefilled_from_the_activity_log(nanga_team, nanga_leader):
    talk = ActivityTypeFactory(name="宣讲会")
    ActivityFactory(team=nanga_team, date=datetime.date(2026, 2, 10), activity_type=talk, participants=40)
    ActivityFactory(team=nanga_team, date=datetime.date(2026, 2, 20), activity_type=talk, participants=25)
    ActivityFactory(team=nanga_team, date=datetime.date(2026, 3, 1), activity_type=talk, participants=99)

    report = report_open(actor=nanga_leader, team=nanga_team, month=datetime.date(2026, 2, 14))

    assert (report.month, report.due_date, report.status) == (FEBRUARY, datetime.date(2026, 3, 5), "draft")
    values = dict(ReportValue.objects.filter(report=report).values_list("indicator__code", "value"))
    # 宣讲会 counts 1 to P02 (宣讲大会) and its participants to P06 (主题教育活动); March's talk is not February's.
    assert values == {"P02": Decimal(2), "P06": Decimal(65)}
    assert report.events.get().kind == ReportEvent.Kind.CREATED
    assert report_open(actor=nanga_leader, team=nanga_team, month=FEBRUARY) == report


def test_it_refuses_a_report_for_a_team_of_another_county(nanga_team, outsider, auditor):
    for user in (outsider, auditor):
        with pytest.raises(PermissionDenied):
            report_open(actor=user, team=nanga_team, month=FEBRUARY)
    assert not MonthlyReport.objects.exists()


def test_it_keeps_what_the_leader_typed_when_a_value_is_not_a_number(nanga_team, nanga_leader):
    report = report_open(actor=nanga_leader, team=nanga_team, month=FEBRUARY)

    result = report_save(actor=nanga_leader, report=report, values={"P01": "12", "P02": "三场", "E04": "1500.5"})

    assert result.errors == {"P02": ["请输入数字。"]}
    report.refresh_from_db()
    assert report.draft_input == {"P02": "三场"}
    values = dict(report.values.values_list("indicator__code", "value"))
    assert values["P01"] == Decimal(12) and values["E04"] == Decimal("1500.50")
    with pytest.raises(ValidationError) as caught:
        report_submit(actor=nanga_leader, report=report)
    assert "P02" in caught.value.message_dict

    report_save(actor=nanga_leader, report=report, values={"P02": "3"})
    report.refresh_from_db()
    assert report.draft_input == {}


@pytest.mark.parametrize(
    ("code", "raw", "message"),
    [
        ("P02", "-1", "不能为负数。"),
        ("P02", "2.5", "“组织召开宣讲大会”须为整数。"),
        ("E04", "10.123", "最多保留两位小数。"),
        ("P02", "1e20", "数值过大，请核对。"),
        ("P02", "abc", "请输入数字。"),
    ],
)
def test_it_explains_a_bad_value_in_chinese(code, raw, message):
    with pytest.raises(ValidationError) as caught:
        parse_value(IndicatorFactory(code=code), raw)
    assert caught.value.messages == [message]


def test_it_blocks_a_sub_count_above_its_total(nanga_team, nanga_leader):
    report = report_open(actor=nanga_leader, team=nanga_team, month=FEBRUARY)
    result = report_save(
        actor=nanga_leader, report=report, values={"D09": "2", "D10": "3"}, narrative={"summary": "小结"}
    )

    assert result.check.errors == {"D10": ["不能超过“把党员致富能手培养成村干部”（2）。"]}
    with pytest.raises(ValidationError) as caught:
        report_submit(actor=nanga_leader, report=report)
    assert "D10" in caught.value.message_dict
    report.refresh_from_db()
    assert report.status == ReportStatus.DRAFT


def _approved_history(team, code: str, values: list[int]) -> None:
    indicator = IndicatorFactory(code=code)
    month = datetime.date(2025, 11, 1)
    for value in values:
        report = MonthlyReportFactory(team=team, month=month, approved=True)
        ReportValue.objects.create(report=report, indicator=indicator, value=value)
        month = (month + datetime.timedelta(days=32)).replace(day=1)


def test_it_warns_about_a_value_ten_times_the_teams_median_until_explained(nanga_team, nanga_leader):
    _approved_history(nanga_team, "P01", [10, 12, 8])  # November, December, January
    report = report_open(actor=nanga_leader, team=nanga_team, month=FEBRUARY)
    result = report_save(actor=nanga_leader, report=report, values={"P01": "150"}, narrative={"summary": "小结"})

    assert result.check.warnings == {"P01": ["超过本队以往月份中位数（10）的10倍，请填写说明。"]}
    with pytest.raises(ValidationError) as caught:
        report_submit(actor=nanga_leader, report=report)
    assert caught.value.message_dict == {"P01": ["该数值需要填写说明后才能提交。"]}

    report_save(actor=nanga_leader, report=report, notes={"P01": "本月开展集中入户宣传月活动。"})
    assert report_submit(actor=nanga_leader, report=report).status == ReportStatus.SUBMITTED


def test_it_warns_when_a_stock_changes_by_more_than_half_from_last_month(nanga_team, nanga_leader):
    _approved_history(nanga_team, "F04", [20, 20, 20])  # 建档立卡贫困户 (latest) in November..January
    report = report_open(actor=nanga_leader, team=nanga_team, month=FEBRUARY)

    assert report_save(actor=nanga_leader, report=report, values={"F04": "25"}).check.warnings == {}
    assert report_save(actor=nanga_leader, report=report, values={"F04": "31"}).check.warnings == {
        "F04": ["较上月（20）变化超过50%，请填写说明。"]
    }


def test_it_records_every_value_change_with_who_and_when(nanga_team, nanga_leader):
    report = report_open(actor=nanga_leader, team=nanga_team, month=FEBRUARY)
    report_save(actor=nanga_leader, report=report, values={"P01": "5"})
    report_save(actor=nanga_leader, report=report, values={"P01": "7"})
    report_save(actor=nanga_leader, report=report, values={"P01": "7"})  # nothing changed: nothing recorded

    changes = ReportValueChange.objects.filter(event__report=report, indicator__code="P01").order_by("pk")
    assert [(c.old_value, c.new_value, c.event.actor) for c in changes] == [
        (None, Decimal(5), nanga_leader),
        (Decimal(5), Decimal(7), nanga_leader),
    ]


def test_it_runs_the_whole_month_submit_return_correct_submit_approve(nanga_team, nanga_leader, county_admin):
    report = submitted_report(nanga_team, nanga_leader, P02="3")

    with pytest.raises(ValidationError):
        report_return(actor=county_admin, report=report, comment="")
    returned = report_return(
        actor=county_admin, report=report, comment="请核实宣讲场次。", value_comments={"P02": "与工作日志不符"}
    )
    assert returned.status == ReportStatus.RETURNED and returned.review_comment == "请核实宣讲场次。"
    assert ReviewComment.objects.get(event__report=report).comment == "与工作日志不符"

    report_save(actor=nanga_leader, report=returned, values={"P02": "2"})
    report_submit(actor=nanga_leader, report=returned)
    approved = report_approve(actor=county_admin, report=returned)

    assert approved.status == ReportStatus.APPROVED and approved.reviewed_by == county_admin
    kinds = list(approved.events.values_list("kind", flat=True))
    assert kinds == ["created", "saved", "submitted", "returned", "saved", "submitted", "approved"]


def test_it_locks_an_approved_report_until_reopened_with_a_reason(nanga_team, nanga_leader, county_admin):
    report = report_approve(actor=county_admin, report=submitted_report(nanga_team, nanga_leader))

    with pytest.raises(ValidationError, match="锁定"):
        report_save(actor=nanga_leader, report=report, values={"P02": "9"})
    with pytest.raises(ValidationError):
        report_reopen(actor=county_admin, report=report, reason="  ")
    reopened = report_reopen(actor=county_admin, report=report, reason="数据录入有误，需更正。")

    assert reopened.status == ReportStatus.RETURNED and reopened.review_comment == "数据录入有误，需更正。"
    assert report_save(actor=nanga_leader, report=reopened, values={"P02": "9"}).errors == {}


def test_it_lets_only_the_county_of_the_team_review(nanga_team, nanga_leader, outsider, auditor):
    report = submitted_report(nanga_team, nanga_leader)

    for user in (outsider, auditor, nanga_leader):
        with pytest.raises(PermissionDenied):
            report_approve(actor=user, report=report)
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED


def test_it_lets_exactly_one_of_two_reviewers_win(nanga_team, nanga_leader, county_admin, region_admin):
    report = submitted_report(nanga_team, nanga_leader)
    stale = MonthlyReport.objects.get(pk=report.pk)

    report_approve(actor=county_admin, report=report, expected_version=report.version)
    with pytest.raises(ReportConflict, match="已审核"):
        report_return(actor=region_admin, report=stale, comment="退回", expected_version=stale.version)

    assert MonthlyReport.objects.get(pk=report.pk).status == ReportStatus.APPROVED
    assert list(report.events.filter(kind__in=["approved", "returned"]).values_list("kind", flat=True)) == ["approved"]


def test_it_refuses_a_save_with_a_stale_version(nanga_team, nanga_leader):
    report = report_open(actor=nanga_leader, team=nanga_team, month=FEBRUARY)
    report_save(actor=nanga_leader, report=report, values={"P01": "1"}, expected_version=report.version)

    with pytest.raises(ReportConflict):
        report_save(actor=nanga_leader, report=report, values={"P01": "2"}, expected_version=report.version)
    assert report.values.get(indicator__code="P01").value == Decimal(1)


def test_it_approves_several_and_reports_the_ones_taken_already(nanga_team, nanga_leader, county_admin):
    first = submitted_report(nanga_team, nanga_leader)
    already = report_approve(actor=county_admin, report=first)

    approved, conflicts = report_approve_many(actor=county_admin, reports=[already])

    assert approved == [] and len(conflicts) == 1


def test_it_runs_the_rollup_hook_only_after_the_transaction_commits(
    nanga_team, nanga_leader, county_admin, django_capture_on_commit_callbacks
):
    seen: list[tuple[int, bool]] = []

    def hook(report_id: int, *, figures: bool) -> None:
        seen.append((report_id, figures))

    after_review_hooks.append(hook)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            report = submitted_report(nanga_team, nanga_leader)
        assert seen == [(report.pk, False)]  # a submission changes the completeness, not the figures
        with django_capture_on_commit_callbacks(execute=True):
            report_approve(actor=county_admin, report=report)
            assert len(seen) == 1
        assert seen == [(report.pk, False), (report.pk, True)]
    finally:
        after_review_hooks.remove(hook)


def test_it_prefills_nothing_from_another_teams_activities(nanga_team):
    ActivityFactory(date=datetime.date(2026, 2, 3), activity_type=ActivityTypeFactory(name="宣讲会"))

    assert activity_prefill(team=nanga_team, month=FEBRUARY) == {}
