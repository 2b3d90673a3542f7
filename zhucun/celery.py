"""The Celery application. Workers: `celery -A zhucun worker`; exactly one beat: `celery -A zhucun beat`."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhucun.settings")

app = Celery("zhucun")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
