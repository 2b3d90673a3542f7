"""The reads of teams/selectors.py: annotations, the half-on-post warning, the leave queue, query counts."""

import datetime

import pytest

from teams import selectors
from teams.choices import AssignmentRole, AssignmentStatus, LeaveStatus
from teams.models import Assignment
from tests.factories import BatchFactory, CadreFactory, DispatchingUnitFactory, LeaveFactory, make_team
from zhucun.scope import forget_roles


@pytest.fixture
def naipu_team(naipu, batch):
    return make_team(village=naipu, batch=batch, unit=DispatchingUnitFactory(name="那曲地区人民医院"))


def put_on_leave(team, count: int) -> None:
    """`count` of the team's members away (请假), the 队长 last."""
    away = team.assignments.order_by("-role", "pk").values_list("pk", flat=True)[:count]
    Assignment.objects.filter(pk__in=list(away)).update(status=AssignmentStatus.LEAVE)


# -- team_list -------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_lists_teams_with_their_leader_and_member_counts(county_admin, nanga_team):
    leader = nanga_team.assignments.get(role=AssignmentRole.LEADER).cadre
    put_on_leave(nanga_team, 1)
    ended = nanga_team.assignments.filter(role=AssignmentRole.MEMBER).last()
    ended.status, ended.end_date = AssignmentStatus.FINISHED, datetime.date(2025, 12, 31)
    ended.save()

    (team,) = selectors.team_list(user=county_admin)

    assert (team.pk, team.leader_name, team.member_count, team.on_post_count) == (nanga_team.pk, leader.name, 3, 2)
    assert (team.village.parent.parent.name, team.unit.name, team.batch.number) == (
        "堆龙德庆区",
        "拉萨市堆龙德庆区统计局",
        10,
    )


@pytest.mark.django_db
def test_it_shows_no_leader_name_for_a_team_without_a_current_leader(county_admin, nanga_team):
    nanga_team.assignments.filter(role=AssignmentRole.LEADER).update(
        status=AssignmentStatus.RECALLED, end_date=datetime.date(2026, 1, 1)
    )

    (team,) = selectors.team_list(user=county_admin)

    assert (team.leader_name, team.member_count) == (None, 3)


@pytest.mark.django_db
def test_it_lists_only_the_users_teams(county_admin, outsider, nanga_team, naipu_team):
    assert [team.pk for team in selectors.team_list(user=county_admin)] == [nanga_team.pk]
    assert [team.pk for team in selectors.team_list(user=outsider)] == [naipu_team.pk]


@pytest.mark.django_db
@pytest.mark.parametrize(("away", "flagged"), [(0, False), (2, False), (3, True), (4, True)])
def test_it_flags_a_team_with_fewer_than_half_its_members_on_post(county_admin, nanga_team, away, flagged):
    put_on_leave(nanga_team, away)

    found = [team.pk for team in selectors.teams_below_half_on_post(user=county_admin)]

    assert found == ([nanga_team.pk] if flagged else [])


@pytest.mark.django_db
def test_it_flags_an_odd_sized_team_by_strict_half(county_admin, free_team_of_three):
    put_on_leave(free_team_of_three, 1)
    assert not selectors.teams_below_half_on_post(user=county_admin).exists()

    put_on_leave(free_team_of_three, 2)  # 1 of 3 on post: below half
    assert [t.pk for t in selectors.teams_below_half_on_post(user=county_admin)] == [free_team_of_three.pk]


@pytest.fixture
def free_team_of_three(batch):
    return make_team(within="540103", batch=batch, members=3)


@pytest.mark.django_db
def test_it_flags_neither_an_empty_team_nor_a_team_outside_the_users_county(
    county_admin, outsider, nanga_team, naipu_team, batch
):
    make_team(within="540103", batch=batch, members=1).assignments.update(
        status=AssignmentStatus.FINISHED, end_date=datetime.date(2026, 1, 1)
    )
    put_on_leave(naipu_team, 3)

    assert not selectors.teams_below_half_on_post(user=county_admin).exists()
    assert [team.pk for team in selectors.teams_below_half_on_post(user=outsider)] == [naipu_team.pk]


@pytest.mark.django_db
@pytest.mark.parametrize("extra", [0, 12])
def test_it_lists_teams_in_a_constant_number_of_queries(
    county_admin, nanga_team, batch, extra, django_assert_num_queries
):
    for _ in range(2 + extra):
        make_team(within="540103", batch=batch, members=2)
    forget_roles(county_admin)

    # One query for the user's roles, one for the page of teams with everything it shows.
    with django_assert_num_queries(2):
        rows = [
            (
                team.name,
                team.village.parent.parent.name,
                team.village.parent.name,
                team.unit.name,
                team.batch.name,
                team.leader_name,
                team.member_count,
                team.on_post_count,
            )
            for team in selectors.team_list(user=county_admin)
        ]

    assert len(rows) == 3 + extra
    assert {row[1] for row in rows} == {"堆龙德庆区"}


