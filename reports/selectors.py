"""Reads of monthly reports and activities, always through the user's scope.

The review workflow itself comes later; these reads use only the report's status, month and due date,
which is all the home pages need: what waits for review, who is overdue, how far each team has got.
"""

import datetime

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from reports.choices import ReportStatus
from reports.models import Activity, MonthlyReport
from reports.periods import add_months, due_date_for, month_start
from teams.models import WorkTeam
from zhucun.scope import Action

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
