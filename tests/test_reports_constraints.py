"""The invariants of monthly reports and their values that the database itself enforces."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from reports.choices import ReportStatus
from reports.models import MonthlyReport, ReportValue
from tests.factories import IndicatorFactory, MonthlyReportFactory, ReportValueFactory

NOVEMBER = datetime.date(2025, 11, 1)


@pytest.fixture
def november(nanga_team) -> MonthlyReport:
    """南嘎's draft report for November 2025, the first month of 第十批."""
    return MonthlyReportFactory(team=nanga_team, month=NOVEMBER)


@pytest.mark.django_db
def test_it_dates_a_factory_report_to_the_first_month_and_the_fifth_after(nanga_team):
    report = MonthlyReportFactory(team=nanga_team, month=datetime.date(2025, 12, 1))

    report.refresh_from_db()
    assert (report.month, report.due_date, report.status) == (
        datetime.date(2025, 12, 1),
        datetime.date(2026, 1, 5),
        ReportStatus.DRAFT,
    )
    assert MonthlyReportFactory().month == NOVEMBER


@pytest.mark.django_db
def test_it_allows_one_report_per_team_per_month(november, nanga_team, violates):
    with violates(
        "report_one_per_team_per_month", columns="reports_monthlyreport.team_id, reports_monthlyreport.month"
    ):
        MonthlyReportFactory(team=nanga_team, month=NOVEMBER)

    MonthlyReportFactory(team=nanga_team, month=datetime.date(2025, 12, 1))

    assert list(nanga_team.reports.order_by("month").values_list("month", flat=True)) == [
        NOVEMBER,
        datetime.date(2025, 12, 1),
    ]


@pytest.mark.django_db
def test_it_refuses_a_month_that_is_not_the_first_day(nanga_team, violates):
    with violates("report_month_is_first_day"):
        MonthlyReportFactory(team=nanga_team, month=datetime.date(2025, 11, 15), due_date=datetime.date(2025, 12, 5))

    assert not nanga_team.reports.exists()


@pytest.mark.django_db
def test_it_explains_a_month_that_is_not_the_first_day_in_chinese(nanga_team):
    report = MonthlyReportFactory.build(team=nanga_team, month=datetime.date(2025, 11, 30))

    with pytest.raises(ValidationError) as caught:
        report.full_clean()

    assert "月报月份必须是该月1日。" in caught.value.messages


@pytest.mark.django_db
def test_it_refuses_a_negative_value(november, violates):
    with violates("report_value_non_negative"):
        ReportValueFactory(report=november, indicator=IndicatorFactory(code="P02"), value=Decimal("-1"))

    zero = ReportValueFactory(report=november, indicator=IndicatorFactory(code="P02"), value=Decimal("0"))
    blank = ReportValueFactory(report=november, indicator=IndicatorFactory(code="P06"), value=None)

    assert set(november.values.values_list("pk", "value")) == {(zero.pk, Decimal("0")), (blank.pk, None)}


@pytest.mark.django_db
def test_it_explains_a_negative_value_in_chinese(november):
    value = ReportValue(report=november, indicator=IndicatorFactory(code="E04"), value=Decimal("-0.01"))

    with pytest.raises(ValidationError) as caught:
        value.full_clean()

    assert caught.value.message_dict["value"] == ["数值不能为负数。"]


@pytest.mark.django_db
def test_it_keeps_one_value_per_report_and_indicator(november, violates):
    p02 = IndicatorFactory(code="P02")
    ReportValueFactory(report=november, indicator=p02, value=3)

    with violates(
        "report_value_one_per_indicator", columns="reports_reportvalue.report_id, reports_reportvalue.indicator_id"
    ):
        ReportValueFactory(report=november, indicator=p02, value=4)

    assert list(november.values.values_list("indicator__code", "value")) == [("P02", Decimal("3"))]


@pytest.mark.django_db
def test_it_stores_money_to_the_fen(november):
    # 1.1亿元, the region's half-year figure, to the fen. (SQLite keeps decimals as doubles: about 15 digits.)
    ReportValueFactory(report=november, indicator=IndicatorFactory(code="E04"), value=Decimal("110000000.01"))

    assert november.values.get().value == Decimal("110000000.01")


@pytest.mark.django_db
@pytest.mark.parametrize("status", [ReportStatus.SUBMITTED, ReportStatus.RETURNED, ReportStatus.APPROVED])
def test_it_refuses_a_report_past_draft_without_a_submission_time(november, violates, status):
    with violates("report_submitted_has_time"):
        MonthlyReport.objects.filter(pk=november.pk).update(status=status, reviewed_at=timezone.now())

    november.refresh_from_db()
    assert (november.status, november.submitted_at) == (ReportStatus.DRAFT, None)


@pytest.mark.django_db
def test_it_refuses_an_approved_report_without_a_review_time(november, county_admin, nanga_leader, violates):
    MonthlyReport.objects.filter(pk=november.pk).update(
        status=ReportStatus.SUBMITTED, submitted_at=timezone.now(), submitted_by=nanga_leader
    )

    with violates("report_approved_has_reviewer"):
        MonthlyReport.objects.filter(pk=november.pk).update(status=ReportStatus.APPROVED, reviewed_by=county_admin)
    MonthlyReport.objects.filter(pk=november.pk).update(
        status=ReportStatus.APPROVED, reviewed_by=county_admin, reviewed_at=timezone.now()
    )

    november.refresh_from_db()
    assert (november.status, november.reviewed_by) == (ReportStatus.APPROVED, county_admin)


@pytest.mark.django_db
def test_it_builds_submitted_and_approved_reports_that_satisfy_the_constraints(nanga_team):
    submitted = MonthlyReportFactory(team=nanga_team, submitted=True)
    approved = MonthlyReportFactory(team=nanga_team, month=datetime.date(2025, 12, 1), approved=True)

    assert MonthlyReport.objects.filter(status=ReportStatus.SUBMITTED, submitted_at__isnull=False).get() == submitted
    assert MonthlyReport.objects.filter(status=ReportStatus.APPROVED, reviewed_at__isnull=False).get() == approved
