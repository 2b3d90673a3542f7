"""Team detail: one row per team (prefecture, county, township, village, batch, dispatching unit, leader, report
status) and one column per indicator, for the period; optionally one more sheet per month.

Large: the region is 5,500 teams × ~50 indicators × 12 months. The teams are read with a server-side cursor, their
reports and approved values a hundred teams at a time, and every sheet is a write-only sheet streaming to its own
temporary file, so memory stays flat whatever the size. Figures follow the statistics' rules (reports/rollup.py):
only approved reports; "sum" indicators add their months; "latest" indicators take the latest approved month with a
value in the period. A village's figure in the statistics is the sum of its teams' rows here.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.db.models import QuerySet
from django.utils import timezone
from openpyxl import Workbook

from exports import xlsx
from exports.builders.common import BuildResult, NoProgress, Progress, chunked, exported_by, figure_value, month_label
from exports.params import PeriodBounds, bounds_from_params
from exports.selectors import teams_active_in
from reports import stats
from reports.choices import DUTY_TITLES, Category, ReportStatus, TimeAggregation
from reports.models import MonthlyReport, ReportValue
from reports.periods import add_months, month_start
from teams.choices import CURRENT_ASSIGNMENT_STATUSES, AssignmentRole
from teams.models import Assignment, Batch, WorkTeam, chinese_numeral
from villages.models import Area
from zhucun.scope import Action

TEXT_COLUMNS = (
    ("地市", 10),
    ("县（区）", 12),
    ("乡镇（街道）", 14),
    ("村（居）", 16),
    ("村（居）代码", 14),
    ("批次", 8),
    ("派驻单位", 28),
    ("队长", 10),
    ("月报状态", 22),
)
TEAMS_PER_QUERY = 100
STATUS_LABELS = dict(ReportStatus.choices)
NOT_RESIDENT = "—"


@dataclass(frozen=True)
class TeamRow:
    pk: int
    village: str
    village_name: str
    batch_number: int
    batch_start: datetime.date
    batch_end: datetime.date
    start: datetime.date
    end: datetime.date | None
    unit_name: str

    def months_resident(self, first: datetime.date, last: datetime.date) -> list[datetime.date]:
        """The months in [first, last] the team was in residence, up to this month."""
        begin = max(first, month_start(self.start), month_start(self.batch_start))
        stop = min(last, month_start(self.end or self.batch_end), month_start(self.batch_end))
        stop = min(stop, month_start(timezone.localdate()))
        months, month = [], begin
        while month <= stop:
            months.append(month)
            month = add_months(month, 1)
        return months


def team_queryset(*, user, params: dict, bounds: PeriodBounds) -> QuerySet[WorkTeam]:
    """The teams of the export: in the user's EXPORT scope, under the area, of the batch and unit chosen, in residence
    during the period (batch-to-date over all batches: every batch begun by then)."""
    teams = WorkTeam.objects.visible_to(user, Action.EXPORT).filter(village__pk__startswith=params["area"])
    if params.get("batch"):
        teams = teams.filter(batch_id=params["batch"])
    if params.get("unit"):
        teams = teams.filter(unit_id=params["unit"])
    if params.get("unit_level"):
        teams = teams.filter(unit__level=params["unit_level"])
    if bounds.first is None:
        last_day = add_months(bounds.last, 1) - datetime.timedelta(days=1)
        teams = teams.filter(batch__start_date__lte=last_day)
    else:
        teams = teams_active_in(teams, bounds.first, bounds.last)
    return teams.order_by("village_id", "batch__number", "pk")


def _indicators(batch_numbers: set[int]) -> list[stats.IndicatorInfo]:
    """The catalogue's indicators a report of any of these batches asks for (retired ones too, where they apply)."""
    return [
        info
        for info in stats.indicator_catalogue()
        if any(
            (info.active_from is None or info.active_from <= number)
            and (info.active_until is None or info.active_until >= number)
            for number in batch_numbers
        )
    ]


def _month_text(month: datetime.date, same_year: bool) -> str:
    return f"{month.month}月" if same_year else month_label(month)


