"""Team pages: the list, a team's page, and the forms that create and change teams, set the leader, add a
member and end an assignment.

People: the county admin of 堆龙德庆区 (manages its teams), the outsider (county admin of 比如县), the leader of
the team in 南嘎居委会, a region auditor (reads everything, changes nothing), and the liaison of the unit that
sent the 南嘎 team (reads that unit's teams only).
"""

import datetime

import pytest
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from teams.choices import AssignmentRole, AssignmentStatus
from teams.models import Assignment, WorkTeam
from tests.factories import DispatchingUnitFactory, UserRoleFactory, WorkTeamFactory, free_village, make_team
from villages.models import Area
from zhucun.choices import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def biru_team(batch, naipu):
    return make_team(village=naipu, batch=batch, members=2)


@pytest.fixture
def other_doilung_team(batch, nanga_team):
    """Another team of 堆龙德庆区, sent by another unit."""
    return make_team(within="540103", batch=batch, members=2)


@pytest.fixture
def liaison(nanga_team):
    return UserRoleFactory(role=Role.UNIT_LIAISON, unit=nanga_team.unit, user__username="tongji-liaison").user


def get(client, user, url, **params):
    client.force_login(user)
    return client.get(url, params)


def html(response) -> str:
    return response.content.decode()


# -- the list -----------------------------------------------------------------------------------------------


def test_it_lists_the_county_teams_for_the_county_admin(client, county_admin, nanga_team, biru_team):
    page = html(get(client, county_admin, reverse("teams:list")))
    assert nanga_team.name in page
    assert biru_team.name not in page
    assert reverse("teams:create") in page


def test_it_keeps_other_counties_teams_from_the_outsider(client, outsider, nanga_team, biru_team):
    page = html(get(client, outsider, reverse("teams:list")))
    assert biru_team.name in page
    assert nanga_team.name not in page


def test_it_refuses_the_outsider_filtering_by_another_county(client, outsider, nanga_team, biru_team):
    response = get(client, outsider, reverse("teams:list"), area="540103")
    page = html(response)
    assert response.status_code == 200
    assert nanga_team.name not in page
    assert biru_team.name not in page
    assert "选择一个有效的选项" in page
    assert list(response.context["object_list"]) == []


def test_it_offers_only_the_users_own_areas_in_the_area_filter(client, county_admin, outsider, nanga_team):
    admin_choices = dict(
        get(client, county_admin, reverse("teams:list")).context["filter_form"]["area"].field.widget.choices
    )
    assert admin_choices[""] == "全部（堆龙德庆区）"  # the county is the whole scope: the empty choice
    assert "540103001" in admin_choices  # 东嘎街道, a township of the county
    assert "540622" not in admin_choices
    assert "5406" not in admin_choices
    outsider_choices = dict(
        get(client, outsider, reverse("teams:list")).context["filter_form"]["area"].field.widget.choices
    )
    assert outsider_choices[""] == "全部（比如县）"
    assert "540103" not in outsider_choices
    assert 'value="540103"' not in html(get(client, outsider, reverse("teams:list")))


def test_it_drills_down_from_prefecture_to_township(client, region_admin, nanga_team):
    choices = dict(get(client, region_admin, reverse("teams:list")).context["filter_form"]["area"].field.widget.choices)
    assert "5401" in choices
    assert "540103" not in choices  # counties appear once their prefecture is chosen
    assert "540103001" not in choices
    choices = dict(
        get(client, region_admin, reverse("teams:list"), area="540103")
        .context["filter_form"]["area"]
        .field.widget.choices
    )
    assert "540103001" in choices


def test_it_filters_by_area_for_the_county_admin(client, county_admin, nanga_team, other_doilung_team):
    response = get(client, county_admin, reverse("teams:list"), area="540103001")
    teams = list(response.context["object_list"])
    assert nanga_team in teams
    assert all(team.village_id.startswith("540103001") for team in teams)


def test_it_searches_by_village_name(client, county_admin, nanga_team, other_doilung_team):
    response = get(client, county_admin, reverse("teams:list"), q="南嘎")
    assert list(response.context["object_list"]) == [nanga_team]


def test_it_sorts_by_a_column_header(client, county_admin, nanga_team, other_doilung_team):
    ascending = [
        team.name for team in get(client, county_admin, reverse("teams:list"), ordering="name").context["object_list"]
    ]
    descending = [
        team.name for team in get(client, county_admin, reverse("teams:list"), ordering="-name").context["object_list"]
    ]
    assert ascending == sorted(ascending)
    assert descending == list(reversed(ascending))


