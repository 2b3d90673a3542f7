"""The rollup: approved report values → `Figure` rows for every area level, unit cut, batch and period.

One set-based SQL statement computes a batch (or a part of it): team figures per period (a sum over the
months, or the latest month's value, picked with ROW_NUMBER), then grouped by each area level (the code
prefix at 2/4/6/9/12 digits) and unit cut ("" all units, "u:<id>", "l:<level>", the unit cuts down to
county level), indicators folded into one JSON object per row. The same SQL serves SQLite (the demo) and
PostgreSQL; only the JSON functions differ.

- `rebuild_batch` replaces a batch's rows in one transaction (DELETE + INSERT … SELECT).
- `refresh_for_report` recomputes what one report touches: the periods containing its month, the rows of
  its county computed from source, then its prefecture and the region summed from their children rows.
  Recomputing from what is stored now, never adding deltas, makes it idempotent and order-free; a per-batch
  advisory lock on PostgreSQL serializes concurrent refreshes of one batch.
- `compare_batch` recomputes a batch without writing and lists the rows that differ from the store.
"""

import datetime
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from reports.choices import ReportStatus
from reports.models import Figure, MonthlyReport
from reports.periods import add_months, half_year_period, month_start, quarter_period, year_period
from teams.models import Batch, WorkTeam

AREA_LENGTHS = (2, 4, 6, 9, 12)
UNIT_CUT_MAX_LENGTH = 6  # unit and unit-level cuts exist for region, prefecture and county


@dataclass(frozen=True)
class PeriodKey:
    kind: str
    start: datetime.date
    end: datetime.date


def batch_periods(batch: Batch, *, today: datetime.date | None = None) -> list[PeriodKey]:
    """Every period a batch's reports can fall in: its months, the calendar quarters, halves and years they
    touch, and batch-to-date: from its first month to this month (or its last, once it is over)."""
    first, last = month_start(batch.start_date), month_start(batch.end_date)
    btd_end = min(last, month_start(today or timezone.localdate()))
    months, month = [], first
    while month <= last:
        months.append(month)
        month = add_months(month, 1)
    keys: dict[tuple, PeriodKey] = {}
    for month in months:
        keys[("month", month)] = PeriodKey(Figure.Kind.MONTH, month, month)
        for kind, period in (
            (Figure.Kind.QUARTER, quarter_period(month)),
            (Figure.Kind.HALF, half_year_period(month)),
            (Figure.Kind.YEAR, year_period(month)),
        ):
            keys[(kind, period.last)] = PeriodKey(kind, period.first, period.last)
    if btd_end >= first:
        keys[("btd", btd_end)] = PeriodKey(Figure.Kind.BATCH_TO_DATE, first, btd_end)
    return list(keys.values())


def periods_containing(batch: Batch, month: datetime.date) -> list[PeriodKey]:
    return [period for period in batch_periods(batch) if period.start <= month_start(month) <= period.end]


# -- the SQL ----------------------------------------------------------------------------------------------------


def _json_functions() -> tuple[str, str]:
    """(indicator object aggregate, empty object) for this database."""
    if connection.vendor == "postgresql":
        return (
            "jsonb_object_agg(f.indicator_id::text, jsonb_build_array(ROUND(f.value, 2)::text, f.reports))",
            "'{}'::jsonb",
        )
    return (
        "json_group_object(CAST(f.indicator_id AS TEXT), json_array(printf('%%.2f', f.value), f.reports))",
        "'{}'",
    )


