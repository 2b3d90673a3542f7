"""Reads of monthly reports and activities, always through the user's scope.

The review workflow itself comes later; these reads use only the report's status, month and due date,
which is all the home pages need: what waits for review, who is overdue, how far each team has got.
"""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Count, DateField, Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import TruncMonth
from django.utils import timezone

from reports.choices import ReportStatus
from reports.models import (
    Activity,
    ActivityType,
    ActivityTypeIndicator,
    Indicator,
    MonthlyReport,
    Notification,
    ReportEvent,
    ReportValue,
    ReportValueChange,
    ReviewComment,
)
from reports.periods import add_months, due_date_for, month_start
from reports.validation import Check, check_values, parse_value
from reports.workflow import (
    EDITABLE,
    HISTORY_MONTHS,
    check_report,
    indicators_for_batch,
    report_indicators,
    team_history,
)
from teams.models import WorkTeam
from zhucun.scope import Action, scope_for

# A report in one of these statuses has reached the county: the team has done its part for the month.
DELIVERED_STATUSES = (ReportStatus.SUBMITTED, ReportStatus.APPROVED)


def report_list(*, user, action: Action = Action.VIEW) -> QuerySet[MonthlyReport]:
    return MonthlyReport.objects.visible_to(user, action).select_related(
        "team__village__parent__parent", "team__unit", "team__batch"
    )


def reports_awaiting_review(*, user) -> QuerySet[MonthlyReport]:
    """Submitted reports this user may review, the longest-waiting first."""
    return (
        report_list(user=user, action=Action.REVIEW_REPORT)
        .filter(status=ReportStatus.SUBMITTED)
        .order_by("submitted_at", "pk")
    )


def active_in_month_q(month: datetime.date, prefix: str = "") -> Q:
    """Teams active at some point of `month`: started by its last day, not ended (nor their batch ended,
    when the team has no end date of its own) before its first day."""
    first = month_start(month)
    last = add_months(first, 1) - datetime.timedelta(days=1)
    return Q(**{f"{prefix}start_date__lte": last}) & (
        Q(**{f"{prefix}end_date__gte": first})
        | Q(**{f"{prefix}end_date__isnull": True, f"{prefix}batch__end_date__gte": first})
    )


def overdue_teams(
    *, user, today: datetime.date | None = None, action: Action = Action.REVIEW_REPORT
) -> QuerySet[WorkTeam]:
    """Teams the user chases (by default: whose reports the user reviews) whose report for last month is
    past its due date and has not been submitted (no report, a draft, or a returned one). Annotated with
    `report_status` (None when the team never opened the report) and `report_due_date`."""
    today = today or timezone.localdate()
    month = add_months(month_start(today), -1)
    reports = MonthlyReport.objects.filter(team=OuterRef("pk"), month=month)
    # A report row carries its own due date (fixed when it was created); without one, the setting's.
    past_due = Q(report_due_date__lt=today)
    if today > due_date_for(month):
        past_due |= Q(report_due_date__isnull=True)
    return (
        WorkTeam.objects.visible_to(user, action)
        .filter(active_in_month_q(month))
        .exclude(Exists(reports.filter(status__in=DELIVERED_STATUSES)))
        .annotate(
            report_status=Subquery(reports.values("status")[:1]),
            report_due_date=Subquery(reports.values("due_date")[:1]),
        )
        .filter(past_due)
        .select_related("village__parent__parent", "unit", "batch")
        .order_by("village_id")
    )


def team_month_reports(
    *, user, team_ids, months: list[datetime.date]
) -> dict[tuple[int, datetime.date], MonthlyReport]:
    """The visible reports of these teams for these months, keyed by (team id, month)."""
    reports = MonthlyReport.objects.visible_to(user).filter(team__in=list(team_ids), month__in=months)
    return {(report.team_id, report.month): report for report in reports}


def report_status_counts(*, user, month: datetime.date) -> dict[str, int]:
    """How many visible reports of `month` are in each status (every status present, zeros included)."""
    rows = (
        MonthlyReport.objects.visible_to(user)
        .filter(month=month_start(month))
        .values("status")
        .annotate(count=Count("pk"))
        .order_by()
    )
    counts = dict.fromkeys(ReportStatus.values, 0)
    counts.update({row["status"]: row["count"] for row in rows})
    return counts


def recent_activities(*, user, team_ids=None, limit: int = 10) -> list[Activity]:
    activities = Activity.objects.visible_to(user).select_related("activity_type", "team", "village")
    if team_ids is not None:
        activities = activities.filter(team__in=list(team_ids))
    return list(activities.order_by("-date", "-pk")[:limit])