class _Sheet:
    """One write-only sheet of the workbook and its reusable styled number cells (one per indicator column)."""

    def __init__(self, workbook, title: str, indicators: list[stats.IndicatorInfo]):
        self.sheet = workbook.create_sheet(title)
        xlsx.take_prepared_cells(self.sheet)
        self.number_cells = [
            xlsx.styled(self.sheet, None, number_format=xlsx.number_format_for(info.value_type)) for info in indicators
        ]
        self.count_cell = xlsx.styled(self.sheet, None, number_format=xlsx.INTEGER_FORMAT)

    def heading(self, *, title: str, lines: list[str], indicators: list[stats.IndicatorInfo]) -> None:
        sheet = self.sheet
        widths = (
            [width for _, width in TEXT_COLUMNS]
            + [10]
            + [xlsx.fit_width([info.name], minimum=10, maximum=18) for info in indicators]
        )
        xlsx.set_widths(sheet, widths)
        sheet.freeze_panes = "E6"
        sheet.append([xlsx.styled(sheet, title, font=xlsx.TITLE_FONT)])
        for line in lines:
            sheet.append([xlsx.styled(sheet, line)])
        categories: list = [None] * (len(TEXT_COLUMNS) + 1)
        previous = None
        for info in indicators:
            if info.category == previous:
                categories.append(None)
                continue
            label = f"{DUTY_TITLES[info.category]}（{Category(info.category).label}）"
            categories.append(xlsx.styled(sheet, label, font=xlsx.HEADER_FONT))
            previous = info.category
        sheet.append(categories)
        header = [xlsx.styled(sheet, text, font=xlsx.HEADER_FONT, fill=xlsx.HEADER_FILL) for text, _ in TEXT_COLUMNS]
        header.append(xlsx.styled(sheet, "已审核月报（份）", font=xlsx.HEADER_FONT, fill=xlsx.HEADER_FILL))
        header += [
            xlsx.styled(
                sheet, f"{info.name}（{info.unit}）", font=xlsx.HEADER_FONT, fill=xlsx.HEADER_FILL, alignment=xlsx.WRAP
            )
            for info in indicators
        ]
        sheet.append(header)

    def write(self, texts: list[str], approved: int, values: list) -> int:
        """One team's row; returns the number of cells written."""
        written = len(texts) + 1 + sum(value is not None for value in values)
        self.sheet.append(self._row(texts, approved, values))
        return written

    def _row(self, texts, approved, values):
        for text in texts:
            yield xlsx.safe_value(self.sheet, text)
        self.count_cell.value = approved
        yield self.count_cell
        for cell, value in zip(self.number_cells, values, strict=True):
            if value is None:
                yield None
            else:
                cell.value = value
                yield cell


def build_team_detail(
    *, user, params: dict, path: Path, progress: Progress | None = None, title: str = ""
) -> BuildResult:
    progress = progress or NoProgress()
    batch = Batch.objects.filter(pk=params["batch"]).first() if params.get("batch") else None
    bounds = bounds_from_params(params, batch=batch)
    teams = team_queryset(user=user, params=params, bounds=bounds)
    total = teams.count()
    progress.start(total)
    batch_rows = list(teams.values_list("batch__number", "batch__start_date").distinct())
    indicators = _indicators({number for number, _ in batch_rows})
    first = bounds.first or min((month_start(start) for _, start in batch_rows), default=bounds.last)
    months = []
    if params.get("monthly_sheets"):
        month = first
        while month <= bounds.last:
            months.append(month)
            month = add_months(month, 1)
    same_year = first.year == bounds.last.year
    names = _area_names(params["area"])

    workbook = Workbook(write_only=True)
    title = title or f"驻村工作队明细（{bounds.label}）"
    filters = f"{exported_by(user)}　共{total:,}个工作队"
    note = "数值只计已审核月报；“取最新值”类指标为期内最新一期已审核月报的数值，其余为各月之和。"
    period_sheet = _Sheet(workbook, "期间合计", indicators)
    period_sheet.heading(title=title, lines=[filters, note], indicators=indicators)
    month_sheets = []
    for month in months:
        sheet = _Sheet(workbook, month_label(month), indicators)
        sheet.heading(title=f"{title}·{month_label(month)}", lines=[filters, note], indicators=indicators)
        month_sheets.append((month, sheet))

    latest = {info.id for info in indicators if info.time_aggregation == TimeAggregation.LATEST}
    cells = rows = done = 0
    team_rows = (
        TeamRow(*values)
        for values in teams.values_list(
            "pk",
            "village_id",
            "village__name",
            "batch__number",
            "batch__start_date",
            "batch__end_date",
            "start_date",
            "end_date",
            "unit__name",
        ).iterator(chunk_size=2000)
    )
    for chunk in chunked(team_rows, TEAMS_PER_QUERY):
        ids = [team.pk for team in chunk]
        statuses, values, leaders = _chunk_data(ids, first=bounds.first, last=bounds.last)
        for team in chunk:
            by_month = values.get(team.pk, {})
            team_statuses = statuses.get(team.pk, {})
            resident = team.months_resident(bounds.first or month_start(team.batch_start), bounds.last)
            approved = [month for month in resident if team_statuses.get(month) == ReportStatus.APPROVED]
            place = [
                names.get(team.village[:4], ""),
                names.get(team.village[:6], ""),
                names.get(team.village[:9], ""),
                team.village_name,
                team.village,
                f"第{chinese_numeral(team.batch_number)}批",
                team.unit_name,
                leaders.get(team.pk, ""),
            ]
            status = _period_status(resident, team_statuses, approved, same_year)
            cells += period_sheet.write([*place, status], len(approved), _period_values(indicators, by_month, latest))
            rows += 1
            resident_set = set(resident)
            for month, sheet in month_sheets:
                month_values = by_month.get(month, {})
                if month in team_statuses:
                    month_status = STATUS_LABELS[team_statuses[month]]
                else:
                    month_status = "未报" if month in resident_set else NOT_RESIDENT
                row_values = [
                    figure_value(month_values[info.id], info.value_type) if info.id in month_values else None
                    for info in indicators
                ]
                approved_count = 1 if team_statuses.get(month) == ReportStatus.APPROVED else 0
                cells += sheet.write([*place, month_status], approved_count, row_values)
                rows += 1
        done += len(chunk)
        progress.advance(done)
    workbook.save(path)
    return BuildResult(
        rows=rows,
        cells=cells,
        personal_data=total > 0,
        detail=f"{total}个工作队（含队长姓名），{1 + len(month_sheets)}个工作表",
    )


