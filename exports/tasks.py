"""Celery tasks of the exports app: thin interfaces to exports.services.

acks_late and reject_on_worker_lost come from the settings: a worker killed while writing a file gets its job back
on the queue, and the job runs again from the start (it rewrites the same file). A database that went away is
retried; anything else marks the job failed (services.export_job_run)."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from exports import services


@shared_task(
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    max_retries=5,
    soft_time_limit=1770,
    time_limit=1800,
)
def run_export_job(job_id: int) -> str:
    job = services.export_job_run(job_id=job_id)
    return job.status if job is not None else "skipped"


@shared_task(autoretry_for=(OperationalError, InterfaceError), retry_backoff=True, max_retries=5)
def cleanup_exports() -> dict:
    """Hourly: delete export files and marked import copies past ZHUCUN_EXPORT_KEEP_HOURS."""
    return services.exports_cleanup()