# -- for the REST API and the report pages: activities, the catalogue, report sheets, the queue, the inbox ------


def late_q(today: datetime.date | None = None) -> Q:
    """MonthlyReport.is_late as a filter: submitted after its due date (local date), or not submitted and past it."""
    today = today or timezone.localdate()
    return Q(submitted_at__isnull=False, submitted_at__date__gt=F("due_date")) | Q(
        submitted_at__isnull=True, due_date__lt=today
    )


def indicator_list() -> QuerySet[Indicator]:
    """The whole catalogue, retired indicators included, in report order. Not scoped: every role reads it."""
    return Indicator.objects.select_related("part_of", "active_from_batch", "active_until_batch").order_by(
        "sort_order", "code"
    )


def activity_type_list() -> QuerySet[ActivityType]:
    """Activity types with the indicators they pre-fill. Not scoped: every role reads them."""
    mappings = ActivityTypeIndicator.objects.select_related("indicator").order_by("indicator__sort_order", "pk")
    return ActivityType.objects.prefetch_related(Prefetch("mappings", queryset=mappings)).order_by("sort_order", "name")


def activity_list(*, user, action: Action = Action.VIEW) -> QuerySet[Activity]:
    """Activities with team, type, place and author, annotated `month` (its first day) and `locked`: the month's
    report is approved, so the activity can no longer be changed or deleted (reports.services holds that rule;
    this only shows it)."""
    approved = MonthlyReport.objects.filter(
        team=OuterRef("team"), month=OuterRef("month"), status=ReportStatus.APPROVED
    )
    return (
        Activity.objects.visible_to(user, action)
        .select_related("team__village", "activity_type", "village", "created_by")
        .annotate(month=TruncMonth("date", output_field=DateField()))
        .annotate(locked=Exists(approved))
    )


def sole_team(*, user, action: Action) -> WorkTeam | None:
    """The one team a team leader or member acts for, when that is all the user may `action`: forms and the
    API then need not ask which team. None when there is no such single team."""
    scope = scope_for(user, action)
    if scope.everything or scope.area_prefixes or scope.unit_ids or len(scope.team_ids) != 1:
        return None
    return WorkTeam.objects.visible_to(user, action).select_related("batch").filter(pk=scope.team_ids[0]).first()


def review_queue(*, user) -> QuerySet[MonthlyReport]:
    """Reports this user may review, in every status (the queue's FilterSet narrows it to 已提交 by default),
    the longest-waiting first."""
    return report_list(user=user, action=Action.REVIEW_REPORT).order_by(F("submitted_at").asc(nulls_last=True), "pk")


def report_checks(reports: Sequence[MonthlyReport]) -> dict[int, Check]:
    """workflow.check_report for many reports in three queries (for lists): report id → Check. The reports
    need `team__batch` loaded (report_list does)."""
    if not reports:
        return {}
    catalogue = list(Indicator.objects.select_related("active_from_batch", "active_until_batch"))
    values: dict[int, dict[int, Decimal | None]] = {report.pk: {} for report in reports}
    for report_id, indicator_id, value in ReportValue.objects.filter(report__in=list(values)).values_list(
        "report_id", "indicator_id", "value"
    ):
        values[report_id][indicator_id] = value
    earlier = (
        ReportValue.objects.filter(
            report__team__in={report.team_id for report in reports},
            report__month__lt=max(report.month for report in reports),
            report__status__in=DELIVERED_STATUSES,
            value__isnull=False,
        )
        .order_by("report__month")
        .values_list("report__team_id", "indicator_id", "report__month", "value")
    )
    series_by_team: dict[int, dict[int, list[tuple[datetime.date, Decimal]]]] = {}
    for team_id, indicator_id, month, value in earlier:
        series_by_team.setdefault(team_id, {}).setdefault(indicator_id, []).append((month, value))

    def active(indicator: Indicator, number: int) -> bool:
        first, last = indicator.active_from_batch, indicator.active_until_batch
        return (first is None or first.number <= number) and (last is None or last.number >= number)

    checks = {}
    for report in reports:
        own = values[report.pk]
        indicators = sorted(
            (i for i in catalogue if active(i, report.team.batch.number) or i.pk in own),
            key=lambda indicator: (indicator.sort_order, indicator.code),
        )
        history = {
            indicator_id: [(month, value) for month, value in series if month < report.month][-HISTORY_MONTHS:]
            for indicator_id, series in series_by_team.get(report.team_id, {}).items()
        }
        previous = add_months(report.month, -1)
        checks[report.pk] = check_values(
            indicators=indicators,
            values=own,
            history={key: [value for _, value in series] for key, series in history.items() if series},
            last_month={key: series[-1][1] for key, series in history.items() if series and series[-1][0] == previous},
        )
    return checks


