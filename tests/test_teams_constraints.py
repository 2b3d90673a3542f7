"""The invariants of teams, assignments, leave and roles that the database itself enforces."""

import datetime

import pytest
from django.utils import timezone

from teams.choices import CURRENT_ASSIGNMENT_STATUSES, AssignmentRole, AssignmentStatus, LeaveStatus
from teams.models import Assignment, Batch, Cadre, Leave, WorkTeam
from tests.factories import (
    AssignmentFactory,
    BatchFactory,
    CadreFactory,
    DispatchingUnitFactory,
    LeaveFactory,
    UserFactory,
    UserRoleFactory,
    WorkTeamFactory,
    make_team,
)
from zhucun.choices import Role
from zhucun.models import UserRole

ASSIGNMENT_TEAM = "teams_assignment.team_id"
ASSIGNMENT_CADRE = "teams_assignment.cadre_id"


def current(team: WorkTeam, role: str) -> list[str]:
    return list(
        team.assignments.filter(role=role, status__in=CURRENT_ASSIGNMENT_STATUSES).values_list("cadre__name", flat=True)
    )


# Teams and batches -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_builds_a_team_of_four_with_one_leader_and_one_first_secretary(nanga_team, nanga, batch):
    roles = sorted(nanga_team.assignments.values_list("role", flat=True))

    assert roles == ["first_secretary", "leader", "member", "member"]
    assert nanga_team.name == "拉萨市堆龙德庆区统计局驻南嘎居委会工作队"
    assert (nanga_team.village, nanga_team.batch, nanga_team.start_date) == (nanga, batch, batch.start_date)
    assert set(nanga_team.assignments.values_list("cadre__home_unit", flat=True)) == {nanga_team.unit_id}


@pytest.mark.django_db
def test_it_allows_one_team_per_village_per_batch(nanga_team, nanga, batch, violates):
    other_unit = DispatchingUnitFactory(name="自治区党委组织部")

    with violates("team_one_per_village_per_batch", columns="teams_workteam.batch_id, teams_workteam.village_id"):
        WorkTeamFactory(village=nanga, batch=batch, unit=other_unit)

    assert list(WorkTeam.objects.filter(village=nanga, batch=batch)) == [nanga_team]


@pytest.mark.django_db
def test_it_accepts_a_new_team_for_the_same_village_in_the_next_batch(nanga_team, nanga):
    batch_11 = BatchFactory(number=11)

    WorkTeamFactory(village=nanga, batch=batch_11, unit=nanga_team.unit)

    assert list(WorkTeam.objects.filter(village=nanga).values_list("batch__number", flat=True)) == [11, 10]


@pytest.mark.django_db
def test_it_gives_factory_teams_of_one_batch_different_villages(batch):
    teams = [WorkTeamFactory(batch=batch, within="540622") for _ in range(3)]

    villages = [team.village_id for team in teams]
    assert len(set(villages)) == 3
    assert all(code.startswith("540622") and len(code) == 12 for code in villages)


@pytest.mark.django_db
def test_it_refuses_a_batch_that_ends_before_it_starts(violates):
    with violates("batch_dates_in_order"):
        Batch.objects.create(number=11, start_date=datetime.date(2026, 11, 1), end_date=datetime.date(2026, 10, 31))
    with violates("batch_dates_in_order"):
        Batch.objects.create(number=11, start_date=datetime.date(2026, 11, 1), end_date=datetime.date(2026, 11, 1))
    with violates("batch_number_positive"):
        Batch.objects.create(number=0, start_date=datetime.date(2026, 11, 1), end_date=datetime.date(2027, 10, 31))

    Batch.objects.create(number=11, start_date=datetime.date(2026, 11, 1), end_date=datetime.date(2027, 10, 31))

    assert list(Batch.objects.values_list("number", flat=True)) == [11]


@pytest.mark.django_db
def test_it_refuses_a_team_that_leaves_before_it_arrives(batch, nanga, violates):
    with violates("team_dates_in_order"):
        WorkTeamFactory(village=nanga, batch=batch, end_date=batch.start_date - datetime.timedelta(days=1))

    team = WorkTeamFactory(village=nanga, batch=batch, end_date=batch.start_date)

    assert WorkTeam.objects.get(village=nanga).end_date == team.start_date


# Assignments -----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_refuses_an_assignment_that_ends_before_it_starts(nanga_team, violates):
    with violates("assignment_dates_in_order"):
        AssignmentFactory(
            team=nanga_team,
            status=AssignmentStatus.FINISHED,
            start_date=datetime.date(2026, 3, 1),
            end_date=datetime.date(2026, 2, 28),
        )

    assert nanga_team.assignments.count() == 4