def test_it_paginates_and_keeps_the_filters_in_page_links(client, region_admin, batch):
    unit = DispatchingUnitFactory()
    for _ in range(51):
        WorkTeamFactory(batch=batch, unit=unit, within="5401")
    response = get(client, region_admin, reverse("teams:list"), area="5401", ordering="name")
    assert len(response.context["object_list"]) == 50
    assert response.context["paginator"].count == 51
    page = html(response)
    assert "?area=5401&amp;ordering=name&amp;page=2" in page
    second = get(client, region_admin, reverse("teams:list"), area="5401", ordering="name", page=2)
    assert len(second.context["object_list"]) == 1


def test_it_shows_the_team_leader_only_their_own_team(client, nanga_leader, nanga_team, other_doilung_team):
    page = html(get(client, nanga_leader, reverse("teams:list")))
    assert nanga_team.name in page
    assert other_doilung_team.name not in page
    assert reverse("teams:create") not in page


def test_it_shows_the_liaison_only_its_units_teams(client, liaison, nanga_team, other_doilung_team, biru_team):
    teams = list(get(client, liaison, reverse("teams:list")).context["object_list"])
    assert teams == [nanga_team]


def test_it_flags_a_team_below_half_on_post_in_the_list(client, county_admin, nanga_team):
    nanga_team.assignments.exclude(role=AssignmentRole.LEADER).update(status=AssignmentStatus.LEAVE)
    page = html(get(client, county_admin, reverse("teams:list")))
    assert "<mark" in page and "1 / 4" in page


def test_it_runs_as_many_queries_for_twenty_teams_as_for_three(
    client, county_admin, batch, django_assert_max_num_queries
):
    for _ in range(3):
        make_team(within="540103", batch=batch, members=2)
    client.force_login(county_admin)
    from django.db import connection

    with CaptureQueriesContext(connection) as three:
        assert len(client.get(reverse("teams:list")).context["object_list"]) == 3
    for _ in range(17):
        make_team(within="540103", batch=batch, members=2)
    with django_assert_max_num_queries(len(three)):
        assert len(client.get(reverse("teams:list")).context["object_list"]) == 20


# -- a team's page ------------------------------------------------------------------------------------------


def test_it_shows_the_county_admin_the_members_leader_unit_and_leave(client, county_admin, nanga_team):
    leader = nanga_team.assignments.get(role=AssignmentRole.LEADER).cadre
    leader.name = "次旺队长"
    leader.save()
    page = html(get(client, county_admin, reverse("teams:detail", args=[nanga_team.pk])))
    assert "次旺队长" in page
    assert nanga_team.unit.name in page
    assert "南嘎居委会" in page
    assert "第一书记" in page and "在岗" in page
    assert reverse("teams:update", args=[nanga_team.pk]) in page
    assert reverse("teams:set_leader", args=[nanga_team.pk]) in page
    assert "变更记录" in page


def test_it_answers_404_to_the_outsider_for_a_team_of_another_county(client, outsider, nanga_team):
    assert get(client, outsider, reverse("teams:detail", args=[nanga_team.pk])).status_code == 404
    assert get(client, outsider, reverse("teams:update", args=[nanga_team.pk])).status_code == 404
    assert get(client, outsider, reverse("teams:set_leader", args=[nanga_team.pk])).status_code == 404
    assert get(client, outsider, reverse("teams:assignment_create", args=[nanga_team.pk])).status_code == 404


def test_it_shows_the_leader_their_team_without_edit_buttons_or_history(client, nanga_leader, nanga_team):
    page = html(get(client, nanga_leader, reverse("teams:detail", args=[nanga_team.pk])))
    assert nanga_team.name in page
    assert reverse("teams:update", args=[nanga_team.pk]) not in page
    assert "变更记录" not in page
    assert reverse("teams:leave_create") in page


def test_it_answers_404_to_the_leader_for_another_team(client, nanga_leader, other_doilung_team):
    assert get(client, nanga_leader, reverse("teams:detail", args=[other_doilung_team.pk])).status_code == 404


@pytest.mark.parametrize("name", ["teams:update", "teams:set_leader", "teams:assignment_create"])
def test_it_forbids_the_leader_the_edit_forms(client, nanga_leader, nanga_team, name):
    assert get(client, nanga_leader, reverse(name, args=[nanga_team.pk])).status_code == 403
    assert client.post(reverse(name, args=[nanga_team.pk]), {}).status_code == 403


def test_it_forbids_the_leader_to_create_a_team(client, nanga_leader):
    assert get(client, nanga_leader, reverse("teams:create")).status_code == 403


