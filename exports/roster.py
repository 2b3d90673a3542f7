"""The cadre roster import: a county admin fills the template (one row per cadre sent to a team of the county) and
uploads it. Every row is checked first (required fields, ID check digit, duplicates within the file and against the
database, village and dispatching unit resolvable within the county, one 队长 and one 第一书记 per team); then all
rows are written through the teams services (cadre_create, team_create, assignment_create: their rules and scope
checks apply) in one transaction, or none is. Errors name the row and column, in the page, the API and a copy of the
workbook with the bad cells filled red and commented.

Limits: files up to MAX_UPLOAD_BYTES (5 MB) and MAX_ROWS (1,000) data rows. The largest county has 186 villages,
about 750 cadres a batch; each row goes through the services (some 40 queries: scope checks, constraint checks,
history), about 16 ms a row on PostgreSQL, so the limit keeps an upload within a web request's time (~16 s at most).
"""

import datetime
import io
import zipfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from exports import xlsx
from exports.choices import ImportStatus
from exports.models import RosterImport
from teams import services as team_services
from teams.choices import CURRENT_ASSIGNMENT_STATUSES, AssignmentRole, Education, Gender, PoliticalStatus
from teams.models import Assignment, Batch, Cadre, DispatchingUnit, WorkTeam
from teams.validators import id_number_check_char, normalize_id_number, validate_id_number, validate_phone
from villages.choices import AreaLevel
from villages.models import Area
from zhucun.scope import Action, scope_for

MAX_UPLOAD_MB = 5
MAX_UPLOAD_BYTES = MAX_UPLOAD_MB * 1024 * 1024
MAX_ROWS = 1000
# A 5 MB upload may not inflate beyond this (a "zip bomb" would exhaust memory when the marked copy is written).
MAX_UNPACKED_BYTES = 80 * 1024 * 1024
IMPORT_DIR = "imports"
SHEET_NAME = "干部花名册"
EXAMPLE_MARK = "示例"
EXAMPLE_ID_NUMBER = "54010319850101123" + id_number_check_char("54010319850101123")


@dataclass(frozen=True)
class Column:
    header: str
    key: str
    required: bool = False
    width: int = 12
    help: str = ""


COLUMNS = (
    Column("序号", "number", width=6, help="填“示例”的行不导入。"),
    Column("乡镇（街道）", "township", width=14, help="村（居）名称在本县重复时必填。"),
    Column("村（居）", "village", required=True, width=16, help="村（居）名称，或12位统计用区划代码。"),
    Column("派驻单位", "unit", width=28, help="工作队的派驻单位；该村本批次尚无工作队时必填（将新建工作队）。"),
    Column("姓名", "name", required=True, width=10),
    Column("性别", "gender", required=True, width=6, help="男 或 女，须与身份证号一致。"),
    Column("民族", "ethnicity", width=8, help="不填为藏族。"),
    Column("身份证号", "id_number", required=True, width=21, help="18位，请以文本格式填写。"),
    Column("手机号码", "phone", width=14),
    Column("政治面貌", "political_status", width=12, help="不填为中共党员。"),
    Column("学历", "education", width=10),
    Column("所在单位", "home_unit", width=28, help="干部的工作单位；不填为派驻单位。"),
    Column("职务", "post", width=16),
    Column("职级", "rank", width=10),
    Column("队内职务", "role", required=True, width=10, help="队长、第一书记或队员；每队一名队长。"),
    Column("到岗日期", "start_date", width=12, help="不填为工作队进驻日期（已进驻的为今天）。"),
)
BY_HEADER = {column.header: column for column in COLUMNS}
BY_KEY = {column.key: column for column in COLUMNS}
GENDERS = {label: value for value, label in Gender.choices}
ROLES = {label: value for value, label in AssignmentRole.choices}
POLITICAL = {label: value for value, label in PoliticalStatus.choices}
EDUCATION = {label: value for value, label in Education.choices}
# A service's ValidationError field → the column it belongs to.
FIELD_COLUMNS = {"cadre": "id_number", "team": "village", "area": "village", "birth_date": "id_number"}

