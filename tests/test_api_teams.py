"""The work-teams and assignments API: who lists, reads, creates and changes what; the county admin of
堆龙德庆区 manages the team in 南嘎居委会, the outsider from 比如县 cannot reach it, its leader only reads it."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from teams.choices import AssignmentRole, AssignmentStatus
from teams.models import Assignment, WorkTeam
from tests.factories import (
    BatchFactory,
    CadreFactory,
    UserRoleFactory,
    free_village,
    make_team,
)
from zhucun.choices import Role

TEAMS = "/api/v1/work-teams/"
ASSIGNMENTS = "/api/v1/assignments/"


@pytest.fixture
def api():
    def signed_in(user) -> APIClient:
        client = APIClient()
        client.force_login(user)
        return client

    return signed_in


@pytest.fixture
def naipu_team(naipu, batch) -> WorkTeam:
    """The team in 耐普村, 比如县: the outsider's own."""
    return make_team(village=naipu, batch=batch, members=2)


@pytest.fixture
def liaison(nanga_team):
    """The liaison of 拉萨市堆龙德庆区统计局, the unit that sent the team in 南嘎居委会."""
    return UserRoleFactory(role=Role.UNIT_LIAISON, unit=nanga_team.unit, user__username="statistics-liaison").user


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def snapshot(team: WorkTeam) -> tuple:
    team = WorkTeam.objects.get(pk=team.pk)
    return (team.village_id, team.unit_id, team.batch_id, team.name, team.start_date, team.end_date)


# -- reading ------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_lists_the_county_admins_teams_with_leader_and_counts(api, county_admin, nanga_team, naipu_team):
    response = api(county_admin).get(TEAMS)

    assert ids(response) == {nanga_team.pk}
    row = response.json()["results"][0]
    leader = nanga_team.assignments.get(role=AssignmentRole.LEADER).cadre
    assert row["village"] == "540103001002"
    assert row["village_name"] == "堆龙德庆区东嘎街道南嘎居委会"
    assert row["county"] == "540103"
    assert row["leader_name"] == leader.name
    assert (row["member_count"], row["on_post_count"]) == (4, 4)
    assert row["batch_name"] == "第十批"


@pytest.mark.django_db
def test_it_filters_and_orders_teams_with_the_shared_filterset(api, county_admin, nanga_team, batch):
    other = make_team(village=free_village(batch=batch, within="540103"), batch=batch, members=1)
    client = api(county_admin)

    assert ids(client.get(TEAMS, {"q": "南嘎"})) == {nanga_team.pk}
    assert ids(client.get(TEAMS, {"unit": nanga_team.unit_id})) == {nanga_team.pk}
    in_dongga = {team.pk for team in (nanga_team, other) if team.village_id.startswith("540103001")}
    assert ids(client.get(TEAMS, {"area": "540103001"})) == in_dongga
    villages = [row["village"] for row in client.get(TEAMS, {"ordering": "-village"}).json()["results"]]
    assert villages == sorted(villages, reverse=True)


@pytest.mark.django_db
def test_it_hides_a_team_of_another_county_from_the_outsider(api, outsider, nanga_team, naipu_team):
    client = api(outsider)

    assert ids(client.get(TEAMS)) == {naipu_team.pk}
    assert client.get(f"{TEAMS}{nanga_team.pk}/").status_code == 404
    assert client.patch(f"{TEAMS}{nanga_team.pk}/", {"name": "改名"}, format="json").status_code == 404
    assert client.post(f"{TEAMS}{nanga_team.pk}/set-leader/", {"cadre": 1}, format="json").status_code == 404
    assert WorkTeam.objects.get(pk=nanga_team.pk).name == nanga_team.name


@pytest.mark.django_db
def test_it_refuses_the_outsider_a_filter_on_another_county(api, outsider, nanga_team, naipu_team):
    response = api(outsider).get(TEAMS, {"area": "540103"})

    assert response.status_code == 400
    assert "area" in response.json()


@pytest.mark.django_db
def test_it_shows_the_team_leader_only_their_team(api, nanga_leader, nanga_team, batch):
    make_team(village=free_village(batch=batch, within="540103"), batch=batch, members=1)
    client = api(nanga_leader)

    assert ids(client.get(TEAMS)) == {nanga_team.pk}
    assert client.get(f"{TEAMS}{nanga_team.pk}/").status_code == 200