@pytest.mark.django_db
def test_it_refuses_a_second_current_leader_until_the_first_has_left(nanga_team, violates):
    first = nanga_team.assignments.get(role=AssignmentRole.LEADER)

    with violates("assignment_one_current_leader_per_team", columns=ASSIGNMENT_TEAM):
        AssignmentFactory(team=nanga_team, role=AssignmentRole.LEADER)
    # A leader on leave is still the current leader.
    Assignment.objects.filter(pk=first.pk).update(status=AssignmentStatus.LEAVE)
    with violates("assignment_one_current_leader_per_team", columns=ASSIGNMENT_TEAM):
        AssignmentFactory(team=nanga_team, role=AssignmentRole.LEADER)

    first.status, first.end_date = AssignmentStatus.FINISHED, datetime.date(2026, 4, 30)
    first.save()
    successor = AssignmentFactory(team=nanga_team, role=AssignmentRole.LEADER, start_date=datetime.date(2026, 5, 1))

    assert current(nanga_team, AssignmentRole.LEADER) == [successor.cadre.name]
    assert nanga_team.assignments.filter(role=AssignmentRole.LEADER).count() == 2


@pytest.mark.django_db
def test_it_refuses_a_second_current_first_secretary(nanga_team, violates):
    first = nanga_team.assignments.get(role=AssignmentRole.FIRST_SECRETARY)

    with violates("assignment_one_current_first_secretary_per_team", columns=ASSIGNMENT_TEAM):
        AssignmentFactory(team=nanga_team, role=AssignmentRole.FIRST_SECRETARY)

    first.status, first.end_date = AssignmentStatus.RECALLED, datetime.date(2026, 1, 15)
    first.save()
    successor = AssignmentFactory(team=nanga_team, role=AssignmentRole.FIRST_SECRETARY)

    assert current(nanga_team, AssignmentRole.FIRST_SECRETARY) == [successor.cadre.name]


@pytest.mark.django_db
def test_it_keeps_a_cadre_on_one_current_team_at_a_time(nanga_team, biru, violates):
    member = nanga_team.assignments.filter(role=AssignmentRole.MEMBER).first().cadre
    biru_team = make_team(within=biru.code, batch=nanga_team.batch, members=1)

    with violates("assignment_one_current_team_per_cadre", columns=ASSIGNMENT_CADRE):
        AssignmentFactory(team=biru_team, cadre=member)
    # On rotation leave is still current.
    member.assignments.update(status=AssignmentStatus.ROTATION)
    with violates("assignment_one_current_team_per_cadre", columns=ASSIGNMENT_CADRE):
        AssignmentFactory(team=biru_team, cadre=member)

    member.assignments.update(status=AssignmentStatus.FINISHED, end_date=datetime.date(2026, 2, 28))
    AssignmentFactory(team=biru_team, cadre=member, start_date=datetime.date(2026, 3, 1))

    assert list(member.assignments.order_by("start_date").values_list("team", "status")) == [
        (nanga_team.pk, AssignmentStatus.FINISHED),
        (biru_team.pk, AssignmentStatus.ON_POST),
    ]


@pytest.mark.django_db
def test_it_lets_a_cadre_serve_again_in_a_later_batch(nanga_team, nanga):
    leader = nanga_team.assignments.get(role=AssignmentRole.LEADER)
    nanga_team.assignments.update(status=AssignmentStatus.FINISHED, end_date=nanga_team.batch.end_date)
    next_team = WorkTeamFactory(village=nanga, batch=BatchFactory(number=11), unit=nanga_team.unit)

    AssignmentFactory(team=next_team, cadre=leader.cadre, role=AssignmentRole.LEADER)

    assert leader.cadre.assignments.count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize("status", [AssignmentStatus.FINISHED, AssignmentStatus.RECALLED])
def test_it_refuses_an_ended_assignment_without_an_end_date(nanga_team, violates, status):
    member = nanga_team.assignments.filter(role=AssignmentRole.MEMBER).first()

    with violates("assignment_ended_has_end_date"):
        Assignment.objects.filter(pk=member.pk).update(status=status)

    member.refresh_from_db()
    assert (member.status, member.end_date) == (AssignmentStatus.ON_POST, None)


# Leave -----------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_refuses_leave_that_ends_before_it_starts(nanga_team, nanga_leader, violates):
    member = nanga_team.assignments.filter(role=AssignmentRole.MEMBER).first()

    with violates("leave_dates_in_order"):
        LeaveFactory(
            assignment=member,
            requested_by=nanga_leader,
            start_date=datetime.date(2026, 1, 10),
            end_date=datetime.date(2026, 1, 9),
        )
    one_day = LeaveFactory(
        assignment=member,
        requested_by=nanga_leader,
        start_date=datetime.date(2026, 1, 10),
        end_date=datetime.date(2026, 1, 10),
    )

    assert list(Leave.objects.values_list("pk", flat=True)) == [one_day.pk]


