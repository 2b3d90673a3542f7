"""Reads of the statistics: totals, the breakdown one level down, monthly trends, dispatching units and reporting
completeness, all from the rollup store (`Figure`, `Completeness`), never from the reports themselves.

Every answer costs a fixed number of queries, whatever the size of the region: the user's roles, the area and its
ancestors (one query, which also proves the area exists), the latest month with figures, the store rows, and the
names (indicators, areas or units) in one query each.

Scope. Statistics are for the users bound to an area (region, prefecture and county admins, auditors) and for unit
liaisons; team roles read their own reports on the report pages and get 403 here. The store's querysets
(`Figure.objects.within_scope`, the mechanism of zhucun/scope.py) turn a user into a filter on the store: an
area-bound user sees the rows of areas within their prefixes (all unit cuts), a liaison the rows "u:<their unit>"
(in any area, down to county level, the depth of unit cuts).
Every query below starts from it, so no parameter can reach another county's figure; the parameters are checked
first only to answer 404 (an area outside the scope) or 400 (a filter value the user may not use) instead of zeros.

"All batches" is the sum of the batch rows of one cut (every team belongs to exactly one batch, so both "sum" and
"latest" indicators add up). Periods are named by their last month; batch-to-date over all batches sums the
batches running in that month.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, DecimalField, F, Func, IntegerField, JSONField, Max, Min, Q, QuerySet, Sum, Value
from django.http import Http404
from django.utils import timezone

from reports.choices import DUTY_TITLES, Category
from reports.models import Completeness, Figure, Indicator
from reports.periods import add_months, half_year_period, month_start, quarter_period, year_period
from reports.rollup import STORED_LEVELS, UNIT_LENGTH, village_figures
from teams.choices import UnitLevel
from teams.models import Batch, DispatchingUnit
from villages.choices import LEVEL_BY_LENGTH, AreaLevel
from villages.models import Area
from zhucun.scope import Action, Scope, scope_for

AREA_LENGTHS = (2, 4, 6, 9, 12)
UNIT_CUT_MAX_LENGTH = 6  # the rollup cuts units and unit levels down to county level
STORED_LENGTH = max(STORED_LEVELS)  # townships; villages are computed when read
TREND_MONTHS = 12
DEFAULT_KIND = Figure.Kind.HALF  # the region's bulletins are half-yearly: "上半年，全区各驻村工作队共……"

NO_STATISTICS = "统计数据仅向各级管理员、审计人员和派驻单位联络员开放。"
NO_COMPLETENESS = "报送完成情况按地区统计，仅向各级管理员和审计人员开放。"
UNIT_TOO_DEEP = "按派驻单位统计只到县（区）一级。"


# -- scope --------------------------------------------------------------------------------------------------------


def stats_scope(user) -> Scope:
    """The user's VIEW scope, without teams: 403 for a user with neither an area nor a unit."""
    scope = scope_for(user, Action.VIEW)
    if not (scope.everything or scope.area_prefixes or scope.unit_ids):
        raise PermissionDenied(NO_STATISTICS)
    return scope


def stats_allowed(user) -> bool:
    """Whether the statistics pages are for this user at all (the navigation asks)."""
    scope = scope_for(user, Action.VIEW)
    return bool(scope.everything or scope.area_prefixes or scope.unit_ids)


def _unit_key(unit_id: int) -> str:
    return f"u:{unit_id}"


def _covers(scope: Scope, code: str) -> bool:
    return scope.everything or any(code.startswith(prefix) for prefix in scope.area_prefixes)


class JsonMember(Func):
    """One member of a JSON object column, by its key, decoded. Django's KeyTransform takes a key of digits (our
    indicator ids) for an array index, so the path is spelled out for each database."""

    output_field = JSONField()

    def __init__(self, field_name: str, key: str):
        self.key = key
        super().__init__(F(field_name), Value(key))

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, function="jsonb_extract_path", **extra)

    def as_sqlite(self, compiler, connection, **extra):
        clone = self.copy()
        clone.set_source_expressions([self.get_source_expressions()[0], Value(f'$."{self.key}"')])
        return clone.as_sql(compiler, connection, function="JSON_EXTRACT", **extra)


class JsonPairPart(Func):
    """One number of an indicator's [value, reports] pair in the JSON column, by indicator key and index (0 the
    value, 1 the reports counted), as a number the database can add up."""

    def __init__(self, field_name: str, key: str, index: int, output_field):
        self.key, self.index = key, index
        super().__init__(F(field_name), output_field=output_field)

    def as_postgresql(self, compiler, connection, **extra):
        kind = "NUMERIC" if self.index == 0 else "BIGINT"
        sql, params = compiler.compile(self.get_source_expressions()[0])
        return f"CAST(({sql} -> %s ->> %s) AS {kind})", [*params, self.key, self.index]

    def as_sqlite(self, compiler, connection, **extra):
        kind = "REAL" if self.index == 0 else "INTEGER"
        sql, params = compiler.compile(self.get_source_expressions()[0])
        return f"CAST(JSON_EXTRACT({sql}, %s) AS {kind})", [*params, f'$."{self.key}"[{self.index}]']


