"""Writes to the indicator catalogue and the reports."""

import csv
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from reports.choices import ActivitySource, Category, ReportStatus, TimeAggregation, ValueType
from reports.models import Activity, ActivityType, ActivityTypeIndicator, Indicator, MonthlyReport, Notification
from reports.periods import month_start
from teams.models import WorkTeam
from zhucun.scope import Action, user_can

DATA_DIR = Path(__file__).resolve().parent / "data"
DEFAULT_INDICATORS_CSV = DATA_DIR / "indicators.csv"
DEFAULT_ACTIVITY_TYPES_CSV = DATA_DIR / "activity_types.csv"
_CATEGORY_BY_LABEL = {label: value for value, label in Category.choices}
_INDICATOR_FIELDS = ("name", "unit", "category", "value_type", "time_aggregation", "part_of_id")


@dataclass(frozen=True)
class CatalogueImportResult:
    created: int
    updated: int
    unchanged: int
    differing: int

    def __str__(self) -> str:
        text = f"新增 {self.created}，更新 {self.updated}，未变 {self.unchanged}"
        if self.differing:
            text += f"，另有 {self.differing} 项与文件不同但已保留（用 --overwrite 覆盖）"
        return text


def _read_indicator_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    problems = []
    codes = {row["code"] for row in rows}
    for line, row in enumerate(rows, start=2):
        if not row["code"] or not row["name"]:
            problems.append(f"第{line}行：代码和名称不能为空")
        if row["category"] not in _CATEGORY_BY_LABEL:
            problems.append(f"第{line}行：类别“{row['category']}”无效")
        if row["value_type"] not in ValueType.values:
            problems.append(f"第{line}行：数值类型“{row['value_type']}”无效")
        if row["time_aggregation"] not in TimeAggregation.values:
            problems.append(f"第{line}行：汇总方式“{row['time_aggregation']}”无效")
        if row["part_of"] and (row["part_of"] not in codes or row["part_of"] == row["code"]):
            problems.append(f"第{line}行：所属总数指标“{row['part_of']}”无效")
    if len(codes) != len(rows):
        problems.append("指标代码有重复")
    if problems:
        raise ValidationError(problems)
    return rows


@transaction.atomic
def indicator_import_csv(*, path: Path = DEFAULT_INDICATORS_CSV, overwrite: bool = False) -> CatalogueImportResult:
    """Load the indicator catalogue. Idempotent. Indicators already present are kept as the region
    admins left them unless `overwrite`; new ones are appended in file order."""
    rows = _read_indicator_rows(path)
    existing = {indicator.code: indicator for indicator in Indicator.objects.all()}
    next_order = max((indicator.sort_order for indicator in existing.values()), default=0)
    created = updated = unchanged = differing = 0
    # Two passes: totals must exist before their "其中" parts point at them.
    for row in rows:
        if row["code"] not in existing:
            next_order += 10
            existing[row["code"]] = Indicator.objects.create(
                code=row["code"],
                name=row["name"],
                unit=row["unit"],
                category=_CATEGORY_BY_LABEL[row["category"]],
                value_type=row["value_type"],
                time_aggregation=row["time_aggregation"],
                sort_order=next_order,
            )
            created += 1
            row["_new"] = True
    for row in rows:
        indicator = existing[row["code"]]
        wanted = {
            "name": row["name"],
            "unit": row["unit"],
            "category": _CATEGORY_BY_LABEL[row["category"]],
            "value_type": row["value_type"],
            "time_aggregation": row["time_aggregation"],
            "part_of_id": existing[row["part_of"]].pk if row["part_of"] else None,
        }
        changed = [name for name in _INDICATOR_FIELDS if getattr(indicator, name) != wanted[name]]
        if not changed:
            if not row.get("_new"):
                unchanged += 1
            continue
        if row.get("_new") or overwrite:
            for name in changed:
                setattr(indicator, name, wanted[name])
            indicator.full_clean(exclude=["active_from_batch", "active_until_batch"])
            indicator.save(update_fields=[name.removesuffix("_id") for name in changed])
            updated += 0 if row.get("_new") else 1
        else:
            differing += 1
    return CatalogueImportResult(created=created, updated=updated, unchanged=unchanged, differing=differing)


