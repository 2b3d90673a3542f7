"""The daily task that keeps assignment statuses in step with approved leave, run in-process."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import OperationalError

from teams import tasks
from teams.choices import AssignmentRole, AssignmentStatus, LeaveStatus
from teams.models import Assignment
from tests.factories import LeaveFactory
from zhucun.celery import app

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def gesang_on_leave(nanga_team, nanga_leader, county_admin):
    """格桑, a 队员 of the nanga team, has approved leave from 10 to 16 January 2026."""
    member = nanga_team.assignments.filter(role=AssignmentRole.MEMBER).order_by("pk").first()
    LeaveFactory(
        assignment=member,
        start_date=datetime.date(2026, 1, 10),
        end_date=datetime.date(2026, 1, 16),
        status=LeaveStatus.APPROVED,
        requested_by=nanga_leader,
        decided_by=county_admin,
        decided_at=datetime.datetime(2026, 1, 6, 9, 0, tzinfo=SHANGHAI),
    )
    return member


def status_of(assignment: Assignment) -> str:
    return Assignment.objects.get(pk=assignment.pk).status


def run_at(time_machine, when: datetime.datetime, **options) -> int:
    time_machine.move_to(when, tick=False)
    return tasks.sync_assignment_statuses.apply(**options).get()


@pytest.mark.django_db
def test_it_puts_a_member_on_leave_on_the_first_day_and_back_on_post_after_the_last(time_machine, gesang_on_leave):
    assert run_at(time_machine, datetime.datetime(2026, 1, 9, 0, 5, tzinfo=SHANGHAI)) == 0
    assert status_of(gesang_on_leave) == AssignmentStatus.ON_POST

    # 00:05 in Lhasa's time zone is still the 9th in UTC: the task takes the local date.
    assert run_at(time_machine, datetime.datetime(2026, 1, 10, 0, 5, tzinfo=SHANGHAI)) == 1
    assert status_of(gesang_on_leave) == AssignmentStatus.LEAVE

    assert run_at(time_machine, datetime.datetime(2026, 1, 17, 0, 5, tzinfo=SHANGHAI)) == 1
    assert status_of(gesang_on_leave) == AssignmentStatus.ON_POST


@pytest.mark.django_db
def test_it_changes_nothing_when_run_twice_the_same_day(time_machine, gesang_on_leave):
    first = run_at(time_machine, datetime.datetime(2026, 1, 12, 0, 5, tzinfo=SHANGHAI))
    second = run_at(time_machine, datetime.datetime(2026, 1, 12, 0, 6, tzinfo=SHANGHAI))

    assert (first, second) == (1, 0)
    assert status_of(gesang_on_leave) == AssignmentStatus.LEAVE


@pytest.mark.django_db
def test_it_retries_after_a_lost_database_connection(time_machine, gesang_on_leave, monkeypatch):
    calls = []
    real = tasks.assignment_statuses_sync

    def flaky(*, today):
        calls.append(today)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real(today=today)

    monkeypatch.setattr(tasks, "assignment_statuses_sync", flaky)

    # throw=False: in-process, Celery runs the retry only when the first attempt's Retry is not re-raised.
    result = run_at(time_machine, datetime.datetime(2026, 1, 12, 0, 5, tzinfo=SHANGHAI), throw=False)

    assert calls == [datetime.date(2026, 1, 12)] * 2
    assert result == 1
    assert status_of(gesang_on_leave) == AssignmentStatus.LEAVE


@pytest.mark.django_db(transaction=True)
def test_it_runs_outside_any_transaction_as_a_worker_does(time_machine, gesang_on_leave):
    assert run_at(time_machine, datetime.datetime(2026, 1, 12, 0, 5, tzinfo=SHANGHAI)) == 1
    assert status_of(gesang_on_leave) == AssignmentStatus.LEAVE


def test_it_is_registered_with_time_limits_and_retries():
    task = app.tasks["teams.sync_assignment_statuses"]

    assert task.name == tasks.sync_assignment_statuses.name
    assert (task.soft_time_limit, task.time_limit, task.max_retries) == (300, 360, 3)
    assert OperationalError in task.autoretry_for


def test_it_is_scheduled_daily_just_after_midnight_by_beat(settings):
    entries = [
        entry
        for entry in getattr(settings, "CELERY_BEAT_SCHEDULE", {}).values()
        if entry["task"] == "teams.sync_assignment_statuses"
    ]
    if not entries:
        pytest.skip("zhucun/settings.py has no CELERY_BEAT_SCHEDULE entry for teams.sync_assignment_statuses yet")

    (entry,) = entries
    schedule = entry["schedule"]
    assert (schedule.hour, schedule.minute) == ({0}, {5})
    assert settings.CELERY_TIMEZONE == "Asia/Shanghai"