# -- the cut a request asks for ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AreaRef:
    code: str
    name: str
    level: str

    @property
    def level_display(self) -> str:
        return AreaLevel(self.level).label


@dataclass(frozen=True)
class UnitRef:
    id: int
    name: str
    level: str

    @property
    def level_display(self) -> str:
        return UnitLevel(self.level).label


@dataclass(frozen=True)
class Period:
    kind: str
    start: datetime.date | None
    end: datetime.date
    label: str

    @property
    def kind_display(self) -> str:
        return Figure.Kind(self.kind).label


@dataclass
class Cut:
    """One resolved request: which area, period, batch and unit cut; `figures` is the user's visible store."""

    scope: Scope
    area: AreaRef
    path: list[AreaRef]
    kind: str
    period_end: datetime.date
    latest_month: datetime.date | None
    batch: Batch | None
    unit: UnitRef | None
    unit_level: str | None
    figures: QuerySet[Figure]

    @property
    def unit_key(self) -> str:
        if self.unit is not None:
            return _unit_key(self.unit.id)
        return f"l:{self.unit_level}" if self.unit_level else ""

    @property
    def child_length(self) -> int | None:
        """The code length one level down, or None at village level or where unit cuts end."""
        index = AREA_LENGTHS.index(len(self.area.code))
        if index + 1 == len(AREA_LENGTHS):
            return None
        length = AREA_LENGTHS[index + 1]
        if self.unit_key and length > UNIT_CUT_MAX_LENGTH:
            return None
        return length

    @property
    def child_level(self) -> str | None:
        return LEVEL_BY_LENGTH[self.child_length] if self.child_length else None

    @property
    def unit_level_display(self) -> str | None:
        return UnitLevel(self.unit_level).label if self.unit_level else None

    def rows(self, *, months: bool = False, any_unit_cut: bool = False) -> QuerySet[Figure]:
        """The visible rows of this batch choice and unit cut (or every cut), of the cut's period (or, `months`, of
        every month); any area: callers name it. Batch-to-date is one row per batch, up to this month (or the
        batch's end): all of them, whatever month they end in."""
        if months:
            rows = self.figures.filter(kind=Figure.Kind.MONTH)
        elif self.kind == Figure.Kind.BATCH_TO_DATE:
            rows = self.figures.filter(kind=self.kind)
        else:
            rows = self.figures.filter(kind=self.kind, period_end=self.period_end)
        if not any_unit_cut:
            rows = rows.filter(unit_key=self.unit_key)
        if self.batch is not None:
            rows = rows.filter(batch=self.batch)
        return rows

    def stored_at(self, code: str) -> Q:
        """The store rows whose sum is this cut's figure of the area `code` (a stored level): its own row, or, for a
        unit above county level, the unit's county rows (units are stored per county only)."""
        if self.unit is not None and len(code) < UNIT_LENGTH:
            return Q(area_level=UNIT_LENGTH, area_code__startswith=code)
        return Q(area_code=code)

    def rows_at(self, code: str) -> list[Figure]:
        """The rows whose sum is this cut's figure of the area `code`, in its period: from the store, or for a
        village computed from its team's approved reports (reports/rollup.py village_figures)."""
        if len(code) > STORED_LENGTH:
            return self.village_rows(code)
        return list(self.rows().filter(self.stored_at(code)).only(*_ROW_FIELDS))

    def village_rows(self, prefix: str, *, months: list[datetime.date] | None = None) -> list[Figure]:
        """The villages under `prefix` (a township or a village) in this cut's period (or month by month)."""
        if self.unit_key or not _covers(self.scope, prefix):
            return []  # unit cuts end at county level; a liaison reaches no village
        if months is not None:
            if not months:
                return []
            return village_figures(
                prefix=prefix, batch=self.batch, kind=Figure.Kind.MONTH, start=months[0], end=months[-1], monthly=True
            )
        period = period_of(self.kind, self.period_end, batch=self.batch)
        return village_figures(prefix=prefix, batch=self.batch, kind=self.kind, start=period.start, end=self.period_end)

    def period(self, tallies: Iterable["Tally"]) -> "Period":
        """The period answered, named; batch-to-date runs from the earliest start to the latest end of its rows."""
        tallies = [tally for tally in tallies if tally.rows]
        if self.kind != Figure.Kind.BATCH_TO_DATE or not tallies:
            return period_of(self.kind, self.period_end, batch=self.batch)
        start = min(tally.period_start for tally in tallies)
        end = max(tally.period_end for tally in tallies)
        return period_of(self.kind, end, batch=self.batch, start=start)