TOO_BIG = f"文件超过{MAX_UPLOAD_MB} MB，请分批导入。"
TOO_MANY = f"数据超过{MAX_ROWS:,}行，请分批导入（每次最多{MAX_ROWS:,}行）。"
NOT_EXCEL = "无法读取该文件：请上传由模板填写的 Excel 工作簿（.xlsx）。"
EMPTY = "文件中没有数据行。"


@dataclass
class RowError:
    row: int | None  # the workbook's row number (the header is row 1); None for the file as a whole
    column: str | None  # the column's header
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass
class ImportOutcome:
    record: RosterImport
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


class ImportRejected(Exception):
    """Raised inside the import transaction to roll every row back."""


# -- the template ---------------------------------------------------------------------------------------------------


def default_batch() -> Batch | None:
    """The batch working today, else the latest."""
    today = timezone.localdate()
    batches = Batch.objects.order_by("-number")
    return batches.filter(start_date__lte=today, end_date__gte=today).first() or batches.first()


def roster_template(*, county: Area | None = None) -> bytes:
    """The template: Chinese headers (required ones red), lists for 性别, 队内职务, 政治面貌 and 学历, an example row
    (marked 示例, never imported), the county's villages for reference, and the instructions."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET_NAME
    for index, column in enumerate(COLUMNS, start=1):
        xlsx.put(
            sheet,
            1,
            index,
            column.header,
            font=Font(bold=True, color="C00000" if column.required else "000000"),
            fill=xlsx.HEADER_FILL,
            alignment=xlsx.CENTER,
        )
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    example = {
        "number": EXAMPLE_MARK,
        "township": "东嘎街道",
        "village": "南嘎居委会",
        "unit": "拉萨市堆龙德庆区统计局",
        "name": "扎西次仁",
        "gender": "男",
        "ethnicity": "藏族",
        "id_number": EXAMPLE_ID_NUMBER,
        "phone": "13800000000",
        "political_status": "中共党员",
        "education": "大学本科",
        "home_unit": "",
        "post": "科员",
        "rank": "一级科员",
        "role": "队长",
        "start_date": "2026-11-01",
    }
    for index, column in enumerate(COLUMNS, start=1):
        xlsx.put(sheet, 2, index, example[column.key] or None, font=Font(italic=True, color="808080"))
    sheet.freeze_panes = "B2"
    id_column = get_column_letter(_index("id_number"))
    phone_column = get_column_letter(_index("phone"))
    for row in range(2, MAX_ROWS + 2):
        # Text, so an 18-digit number keeps its last digits and the check character X.
        sheet[f"{id_column}{row}"].number_format = "@"
        sheet[f"{phone_column}{row}"].number_format = "@"
    lists = (
        ("gender", list(GENDERS)),
        ("role", list(ROLES)),
        ("political_status", list(POLITICAL)),
        ("education", list(EDUCATION)),
    )
    for key, options in lists:
        letter = get_column_letter(_index(key))
        validation = DataValidation(
            type="list",
            formula1='"' + ",".join(options) + '"',
            allow_blank=not BY_KEY[key].required,
            showErrorMessage=True,
            errorTitle="请从列表中选择",
            error=f"{BY_KEY[key].header}只能是：{'、'.join(options)}",
        )
        validation.add(f"{letter}2:{letter}{MAX_ROWS + 1}")
        sheet.add_data_validation(validation)

    guide = workbook.create_sheet("填写说明")
    lines = [
        "驻村干部花名册导入模板",
        f"每行一名干部在本县一个村（居）工作队的任职；最多{MAX_ROWS:,}行，文件不超过{MAX_UPLOAD_MB} MB。",
        "红色表头为必填项。全部行无误才会导入；有任何错误则一行都不导入，并逐行逐列列出错误。",
        "身份证号已登记的干部（跨批次再次选派）请在工作队页面直接选派，不要重复导入。",
        "",
        "列\t说明",
    ]
    lines += [f"{column.header}\t{'必填。' if column.required else ''}{column.help}" for column in COLUMNS]
    for row, line in enumerate(lines, start=1):
        for offset, part in enumerate(line.split("\t")):
            xlsx.put(guide, row, 1 + offset, part or None, font=xlsx.TITLE_FONT if row == 1 else None)
    guide.column_dimensions["A"].width = 16
    guide.column_dimensions["B"].width = 80

    if county is not None:
        villages = workbook.create_sheet("本县村居")
        for index, header in enumerate(("乡镇（街道）", "村（居）", "统计用区划代码"), start=1):
            xlsx.put(villages, 1, index, header, font=xlsx.HEADER_FONT, fill=xlsx.HEADER_FILL)
        rows = (
            Area.objects.filter(code__startswith=county.code, level=AreaLevel.VILLAGE)
            .order_by("code")
            .values_list("parent__name", "name", "code")
        )
        for row, values in enumerate(rows, start=2):
            for index, value in enumerate(values, start=1):
                xlsx.put(villages, row, index, value)
        villages.column_dimensions["A"].width = 16
        villages.column_dimensions["B"].width = 18
        villages.column_dimensions["C"].width = 16
        villages.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _index(key: str) -> int:
    return next(index for index, column in enumerate(COLUMNS, start=1) if column.key == key)


# -- reading the upload ---------------------------------------------------------------------------------------------


@dataclass
class ParsedRow:
    row: int
    values: dict[str, object]


class FileRejected(Exception):
    """The file as a whole cannot be read (not Excel, empty, too big, wrong headers): one message each."""

    def __init__(self, errors: list[RowError], *, readable: bool = False):
        super().__init__("; ".join(error.message for error in errors))
        self.errors = errors
        self.readable = readable


def _normalize_header(value: object) -> str:
    text = str(value or "").strip().replace(" ", "").replace("　", "").rstrip("*＊")
    return text.replace("(", "（").replace(")", "）")


def read_rows(data: bytes) -> tuple[list[ParsedRow], dict[str, int]]:
    """The data rows of an upload and the column index of each known header. FileRejected for a file that is not a
    workbook, is empty, has too many rows or the wrong headers."""
    if not data:
        raise FileRejected([RowError(None, None, "文件是空的。")])
    if len(data) > MAX_UPLOAD_BYTES:
        raise FileRejected([RowError(None, None, TOO_BIG)])
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(item.file_size for item in archive.infolist()) > MAX_UNPACKED_BYTES:
                raise FileRejected([RowError(None, None, TOO_BIG)])
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except FileRejected:
        raise
    except Exception:
        raise FileRejected([RowError(None, None, NOT_EXCEL)]) from None
    try:
        sheet = workbook[SHEET_NAME] if SHEET_NAME in workbook.sheetnames else workbook.worksheets[0]
        rows = sheet.iter_rows(min_row=1, max_col=len(COLUMNS) + 10, values_only=True)
        header = next(rows, None)
        positions = _check_headers(header)
        parsed: list[ParsedRow] = []
        for number, values in enumerate(rows, start=2):
            if values is None or all(value is None or str(value).strip() == "" for value in values):
                continue
            row = {key: values[index] if index < len(values) else None for key, index in positions.items()}
            if str(row.get("number") or "").strip() == EXAMPLE_MARK:
                continue
            parsed.append(ParsedRow(number, row))
            if len(parsed) > MAX_ROWS:
                raise FileRejected([RowError(None, None, TOO_MANY)], readable=True)
    finally:
        workbook.close()
    if not parsed:
        raise FileRejected([RowError(None, None, EMPTY)], readable=True)
    return parsed, positions


def _check_headers(header) -> dict[str, int]:
    if header is None or all(value is None for value in header):
        raise FileRejected([RowError(None, None, "第1行应为表头；文件中没有内容。")], readable=True)
    positions: dict[str, int] = {}
    errors = []
    for index, value in enumerate(header):
        text = _normalize_header(value)
        if not text:
            continue
        column = BY_HEADER.get(text)
        if column is None:
            errors.append(RowError(1, str(value), f"无法识别的表头“{value}”，请使用导入模板。"))
        elif column.key in positions:
            errors.append(RowError(1, column.header, f"表头“{column.header}”重复。"))
        else:
            positions[column.key] = index
    missing = [column.header for column in COLUMNS if column.required and column.key not in positions]
    if missing:
        errors.append(RowError(1, None, f"缺少必填列：{'、'.join(missing)}。请使用导入模板。"))
    if errors:
        raise FileRejected(errors, readable=True)
    return positions


# -- checking the rows ----------------------------------------------------------------------------------------------


@dataclass
class CheckedRow:
    row: int
    village: Area | None = None
    team: WorkTeam | None = None
    unit: DispatchingUnit | None = None
    unit_name: str = ""
    cadre: dict = field(default_factory=dict)
    role: str = ""
    start_date: datetime.date | None = None


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _date(value: object) -> datetime.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = _text(value).replace("/", "-").replace(".", "-")
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise ValueError("日期格式应为 2026-11-01。") from None


class RowChecker:
    """Checks every row against the county, the batch and the database, with the few queries a whole file needs."""

    def __init__(self, *, user, county: Area, batch: Batch):
        self.user, self.county, self.batch = user, county, batch
        self.errors: list[RowError] = []
        villages = Area.objects.filter(code__startswith=county.code, level=AreaLevel.VILLAGE).select_related("parent")
        self.villages = {village.code: village for village in villages}
        self.by_name: dict[str, list[Area]] = defaultdict(list)
        for village in self.villages.values():
            self.by_name[village.name].append(village)
        self.teams = {
            team.village_id: team
            for team in WorkTeam.objects.filter(batch=batch, village__pk__startswith=county.code).select_related("unit")
        }
        self.units: dict[str, DispatchingUnit | None] = {}

    def error(self, row: int, key: str | None, message: str) -> None:
        self.errors.append(RowError(row, BY_KEY[key].header if key else None, message))

    def unit(self, name: str) -> DispatchingUnit | None:
        if name not in self.units:
            self.units[name] = DispatchingUnit.objects.visible_to(self.user).filter(name=name, is_active=True).first()
        return self.units[name]

    def village(self, row: ParsedRow) -> Area | None:
        text = _text(row.values.get("village"))
        township = _text(row.values.get("township"))
        if not text:
            self.error(row.row, "village", "请填写村（居）。")
            return None
        if text.isdigit():
            if len(text) != 12:
                self.error(row.row, "village", "村（居）代码应为12位数字。")
                return None
            if text not in self.villages:
                self.error(
                    row.row, "village", f"代码{text}不是{self.county.name}的村（居），只能导入本县（区）的干部。"
                )
                return None
            return self.villages[text]
        found = self.by_name.get(text, [])
        if township:
            found = [village for village in found if village.parent.name == township]
        if not found:
            where = f"{township}" if township else ""
            self.error(row.row, "village", f"{self.county.name}{where}没有名为“{text}”的村（居）。")
            return None
        if len(found) > 1:
            self.error(row.row, "township", f"{self.county.name}有多个“{text}”，请填写乡镇（街道）或12位代码。")
            return None
        return found[0]

    def check(self, rows: list[ParsedRow]) -> list[CheckedRow]:
        checked = [self.check_row(row) for row in rows]
        self.check_new_teams(checked)
        self.check_duplicates(checked)
        self.check_leaders(checked)
        return checked

    def check_new_teams(self, rows: list[CheckedRow]) -> None:
        """A village without a team in the batch gets one, sent by the unit its rows name (one row is enough; rows
        that name another unit are errors). A cadre's home unit defaults to the team's unit."""
        by_village: dict[str, list[CheckedRow]] = defaultdict(list)
        for row in rows:
            if row.village is not None and row.team is None:
                by_village[row.village.code].append(row)
        for members in by_village.values():
            named = [row for row in members if row.unit_name]
            if not named:
                self.error(
                    members[0].row,
                    "unit",
                    f"该村（居）在{self.batch.name}尚无工作队：请至少在其中一行填写派驻单位，以新建工作队。",
                )
                continue
            first = named[0]
            for row in named[1:]:
                if row.unit_name != first.unit_name:
                    self.error(
                        row.row, "unit", f"同一村（居）的派驻单位应一致（第{first.row}行为“{first.unit_name}”）。"
                    )
            for row in members:
                row.unit = first.unit
        for row in rows:
            if row.cadre.get("home_unit") is None:
                row.cadre["home_unit"] = row.unit

    def check_row(self, row: ParsedRow) -> CheckedRow:
        result = CheckedRow(row.row)
        values = row.values
        result.village = self.village(row)
        unit_name = _text(values.get("unit"))
        result.unit_name = unit_name
        if result.village is not None:
            result.team = self.teams.get(result.village.code)
            if result.team is not None:
                if unit_name and unit_name != result.team.unit.name:
                    self.error(
                        row.row,
                        "unit",
                        f"该村（居）本批次的工作队由“{result.team.unit.name}”派驻，与所填派驻单位不符。",
                    )
                result.unit = result.team.unit
        if unit_name and result.team is None:
            result.unit = self.unit(unit_name)
            if result.unit is None:
                self.error(row.row, "unit", f"没有名为“{unit_name}”的派驻单位，请按系统中的单位名称填写。")

        cadre: dict = {}
        name = _text(values.get("name"))
        if not name:
            self.error(row.row, "name", "请填写姓名。")
        elif len(name) > 50:
            self.error(row.row, "name", "姓名不能超过50个字。")
        cadre["name"] = name
        gender = _text(values.get("gender"))
        if gender not in GENDERS:
            self.error(row.row, "gender", "性别应为“男”或“女”。")
        cadre["gender"] = GENDERS.get(gender, "")
        raw_id = values.get("id_number")
        id_number = normalize_id_number(_text(raw_id))
        if isinstance(raw_id, float) or (isinstance(raw_id, int) and len(id_number) > 15):
            self.error(row.row, "id_number", "身份证号须以文本格式填写（数字格式会丢失末几位），请在模板中重新填写。")
            id_number = ""
        elif not id_number:
            self.error(row.row, "id_number", "请填写身份证号。")
        else:
            try:
                validate_id_number(id_number)
            except ValidationError as error:
                self.error(row.row, "id_number", error.messages[0])
                id_number = ""
        if id_number:
            cadre["birth_date"] = datetime.date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
            id_gender = Gender.MALE if int(id_number[16]) % 2 else Gender.FEMALE
            if cadre["gender"] and cadre["gender"] != id_gender:
                self.error(row.row, "gender", "性别与身份证号不符（第17位奇数为男、偶数为女）。")
        cadre["id_number"] = id_number
        phone = _text(values.get("phone"))
        try:
            validate_phone(phone)
        except ValidationError as error:
            self.error(row.row, "phone", error.messages[0])
        cadre["phone"] = phone
        ethnicity = _text(values.get("ethnicity")) or "藏族"
        if len(ethnicity) > 20:
            self.error(row.row, "ethnicity", "民族不能超过20个字。")
        cadre["ethnicity"] = ethnicity
        political = _text(values.get("political_status")) or PoliticalStatus.CPC_MEMBER.label
        if political not in POLITICAL:
            self.error(row.row, "political_status", f"政治面貌应为：{'、'.join(POLITICAL)}。")
        cadre["political_status"] = POLITICAL.get(political, "")
        education = _text(values.get("education"))
        if education and education not in EDUCATION:
            self.error(row.row, "education", f"学历应为：{'、'.join(EDUCATION)}，或不填。")
        cadre["education"] = EDUCATION.get(education, "")
        home_unit_name = _text(values.get("home_unit"))
        home_unit = self.unit(home_unit_name) if home_unit_name else None
        if home_unit_name and home_unit is None:
            self.error(row.row, "home_unit", f"没有名为“{home_unit_name}”的单位，请按系统中的单位名称填写。")
        cadre["home_unit"] = home_unit
        for key, limit in (("post", 100), ("rank", 50)):
            text = _text(values.get(key))
            if len(text) > limit:
                self.error(row.row, key, f"{BY_KEY[key].header}不能超过{limit}个字。")
            cadre[key] = text
        result.cadre = cadre
        role = _text(values.get("role"))
        if role not in ROLES:
            self.error(row.row, "role", "队内职务应为“队长”“第一书记”或“队员”。")
        result.role = ROLES.get(role, "")
        try:
            result.start_date = _date(values.get("start_date"))
        except ValueError as error:
            self.error(row.row, "start_date", str(error))
        if result.start_date and not (self.batch.start_date <= result.start_date <= self.batch.end_date):
            self.error(
                row.row,
                "start_date",
                f"到岗日期应在{self.batch.name}期间（{self.batch.start_date}至{self.batch.end_date}）。",
            )
        return result

    def check_duplicates(self, rows: list[CheckedRow]) -> None:
        first_row: dict[str, int] = {}
        for row in rows:
            number = row.cadre.get("id_number")
            if not number:
                continue
            if number in first_row:
                self.error(row.row, "id_number", f"身份证号与第{first_row[number]}行重复。")
            else:
                first_row[number] = row.row
        registered = set(Cadre.objects.filter(id_number__in=list(first_row)).values_list("id_number", flat=True))
        for row in rows:
            if row.cadre.get("id_number") in registered and first_row.get(row.cadre["id_number"]) == row.row:
                self.error(
                    row.row,
                    "id_number",
                    "该身份证号已登记。干部跨批次再次选派时，请在工作队页面选派已有干部，不要重复导入。",
                )

    def check_leaders(self, rows: list[CheckedRow]) -> None:
        """One 队长 (and at most one 第一书记) per team, counting the team's current ones; a new team needs its 队长."""
        by_village: dict[str, list[CheckedRow]] = defaultdict(list)
        for row in rows:
            if row.village is not None:
                by_village[row.village.code].append(row)
        current = Counter(
            Assignment.objects.filter(
                team__in=[team for code, team in self.teams.items() if code in by_village],
                status__in=CURRENT_ASSIGNMENT_STATUSES,
                role__in=(AssignmentRole.LEADER, AssignmentRole.FIRST_SECRETARY),
            ).values_list("team__village_id", "role")
        )
        for code, members in by_village.items():
            for role, label in ((AssignmentRole.LEADER, "队长"), (AssignmentRole.FIRST_SECRETARY, "第一书记")):
                holders = [row for row in members if row.role == role]
                if current[(code, role)]:
                    for row in holders:
                        self.error(row.row, "role", f"该工作队已有在任{label}，不能再导入{label}。")
                elif len(holders) > 1:
                    for row in holders[1:]:
                        self.error(row.row, "role", f"同一工作队只能有一名{label}（已在第{holders[0].row}行）。")
            if code not in self.teams and not any(row.role == AssignmentRole.LEADER for row in members):
                self.error(members[0].row, "role", "该村（居）将新建工作队，须有一名队长。")


