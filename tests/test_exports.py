"""The exports' figures, opened with openpyxl and checked cell by cell against the statistics API for the same filters,
over the story of tests/stats_world.py (as in tests/test_api_stats.py). The auditor reads the region; the county
admin of 堆龙德庆区 her county.
"""

from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import load_workbook
from rest_framework.test import APIClient

from exports.builders import BUILDERS
from exports.choices import ExportKind, Layout
from exports.params import export_request_resolve
from tests.factories import BatchFactory, UserRoleFactory
from tests.stats_world import H2_2025, january_2026, story_fixture  # noqa: F401 (fixtures)
from zhucun.choices import Role

pytestmark = pytest.mark.django_db


def api_get(user, path: str, **params) -> dict:
    client = APIClient()
    client.force_login(user)
    response = client.get(path, {key: value for key, value in params.items() if value is not None})
    assert response.status_code == 200, response.content
    return response.json()


def export(user, kind: str, **data):
    """Resolve the parameters as the page and the API do, build the workbook in memory, open it with openpyxl."""
    request = export_request_resolve(user=user, kind=kind, data=data)
    buffer = BytesIO()
    result = BUILDERS[kind](user=user, params=request.params, path=buffer, title=request.title)
    buffer.seek(0)
    return load_workbook(buffer), result, request


def number(value) -> Decimal:
    return Decimal(0) if value is None else Decimal(str(value))


# -- the summary ------------------------------------------------------------------------------------------------------


def summary_grid(sheet, header_row: int = 4) -> dict[tuple[str, str], object]:
    """(indicator name, column header) → cell value, for the indicator rows (those with a unit in column B)."""
    headers = [cell.value for cell in sheet[header_row]]
    grid = {}
    for row in sheet.iter_rows(min_row=header_row + 1, values_only=True):
        if row[1] is None or row[0] in ("计入已审核月报", "计入工作队"):
            continue
        for column, header in enumerate(headers[2:], start=2):
            grid[(row[0], header)] = row[column]
    return grid


@pytest.mark.parametrize(
    ("area", "batch_choice"),
    [("54", None), ("5401", None), ("540103", "batch10"), ("540103001", None)],
)
def test_it_writes_the_summary_equal_to_the_statistics_api(story, auditor, area, batch_choice):
    batch = getattr(story, batch_choice).pk if batch_choice else None
    workbook, _, request = export(
        auditor, ExportKind.SUMMARY, area=area, period_kind="half", period="2025-12", batch=batch
    )
    sheet = workbook["汇总表"]
    totals = api_get(auditor, "/api/v1/stats/totals/", area=area, kind="half", period="2025-12", batch=batch)
    breakdown = api_get(auditor, "/api/v1/stats/breakdown/", area=area, kind="half", period="2025-12", batch=batch)
    grid = summary_grid(sheet)
    total_header = f"{totals['area']['name']}合计"

    compared = 0
    for category in totals["categories"]:
        for indicator in category["indicators"]:
            assert number(grid[(indicator["name"], total_header)]) == Decimal(indicator["value"]), indicator["code"]
            compared += 1
    for child in breakdown["areas"]:
        for code, value in child["values"].items():
            name = next(item["name"] for item in breakdown["indicators"] if item["code"] == code)
            assert number(grid[(name, child["name"])]) == Decimal(value), (child["name"], code)
            compared += 1
    assert compared >= 51
    assert request.params["area"] == area
    assert sheet["A1"].value == request.title
    assert "2025年下半年" in sheet["A1"].value
    assert f"计入已审核月报{totals['report_count']:,}份" in sheet["A2"].value


