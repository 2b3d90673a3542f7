"""Deadlines and reminders: the monthly drafts, late and missing reports, and the daily notifications.

Every function here is idempotent: a job that runs twice (a redelivered Celery task, a second beat) creates
no second draft and sends no second notification (Notification's unique (user, key)).
"""

import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone

from reports.choices import ReportStatus
from reports.models import MonthlyReport, Notification
from reports.periods import add_months, month_start
from reports.workflow import report_create_draft
from teams.models import WorkTeam
from zhucun.choices import Role
from zhucun.models import UserRole

REVIEW_WAITING_DAYS = 3


def active_teams(*, month: datetime.date) -> QuerySet[WorkTeam]:
    """Teams that work in this month: their batch and their own dates overlap it (teams start and end
    between batches, so completeness counts only these)."""
    first = month_start(month)
    last = add_months(first, 1) - datetime.timedelta(days=1)
    return WorkTeam.objects.filter(
        batch__start_date__lte=last,
        batch__end_date__gte=first,
        start_date__lte=last,
    ).filter(Q(end_date__isnull=True) | Q(end_date__gte=first))


def drafts_create_for_month(*, month: datetime.date) -> int:
    """On the 1st: a draft report for every active team that has none. Returns how many were created."""
    created = 0
    existing = set(MonthlyReport.objects.filter(month=month_start(month)).values_list("team_id", flat=True))
    for team in active_teams(month=month).exclude(pk__in=existing).iterator():
        created += report_create_draft(team=team, month=month)[1]
    return created


def overdue_reports(*, today: datetime.date) -> QuerySet[MonthlyReport]:
    """Reports past their due date and not submitted (draft) or sent back and not resubmitted (returned)."""
    return MonthlyReport.objects.filter(due_date__lt=today, status__in=(ReportStatus.DRAFT, ReportStatus.RETURNED))


def _notify(rows: list[Notification]) -> int:
    """Insert, skipping (user, key) pairs already sent; returns how many are new."""
    if not rows:
        return 0
    keys = {(row.user_id, row.key) for row in rows}
    sent = set(
        Notification.objects.filter(user_id__in={u for u, _ in keys}, key__in={k for _, k in keys}).values_list(
            "user_id", "key"
        )
    )
    new = [row for row in rows if (row.user_id, row.key) not in sent]
    Notification.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


def _leaders_by_team(team_ids: set[int]) -> dict[int, list[int]]:
    leaders: dict[int, list[int]] = {}
    for team_id, user_id in UserRole.objects.filter(role=Role.TEAM_LEADER, team_id__in=team_ids).values_list(
        "team_id", "user_id"
    ):
        leaders.setdefault(team_id, []).append(user_id)
    return leaders


def reminders_send(*, today: datetime.date | None = None) -> int:
    """The daily reminders: team leaders with a missing (overdue) or returned report, county admins with
    reports waiting for review more than three days. At most one of each per person and day."""
    today = today or timezone.localdate()
    rows: list[Notification] = []
    overdue = list(overdue_reports(today=today).select_related("team"))
    leaders = _leaders_by_team({report.team_id for report in overdue})
    for report in overdue:
        returned = report.status == ReportStatus.RETURNED
        title = (
            f"{report.month:%Y年%m月}月报已被退回，请修改后重新提交"
            if returned
            else f"{report.month:%Y年%m月}月报已逾期（截止{report.due_date:%m月%d日}），请尽快提交"
        )
        for user_id in leaders.get(report.team_id, []):
            rows.append(
                Notification(
                    user_id=user_id,
                    key=f"report-{report.status}:{report.pk}:{today:%Y%m%d}",
                    title=title,
                    body=report.review_comment if returned else "",
                    url=f"/reports/{report.pk}/",
                )
            )
    cutoff = timezone.make_aware(
        datetime.datetime.combine(today - datetime.timedelta(days=REVIEW_WAITING_DAYS), datetime.time.min)
    )
    waiting: dict[str, int] = {}
    for village_id in MonthlyReport.objects.filter(status=ReportStatus.SUBMITTED, submitted_at__lt=cutoff).values_list(
        "team__village_id", flat=True
    ):
        waiting[village_id[:6]] = waiting.get(village_id[:6], 0) + 1
    for user_id, county in UserRole.objects.filter(role=Role.COUNTY_ADMIN, area_id__in=waiting).values_list(
        "user_id", "area_id"
    ):
        rows.append(
            Notification(
                user_id=user_id,
                key=f"review-waiting:{county}:{today:%Y%m%d}",
                title=f"有{waiting[county]}份月报提交超过{REVIEW_WAITING_DAYS}天仍待审核",
                url="/reports/review/",
            )
        )
    return _notify(rows)