def period_end_for(kind: str, month: datetime.date) -> datetime.date:
    """The last month of the period of `kind` that contains `month` (batch-to-date and month: the month)."""
    if kind == Figure.Kind.QUARTER:
        return quarter_period(month).last
    if kind == Figure.Kind.HALF:
        return half_year_period(month).last
    if kind == Figure.Kind.YEAR:
        return year_period(month).last
    return month_start(month)


def period_of(kind: str, end: datetime.date, *, batch: Batch | None, start: datetime.date | None = None) -> Period:
    if kind == Figure.Kind.MONTH:
        return Period(kind, end, end, f"{end.year}年{end.month}月")
    if kind == Figure.Kind.QUARTER:
        period = quarter_period(end)
    elif kind == Figure.Kind.HALF:
        period = half_year_period(end)
    elif kind == Figure.Kind.YEAR:
        period = year_period(end)
    else:
        owner = batch.name if batch is not None else "各批次"
        return Period(kind, start, end, f"{owner}累计（截至{end.year}年{end.month}月）")
    return Period(kind, period.first, period.last, period.label)


def _area_path(scope: Scope, code: str | None) -> tuple[AreaRef, list[AreaRef]]:
    """The area and its ancestors the user may see, in one query; 404 for an area outside the scope or unknown."""
    if code is None:
        if scope.area_prefixes:
            code = scope.area_prefixes[0]
        else:
            # Superusers and liaisons start at the top of the tree.
            code = Area.objects.filter(level=AreaLevel.PROVINCE).order_by("code").values_list("code", flat=True).first()
            if code is None:
                raise Http404("没有行政区划数据。")
    if len(code) not in AREA_LENGTHS or not code.isdigit():
        raise ValidationError({"area": ["地区代码应为2、4、6、9或12位数字。"]})
    if not _covers(scope, code) and not (scope.unit_ids and len(code) <= UNIT_CUT_MAX_LENGTH):
        raise Http404("该地区不在您的范围内。")
    if scope.everything or not _covers(scope, code):
        top = 2
    else:
        top = max(len(prefix) for prefix in scope.area_prefixes if code.startswith(prefix))
    prefixes = [code[:length] for length in AREA_LENGTHS if top <= length <= len(code)]
    found = {
        area_code: AreaRef(area_code, name, level)
        for area_code, name, level in Area.objects.filter(code__in=prefixes).values_list("code", "name", "level")
    }
    if code not in found:
        raise Http404("没有这个地区。")
    return found[code], [found[prefix] for prefix in prefixes if prefix in found]


def _month_param(text: str | datetime.date | None, field_name: str = "period") -> datetime.date | None:
    if text is None or text == "":
        return None
    if isinstance(text, datetime.date):
        return month_start(text)
    from reports.filtersets import parse_month

    month = parse_month(text)
    if month is None:
        raise ValidationError({field_name: ["请按“年-月”填写月份，例如 2026-06。"]})
    return month