@pytest.mark.django_db
def test_it_shows_the_unit_liaison_only_the_teams_its_unit_sent(api, liaison, nanga_team, naipu_team, batch):
    elsewhere = make_team(village=free_village(batch=batch, within="5406"), batch=batch, unit=nanga_team.unit)

    assert ids(api(liaison).get(TEAMS)) == {nanga_team.pk, elsewhere.pk}


@pytest.mark.django_db
def test_it_lets_the_auditor_read_every_team(api, auditor, nanga_team, naipu_team):
    assert ids(api(auditor).get(TEAMS)) == {nanga_team.pk, naipu_team.pk}


@pytest.mark.django_db
def test_it_refuses_anonymous_requests(nanga_team):
    assert APIClient().get(TEAMS).status_code in (401, 403)


@pytest.mark.django_db
def test_it_lists_teams_in_a_constant_number_of_queries(api, county_admin, batch, django_assert_num_queries):
    for _ in range(30):
        make_team(village=free_village(batch=batch, within="540103"), batch=batch, members=2)
    client = api(county_admin)
    client.get(TEAMS, {"page_size": 1})  # session, content types and the like, once

    with CaptureQueriesContext(connection) as three:
        assert len(ids(client.get(TEAMS, {"page_size": 3}))) == 3
    with django_assert_num_queries(len(three)):
        assert len(ids(client.get(TEAMS, {"page_size": 30}))) == 30
    assert len(three) <= 8


# -- writing ------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_lets_the_county_admin_create_a_team_in_their_county(api, county_admin, nanga_team, batch):
    village = free_village(batch=batch, within="540103")

    response = api(county_admin).post(
        TEAMS, {"village": village.code, "unit": nanga_team.unit_id, "batch": batch.pk}, format="json"
    )

    assert response.status_code == 201, response.content
    team = WorkTeam.objects.get(pk=response.json()["id"])
    assert (team.village_id, team.unit_id, team.batch_id) == (village.code, nanga_team.unit_id, batch.pk)
    assert team.name == f"拉萨市堆龙德庆区统计局驻{village.name}工作队"
    assert team.start_date == batch.start_date
    assert response.json()["member_count"] == 0


