"""The rollup: approved report values → `Figure` rows for every area level, unit cut, batch and period.

What is stored, per batch and period (month, quarter, half-year, year, batch-to-date):
- all units: every township, county, prefecture and the region (area codes of 9, 6, 4 and 2 digits);
- each dispatching unit per county ("u:<id>"); a unit's prefecture and region figures are the sums of its
  counties, added up when read (reports/stats.py);
- each unit level ("l:<level>") per county, prefecture and region.
A village is not stored: it has one team per batch, so its figure is that team's approved reports, added up
when read (`village_figures`, two queries for a whole township).

How: a pipeline of set-based statements over temporary tables (see `_Pipeline`): every report value is read
once; calendar periods are chained (quarter from months, half from quarters, year from halves); "latest"
indicators take each team's value whose next approved value lies beyond the period; each area level is grouped
from the one below; all grouping on integers (values as cents). The same SQL serves SQLite (the demo) and
PostgreSQL; only the JSON functions and a few casts differ.

- `rebuild_batch` replaces a batch's rows in one transaction (DELETE + INSERT … SELECT).
- `refresh_for_report` recomputes what one report touches, in the periods containing its month: its township
  and its unit in the county from the source (those teams' reports only), then the county, the unit's level in
  the county, the prefecture and the region summed from the stored rows below them. Recomputing from what is
  stored now, never adding deltas, makes it idempotent and order-free; a per-batch advisory lock on PostgreSQL
  serializes concurrent writers of one batch.
- `compare_batch` recomputes a batch without writing and lists the rows that differ from the store.
"""

import datetime
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from reports.choices import ReportStatus
from reports.models import Figure, MonthlyReport, ReportValue
from reports.periods import add_months, half_year_period, month_start, quarter_period, year_period
from teams.models import Batch, WorkTeam

AREA_LENGTHS = (2, 4, 6, 9, 12)
UNIT_CUT_MAX_LENGTH = 6  # unit and unit-level cuts exist for region, prefecture and county
UNIT_LENGTH = 6  # stored unit cuts: per county (above it, the sum of the unit's counties)


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


def _cents(column: str) -> str:
    """A report value as a whole number of cents (values have two decimal places): integer sums are exact and
    several times faster than decimal ones. A figure must stay below 9.2 × 10^16 yuan."""
    if connection.vendor == "postgresql":
        return f"CAST({column} * 100 AS BIGINT)"
    return f"CAST(ROUND({column} * 100) AS INTEGER)"


def _of_aggregation(aggregation: str) -> str:
    """A join condition on the report value `v`: its indicator adds up over time ("sum") or takes the latest.
    On SQLite the unary plus keeps the planner off the indicator index (the reports drive the join); PostgreSQL
    then reads the values of the batch's reports through the (report, indicator) index."""
    if connection.vendor == "postgresql":
        return f"v.indicator_id IN (SELECT id FROM reports_indicator WHERE time_aggregation = '{aggregation}')"
    return f"+v.indicator_id IN (SELECT id FROM reports_indicator WHERE time_aggregation = '{aggregation}')"


def _bigint(expression: str) -> str:
    """PostgreSQL sums integers into numeric; cast back so that the next stage sums integers again."""
    return f"CAST({expression} AS BIGINT)" if connection.vendor == "postgresql" else expression


def _json_functions() -> tuple[str, str]:
    """(indicator object aggregate over cells `c` holding cents, the object for no cell) for this database: the
    same text on both, {"<indicator id>": ["<value with two decimals>", <values counted>], ...}."""
    if connection.vendor == "postgresql":
        # Concatenated as text and parsed once per row: building it with jsonb functions member by member costs
        # several times more (a batch folds some four million cells). Cents times 0.01 prints two decimals.
        return (
            "CAST('{' || STRING_AGG('\"' || c.ind || '\":[\"' || (CAST(c.value AS NUMERIC) * 0.01) "
            "|| '\",' || c.n || ']', ',') || '}' AS JSONB)",
            "'{}'::jsonb",
        )
    return (
        "json_group_object(CAST(c.ind AS TEXT), json_array("
        "CAST(c.value / 100 AS TEXT) || '.' || SUBSTR('0' || CAST(ABS(c.value) % 100 AS TEXT), -2), c.n))",
        "'{}'",
    )


# -- the pipeline -----------------------------------------------------------------------------------------------
#
# A batch (or the teams under a code prefix) is computed by set-based statements into temporary tables (`zr_*`,
# private to the connection, dropped at the end), each reading the one before:
#
#   zr_pkey    the periods, numbered (`pid`); zr_period: one row per (period, month it contains)
#   zr_team    the batch's teams; zr_area numbers every area code at every level (zr_code maps them back), so that
#              all grouping is on integers; two groupings of the teams: by township (`t`, for the all-units
#              figures) and by county and unit (`u`, for the unit figures)
#   zr_rep     the approved reports with both groups and the month of the team's next approved report (LEAD)
#   zr_gm_x    "sum" indicators per group and month: a pass over the batch's values (through the index)
#   zr_gp_x    every period per group: "sum" indicators chained month → quarter → half → year (each from the one
#              before, never from the values again) and batch-to-date; "latest" indicators (zr_lt) as each team's
#              value whose next approved value lies beyond the period (or is absent), added up per group
#   zr_gn_x    reports and teams per group and period (a team counts once: its last report in the period)
#   zr_c_*     cells (period, area, unit cut, indicator) of each coarser level and cut, each from the finer (a
#              county from its townships), unit levels from units; the finest are the groups' own tables;
#   zr_n_*     the same for the counts
#
# Each level's cells are then folded into one JSON object per row.