def stats_cut(
    *,
    user,
    area: str | None = None,
    kind: str | None = None,
    period: str | datetime.date | None = None,
    batch: int | None = None,
    unit: int | None = None,
    unit_level: str | None = None,
) -> Cut:
    """Resolve a request's parameters into a Cut, with the defaults a region office expects: the user's own
    (outermost) area, the half-year of the latest month with figures, all batches, all units.

    403 for team roles; 404 for an area outside the scope; 400 (ValidationError by field) for a filter value the
    user may not use: another unit for a liaison, unit levels for a liaison, a unit cut below county level."""
    scope = stats_scope(user)
    kind = kind or DEFAULT_KIND
    if kind not in Figure.Kind.values:
        raise ValidationError({"kind": [f"周期类型应为 {'、'.join(Figure.Kind.values)} 之一。"]})
    month = _month_param(period)
    if unit and unit_level:
        raise ValidationError({"unit_level": ["派驻单位和单位层级只能选一个。"]})
    if unit_level and unit_level not in UnitLevel.values:
        raise ValidationError({"unit_level": [f"单位层级应为 {'、'.join(UnitLevel.values)} 之一。"]})

    area_ref, path = _area_path(scope, area or None)
    by_area = _covers(scope, area_ref.code)
    if not by_area:
        # Only a liaison's own unit, wherever its teams are.
        if unit_level:
            raise ValidationError({"unit_level": ["派驻单位联络员只能查看本单位的统计。"]})
        if unit and unit not in scope.unit_ids:
            raise ValidationError({"unit": ["只能查看本单位的统计。"]})
        unit = unit or scope.unit_ids[0]
    if (unit or unit_level) and len(area_ref.code) > UNIT_CUT_MAX_LENGTH:
        raise ValidationError({"area": [UNIT_TOO_DEEP]})

    unit_ref = None
    if unit:
        found = DispatchingUnit.objects.visible_to(user).filter(pk=unit).values_list("pk", "name", "level").first()
        if found is None:
            raise ValidationError({"unit": ["没有这个派驻单位，或不在您的范围内。"]})
        unit_ref = UnitRef(*found)

    batch_obj = None
    if batch:
        batch_obj = Batch.objects.filter(pk=batch).first()
        if batch_obj is None:
            raise ValidationError({"batch": ["没有这个批次。"]})

    cut = Cut(
        scope=scope,
        area=area_ref,
        path=path,
        kind=kind,
        period_end=month_start(timezone.localdate()),
        latest_month=None,
        batch=batch_obj,
        unit=unit_ref,
        unit_level=unit_level or None,
        figures=Figure.objects.within_scope(scope),
    )
    cut.latest_month = (
        cut.rows(months=True)
        .filter(cut.stored_at(area_ref.code[:STORED_LENGTH]))
        .order_by("-period_end")
        .values_list("period_end", flat=True)
        .first()
    )
    if kind == Figure.Kind.BATCH_TO_DATE:
        # Not a choice: each batch's own row, up to this month (the period parameter is ignored).
        if batch_obj is not None:
            cut.period_end = min(cut.period_end, month_start(batch_obj.end_date))
    else:
        cut.period_end = period_end_for(kind, month or cut.latest_month or cut.period_end)
    return cut


# -- adding rows up -------------------------------------------------------------------------------------------------


@dataclass
class Tally:
    """The sum of store rows (one per batch) of one cut: values and reports counted per indicator id."""

    values: dict[int, Decimal] = field(default_factory=dict)
    reports: dict[int, int] = field(default_factory=dict)
    report_count: int = 0
    team_count: int = 0
    rows: int = 0
    computed_at: datetime.datetime | None = None
    period_start: datetime.date | None = None
    period_end: datetime.date | None = None

    def add(self, row: Figure) -> None:
        self.add_data(row.data, row.report_count, row.team_count, row.computed_at, row.period_start, row.period_end)

    def add_data(self, data: dict, report_count: int, team_count: int, computed_at, period_start, period_end) -> None:
        """Add one store row given by its parts (`data` may hold only some indicators)."""
        for key, (value, reports) in data.items():
            indicator_id = int(key)
            self.values[indicator_id] = self.values.get(indicator_id, Decimal(0)) + Decimal(str(value))
            self.reports[indicator_id] = self.reports.get(indicator_id, 0) + int(reports)
        self.report_count += report_count
        self.team_count += team_count
        self.rows += 1
        if self.computed_at is None or computed_at < self.computed_at:
            self.computed_at = computed_at
        if self.period_start is None or period_start < self.period_start:
            self.period_start = period_start
        if self.period_end is None or period_end > self.period_end:
            self.period_end = period_end

    def value(self, indicator_id: int) -> Decimal:
        return self.values.get(indicator_id, Decimal(0))

    def reports_of(self, indicator_id: int) -> int:
        return self.reports.get(indicator_id, 0)


@dataclass(frozen=True)
class Freshness:
    """How fresh an answer is: the oldest computation among the rows used (None when no row was used)."""

    computed_at: datetime.datetime | None
    rows: int


def freshness(tallies: Iterable[Tally]) -> Freshness:
    tallies = list(tallies)
    times = [tally.computed_at for tally in tallies if tally.computed_at is not None]
    return Freshness(min(times) if times else None, sum(tally.rows for tally in tallies))


def _tally_by(rows: Iterable[Figure], key) -> dict[str, Tally]:
    tallies: dict[str, Tally] = {}
    for row in rows:
        tallies.setdefault(key(row), Tally()).add(row)
    return tallies


_ROW_FIELDS = (
    "area_code",
    "unit_key",
    "period_start",
    "period_end",
    "data",
    "report_count",
    "team_count",
    "computed_at",
)


# -- indicators -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IndicatorInfo:
    id: int
    code: str
    name: str
    unit: str
    category: str
    value_type: str
    time_aggregation: str
    retired: bool
    active_from: int | None
    active_until: int | None

    def active_in(self, batch: Batch | None) -> bool:
        if batch is None:
            return not self.retired
        return (self.active_from is None or self.active_from <= batch.number) and (
            self.active_until is None or self.active_until >= batch.number
        )