@dataclass
class ValueRow:
    """One line of a report as the form and the review show it: the value against the team's history, the
    checks' messages, the input kept because it was not a number, and the county's question from the last
    return."""

    indicator: Indicator
    value: Decimal | None
    note: str
    input: str | None  # raw text kept in draft_input (not a valid number yet)
    input_errors: list[str]
    errors: list[str]
    warnings: list[str]
    last_month: Decimal | None
    average: Decimal | None  # the team's average over its earlier delivered months (up to 12)
    review_comment: str
    retired: bool  # no longer asked for in this batch; shown because the report holds a value


def report_sheet(report: MonthlyReport) -> list[ValueRow]:
    """Every indicator of the report (report_indicators) with its row, in report order."""
    indicators = report_indicators(report)
    active_ids = {indicator.pk for indicator in indicators_for_batch(report.team.batch)}
    rows = {row.indicator_id: row for row in ReportValue.objects.filter(report=report)}
    history = team_history(team=report.team, month=report.month)
    check = check_report(report, {key: row.value for key, row in rows.items()})
    latest_return = ReportEvent.objects.filter(report=report, kind=ReportEvent.Kind.RETURNED).order_by("-at", "-pk")
    comments = dict(
        ReviewComment.objects.filter(event=Subquery(latest_return.values("pk")[:1])).values_list(
            "indicator_id", "comment"
        )
    )
    previous = add_months(report.month, -1)
    sheet = []
    for indicator in indicators:
        row = rows.get(indicator.pk)
        series = history.get(indicator.pk, [])
        raw = report.draft_input.get(indicator.code)
        input_errors: list[str] = []
        if raw is not None:
            try:
                parse_value(indicator, raw)
            except ValidationError as error:
                input_errors = error.messages
        sheet.append(
            ValueRow(
                indicator=indicator,
                value=row.value if row else None,
                note=row.note if row else "",
                input=raw,
                input_errors=input_errors,
                errors=check.errors.get(indicator.code, []),
                warnings=check.warnings.get(indicator.code, []),
                last_month=series[-1][1] if series and series[-1][0] == previous else None,
                average=(sum(value for _, value in series) / len(series)).quantize(Decimal("0.01")) if series else None,
                review_comment=comments.get(indicator.pk, ""),
                retired=indicator.pk not in active_ids,
            )
        )
    return sheet


def report_events(report: MonthlyReport) -> QuerySet[ReportEvent]:
    """The transitions (created, submitted, returned, approved, reopened) with who, when, why and the value
    comments of a return. Saves are left out: their value changes are in report_value_changes."""
    comments = ReviewComment.objects.select_related("indicator").order_by("indicator__sort_order", "pk")
    return (
        ReportEvent.objects.filter(report=report)
        .exclude(kind=ReportEvent.Kind.SAVED)
        .select_related("actor")
        .prefetch_related(Prefetch("value_comments", queryset=comments))
        .order_by("at", "pk")
    )


def report_value_changes(report: MonthlyReport) -> QuerySet[ReportValueChange]:
    """Every value change of the report, old → new, with the event's actor and time, oldest first."""
    return (
        ReportValueChange.objects.filter(event__report=report)
        .select_related("event__actor", "indicator")
        .order_by("event__at", "event_id", "indicator__sort_order", "pk")
    )


def report_allowed_actions(*, user, report: MonthlyReport) -> list[str]:
    """What this user may do with the report now (for buttons): save, submit, approve, return, reopen."""

    def may(action: Action) -> bool:
        return MonthlyReport.objects.visible_to(user, action).filter(pk=report.pk).exists()

    if report.status in EDITABLE:
        return ["save", "submit"] if may(Action.SUBMIT_REPORT) else []
    if report.status == ReportStatus.SUBMITTED:
        return ["approve", "return"] if may(Action.REVIEW_REPORT) else []
    return ["reopen"] if may(Action.REVIEW_REPORT) else []


def notification_list(*, user) -> QuerySet[Notification]:
    """The user's own notifications, newest first: nobody reads another's inbox, whatever their role."""
    if not getattr(user, "is_authenticated", False):
        return Notification.objects.none()
    return Notification.objects.filter(user=user).order_by("-created_at", "-pk")
