"""The rollup against hand-built reports: sums, latest values, only approved reports, every level and cut."""

import datetime
from decimal import Decimal

import pytest

from reports.choices import ReportStatus
from reports.models import Figure, MonthlyReport, ReportValue
from reports.rollup import batch_periods, compare_batch, rebuild_batch, refresh_for_report, village_figures
from teams.choices import UnitLevel
from tests.factories import DispatchingUnitFactory, IndicatorFactory, MonthlyReportFactory, make_team

pytestmark = pytest.mark.django_db
JAN, FEB, MAR = datetime.date(2026, 1, 1), datetime.date(2026, 2, 1), datetime.date(2026, 3, 1)


@pytest.fixture
def world(batch, nanga, naipu):
    """Two teams of 第十批: 南嘎 (堆龙德庆区, a region unit) and 耐普村 (比如县, a county unit)."""
    region_unit = DispatchingUnitFactory(name="区直单位甲", level=UnitLevel.REGION)
    county_unit = DispatchingUnitFactory(name="比如县农业农村局", level=UnitLevel.COUNTY)
    nanga_team = make_team(village=nanga, batch=batch, unit=region_unit, members=1)
    naipu_team = make_team(village=naipu, batch=batch, unit=county_unit, members=1)
    p02, f04 = IndicatorFactory(code="P02"), IndicatorFactory(code="F04")  # sum; latest (建档立卡贫困户)

    def report(team, month, status=ReportStatus.APPROVED, **values):
        traits = {"approved": True} if status == ReportStatus.APPROVED else {"submitted": True}
        made = MonthlyReportFactory(team=team, month=month, **traits)
        for code, value in values.items():
            ReportValue.objects.create(report=made, indicator={"P02": p02, "F04": f04}[code], value=Decimal(value))
        return made

    report(nanga_team, JAN, P02=2, F04=30)
    report(nanga_team, FEB, P02=3, F04=28)
    report(naipu_team, JAN, P02=5, F04=10)
    pending = report(naipu_team, FEB, status=ReportStatus.SUBMITTED, P02=100, F04=99)  # not approved: not counted
    return {"batch": batch, "p02": p02, "f04": f04, "nanga": nanga_team, "naipu": naipu_team, "pending": pending}


def figure(world, kind: str, end: datetime.date, area: str, unit_key: str = "") -> Figure | None:
    return Figure.objects.filter(
        batch=world["batch"], kind=kind, period_end=end, area_code=area, unit_key=unit_key
    ).first()


def value(row: Figure, indicator) -> Decimal:
    return Decimal(row.data[str(indicator.pk)][0])


def test_it_adds_sums_and_takes_each_teams_latest_value_over_a_quarter(world):
    rebuild_batch(world["batch"])

    region = figure(world, "quarter", MAR, "54")
    # P02 sums every approved month: 2 + 3 (南嘎) + 5 (耐普); the submitted February (100) does not count.
    assert value(region, world["p02"]) == Decimal(10)
    # F04 takes each team's latest approved month: 28 (南嘎, February) + 10 (耐普, January).
    assert value(region, world["f04"]) == Decimal(38)
    assert (region.report_count, region.team_count) == (3, 2)


def test_it_rolls_up_every_area_level(world):
    rebuild_batch(world["batch"])

    for area in ("540103001", "540103", "5401"):
        row = figure(world, "month", FEB, area)
        assert (value(row, world["p02"]), value(row, world["f04"]), row.team_count) == (3, 28, 1), area
    # Villages are not copied into the store: they are their team's reports, added up when read.
    assert figure(world, "month", FEB, "540103001002") is None
    [village] = village_figures(prefix="540103001", batch=world["batch"], kind="month", start=FEB, end=FEB)
    assert (village.area_code, value(village, world["p02"]), value(village, world["f04"])) == ("540103001002", 3, 28)
    assert figure(world, "month", FEB, "540622") is None  # 耐普's February is only submitted
    january = figure(world, "month", JAN, "54")
    assert (value(january, world["p02"]), january.report_count) == (Decimal(7), 2)


def test_it_cuts_by_unit_at_county_level_and_unit_level_down_to_the_county(world):
    rebuild_batch(world["batch"])

    nanga_unit = f"u:{world['nanga'].unit_id}"
    assert value(figure(world, "quarter", MAR, "540103", nanga_unit), world["p02"]) == Decimal(5)
    # A unit is stored per county; its prefecture and region figures are the sum of its counties when read.
    assert figure(world, "quarter", MAR, "54", nanga_unit) is None
    assert figure(world, "quarter", MAR, "540622", nanga_unit) is None
    assert value(figure(world, "quarter", MAR, "54", "l:county"), world["p02"]) == Decimal(5)
    assert figure(world, "quarter", MAR, "540103001", nanga_unit) is None  # no unit cut below the county


def test_it_counts_a_report_after_its_approval_exactly_as_a_rebuild_would(world, county_admin):
    rebuild_batch(world["batch"])
    pending = world["pending"]
    MonthlyReport.objects.filter(pk=pending.pk).update(status=ReportStatus.APPROVED, reviewed_at=pending.submitted_at)

    refresh_for_report(MonthlyReport.objects.get(pk=pending.pk))

    assert value(figure(world, "quarter", MAR, "54"), world["p02"]) == Decimal(110)
    assert value(figure(world, "quarter", MAR, "54"), world["f04"]) == Decimal(28 + 99)
    checked, differences = compare_batch(world["batch"])
    assert checked > 0 and differences == []