def indicator_catalogue() -> list[IndicatorInfo]:
    """Every indicator, in catalogue order, with its batch bounds (one query)."""
    rows = Indicator.objects.order_by("sort_order", "code").values_list(
        "pk",
        "code",
        "name",
        "unit",
        "category",
        "value_type",
        "time_aggregation",
        "active_from_batch__number",
        "active_until_batch__number",
    )
    return [
        IndicatorInfo(pk, code, name, unit, category, value_type, aggregation, until is not None, start, until)
        for pk, code, name, unit, category, value_type, aggregation, start, until in rows
    ]


def _shown_indicators(catalogue: list[IndicatorInfo], cut: Cut, tallies: Iterable[Tally]) -> list[IndicatorInfo]:
    """The batch's indicators (all current ones for all batches), plus any retired one that has a figure."""
    with_values = {indicator_id for tally in tallies for indicator_id in tally.values}
    return [info for info in catalogue if info.active_in(cut.batch) or info.id in with_values]


def _pick_indicator(shown: list[IndicatorInfo], code: str | None) -> IndicatorInfo | None:
    if code:
        for info in shown:
            if info.code == code:
                return info
        raise ValidationError({"indicator": [f"没有指标“{code}”。"]})
    return shown[0] if shown else None


# -- totals ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IndicatorFigure:
    info: IndicatorInfo
    value: Decimal
    reports: int


@dataclass(frozen=True)
class CategoryFigures:
    category: str
    label: str
    duty_title: str
    indicators: list[IndicatorFigure]


def group_by_category(shown: list[IndicatorInfo], tally: Tally) -> list[CategoryFigures]:
    groups: list[CategoryFigures] = []
    for category in Category:
        figures = [
            IndicatorFigure(info, tally.value(info.id), tally.reports_of(info.id))
            for info in shown
            if info.category == category
        ]
        if figures:
            groups.append(CategoryFigures(category.value, category.label, DUTY_TITLES[category], figures))
    return groups


@dataclass
class Totals:
    cut: Cut
    period: Period
    tally: Tally
    categories: list[CategoryFigures]
    freshness: Freshness


def stats_totals(*, cut: Cut) -> Totals:
    """All indicators of the cut's area, grouped by category."""
    tally = Tally()
    for row in cut.rows_at(cut.area.code):
        tally.add(row)
    shown = _shown_indicators(indicator_catalogue(), cut, [tally])
    period = cut.period([tally])
    return Totals(cut, period, tally, group_by_category(shown, tally), freshness([tally]))


# -- breakdown one level down ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RankedEntry:
    rank: int
    value: Decimal
    reports: int
    tally: Tally


@dataclass(frozen=True)
class AreaEntry(RankedEntry):
    area: AreaRef


@dataclass
class Breakdown:
    cut: Cut
    period: Period
    indicator: IndicatorInfo | None
    indicators: list[IndicatorInfo]
    total: Tally
    areas: list[AreaEntry]
    freshness: Freshness


def _ranked(items: list[tuple[object, Tally]], indicator: IndicatorInfo | None) -> list[tuple[int, object, Tally]]:
    """Highest value first (ties: more reports, then the original order); equal values share a rank."""

    def value(tally: Tally) -> Decimal:
        return tally.value(indicator.id) if indicator else Decimal(0)

    ordered = sorted(enumerate(items), key=lambda item: (-value(item[1][1]), item[0]))
    ranked, previous, rank = [], None, 0
    for position, (_, (thing, tally)) in enumerate(ordered, start=1):
        if value(tally) != previous:
            rank, previous = position, value(tally)
        ranked.append((rank, thing, tally))
    return ranked