def test_it_groups_the_summary_under_the_duties_with_units_and_number_formats(story, auditor):
    workbook, _, _ = export(auditor, ExportKind.SUMMARY, area="54", period_kind="half", period="2025-12")
    sheet = workbook["汇总表"]
    rows = {row[0].value: row for row in sheet.iter_rows(min_row=5) if row[0].value}

    assert "一、政策讲解员（宣传教育）" in rows
    assert "三、发展引路人（发展致富）" in rows
    p02 = rows["组织召开宣讲大会"]
    e04 = rows["帮助群众增加现金收入"]
    assert p02[1].value == "场次"
    assert p02[2].value == 4 + 6 + 3 + 5 + 2 + 1 + 100 + 7  # the region's total; 比如's November not approved
    assert p02[2].number_format == "#,##0"
    assert e04[1].value == "元"
    assert number(e04[2].value) == Decimal("1101.25")
    assert e04[2].number_format == "#,##0.00"
    assert sheet.freeze_panes == "C5"
    assert sheet["C4"].value == "西藏自治区合计"
    assert [sheet.cell(4, column).value for column in range(4, 11)] == [
        "拉萨市",
        "日喀则市",
        "昌都市",
        "林芝市",
        "山南市",
        "那曲市",
        "阿里地区",
    ]
    # Column widths fit the Chinese names: the indicator column is wider than a default one.
    assert sheet.column_dimensions["A"].width > 20


def test_it_swaps_the_summary_to_areas_as_rows(story, auditor):
    workbook, _, _ = export(
        auditor, ExportKind.SUMMARY, area="5401", period_kind="half", period="2025-12", layout=Layout.AREAS_AS_ROWS
    )
    sheet = workbook["汇总表"]
    breakdown = api_get(auditor, "/api/v1/stats/breakdown/", area="5401", kind="half", period="2025-12")
    headers = [cell.value for cell in sheet[5]]
    rows = {row[0]: row for row in sheet.iter_rows(min_row=6, values_only=True)}
    p02 = headers.index("组织召开宣讲大会（场次）")

    assert sheet["A6"].value == "拉萨市合计"
    assert rows["拉萨市合计"][p02] == int(breakdown["total"]["P02"])
    for child in breakdown["areas"]:
        assert number(rows[child["name"]][p02]) == Decimal(child["values"]["P02"])
    assert sheet.freeze_panes == "B6"
    assert sheet["B4"].value == "政策讲解员（宣传教育）"


def test_it_cuts_the_summary_by_dispatching_unit_like_the_api(story, auditor):
    unit = story.county_unit.pk
    workbook, _, _ = export(auditor, ExportKind.SUMMARY, area="540103", period_kind="half", period="2025-12", unit=unit)
    totals = api_get(auditor, "/api/v1/stats/totals/", area="540103", kind="half", period="2025-12", unit=unit)
    grid = summary_grid(workbook["汇总表"])
    api = {item["name"]: item["value"] for group in totals["categories"] for item in group["indicators"]}

    for name, value in api.items():
        assert number(grid[(name, "堆龙德庆区合计")]) == Decimal(value), name
    assert grid[("组织召开宣讲大会", "堆龙德庆区合计")] == 3 + 5  # the 统计局 team only
    # Unit cuts stop at county level: the total only, no township columns.
    assert {header for _, header in grid} == {"堆龙德庆区合计"}
    assert "拉萨市堆龙德庆区统计局" in workbook["汇总表"]["A2"].value


def test_it_refuses_a_summary_of_another_county(story, county_admin):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        export_request_resolve(user=county_admin, kind=ExportKind.SUMMARY, data={"area": "540622"})

    assert "area" in refused.value.message_dict


# -- team detail ------------------------------------------------------------------------------------------------------


def team_rows(sheet) -> list[dict]:
    headers = [cell.value for cell in sheet[5]]
    return [dict(zip(headers, row, strict=False)) for row in sheet.iter_rows(min_row=6, values_only=True)]


P02, F04, E04 = "组织召开宣讲大会（场次）", "建档立卡贫困户（户）", "帮助群众增加现金收入（元）"


