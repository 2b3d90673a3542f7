"""Beat jobs of the reporting calendar. Thin: they call reports.deadlines, which is idempotent."""

from celery import shared_task
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from reports.completeness import completeness_refresh
from reports.deadlines import drafts_create_for_month, reminders_send
from reports.models import MonthlyReport
from reports.rollup import refresh_for_report, statistics_check_and_rebuild
from reports.stats_cache import bump_stats_version


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5, soft_time_limit=1500, time_limit=1800)
def create_monthly_drafts() -> int:
    """On the 1st: this month's draft report for every active team."""
    return drafts_create_for_month(month=timezone.localdate())


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5, soft_time_limit=1500, time_limit=1800)
def send_reminders() -> int:
    """Daily: overdue and returned reports to team leaders, reports waiting for review to county admins."""
    return reminders_send(today=timezone.localdate())


# -- statistics ---------------------------------------------------------------------------------------------------
# acks_late + reject_on_worker_lost come from the settings: a worker killed mid-job loses nothing, the job
# runs again. Every job recomputes from the approved reports, so running twice or out of order is harmless.


@shared_task(
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    max_retries=8,
    soft_time_limit=300,
    time_limit=360,
)
def refresh_figures_for_report(report_id: int, figures: bool = True) -> int:
    """The completeness of the report's month, and (after an approval, return or reopening, not after a
    submission) the figures the report touches."""
    report = MonthlyReport.objects.select_related("team__batch").filter(pk=report_id).first()
    if report is None:
        return 0
    try:
        completeness_refresh(report.month, village=report.team.village_id)
        return refresh_for_report(report) if figures else 0
    finally:
        # The statistics API's cached answers are stale now, even if the figures failed after the completeness
        # committed (the retry bumps again).
        bump_stats_version()


@shared_task(soft_time_limit=3 * 3600, time_limit=3 * 3600 + 300)
def nightly_statistics() -> dict:
    """Rebuild every batch's figures and the completeness, after comparing the store with a fresh computation:
    any difference is recorded (FigureCheck) and shown to region admins as a bug signal."""
    result = statistics_check_and_rebuild()
    bump_stats_version()
    return result