@transaction.atomic
def activity_type_import_csv(*, path: Path = DEFAULT_ACTIVITY_TYPES_CSV) -> CatalogueImportResult:
    """Load the default activity types and their indicator mappings (name,indicator,source). Idempotent;
    types and mappings are only added, never removed, so region admins' changes survive."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    indicators = {indicator.code: indicator for indicator in Indicator.objects.all()}
    problems = [
        f"第{line}行：指标“{row['indicator']}”不存在或取值方式“{row['source']}”无效"
        for line, row in enumerate(rows, start=2)
        if row["indicator"] and (row["indicator"] not in indicators or row["source"] not in ActivitySource.values)
    ]
    if problems:
        raise ValidationError(problems)
    created = unchanged = 0
    order = {name: index for index, name in enumerate(dict.fromkeys(row["name"] for row in rows), start=1)}
    for row in rows:
        activity_type, type_created = ActivityType.objects.get_or_create(
            name=row["name"], defaults={"sort_order": order[row["name"]] * 10}
        )
        created += type_created
        if row["indicator"]:
            _, mapping_created = ActivityTypeIndicator.objects.get_or_create(
                activity_type=activity_type,
                indicator=indicators[row["indicator"]],
                defaults={"source": row["source"]},
            )
            created += mapping_created
            unchanged += not mapping_created
        else:
            unchanged += not type_created
    return CatalogueImportResult(created=created, updated=0, unchanged=unchanged, differing=0)


# -- activities -----------------------------------------------------------------------------------------------

ACTIVITY_FIELDS = ("date", "activity_type", "title", "village", "participants", "households", "notes")


def _activity_month_locked(team_id: int, day) -> bool:
    """Activities of a month whose report is approved are part of an official figure: locked."""
    return MonthlyReport.objects.filter(team_id=team_id, month=month_start(day), status=ReportStatus.APPROVED).exists()


def _check_activity(activity) -> None:
    if activity.date > timezone.localdate():
        raise ValidationError({"date": "不能记录未来日期的活动。"})
    if activity.date < activity.team.start_date or (activity.team.end_date and activity.date > activity.team.end_date):
        raise ValidationError({"date": "日期不在工作队驻村期间。"})
    if activity.village_id and activity.village.level != "village":
        raise ValidationError({"village": "请选择村（居）。"})
    if _activity_month_locked(activity.team_id, activity.date):
        raise ValidationError({"date": "该月月报已审核，不能再增加或修改该月的工作日志。"})
    activity.full_clean()


@transaction.atomic
def activity_create(*, actor, team, **fields):
    """A team leader or member logs what the team did."""
    if not WorkTeam.objects.visible_to(actor, Action.LOG_ACTIVITY).filter(pk=team.pk).exists():
        raise PermissionDenied("您没有权限为该工作队记录工作日志。")
    unknown = set(fields) - set(ACTIVITY_FIELDS)
    if unknown:
        raise ValidationError(f"不能设置字段：{', '.join(sorted(unknown))}")
    activity = Activity(team=team, created_by=actor, **fields)
    _check_activity(activity)
    activity.save()
    return activity


@transaction.atomic
def activity_update(*, actor, activity, **fields):
    if not Activity.objects.visible_to(actor, Action.LOG_ACTIVITY).filter(pk=activity.pk).exists():
        raise PermissionDenied("您没有权限修改该工作日志。")
    unknown = set(fields) - set(ACTIVITY_FIELDS)
    if unknown:
        raise ValidationError(f"不能修改字段：{', '.join(sorted(unknown))}")
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    if _activity_month_locked(activity.team_id, activity.date):
        raise ValidationError("该月月报已审核，不能修改该月的工作日志。")
    for name, value in fields.items():
        setattr(activity, name, value)
    _check_activity(activity)
    activity.save()
    return activity


@transaction.atomic
def activity_delete(*, actor, activity) -> None:
    if not Activity.objects.visible_to(actor, Action.LOG_ACTIVITY).filter(pk=activity.pk).exists():
        raise PermissionDenied("您没有权限删除该工作日志。")
    if _activity_month_locked(activity.team_id, activity.date):
        raise ValidationError("该月月报已审核，不能删除该月的工作日志。")
    activity.delete()


# -- the indicator catalogue (region admins) -------------------------------------------------------------------

INDICATOR_FIELDS = (
    "code",
    "name",
    "unit",
    "category",
    "value_type",
    "time_aggregation",
    "part_of",
    "sort_order",
    "active_from_batch",
    "active_until_batch",
)


def _require_administer(actor) -> None:
    if not user_can(actor, Action.ADMINISTER):
        raise PermissionDenied("只有自治区驻村办管理员可以维护指标目录。")


def _check_indicator(indicator: Indicator) -> None:
    if indicator.part_of_id and indicator.part_of_id == indicator.pk:
        raise ValidationError({"part_of": "指标不能是自身的“其中”项。"})
    if indicator.part_of_id and indicator.part_of.part_of_id == indicator.pk and indicator.pk:
        raise ValidationError({"part_of": "“其中”关系不能互相包含。"})
    first, last = indicator.active_from_batch, indicator.active_until_batch
    if first and last and last.number < first.number:
        raise ValidationError({"active_until_batch": "停用批次不能早于启用批次。"})
    indicator.full_clean()


@transaction.atomic
def indicator_create(*, actor, **fields) -> Indicator:
    _require_administer(actor)
    unknown = set(fields) - set(INDICATOR_FIELDS)
    if unknown:
        raise ValidationError(f"不能设置字段：{', '.join(sorted(unknown))}")
    if "sort_order" not in fields:
        last = Indicator.objects.order_by("-sort_order").values_list("sort_order", flat=True).first() or 0
        fields["sort_order"] = last + 10
    indicator = Indicator(**fields)
    _check_indicator(indicator)
    indicator.save()
    return indicator


@transaction.atomic
def indicator_update(*, actor, indicator: Indicator, **fields) -> Indicator:
    """Change an indicator. Its code and value type are fixed once reports hold values for it: old figures
    must keep meaning what they meant."""
    _require_administer(actor)
    unknown = set(fields) - set(INDICATOR_FIELDS)
    if unknown:
        raise ValidationError(f"不能修改字段：{', '.join(sorted(unknown))}")
    indicator = Indicator.objects.select_for_update().get(pk=indicator.pk)
    if indicator.values.exists():
        for name in ("code", "value_type", "time_aggregation"):
            if name in fields and fields[name] != getattr(indicator, name):
                raise ValidationError(
                    {name: "已有月报使用该指标，不能修改代码、数值类型或汇总方式；请停用后新建指标。"}
                )
    for name, value in fields.items():
        setattr(indicator, name, value)
    _check_indicator(indicator)
    indicator.save()
    return indicator


@transaction.atomic
def indicator_retire(*, actor, indicator: Indicator, last_batch) -> Indicator:
    """Stop asking for an indicator after `last_batch`; its values stay readable in old reports."""
    return indicator_update(actor=actor, indicator=indicator, active_until_batch=last_batch)


@transaction.atomic
def indicator_reorder(*, actor, codes: list[str]) -> None:
    """Put the named indicators in this order (10, 20, 30 ...); others keep their place after them."""
    _require_administer(actor)
    indicators = {indicator.code: indicator for indicator in Indicator.objects.select_for_update()}
    unknown = [code for code in codes if code not in indicators]
    if unknown:
        raise ValidationError({"codes": f"没有这些指标：{', '.join(unknown)}"})
    order = [indicators[code] for code in codes] + [
        indicator
        for code, indicator in sorted(indicators.items(), key=lambda item: item[1].sort_order)
        if code not in set(codes)
    ]
    for position, indicator in enumerate(order, start=1):
        indicator.sort_order = position * 10
    Indicator.objects.bulk_update(order, ["sort_order"])


# -- the in-app inbox ---------------------------------------------------------------------------------------------


def notification_mark_read(*, user, notification: Notification) -> Notification:
    """Mark one of the user's own notifications read; marking it again keeps the first time."""
    if notification.user_id != user.pk:
        raise PermissionDenied("只能处理自己的通知。")
    Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=timezone.now())
    notification.refresh_from_db(fields=["read_at"])
    return notification


def notification_mark_all_read(*, user) -> int:
    """Mark every unread notification of the user read; returns how many were unread."""
    return Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())
