"""The "story" of the statistics tests, shared by tests/test_api_stats.py and tests/test_exports.py: second half of
2025, pinned to 10 January 2026.

- 第九批 (to October 2025): the team of a region unit in 南嘎居委会 reports September and October.
- 第十批 (from November 2025): the 堆龙德庆区统计局 team in 南嘎居委会 and a region unit's team in another township
  of 堆龙德庆区 report November and December; a region unit's team in 比如县 reports December (its November report
  waits unapproved) and a prefecture unit's team in 城关区 reports December only (November missing).

P02 (组织召开宣讲大会) adds up over months; F04 (建档立卡贫困户) is each team's latest value in the period, summed over
teams; E04 (帮助群众增加现金收入) is money with cents. The expected figures are computed from the values written
(`Story.values`), never read back from the store.

A test module uses it by importing the fixtures: `from tests.stats_world import january_2026, story_fixture` (the
first is autouse: it pins the clock for every test of that module; the second gives the fixture `story`).
"""

import datetime
from decimal import Decimal

import pytest

from reports.completeness import completeness_rebuild
from reports.models import ReportValue
from reports.rollup import rebuild_batch
from reports.stats_cache import replace_stats_version
from teams.choices import UnitLevel
from tests.factories import (
    BatchFactory,
    DispatchingUnitFactory,
    IndicatorFactory,
    MonthlyReportFactory,
    WorkTeamFactory,
    make_team,
)

SEP, OCT, NOV, DEC = (datetime.date(2025, month, 1) for month in (9, 10, 11, 12))
H2_2025 = [datetime.date(2025, month, 1) for month in range(7, 13)]


@pytest.fixture(autouse=True)
def january_2026(time_machine):
    time_machine.move_to(datetime.datetime(2026, 1, 10, 10, 0, tzinfo=datetime.UTC), tick=False)


class Story:
    """The teams, units and approved values of the story, and the sums the tests expect."""

    def __init__(self, *, batch, nanga_team, doilungdeqen):
        self.batch10 = batch
        self.batch9 = BatchFactory(number=9)
        self.county_unit = nanga_team.unit  # 拉萨市堆龙德庆区统计局, a county unit
        self.region_unit = DispatchingUnitFactory(name="自治区党委组织部", level=UnitLevel.REGION)
        self.prefecture_unit = DispatchingUnitFactory(
            name="拉萨市委组织部", level=UnitLevel.PREFECTURE, area=doilungdeqen.parent
        )
        self.nanga_old = WorkTeamFactory(batch=self.batch9, village="540103001002", unit=self.region_unit)
        self.nanga = nanga_team
        self.other_township = WorkTeamFactory(batch=batch, within="540103002", unit=self.region_unit)
        self.biru = WorkTeamFactory(batch=batch, village="540622202218", unit=self.region_unit)
        # With members: the exports' team sheets name its leader.
        self.chengguan = make_team(batch=batch, within="540102", unit=self.prefecture_unit)
        # team → month → {indicator code: value}; approved unless listed in `pending`.
        self.values = {
            self.nanga_old: {SEP: {"P02": "4", "F04": "30", "E04": "100.50"}, OCT: {"P02": "6", "F04": "28"}},
            self.nanga: {
                NOV: {"P02": "3", "F04": "20", "E04": "1000.25"},
                DEC: {"P02": "5", "F04": "18", "E04": "0.50"},
            },
            # No F04 in December: its half-year figure is November's.
            self.other_township: {NOV: {"P02": "2", "F04": "10"}, DEC: {"P02": "1"}},
            self.biru: {NOV: {"P02": "999", "F04": "999"}, DEC: {"P02": "100", "F04": "500"}},
            self.chengguan: {DEC: {"P02": "7", "F04": "70"}},
        }
        self.pending = {(self.biru, NOV)}
        indicators = {code: IndicatorFactory(code=code) for code in ("P02", "F04", "E04")}
        for team, months in self.values.items():
            for month, values in months.items():
                if (team, month) in self.pending:
                    report = MonthlyReportFactory(team=team, month=month, submitted=True)
                else:
                    report = MonthlyReportFactory(team=team, month=month, approved=True)
                ReportValue.objects.bulk_create(
                    ReportValue(report=report, indicator=indicators[code], value=Decimal(value))
                    for code, value in values.items()
                )
        self.rebuild()

    def rebuild(self) -> None:
        rebuild_batch(self.batch9)
        rebuild_batch(self.batch10)
        completeness_rebuild()
        replace_stats_version()  # as the rollup jobs do: cached answers are stale now

    def team_value(self, team, code: str, months: list[datetime.date]) -> Decimal | None:
        """One team's figure from its approved values: a sum indicator adds up, F04 takes the latest; None if none."""
        approved = [
            (month, Decimal(values[code]))
            for month, values in sorted(self.values.get(team, {}).items())
            if month in months and code in values and (team, month) not in self.pending
        ]
        if not approved:
            return None
        return approved[-1][1] if code == "F04" else sum(value for _, value in approved)

    def expected(self, code: str, *, prefix: str, months: list[datetime.date], batch=None, unit=None) -> Decimal:
        """The figure of the teams under `prefix` (and of `batch`, `unit` if given): their team values added up."""
        total = Decimal(0)
        for team in self.values:
            if (
                not team.village_id.startswith(prefix)
                or (batch and team.batch != batch)
                or (unit and team.unit != unit)
            ):
                continue
            total += self.team_value(team, code, months) or 0
        return total

    def report_count(self, *, prefix: str, months: list[datetime.date], batch=None) -> tuple[int, int]:
        teams, reports = set(), 0
        for team, by_month in self.values.items():
            if not team.village_id.startswith(prefix) or (batch and team.batch != batch):
                continue
            for month in by_month:
                if month in months and (team, month) not in self.pending:
                    reports += 1
                    teams.add(team)
        return reports, len(teams)


@pytest.fixture(name="story")
def story_fixture(batch, nanga_team, doilungdeqen) -> Story:
    return Story(batch=batch, nanga_team=nanga_team, doilungdeqen=doilungdeqen)
