"""The activity log API: the leader and a member of the team in 南嘎居委会 log what the team did; the county admin
of 堆龙德庆区 and the auditor read it; the outsider from 比如县 never sees it. Once February's report is approved,
February's activities are locked. 3 March 2026."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from reports.models import Activity
from tests.factories import (
    ActivityFactory,
    ActivityTypeFactory,
    MonthlyReportFactory,
    UserRoleFactory,
    WorkTeamFactory,
    free_village,
)
from zhucun.choices import Role

ACTIVITIES = "/api/v1/activities/"
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _early_march(time_machine):
    time_machine.move_to(datetime.datetime(2026, 3, 3, 10, 0, tzinfo=datetime.UTC), tick=False)


@pytest.fixture
def api():
    def signed_in(user) -> APIClient:
        client = APIClient()
        client.force_login(user)
        return client

    return signed_in


@pytest.fixture
def nanga_member(nanga_team):
    return UserRoleFactory(role=Role.TEAM_MEMBER, team=nanga_team, user__username="nanga-member").user


@pytest.fixture
def talk():
    return ActivityTypeFactory(name="宣讲会")


@pytest.fixture
def february_talk(nanga_team, nanga_leader, talk) -> Activity:
    return ActivityFactory(
        team=nanga_team,
        date=datetime.date(2026, 2, 10),
        activity_type=talk,
        title="惠民政策宣讲",
        created_by=nanga_leader,
    )


def body(talk, **fields) -> dict:
    return {"date": "2026-03-02", "activity_type": talk.pk, "title": "惠民政策宣讲", "participants": 40} | fields


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


# -- logging -------------------------------------------------------------------------------------------------


def test_it_lets_the_leader_log_for_the_team_without_naming_it(api, nanga_leader, nanga_team, talk):
    response = api(nanga_leader).post(ACTIVITIES, body(talk, households=12, notes="在村委会"), format="json")

    assert response.status_code == 201, response.content
    activity = Activity.objects.get(pk=response.json()["id"])
    assert (activity.team, activity.created_by, activity.participants, activity.households) == (
        nanga_team,
        nanga_leader,
        40,
        12,
    )
    shown = response.json()
    assert (shown["team_name"], shown["village_name"], shown["activity_type_name"], shown["locked"]) == (
        nanga_team.name,
        "南嘎居委会",
        "宣讲会",
        False,
    )


def test_it_lets_a_member_log_for_the_team(api, nanga_member, nanga_team, talk):
    response = api(nanga_member).post(ACTIVITIES, body(talk, team=nanga_team.pk), format="json")

    assert response.status_code == 201, response.content
    assert Activity.objects.get().created_by == nanga_member


def test_it_asks_which_team_when_the_user_logs_for_two(api, nanga_member, batch, talk):
    UserRoleFactory(role=Role.TEAM_MEMBER, team=WorkTeamFactory(batch=batch), user=nanga_member)

    response = api(nanga_member).post(ACTIVITIES, body(talk), format="json")

    assert response.status_code == 400
    assert response.json() == {"team": ["请选择工作队。"]}
    assert not Activity.objects.exists()


def test_it_refuses_a_future_date_in_chinese(api, nanga_leader, talk):
    response = api(nanga_leader).post(ACTIVITIES, body(talk, date="2026-03-04"), format="json")

    assert response.status_code == 400
    assert response.json() == {"date": ["不能记录未来日期的活动。"]}
    assert not Activity.objects.exists()


@pytest.mark.parametrize("who", ["county_admin", "auditor", "outsider", "region_admin"])
def test_it_refuses_logging_to_those_who_do_not_log(api, request, who, nanga_team, talk):
    client = api(request.getfixturevalue(who))

    assert client.post(ACTIVITIES, body(talk, team=nanga_team.pk), format="json").status_code == 403
    assert client.post(ACTIVITIES, {}, format="json").status_code == 403
    assert not Activity.objects.exists()


def test_it_refuses_the_leader_another_teams_log(api, nanga_leader, batch, talk):
    other = WorkTeamFactory(village=free_village(batch=batch, within="540103"), batch=batch)

    response = api(nanga_leader).post(ACTIVITIES, body(talk, team=other.pk), format="json")

    assert response.status_code == 400
    assert "team" in response.json()
    assert not Activity.objects.exists()


# -- changing ------------------------------------------------------------------------------------------------


def test_it_lets_a_member_correct_and_delete_an_activity(api, nanga_member, nanga_team, february_talk, batch):
    client = api(nanga_member)
    other = WorkTeamFactory(batch=batch)

    changed = client.patch(f"{ACTIVITIES}{february_talk.pk}/", {"participants": 55, "team": other.pk}, format="json")

    assert changed.status_code == 200, changed.content
    activity = Activity.objects.get(pk=february_talk.pk)
    assert (activity.participants, activity.team) == (55, nanga_team)
    assert client.delete(f"{ACTIVITIES}{february_talk.pk}/").status_code == 204
    assert not Activity.objects.filter(pk=february_talk.pk).exists()


def test_it_refuses_changes_to_the_county_and_the_auditor(api, county_admin, auditor, february_talk):
    for user in (county_admin, auditor):
        client = api(user)
        assert client.get(f"{ACTIVITIES}{february_talk.pk}/").status_code == 200
        assert client.patch(f"{ACTIVITIES}{february_talk.pk}/", {"title": "改"}, format="json").status_code == 403
        assert client.delete(f"{ACTIVITIES}{february_talk.pk}/").status_code == 403
    assert Activity.objects.get(pk=february_talk.pk).title == "惠民政策宣讲"


def test_it_locks_the_activities_of_a_month_whose_report_is_approved(
    api, nanga_leader, nanga_team, february_talk, talk
):
    MonthlyReportFactory(team=nanga_team, month=datetime.date(2026, 2, 1), approved=True)
    client = api(nanga_leader)

    assert client.get(f"{ACTIVITIES}{february_talk.pk}/").json()["locked"] is True
    changed = client.patch(f"{ACTIVITIES}{february_talk.pk}/", {"title": "改"}, format="json")
    assert changed.status_code == 400
    assert changed.json() == {"non_field_errors": ["该月月报已审核，不能修改该月的工作日志。"]}
    assert client.delete(f"{ACTIVITIES}{february_talk.pk}/").status_code == 400
    added = client.post(ACTIVITIES, body(talk, date="2026-02-20"), format="json")
    assert added.status_code == 400 and "date" in added.json()
    assert list(Activity.objects.values_list("title", flat=True)) == ["惠民政策宣讲"]
    # March is open.
    assert client.post(ACTIVITIES, body(talk), format="json").status_code == 201


# -- reading -------------------------------------------------------------------------------------------------


def test_it_hides_the_activity_from_the_outsider(api, outsider, february_talk):
    client = api(outsider)

    assert client.get(f"{ACTIVITIES}{february_talk.pk}/").status_code == 404
    assert client.patch(f"{ACTIVITIES}{february_talk.pk}/", {"title": "改"}, format="json").status_code == 404
    assert client.delete(f"{ACTIVITIES}{february_talk.pk}/").status_code == 404
    assert ids(client.get(ACTIVITIES)) == []
    assert client.get(ACTIVITIES, {"area": "540103"}).status_code == 400
    assert Activity.objects.filter(pk=february_talk.pk).exists()


def test_it_filters_activities_by_team_type_month_area_and_text(api, county_admin, nanga_team, february_talk, batch):
    visit = ActivityFactory(team=nanga_team, date=datetime.date(2026, 3, 1), title="入户走访脱贫户")
    elsewhere = ActivityFactory(
        team=WorkTeamFactory(village=free_village(batch=batch, within="540103102"), batch=batch),
        date=datetime.date(2026, 2, 12),
    )
    client = api(county_admin)

    assert ids(client.get(ACTIVITIES)) == [visit.pk, elsewhere.pk, february_talk.pk]
    assert ids(client.get(ACTIVITIES, {"team": nanga_team.pk})) == [visit.pk, february_talk.pk]
    assert ids(client.get(ACTIVITIES, {"activity_type": february_talk.activity_type_id})) == [february_talk.pk]
    assert ids(client.get(ACTIVITIES, {"month": "2026-02"})) == [elsewhere.pk, february_talk.pk]
    assert ids(client.get(ACTIVITIES, {"area": "540103102"})) == [elsewhere.pk]
    assert ids(client.get(ACTIVITIES, {"q": "脱贫"})) == [visit.pk]
    assert ids(client.get(ACTIVITIES, {"ordering": "date"})) == [february_talk.pk, elsewhere.pk, visit.pk]
    assert client.get(ACTIVITIES, {"month": "2月"}).status_code == 400


def test_it_lists_activities_in_a_constant_number_of_queries(
    api, county_admin, nanga_team, batch, django_assert_num_queries
):
    for day in range(1, 16):
        team = WorkTeamFactory(village=free_village(batch=batch, within="540103"), batch=batch)
        ActivityFactory(team=team, date=datetime.date(2026, 2, day), village=nanga_team.village)
        MonthlyReportFactory(team=team, month=datetime.date(2026, 2, 1), approved=day % 2 == 0)
    client = api(county_admin)
    client.get(ACTIVITIES, {"page_size": 1})

    with CaptureQueriesContext(connection) as three:
        assert len(ids(client.get(ACTIVITIES, {"page_size": 3}))) == 3
    with django_assert_num_queries(len(three)):
        rows = client.get(ACTIVITIES, {"page_size": 15}).json()["results"]
    assert sum(row["locked"] for row in rows) == 7
