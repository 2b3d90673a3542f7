"""The summary table, in the shape of the half-year bulletin: the indicators grouped under the duties, the area's
total and the areas one level down (or swapped). Every figure comes from the statistics layer (reports/stats.py:
the same cut, totals and breakdown the statistics API answers with), never recomputed here."""

from pathlib import Path

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from exports import xlsx
from exports.builders.common import BuildResult, NoProgress, Progress, exported_by, figure_value
from exports.choices import Layout
from reports import stats

CHINESE_ORDINALS = "一二三四五六七八九十"


def summary_cut(*, user, params: dict) -> stats.Cut:
    return stats.stats_cut(
        user=user,
        area=params["area"],
        kind=params["period_kind"],
        period=params["period"],
        batch=params.get("batch"),
        unit=params.get("unit"),
        unit_level=params.get("unit_level"),
    )


def _filters_line(cut: stats.Cut, period: stats.Period, total: stats.Tally) -> str:
    batch = cut.batch.name if cut.batch else "全部批次（各批次之和）"
    if cut.unit:
        unit = cut.unit.name
    elif cut.unit_level:
        unit = f"{cut.unit_level_display}单位"
    else:
        unit = "全部派驻单位"
    return (
        f"地区：{cut.area.name}　周期：{period.label}　批次：{batch}　派驻单位：{unit}　"
        f"计入已审核月报{total.report_count:,}份、工作队{total.team_count:,}个"
    )


def _freshness_line(user, breakdown: stats.Breakdown) -> str:
    computed = breakdown.freshness.computed_at
    when = f"统计数计算于{computed.astimezone():%Y-%m-%d %H:%M}" if computed else "暂无统计数"
    return f"{exported_by(user)}　{when}　（只计已审核月报）"


def build_summary(*, user, params: dict, path: Path, progress: Progress | None = None, title: str = "") -> BuildResult:
    progress = progress or NoProgress()
    cut = summary_cut(user=user, params=params)
    breakdown = stats.stats_breakdown(cut=cut)
    groups = stats.group_by_category(breakdown.indicators, breakdown.total)
    children = sorted(breakdown.areas, key=lambda entry: entry.area.code)
    progress.start(len(breakdown.indicators))
    columns = [(f"{cut.area.name}合计", breakdown.total)] + [(entry.area.name, entry.tally) for entry in children]

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "汇总表"
    title = title or f"{cut.area.name}驻村工作队工作统计表（{breakdown.period.label}）"
    xlsx.put(sheet, 1, 1, title, font=xlsx.TITLE_FONT)
    xlsx.put(sheet, 2, 1, _filters_line(cut, breakdown.period, breakdown.total))
    xlsx.put(sheet, 3, 1, _freshness_line(user, breakdown))
    if params.get("layout") == Layout.AREAS_AS_ROWS:
        cells = _areas_as_rows(sheet, groups, columns)
    else:
        cells = _indicators_as_rows(sheet, groups, columns)
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    workbook.save(path)
    progress.advance(len(breakdown.indicators))
    return BuildResult(rows=len(breakdown.indicators), cells=cells)


def _header(sheet, row: int, column: int, text: str):
    return xlsx.put(
        sheet,
        row,
        column,
        text,
        font=xlsx.HEADER_FONT,
        fill=xlsx.HEADER_FILL,
        alignment=xlsx.CENTER,
        border=xlsx.BORDER,
    )