def _figures_sql(*, periods: list[PeriodKey], team_prefix: str | None) -> str:
    """SELECT kind, period_start, period_end, area_code, area_level, unit_key, data, report_count, team_count
    for one batch, the given periods, and optionally only the teams under a code prefix.

    Team figures per period are computed once; villages group the teams, and every level above groups the
    level below (township ← villages, county ← townships ...), so the big team-level rows are read three
    times (all units, per unit, per unit level) instead of once per level and cut.
    """
    aggregate, empty = _json_functions()
    values = ", ".join(["(%s, %s, %s)"] * len(periods))
    team_filter = "AND t.village_id LIKE %s" if team_prefix else ""
    sql = f"""
WITH periods(kind, p_start, p_end) AS (VALUES {values}),
teams AS (
    SELECT t.id, t.village_id, 'u:' || CAST(t.unit_id AS TEXT) AS unit_cut, 'l:' || u.level AS level_cut
    FROM teams_workteam t JOIN teams_dispatchingunit u ON u.id = t.unit_id
    WHERE t.batch_id = %s {team_filter}
),
approved AS (
    SELECT r.id, r.team_id, r.month, t.village_id, t.unit_cut, t.level_cut
    FROM reports_monthlyreport r JOIN teams t ON t.id = r.team_id
    WHERE r.status = '{ReportStatus.APPROVED}'
),
sum_values AS (
    SELECT p.kind, p.p_start, p.p_end, v.indicator_id, SUM(v.value) AS value, COUNT(*) AS reports,
           a.village_id, a.unit_cut, a.level_cut
    FROM periods p
    JOIN approved a ON a.month >= p.p_start AND a.month <= p.p_end
    JOIN reports_reportvalue v ON v.report_id = a.id AND v.value IS NOT NULL
    -- Unary plus keeps SQLite off the indicator index: the reports (few, for one county) drive the join.
    JOIN reports_indicator i ON i.id = +v.indicator_id AND i.time_aggregation = 'sum'
    GROUP BY p.kind, p.p_start, p.p_end, a.team_id, v.indicator_id, a.village_id, a.unit_cut, a.level_cut
),
latest_ranked AS (
    SELECT p.kind, p.p_start, p.p_end, v.indicator_id, v.value, a.village_id, a.unit_cut, a.level_cut,
           ROW_NUMBER() OVER (PARTITION BY p.kind, p.p_end, a.team_id, v.indicator_id ORDER BY a.month DESC) AS rn
    FROM periods p
    JOIN approved a ON a.month >= p.p_start AND a.month <= p.p_end
    JOIN reports_reportvalue v ON v.report_id = a.id AND v.value IS NOT NULL
    JOIN reports_indicator i ON i.id = +v.indicator_id AND i.time_aggregation = 'latest'
),
-- A team's village, unit and unit level travel with its reports, so the per-indicator stream needs no join.
team_values AS (
    SELECT kind, p_start, p_end, indicator_id, value, reports, village_id, unit_cut, level_cut FROM sum_values
    UNION ALL
    SELECT kind, p_start, p_end, indicator_id, value, 1, village_id, unit_cut, level_cut
    FROM latest_ranked WHERE rn = 1
),
{_ladders("team_values", "indicator_id", "SUM(value) AS value, SUM(reports) AS reports")},
indicator_cuts AS ({_union("team_values", "indicator_id, value, reports")}),
folded AS (
    SELECT f.kind, f.p_end, f.area_code, f.unit_key, {aggregate} AS data
    FROM indicator_cuts f GROUP BY f.kind, f.p_end, f.area_code, f.unit_key
),
team_reports AS (
    SELECT p.kind, p.p_start, p.p_end, COUNT(*) AS report_count, 1 AS team_count, t.village_id, t.unit_cut,
           t.level_cut
    FROM periods p
    JOIN approved a ON a.month >= p.p_start AND a.month <= p.p_end
    JOIN teams t ON t.id = a.team_id
    GROUP BY p.kind, p.p_start, p.p_end, a.team_id, t.village_id, t.unit_cut, t.level_cut
),
{_ladders("team_reports", "", "SUM(report_count) AS report_count, SUM(team_count) AS team_count")},
counted AS ({_union("team_reports", "report_count, team_count")})
SELECT n.kind, n.p_start, n.p_end, n.area_code, LENGTH(n.area_code), n.unit_key, COALESCE(f.data, {empty}),
       n.report_count, n.team_count
FROM counted n
LEFT JOIN folded f ON f.kind = n.kind AND f.p_end = n.p_end AND f.area_code = n.area_code AND f.unit_key = n.unit_key
"""
    return sql


CUTS = (("all", "''", AREA_LENGTHS[::-1]), ("unit", "unit_cut", (6, 4, 2)), ("level", "level_cut", (6, 4, 2)))


def _ladders(base: str, by: str, sums: str) -> str:
    """For each cut, CTEs `<base>_<cut>_<length>`: the first groups the team rows by the code prefix at the
    longest length, each next one groups the previous one (a county from its townships, not its teams)."""
    ctes = []
    extra = f", {by}" if by else ""
    for cut, unit, lengths in CUTS:
        source, area = base, "village_id"
        for length in lengths:
            name = f"{base}_{cut}_{length}"
            # The all-units cut selects the constant: PostgreSQL wants every selected column grouped.
            unit_select = f"{unit} AS unit_key" if source == base or unit == "''" else "unit_key"
            unit_group = "" if unit == "''" else (f", {unit}" if source == base else ", unit_key")
            ctes.append(
                f"{name} AS (SELECT kind, p_start, p_end, SUBSTR({area}, 1, {length}) AS area_code, {unit_select}"
                f"{extra}, {sums} FROM {source} GROUP BY kind, p_start, p_end, SUBSTR({area}, 1, {length})"
                f"{unit_group}{extra})"
            )
            source, area = name, "area_code"
    return ",\n".join(ctes)


