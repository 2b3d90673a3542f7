"""Reporting completeness: 应报 / 已报 / 已审 / 逾期 / 未报 of an area in a month and of each area one level down
(from `stats_completeness`, the figures the dashboard shows), the area's last 12 months, and the teams that have
not delivered the month's report, by name (scoped like every list)."""

import datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from exports import xlsx
from exports.builders.common import BuildResult, NoProgress, Progress, exported_by, month_label
from exports.selectors import missing_teams
from reports import stats
from reports.choices import ReportStatus
from reports.filtersets import parse_month
from reports.periods import due_date_for

FIGURE_HEADERS = ("应报", "已报", "已审", "逾期", "未报", "已报率（%）", "已审率（%）")
MISSING_HEADERS = (
    "地市",
    "县（区）",
    "乡镇（街道）",
    "村（居）",
    "批次",
    "派驻单位",
    "工作队",
    "队长",
    "月报状态",
    "截止日期",
)


def _figure_values(figure: stats.CompletenessFigure) -> list:
    return [
        figure.expected,
        figure.submitted,
        figure.approved,
        figure.late,
        figure.missing,
        figure.rate,
        figure.approved_rate,
    ]


def _table(sheet, start_row: int, first_header: str, rows: list[tuple[str, stats.CompletenessFigure]]) -> int:
    for column, text in enumerate((first_header, *FIGURE_HEADERS), start=1):
        xlsx.put(
            sheet,
            start_row,
            column,
            text,
            font=xlsx.HEADER_FONT,
            fill=xlsx.HEADER_FILL,
            alignment=xlsx.CENTER,
            border=xlsx.BORDER,
        )
    for offset, (label, figure) in enumerate(rows, start=1):
        xlsx.put(
            sheet, start_row + offset, 1, label, border=xlsx.BORDER, font=xlsx.HEADER_FONT if offset == 1 else None
        )
        for column, value in enumerate(_figure_values(figure), start=2):
            number_format = xlsx.PERCENT_FORMAT if column >= 7 else xlsx.INTEGER_FORMAT
            xlsx.put(sheet, start_row + offset, column, value, number_format=number_format, border=xlsx.BORDER)
    sheet.freeze_panes = sheet.cell(row=start_row + 1, column=2)
    sheet.column_dimensions["A"].width = xlsx.fit_width([first_header] + [label for label, _ in rows], minimum=14)
    for column in range(2, 2 + len(FIGURE_HEADERS)):
        sheet.column_dimensions[get_column_letter(column)].width = 12
    return len(rows) * len(FIGURE_HEADERS)


def build_completeness(
    *, user, params: dict, path: Path, progress: Progress | None = None, title: str = ""
) -> BuildResult:
    progress = progress or NoProgress()
    month = parse_month(params["month"])
    report = stats.stats_completeness(user=user, area=params["area"], month=month)
    teams = missing_teams(user=user, area_code=report.area.code, month=report.month)
    total = teams.count()
    progress.start(total + len(report.areas) + len(report.months))
    label = month_label(report.month)
    title = title or f"{report.area.name}{label}月报报送完成情况"
    computed = report.freshness.computed_at
    when = f"统计于{computed.astimezone():%Y-%m-%d %H:%M}" if computed else "暂无统计"
    note = "应报：当月在驻的工作队；已报：已提交或已审核；逾期：截止后提交，或已过截止仍未提交。"

    workbook = Workbook()
    by_area = workbook.active
    by_area.title = "各地区"
    xlsx.put(by_area, 1, 1, title, font=xlsx.TITLE_FONT)
    xlsx.put(by_area, 2, 1, f"{exported_by(user)}　{when}　{note}")
    rows = [(f"{report.area.name}合计", report.figure)]
    rows += [(entry.area.name, entry.figure) for entry in report.areas]
    cells = _table(by_area, 4, "地区", rows)

    by_month = workbook.create_sheet("近12个月")
    xlsx.put(by_month, 1, 1, f"{report.area.name}近12个月月报报送情况", font=xlsx.TITLE_FONT)
    xlsx.put(by_month, 2, 1, f"{exported_by(user)}　{when}")
    cells += _table(by_month, 4, "月份", [(month_label(entry.month), entry.figure) for entry in report.months])
    progress.advance(len(report.areas) + len(report.months))

    cells += _missing_sheet(
        workbook, user=user, teams=teams, month=report.month, area_name=report.area.name, progress=progress
    )
    workbook.save(path)
    return BuildResult(rows=len(rows) + len(report.months) + total, cells=cells, personal_data=total > 0)


def _missing_sheet(workbook, *, user, teams, month: datetime.date, area_name: str, progress: Progress) -> int:
    """The teams behind 未报, by name; a team's leader is named (personal data: the export is recorded)."""
    sheet = workbook.create_sheet("未报工作队")
    xlsx.put(sheet, 1, 1, f"{area_name}{month_label(month)}未报送月报的工作队", font=xlsx.TITLE_FONT)
    xlsx.put(sheet, 2, 1, f"{exported_by(user)}　截止日期为次月{due_date_for(month).day}日（以各月报记录为准）")
    header_row = 4
    for column, text in enumerate(MISSING_HEADERS, start=1):
        xlsx.put(sheet, header_row, column, text, font=xlsx.HEADER_FONT, fill=xlsx.HEADER_FILL, alignment=xlsx.CENTER)
    names = _area_names(teams)
    row = header_row
    widths = [list(MISSING_HEADERS[index : index + 1]) for index in range(len(MISSING_HEADERS))]
    for team in teams.iterator(chunk_size=1000):
        row += 1
        code = team.village_id
        status = ReportStatus(team.report_status).label if team.report_status else "未创建"
        values = [
            names.get(code[:4], ""),
            names.get(code[:6], ""),
            names.get(code[:9], ""),
            team.village.name,
            team.batch.name,
            team.unit.name,
            team.name,
            team.leader_name or "",
            status,
            team.report_due or due_date_for(month),
        ]
        for column, value in enumerate(values, start=1):
            number_format = xlsx.DATE_FORMAT if isinstance(value, datetime.date) else None
            xlsx.put(sheet, row, column, value, number_format=number_format)
            if column <= 8:
                widths[column - 1].append(value)
        if (row - header_row) % 500 == 0:
            progress.advance(500)
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=5)
    for column, texts in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = xlsx.fit_width(texts[:2000], minimum=10)
    sheet.column_dimensions[get_column_letter(len(MISSING_HEADERS))].width = 12
    return (row - header_row) * len(MISSING_HEADERS)


def _area_names(teams) -> dict[str, str]:
    """Names of the prefectures, counties and townships above the listed teams' villages (one query)."""
    from villages.models import Area

    codes = set()
    for village in teams.values_list("village_id", flat=True):
        codes.update((village[:4], village[:6], village[:9]))
    return dict(Area.objects.filter(code__in=codes).values_list("code", "name"))
