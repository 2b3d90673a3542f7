"""Drafts on the 1st, late and missing reports, and reminders that are never sent twice."""

import datetime

import pytest

from reports.choices import ReportStatus
from reports.deadlines import active_teams, drafts_create_for_month, overdue_reports, reminders_send
from reports.models import MonthlyReport, Notification
from reports.tasks import create_monthly_drafts, send_reminders
from tests.factories import MonthlyReportFactory, UserRoleFactory, make_team
from zhucun.choices import Role

pytestmark = pytest.mark.django_db


def test_it_counts_only_teams_working_in_the_month(nanga_team, batch):
    ended = make_team(within="540103", end_date=datetime.date(2026, 1, 15))
    late_start = make_team(within="540103", start_date=datetime.date(2026, 3, 10))

    february = set(active_teams(month=datetime.date(2026, 2, 1)))
    march = set(active_teams(month=datetime.date(2026, 3, 1)))

    assert nanga_team in february and ended not in february and late_start not in february
    assert late_start in march
    assert not active_teams(month=datetime.date(2026, 11, 1)).exists()  # after 第十批


def test_it_creates_one_draft_per_active_team_however_often_it_runs(nanga_team, time_machine):
    time_machine.move_to(datetime.datetime(2026, 4, 1, 0, 30, tzinfo=datetime.UTC), tick=False)
    other = make_team(within="540622")

    assert create_monthly_drafts.apply().get() == 2
    assert create_monthly_drafts.apply().get() == 0
    drafts = MonthlyReport.objects.filter(month=datetime.date(2026, 4, 1))
    assert {report.team for report in drafts} == {nanga_team, other}
    assert all(r.status == ReportStatus.DRAFT and r.due_date == datetime.date(2026, 5, 5) for r in drafts)


def test_it_reminds_the_leader_of_a_missing_report_once_a_day(nanga_team, nanga_leader, time_machine):
    time_machine.move_to(datetime.datetime(2026, 3, 7, 1, 0, tzinfo=datetime.UTC), tick=False)
    drafts_create_for_month(month=datetime.date(2026, 2, 1))

    assert [r.team for r in overdue_reports(today=datetime.date(2026, 3, 7))] == [nanga_team]
    assert send_reminders.apply().get() == 1
    assert send_reminders.apply().get() == 0
    notification = Notification.objects.get(user=nanga_leader)
    assert "逾期" in notification.title and "2026年02月" in notification.title

    time_machine.move_to(datetime.datetime(2026, 3, 8, 1, 0, tzinfo=datetime.UTC), tick=False)
    assert reminders_send() == 1


def test_it_does_not_remind_before_the_due_date(nanga_team, nanga_leader):
    drafts_create_for_month(month=datetime.date(2026, 2, 1))

    assert reminders_send(today=datetime.date(2026, 3, 5)) == 0


def test_it_tells_the_county_about_reports_waiting_more_than_three_days(nanga_team, county_admin, outsider):
    MonthlyReportFactory(
        team=nanga_team,
        month=datetime.date(2026, 2, 1),
        submitted=True,
        submitted_at=datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC),
    )
    prefecture = UserRoleFactory(role=Role.PREFECTURE_ADMIN).user

    assert reminders_send(today=datetime.date(2026, 3, 9)) == 1
    notification = Notification.objects.get()
    assert notification.user == county_admin and "1份月报" in notification.title
    assert not Notification.objects.filter(user__in=[outsider, prefecture]).exists()


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_it_creates_each_draft_once_when_the_real_worker_runs_the_job_twice():
    """Through Redis to the worker started by .ci/run, on today's real date: two runs, one draft per team."""
    import time

    from django.utils import timezone

    from reports.periods import add_months, month_start
    from tests.factories import BatchFactory

    today = timezone.localdate()
    batch = BatchFactory(number=90, start_date=add_months(month_start(today), -2), end_date=add_months(today, 9))
    teams = [make_team(batch=batch, within="540103"), make_team(batch=batch, within="540622")]

    create_monthly_drafts.delay()
    create_monthly_drafts.delay()

    drafts = MonthlyReport.objects.filter(month=month_start(today), team__in=teams)
    deadline = time.monotonic() + 60
    while drafts.count() < len(teams):
        assert time.monotonic() < deadline, "the worker did not create the drafts within 60 s"
        time.sleep(0.2)
    time.sleep(2)  # let the second run finish too
    assert drafts.count() == len(teams)
    assert sorted(drafts.values_list("team_id", flat=True)) == sorted(team.pk for team in teams)