def _union(base: str, columns: str) -> str:
    names = [f"{base}_{cut}_{length}" for cut, _, lengths in CUTS for length in lengths]
    return " UNION ALL ".join(
        f"SELECT kind, p_start, p_end, area_code, unit_key, {columns} FROM {name}" for name in names
    )


def _params(batch: Batch, periods: list[PeriodKey], team_prefix: str | None) -> list:
    """The parameters of _figures_sql, in order: the periods, the batch, the team prefix."""
    sql_params = [value for period in periods for value in (period.kind, period.start, period.end)]
    sql_params.append(batch.pk)
    if team_prefix:
        sql_params.append(f"{team_prefix}%")
    return sql_params


def _decode(data) -> dict:
    return json.loads(data) if isinstance(data, str) else data


def fresh_rows(*, batch: Batch, periods: list[PeriodKey], team_prefix: str | None = None) -> Iterator[tuple]:
    """The figures as they should be now: (kind, start, end, area_code, area_level, unit_key, data,
    report_count, team_count), computed from the approved reports."""
    if not periods:
        return
    sql = _figures_sql(periods=periods, team_prefix=team_prefix)
    with connection.cursor() as cursor:
        cursor.execute(sql, _params(batch, periods, team_prefix))
        for kind, start, end, area, level, unit_key, data, reports, teams in cursor:
            yield (kind, _date(start), _date(end), area, level, unit_key, _decode(data), reports, teams)


def _date(value) -> datetime.date:
    return value if isinstance(value, datetime.date) else datetime.date.fromisoformat(str(value)[:10])


# -- writing ----------------------------------------------------------------------------------------------------