Q_KINDS = ("quarter", "half", "year")


class _Pipeline:
    def __init__(
        self,
        batch: Batch,
        periods: list[PeriodKey],
        *,
        prefix: str | None,
        levels: tuple[int, ...],
        only: tuple[str, int] | None = None,
    ):
        """`only` = (code, unit id): of the teams under the prefix, only those under the code or of the unit, and
        only the finest cuts (townships, units per county): a refresh recomputes one township and one unit in a
        county from the reports and sums the rest from stored rows."""
        self.batch, self.periods, self.prefix, self.only = batch, periods, prefix, only
        # Chaining needs every period a calendar period nests: only when computing all of the batch's.
        self.chained = set(periods) >= set(batch_periods(batch))
        self.all_lengths = tuple(sorted((length for length in levels if length in AREA_LENGTHS), reverse=True))
        self.level_lengths = tuple(length for length in (6, 4, 2) if length in levels and UNIT_LENGTH in levels)
        self.lengths = tuple(sorted(set(self.all_lengths) | set(self.level_lengths), reverse=True))
        self.first = self.lengths[0]
        if not self.level_lengths:
            self.groupings: tuple[str, ...] = ("t",)
        else:
            self.groupings = ("t", "u") if only else ("t", "u", "l")
        self.tables: list[str] = []
        self._cut_tables: list[_CutTables] = []

    @staticmethod
    def _on_commit() -> str:
        """PostgreSQL drops the tables when the transaction ends (whether it commits or fails: no statement after
        an error); SQLite has no such clause, `drop` removes them there."""
        return " ON COMMIT DROP" if connection.vendor == "postgresql" else ""

    def _create(self, cursor, name: str, select: str, params: list | None = None) -> None:
        cursor.execute(f"DROP TABLE IF EXISTS {name}")
        cursor.execute(f"CREATE TEMPORARY TABLE {name}{self._on_commit()} AS {select}", params)
        self.tables.append(name)
        self._analyze(cursor, name)

    def _insert(self, cursor, name: str, select: str) -> None:
        cursor.execute(f"INSERT INTO {name} {select}")

    def _analyze(self, cursor, name: str) -> None:
        # Nothing analyzes temporary tables on its own; without statistics PostgreSQL expects every row of a whole
        # batch to be its own group and sorts on disk instead of hashing in memory. A county is small enough.
        if connection.vendor == "postgresql" and self.prefix is None:
            cursor.execute(f"ANALYZE {name}")

    def build(self, cursor) -> None:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL work_mem = '256MB'")
            # Temporary tables live in this session's buffers: room for a batch (only before their first use).
            cursor.execute("SET LOCAL temp_buffers = '512MB'")
            cursor.execute("SET LOCAL jit = off")  # compiling costs more than it saves on these short statements
            if self.prefix:
                # A county's few thousand values: starting parallel workers costs more than it saves.
                cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        self._periods(cursor)
        self._teams(cursor)
        self._reports(cursor)
        self._latest(cursor)
        for grouping in self.groupings:
            self._sums(cursor, grouping)
            self._group_periods(cursor, grouping)
            self._counts(cursor, grouping)
        self._ladders(cursor)

    def drop(self, cursor) -> None:
        if connection.vendor != "postgresql":
            for name in reversed(self.tables):
                cursor.execute(f"DROP TABLE IF EXISTS {name}")
        self.tables.clear()

    def _periods(self, cursor) -> None:
        for name, columns in (
            ("zr_pkey", "pid INTEGER, kind VARCHAR(8), p_start DATE, p_end DATE"),
            ("zr_period", "pid INTEGER, kind VARCHAR(8), p_end DATE, month DATE"),
        ):
            cursor.execute(f"DROP TABLE IF EXISTS {name}")
            cursor.execute(f"CREATE TEMPORARY TABLE {name} ({columns}){self._on_commit()}")
            self.tables.append(name)
        keys, months = [], []
        for pid, period in enumerate(self.periods, start=1):
            keys.append((pid, period.kind, period.start, period.end))
            month = period.start
            while month <= period.end:
                months.append((pid, period.kind, period.end, month))
                month = add_months(month, 1)
        cursor.executemany("INSERT INTO zr_pkey (pid, kind, p_start, p_end) VALUES (%s, %s, %s, %s)", keys)
        cursor.executemany("INSERT INTO zr_period (pid, kind, p_end, month) VALUES (%s, %s, %s, %s)", months)

    def _teams(self, cursor) -> None:
        prefix_filter, prefix_params = self._prefix_filter()
        params = [self.batch.pk, *prefix_params]
        self._create(
            cursor,
            "zr_team",
            f"""SELECT t.id AS team_id, SUBSTR(t.village_id, 1, {self.first}) AS area, t.unit_id, u.level AS unit_level
                FROM teams_workteam t JOIN teams_dispatchingunit u ON u.id = t.unit_id
                WHERE t.batch_id = %s {prefix_filter}""",
            params,
        )
        ranks = ", ".join(
            f"DENSE_RANK() OVER (ORDER BY SUBSTR(area, 1, {length})) AS a{length}" for length in self.lengths
        )
        self._create(cursor, "zr_area", f"SELECT area, {ranks} FROM (SELECT DISTINCT area FROM zr_team) d")
        self._create(
            cursor,
            "zr_code",
            " UNION ".join(
                f"SELECT DISTINCT {length} AS length, a{length} AS a, SUBSTR(area, 1, {length}) AS code FROM zr_area"
                for length in self.lengths
            ),
        )
        # Township groups: the areas themselves.
        columns = ", ".join(f"a{length}" for length in self.lengths)
        self._create(cursor, "zr_group_t", f"SELECT a{self.first} AS g, {columns} FROM zr_area")
        joins = "zr_team t JOIN zr_area ar ON ar.area = t.area"
        if "u" in self.groupings:
            unit_columns = ", ".join(f"ar.a{length}" for length in self.level_lengths)
            plain = ", ".join(f"a{length}" for length in self.level_lengths)
            self._create(
                cursor,
                "zr_group_u",
                f"""SELECT DENSE_RANK() OVER (ORDER BY a{UNIT_LENGTH}, unit_id) AS g, {plain}, unit_id,
                           DENSE_RANK() OVER (ORDER BY unit_level) AS lv, unit_level,
                           DENSE_RANK() OVER (ORDER BY a{UNIT_LENGTH}, unit_level) AS gl
                    FROM (SELECT DISTINCT {unit_columns}, t.unit_id, t.unit_level FROM {joins}) d""",
            )
            self._create(cursor, "zr_level", "SELECT DISTINCT lv, unit_level FROM zr_group_u")
            # Unit-level groups: a unit level in a county (the units of that level there).
            if "l" in self.groupings:
                self._create(cursor, "zr_group_l", f"SELECT DISTINCT gl AS g, {plain}, lv, unit_level FROM zr_group_u")
            self._create(
                cursor,
                "zr_team_g",
                f"""SELECT t.team_id, ar.a{self.first} AS gt, gu.g AS gu, gu.gl AS gl FROM {joins}
                    JOIN zr_group_u gu ON gu.a{UNIT_LENGTH} = ar.a{UNIT_LENGTH} AND gu.unit_id = t.unit_id""",
            )
        else:
            self._create(
                cursor, "zr_team_g", f"SELECT t.team_id, ar.a{self.first} AS gt, 0 AS gu, 0 AS gl FROM {joins}"
            )

    def _reports(self, cursor) -> None:
        self._create(
            cursor,
            "zr_rep",
            f"""SELECT r.id, r.team_id, t.gt, t.gu, t.gl, r.month,
                       LEAD(r.month) OVER (PARTITION BY r.team_id ORDER BY r.month) AS next_month
                FROM reports_monthlyreport r JOIN zr_team_g t ON t.team_id = r.team_id
                WHERE r.status = '{ReportStatus.APPROVED}' AND r.month IN (SELECT month FROM zr_period)""",
        )

    def _values(self, aggregation: str, join: str = "") -> tuple[str, list]:
        """FROM … WHERE over the batch's approved values of one kind of indicator, in the periods' months (`join`:
        more tables to join; with none, regular tables only, which PostgreSQL may read with parallel workers)."""
        months = [month for period in self.periods for month in (period.start, period.end)]
        prefix_filter, prefix_params = self._prefix_filter()
        sql = f"""FROM reports_reportvalue v
                  JOIN reports_monthlyreport r ON r.id = v.report_id
                  JOIN teams_workteam t ON t.id = r.team_id {join}
                  WHERE t.batch_id = %s {prefix_filter} AND r.status = '{ReportStatus.APPROVED}'
                    AND r.month >= %s AND r.month <= %s AND v.value IS NOT NULL AND {_of_aggregation(aggregation)}"""
        params = [self.batch.pk, *prefix_params, min(months), max(months)]
        return sql, params

    def _prefix_filter(self) -> tuple[str, list]:
        """The teams under the prefix, as a range of 12-digit village codes (which the village index serves in any
        collation, unlike LIKE)."""
        if not self.prefix:
            return "", []
        sql = "AND t.village_id >= %s AND t.village_id <= %s"
        params = [self.prefix.ljust(12, "0"), self.prefix.ljust(12, "9")]
        if self.only:
            code, unit_id = self.only
            sql += " AND ((t.village_id >= %s AND t.village_id <= %s) OR t.unit_id = %s)"
            params += [code.ljust(12, "0"), code.ljust(12, "9"), unit_id]
        return sql, params

    def _latest(self, cursor) -> None:
        """zr_lt: each team's "latest" values in each period they count in: when the team's next approved value
        of the indicator (if any) lies beyond the period."""
        values, params = self._values("latest")
        self._create(
            cursor,
            "zr_lt_raw",
            f"""SELECT t.id AS team_id, r.month, v.indicator_id AS ind, {_cents("v.value")} AS value,
                       LEAD(r.month) OVER (PARTITION BY t.id, v.indicator_id ORDER BY r.month) AS next_month
                {values}""",
            params,
        )
        self._create(
            cursor,
            "zr_lt",
            """SELECT p.pid, p.kind, tg.gt, tg.gu, tg.gl, x.ind, x.value, x.month
               FROM zr_lt_raw x
               JOIN zr_team_g tg ON tg.team_id = x.team_id
               JOIN zr_period p ON p.month = x.month AND (x.next_month IS NULL OR x.next_month > p.p_end)""",
        )

    def _sums(self, cursor, grouping: str) -> None:
        """zr_gm_<grouping>: "sum" indicators per group and month, straight from the values, each team's values
        grouped by its group number (zr_team_g). The join with a temporary table keeps PostgreSQL from reading
        with parallel workers, which is the faster plan anyway: the groups are nearly as many as the values (a
        county's unit has two or three teams), so partial aggregates in several processes only add a merge."""
        if grouping == "l":
            # A unit level's months are its units' months added up (far fewer rows than the values).
            self._create(
                cursor,
                "zr_gm_l",
                f"""SELECT s.month, gu.gl AS g, s.ind, {_bigint("SUM(s.value)")} AS value, {_bigint("SUM(s.n)")} AS n
                    FROM zr_gm_u s JOIN zr_group_u gu ON gu.g = s.g
                    GROUP BY s.month, gu.gl, s.ind""",
            )
            return
        values, params = self._values("sum", join="JOIN zr_team_g tg ON tg.team_id = t.id")
        self._create(
            cursor,
            f"zr_gm_{grouping}",
            f"""SELECT r.month, tg.g{grouping} AS g, v.indicator_id AS ind,
                       {_bigint(f"SUM({_cents('v.value')})")} AS value, {_bigint("COUNT(*)")} AS n
                {values}
                GROUP BY r.month, tg.g{grouping}, v.indicator_id""",
            params,
        )

    def _group_periods(self, cursor, grouping: str) -> None:
        """zr_gp_<grouping>: (pid, kind, g, ind, value, n, m) for every period; m is a month of the cell, to find
        the period it nests in."""
        months, target = f"zr_gm_{grouping}", f"zr_gp_{grouping}"
        self._create(
            cursor,
            target,
            f"""SELECT p.pid, p.kind, s.g, s.ind, s.value, s.n, s.month AS m
                FROM {months} s JOIN zr_period p ON p.month = s.month AND p.kind = 'month'""",
        )
        if self.chained:
            # Each calendar period from the one it nests in: quarter ← months, half ← quarters, year ← halves (each
            # kind also in a table of its own, so that the next reads only it).
            source, month = months, "s.month"
            for kind in Q_KINDS:
                name = f"zr_gk_{grouping}_{kind}"
                self._create(
                    cursor,
                    name,
                    f"""SELECT p.pid, p.kind, s.g, s.ind, {_bigint("SUM(s.value)")} AS value,
                               {_bigint("SUM(s.n)")} AS n, MIN({month}) AS m
                        FROM {source} s JOIN zr_period p ON p.month = {month} AND p.kind = '{kind}'
                        GROUP BY p.pid, p.kind, s.g, s.ind""",
                )
                self._insert(cursor, target, f"SELECT pid, kind, g, ind, value, n, m FROM {name}")
                source, month = name, "s.m"
        # Batch-to-date (it stops at this month), and every period when not all are computed: from the months.
        direct = "p.kind <> 'month'" if not self.chained else f"p.kind = '{Figure.Kind.BATCH_TO_DATE}'"
        self._insert(
            cursor,
            target,
            f"""SELECT p.pid, p.kind, s.g, s.ind, {_bigint("SUM(s.value)")}, {_bigint("SUM(s.n)")}, MIN(s.month)
                FROM {months} s JOIN zr_period p ON p.month = s.month AND {direct}
                GROUP BY p.pid, p.kind, s.g, s.ind""",
        )
        self._insert(
            cursor,
            target,
            f"""SELECT pid, kind, g{grouping}, ind, {_bigint("SUM(value)")}, {_bigint("COUNT(*)")}, MIN(month)
                FROM zr_lt GROUP BY pid, kind, g{grouping}, ind""",
        )
        self._analyze(cursor, target)

    def _counts(self, cursor, grouping: str) -> None:
        self._create(
            cursor,
            f"zr_gn_{grouping}",
            f"""SELECT p.pid, r.g{grouping} AS g, {_bigint("COUNT(*)")} AS reports,
                       {_bigint("SUM(CASE WHEN r.next_month IS NULL OR r.next_month > p.p_end THEN 1 ELSE 0 END)")}
                       AS teams
                FROM zr_rep r JOIN zr_period p ON p.month = r.month
                GROUP BY p.pid, r.g{grouping}""",
        )

    # the area levels and cuts ------------------------------------------------------------------------------

    def cut_tables(self) -> list["_CutTables"]:
        """The cells and counts of every level and cut computed."""
        return self._cut_tables

    def _coarser(self, length: int, alias: str = "s") -> str:
        return "".join(f", {alias}.a{other}" for other in self.lengths if other < length)

    def _ladders(self, cursor) -> None:
        """The finest level of each cut is its groups (townships; units per county): folded straight from the
        group tables and given their area when folded, never copied. Each coarser level is a table grouped from
        the one below it (the first from the groups with their area columns joined on)."""
        cells = (", s.ind", f"{_bigint('SUM(s.value)')} AS value, {_bigint('SUM(s.n)')} AS n", ", s.value, s.n")
        counts = (
            "",
            f"{_bigint('SUM(s.reports)')} AS reports, {_bigint('SUM(s.teams)')} AS teams",
            ", s.reports, s.teams",
        )
        finest = self.all_lengths[0] if self.all_lengths else None
        if finest is not None:
            self._cut_tables.append(_CutTables("zr_gp_t", "zr_gn_t", finest, "all", group="t"))
        if "u" in self.groupings:
            self._cut_tables.append(_CutTables("zr_gp_u", "zr_gn_u", UNIT_LENGTH, "unit", group="u"))
        if "l" in self.groupings:
            self._cut_tables.append(_CutTables("zr_gp_l", "zr_gn_l", UNIT_LENGTH, "level", group="l"))
        for suffix, (extra, measures, plain), source in (("c", cells, "zr_gp"), ("n", counts, "zr_gn")):
            # All units: each level coarser than the townships from the one below.
            previous = (
                f"(SELECT s.pid, g.a{finest} AS a{self._coarser(finest, 'g')}{extra}{plain} "
                f"FROM {source}_t s JOIN zr_group_t g ON g.g = s.g)"
                if finest is not None
                else None
            )
            for length in () if self.only else self.all_lengths[1:]:
                name = f"zr_{suffix}_all_{length}"
                self._create(
                    cursor,
                    name,
                    f"SELECT s.pid, s.a{length} AS a{self._coarser(length)}{extra}, {measures} FROM {previous} s "
                    f"GROUP BY s.pid, s.a{length}{self._coarser(length)}{extra}",
                )
                previous = name
                if suffix == "c":
                    self._cut_tables.append(_CutTables(name, f"zr_n_all_{length}", length, "all"))
            if "l" not in self.groupings:
                continue
            # Units at county level only (the unit groups themselves): a unit's figure in a prefecture or the
            # region is the sum of its counties, added up when read (reports/stats.py). Unit levels (a handful)
            # at every level down to the county: in the county the level groups themselves, above from those.
            previous = (
                f"(SELECT s.pid, g.a{UNIT_LENGTH} AS a{self._coarser(UNIT_LENGTH, 'g')}, g.lv{extra}{plain} "
                f"FROM {source}_l s JOIN zr_group_l g ON g.g = s.g)"
            )
            for length in self.level_lengths[1:]:
                name = f"zr_{suffix}_level_{length}"
                self._create(
                    cursor,
                    name,
                    f"SELECT s.pid, s.a{length} AS a{self._coarser(length)}, s.lv{extra}, {measures} FROM {previous} s "
                    f"GROUP BY s.pid, s.a{length}{self._coarser(length)}, s.lv{extra}",
                )
                previous = name
                if suffix == "c":
                    self._cut_tables.append(_CutTables(name, f"zr_n_level_{length}", length, "level"))

    # reading -------------------------------------------------------------------------------------------------

    def figures_select(self, cut: "_CutTables", *, with_params: bool = False) -> str:
        """SELECT kind, p_start, p_end, area_code, area_level, unit_key, data, report_count, team_count of one
        level and cut: the counts (every area with an approved report) with their folded cells. `with_params`:
        the statement will carry parameters (a literal % is doubled)."""
        aggregate, empty = _json_functions()
        if with_params:
            aggregate = aggregate.replace("%", "%%")
        length = cut.length
        if cut.group:
            # Groups: fold by group number, then look up the group's area (and unit).
            group = f"zr_group_{cut.group}"
            key = {"unit": "'u:' || CAST(g.unit_id AS TEXT)", "level": "'l:' || g.unit_level"}.get(cut.cut, "''")
            return f"""
                SELECT k.kind, k.p_start, k.p_end, a.code, {length}, {key}, COALESCE(f.data, {empty}),
                       n.reports, n.teams
                FROM {cut.counts} n
                JOIN zr_pkey k ON k.pid = n.pid
                JOIN {group} g ON g.g = n.g
                JOIN zr_code a ON a.length = {length} AND a.a = g.a{length}
                LEFT JOIN (
                    SELECT c.pid, c.g, {aggregate} AS data FROM {cut.cells} c GROUP BY c.pid, c.g
                ) f ON f.pid = n.pid AND f.g = n.g"""
        if cut.cut == "level":
            key, by, on = "'l:' || l.unit_level", ", c.lv", " AND f.lv = n.lv"
        else:
            key, by, on = "''", "", ""
        level_join = "JOIN zr_level l ON l.lv = n.lv" if cut.cut == "level" else ""
        return f"""
            SELECT k.kind, k.p_start, k.p_end, a.code, {length}, {key}, COALESCE(f.data, {empty}), n.reports, n.teams
            FROM {cut.counts} n
            JOIN zr_pkey k ON k.pid = n.pid
            JOIN zr_code a ON a.length = {length} AND a.a = n.a
            {level_join}
            LEFT JOIN (
                SELECT c.pid, c.a{by}, {aggregate} AS data FROM {cut.cells} c GROUP BY c.pid, c.a{by}
            ) f ON f.pid = n.pid AND f.a = n.a{on}"""


