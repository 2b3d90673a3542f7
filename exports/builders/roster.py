"""The cadre roster: one row per assignment (a cadre on a team) with the cadre's fields, streamed from the database
into a write-only workbook. ID numbers, phones and full birth dates only for the cadres whose ID number the user may
see (SPEC.md: the owning county admin and region admins, i.e. the SEE_ID_NUMBER scope covering the cadre's managing
county); masked for everyone else, as on the cadre pages."""

from pathlib import Path

from openpyxl import Workbook

from exports import xlsx
from exports.builders.common import BuildResult, NoProgress, Progress, exported_by
from teams.choices import (
    CURRENT_ASSIGNMENT_STATUSES,
    AssignmentRole,
    AssignmentStatus,
    Education,
    Gender,
    PoliticalStatus,
)
from teams.models import Assignment, chinese_numeral
from teams.validators import mask_id_number, mask_phone
from villages.models import Area
from zhucun.scope import Action, scope_for

COLUMNS = (
    # (header, width)
    ("地市", 10),
    ("县（区）", 12),
    ("乡镇（街道）", 14),
    ("村（居）", 16),
    ("批次", 8),
    ("工作队", 36),
    ("派驻单位", 28),
    ("姓名", 10),
    ("性别", 6),
    ("民族", 8),
    ("出生日期", 12),
    ("身份证号", 21),
    ("手机号码", 14),
    ("政治面貌", 12),
    ("学历", 10),
    ("所在单位", 28),
    ("职务", 16),
    ("职级", 10),
    ("队内职务", 10),
    ("任职状态", 8),
    ("到岗日期", 12),
    ("离岗日期", 12),
)
FIELDS = (
    "team__village_id",
    "team__village__name",
    "team__batch__number",
    "team__name",
    "team__unit__name",
    "cadre__name",
    "cadre__gender",
    "cadre__ethnicity",
    "cadre__birth_date",
    "cadre__id_number",
    "cadre__phone",
    "cadre__political_status",
    "cadre__education",
    "cadre__home_unit__name",
    "cadre__post",
    "cadre__rank",
    "cadre__area_id",
    "role",
    "status",
    "start_date",
    "end_date",
)
PROGRESS_EVERY = 1000


def roster_queryset(*, user, params: dict):
    assignments = Assignment.objects.visible_to(user, Action.EXPORT).filter(
        team__village__pk__startswith=params["area"]
    )
    if params.get("batch"):
        assignments = assignments.filter(team__batch_id=params["batch"])
    if params.get("unit"):
        assignments = assignments.filter(team__unit_id=params["unit"])
    if params.get("unit_level"):
        assignments = assignments.filter(team__unit__level=params["unit_level"])
    if params.get("current_only"):
        assignments = assignments.filter(status__in=CURRENT_ASSIGNMENT_STATUSES)
    return assignments.order_by("team__village_id", "team__batch__number", "role", "cadre__name", "pk")


def build_roster(*, user, params: dict, path: Path, progress: Progress | None = None, title: str = "") -> BuildResult:
    progress = progress or NoProgress()
    assignments = roster_queryset(user=user, params=params)
    total = assignments.count()
    progress.start(total)
    see = scope_for(user, Action.SEE_ID_NUMBER)
    names = dict(
        Area.objects.filter(
            code__startswith=params["area"][:9], level__in=("prefecture", "county", "township")
        ).values_list("code", "name")
    )
    if len(params["area"]) > 4:
        # The prefecture (and county) above a county or township export.
        names.update(Area.objects.filter(code__in=[params["area"][:4], params["area"][:6]]).values_list("code", "name"))
    labels = {
        "gender": dict(Gender.choices),
        "political": dict(PoliticalStatus.choices),
        "education": dict(Education.choices),
        "role": dict(AssignmentRole.choices),
        "status": dict(AssignmentStatus.choices),
    }

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("干部花名册")
    xlsx.take_prepared_cells(sheet)
    xlsx.set_widths(sheet, [width for _, width in COLUMNS])
    sheet.freeze_panes = "I5"
    sheet.append([xlsx.styled(sheet, title or "驻村干部花名册", font=xlsx.TITLE_FONT)])
    note = "身份证号、手机号码和出生日期仅对有权查看的干部完整显示，其余已隐去。"
    sheet.append([xlsx.styled(sheet, f"{exported_by(user)}　共{total:,}条任职记录　{note}")])
    sheet.append([])
    sheet.append([xlsx.styled(sheet, header, font=xlsx.HEADER_FONT, fill=xlsx.HEADER_FILL) for header, _ in COLUMNS])
    date_cells = [xlsx.styled(sheet, None, number_format=xlsx.DATE_FORMAT) for _ in range(3)]

    rows = full = 0
    cadres: set[str] = set()
    for values in assignments.values_list(*FIELDS).iterator(chunk_size=2000):
        (village, village_name, batch_number, team_name, unit_name, name, gender, ethnicity, birth, id_number, phone,
         political, education, home_unit, post, rank, cadre_area, role, status, start, end) = values  # fmt: skip
        sees = see.everything or cadre_area.startswith(see.area_prefixes)
        if sees:
            full += id_number not in cadres
        cadres.add(id_number)
        row = [
            names.get(village[:4], ""),
            names.get(village[:6], ""),
            names.get(village[:9], ""),
            village_name,
            f"第{chinese_numeral(batch_number)}批",
            team_name,
            unit_name,
            name,
            labels["gender"].get(gender, gender),
            ethnicity,
            _date(date_cells[0], birth) if sees else (f"{birth:%Y}年" if birth else None),
            id_number if sees else mask_id_number(id_number),
            (phone if sees else mask_phone(phone)) or None,
            labels["political"].get(political, political),
            labels["education"].get(education, education) or None,
            home_unit,
            post or None,
            rank or None,
            labels["role"].get(role, role),
            labels["status"].get(status, status),
            _date(date_cells[1], start),
            _date(date_cells[2], end),
        ]
        sheet.append(_safe_row(sheet, row))
        rows += 1
        if rows % PROGRESS_EVERY == 0:
            progress.advance(rows)
    workbook.save(path)
    progress.advance(rows)
    return BuildResult(
        rows=rows,
        cells=rows * len(COLUMNS),
        personal_data=rows > 0,
        full_id_numbers=full,
        detail=f"{rows}条任职、{len(cadres)}人，其中完整身份证号{full}人",
    )


def _date(cell, value):
    """A date in a reused styled cell (one cell object per column: the writer copies it out at once)."""
    if value is None:
        return None
    cell.value = value
    return cell


def _safe_row(sheet, row: list):
    """Text inert, numbers and dates as they are; a generator so the reused date cells are read in order."""
    for value in row:
        yield value if not isinstance(value, str) else xlsx.safe_value(sheet, value)