def test_it_lets_the_auditor_read_but_not_edit(client, auditor, nanga_team):
    page = html(get(client, auditor, reverse("teams:detail", args=[nanga_team.pk])))
    assert nanga_team.name in page
    assert "变更记录" in page
    assert reverse("teams:update", args=[nanga_team.pk]) not in page
    assert get(client, auditor, reverse("teams:update", args=[nanga_team.pk])).status_code == 403
    assert get(client, auditor, reverse("teams:create")).status_code == 403
    end = reverse("teams:assignment_end", args=[nanga_team.assignments.first().pk])
    assert client.post(end, {"status": "recalled", "end_date": "2026-01-01"}).status_code == 403


def test_it_shows_the_liaison_its_units_team_and_404_for_others(client, liaison, nanga_team, other_doilung_team):
    assert get(client, liaison, reverse("teams:detail", args=[nanga_team.pk])).status_code == 200
    assert get(client, liaison, reverse("teams:detail", args=[other_doilung_team.pk])).status_code == 404
    assert get(client, liaison, reverse("teams:update", args=[nanga_team.pk])).status_code == 403


def test_it_warns_when_fewer_than_half_the_members_are_on_post(client, county_admin, nanga_team):
    url = reverse("teams:detail", args=[nanga_team.pk])
    assert "不足在队人数" not in html(get(client, county_admin, url))
    nanga_team.assignments.exclude(role=AssignmentRole.LEADER).update(status=AssignmentStatus.ROTATION)
    page = html(get(client, county_admin, url))
    assert "不足在队人数（4 人）的一半" in page
    assert "轮休" in page


def test_it_masks_member_phones_for_the_auditor_and_shows_them_to_the_county_admin(
    client, county_admin, auditor, nanga_team
):
    cadre = nanga_team.assignments.first().cadre
    url = reverse("teams:detail", args=[nanga_team.pk])
    assert cadre.phone not in html(get(client, auditor, url))
    assert cadre.masked_phone in html(get(client, auditor, url))
    assert cadre.phone in html(get(client, county_admin, url))
    assert cadre.id_number not in html(get(client, county_admin, url))


# -- create and edit ----------------------------------------------------------------------------------------


def test_it_creates_a_team_through_the_form(client, county_admin, batch, nanga_team):
    village = free_village(batch=batch, within="540103")
    unit = DispatchingUnitFactory(name="堆龙德庆区教育局", area=Area.objects.get(pk="540103"), level="county")
    client.force_login(county_admin)
    form = client.get(reverse("teams:create"))
    assert village.full_name in html(form)
    response = client.post(
        reverse("teams:create"), {"batch": batch.pk, "village": village.code, "unit": unit.pk, "start_date": ""}
    )
    team = WorkTeam.objects.get(village=village, batch=batch)
    assert response.status_code == 302
    assert response["Location"] == reverse("teams:detail", args=[team.pk])
    assert team.unit == unit
    assert team.name == f"堆龙德庆区教育局驻{village.name}工作队"
    assert team.start_date == batch.start_date
    assert "已创建工作队" in html(client.get(response["Location"]))


def test_it_does_not_offer_the_county_admin_villages_of_another_county(client, county_admin, naipu, batch):
    page = html(get(client, county_admin, reverse("teams:create")))
    assert naipu.code not in page


def test_it_refuses_to_create_a_team_in_another_county(client, county_admin, naipu, batch):
    unit = DispatchingUnitFactory()
    client.force_login(county_admin)
    response = client.post(reverse("teams:create"), {"batch": batch.pk, "village": naipu.code, "unit": unit.pk})
    assert response.status_code == 200
    assert response.context["form"].errors["village"]
    assert not WorkTeam.objects.filter(village=naipu).exists()


def test_it_refuses_to_move_a_team_to_another_county(client, county_admin, nanga_team, naipu):
    client.force_login(county_admin)
    response = client.post(
        reverse("teams:update", args=[nanga_team.pk]),
        {
            "batch": nanga_team.batch_id,
            "village": naipu.code,
            "unit": nanga_team.unit_id,
            "name": nanga_team.name,
            "start_date": nanga_team.start_date.isoformat(),
        },
    )
    assert response.status_code in (200, 403, 404)
    if response.status_code == 200:
        assert "village" in response.context["form"].errors
    nanga_team.refresh_from_db()
    assert nanga_team.village_id == "540103001002"