@dataclass(frozen=True)
class _CutTables:
    """Where one level and cut of the pipeline lies: its cells and counts tables, its area length, the cut ("all",
    "unit" or "level") and, for the groups themselves, the grouping ("t" or "u") whose numbers key the tables."""

    cells: str
    counts: str
    length: int
    cut: str
    group: str | None = None


def _decode(data) -> dict:
    return json.loads(data) if isinstance(data, str) else data


def _date(value) -> datetime.date:
    return value if isinstance(value, datetime.date) else datetime.date.fromisoformat(str(value)[:10])


STORED_LEVELS = (9, 6, 4, 2)  # villages are read from their team's reports (see village_rows)


def fresh_rows(
    *,
    batch: Batch,
    periods: list[PeriodKey] | None = None,
    prefix: str | None = None,
    levels: tuple[int, ...] = STORED_LEVELS,
    only: tuple[str, int] | None = None,
) -> Iterator[tuple]:
    """The figures as they should be now, of the batch's periods (default all): (kind, start, end, area_code,
    area_level, unit_key, data, report_count, team_count), computed from the approved reports (of the teams
    under `prefix`; `only`: see `_Pipeline`)."""
    pipeline = _Pipeline(batch, periods or batch_periods(batch), prefix=prefix, levels=levels, only=only)
    rows = []
    with transaction.atomic(), connection.cursor() as cursor:
        try:
            pipeline.build(cursor)
            for cut in pipeline.cut_tables():
                cursor.execute(pipeline.figures_select(cut))
                rows.extend(cursor.fetchall())
        finally:
            pipeline.drop(cursor)
    for kind, start, end, area, level, unit_key, data, reports, teams in rows:
        yield (kind, _date(start), _date(end), area, level, unit_key, _decode(data), reports, teams)


