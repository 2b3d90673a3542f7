"""Activity log pages (工作日志): the leader and a member of the team in 南嘎居委会 log, correct and delete what the
team did; the county admin of 堆龙德庆区 and the auditor read; the outsider (county admin of 比如县) finds nothing.
An approved month locks its activities.
"""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reports.models import Activity
from tests.factories import ActivityFactory, ActivityTypeFactory, MonthlyReportFactory, UserRoleFactory, make_team
from zhucun.choices import Role

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _early_march(time_machine):
    time_machine.move_to(datetime.datetime(2026, 3, 3, 10, 0, tzinfo=datetime.UTC), tick=False)


@pytest.fixture
def nanga_member(nanga_team):
    return UserRoleFactory(role=Role.TEAM_MEMBER, team=nanga_team, user__username="nanga-member").user


@pytest.fixture
def talk():
    return ActivityTypeFactory(name="宣讲会")


@pytest.fixture
def february_talk(nanga_team, nanga_leader, talk):
    return ActivityFactory(
        team=nanga_team,
        date=datetime.date(2026, 2, 10),
        activity_type=talk,
        title="惠民政策宣讲",
        created_by=nanga_leader,
    )


def html(response) -> str:
    return response.content.decode()


def create(client, **fields):
    return client.post(reverse("reports:activity_create"), fields)


# -- logging ---------------------------------------------------------------------------------------------------


def test_it_preselects_the_leaders_team_today_and_the_teams_village(client, nanga_leader, nanga_team):
    client.force_login(nanga_leader)

    page = html(client.get(reverse("reports:activity_create")))

    assert f'<input type="hidden" name="team" value="{nanga_team.pk}"' in page
    assert 'name="date" value="2026-03-03"' in page
    assert f'<option value="{nanga_team.village_id}" selected>南嘎居委会</option>' in page
    assert 'inputmode="numeric"' in page
    assert nanga_team.name in page


def test_it_logs_an_activity_and_titles_it_by_its_type_when_left_empty(client, nanga_leader, nanga_team, talk):
    client.force_login(nanga_leader)

    response = create(
        client,
        team=nanga_team.pk,
        date="2026-03-02",
        activity_type=talk.pk,
        title="",
        village=nanga_team.village_id,
        participants="40",
        households="",
        notes="在村委会",
    )

    assert response.status_code == 302 and response["Location"] == reverse("reports:activity_list")
    activity = Activity.objects.get()
    assert (activity.team, activity.date, activity.title) == (nanga_team, datetime.date(2026, 3, 2), "宣讲会")
    assert (activity.participants, activity.households, activity.created_by) == (40, 0, nanga_leader)
    assert activity.village_id == nanga_team.village_id
    assert "已记录：03月02日 宣讲会。" in html(client.get(response["Location"]))


def test_it_lets_a_member_log_and_correct_an_activity(client, nanga_member, nanga_team, talk):
    client.force_login(nanga_member)
    create(client, team=nanga_team.pk, date="2026-03-01", activity_type=talk.pk, title="宣讲", participants="10")
    activity = Activity.objects.get()

    response = client.post(
        reverse("reports:activity_update", args=[activity.pk]),
        {
            "date": "2026-03-01",
            "activity_type": talk.pk,
            "title": "宣讲（更正）",
            "participants": "12",
            "households": "3",
        },
    )

    assert response.status_code == 302
    activity.refresh_from_db()
    assert (activity.title, activity.participants, activity.households, activity.team) == (
        "宣讲（更正）",
        12,
        3,
        nanga_team,
    )


def test_it_keeps_the_input_and_shows_the_services_message_for_a_future_date(client, nanga_leader, nanga_team, talk):
    client.force_login(nanga_leader)

    response = create(
        client, team=nanga_team.pk, date="2026-03-09", activity_type=talk.pk, title="下周的宣讲", participants="5"
    )

    assert response.status_code == 200
    page = html(response)
    assert (
        "不能记录未来日期的活动。" in page and 'value="下周的宣讲"' in page and 'name="participants" value="5"' in page
    )
    assert not Activity.objects.exists()


def test_it_keeps_activities_to_the_team(client, county_admin, auditor, outsider, nanga_team, talk):
    for user in (county_admin, auditor, outsider):
        client.force_login(user)
        assert client.get(reverse("reports:activity_create")).status_code == 403, user
        response = create(client, team=nanga_team.pk, date="2026-03-02", activity_type=talk.pk, title="x")
        assert response.status_code == 403, user
    assert not Activity.objects.exists()


def test_it_refuses_to_log_for_another_team(client, nanga_leader, batch, talk):
    other = make_team(within="540103", batch=batch)
    client.force_login(nanga_leader)

    response = create(client, team=other.pk, date="2026-03-02", activity_type=talk.pk, title="x")

    assert response.status_code == 200 and "选择一个有效的选项" in html(response)
    assert not Activity.objects.exists()


# -- changing and deleting -----------------------------------------------------------------------------------