def stats_breakdown(*, cut: Cut, indicator: str | None = None) -> Breakdown:
    """The cut's figures for each area one level down (every child area, zero where no team reported), ranked by
    one indicator (the first of the catalogue by default), with the area's own total."""
    catalogue = indicator_catalogue()
    length = cut.child_length
    total = Tally()
    children: dict[str, Tally] = {}
    child_areas: list[AreaRef] = []
    if length is None:
        for row in cut.rows_at(cut.area.code):
            total.add(row)
    elif length > STORED_LENGTH:
        # A township's villages: its own row from the store, the villages from their teams' reports.
        for row in cut.rows_at(cut.area.code):
            total.add(row)
        for row in cut.village_rows(cut.area.code):
            children.setdefault(row.area_code, Tally()).add(row)
    elif cut.unit is not None and length < UNIT_LENGTH:
        # A unit above county level: its county rows, added up into the areas one level down and the total.
        rows = cut.rows().filter(area_level=UNIT_LENGTH, area_code__startswith=cut.area.code)
        for row in rows.only(*_ROW_FIELDS):
            total.add(row)
            children.setdefault(row.area_code[:length], Tally()).add(row)
    else:
        rows = cut.rows().filter(Q(area_code=cut.area.code) | Q(area_level=length, area_code__startswith=cut.area.code))
        for row in rows.only(*_ROW_FIELDS):
            (total if row.area_code == cut.area.code else children.setdefault(row.area_code, Tally())).add(row)
    if length is not None:
        child_areas = [
            AreaRef(code, name, level)
            for code, name, level in Area.objects.filter(parent_id=cut.area.code)
            .order_by("code")
            .values_list("code", "name", "level")
        ]
        # A child the store knows but the tree does not (should not happen) still counts, under its code.
        known = {area.code for area in child_areas}
        child_areas += [AreaRef(code, code, LEVEL_BY_LENGTH[length]) for code in sorted(children) if code not in known]
    shown = _shown_indicators(catalogue, cut, [total, *children.values()])
    chosen = _pick_indicator(shown, indicator)
    ranked = _ranked([(area, children.get(area.code, Tally())) for area in child_areas], chosen)
    entries = [
        AreaEntry(
            rank=rank,
            value=tally.value(chosen.id) if chosen else Decimal(0),
            reports=tally.reports_of(chosen.id) if chosen else 0,
            tally=tally,
            area=area,
        )
        for rank, area, tally in ranked
    ]
    period = cut.period([total])
    return Breakdown(cut, period, chosen, shown, total, entries, freshness([total, *children.values()]))


# -- monthly trend --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrendPoint:
    month: datetime.date
    value: Decimal | None  # None: no figures that month (no team reporting yet, or the batch not running)
    reports: int
    report_count: int
    team_count: int


@dataclass
class Trend:
    cut: Cut
    indicator: IndicatorInfo
    points: list[TrendPoint]
    freshness: Freshness


def trend_months(cut: Cut) -> list[datetime.date]:
    """The batch's months up to the period's end (or the latest month with figures), else the last 12 months."""
    last = cut.period_end if cut.kind == Figure.Kind.MONTH else (cut.latest_month or cut.period_end)
    if cut.batch is not None:
        first = month_start(cut.batch.start_date)
        last = min(last, month_start(cut.batch.end_date))
    else:
        first = add_months(last, 1 - TREND_MONTHS)
    months, month = [], first
    while month <= last:
        months.append(month)
        month = add_months(month, 1)
    return months


def stats_trend(*, cut: Cut, indicator: str | None) -> Trend:
    """Monthly figures of one indicator over the batch (or the last 12 months) for the cut's area and unit cut."""
    chosen = _pick_indicator(indicator_catalogue(), indicator)
    if chosen is None:
        raise ValidationError({"indicator": ["指标目录为空。"]})
    months = trend_months(cut)
    tallies: dict[datetime.date, Tally] = {}
    if len(cut.area.code) > STORED_LENGTH:
        for row in cut.village_rows(cut.area.code, months=months):
            tallies.setdefault(row.period_end, Tally()).add(row)
    elif months:
        rows = cut.rows(months=True).filter(
            cut.stored_at(cut.area.code), period_end__gte=months[0], period_end__lte=months[-1]
        )
        for pair, reports, teams, computed_at, start, end in rows.values_list(
            JsonMember("data", str(chosen.id)),
            "report_count",
            "team_count",
            "computed_at",
            "period_start",
            "period_end",
        ):
            data = {chosen.id: pair} if pair else {}
            tallies.setdefault(end, Tally()).add_data(data, reports, teams, computed_at, start, end)
    points = []
    for month in months:
        tally = tallies.get(month)
        if tally is None:
            points.append(TrendPoint(month, None, 0, 0, 0))
        else:
            points.append(
                TrendPoint(
                    month, tally.value(chosen.id), tally.reports_of(chosen.id), tally.report_count, tally.team_count
                )
            )
    return Trend(cut, chosen, points, freshness(tallies.values()))


# -- dispatching units ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UnitEntry(RankedEntry):
    unit: UnitRef


@dataclass(frozen=True)
class UnitLevelEntry(RankedEntry):
    level: str

    @property
    def label(self) -> str:
        return UnitLevel(self.level).label


@dataclass
class UnitComparison:
    cut: Cut
    period: Period
    indicator: IndicatorInfo | None
    indicators: list[IndicatorInfo]
    unit_total: int
    units: list[UnitEntry]
    levels: list[UnitLevelEntry]
    freshness: Freshness