# -- writing ----------------------------------------------------------------------------------------------------


def _lock_batch(batch: Batch) -> None:
    """Serialize rollup writes of one batch (PostgreSQL; SQLite serializes all writers anyway)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [0x5A48, batch.pk])


def rebuild_batch(
    batch: Batch,
    *,
    month: datetime.date | None = None,
    periods: list[PeriodKey] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Replace all figures of a batch (or those of the periods containing `month`: the month, its quarter, half,
    year and batch-to-date; or of the `periods` given) with a fresh computation, in one transaction (readers see
    the old figures until it commits, never a mixture). Returns the number of rows written."""
    if periods is None:
        periods = batch_periods(batch) if month is None else periods_containing(batch, month)
    whole = set(periods) >= set(batch_periods(batch))
    pipeline = _Pipeline(batch, periods, prefix=None, levels=STORED_LEVELS)
    written = 0
    with transaction.atomic(), connection.cursor() as cursor:
        _lock_batch(batch)
        try:
            pipeline.build(cursor)
            tables = pipeline.cut_tables()
            if connection.vendor == "postgresql":
                # The folds group a few million cells into some 100,000 rows: hashing them in memory beats
                # sorting them on disk, which the planner picks when it overestimates the groups.
                cursor.execute("SET LOCAL enable_sort = off")
            if progress:
                progress(1, len(tables) + 1)
            if whole:
                Figure.objects.filter(batch=batch).delete()
            else:
                for period in periods:
                    stale = Figure.objects.filter(batch=batch, kind=period.kind)
                    if period.kind != Figure.Kind.BATCH_TO_DATE:
                        stale = stale.filter(period_end=period.end)
                    stale.delete()
            now = timezone.now()
            for step, cut in enumerate(tables, start=2):
                cursor.execute(
                    "INSERT INTO reports_figure (kind, period_start, period_end, area_code, area_level, unit_key, "
                    "data, report_count, team_count, batch_id, computed_at) "
                    f"SELECT q.*, %s, %s FROM ({pipeline.figures_select(cut, with_params=True)}) q",
                    [batch.pk, now],
                )
                written += cursor.rowcount
                if progress:
                    progress(step, len(tables) + 1)
        finally:
            pipeline.drop(cursor)
    return written


