"""The rollup against an independent computation: a seeded random world of two batches, three units of two levels,
teams in two prefectures, reports approved, submitted, returned and reopened, values sometimes left empty. Every
stored figure (every period, area level and cut) and every village figure equals what plain Python adds up from
the reports; after reports change, refreshing them gives what a rebuild gives."""

import datetime
import random
from collections import defaultdict
from decimal import Decimal

import pytest
from django.db.models import F

from reports.choices import ReportStatus
from reports.completeness import completeness_rebuild, completeness_refresh
from reports.models import Completeness, Figure, MonthlyReport, ReportValue
from reports.periods import add_months
from reports.rollup import (
    batch_periods,
    compare_batch,
    periods_containing,
    rebuild_batch,
    refresh_for_report,
    village_figures,
)
from teams.choices import UnitLevel
from tests.factories import BatchFactory, DispatchingUnitFactory, IndicatorFactory, MonthlyReportFactory, make_team
from villages.models import Area

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 3, 20)


@pytest.fixture
def world(batch, time_machine):
    time_machine.move_to(datetime.datetime(2026, 3, 20, 12, 0), tick=False)
    rng = random.Random(20261130)
    batch9 = BatchFactory(number=9, start_date=datetime.date(2024, 11, 1), end_date=datetime.date(2025, 10, 31))
    units = [
        DispatchingUnitFactory(name="区直单位甲", level=UnitLevel.REGION),
        DispatchingUnitFactory(name="区直单位乙", level=UnitLevel.REGION),
        DispatchingUnitFactory(name="县直单位丙", level=UnitLevel.COUNTY),
    ]
    indicators = [IndicatorFactory(code=code) for code in ("P02", "P03", "F04", "F05")]  # F04, F05: latest
    # Villages in two townships of 堆龙德庆区, one of 城关区 and one of 比如县 (another prefecture).
    villages = []
    for township in ("540103001", "540103100", "540102001", "540622202"):
        villages += list(Area.objects.filter(parent_id=township).order_by("code").values_list("code", flat=True)[:3])
    teams = []
    for each_batch, months in ((batch9, 12), (batch, 5)):
        for village in villages:
            team = make_team(village=village, batch=each_batch, unit=rng.choice(units), members=1)
            teams.append(team)
            month = each_batch.start_date
            for _ in range(months):
                status = rng.choice([ReportStatus.APPROVED] * 5 + [ReportStatus.SUBMITTED, ReportStatus.RETURNED])
                traits = {"approved": True} if status == ReportStatus.APPROVED else {"submitted": True}
                report = MonthlyReportFactory(team=team, month=month, **traits)
                if status == ReportStatus.RETURNED:
                    MonthlyReport.objects.filter(pk=report.pk).update(status=status)
                for indicator in indicators:
                    if rng.random() < 0.85:
                        value = Decimal(rng.randint(0, 5000)) / (100 if indicator.code == "P03" else 1)
                        ReportValue.objects.create(report=report, indicator=indicator, value=value)
                month = add_months(month, 1)
    return {"batches": [batch9, batch], "teams": teams, "indicators": indicators, "rng": rng}