@pytest.mark.django_db
def test_it_lets_the_county_admin_rename_a_team_and_keeps_history(api, county_admin, nanga_team):
    response = api(county_admin).patch(f"{TEAMS}{nanga_team.pk}/", {"name": "南嘎居委会驻村工作队"}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["name"] == "南嘎居委会驻村工作队"
    assert WorkTeam.objects.get(pk=nanga_team.pk).name == "南嘎居委会驻村工作队"
    latest = nanga_team.history.latest()
    assert (latest.name, latest.history_user) == ("南嘎居委会驻村工作队", county_admin)


@pytest.mark.django_db
def test_it_refuses_to_move_a_team_to_a_village_of_another_county(api, county_admin, nanga_team, naipu):
    before = snapshot(nanga_team)

    response = api(county_admin).patch(f"{TEAMS}{nanga_team.pk}/", {"village": naipu.code}, format="json")

    assert response.status_code in (400, 403)
    if response.status_code == 400:
        assert "village" in response.json()
    assert snapshot(nanga_team) == before


@pytest.mark.django_db
def test_it_refuses_a_new_team_in_another_county(api, county_admin, nanga_team, naipu, batch):
    response = api(county_admin).post(
        TEAMS, {"village": naipu.code, "unit": nanga_team.unit_id, "batch": batch.pk}, format="json"
    )

    assert response.status_code in (400, 403)
    assert not WorkTeam.objects.filter(village=naipu).exists()


@pytest.mark.django_db
def test_it_refuses_a_second_team_for_a_village_in_one_batch(api, county_admin, nanga_team, batch):
    response = api(county_admin).post(
        TEAMS, {"village": nanga_team.village_id, "unit": nanga_team.unit_id, "batch": batch.pk}, format="json"
    )

    assert response.status_code == 400
    assert "该村（居）在本批次已有驻村工作队。" in str(response.json())
    assert WorkTeam.objects.filter(village=nanga_team.village).count() == 1


@pytest.mark.django_db
def test_it_names_the_missing_fields_in_chinese(api, county_admin):
    response = api(county_admin).post(TEAMS, {}, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"village", "unit", "batch"}
    assert response.json()["village"] == ["该字段是必填项。"]


@pytest.mark.django_db
def test_it_refuses_the_team_leader_any_change_to_the_team(api, nanga_leader, nanga_team):
    client = api(nanga_leader)
    before = snapshot(nanga_team)
    next_batch = BatchFactory(number=11)

    assert client.patch(f"{TEAMS}{nanga_team.pk}/", {"name": "改名"}, format="json").status_code == 403
    created = client.post(
        TEAMS, {"village": nanga_team.village_id, "unit": nanga_team.unit_id, "batch": next_batch.pk}, format="json"
    )
    assert created.status_code == 403
    assert snapshot(nanga_team) == before
    assert WorkTeam.objects.filter(village=nanga_team.village).count() == 1


@pytest.mark.django_db
def test_it_refuses_the_auditor_any_change(api, auditor, nanga_team, batch):
    client = api(auditor)
    village = free_village(batch=batch, within="540103")

    assert client.patch(f"{TEAMS}{nanga_team.pk}/", {"name": "改名"}, format="json").status_code == 403
    created = client.post(TEAMS, {"village": village.code, "unit": nanga_team.unit_id, "batch": batch.pk})
    assert created.status_code == 403
    assert not WorkTeam.objects.filter(village=village).exists()


@pytest.mark.django_db
def test_it_does_not_allow_deleting_a_team(api, county_admin, nanga_team):
    assert api(county_admin).delete(f"{TEAMS}{nanga_team.pk}/").status_code == 405
    assert WorkTeam.objects.filter(pk=nanga_team.pk).exists()


@pytest.mark.django_db
def test_it_sets_a_new_leader_and_the_old_one_stays_as_a_member(api, county_admin, nanga_team):
    old = nanga_team.assignments.get(role=AssignmentRole.LEADER)
    member = nanga_team.assignments.filter(role=AssignmentRole.MEMBER).first()

    response = api(county_admin).post(f"{TEAMS}{nanga_team.pk}/set-leader/", {"cadre": member.cadre_id}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["leader_name"] == member.cadre.name
    assert Assignment.objects.get(pk=member.pk).role == AssignmentRole.LEADER
    assert Assignment.objects.get(pk=old.pk).role == AssignmentRole.MEMBER


@pytest.mark.django_db
def test_it_refuses_the_team_leader_to_change_the_leader(api, nanga_leader, nanga_team):
    member = nanga_team.assignments.filter(role=AssignmentRole.MEMBER).first()

    response = api(nanga_leader).post(f"{TEAMS}{nanga_team.pk}/set-leader/", {"cadre": member.cadre_id}, format="json")

    assert response.status_code == 403
    assert Assignment.objects.get(pk=member.pk).role == AssignmentRole.MEMBER


@pytest.mark.django_db
def test_it_explains_in_chinese_why_a_leader_cannot_be_set_twice(api, county_admin, nanga_team):
    leader = nanga_team.assignments.get(role=AssignmentRole.LEADER)

    response = api(county_admin).post(f"{TEAMS}{nanga_team.pk}/set-leader/", {"cadre": leader.cadre_id}, format="json")

    assert response.status_code == 400
    assert response.json() == {"cadre": ["该干部已是本队队长。"]}


# -- assignments --------------------------------------------------------------------------------------------


@pytest.fixture
def free_cadre(doilungdeqen, nanga_team):
    """A cadre of 堆龙德庆区 on no team."""
    return CadreFactory(home_unit=nanga_team.unit, area=doilungdeqen)


@pytest.mark.django_db
def test_it_lists_the_assignments_in_scope(api, county_admin, outsider, nanga_team, naipu_team):
    nanga = set(nanga_team.assignments.values_list("pk", flat=True))
    naipu = set(naipu_team.assignments.values_list("pk", flat=True))

    assert ids(api(county_admin).get(ASSIGNMENTS)) == nanga
    assert ids(api(outsider).get(ASSIGNMENTS)) == naipu
    assert ids(api(county_admin).get(ASSIGNMENTS, {"team": nanga_team.pk, "role": "leader"})) == {
        nanga_team.assignments.get(role=AssignmentRole.LEADER).pk
    }
    assert api(outsider).get(ASSIGNMENTS, {"area": "540103"}).status_code == 400


@pytest.mark.django_db
def test_it_sends_a_cadre_to_a_team_on_post_whatever_status_is_posted(api, county_admin, nanga_team, free_cadre):
    response = api(county_admin).post(
        ASSIGNMENTS,
        {"team": nanga_team.pk, "cadre": free_cadre.pk, "role": "member", "status": "finished"},
        format="json",
    )

    assert response.status_code == 201, response.content
    assignment = Assignment.objects.get(pk=response.json()["id"])
    assert (assignment.team_id, assignment.cadre_id) == (nanga_team.pk, free_cadre.pk)
    assert assignment.status == AssignmentStatus.ON_POST
    assert response.json()["status_display"] == "在岗"


@pytest.mark.django_db
def test_it_refuses_the_outsider_to_send_a_cadre_to_a_team_it_cannot_see(api, outsider, nanga_team, naipu_team):
    cadre = CadreFactory(id_area="540622", home_unit=naipu_team.unit)

    response = api(outsider).post(ASSIGNMENTS, {"team": nanga_team.pk, "cadre": cadre.pk}, format="json")

    assert response.status_code == 400
    assert "team" in response.json()
    assert not Assignment.objects.filter(cadre=cadre).exists()


@pytest.mark.django_db
def test_it_ends_an_assignment(api, county_admin, nanga_team):
    member = nanga_team.assignments.filter(role=AssignmentRole.MEMBER).first()
    end = member.start_date + datetime.timedelta(days=100)

    response = api(county_admin).post(
        f"{ASSIGNMENTS}{member.pk}/end/", {"status": "recalled", "end_date": end.isoformat()}, format="json"
    )

    assert response.status_code == 200, response.content
    member.refresh_from_db()
    assert (member.status, member.end_date) == (AssignmentStatus.RECALLED, end)
    assert response.json()["status_display"] == "召回"


@pytest.mark.django_db
def test_it_refuses_an_end_date_before_the_start(api, county_admin, nanga_team):
    member = nanga_team.assignments.filter(role=AssignmentRole.MEMBER).first()
    end = member.start_date - datetime.timedelta(days=1)

    response = api(county_admin).post(
        f"{ASSIGNMENTS}{member.pk}/end/", {"status": "finished", "end_date": end.isoformat()}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"end_date": ["离岗日期不能早于到岗日期。"]}
    member.refresh_from_db()
    assert (member.status, member.end_date) == (AssignmentStatus.ON_POST, None)


@pytest.mark.django_db
def test_it_ends_an_assignment_only_as_finished_or_recalled(api, county_admin, nanga_team):
    member = nanga_team.assignments.filter(role=AssignmentRole.MEMBER).first()

    response = api(county_admin).post(
        f"{ASSIGNMENTS}{member.pk}/end/", {"status": "leave", "end_date": "2026-06-01"}, format="json"
    )

    assert response.status_code == 400
    assert "status" in response.json()
    assert Assignment.objects.get(pk=member.pk).status == AssignmentStatus.ON_POST


@pytest.mark.django_db
def test_it_refuses_the_auditor_and_the_outsider_to_end_an_assignment(api, auditor, outsider, nanga_team):
    member = nanga_team.assignments.filter(role=AssignmentRole.MEMBER).first()
    body = {"status": "finished", "end_date": "2026-06-01"}

    assert api(auditor).post(f"{ASSIGNMENTS}{member.pk}/end/", body, format="json").status_code == 403
    assert api(outsider).post(f"{ASSIGNMENTS}{member.pk}/end/", body, format="json").status_code == 404
    assert api(outsider).get(f"{ASSIGNMENTS}{member.pk}/").status_code == 404
    assert Assignment.objects.get(pk=member.pk).status == AssignmentStatus.ON_POST


@pytest.mark.django_db
def test_it_lists_assignments_in_a_constant_number_of_queries(api, county_admin, batch, django_assert_num_queries):
    for _ in range(15):
        make_team(village=free_village(batch=batch, within="540103"), batch=batch, members=2)
    client = api(county_admin)
    client.get(ASSIGNMENTS, {"page_size": 1})

    with CaptureQueriesContext(connection) as three:
        assert len(ids(client.get(ASSIGNMENTS, {"page_size": 3}))) == 3
    with django_assert_num_queries(len(three)):
        assert len(ids(client.get(ASSIGNMENTS, {"page_size": 30}))) == 30
