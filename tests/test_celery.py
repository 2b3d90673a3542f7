"""The Celery path: in-process (demo, no broker) and through Redis to a real worker (CI)."""

import time
import uuid

import pytest
from django.conf import settings

from zhucun.models import WorkerPing
from zhucun.tasks import ping


@pytest.mark.django_db
@pytest.mark.skipif(bool(settings.CELERY_BROKER_URL), reason="a broker is configured: tasks go to the worker")
def test_it_runs_a_task_in_process_when_no_broker_is_configured():
    token = uuid.uuid4().hex

    ping.delay(token)

    assert WorkerPing.objects.get(token=token).worker == "in-process"


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_it_sends_a_task_through_the_broker_to_a_real_worker():
    token = uuid.uuid4().hex

    ping.delay(token)

    deadline = time.monotonic() + 60
    while not WorkerPing.objects.filter(token=token).exists():
        assert time.monotonic() < deadline, "the worker did not run the ping task within 60 s"
        time.sleep(0.2)
    row = WorkerPing.objects.get(token=token)
    assert row.worker.startswith("zhucun-test@"), row.worker
