"""An export's parameters, checked against the user's scope before any job is queued, and resolved into the values
the job will use (the area's code, the period's last month, the batch's id), so a job run tomorrow writes the
same thing as one run now. The page's forms and the API both call `export_request_resolve`.

Errors are Chinese, by field (a ValidationError the page puts next to the field and the API returns as 400). A
filter value outside the user's scope (an area, a unit) is an error of that field, as on every list page.
"""

import datetime
from collections.abc import Mapping
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from exports.choices import ExportKind, Layout
from reports import stats
from reports.filtersets import parse_month
from reports.models import Figure
from reports.periods import add_months, month_start
from teams.choices import UnitLevel
from teams.models import Batch, DispatchingUnit
from villages.choices import LEVEL_BY_LENGTH, AreaLevel
from villages.models import Area
from zhucun.scope import Action, Scope, scope_for

NO_EXPORT = "您没有导出权限。"
MAX_MONTH_SHEETS = 24


@dataclass(frozen=True)
class ExportRequest:
    """What a job needs: its kind, normalized parameters, the area it covers, its title and file names."""

    kind: str
    params: dict
    area_code: str
    title: str
    file_name: str
    ascii_name: str


@dataclass(frozen=True)
class PeriodBounds:
    """The months a team-level export covers. Batch-to-date has no common first month: each team counts from its
    own batch's first month (`first` is None) up to `last` (and its batch's last month)."""

    kind: str
    first: datetime.date | None
    last: datetime.date
    label: str


def export_scope(user) -> Scope:
    """The user's EXPORT scope; 403 for users without the right (team roles)."""
    scope = scope_for(user, Action.EXPORT)
    if scope.is_empty:
        raise PermissionDenied(NO_EXPORT)
    return scope


def _text(data: Mapping, name: str) -> str:
    value = data.get(name)
    if value is None:
        return ""
    return str(value).strip()


def _flag(data: Mapping, name: str, default: bool = False) -> bool:
    value = data.get(name)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true", "on", "yes")


def _int_or_none(data: Mapping, name: str) -> int | None:
    text = _text(data, name)
    if not text:
        return None
    try:
        number = int(text)
    except ValueError:
        raise ValidationError({name: ["请填写整数。"]}) from None
    if number < 1:
        raise ValidationError({name: ["请填写正整数。"]})
    return number


def _month(data: Mapping, name: str) -> datetime.date | None:
    return stats._month_param(_text(data, name) or None, name)


def _batch(data: Mapping) -> Batch | None:
    batch_id = _int_or_none(data, "batch")
    if batch_id is None:
        return None
    batch = Batch.objects.filter(pk=batch_id).first()
    if batch is None:
        raise ValidationError({"batch": ["没有这个批次。"]})
    return batch


def export_area(scope: Scope, code: str) -> Area:
    """The area an export covers: the user's own (outermost) area by default; an area-bound user may choose any
    area inside theirs, a liaison any area (their unit's teams in it)."""
    if not code:
        code = scope.area_prefixes[0] if scope.area_prefixes else "54"
    if not code.isdigit() or len(code) not in stats.AREA_LENGTHS:
        raise ValidationError({"area": ["地区代码应为2、4、6、9或12位数字。"]})
    covered = scope.everything or any(code.startswith(prefix) for prefix in scope.area_prefixes)
    if not covered and not scope.unit_ids:
        raise ValidationError({"area": ["该地区不在您的范围内。"]})
    area = Area.objects.filter(code=code).first()
    if area is None:
        raise ValidationError({"area": ["没有这个地区。"]})
    return area


def _unit(user, scope: Scope, data: Mapping, area: Area) -> tuple[DispatchingUnit | None, str | None]:
    unit_id = _int_or_none(data, "unit")
    unit_level = _text(data, "unit_level") or None
    if unit_id and unit_level:
        raise ValidationError({"unit_level": ["派驻单位和单位层级只能选一个。"]})
    if unit_level and unit_level not in UnitLevel.values:
        raise ValidationError({"unit_level": [f"单位层级应为 {'、'.join(UnitLevel.values)} 之一。"]})
    by_area = scope.everything or any(area.code.startswith(prefix) for prefix in scope.area_prefixes)
    if not by_area:
        # A liaison exports its own unit's teams.
        if unit_level:
            raise ValidationError({"unit_level": ["派驻单位联络员只能导出本单位的数据。"]})
        if unit_id and unit_id not in scope.unit_ids:
            raise ValidationError({"unit": ["只能导出本单位的数据。"]})
        unit_id = unit_id or scope.unit_ids[0]
    unit = None
    if unit_id:
        unit = DispatchingUnit.objects.visible_to(user, Action.EXPORT).filter(pk=unit_id).first()
        if unit is None:
            raise ValidationError({"unit": ["没有这个派驻单位，或不在您的范围内。"]})
    return unit, unit_level


