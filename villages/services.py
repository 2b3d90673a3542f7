"""Writes to the area tree."""

import csv
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction

from villages.choices import CODE_LENGTH, AreaLevel, VillageKind
from villages.models import Area

DEFAULT_AREAS_CSV = Path(__file__).resolve().parent / "data" / "xizang_divisions.csv"
_RESIDENTS_COMMITTEE_SUFFIXES = ("居委会", "社区", "居民委员会")


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int

    def __str__(self) -> str:
        return f"新增 {self.created}，更新 {self.updated}，未变 {self.unchanged}"


def village_kind_from_name(name: str) -> str:
    return (
        VillageKind.RESIDENTS_COMMITTEE
        if name.endswith(_RESIDENTS_COMMITTEE_SUFFIXES)
        else VillageKind.VILLAGE_COMMITTEE
    )


def _read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    problems = []
    codes = set()
    for line, row in enumerate(rows, start=2):
        code, level, parent = row.get("code", ""), row.get("level", ""), row.get("parent_code", "")
        if level not in AreaLevel.values:
            problems.append(f"第{line}行：层级“{level}”无效")
        elif len(code) != CODE_LENGTH[level] or not code.isdigit():
            problems.append(f"第{line}行：代码“{code}”与层级不符")
        elif level != AreaLevel.PROVINCE and (not parent or not code.startswith(parent)):
            problems.append(f"第{line}行：代码“{code}”不以上级代码“{parent}”开头")
        if code in codes:
            problems.append(f"第{line}行：代码“{code}”重复")
        codes.add(code)
    missing = {row["parent_code"] for row in rows if row["parent_code"]} - codes
    if missing:
        problems.append(f"上级代码不存在：{', '.join(sorted(missing)[:10])}")
    if problems:
        raise ValidationError(problems)
    return rows


@transaction.atomic
def area_import_csv(*, path: Path = DEFAULT_AREAS_CSV) -> ImportResult:
    """Create or update the areas of a divisions CSV (code,name,level,parent_code).

    Idempotent: a second run finds every row unchanged. Only the source's facts (name, level,
    parent, village kind) are written; border flags, households and population are left alone.
    Areas missing from the file are kept (reports may point at them).
    """
    rows = _read_rows(path)
    existing = {area.code: area for area in Area.objects.only("code", "name", "level", "parent_id", "kind")}
    to_create: list[Area] = []
    to_update: list[Area] = []
    for row in rows:
        level = row["level"]
        kind = village_kind_from_name(row["name"]) if level == AreaLevel.VILLAGE else ""
        fields = {"name": row["name"], "level": level, "parent_id": row["parent_code"] or None, "kind": kind}
        area = existing.get(row["code"])
        if area is None:
            to_create.append(Area(code=row["code"], **fields))
        elif any(getattr(area, name) != value for name, value in fields.items()):
            for name, value in fields.items():
                setattr(area, name, value)
            to_update.append(area)
    # Parents first: codes sort shorter-level-first once ordered by length.
    to_create.sort(key=lambda area: (len(area.code), area.code))
    Area.objects.bulk_create(to_create, batch_size=2000)
    Area.objects.bulk_update(to_update, ["name", "level", "parent_id", "kind"], batch_size=2000)
    return ImportResult(
        created=len(to_create), updated=len(to_update), unchanged=len(rows) - len(to_create) - len(to_update)
    )