def _chunk_data(ids: list[int], *, first: datetime.date | None, last: datetime.date):
    """For a hundred teams: the status of each report, the approved values by month, the leader's name."""
    reports = MonthlyReport.objects.filter(team_id__in=ids, month__lte=last)
    values_qs = ReportValue.objects.filter(
        report__team_id__in=ids,
        report__status=ReportStatus.APPROVED,
        report__month__lte=last,
        value__isnull=False,
    )
    if first is not None:
        reports = reports.filter(month__gte=first)
        values_qs = values_qs.filter(report__month__gte=first)
    statuses: dict[int, dict[datetime.date, str]] = defaultdict(dict)
    for team_id, month, status in reports.values_list("team_id", "month", "status"):
        statuses[team_id][month] = status
    values: dict[int, dict[datetime.date, dict[int, Decimal]]] = defaultdict(lambda: defaultdict(dict))
    for team_id, month, indicator_id, value in values_qs.values_list(
        "report__team_id", "report__month", "indicator_id", "value"
    ).iterator(chunk_size=5000):
        values[team_id][month][indicator_id] = value
    leaders: dict[int, str] = {}
    ranked = (
        Assignment.objects.filter(team_id__in=ids, role=AssignmentRole.LEADER)
        .order_by("team_id", "start_date", "pk")
        .values_list("team_id", "cadre__name", "status")
    )
    current: set[int] = set()
    for team_id, name, status in ranked:
        # The current 队长, else the last one (a team of a finished batch).
        if status in CURRENT_ASSIGNMENT_STATUSES:
            leaders[team_id] = name
            current.add(team_id)
        elif team_id not in current:
            leaders[team_id] = name
    return statuses, values, leaders


def _period_values(indicators, by_month: dict, latest: set[int]) -> list:
    result = []
    months = sorted(by_month)
    for info in indicators:
        if info.id in latest:
            value = next((by_month[month][info.id] for month in reversed(months) if info.id in by_month[month]), None)
        else:
            found = [by_month[month][info.id] for month in months if info.id in by_month[month]]
            value = sum(found, Decimal(0)) if found else None
        result.append(None if value is None else figure_value(value, info.value_type))
    return result


def _period_status(resident: list, statuses: dict, approved: list, same_year: bool) -> str:
    """ "已审核 5/7；已提交：6月；未报：7月": approved out of the months in residence, then what the others are."""
    if not resident:
        return NOT_RESIDENT
    text = f"已审核 {len(approved)}/{len(resident)}"
    others: dict[str, list[str]] = {}
    for month in resident:
        status = statuses.get(month)
        if status == ReportStatus.APPROVED:
            continue
        label = STATUS_LABELS[status] if status else "未报"
        others.setdefault(label, []).append(_month_text(month, same_year))
    for label, months in others.items():
        text += f"；{label}：{'、'.join(months)}"
    return text


def _area_names(area: str) -> dict[str, str]:
    """Names of the prefectures, counties and townships under (and above) the exported area, in one query."""
    prefixes = {area[:4], area[:6], area[:9]}
    rows = Area.objects.filter(code__startswith=area[:9], level__in=("prefecture", "county", "township"))
    names = dict(rows.values_list("code", "name"))
    names.update(Area.objects.filter(code__in=prefixes).values_list("code", "name"))
    return names