def stats_units(*, cut: Cut, indicator: str | None = None, limit: int | None = None) -> UnitComparison:
    """Dispatching units (and unit levels) side by side within the cut's area, ranked by one indicator. A liaison
    sees only its own unit's row: the visible store holds no other."""
    if len(cut.area.code) > UNIT_CUT_MAX_LENGTH:
        raise ValidationError({"area": [UNIT_TOO_DEEP]})
    rows = cut.rows(any_unit_cut=True)
    # The unit levels in full (six rows a batch; together they hold every team, so every indicator with a figure).
    tallies = _tally_by(
        rows.filter(area_code=cut.area.code, unit_key__startswith="l:").only(*_ROW_FIELDS), key=lambda row: row.unit_key
    )
    shown = _shown_indicators(indicator_catalogue(), cut, tallies.values())
    chosen = _pick_indicator(shown, indicator)
    # The units with the chosen indicator only, picked out of the JSON by the database: a region has some 1,500
    # units, and decoding every indicator of every one of them was most of the answer's time.
    # Units are stored per county: above it, a unit's counties add up (in its tally).
    in_area = (
        Q(area_code=cut.area.code)
        if len(cut.area.code) >= UNIT_LENGTH
        else Q(area_level=UNIT_LENGTH, area_code__startswith=cut.area.code)
    )
    # Added up per unit by the database (a unit's counties, and its batches for all batches): one row per unit.
    key = str(chosen.id) if chosen else "0"
    unit_rows = (
        rows.filter(in_area, unit_key__startswith="u:")
        .values("unit_key")
        .annotate(
            value=Sum(JsonPairPart("data", key, 0, DecimalField(max_digits=30, decimal_places=2))),
            reports=Sum(JsonPairPart("data", key, 1, IntegerField())),
            report_total=Sum("report_count"),
            team_total=Sum("team_count"),
            oldest=Min("computed_at"),
            first=Min("period_start"),
            last=Max("period_end"),
            row_count=Count("id"),
        )
        .order_by()
    )
    for row in unit_rows:
        data = {chosen.id: [row["value"], row["reports"]]} if chosen and row["value"] is not None else {}
        tally = tallies.setdefault(row["unit_key"], Tally())
        tally.add_data(data, row["report_total"], row["team_total"], row["oldest"], row["first"], row["last"])
        tally.rows += row["row_count"] - 1
    unit_ids = [int(key[2:]) for key in tallies if key.startswith("u:")]
    units = {
        pk: UnitRef(pk, name, level)
        for pk, name, level in DispatchingUnit.objects.filter(pk__in=unit_ids).values_list("pk", "name", "level")
    }

    def entry(cls, rank, tally, **identity):
        value = tally.value(chosen.id) if chosen else Decimal(0)
        return cls(
            rank=rank, value=value, reports=tally.reports_of(chosen.id) if chosen else 0, tally=tally, **identity
        )

    unit_items = [
        (units.get(unit_id) or UnitRef(unit_id, f"单位{unit_id}", UnitLevel.REGION), tallies[f"u:{unit_id}"])
        for unit_id in sorted(unit_ids, key=lambda pk: units[pk].name if pk in units else "")
    ]
    level_items = [(level, tallies[f"l:{level}"]) for level in UnitLevel.values if f"l:{level}" in tallies]
    return UnitComparison(
        cut=cut,
        period=cut.period(tallies.values()),
        indicator=chosen,
        indicators=shown,
        unit_total=len(unit_items),
        units=[entry(UnitEntry, rank, tally, unit=unit) for rank, unit, tally in _ranked(unit_items, chosen)][:limit],
        levels=[entry(UnitLevelEntry, rank, tally, level=level) for rank, level, tally in _ranked(level_items, chosen)],
        freshness=freshness(tallies.values()),
    )


# -- reporting completeness -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CompletenessFigure:
    expected: int = 0
    submitted: int = 0
    approved: int = 0
    late: int = 0
    missing: int = 0

    @staticmethod
    def of(row: Completeness | None) -> "CompletenessFigure":
        if row is None:
            return CompletenessFigure()
        return CompletenessFigure(row.expected, row.submitted, row.approved, row.late, row.missing)

    def _percent(self, part: int) -> Decimal | None:
        if not self.expected:
            return None
        return (Decimal(100) * part / self.expected).quantize(Decimal("0.1"))

    @property
    def rate(self) -> Decimal | None:
        """已报率, percent with one decimal."""
        return self._percent(self.submitted)

    @property
    def approved_rate(self) -> Decimal | None:
        return self._percent(self.approved)


@dataclass(frozen=True)
class CompletenessArea:
    area: AreaRef
    figure: CompletenessFigure


@dataclass(frozen=True)
class CompletenessMonth:
    month: datetime.date
    figure: CompletenessFigure