def _indicators_as_rows(sheet, groups: list[stats.CategoryFigures], columns: list[tuple[str, stats.Tally]]) -> int:
    """The bulletin's own shape: one row per indicator under its duty, one column per area (the total first)."""
    header_row = 4
    _header(sheet, header_row, 1, "指标")
    _header(sheet, header_row, 2, "计量单位")
    for offset, (name, _) in enumerate(columns):
        _header(sheet, header_row, 3 + offset, name)
    row = header_row + 1
    cells = 0
    labels = ["指标"]
    for number, group in enumerate(groups):
        label = f"{CHINESE_ORDINALS[number]}、{group.duty_title}（{group.label}）"
        for column in range(1, 3 + len(columns)):
            xlsx.put(sheet, row, column, label if column == 1 else None, font=xlsx.HEADER_FONT, fill=xlsx.GROUP_FILL)
        labels.append(label)
        row += 1
        for figure in group.indicators:
            info = figure.info
            xlsx.put(sheet, row, 1, info.name, alignment=xlsx.WRAP, border=xlsx.BORDER)
            xlsx.put(sheet, row, 2, info.unit, alignment=xlsx.CENTER, border=xlsx.BORDER)
            number_format = xlsx.number_format_for(info.value_type)
            for offset, (_, tally) in enumerate(columns):
                value = figure_value(tally.value(info.id), info.value_type)
                xlsx.put(sheet, row, 3 + offset, value, number_format=number_format, border=xlsx.BORDER)
                cells += 1
            labels.append(info.name)
            row += 1
    for caption, attribute in (("计入已审核月报", "report_count"), ("计入工作队", "team_count")):
        xlsx.put(sheet, row, 1, caption, font=xlsx.HEADER_FONT, border=xlsx.BORDER)
        xlsx.put(
            sheet, row, 2, "份" if attribute == "report_count" else "个", alignment=xlsx.CENTER, border=xlsx.BORDER
        )
        for offset, (_, tally) in enumerate(columns):
            xlsx.put(
                sheet, row, 3 + offset, getattr(tally, attribute), number_format=xlsx.INTEGER_FORMAT, border=xlsx.BORDER
            )
        row += 1
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=3)
    sheet.column_dimensions["A"].width = xlsx.fit_width(labels, maximum=40)
    sheet.column_dimensions["B"].width = 10
    for offset, (name, tally) in enumerate(columns):
        numbers = [f"{value:,.2f}" for value in tally.values.values()]
        sheet.column_dimensions[get_column_letter(3 + offset)].width = xlsx.fit_width([name, *numbers], minimum=10)
    sheet.print_title_rows = f"{header_row}:{header_row}"
    return cells


def _areas_as_rows(sheet, groups: list[stats.CategoryFigures], columns: list[tuple[str, stats.Tally]]) -> int:
    """Swapped: one row per area (the total first), the duties over their indicators across."""
    group_row, header_row = 4, 5
    _header(sheet, group_row, 1, "地区")
    _header(sheet, header_row, 1, "")
    sheet.merge_cells(start_row=group_row, start_column=1, end_row=header_row, end_column=1)
    indicators = []
    column = 2
    for group in groups:
        first = column
        _header(sheet, group_row, column, f"{group.duty_title}（{group.label}）")
        for figure in group.indicators:
            _header(sheet, header_row, column, f"{figure.info.name}（{figure.info.unit}）")
            indicators.append(figure.info)
            column += 1
        if column - 1 > first:
            sheet.merge_cells(start_row=group_row, start_column=first, end_row=group_row, end_column=column - 1)
    extra = [("计入已审核月报（份）", "report_count"), ("计入工作队（个）", "team_count")]
    for caption, _ in extra:
        _header(sheet, group_row, column, caption)
        sheet.merge_cells(start_row=group_row, start_column=column, end_row=header_row, end_column=column)
        column += 1
    cells = 0
    for offset, (name, tally) in enumerate(columns):
        row = header_row + 1 + offset
        xlsx.put(sheet, row, 1, name, border=xlsx.BORDER, font=xlsx.HEADER_FONT if offset == 0 else None)
        for index, info in enumerate(indicators):
            value = figure_value(tally.value(info.id), info.value_type)
            number_format = xlsx.number_format_for(info.value_type)
            xlsx.put(sheet, row, 2 + index, value, number_format=number_format, border=xlsx.BORDER)
            cells += 1
        for index, (_, attribute) in enumerate(extra):
            xlsx.put(
                sheet,
                row,
                2 + len(indicators) + index,
                getattr(tally, attribute),
                number_format=xlsx.INTEGER_FORMAT,
                border=xlsx.BORDER,
            )
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=2)
    sheet.column_dimensions["A"].width = xlsx.fit_width([name for name, _ in columns], minimum=12)
    for index in range(len(indicators) + len(extra)):
        sheet.column_dimensions[get_column_letter(2 + index)].width = 14
    sheet.row_dimensions[header_row].height = 48
    sheet.print_title_rows = f"{group_row}:{header_row}"
    return cells