def test_it_drops_the_figures_of_a_report_that_is_reopened(world):
    rebuild_batch(world["batch"])
    february = MonthlyReport.objects.get(team=world["nanga"], month=FEB)
    MonthlyReport.objects.filter(pk=february.pk).update(status=ReportStatus.RETURNED)

    refresh_for_report(february)

    assert figure(world, "month", FEB, "540103") is None
    assert value(figure(world, "quarter", MAR, "54"), world["f04"]) == Decimal(30 + 10)  # back to January's 30
    assert compare_batch(world["batch"])[1] == []


def test_it_finds_a_figure_that_was_tampered_with(world):
    rebuild_batch(world["batch"])
    row = figure(world, "half", datetime.date(2026, 6, 1), "5401")
    row.data[str(world["p02"].pk)][0] = "999.00"
    row.save(update_fields=["data"])

    _, differences = compare_batch(world["batch"])

    assert [(d.kind, d.area_code, d.unit_key) for d in differences] == [("half", "5401", "")]


def test_it_lists_the_periods_of_a_batch(batch):
    kinds = {}
    for period in batch_periods(batch, today=datetime.date(2026, 3, 17)):
        kinds.setdefault(period.kind, []).append(period)
    assert len(kinds["month"]) == 12
    assert [(p.start, p.end) for p in kinds["btd"]] == [(datetime.date(2025, 11, 1), MAR)]
    assert batch_periods(batch, today=datetime.date(2027, 5, 1))[-1].end == datetime.date(2026, 10, 1)
    assert [p.end for p in kinds["half"]] == [
        datetime.date(2025, 12, 1),
        datetime.date(2026, 6, 1),
        datetime.date(2026, 12, 1),
    ]


@pytest.mark.django_db(transaction=True)
def test_it_updates_the_figures_when_the_county_approves_a_report(geography_transactional, county_admin):
    """The whole path: approval → on_commit → the statistics job (in-process here, the worker in CI)."""
    from reports.workflow import report_approve
    from tests.factories import BatchFactory

    batch = BatchFactory(number=10, start_date=datetime.date(2025, 11, 1), end_date=datetime.date(2026, 10, 31))
    team = make_team(village="540103001002", batch=batch, members=1)
    report = MonthlyReportFactory(team=team, month=JAN, submitted=True)
    ReportValue.objects.create(report=report, indicator=IndicatorFactory(code="P02"), value=Decimal(4))

    report_approve(actor=county_admin, report=report)

    _wait_for(lambda: Figure.objects.filter(kind="month", period_end=JAN, area_code="54", unit_key="").exists())
    row = Figure.objects.get(kind="month", period_end=JAN, area_code="54", unit_key="")
    assert row.data[str(IndicatorFactory(code="P02").pk)][0] in ("4.00", "4")
    from reports.models import Completeness

    assert Completeness.objects.get(month=JAN, area_code="540103").approved == 1


def _wait_for(condition, seconds: float = 60) -> None:
    """In-process the job has run already; with a real worker (CI) it takes a moment."""
    import time

    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the statistics job did not run"
        time.sleep(0.2)


def test_it_rebuilds_with_the_command_and_reports_a_summary(world, capsys):
    from django.core.management import call_command

    call_command("rollup_rebuild", "--batch", "10")

    out = capsys.readouterr().out
    assert "统计重算完成：1 个批次" in out
    assert Figure.objects.filter(batch=world["batch"]).exists()


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_the_worker_updates_the_stats_api_after_an_approval_through_the_api(geography_transactional, county_admin):
    """CI: the county admin approves through the API; the job goes through Redis to the real worker, which writes
    the figures; the statistics API then answers with them (and says when they were computed)."""
    from rest_framework.test import APIClient

    from tests.factories import BatchFactory

    batch = BatchFactory(number=10, start_date=datetime.date(2025, 11, 1), end_date=datetime.date(2026, 10, 31))
    team = make_team(village="540103001002", batch=batch, members=1)
    report = MonthlyReportFactory(team=team, month=JAN, submitted=True)
    ReportValue.objects.create(report=report, indicator=IndicatorFactory(code="P02"), value=Decimal("17"))
    client = APIClient()
    client.force_login(county_admin)

    approved = client.post(f"/api/v1/monthly-reports/{report.pk}/approve/", {"comment": "同意"}, format="json")
    assert approved.status_code == 200, approved.content

    def answered() -> dict | None:
        body = client.get("/api/v1/stats/totals/", {"kind": "month", "period": "2026-01", "batch": batch.pk}).json()
        figures = {item["code"]: item for group in body["categories"] for item in group["indicators"]}
        return body if figures.get("P02", {}).get("value") == "17" else None

    _wait_for(lambda: answered() is not None)
    body = answered()
    assert body["area"]["code"] == "540103" and body["freshness"]["computed_at"]


def test_it_rebuilds_one_month_with_the_command(world, capsys):
    from django.core.management import call_command

    call_command("rollup_rebuild", "--month", "2026-02")

    assert "统计重算完成：1 个批次" in capsys.readouterr().out
    assert set(Figure.objects.filter(batch=world["batch"]).values_list("kind", "period_end").distinct()) == {
        ("month", FEB),
        ("quarter", MAR),
        ("half", datetime.date(2026, 6, 1)),
        ("year", datetime.date(2026, 12, 1)),
        ("btd", Figure.objects.get(kind="btd", area_code="54", unit_key="").period_end),
    }