@dataclass
class CompletenessReport:
    area: AreaRef
    path: list[AreaRef]
    month: datetime.date | None
    child_level: str | None
    figure: CompletenessFigure
    areas: list[CompletenessArea]
    months: list[CompletenessMonth]
    freshness: Freshness


def stats_completeness(
    *, user, area: str | None = None, month: str | datetime.date | None = None
) -> CompletenessReport:
    """Expected, submitted, approved, late and missing reports of an area in a month (by default the latest month
    already due: the one before this month), for each area one level down, and the area's last 12 months."""
    scope = stats_scope(user)
    if not (scope.everything or scope.area_prefixes):
        raise PermissionDenied(NO_COMPLETENESS)
    chosen = _month_param(month, "month")
    area_ref, path = _area_path(scope, area or None)
    if not _covers(scope, area_ref.code):
        raise Http404("该地区不在您的范围内。")
    visible = Completeness.objects.within_scope(scope)
    if chosen is None:
        this_month = month_start(timezone.localdate())
        stored = sorted(visible.filter(area_code=area_ref.code).values_list("month", flat=True))
        # The latest month already due; this month (not due yet) only when there is no other.
        due = [stored_month for stored_month in stored if stored_month < this_month]
        chosen = (due or stored or [add_months(this_month, -1)])[-1]
    length_index = AREA_LENGTHS.index(len(area_ref.code))
    child_length = AREA_LENGTHS[length_index + 1] if length_index + 1 < len(AREA_LENGTHS) else None
    first = add_months(chosen, 1 - TREND_MONTHS)
    q = Q(area_code=area_ref.code, month__gte=first, month__lte=chosen)
    if child_length:
        q |= Q(month=chosen, area_level=child_length, area_code__startswith=area_ref.code)
    own: dict[datetime.date, Completeness] = {}
    children: dict[str, Completeness] = {}
    oldest, used = None, 0
    for row in visible.filter(q):
        used += 1
        oldest = row.computed_at if oldest is None or row.computed_at < oldest else oldest
        if row.area_code == area_ref.code:
            own[row.month] = row
        else:
            children[row.area_code] = row
    child_areas = (
        [
            AreaRef(code, name, level)
            for code, name, level in Area.objects.filter(parent_id=area_ref.code)
            .order_by("code")
            .values_list("code", "name", "level")
        ]
        if child_length
        else []
    )
    months = []
    current = first
    while current <= chosen:
        months.append(CompletenessMonth(current, CompletenessFigure.of(own.get(current))))
        current = add_months(current, 1)
    return CompletenessReport(
        area=area_ref,
        path=path,
        month=chosen,
        child_level=LEVEL_BY_LENGTH[child_length] if child_length else None,
        figure=CompletenessFigure.of(own.get(chosen)),
        areas=[CompletenessArea(child, CompletenessFigure.of(children.get(child.code))) for child in child_areas],
        months=months,
        freshness=Freshness(oldest, used),
    )


# -- what the dashboard's pickers offer ------------------------------------------------------------------------------


@dataclass
class StatsOptions:
    roots: list[AreaRef]
    default_area: AreaRef
    path: list[AreaRef]
    batches: list[Batch]
    months: list[datetime.date]
    latest_month: datetime.date | None
    default_kind: str
    unit_levels: list[str]
    units: list[UnitRef]
    indicators: list[IndicatorInfo]
    completeness: bool


def stats_options(*, user) -> StatsOptions:
    """The choices a dashboard offers this user: where they start, the batches, the months with figures, the unit
    levels (area-bound users) or their own units (liaisons), the indicator catalogue."""
    cut = stats_cut(user=user)
    scope = cut.scope
    months = list(
        cut.rows(months=True)
        .filter(area_code=cut.area.code)
        .order_by("period_end")
        .values_list("period_end", flat=True)
        .distinct()
    )
    roots = [cut.path[0]] if cut.path else [cut.area]
    units: list[UnitRef] = []
    if scope.unit_ids and not scope.everything:
        units = [
            UnitRef(*row)
            for row in DispatchingUnit.objects.filter(pk__in=scope.unit_ids)
            .order_by("name")
            .values_list("pk", "name", "level")
        ]
    by_area = scope.everything or bool(scope.area_prefixes)
    return StatsOptions(
        roots=roots,
        default_area=cut.area,
        path=cut.path,
        batches=list(Batch.objects.order_by("-number")),
        months=months,
        latest_month=cut.latest_month,
        default_kind=DEFAULT_KIND,
        unit_levels=list(UnitLevel.values) if by_area else [],
        units=units,
        indicators=indicator_catalogue(),
        completeness=by_area,
    )
