"""Celery tasks of teams: thin interfaces to teams.services, run by beat (see CELERY_BEAT_SCHEDULE)."""

import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from teams.services import assignment_statuses_sync

logger = logging.getLogger(__name__)


@shared_task(
    name="teams.sync_assignment_statuses",
    bind=True,
    autoretry_for=(OperationalError, InterfaceError),
    max_retries=3,
    retry_backoff=30,
    retry_jitter=True,
    soft_time_limit=300,
    time_limit=360,
)
def sync_assignment_statuses(self) -> int:
    """Daily, just after midnight (Asia/Shanghai): 请假/轮休 for assignments whose approved leave covers today,
    在岗 again for those whose leave is over. Statuses are recomputed from the leave rows under row locks, so
    a retry, a second run or two concurrent runs change nothing more. Returns how many assignments changed."""
    today = timezone.localdate()
    changed = assignment_statuses_sync(today=today)
    logger.info("assignment statuses synced for %s: %d changed", today.isoformat(), changed)
    return changed
