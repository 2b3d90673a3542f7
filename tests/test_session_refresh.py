"""The idle limit without a write per request: a signed-in session is saved (its expiry moved on by 30 minutes) only
when its last save is a minute old, so a burst of requests writes the session row once, and the 30-minute idle
limit still holds to within that minute."""

import datetime

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db

START = datetime.datetime(2026, 3, 10, 2, 0, tzinfo=datetime.UTC)  # 10:00 in Lhasa


def log_in(client):
    response = client.post(reverse("login"), {"username": "doilungdeqen-admin", "password": TEST_PASSWORD})
    assert response.status_code == 302
    return client.session.session_key


def expiry(session_key):
    return Session.objects.get(session_key=session_key).expire_date


def session_writes(queries) -> list[str]:
    return [
        query["sql"]
        for query in queries
        if "django_session" in query["sql"] and not query["sql"].lstrip().upper().startswith("SELECT")
    ]


def test_the_session_is_saved_at_most_once_a_minute(client, county_admin):
    assert settings.SESSION_SAVE_EVERY_REQUEST is False
    assert settings.SESSION_REFRESH_SECONDS == 60


def test_a_request_ten_seconds_after_the_last_save_writes_nothing(client, county_admin, time_machine):
    time_machine.move_to(START, tick=False)
    session_key = log_in(client)
    saved_expiry = expiry(session_key)
    time_machine.shift(datetime.timedelta(seconds=10))

    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("api:me"))

    assert response.status_code == 200
    assert session_writes(queries.captured_queries) == []
    assert settings.SESSION_COOKIE_NAME not in response.cookies
    assert expiry(session_key) == saved_expiry


def test_a_request_a_minute_after_the_last_save_moves_the_expiry_on(client, county_admin, time_machine):
    time_machine.move_to(START, tick=False)
    session_key = log_in(client)
    time_machine.shift(datetime.timedelta(seconds=61))

    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("api:me"))

    assert response.status_code == 200
    assert len(session_writes(queries.captured_queries)) == 1
    assert expiry(session_key) == START + datetime.timedelta(seconds=61 + 30 * 60)
    assert response.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == 30 * 60


def test_activity_keeps_a_session_alive_past_thirty_minutes(client, county_admin, time_machine):
    time_machine.move_to(START, tick=False)
    log_in(client)
    page = reverse("password_change")

    # A request every 20 seconds (most of them save nothing), then one every 5 minutes: 75 minutes in all.
    for _ in range(9):
        time_machine.shift(datetime.timedelta(seconds=20))
        assert client.get(page).status_code == 200
    for _ in range(14):
        time_machine.shift(datetime.timedelta(minutes=5))
        assert client.get(page).status_code == 200

    assert client.get(reverse("api:me")).json()["username"] == "doilungdeqen-admin"


def test_the_idle_limit_holds_to_within_a_minute_after_a_request_that_saved_nothing(client, county_admin, time_machine):
    time_machine.move_to(START, tick=False)
    log_in(client)
    page = reverse("password_change")
    time_machine.shift(datetime.timedelta(minutes=5))
    assert client.get(page).status_code == 200  # saved: expires at 5 + 30 min
    time_machine.shift(datetime.timedelta(seconds=50))
    assert client.get(page).status_code == 200  # not saved: the last activity, at 5 min 50 s

    time_machine.shift(datetime.timedelta(minutes=29))  # 29 idle minutes: still signed in
    assert client.get(page).status_code == 200
    time_machine.shift(datetime.timedelta(minutes=30))  # 30 idle minutes after that request
    response = client.get(page)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_session_that_saved_nothing_for_thirty_minutes_ends_although_requests_came_within_the_minute(
    client, county_admin, time_machine
):
    """The expiry is the last save plus 30 minutes: requests at 0:20, 0:40 after a save never move it, so the
    session ends 30 minutes after that save, i.e. 29 min 20 s after the last request (within the minute)."""
    time_machine.move_to(START, tick=False)
    session_key = log_in(client)
    for _ in range(2):
        time_machine.shift(datetime.timedelta(seconds=20))
        client.get(reverse("api:me"))
    assert expiry(session_key) == START + datetime.timedelta(minutes=30)
    time_machine.shift(datetime.timedelta(minutes=29, seconds=21))

    response = client.get(reverse("password_change"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