def _lock_batch(batch: Batch) -> None:
    """Serialize rollup writes of one batch (PostgreSQL; SQLite serializes all writers anyway)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [0x5A48, batch.pk])


def rebuild_batch(batch: Batch, *, progress: Callable[[int, int], None] | None = None) -> int:
    """Replace all figures of a batch with a fresh computation, one period kind at a time (each in its own
    transaction, so readers never see a kind half-written). Batch-to-date rows of an earlier month end are
    dropped: the one row runs to this month. Returns the number of rows written."""
    periods = batch_periods(batch)
    kinds = [kind for kind in Figure.Kind.values if any(period.kind == kind for period in periods)]
    written = 0
    for step, kind in enumerate(kinds, start=1):
        chosen = [period for period in periods if period.kind == kind]
        select = _figures_sql(periods=chosen, team_prefix=None)
        with transaction.atomic():
            _lock_batch(batch)
            Figure.objects.filter(batch=batch, kind=kind).delete()
            with connection.cursor() as cursor:
                cursor.execute(
                    "INSERT INTO reports_figure (kind, period_start, period_end, area_code, area_level, unit_key, "
                    "data, report_count, team_count, batch_id, computed_at) "
                    f"SELECT q.*, %s, %s FROM ({select}) q",
                    # Placeholders bind in textual order: the outer two come before the subquery's.
                    [batch.pk, timezone.now(), *_params(batch, chosen, None)],
                )
                written += cursor.rowcount
        if progress:
            progress(step, len(kinds))
    return written


def _sum_rows(rows: list[Figure]) -> tuple[dict, int, int]:
    totals: dict[str, list] = {}
    for row in rows:
        for key, (value, reports) in row.data.items():
            total = totals.setdefault(key, [Decimal(0), 0])
            total[0] += Decimal(value)
            total[1] += reports
    data = {key: [f"{value:.2f}", reports] for key, (value, reports) in sorted(totals.items(), key=lambda i: int(i[0]))}
    return data, sum(row.report_count for row in rows), sum(row.team_count for row in rows)


def _replace(batch: Batch, period: PeriodKey, area_code: str, unit_key: str, data, reports: int, teams: int) -> None:
    key = {"batch": batch, "kind": period.kind, "period_end": period.end, "area_code": area_code, "unit_key": unit_key}
    if not teams:
        Figure.objects.filter(**key).delete()
        return
    Figure.objects.update_or_create(
        **key,
        defaults={
            "period_start": period.start,
            "area_level": len(area_code),
            "data": data,
            "report_count": reports,
            "team_count": teams,
            "computed_at": timezone.now(),
        },
    )


@transaction.atomic
def refresh_for_report(report: MonthlyReport) -> int:
    """Recompute every figure one report touches: for each period containing its month, the village,
    township and county of its team (from the source: the county's teams), then the prefecture and the
    region (from their children rows); in the all-units cut and the team's unit and unit-level cuts.
    Returns the number of rows written or removed."""
    team = WorkTeam.objects.select_related("batch", "unit").get(pk=report.team_id)
    batch, village = team.batch, team.village_id
    cuts = ("", f"u:{team.unit_id}", f"l:{team.unit.level}")
    below = [(village, ""), (village[:9], ""), (village[:6], ""), (village[:6], cuts[1]), (village[:6], cuts[2])]
    _lock_batch(batch)
    touched = 0
    for period in periods_containing(batch, report.month):
        fresh = {
            (row[3], row[5]): row
            for row in fresh_rows(batch=batch, periods=[period], team_prefix=village[:6])
            if (row[3], row[5]) in below
        }
        for area_code, unit_key in below:
            row = fresh.get((area_code, unit_key))
            _replace(batch, period, area_code, unit_key, *(row[6:9] if row else ({}, 0, 0)))
            touched += 1
        for parent, child_length in ((village[:4], 6), (village[:2], 4)):
            for unit_key in cuts:
                children = Figure.objects.filter(
                    batch=batch,
                    kind=period.kind,
                    period_end=period.end,
                    unit_key=unit_key,
                    area_level=child_length,
                    area_code__startswith=parent,
                )
                _replace(batch, period, parent, unit_key, *_sum_rows(list(children)))
                touched += 1
    return touched


# -- checking ---------------------------------------------------------------------------------------------------


@dataclass
class Difference:
    batch: int
    kind: str
    period_end: str
    area_code: str
    unit_key: str
    stored: dict | None
    fresh: dict | None

    def as_dict(self) -> dict:
        return self.__dict__


def compare_batch(batch: Batch) -> tuple[int, list[Difference]]:
    """Recompute the batch period by period and compare with the store. Returns (rows checked, differences)."""
    checked, differences = 0, []
    for period in batch_periods(batch):
        fresh = {
            (row[3], row[5]): {"data": row[6], "reports": row[7], "teams": row[8]}
            for row in fresh_rows(batch=batch, periods=[period])
        }
        stored = {
            (row.area_code, row.unit_key): {"data": row.data, "reports": row.report_count, "teams": row.team_count}
            for row in Figure.objects.filter(batch=batch, kind=period.kind, period_end=period.end)
        }
        if period.kind == Figure.Kind.BATCH_TO_DATE and not stored:
            continue  # a new month: batch-to-date is rolled forward by the rebuild that follows, not a bug
        for key in set(fresh) | set(stored):
            checked += 1
            if _normal(fresh.get(key)) != _normal(stored.get(key)):
                differences.append(
                    Difference(batch.pk, period.kind, str(period.end), key[0], key[1], stored.get(key), fresh.get(key))
                )
    return checked, differences


def _normal(row: dict | None) -> tuple | None:
    """Compare values as decimals (JSON text may say 1.5 or 1.50)."""
    if row is None:
        return None
    data = {key: (Decimal(str(value)), int(reports)) for key, (value, reports) in row["data"].items()}
    return data, row["reports"], row["teams"]


def statistics_check_and_rebuild(*, progress: Callable[[str], None] | None = None) -> dict:
    """The nightly job: compare every batch with a fresh computation, record the differences, rebuild the
    store (which also rolls batch-to-date forward) and the completeness."""
    from reports.completeness import completeness_rebuild
    from reports.models import FigureCheck

    check = FigureCheck.objects.create(started_at=timezone.now())
    checked, differences = 0, []
    for batch in Batch.objects.order_by("number"):
        rows, found = compare_batch(batch)
        checked += rows
        differences += found
        written = rebuild_batch(batch)
        if progress:
            progress(f"{batch}: 核对 {rows} 行，差异 {len(found)}，重算写入 {written} 行")
    completeness = completeness_rebuild()
    check.finished_at = timezone.now()
    check.rows_checked = checked
    check.differences = len(differences)
    check.details = [difference.as_dict() for difference in differences[:100]]
    check.repaired = True
    check.save()
    return {"checked": checked, "differences": len(differences), "completeness_rows": completeness}
