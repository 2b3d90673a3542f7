"""The notifications API: everybody reads and marks only their own inbox, whatever their role. The leader of the
team in 南嘎居委会 is reminded of February's missing report; the county admin of 堆龙德庆区 has its own inbox."""

import datetime

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from reports.deadlines import reminders_send
from reports.models import Notification
from tests.factories import MonthlyReportFactory, UserFactory

NOTIFICATIONS = "/api/v1/notifications/"
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _after_the_fifth(time_machine):
    time_machine.move_to(datetime.datetime(2026, 3, 7, 10, 0, tzinfo=datetime.UTC), tick=False)


@pytest.fixture
def api():
    def signed_in(user) -> APIClient:
        client = APIClient()
        client.force_login(user)
        return client

    return signed_in


def notify(user, key: str, **fields) -> Notification:
    return Notification.objects.create(user=user, key=key, title=fields.pop("title", key), **fields)


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_it_shows_the_leader_the_reminder_of_a_missing_report(api, nanga_team, nanga_leader):
    MonthlyReportFactory(team=nanga_team, month=datetime.date(2026, 2, 1))  # a draft, due on 5 March
    reminders_send()

    response = api(nanga_leader).get(NOTIFICATIONS)

    assert response.status_code == 200
    [reminder] = response.json()["results"]
    assert reminder["title"] == "2026年02月月报已逾期（截止03月05日），请尽快提交"
    assert reminder["unread"] is True and reminder["read_at"] is None


def test_it_shows_each_user_only_their_own_notifications(api, nanga_leader, county_admin, region_admin):
    mine = notify(nanga_leader, "a")
    theirs = notify(county_admin, "b")

    assert ids(api(nanga_leader).get(NOTIFICATIONS)) == [mine.pk]
    assert ids(api(county_admin).get(NOTIFICATIONS)) == [theirs.pk]
    assert ids(api(region_admin).get(NOTIFICATIONS)) == []
    assert ids(api(UserFactory()).get(NOTIFICATIONS)) == []
    assert api(nanga_leader).get(f"{NOTIFICATIONS}{theirs.pk}/").status_code == 404
    assert api(region_admin).get(f"{NOTIFICATIONS}{theirs.pk}/").status_code == 404


def test_it_lists_the_unread_ones_newest_first(api, nanga_leader, time_machine):
    old = notify(nanga_leader, "old")
    time_machine.shift(datetime.timedelta(hours=1))
    read = notify(nanga_leader, "read", read_at=timezone.now())
    time_machine.shift(datetime.timedelta(hours=1))
    new = notify(nanga_leader, "new")
    client = api(nanga_leader)

    assert ids(client.get(NOTIFICATIONS)) == [new.pk, read.pk, old.pk]
    assert ids(client.get(NOTIFICATIONS, {"unread": "true"})) == [new.pk, old.pk]
    assert ids(client.get(NOTIFICATIONS, {"unread": "false"})) == [read.pk]
    assert client.get(NOTIFICATIONS, {"unread": "true"}).json()["count"] == 2


def test_it_marks_one_read_once(api, nanga_leader, time_machine):
    notification = notify(nanga_leader, "a")
    client = api(nanga_leader)

    first = client.post(f"{NOTIFICATIONS}{notification.pk}/mark-read/")
    time_machine.shift(datetime.timedelta(minutes=10))  # within the session's 30 idle minutes
    again = client.post(f"{NOTIFICATIONS}{notification.pk}/mark-read/")

    assert first.status_code == again.status_code == 200
    assert again.json()["unread"] is False
    assert Notification.objects.get(pk=notification.pk).read_at == datetime.datetime(
        2026, 3, 7, 10, 0, tzinfo=datetime.UTC
    )


def test_it_refuses_to_mark_another_users_notification(api, nanga_leader, county_admin):
    theirs = notify(county_admin, "b")

    assert api(nanga_leader).post(f"{NOTIFICATIONS}{theirs.pk}/mark-read/").status_code == 404
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_it_marks_all_of_the_users_own_read(api, nanga_leader, county_admin):
    notify(nanga_leader, "a")
    notify(nanga_leader, "b", read_at=timezone.now())
    theirs = notify(county_admin, "c")

    response = api(nanga_leader).post(f"{NOTIFICATIONS}mark-all-read/")

    assert response.status_code == 200
    assert response.json() == {"marked": 1}
    assert not Notification.objects.filter(user=nanga_leader, read_at__isnull=True).exists()
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_it_has_no_way_to_write_or_delete_a_notification(api, nanga_leader):
    notification = notify(nanga_leader, "a")
    client = api(nanga_leader)

    assert client.post(NOTIFICATIONS, {"title": "x"}, format="json").status_code == 405
    assert client.patch(f"{NOTIFICATIONS}{notification.pk}/", {"title": "x"}, format="json").status_code == 405
    assert client.delete(f"{NOTIFICATIONS}{notification.pk}/").status_code == 405
    assert Notification.objects.get(pk=notification.pk).title == "a"
