"""Beat jobs of the reporting calendar. Thin: they call reports.deadlines, which is idempotent."""

from celery import shared_task
from django.utils import timezone

from reports.deadlines import drafts_create_for_month, reminders_send


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5, soft_time_limit=1500, time_limit=1800)
def create_monthly_drafts() -> int:
    """On the 1st: this month's draft report for every active team."""
    return drafts_create_for_month(month=timezone.localdate())


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5, soft_time_limit=1500, time_limit=1800)
def send_reminders() -> int:
    """Daily: overdue and returned reports to team leaders, reports waiting for review to county admins."""
    return reminders_send(today=timezone.localdate())