@pytest.mark.django_db
@pytest.mark.parametrize("status", [LeaveStatus.APPROVED, LeaveStatus.REFUSED])
def test_it_refuses_a_decided_leave_without_who_and_when(nanga_team, county_admin, violates, status):
    leave = LeaveFactory(assignment=nanga_team.assignments.first())

    with violates("leave_decided_has_decider"):
        Leave.objects.filter(pk=leave.pk).update(status=status, decided_by=county_admin)
    Leave.objects.filter(pk=leave.pk).update(status=status, decided_by=county_admin, decided_at=timezone.now())

    leave.refresh_from_db()
    assert (leave.status, leave.decided_by) == (status, county_admin)


# Cadres ----------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_refuses_a_second_cadre_with_the_same_id_number(nanga_team, violates):
    leader = nanga_team.assignments.get(role=AssignmentRole.LEADER).cadre

    # Numbers are encrypted at rest: uniqueness lives on their keyed hash.
    with violates("teams_cadre_id_number_hash_key", columns="teams_cadre.id_number_hash"):
        CadreFactory(name="扎西", id_number=leader.id_number)

    assert Cadre.objects.filter(id_number=leader.id_number).count() == 1


@pytest.mark.django_db
def test_it_refuses_a_unit_that_is_its_own_parent(violates):
    unit = DispatchingUnitFactory(name="自治区农牧科学院")

    with violates("unit_not_own_parent"):
        type(unit).objects.filter(pk=unit.pk).update(parent=unit)

    unit.refresh_from_db()
    assert unit.parent is None


# Roles -----------------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "scope"),
    [
        (Role.COUNTY_ADMIN, {}),
        (Role.COUNTY_ADMIN, {"area": "540103", "team": "nanga"}),
        (Role.REGION_ADMIN, {"unit": True}),
        (Role.AUDITOR, {}),
        (Role.UNIT_LIAISON, {"area": "540103"}),
        (Role.UNIT_LIAISON, {}),
        (Role.TEAM_LEADER, {"area": "540103", "team": "nanga"}),
        (Role.TEAM_LEADER, {}),
        (Role.TEAM_MEMBER, {"unit": True}),
    ],
    ids=[
        "county-admin-without-area",
        "county-admin-with-area-and-team",
        "region-admin-with-unit",
        "auditor-without-area",
        "liaison-with-area",
        "liaison-without-unit",
        "team-leader-with-area",
        "team-leader-without-team",
        "team-member-with-unit",
    ],
)
def test_it_binds_a_role_to_its_own_kind_of_scope(nanga_team, violates, role, scope):
    scope_fields = {
        "area_id": scope.get("area"),
        "unit": nanga_team.unit if scope.get("unit") else None,
        "team": nanga_team if scope.get("team") else None,
    }
    dawa = UserFactory(username="dawa")

    with violates("user_role_bound_to_its_scope"):
        UserRole.objects.create(user=dawa, role=role, **scope_fields)

    assert not UserRole.objects.filter(user=dawa).exists()


@pytest.mark.django_db
def test_it_accepts_each_role_with_its_own_scope(nanga_team, county_admin, nanga_leader):
    liaison = UserRoleFactory(role=Role.UNIT_LIAISON, unit=nanga_team.unit)

    roles = set(UserRole.objects.values_list("user__username", "role", "area", "unit", "team"))

    assert roles == {
        ("doilungdeqen-admin", Role.COUNTY_ADMIN, "540103", None, None),
        ("nanga-leader", Role.TEAM_LEADER, None, None, nanga_team.pk),
        (liaison.user.username, Role.UNIT_LIAISON, None, nanga_team.unit_id, None),
    }


@pytest.mark.django_db
def test_it_refuses_the_same_role_twice_for_one_scope(county_admin, doilungdeqen, biru, violates):
    with violates(
        "user_role_unique_per_area", columns="zhucun_userrole.user_id, zhucun_userrole.role, zhucun_userrole.area_id"
    ):
        UserRole.objects.create(user=county_admin, role=Role.COUNTY_ADMIN, area=doilungdeqen)

    UserRole.objects.create(user=county_admin, role=Role.COUNTY_ADMIN, area=biru)

    assert set(county_admin.roles.values_list("area", flat=True)) == {"540103", "540622"}