def _owner(batch: Batch | None) -> str:
    return batch.name if batch else "全部批次"


def _unit_text(unit_name: str | None, unit_level: str | None) -> str:
    """A title's unit cut: "，<unit>", "，<level>单位" or nothing."""
    if unit_name:
        return f"，{unit_name}"
    return f"，{UnitLevel(unit_level).label}单位" if unit_level else ""


def _area_error(error: Http404) -> ValidationError:
    """The statistics' 404 for an area (outside the scope, unknown) as the export form's error of that field."""
    return ValidationError({"area": [str(error) or "该地区不在您的范围内。"]})


def period_bounds(kind: str, month: datetime.date, *, batch: Batch | None) -> PeriodBounds:
    """The period of `kind` containing `month`; batch-to-date ends this month (or the chosen batch's last)."""
    if kind == Figure.Kind.BATCH_TO_DATE:
        last = month_start(timezone.localdate())
        if batch is not None:
            last = min(last, month_start(batch.end_date))
            first = month_start(batch.start_date)
        else:
            first = None
        period = stats.period_of(kind, last, batch=batch, start=first)
        return PeriodBounds(kind, first, last, period.label)
    end = stats.period_end_for(kind, month)
    period = stats.period_of(kind, end, batch=batch)
    return PeriodBounds(kind, period.start, period.end, period.label)


def bounds_from_params(params: Mapping, *, batch: Batch | None) -> PeriodBounds:
    return period_bounds(params["period_kind"], parse_month(params["period"]), batch=batch)


def _summary(user, data: Mapping) -> ExportRequest:
    try:
        cut = stats.stats_cut(
            user=user,
            area=_text(data, "area") or None,
            kind=_text(data, "period_kind") or None,
            period=_text(data, "period") or None,
            batch=_int_or_none(data, "batch"),
            unit=_int_or_none(data, "unit"),
            unit_level=_text(data, "unit_level") or None,
        )
    except Http404 as error:
        raise _area_error(error) from None
    except ValidationError as error:
        raise _renamed(error, {"kind": "period_kind"}) from None
    layout = _text(data, "layout") or Layout.INDICATORS_AS_ROWS
    if layout not in Layout.values:
        raise ValidationError({"layout": ["请选择表格方向。"]})
    period = cut.period([])
    params = {
        "area": cut.area.code,
        "period_kind": str(cut.kind),
        "period": f"{cut.period_end:%Y-%m}",
        "batch": cut.batch.pk if cut.batch else None,
        "unit": cut.unit.id if cut.unit else None,
        "unit_level": cut.unit_level,
        "layout": str(layout),
    }
    unit = _unit_text(cut.unit.name if cut.unit else None, cut.unit_level)
    title = f"{cut.area.name}驻村工作队工作统计表（{_owner(cut.batch)}，{period.label}{unit}）"
    return ExportRequest(
        kind=ExportKind.SUMMARY,
        params=params,
        area_code=cut.area.code,
        title=title,
        file_name=f"{cut.area.name}_{period.label}_统计汇总表.xlsx",
        ascii_name=f"zhucun-summary-{cut.area.code}-{cut.kind}-{cut.period_end:%Y-%m}.xlsx",
    )


def _renamed(error: ValidationError, names: dict[str, str]) -> ValidationError:
    if not hasattr(error, "error_dict"):
        return error
    return ValidationError({names.get(name, name): messages for name, messages in error.error_dict.items()})