def expected(batch) -> dict:
    """Every figure of a batch, by (kind, period end, area, unit cut), added up in plain Python."""
    reports = list(
        MonthlyReport.objects.filter(team__batch=batch, status=ReportStatus.APPROVED).select_related(
            "team", "team__unit"
        )
    )
    values = defaultdict(dict)
    for report_id, indicator_id, value, aggregation in ReportValue.objects.filter(
        report__in=reports, value__isnull=False
    ).values_list("report_id", "indicator_id", "value", "indicator__time_aggregation"):
        values[report_id][indicator_id] = (value, aggregation)
    figures = {}
    for period in batch_periods(batch):
        per_team = defaultdict(list)
        for report in reports:
            if period.start <= report.month <= period.end:
                per_team[report.team].append(report)
        for team, team_reports in per_team.items():
            data = {}
            for report in sorted(team_reports, key=lambda r: r.month):
                for indicator_id, (value, aggregation) in values[report.id].items():
                    if aggregation == "latest":
                        data[indicator_id] = (value, 1)  # a later month overwrites
                    else:
                        total, count = data.get(indicator_id, (Decimal(0), 0))
                        data[indicator_id] = (total + value, count + 1)
            code = team.village_id
            keys = [(code[:length], "") for length in (9, 6, 4, 2)]
            keys += [(code[:6], f"u:{team.unit_id}")]
            keys += [(code[:length], f"l:{team.unit.level}") for length in (6, 4, 2)]
            for area, unit_key in keys:
                entry = figures.setdefault(
                    (period.kind, period.end, area, unit_key), {"data": {}, "reports": 0, "teams": 0}
                )
                entry["reports"] += len(team_reports)
                entry["teams"] += 1
                for indicator_id, (value, count) in data.items():
                    total, counted = entry["data"].get(indicator_id, (Decimal(0), 0))
                    entry["data"][indicator_id] = (total + value, counted + count)
    return figures


def stored(batch) -> dict:
    return {
        (row.kind, row.period_end, row.area_code, row.unit_key): {
            "data": {int(key): (Decimal(value), reports) for key, (value, reports) in row.data.items()},
            "reports": row.report_count,
            "teams": row.team_count,
        }
        for row in Figure.objects.filter(batch=batch)
    }


def assert_store_is_right(batch) -> None:
    want, have = expected(batch), stored(batch)
    assert set(have) == set(want)
    for key in want:
        assert have[key] == want[key], key


def test_every_stored_figure_equals_the_independent_computation(world):
    for batch in world["batches"]:
        rebuild_batch(batch)
    for batch in world["batches"]:
        assert_store_is_right(batch)
    kinds = {key[0] for key in stored(world["batches"][0])}
    assert kinds == {"month", "quarter", "half", "year", "btd"}


def test_village_figures_equal_the_independent_computation(world):
    for batch in world["batches"]:
        for period in batch_periods(batch):
            want = {
                key[2]: value
                for key, value in expected_villages(batch, period).items()
                if key[0] == period.kind and key[1] == period.end
            }
            have = {}
            for row in village_figures(prefix="54", batch=batch, kind=period.kind, start=period.start, end=period.end):
                have[row.area_code] = {
                    "data": {int(key): (Decimal(value), reports) for key, (value, reports) in row.data.items()},
                    "reports": row.report_count,
                    "teams": row.team_count,
                }
            assert have == want, period


def expected_villages(batch, period) -> dict:
    """The village level of `expected`: a village is its one team of the batch."""
    result = {}
    for team in batch.teams.all():
        reports = MonthlyReport.objects.filter(
            team=team, status=ReportStatus.APPROVED, month__gte=period.start, month__lte=period.end
        ).order_by("month")
        if not reports:
            continue
        data = {}
        for report in reports:
            for indicator_id, value, aggregation in report.values.filter(value__isnull=False).values_list(
                "indicator_id", "value", "indicator__time_aggregation"
            ):
                if aggregation == "latest":
                    data[indicator_id] = (value, 1)
                else:
                    total, count = data.get(indicator_id, (Decimal(0), 0))
                    data[indicator_id] = (total + value, count + 1)
        result[(period.kind, period.end, team.village_id)] = {"data": data, "reports": len(reports), "teams": 1}
    return result


