import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django_db
def test_it_reports_a_healthy_database_without_login(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json()["database"] == "ok"


@pytest.mark.django_db
def test_it_sends_anonymous_visitors_of_the_home_page_to_a_login(client):
    response = client.get("/", follow=True)

    assert response.status_code == 200
    assert "登录" in response.content.decode()


# /healthz with a broker and when a part fails ---------------------------------------------------------------------
# Probed by compose, load balancers and `make serve`: 200 only when the database answers a query and the broker a
# connection; 503 names the part that failed (the reason goes to the log, not to the anonymous caller).

REDIS_DB_OF_THESE_TESTS = "redis://127.0.0.1:6379/7"


@pytest.mark.django_db
def test_it_reports_a_healthy_broker(client, settings):
    settings.CELERY_BROKER_URL = REDIS_DB_OF_THESE_TESTS

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "ok"}


@pytest.mark.django_db
def test_it_answers_503_naming_the_broker_when_the_broker_is_down(client, settings, caplog):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"database": "ok", "broker": "error"}
    assert "the broker does not answer" in caplog.text


def test_it_answers_503_naming_the_database_when_the_database_is_down(tmp_path):
    """A real process whose DATABASE_URL points at a port where no PostgreSQL listens."""
    probe = (
        "import django; django.setup()\n"
        "from django.test import Client\n"
        "response = Client().get('/healthz')\n"
        "print(response.status_code, response.content.decode())\n"
    )
    env = {key: value for key, value in os.environ.items() if key not in {"CELERY_BROKER_URL", "REDIS_URL", "DEBUG"}}
    env.update(
        DJANGO_SETTINGS_MODULE="zhucun.settings",
        DATABASE_URL="postgres://postgres@127.0.0.1:1/nothing",
        ALLOWED_HOSTS="testserver",
        CELERY_BROKER_URL=REDIS_DB_OF_THESE_TESTS,
    )
    completed = subprocess.run(  # noqa: S603 (the probe above)
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )

    status, body = completed.stdout.strip().splitlines()[-1].split(" ", 1)
    assert status == "503"
    assert json.loads(body) == {"database": "error", "broker": "ok"}


@pytest.mark.django_db
def test_it_never_caches_the_answer(client):
    response = client.get("/healthz")

    assert "no-cache" in response["Cache-Control"]