def test_it_edits_a_team_and_keeps_what_was_typed_on_error(client, county_admin, nanga_team):
    client.force_login(county_admin)
    url = reverse("teams:update", args=[nanga_team.pk])
    data = {
        "batch": nanga_team.batch_id,
        "village": nanga_team.village_id,
        "unit": nanga_team.unit_id,
        "name": "南嘎新名字工作队",
        "start_date": "2025-12-01",
        "end_date": "2025-11-20",
    }
    response = client.post(url, data)
    assert response.status_code == 200
    assert "撤离日期不能早于进驻日期" in html(response)
    assert 'value="南嘎新名字工作队"' in html(response)
    nanga_team.refresh_from_db()
    assert nanga_team.name != "南嘎新名字工作队"

    data["end_date"] = ""
    response = client.post(url, data)
    assert response.status_code == 302
    nanga_team.refresh_from_db()
    assert nanga_team.name == "南嘎新名字工作队"
    assert nanga_team.start_date == datetime.date(2025, 12, 1)
    page = html(client.get(reverse("teams:detail", args=[nanga_team.pk])))
    assert "南嘎新名字工作队" in page and "工作队名称" in page


def test_it_refreshes_the_form_without_saving_or_losing_input(client, region_admin, batch):
    client.force_login(region_admin)
    response = client.post(reverse("teams:create"), {"_refresh": "1", "county": "540103", "name": "草稿队"})
    assert response.status_code == 200
    page = html(response)
    assert "南嘎居委会" in page  # the county's villages are now offered
    assert 'value="草稿队"' in page
    assert not response.context["form"].errors
    assert not WorkTeam.objects.filter(name="草稿队").exists()


# -- leader, members, end of an assignment -----------------------------------------------------------------


def test_it_changes_the_leader_and_the_history_shows_it(client, county_admin, nanga_team):
    old = nanga_team.assignments.get(role=AssignmentRole.LEADER)
    new = nanga_team.assignments.filter(role=AssignmentRole.MEMBER).first()
    old.cadre.name, new.cadre.name = "旧队长", "新队长"
    old.cadre.save()
    new.cadre.save()
    client.force_login(county_admin)
    form = html(client.get(reverse("teams:set_leader", args=[nanga_team.pk])))
    assert "新队长" in form and "现任队长：旧队长" in form
    response = client.post(reverse("teams:set_leader", args=[nanga_team.pk]), {"cadre": new.cadre_id})
    assert response.status_code == 302
    old.refresh_from_db()
    new.refresh_from_db()
    assert old.role == AssignmentRole.MEMBER
    assert new.role == AssignmentRole.LEADER
    page = html(client.get(response["Location"]))
    assert "新队长已任" in page
    assert "任职：旧队长" in page and "任职：新队长" in page
    assert '<span class="change-old">队长</span> → <span class="change-new">队员</span>' in page
    assert '<span class="change-old">队员</span> → <span class="change-new">队长</span>' in page
    assert "doilungdeqen-admin" in page or county_admin.get_full_name() in page


def test_it_refuses_to_make_the_leader_leader_again(client, county_admin, nanga_team):
    leader = nanga_team.assignments.get(role=AssignmentRole.LEADER)
    client.force_login(county_admin)
    response = client.post(reverse("teams:set_leader", args=[nanga_team.pk]), {"cadre": leader.cadre_id})
    assert response.status_code == 200
    assert response.context["form"].errors["cadre"]


def test_it_ends_an_assignment(client, county_admin, nanga_team):
    assignment = nanga_team.assignments.filter(role=AssignmentRole.MEMBER).first()
    client.force_login(county_admin)
    url = reverse("teams:assignment_end", args=[assignment.pk])
    response = client.post(url, {"status": AssignmentStatus.RECALLED, "end_date": "2026-03-31"})
    assert response.status_code == 302
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.RECALLED
    assert assignment.end_date == datetime.date(2026, 3, 31)
    page = html(client.get(reverse("teams:detail", args=[nanga_team.pk])))
    assert "已离队 1 人" in page and "召回" in page


def test_it_refuses_an_end_date_before_the_start(client, county_admin, nanga_team):
    assignment = nanga_team.assignments.filter(role=AssignmentRole.MEMBER).first()
    client.force_login(county_admin)
    response = client.post(
        reverse("teams:assignment_end", args=[assignment.pk]),
        {"status": AssignmentStatus.FINISHED, "end_date": "2020-01-01"},
    )
    assert response.status_code == 200
    assert "离岗日期不能早于到岗日期" in html(response)
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.ON_POST


def test_it_answers_404_to_the_outsider_ending_an_assignment(client, outsider, nanga_team):
    assignment = nanga_team.assignments.first()
    client.force_login(outsider)
    response = client.post(
        reverse("teams:assignment_end", args=[assignment.pk]), {"status": "recalled", "end_date": "2026-03-31"}
    )
    assert response.status_code == 404
    assert Assignment.objects.get(pk=assignment.pk).status == AssignmentStatus.ON_POST


def test_it_sends_an_anonymous_visitor_to_the_login_page(client, nanga_team):
    for url in (reverse("teams:list"), reverse("teams:detail", args=[nanga_team.pk]), reverse("villages:list")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