def test_refreshing_changed_reports_gives_what_a_rebuild_gives(world):
    batch = world["batches"][1]
    rebuild_batch(batch)
    rng = world["rng"]
    reports = list(MonthlyReport.objects.filter(team__batch=batch).order_by("pk"))
    for report in rng.sample(reports, 12):
        # Approve what was not approved; return or reopen what was.
        new_status = ReportStatus.APPROVED if report.status != ReportStatus.APPROVED else ReportStatus.RETURNED
        reviewed = {"reviewed_at": F("submitted_at"), "reviewed_by": F("submitted_by")}
        MonthlyReport.objects.filter(pk=report.pk).update(status=new_status, **reviewed)
        refresh_for_report(MonthlyReport.objects.get(pk=report.pk))
        refresh_for_report(MonthlyReport.objects.get(pk=report.pk))  # twice: idempotent
    assert_store_is_right(batch)
    assert compare_batch(batch)[1] == []


def test_refreshing_the_completeness_of_changed_reports_gives_what_a_rebuild_gives(world):
    batch = world["batches"][1]
    completeness_rebuild()
    rng = world["rng"]
    for report in rng.sample(list(MonthlyReport.objects.filter(team__batch=batch).order_by("pk")), 8):
        new_status = ReportStatus.APPROVED if report.status != ReportStatus.APPROVED else ReportStatus.DRAFT
        changed = {"reviewed_at": F("submitted_at"), "reviewed_by": F("submitted_by")}
        if new_status == ReportStatus.DRAFT:
            changed = {"submitted_at": None, "submitted_by": None, "reviewed_at": None, "reviewed_by": None}
        MonthlyReport.objects.filter(pk=report.pk).update(status=new_status, **changed)
        completeness_refresh(report.month, village=report.team.village_id)

    def rows(month):
        return {
            row.area_code: (row.expected, row.submitted, row.approved, row.late, row.missing)
            for row in Completeness.objects.filter(month=month)
        }

    months = sorted(set(MonthlyReport.objects.filter(team__batch=batch).values_list("month", flat=True)))
    stored = {month: rows(month) for month in months}
    completeness_rebuild()
    assert stored == {month: rows(month) for month in months}


def test_rebuilding_one_month_writes_exactly_its_periods_as_a_full_rebuild_would(world):
    batch = world["batches"][0]
    month = datetime.date(2025, 5, 1)

    rebuild_batch(batch, month=month)

    touched = {(period.kind, period.end) for period in periods_containing(batch, month)}
    want = {key: value for key, value in expected(batch).items() if key[:2] in touched}
    assert stored(batch) == want and {key[0] for key in want} == {"month", "quarter", "half", "year", "btd"}


def test_an_approval_rewrites_exactly_the_figures_it_touches(world, time_machine):
    batch = world["batches"][1]
    rebuild_batch(batch)
    report = MonthlyReport.objects.filter(team__batch=batch).exclude(status=ReportStatus.APPROVED).first()
    before = {
        (row.kind, row.period_end, row.area_code, row.unit_key): row.computed_at
        for row in Figure.objects.filter(batch=batch)
    }
    time_machine.shift(datetime.timedelta(minutes=5))
    changed = {"reviewed_at": F("submitted_at"), "reviewed_by": F("submitted_by")}
    MonthlyReport.objects.filter(pk=report.pk).update(status=ReportStatus.APPROVED, **changed)

    refresh_for_report(MonthlyReport.objects.get(pk=report.pk))

    rewritten = {
        (row.kind, row.period_end, row.area_code, row.unit_key)
        for row in Figure.objects.filter(batch=batch)
        if before.get((row.kind, row.period_end, row.area_code, row.unit_key)) != row.computed_at
    }
    team, village = report.team, report.team.village_id
    cuts = {(village[:9], ""), (village[:6], ""), (village[:4], ""), (village[:2], "")}
    cuts |= {(village[:6], f"u:{team.unit_id}")}
    cuts |= {(village[:length], f"l:{team.unit.level}") for length in (6, 4, 2)}
    periods = {(period.kind, period.end) for period in periods_containing(batch, report.month)}
    assert rewritten == {(kind, end, area, unit) for kind, end in periods for area, unit in cuts}
    assert_store_is_right(batch)