def _figure(batch: Batch, period: PeriodKey, area_code: str, unit_key: str, data, reports: int, teams: int, now):
    return Figure(
        batch=batch,
        kind=period.kind,
        period_start=period.start,
        period_end=period.end,
        area_code=area_code,
        area_level=len(area_code),
        unit_key=unit_key,
        data=data,
        report_count=reports,
        team_count=teams,
        computed_at=now,
    )


def _delete_rows(batch: Batch, periods: list[PeriodKey], areas: list[str], unit_keys: list[str]) -> None:
    """Delete the rows of these periods (batch-to-date of any month end) for every pair of these areas and unit
    keys, in one statement (an index scan of the unique index per period)."""
    of_periods = Q()
    for period in periods:
        if period.kind == Figure.Kind.BATCH_TO_DATE:
            of_periods |= Q(kind=period.kind)
        else:
            of_periods |= Q(kind=period.kind, period_end=period.end)
    Figure.objects.filter(of_periods, batch=batch, unit_key__in=unit_keys, area_code__in=areas).delete()


def _json_cells() -> tuple[str, str, str]:
    """(the table function over a stored row `r`'s data as `e`, its cell's value as cents, its count) for this
    database: the cells of stored rows, to add them up in SQL."""
    if connection.vendor == "postgresql":
        return (
            "jsonb_each(r.data) e",
            "CAST(CAST(e.value ->> 0 AS NUMERIC) * 100 AS BIGINT)",
            "CAST(e.value ->> 1 AS BIGINT)",
        )
    return (
        "json_each(r.data) e",
        "CAST(ROUND(CAST(json_extract(e.value, '$[0]') AS REAL) * 100) AS INTEGER)",
        "json_extract(e.value, '$[1]')",
    )