def test_it_writes_one_row_per_team_with_the_period_figures(story, auditor):
    workbook, result, _ = export(auditor, ExportKind.TEAM_DETAIL, area="540103", period_kind="half", period="2025-12")
    rows = team_rows(workbook["期间合计"])

    by_batch = {(row["村（居）"], row["批次"]): row for row in rows}
    assert set(by_batch) == {
        ("南嘎居委会", "第九批"),
        ("南嘎居委会", "第十批"),
        (story.other_township.village.name, "第十批"),
    }
    for team, label in ((story.nanga_old, "第九批"), (story.nanga, "第十批"), (story.other_township, "第十批")):
        row = by_batch[(team.village.name, label)]
        for header, code in ((P02, "P02"), (F04, "F04"), (E04, "E04")):
            expected = story.team_value(team, code, H2_2025)
            assert (None if row[header] is None else number(row[header])) == expected, (label, code)
    nanga = by_batch[("南嘎居委会", "第十批")]
    assert nanga["地市"] == "拉萨市"
    assert nanga["县（区）"] == "堆龙德庆区"
    assert nanga["乡镇（街道）"] == "东嘎街道"
    assert nanga["派驻单位"] == "拉萨市堆龙德庆区统计局"
    assert nanga["队长"] == story.nanga.assignments.get(role="leader").cadre.name
    assert nanga["已审核月报（份）"] == 2
    assert nanga["月报状态"] == "已审核 2/2"
    assert result.personal_data is True


def test_it_adds_up_the_team_rows_to_the_statistics_api_village_by_village(story, auditor):
    workbook, _, _ = export(auditor, ExportKind.TEAM_DETAIL, area="54", period_kind="half", period="2025-12")
    rows = team_rows(workbook["期间合计"])
    sums: dict[tuple[str, str], Decimal] = {}
    for row in rows:
        for header, code in ((P02, "P02"), (F04, "F04"), (E04, "E04")):
            key = (row["村（居）代码"], code)
            sums[key] = sums.get(key, Decimal(0)) + number(row[header])

    compared = 0
    for township in ("540103001", "540103002", "540622202"):
        breakdown = api_get(auditor, "/api/v1/stats/breakdown/", area=township, kind="half", period="2025-12")
        for village in breakdown["areas"]:
            for code in ("P02", "F04", "E04"):
                expected = Decimal(village["values"][code])
                assert sums.get((village["code"], code), Decimal(0)) == expected, (village["name"], code)
                compared += 1
    totals = api_get(auditor, "/api/v1/stats/totals/", area="54", kind="half", period="2025-12")
    region = {item["code"]: item["value"] for group in totals["categories"] for item in group["indicators"]}
    for header, code in ((P02, "P02"), (F04, "F04"), (E04, "E04")):
        assert sum((number(row[header]) for row in rows), Decimal(0)) == Decimal(region[code])
    assert compared > 0


def test_it_adds_one_sheet_per_month_with_each_reports_status(story, auditor):
    workbook, result, _ = export(
        auditor, ExportKind.TEAM_DETAIL, area="54", period_kind="half", period="2025-12", batch=story.batch10.pk,
        monthly_sheets=True,
    )  # fmt: skip

    assert workbook.sheetnames == ["期间合计", *(f"2025年{month}月" for month in range(7, 13))]
    november = {row["村（居）"]: row for row in team_rows(workbook["2025年11月"])}
    december = {row["村（居）"]: row for row in team_rows(workbook["2025年12月"])}
    biru = "耐普村"
    assert november[biru]["月报状态"] == "已提交"
    assert november[biru][P02] is None  # not approved: not counted
    assert december[biru][P02] == 100
    chengguan = story.chengguan.village.name
    assert november[chengguan]["月报状态"] == "未报"
    assert december[chengguan]["月报状态"] == "已审核"
    assert december[chengguan][F04] == 70
    assert {row["月报状态"] for row in team_rows(workbook["2025年7月"])} == {"—"}  # batch 10 begins in November
    assert result.rows == 4 * 7