def _team_detail(user, data: Mapping) -> ExportRequest:
    scope = export_scope(user)
    area = export_area(scope, _text(data, "area"))
    kind = _text(data, "period_kind") or stats.DEFAULT_KIND
    if kind not in Figure.Kind.values:
        raise ValidationError({"period_kind": [f"周期类型应为 {'、'.join(Figure.Kind.values)} 之一。"]})
    month = _month(data, "period") or add_months(month_start(timezone.localdate()), -1)
    batch = _batch(data)
    unit, unit_level = _unit(user, scope, data, area)
    bounds = period_bounds(kind, month, batch=batch)
    monthly = _flag(data, "monthly_sheets")
    if monthly:
        first = bounds.first
        if first is None:
            earliest = Batch.objects.order_by("start_date").values_list("start_date", flat=True).first()
            first = month_start(earliest or bounds.last)
        months = (bounds.last.year - first.year) * 12 + bounds.last.month - first.month + 1
        if months > MAX_MONTH_SHEETS:
            raise ValidationError({"monthly_sheets": [f"按月分表最多{MAX_MONTH_SHEETS}个月，请选择批次或较短的周期。"]})
    params = {
        "area": area.code,
        "period_kind": kind,
        "period": f"{bounds.last:%Y-%m}",
        "batch": batch.pk if batch else None,
        "unit": unit.pk if unit else None,
        "unit_level": unit_level,
        "monthly_sheets": monthly,
    }
    unit_text = _unit_text(unit.name if unit else None, unit_level)
    return ExportRequest(
        kind=ExportKind.TEAM_DETAIL,
        params=params,
        area_code=area.code,
        title=f"{area.name}驻村工作队明细（{_owner(batch)}，{bounds.label}{unit_text}）",
        file_name=f"{area.name}_{bounds.label}_工作队明细.xlsx",
        ascii_name=f"zhucun-team-detail-{area.code}-{kind}-{bounds.last:%Y-%m}.xlsx",
    )


def _roster(user, data: Mapping) -> ExportRequest:
    scope = export_scope(user)
    area = export_area(scope, _text(data, "area"))
    batch = _batch(data)
    unit, unit_level = _unit(user, scope, data, area)
    current_only = _flag(data, "current_only")
    params = {
        "area": area.code,
        "batch": batch.pk if batch else None,
        "unit": unit.pk if unit else None,
        "unit_level": unit_level,
        "current_only": current_only,
    }
    owner = _owner(batch)
    which = "，仅在任" if current_only else ""
    unit_text = _unit_text(unit.name if unit else None, unit_level)
    return ExportRequest(
        kind=ExportKind.ROSTER,
        params=params,
        area_code=area.code,
        title=f"{area.name}驻村干部花名册（{owner}{which}{unit_text}）",
        file_name=f"{area.name}_{owner}_驻村干部花名册.xlsx",
        ascii_name=f"zhucun-roster-{area.code}{'-b' + str(batch.number) if batch else ''}.xlsx",
    )


def _completeness(user, data: Mapping) -> ExportRequest:
    export_scope(user)
    month = _month(data, "month")
    try:
        report = stats.stats_completeness(user=user, area=_text(data, "area") or None, month=month)
    except Http404 as error:
        raise _area_error(error) from None
    label = f"{report.month.year}年{report.month.month}月"
    return ExportRequest(
        kind=ExportKind.COMPLETENESS,
        params={"area": report.area.code, "month": f"{report.month:%Y-%m}"},
        area_code=report.area.code,
        title=f"{report.area.name}{label}月报报送完成情况",
        file_name=f"{report.area.name}_{label}_报送完成情况.xlsx",
        ascii_name=f"zhucun-completeness-{report.area.code}-{report.month:%Y-%m}.xlsx",
    )


RESOLVERS = {
    ExportKind.SUMMARY: _summary,
    ExportKind.TEAM_DETAIL: _team_detail,
    ExportKind.ROSTER: _roster,
    ExportKind.COMPLETENESS: _completeness,
}


def export_request_resolve(*, user, kind: str, data: Mapping) -> ExportRequest:
    """Check an export's parameters for this user and resolve them (ValidationError by field, 403 without the
    right to export)."""
    export_scope(user)
    if kind not in RESOLVERS:
        raise ValidationError({"kind": [f"导出类型应为 {'、'.join(ExportKind.values)} 之一。"]})
    return RESOLVERS[kind](user, data)


def area_choices(user) -> list[tuple[str, str]]:
    """The areas an export form offers: the user's own areas, two levels below them, down to townships at most
    (a region admin: the region, its prefectures and counties; a county admin: the county and its townships)."""
    scope = scope_for(user, Action.EXPORT)
    roots = list(scope.area_prefixes)
    if scope.everything or (scope.unit_ids and not roots):
        roots = list(Area.objects.filter(level=AreaLevel.PROVINCE).values_list("code", flat=True))
    choices: list[tuple[str, str]] = []
    for root in roots:
        depth = stats.AREA_LENGTHS.index(len(root))
        lengths = [length for length in stats.AREA_LENGTHS[depth : depth + 3] if length <= 9]
        levels = [LEVEL_BY_LENGTH[length] for length in lengths]
        rows = Area.objects.filter(code__startswith=root, level__in=levels).order_by("code").values_list("code", "name")
        for code, name in rows:
            indent = "　" * lengths.index(len(code))
            choices.append((code, f"{indent}{name}"))
    return choices