# -- importing ------------------------------------------------------------------------------------------------------


def import_counties(user) -> list[Area]:
    """The counties whose rosters this user may import: those in their MANAGE scope."""
    scope = scope_for(user, Action.MANAGE)
    if scope.everything:
        return list(Area.objects.filter(level=AreaLevel.COUNTY).order_by("code"))
    counties = Area.objects.none()
    for prefix in scope.area_prefixes:
        counties |= Area.objects.filter(code__startswith=prefix, level=AreaLevel.COUNTY)
    return list(counties.order_by("code"))


def _service_errors(row: int, error: ValidationError, default_key: str | None) -> list[RowError]:
    if not hasattr(error, "error_dict"):
        return [
            RowError(row, BY_KEY[default_key].header if default_key else None, message) for message in error.messages
        ]
    found = []
    for name, errors in error.message_dict.items():
        key = FIELD_COLUMNS.get(name, name)
        header = BY_KEY[key].header if key in BY_KEY else (BY_KEY[default_key].header if default_key else None)
        found += [RowError(row, header, message) for message in errors]
    return found


def _write(user, county: Area, batch: Batch, rows: list[CheckedRow]) -> tuple[int, int, int]:
    """Every row through the teams services, in the caller's transaction; ImportRejected with the errors if any
    service refuses a row (its savepoint is rolled back, the other rows are still tried, then everything goes)."""
    errors: list[RowError] = []
    teams: dict[str, WorkTeam] = {}
    created_teams = 0
    for row in rows:
        code = row.village.code
        if row.team is None and code not in teams:
            try:
                teams[code] = team_services.team_create(actor=user, batch=batch, village=row.village, unit=row.unit)
                created_teams += 1
            except ValidationError as error:
                errors += _service_errors(row.row, error, "village")
    cadres = assignments = 0
    # Leaders first: a new team's 队长 is on it before its members.
    ordered = sorted(rows, key=lambda row: (row.role != AssignmentRole.LEADER, row.row))
    for row in ordered:
        team = row.team or teams.get(row.village.code)
        if team is None:
            continue
        try:
            cadre = team_services.cadre_create(actor=user, area=county, **row.cadre)
            cadres += 1
        except ValidationError as error:
            errors += _service_errors(row.row, error, None)
            continue
        try:
            team_services.assignment_create(
                actor=user, team=team, cadre=cadre, role=row.role, start_date=row.start_date
            )
            assignments += 1
        except ValidationError as error:
            errors += _service_errors(row.row, error, "role")
    if errors:
        raise ImportRejected(errors)
    return cadres, created_teams, assignments