# -- cadre_list ------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_lists_cadres_with_their_current_team(county_admin, nanga_team, nanga):
    leader = nanga_team.assignments.get(role=AssignmentRole.LEADER)
    batch9 = BatchFactory(number=9)
    old_team = make_team(village=nanga, batch=batch9, unit=nanga_team.unit, members=1)
    old_team.assignments.update(status=AssignmentStatus.FINISHED, end_date=batch9.end_date)
    retired = old_team.assignments.get().cadre
    Assignment.objects.filter(pk=leader.pk).update(status=AssignmentStatus.ROTATION)

    cadres = {cadre.pk: cadre for cadre in selectors.cadre_list(user=county_admin)}

    assert len(cadres) == 5
    current = cadres[leader.cadre_id]
    assert (current.current_team_id, current.current_team_name, current.current_role, current.current_status) == (
        nanga_team.pk,
        nanga_team.name,
        AssignmentRole.LEADER,
        AssignmentStatus.ROTATION,
    )
    former = cadres[retired.pk]
    assert (former.current_team_id, former.current_team_name, former.current_role, former.current_status) == (
        None,
        None,
        None,
        None,
    )


@pytest.mark.django_db
def test_it_lists_cadres_in_a_constant_number_of_queries(county_admin, nanga_team, batch, django_assert_num_queries):
    make_team(within="540103", batch=batch, members=4)
    forget_roles(county_admin)

    with django_assert_num_queries(2):
        rows = [
            (cadre.name, cadre.home_unit.name, cadre.area.name, cadre.current_team_name, cadre.masked_id_number)
            for cadre in selectors.cadre_list(user=county_admin)
        ]

    assert len(rows) == 8


# -- leave -----------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_queues_pending_leave_for_the_deciders_county_only(
    county_admin, outsider, auditor, nanga_leader, region_admin, nanga_team, naipu_team
):
    nanga_member = nanga_team.assignments.filter(role=AssignmentRole.MEMBER).first()
    mine = LeaveFactory(assignment=nanga_member, requested_by=nanga_leader)
    LeaveFactory(
        assignment=nanga_member,
        start_date=datetime.date(2026, 3, 1),
        end_date=datetime.date(2026, 3, 3),
        status=LeaveStatus.REFUSED,
        decided_by=county_admin,
        decided_at=datetime.datetime(2026, 2, 1, tzinfo=datetime.UTC),
    )
    theirs = LeaveFactory(assignment=naipu_team.assignments.filter(role=AssignmentRole.MEMBER).first())

    assert [leave.pk for leave in selectors.pending_leave(user=county_admin)] == [mine.pk]
    assert [leave.pk for leave in selectors.pending_leave(user=outsider)] == [theirs.pk]
    assert {leave.pk for leave in selectors.pending_leave(user=region_admin)} == {mine.pk, theirs.pk}
    assert not selectors.pending_leave(user=auditor).exists()
    assert not selectors.pending_leave(user=nanga_leader).exists()
    # The leader still sees the team's leave, decided or not.
    assert selectors.leave_list(user=nanga_leader).count() == 2


# -- the other lists -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_offers_only_the_users_own_areas_as_choices(county_admin, outsider, nanga_leader):
    choices = selectors.area_choices(user=county_admin)

    assert choices.first().code == "540103"
    assert all(area.code.startswith("540103") and area.level in ("county", "township") for area in choices)
    assert not selectors.area_choices(user=nanga_leader).exists()
    assert {area.code for area in selectors.area_choices(user=outsider, levels=("county",))} == {"540622"}


@pytest.mark.django_db
def test_it_counts_a_villages_teams_over_the_batches(county_admin, nanga_team, nanga):
    make_team(village=nanga, batch=BatchFactory(number=9), unit=nanga_team.unit, members=1)

    villages = selectors.village_list(user=county_admin)

    assert villages.get(code=nanga.code).team_count == 2
    assert all(village.code.startswith("540103") for village in villages)


@pytest.mark.django_db
def test_it_lists_assignments_and_units_in_scope(county_admin, outsider, nanga_team, naipu_team):
    CadreFactory()  # a cadre without an assignment adds no row

    assert {a.team_id for a in selectors.assignment_list(user=county_admin)} == {nanga_team.pk}
    assert selectors.assignment_list(user=outsider).count() == 4
    assert {unit.name for unit in selectors.unit_list(user=county_admin)} >= {
        "拉萨市堆龙德庆区统计局",
        "那曲地区人民医院",
    }


@pytest.mark.django_db
def test_it_keeps_a_stable_order_for_aggregated_lists(county_admin, nanga_team, nanga, batch):
    """Regression: Django drops Meta.ordering from GROUP BY queries, so pages of teams or villages shuffled."""
    old = make_team(village=nanga, batch=BatchFactory(number=9), unit=nanga_team.unit, members=1)
    later = make_team(within="540103", batch=batch, members=1)

    teams = selectors.team_list(user=county_admin)
    villages = selectors.village_list(user=county_admin)

    assert teams.ordered and villages.ordered
    expected = sorted([nanga_team, old, later], key=lambda team: (team.village_id, -team.batch.number))
    assert [team.pk for team in teams] == [team.pk for team in expected]
    codes = list(villages.values_list("code", flat=True))
    assert codes == sorted(codes)
