import logging

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)


@never_cache
@require_GET
def healthz(request):
    """Readiness for load balancers and compose: the database answers a query and, when one is configured, the
    broker accepts a connection; 503 names the part that failed. Public on purpose: the body says only "ok" or
    "error" per part, the reason goes to the log."""
    status = {"database": "ok", "broker": "in-process" if not settings.CELERY_BROKER_URL else "ok"}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as error:
        logger.warning("healthz: the database does not answer: %s", error)
        status["database"] = "error"
    if settings.CELERY_BROKER_URL:
        from zhucun.celery import app

        try:
            with app.connection_for_write(url=settings.CELERY_BROKER_URL) as broker:
                broker.ensure_connection(max_retries=1, interval_start=0, timeout=2)
        except Exception as error:
            logger.warning("healthz: the broker does not answer: %s", error)
            status["broker"] = "error"
    healthy = "error" not in status.values()
    return JsonResponse(status, status=200 if healthy else 503)