def test_it_lets_the_county_read_but_not_change_and_hides_it_from_outsiders(
    client, county_admin, auditor, outsider, february_talk, batch
):
    other_team = make_team(within="540103", batch=batch)
    other_leader = UserRoleFactory(role=Role.TEAM_LEADER, team=other_team).user
    for user, status in ((county_admin, 403), (auditor, 403), (outsider, 404), (other_leader, 404)):
        client.force_login(user)
        assert client.get(reverse("reports:activity_update", args=[february_talk.pk])).status_code == status, user
        assert client.post(reverse("reports:activity_delete", args=[february_talk.pk])).status_code == status, user
    assert Activity.objects.filter(pk=february_talk.pk).exists()


def test_it_deletes_an_activity_after_asking(client, nanga_leader, february_talk):
    client.force_login(nanga_leader)
    page = html(client.get(reverse("reports:activity_delete", args=[february_talk.pk])))
    assert "惠民政策宣讲" in page and "确认删除" in page

    response = client.post(reverse("reports:activity_delete", args=[february_talk.pk]))

    assert response.status_code == 302
    assert not Activity.objects.filter(pk=february_talk.pk).exists()


def test_it_locks_the_activities_of_an_approved_month(client, nanga_leader, nanga_team, february_talk, talk):
    MonthlyReportFactory(team=nanga_team, month=datetime.date(2026, 2, 1), approved=True)
    client.force_login(nanga_leader)

    listing = html(client.get(reverse("reports:activity_list")))
    assert "已锁定" in listing and reverse("reports:activity_update", args=[february_talk.pk]) not in listing

    page = html(client.get(reverse("reports:activity_update", args=[february_talk.pk])))
    assert "该月月报已审核，工作日志已锁定" in page
    response = client.post(
        reverse("reports:activity_update", args=[february_talk.pk]),
        {"date": "2026-02-10", "activity_type": talk.pk, "title": "改", "participants": "1"},
    )
    assert response.status_code == 200 and "该月月报已审核，不能修改该月的工作日志。" in html(response)
    response = client.post(reverse("reports:activity_delete", args=[february_talk.pk]))
    assert response.status_code == 200 and "该月月报已审核，不能删除该月的工作日志。" in html(response)
    response = create(client, team=nanga_team.pk, date="2026-02-11", activity_type=talk.pk, title="补记")
    assert "该月月报已审核，不能再增加或修改该月的工作日志。" in html(response)

    february_talk.refresh_from_db()
    assert february_talk.title == "惠民政策宣讲" and Activity.objects.count() == 1


# -- the list ----------------------------------------------------------------------------------------------------


def test_it_lists_the_teams_activities_and_filters_by_month_and_type(
    client, nanga_leader, nanga_team, february_talk, talk, batch
):
    visit = ActivityFactory(team=nanga_team, date=datetime.date(2026, 3, 1), title="入户走访扎西家")
    elsewhere = ActivityFactory(team=make_team(within="540103", batch=batch), title="别队的宣讲")
    client.force_login(nanga_leader)

    page = html(client.get(reverse("reports:activity_list")))
    assert "惠民政策宣讲" in page and "入户走访扎西家" in page and elsewhere.title not in page
    assert reverse("reports:activity_update", args=[visit.pk]) in page
    assert "记录工作日志" in page

    march = html(client.get(reverse("reports:activity_list"), {"month": "2026-03"}))
    assert "入户走访扎西家" in march and "惠民政策宣讲" not in march
    talks = html(client.get(reverse("reports:activity_list"), {"activity_type": talk.pk}))
    assert "惠民政策宣讲" in talks and "入户走访扎西家" not in talks


def test_it_lets_the_county_filter_by_team_and_shows_the_outsider_nothing(
    client, county_admin, outsider, nanga_team, february_talk, batch
):
    other_team = make_team(within="540103", batch=batch)
    other = ActivityFactory(team=other_team, title="邻村的培训")
    client.force_login(county_admin)

    page = html(client.get(reverse("reports:activity_list")))
    assert "惠民政策宣讲" in page and "邻村的培训" in page and "记录工作日志" not in page
    assert f'<option value="{nanga_team.pk}">' in page
    only = html(client.get(reverse("reports:activity_list"), {"team": nanga_team.pk}))
    assert "惠民政策宣讲" in only and other.title not in only

    client.force_login(outsider)
    assert "惠民政策宣讲" not in html(client.get(reverse("reports:activity_list")))


def test_it_lists_activities_in_a_constant_number_of_queries(client, county_admin, batch):
    def add(count):
        for _ in range(count):
            ActivityFactory(team=make_team(within="540103", batch=batch, members=1), date=datetime.date(2026, 2, 3))

    add(2)
    client.force_login(county_admin)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("reports:activity_list"))
    add(6)
    with CaptureQueriesContext(connection) as more:
        page = html(client.get(reverse("reports:activity_list")))

    assert page.count("<tr>") - 1 == 8
    assert len(more) == len(few)
