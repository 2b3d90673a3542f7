from celery import shared_task

from zhucun.models import WorkerPing


@shared_task(bind=True, max_retries=3, default_retry_delay=5, soft_time_limit=20, time_limit=30)
def ping(self, token: str) -> str:
    """Write one row naming the worker that ran the task. Idempotent: a redelivered ping changes nothing."""
    worker = "in-process" if self.request.is_eager else self.request.hostname
    WorkerPing.objects.get_or_create(token=token, defaults={"worker": worker})
    return token