def test_it_keeps_the_team_detail_within_the_county_admins_scope(story, county_admin, outsider):
    from django.core.exceptions import ValidationError

    workbook, _, request = export(county_admin, ExportKind.TEAM_DETAIL, period_kind="half", period="2025-12")
    villages = {row["村（居）"] for row in team_rows(workbook["期间合计"])}

    assert request.params["area"] == "540103"
    assert villages == {"南嘎居委会", story.other_township.village.name}
    with pytest.raises(ValidationError):
        export_request_resolve(user=outsider, kind=ExportKind.TEAM_DETAIL, data={"area": "540103"})


def test_it_gives_a_liaison_only_their_own_units_teams(story):
    liaison = UserRoleFactory(role=Role.UNIT_LIAISON, unit=story.region_unit).user

    workbook, _, request = export(liaison, ExportKind.TEAM_DETAIL, period_kind="half", period="2025-12")
    rows = team_rows(workbook["期间合计"])

    assert request.params["unit"] == story.region_unit.pk
    assert {row["派驻单位"] for row in rows} == {"自治区党委组织部"}
    assert len(rows) == 3  # 南嘎 (batch 9), the other township, 比如


def test_it_refuses_more_than_24_month_sheets(story, auditor):
    from django.core.exceptions import ValidationError

    BatchFactory(number=7)  # November 2022: batch-to-date over all batches would be 39 months
    data = {"period_kind": "btd", "monthly_sheets": True}

    with pytest.raises(ValidationError) as refused:
        export_request_resolve(user=auditor, kind=ExportKind.TEAM_DETAIL, data=data)

    assert "最多24个月" in refused.value.message_dict["monthly_sheets"][0]
    one_batch = export_request_resolve(
        user=auditor, kind=ExportKind.TEAM_DETAIL, data={**data, "batch": story.batch10.pk}
    )
    assert one_batch.params["monthly_sheets"] is True


# -- completeness -----------------------------------------------------------------------------------------------------


def test_it_writes_completeness_equal_to_the_api_and_names_the_missing_teams(story, auditor):
    workbook, result, _ = export(auditor, ExportKind.COMPLETENESS, area="54", month="2025-11")
    api = api_get(auditor, "/api/v1/stats/completeness/", area="54", month="2025-11")
    sheet = workbook["各地区"]
    rows = {row[0]: row for row in sheet.iter_rows(min_row=5, values_only=True)}
    fields = ("expected", "submitted", "approved", "late", "missing")

    assert tuple(rows["西藏自治区合计"][1:6]) == tuple(api["figure"][field] for field in fields)
    for area in api["areas"]:
        assert tuple(rows[area["name"]][1:6]) == tuple(area[field] for field in fields), area["name"]
    months = {row[0]: row for row in workbook["近12个月"].iter_rows(min_row=5, values_only=True)}
    for entry in api["months"]:
        year, month = entry["month"].split("-")
        assert tuple(months[f"{year}年{int(month)}月"][1:6]) == tuple(entry[field] for field in fields)
    missing = list(workbook["未报工作队"].iter_rows(min_row=5, values_only=True))
    assert len(missing) == api["figure"]["missing"] == 1
    assert missing[0][3] == story.chengguan.village.name
    assert missing[0][5] == "拉萨市委组织部"
    assert missing[0][7] == story.chengguan.assignments.get(role="leader").cadre.name
    assert missing[0][8] == "未创建"
    assert result.personal_data is True


def test_it_keeps_completeness_for_area_bound_users(story):
    from django.core.exceptions import PermissionDenied

    liaison = UserRoleFactory(role=Role.UNIT_LIAISON, unit=story.region_unit).user

    with pytest.raises(PermissionDenied):
        export_request_resolve(user=liaison, kind=ExportKind.COMPLETENESS, data={})
