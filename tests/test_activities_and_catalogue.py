"""The activity log (the leader and members of the team in 南嘎) and the indicator catalogue (region admins)."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from reports.models import Activity, Indicator, ReportValue
from reports.services import (
    activity_create,
    activity_delete,
    activity_update,
    indicator_create,
    indicator_reorder,
    indicator_retire,
    indicator_update,
)
from reports.workflow import report_indicators
from tests.factories import ActivityTypeFactory, BatchFactory, IndicatorFactory, MonthlyReportFactory, UserRoleFactory
from zhucun.choices import Role

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _march(time_machine):
    time_machine.move_to(datetime.datetime(2026, 3, 20, 10, 0, tzinfo=datetime.UTC), tick=False)


@pytest.fixture
def talk():
    return ActivityTypeFactory(name="宣讲会")


@pytest.fixture
def nanga_member(nanga_team):
    member = nanga_team.assignments.filter(role="member").first()
    user = UserRoleFactory(role=Role.TEAM_MEMBER, team=nanga_team, user__username="nanga-member").user
    member.cadre.user = user
    member.cadre.save(update_fields=["user"])
    return user


def test_it_lets_leader_and_members_log_activities_of_their_own_team(nanga_team, nanga_leader, nanga_member, talk):
    for user in (nanga_leader, nanga_member):
        activity = activity_create(
            actor=user,
            team=nanga_team,
            date=datetime.date(2026, 3, 2),
            activity_type=talk,
            title="宣讲",
            participants=30,
        )
        assert Activity.objects.get(pk=activity.pk).created_by == user


def test_it_refuses_activities_from_outside_the_team(nanga_team, outsider, auditor, county_admin, talk):
    for user in (outsider, auditor, county_admin):
        with pytest.raises(PermissionDenied):
            activity_create(actor=user, team=nanga_team, date=datetime.date(2026, 3, 2), activity_type=talk, title="x")
    assert not Activity.objects.exists()


def test_it_refuses_a_future_date_and_a_date_outside_the_stay(nanga_team, nanga_leader, talk):
    for day in (datetime.date(2026, 3, 21), datetime.date(2025, 10, 31)):
        with pytest.raises(ValidationError) as caught:
            activity_create(actor=nanga_leader, team=nanga_team, date=day, activity_type=talk, title="x")
        assert "date" in caught.value.message_dict


def test_it_locks_the_activities_of_an_approved_month(nanga_team, nanga_leader, talk):
    activity = activity_create(
        actor=nanga_leader, team=nanga_team, date=datetime.date(2026, 2, 10), activity_type=talk, title="宣讲"
    )
    MonthlyReportFactory(team=nanga_team, month=datetime.date(2026, 2, 1), approved=True)

    with pytest.raises(ValidationError, match="已审核"):
        activity_update(actor=nanga_leader, activity=activity, title="改")
    with pytest.raises(ValidationError, match="已审核"):
        activity_delete(actor=nanga_leader, activity=activity)
    with pytest.raises(ValidationError):
        activity_create(
            actor=nanga_leader, team=nanga_team, date=datetime.date(2026, 2, 11), activity_type=talk, title="x"
        )
    assert Activity.objects.get(pk=activity.pk).title == "宣讲"


def test_it_lets_only_region_admins_change_the_catalogue(region_admin, county_admin, auditor):
    for user in (county_admin, auditor):
        with pytest.raises(PermissionDenied):
            indicator_create(actor=user, code="N01", name="新指标", unit="次", category="stability")

    created = indicator_create(actor=region_admin, code="N01", name="新指标", unit="次", category="stability")

    assert Indicator.objects.get(code="N01").sort_order == created.sort_order > 0


def test_it_keeps_a_retired_indicator_readable_in_old_reports(region_admin, nanga_team):
    old = MonthlyReportFactory(team=nanga_team, month=datetime.date(2026, 1, 1))
    t02 = IndicatorFactory(code="T02")
    ReportValue.objects.create(report=old, indicator=t02, value=Decimal(5))
    ninth = BatchFactory(number=9)

    indicator_retire(actor=region_admin, indicator=t02, last_batch=ninth)

    assert t02 in report_indicators(old)  # it holds a value there
    fresh = MonthlyReportFactory(team=nanga_team, month=datetime.date(2026, 2, 1))
    assert t02 not in report_indicators(fresh)


def test_it_refuses_to_change_the_type_of_an_indicator_in_use(region_admin, nanga_team):
    p02 = IndicatorFactory(code="P02")
    ReportValue.objects.create(report=MonthlyReportFactory(team=nanga_team), indicator=p02, value=Decimal(1))

    with pytest.raises(ValidationError) as caught:
        indicator_update(actor=region_admin, indicator=p02, value_type="money")
    assert "value_type" in caught.value.message_dict
    assert indicator_update(actor=region_admin, indicator=p02, name="组织召开宣讲会").name == "组织召开宣讲会"


def test_it_reorders_the_catalogue(region_admin):
    indicator_reorder(actor=region_admin, codes=["T04", "P01"])

    codes = list(Indicator.objects.order_by("sort_order").values_list("code", flat=True))
    assert codes[:3] == ["T04", "P01", "P02"] and len(codes) == 51