def _insert_children_sums(
    batch: Batch,
    periods: list[PeriodKey],
    parent: str,
    child_length: int,
    unit_keys: list[str],
    now,
    *,
    as_unit_key: str | None = None,
) -> int:
    """Store the rows of `parent` in these periods as the sums of its children's stored rows (of `child_length`),
    one per period and unit key (`as_unit_key`: all the children's unit keys count as this one), added up in the
    database: no row travels to Python. Returns the rows written."""
    if not unit_keys or not periods:
        return 0
    each, cents, count = _json_cells()
    aggregate, empty = _json_functions()
    # A constant key is selected, not grouped by (PostgreSQL refuses a constant in GROUP BY).
    key, by_key = ("%s", "") if as_unit_key else ("r.unit_key", ", r.unit_key")
    key_params = [as_unit_key] if as_unit_key else []
    in_periods = " OR ".join("(r.kind = %s AND r.period_end = %s)" for _ in periods)
    period_params = [value for period in periods for value in (period.kind, period.end)]
    where = (
        f"r.batch_id = %s AND r.area_level = %s AND r.area_code >= %s AND r.area_code <= %s "
        f"AND r.unit_key IN ({', '.join(['%s'] * len(unit_keys))}) AND ({in_periods})"
    )
    where_params = [batch.pk, child_length, parent, parent.ljust(12, "9"), *unit_keys, *period_params]
    sql = f"""
        INSERT INTO reports_figure (kind, period_start, period_end, area_code, area_level, unit_key, data,
                                    report_count, team_count, batch_id, computed_at)
        SELECT n.kind, n.period_start, n.period_end, %s, %s, n.k, COALESCE(f.data, {empty}), n.reports, n.teams, %s, %s
        FROM (
            SELECT r.kind, MIN(r.period_start) AS period_start, r.period_end, {key} AS k,
                   SUM(r.report_count) AS reports, SUM(r.team_count) AS teams
            FROM reports_figure r WHERE {where} GROUP BY r.kind, r.period_end{by_key}
        ) n
        LEFT JOIN (
            SELECT c.kind, c.period_end, c.k, {aggregate.replace("%", "%%")} AS data
            FROM (
                SELECT r.kind, r.period_end, {key} AS k, CAST(e.key AS INTEGER) AS ind,
                       {_bigint(f"SUM({cents})")} AS value, {_bigint(f"SUM({count})")} AS n
                FROM reports_figure r, {each} WHERE {where}
                GROUP BY r.kind, r.period_end{by_key}, CAST(e.key AS INTEGER)
            ) c
            GROUP BY c.kind, c.period_end, c.k
        ) f ON f.kind = n.kind AND f.period_end = n.period_end AND f.k = n.k"""
    params = [
        parent,
        len(parent),
        batch.pk,
        now,
        *key_params,
        *where_params,
        *key_params,
        *where_params,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


@transaction.atomic
def refresh_for_report(report: MonthlyReport) -> int:
    """Recompute every figure one report touches, in every period containing its month. From the source: its
    team's township (the township's teams) and its unit in the county (the unit's teams there). From the rows
    below them, as now stored: the county (its townships) and the unit's level in the county (the county's units
    of that level), then the prefecture and the region (their counties, prefectures; all units and the level).
    Recomputing what is stored now, never adding deltas, makes it idempotent and order-free; the batch's lock
    keeps two refreshes from summing each other's half-written rows. Returns the rows written."""
    team = WorkTeam.objects.select_related("batch", "unit").get(pk=report.team_id)
    batch, village, level = team.batch, team.village_id, team.unit.level
    township, county = village[:9], village[:6]
    unit_cut, level_cut = f"u:{team.unit_id}", f"l:{level}"
    periods = periods_containing(batch, report.month)
    by_end = {(period.kind, period.end): period for period in periods}
    _lock_batch(batch)
    now = timezone.now()
    # The pipeline reads only the township's teams and the unit's teams in the county; of what it computes, the
    # township row and the unit row are whole (the county and level rows cover only those teams).
    whole = {(township, ""), (county, unit_cut)}
    rows = [
        _figure(batch, by_end[(kind, end)], area, unit_key, data, reports, teams, now)
        for kind, _, end, area, _, unit_key, data, reports, teams in fresh_rows(
            batch=batch, periods=periods, prefix=county, levels=(9, 6), only=(township, team.unit_id)
        )
        if (kind, end) in by_end and (area, unit_key) in whole
    ]
    # Units above county level are not stored (their counties add up when read): "u:" rows of the prefecture and
    # the region, left by an older store, go too.
    _delete_rows(batch, periods, [township, county, village[:4], village[:2]], ["", unit_cut, level_cut])
    Figure.objects.bulk_create(rows)
    written = len(rows)
    written += _insert_children_sums(batch, periods, county, 9, [""], now)
    # The unit level in the county: the sum of the county's units of that level.
    of_level = (
        WorkTeam.objects.filter(
            batch=batch, village_id__gte=county.ljust(12, "0"), village_id__lte=county.ljust(12, "9"), unit__level=level
        )
        .values_list("unit_id", flat=True)
        .distinct()
    )
    written += _insert_children_sums(
        batch,
        periods,
        county,
        6,
        sorted(f"u:{pk}" for pk in of_level),
        now,
        as_unit_key=level_cut,
    )
    for parent, child_length in ((village[:4], 6), (village[:2], 4)):
        written += _insert_children_sums(batch, periods, parent, child_length, ["", level_cut], now)
    return written


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
    """Recompute the batch and compare with the store. Returns (rows checked, differences)."""
    fresh = {
        (row[0], row[2], row[3], row[5]): {"data": row[6], "reports": row[7], "teams": row[8]}
        for row in fresh_rows(batch=batch)
    }
    stored = {
        (row.kind, row.period_end, row.area_code, row.unit_key): {
            "data": row.data,
            "reports": row.report_count,
            "teams": row.team_count,
        }
        for row in Figure.objects.filter(batch=batch)
    }
    fresh_btd = {key[1] for key in fresh if key[0] == Figure.Kind.BATCH_TO_DATE}
    if not fresh_btd & {key[1] for key in stored if key[0] == Figure.Kind.BATCH_TO_DATE}:
        # A new month: batch-to-date is rolled forward by the rebuild that follows, not a bug.
        fresh = {key: row for key, row in fresh.items() if key[0] != Figure.Kind.BATCH_TO_DATE}
        stored = {key: row for key, row in stored.items() if key[0] != Figure.Kind.BATCH_TO_DATE}
    differences = [
        Difference(batch.pk, key[0], str(key[1]), key[2], key[3], stored.get(key), fresh.get(key))
        for key in sorted(set(fresh) | set(stored), key=str)
        if _normal(fresh.get(key)) != _normal(stored.get(key))
    ]
    return len(set(fresh) | set(stored)), differences


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


# -- villages ---------------------------------------------------------------------------------------------------


def village_figures(
    *,
    prefix: str,
    batch: Batch | None,
    kind: str,
    start: datetime.date | None,
    end: datetime.date,
    monthly: bool = False,
) -> list[Figure]:
    """The figures of the villages under `prefix` (a township or one village), computed from their teams'
    approved reports when read: a village has one team per batch, so its figure is that team's own reports,
    which the store does not copy. Unsaved `Figure` rows, one per village and batch (and month, `monthly`), in
    two queries whatever the number of villages.

    `start`..`end` bound the months (batch-to-date: each team's months up to `end`; `start` is then ignored)."""
    now = timezone.now()
    reports = MonthlyReport.objects.filter(
        status=ReportStatus.APPROVED, team__village__pk__startswith=prefix, month__lte=end
    )
    if start is not None and kind != Figure.Kind.BATCH_TO_DATE:
        reports = reports.filter(month__gte=start)
    if batch is not None:
        reports = reports.filter(team__batch=batch)
    counted = list(reports.values_list("team_id", "team__village_id", "team__batch_id", "month"))
    values = ReportValue.objects.filter(report__in=reports, value__isnull=False).values_list(
        "report__team_id", "report__month", "indicator_id", "indicator__time_aggregation", "value"
    )
    # Each team's latest month with a value of each "latest" indicator (per month when monthly: the month itself).
    latest: dict[tuple, datetime.date] = {}
    rows = list(values)
    for team_id, month, indicator_id, aggregation, _ in rows:
        if aggregation == "latest" and not monthly:
            key = (team_id, indicator_id)
            latest[key] = max(latest.get(key, month), month)
    team_place = {team_id: (village, batch_id) for team_id, village, batch_id, _ in counted}
    figures: dict[tuple, dict] = {}

    def figure_of(team_id: int, month: datetime.date) -> dict:
        village, batch_id = team_place[team_id]
        key = (village, batch_id, month if monthly else None)
        return figures.setdefault(key, {"data": {}, "reports": 0, "teams": set(), "months": []})

    for team_id, _, _, month in counted:
        entry = figure_of(team_id, month)
        entry["reports"] += 1
        entry["teams"].add(team_id)
        entry["months"].append(month)
    for team_id, month, indicator_id, aggregation, value in rows:
        if aggregation == "latest" and not monthly and latest[(team_id, indicator_id)] != month:
            continue
        total = figure_of(team_id, month)["data"].setdefault(indicator_id, [Decimal(0), 0])
        total[0] += value
        total[1] += 1
    result = []
    for (village, batch_id, month), entry in sorted(figures.items(), key=lambda item: (item[0][0], item[0][1])):
        first = month or (min(entry["months"]) if kind == Figure.Kind.BATCH_TO_DATE else start or end)
        result.append(
            Figure(
                batch_id=batch_id,
                kind=Figure.Kind.MONTH if monthly else kind,
                period_start=first,
                period_end=month or end,
                area_code=village,
                area_level=len(village),
                unit_key="",
                data={
                    str(indicator_id): [f"{value:.2f}", reports]
                    for indicator_id, (value, reports) in sorted(entry["data"].items())
                },
                report_count=entry["reports"],
                team_count=len(entry["teams"]),
                computed_at=now,
            )
        )
    return result
