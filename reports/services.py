"""Writes to the indicator catalogue and the reports."""

import csv
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction

from reports.choices import ActivitySource, Category, TimeAggregation, ValueType
from reports.models import ActivityType, ActivityTypeIndicator, Indicator

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
