from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


@never_cache
@require_GET
def healthz(request):
    """Liveness for load balancers and compose: the database answers and, when configured, the broker too.
    Public on purpose; it reveals only "ok" or "error" per part."""
    status = {"database": "ok", "broker": "in-process" if not settings.CELERY_BROKER_URL else "ok"}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        status["database"] = "error"
    if settings.CELERY_BROKER_URL:
        from zhucun.celery import app

        try:
            with app.connection_for_write() as broker:
                broker.ensure_connection(max_retries=1, timeout=2)
        except Exception:
            status["broker"] = "error"
    healthy = "error" not in status.values()
    return JsonResponse(status, status=200 if healthy else 503)