def roster_import(*, user, county: Area | str, batch: Batch | int | None, file_name: str, data: bytes) -> ImportOutcome:
    """Import an uploaded roster for `county` into `batch` (default: the batch working today): all rows or none.
    Records the attempt (RosterImport), with the errors and a marked copy of the workbook when it is refused."""
    county = county if isinstance(county, Area) else Area.objects.filter(code=county, level=AreaLevel.COUNTY).first()
    if county is None or county.code not in {area.code for area in import_counties(user)}:
        raise PermissionDenied("您只能导入本人管理的县（区）的干部花名册。")
    if batch is None:
        batch = default_batch()
    elif not isinstance(batch, Batch):
        batch = Batch.objects.filter(pk=batch).first()
    if batch is None:
        raise ValidationError({"batch": ["没有这个批次。"]})

    errors: list[RowError] = []
    counts = (0, 0, 0)
    rows: list[ParsedRow] = []
    readable = True
    try:
        rows, _ = read_rows(data)
    except FileRejected as rejected:
        errors, readable = rejected.errors, rejected.readable
    if not errors:
        checker = RowChecker(user=user, county=county, batch=batch)
        checked = checker.check(rows)
        errors = checker.errors
        if not errors:
            try:
                with transaction.atomic():
                    counts = _write(user, county, batch, checked)
            except ImportRejected as rejected:
                errors = rejected.args[0]
    errors.sort(key=lambda error: (error.row or 0, _column_order(error.column)))
    record = RosterImport.objects.create(
        user=user,
        county=county,
        batch=batch,
        file_name=Path(file_name or "upload.xlsx").name[:200],
        status=ImportStatus.REJECTED if errors else ImportStatus.IMPORTED,
        rows=len(rows),
        cadres_created=counts[0],
        teams_created=counts[1],
        assignments_created=counts[2],
        errors=[error.as_dict() for error in errors],
    )
    if errors and readable and any(error.row for error in errors):
        name = f"{IMPORT_DIR}/{timezone.now():%Y%m}/roster-import-{record.pk}-marked.xlsx"
        if _write_marked_copy(data, errors, Path(settings.MEDIA_ROOT) / name):
            from exports.services import keep_for

            RosterImport.objects.filter(pk=record.pk).update(marked_file=name, expires_at=timezone.now() + keep_for())
            record.refresh_from_db()
    return ImportOutcome(record, errors)


def _column_order(header: str | None) -> int:
    column = BY_HEADER.get(header or "")
    return COLUMNS.index(column) if column else -1


def _write_marked_copy(data: bytes, errors: list[RowError], path: Path) -> bool:
    """The uploaded workbook with every bad cell filled red and commented (a row's error on its first cell, a
    header's on the header). False when the file cannot be opened for writing."""
    try:
        workbook = load_workbook(io.BytesIO(data))
    except Exception:
        return False
    sheet = workbook[SHEET_NAME] if SHEET_NAME in workbook.sheetnames else workbook.worksheets[0]
    header = [_normalize_header(cell.value) for cell in sheet[1]]
    messages: dict[tuple[int, int], list[str]] = defaultdict(list)
    for error in errors:
        if not error.row:
            continue
        column_index = 1
        if error.column:
            wanted = _normalize_header(error.column)
            if wanted in header:
                column_index = header.index(wanted) + 1
        messages[(error.row, column_index)].append(error.message)
    for (row, column), texts in messages.items():
        cell = sheet.cell(row=row, column=column)
        cell.fill = xlsx.ERROR_FILL
        comment = Comment("\n".join(texts), "驻村工作队管理系统")
        comment.width, comment.height = 300, 40 + 20 * len(texts)
        cell.comment = comment
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return True
