"""The one scope mechanism (zhucun/scope.py): for every role, exactly which rows `visible_to` returns, per model
and per action.

The world of these stories (batch 10 unless said otherwise):
    nanga   拉萨市堆龙德庆区统计局 in 南嘎居委会 (堆龙德庆区): 队长, 第一书记, two 队员
    old     the same unit in 南嘎居委会 in batch 9, ended: Xiang (now in 比如县) and Zhou (still 堆龙德庆区's)
    d2      自治区文化厅 in another village of 堆龙德庆区: two cadres
    naipu   自治区文化厅 in 耐普村 (比如县): two cadres, and Xiang, whose record 比如县 now manages
    b2      那曲地区人民医院 in another village of 比如县: two cadres
People: the region admin, the prefecture admin of 拉萨市, the county admin of 堆龙德庆区, the liaison of
自治区文化厅, the leader and a member of the nanga team, a region auditor, an auditor of 堆龙德庆区, the outsider
(county admin of 比如县), Dawa (county admin of 堆龙德庆区 and auditor of 比如县), a user with no role, an inactive
county admin, an anonymous visitor and a superuser.
"""

from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser

from reports.models import Activity, MonthlyReport, ReportValue
from teams.choices import AssignmentRole, AssignmentStatus, UnitLevel
from teams.models import Assignment, Cadre, DispatchingUnit, Leave, WorkTeam
from tests.factories import (
    ActivityFactory,
    AssignmentFactory,
    BatchFactory,
    CadreFactory,
    DispatchingUnitFactory,
    IndicatorFactory,
    LeaveFactory,
    MonthlyReportFactory,
    ReportValueFactory,
    UserFactory,
    UserRoleFactory,
    make_team,
)
from villages.models import Area
from zhucun.choices import Role
from zhucun.scope import Action, Scope, forget_roles, scope_for, user_can, user_roles

ALL_TEAMS = frozenset({"nanga", "old", "d2", "naipu", "b2"})
DOILUNG_TEAMS = frozenset({"nanga", "old", "d2"})
BIRU_TEAMS = frozenset({"naipu", "b2"})
NOTHING: frozenset[str] = frozenset()


@pytest.fixture
def world(batch, nanga, naipu, doilungdeqen, biru, lhasa, region, nanga_team, nanga_leader, region_admin, county_admin):
    w = SimpleNamespace()
    tongji = nanga_team.unit
    wenhua = DispatchingUnitFactory(name="自治区文化厅", level=UnitLevel.REGION, area=region)
    yiyuan = DispatchingUnitFactory(
        name="那曲地区人民医院", level=UnitLevel.PREFECTURE, area=Area.objects.get(pk="5406")
    )
    batch9 = BatchFactory(number=9)
    old = make_team(village=nanga, batch=batch9, unit=tongji, members=1, end_date=batch9.end_date)
    w.teams = {
        "nanga": nanga_team,
        "old": old,
        "d2": make_team(within="540103", batch=batch, unit=wenhua, members=2),
        "naipu": make_team(village=naipu, batch=batch, unit=wenhua, members=2),
        "b2": make_team(within="540622", batch=batch, unit=yiyuan, members=2),
    }
    # Zhou served in the old team and is still managed by 堆龙德庆区.
    w.zhou = old.assignments.get().cadre
    old.assignments.update(status=AssignmentStatus.FINISHED, end_date=batch9.end_date)
    # Xiang served in 堆龙德庆区 in batch 9 and now serves in 比如县, which manages the record.
    w.xiang = CadreFactory(name="向巴", home_unit=tongji, area=biru)
    AssignmentFactory(
        team=old, cadre=w.xiang, status=AssignmentStatus.FINISHED, end_date=batch9.end_date, start_date=old.start_date
    )
    AssignmentFactory(team=w.teams["naipu"], cadre=w.xiang, role=AssignmentRole.MEMBER)
    assert not Cadre.objects.filter(pk=w.xiang.pk, area=doilungdeqen).exists()

    w.leaves = {
        "nanga": LeaveFactory(assignment=nanga_team.assignments.filter(role=AssignmentRole.MEMBER).first()),
        "naipu": LeaveFactory(assignment=w.teams["naipu"].assignments.exclude(cadre=w.xiang).first()),
    }
    indicator = IndicatorFactory(code="P02")
    w.reports = {key: MonthlyReportFactory(team=w.teams[key]) for key in ("nanga", "naipu")}
    w.values = {key: ReportValueFactory(report=report, indicator=indicator) for key, report in w.reports.items()}
    w.activities = {key: ActivityFactory(team=w.teams[key]) for key in ("nanga", "naipu", "b2")}

    member_cadre = nanga_team.assignments.filter(role=AssignmentRole.MEMBER).first().cadre
    member = UserRoleFactory(role=Role.TEAM_MEMBER, team=nanga_team, user__username="nanga-member").user
    member_cadre.user = member
    member_cadre.save(update_fields=["user"])

    dawa = UserRoleFactory(role=Role.COUNTY_ADMIN, area=doilungdeqen, user__username="dawa").user
    UserRoleFactory(role=Role.AUDITOR, area=biru, user=dawa)
    inactive = UserRoleFactory(role=Role.COUNTY_ADMIN, area=doilungdeqen, user__username="left-the-office").user
    inactive.is_active = False
    inactive.save(update_fields=["is_active"])
    w.units = {"tongji": tongji, "wenhua": wenhua, "yiyuan": yiyuan}
    w.users = {
        "region_admin": region_admin,
        "prefecture_admin": UserRoleFactory(role=Role.PREFECTURE_ADMIN, area=lhasa, user__username="lhasa").user,
        "county_admin": county_admin,
        "liaison": UserRoleFactory(role=Role.UNIT_LIAISON, unit=wenhua, user__username="wenhua-liaison").user,
        "leader": nanga_leader,
        "member": member,
        "auditor": UserRoleFactory(role=Role.AUDITOR, area=region, user__username="auditor").user,
        "county_auditor": UserRoleFactory(role=Role.AUDITOR, area=doilungdeqen, user__username="dl-auditor").user,
        "outsider": UserRoleFactory(role=Role.COUNTY_ADMIN, area=biru, user__username="biru-admin").user,
        "two_roles": dawa,
        "no_role": UserFactory(username="nobody"),
        "inactive": inactive,
        "anonymous": AnonymousUser(),
        "superuser": UserFactory(username="root", is_superuser=True, is_staff=True),
    }
    return w


def team_pks(w, keys) -> set[int]:
    return {w.teams[key].pk for key in keys}


def cadres_of(w, *keys: str) -> set[int]:
    """Everyone who ever served on these teams."""
    return set(Assignment.objects.filter(team__in=team_pks(w, keys)).values_list("cadre_id", flat=True))


def pks(queryset) -> set:
    return set(queryset.values_list("pk", flat=True))


def fresh(w, name: str):
    """The user as a new request would load it (no cached roles)."""
    user = w.users[name]
    if user.is_authenticated:
        forget_roles(user)
    return user


def subtree(*prefixes: str) -> set[str]:
    return set(Area.objects.filter(code__regex=r"^(" + "|".join(prefixes) + ")").values_list("code", flat=True))


# -- teams and the models that hang off a team ----------------------------------------------------------------

# Which teams each person reaches, per action. Assignments, leave, reports, values and activities follow
# their team, so one table drives them all.
TEAMS_BY_ACTION: dict[str, dict[Action, frozenset[str]]] = {
    "region_admin": dict.fromkeys(
        (Action.VIEW, Action.MANAGE, Action.DECIDE_LEAVE, Action.SEE_ID_NUMBER, Action.VIEW_HISTORY), ALL_TEAMS
    )
    | {Action.REQUEST_LEAVE: NOTHING},
    "prefecture_admin": dict.fromkeys(
        (Action.VIEW, Action.MANAGE, Action.DECIDE_LEAVE, Action.VIEW_HISTORY), DOILUNG_TEAMS
    )
    | {Action.SEE_ID_NUMBER: NOTHING, Action.REQUEST_LEAVE: NOTHING},
    "county_admin": dict.fromkeys(
        (Action.VIEW, Action.MANAGE, Action.DECIDE_LEAVE, Action.SEE_ID_NUMBER, Action.VIEW_HISTORY), DOILUNG_TEAMS
    )
    | {Action.REQUEST_LEAVE: NOTHING},
    "liaison": {Action.VIEW: frozenset({"d2", "naipu"})}
    | dict.fromkeys(
        (Action.MANAGE, Action.DECIDE_LEAVE, Action.SEE_ID_NUMBER, Action.VIEW_HISTORY, Action.REQUEST_LEAVE), NOTHING
    ),
    "leader": {Action.VIEW: frozenset({"nanga"}), Action.REQUEST_LEAVE: frozenset({"nanga"})}
    | dict.fromkeys((Action.MANAGE, Action.DECIDE_LEAVE, Action.SEE_ID_NUMBER, Action.VIEW_HISTORY), NOTHING),
    "member": {Action.VIEW: frozenset({"nanga"})}
    | dict.fromkeys(
        (Action.MANAGE, Action.DECIDE_LEAVE, Action.SEE_ID_NUMBER, Action.VIEW_HISTORY, Action.REQUEST_LEAVE), NOTHING
    ),
    "auditor": {Action.VIEW: ALL_TEAMS, Action.VIEW_HISTORY: ALL_TEAMS}
    | dict.fromkeys((Action.MANAGE, Action.DECIDE_LEAVE, Action.SEE_ID_NUMBER, Action.REQUEST_LEAVE), NOTHING),
    "county_auditor": {Action.VIEW: DOILUNG_TEAMS, Action.VIEW_HISTORY: DOILUNG_TEAMS}
    | dict.fromkeys((Action.MANAGE, Action.DECIDE_LEAVE, Action.SEE_ID_NUMBER, Action.REQUEST_LEAVE), NOTHING),
    "outsider": dict.fromkeys(
        (Action.VIEW, Action.MANAGE, Action.DECIDE_LEAVE, Action.SEE_ID_NUMBER, Action.VIEW_HISTORY), BIRU_TEAMS
    )
    | {Action.REQUEST_LEAVE: NOTHING},
    # County admin of 堆龙德庆区 and auditor of 比如县: sees both, changes only 堆龙德庆区.
    "two_roles": {Action.VIEW: ALL_TEAMS, Action.VIEW_HISTORY: ALL_TEAMS}
    | dict.fromkeys((Action.MANAGE, Action.DECIDE_LEAVE, Action.SEE_ID_NUMBER), DOILUNG_TEAMS)
    | {Action.REQUEST_LEAVE: NOTHING},
    "no_role": dict.fromkeys(
        (
            Action.VIEW,
            Action.MANAGE,
            Action.DECIDE_LEAVE,
            Action.SEE_ID_NUMBER,
            Action.VIEW_HISTORY,
            Action.REQUEST_LEAVE,
        ),
        NOTHING,
    ),
    "superuser": dict.fromkeys(
        (
            Action.VIEW,
            Action.MANAGE,
            Action.DECIDE_LEAVE,
            Action.SEE_ID_NUMBER,
            Action.VIEW_HISTORY,
            Action.REQUEST_LEAVE,
        ),
        ALL_TEAMS,
    ),
}
TEAMS_BY_ACTION["inactive"] = TEAMS_BY_ACTION["no_role"]
TEAMS_BY_ACTION["anonymous"] = TEAMS_BY_ACTION["no_role"]

CASES = [(person, action) for person, actions in TEAMS_BY_ACTION.items() for action in actions]


def case_id(case) -> str:
    return f"{case[0]}-{case[1].value}"


@pytest.mark.django_db
@pytest.mark.parametrize(("person", "action"), CASES, ids=[case_id(c) for c in CASES])
def test_it_scopes_teams_and_everything_hanging_off_a_team(world, person, action):
    w = world
    user = fresh(w, person)
    teams = team_pks(w, TEAMS_BY_ACTION[person][action])

    assert pks(WorkTeam.objects.visible_to(user, action)) == teams
    assert pks(Assignment.objects.visible_to(user, action)) == pks(Assignment.objects.filter(team__in=teams))
    assert pks(Leave.objects.visible_to(user, action)) == {
        leave.pk for leave in w.leaves.values() if leave.assignment.team_id in teams
    }
    assert pks(MonthlyReport.objects.visible_to(user, action)) == {
        report.pk for report in w.reports.values() if report.team_id in teams
    }
    assert pks(ReportValue.objects.visible_to(user, action)) == {
        value.pk for value in w.values.values() if value.report.team_id in teams
    }
    assert pks(Activity.objects.visible_to(user, action)) == {
        activity.pk for activity in w.activities.values() if activity.team_id in teams
    }


@pytest.mark.django_db
def test_it_lets_an_auditor_view_but_not_manage_or_decide(world):
    auditor = world.users["auditor"]
    nanga = world.teams["nanga"]

    assert WorkTeam.objects.visible_to(auditor).filter(pk=nanga.pk).exists()
    assert WorkTeam.objects.visible_to(auditor, Action.VIEW_HISTORY).filter(pk=nanga.pk).exists()
    assert not WorkTeam.objects.visible_to(auditor, Action.MANAGE).exists()
    assert not Leave.objects.visible_to(auditor, Action.DECIDE_LEAVE).exists()
    assert not Cadre.objects.visible_to(auditor, Action.SEE_ID_NUMBER).exists()


@pytest.mark.django_db
def test_it_lets_a_two_role_user_manage_in_one_county_and_only_view_in_the_other(world):
    dawa = world.users["two_roles"]
    doilung, biru = world.teams["nanga"], world.teams["naipu"]

    assert pks(WorkTeam.objects.visible_to(dawa).filter(pk__in=[doilung.pk, biru.pk])) == {doilung.pk, biru.pk}
    assert pks(WorkTeam.objects.visible_to(dawa, Action.MANAGE).filter(pk__in=[doilung.pk, biru.pk])) == {doilung.pk}
    assert scope_for(dawa, Action.VIEW) == Scope(area_prefixes=("540103", "540622"))
    assert scope_for(dawa, Action.MANAGE) == Scope(area_prefixes=("540103",))


# -- cadres -------------------------------------------------------------------------------------------------


def expected_cadres(w, person: str, action: Action) -> set[int]:
    doilung_managed = cadres_of(w, "nanga", "d2", "old") - {w.xiang.pk}
    biru_managed = cadres_of(w, "naipu", "b2")
    everyone = pks(Cadre.objects.all())
    by_view = {
        "region_admin": everyone,
        "prefecture_admin": doilung_managed | {w.xiang.pk},
        "county_admin": doilung_managed | {w.xiang.pk},
        "county_auditor": doilung_managed | {w.xiang.pk},
        "outsider": biru_managed,
        "liaison": cadres_of(w, "d2", "naipu"),
        "leader": cadres_of(w, "nanga"),
        "member": cadres_of(w, "nanga"),
        "auditor": everyone,
        "two_roles": everyone,
        "superuser": everyone,
    }
    # Only the managing county (and the region) changes a record and sees its ID number; history is read by
    # whoever may read the cadre and holds VIEW_HISTORY (an auditor follows a cadre who moved away).
    by_managing_county = {
        "region_admin": everyone,
        "prefecture_admin": doilung_managed,
        "county_admin": doilung_managed,
        "county_auditor": doilung_managed,
        "outsider": biru_managed,
        "auditor": everyone,
        "superuser": everyone,
    }
    if action == Action.VIEW:
        return by_view.get(person, set())
    if not TEAMS_BY_ACTION[person][action]:
        return set()
    if action == Action.VIEW_HISTORY:
        return by_view[person]
    if person == "two_roles":
        # MANAGE and SEE_ID_NUMBER come from the county admin role only.
        return doilung_managed
    return by_managing_county[person]


CADRE_ACTIONS = (Action.VIEW, Action.MANAGE, Action.SEE_ID_NUMBER, Action.VIEW_HISTORY)
CADRE_CASES = [(person, action) for person in TEAMS_BY_ACTION for action in CADRE_ACTIONS]


@pytest.mark.django_db
@pytest.mark.parametrize(("person", "action"), CADRE_CASES, ids=[case_id(c) for c in CADRE_CASES])
def test_it_scopes_cadres(world, person, action):
    user = fresh(world, person)

    assert pks(Cadre.objects.visible_to(user, action)) == expected_cadres(world, person, action)


@pytest.mark.django_db
def test_it_shows_a_cadre_who_moved_counties_to_both_but_lets_only_the_new_county_manage_it(world):
    xiang = world.xiang
    doilung_admin, biru_admin = world.users["county_admin"], world.users["outsider"]

    for admin in (doilung_admin, biru_admin):
        assert Cadre.objects.visible_to(admin).filter(pk=xiang.pk).exists()
    assert not Cadre.objects.visible_to(doilung_admin, Action.MANAGE).filter(pk=xiang.pk).exists()
    assert not Cadre.objects.visible_to(doilung_admin, Action.SEE_ID_NUMBER).filter(pk=xiang.pk).exists()
    assert Cadre.objects.visible_to(biru_admin, Action.MANAGE).filter(pk=xiang.pk).exists()
    assert Cadre.objects.visible_to(biru_admin, Action.SEE_ID_NUMBER).filter(pk=xiang.pk).exists()
    # Its batch-9 assignment stays with the team's county: 堆龙德庆区 sees that row, 比如县 does not.
    old_assignment = xiang.assignments.get(team=world.teams["old"])
    assert Assignment.objects.visible_to(doilung_admin).filter(pk=old_assignment.pk).exists()
    assert not Assignment.objects.visible_to(biru_admin).filter(pk=old_assignment.pk).exists()


@pytest.mark.django_db
def test_it_lists_no_cadre_twice_for_a_user_who_reaches_it_several_ways(world):
    dawa = world.users["two_roles"]

    listed = list(Cadre.objects.visible_to(dawa).values_list("pk", flat=True))

    assert len(listed) == len(set(listed)) == Cadre.objects.count()


@pytest.mark.django_db
def test_it_lets_a_liaison_export_the_cadres_it_may_list(world):
    liaison = world.users["liaison"]

    assert pks(Cadre.objects.visible_to(liaison, Action.EXPORT)) == pks(Cadre.objects.visible_to(liaison))


# -- areas and units ------------------------------------------------------------------------------------------


def expected_areas(w, person: str) -> set[str]:
    if person in ("region_admin", "auditor", "superuser"):
        return set(Area.objects.values_list("code", flat=True))
    return {
        "prefecture_admin": lambda: subtree("5401"),
        "county_admin": lambda: subtree("540103"),
        "county_auditor": lambda: subtree("540103"),
        "outsider": lambda: subtree("540622"),
        "two_roles": lambda: subtree("540103", "540622"),
        "liaison": lambda: {w.teams["d2"].village_id, w.teams["naipu"].village_id},
        "leader": lambda: {w.teams["nanga"].village_id},
        "member": lambda: {w.teams["nanga"].village_id},
    }.get(person, set)()


@pytest.mark.django_db
@pytest.mark.parametrize("person", list(TEAMS_BY_ACTION))
def test_it_scopes_areas(world, person):
    user = fresh(world, person)

    assert pks(Area.objects.visible_to(user)) == expected_areas(world, person)


@pytest.mark.django_db
def test_it_scopes_areas_for_managing_to_the_admins_own_subtree(world):
    dawa = world.users["two_roles"]

    managed = pks(Area.objects.visible_to(dawa, Action.MANAGE))

    assert managed == subtree("540103")
    assert "540622" not in managed
    assert not Area.objects.visible_to(world.users["auditor"], Action.MANAGE).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("person", list(TEAMS_BY_ACTION))
def test_it_scopes_dispatching_units(world, person):
    user = fresh(world, person)
    everyone = pks(DispatchingUnit.objects.all())
    expected = {
        "liaison": {world.units["wenhua"].pk},
        "leader": {world.units["tongji"].pk},
        "member": {world.units["tongji"].pk},
        "no_role": set(),
        "inactive": set(),
        "anonymous": set(),
    }.get(person, everyone)

    assert pks(DispatchingUnit.objects.visible_to(user)) == expected


@pytest.mark.django_db
def test_it_lets_no_county_admin_manage_the_shared_unit_catalogue(world):
    county_admin = world.users["county_admin"]

    assert not DispatchingUnit.objects.visible_to(county_admin, Action.MANAGE).exists()


# -- user_can and the role cache -------------------------------------------------------------------------------


USER_CAN = {
    "region_admin": {Action.VIEW, Action.MANAGE, Action.DECIDE_LEAVE, Action.SEE_ID_NUMBER, Action.ADMINISTER},
    "prefecture_admin": {Action.VIEW, Action.MANAGE, Action.DECIDE_LEAVE, Action.REVIEW_REPORT, Action.EXPORT},
    "county_admin": {Action.VIEW, Action.MANAGE, Action.SEE_ID_NUMBER, Action.VIEW_HISTORY, Action.EXPORT},
    "liaison": {Action.VIEW, Action.EXPORT},
    "leader": {Action.VIEW, Action.REQUEST_LEAVE, Action.LOG_ACTIVITY, Action.SUBMIT_REPORT},
    "member": {Action.VIEW, Action.LOG_ACTIVITY},
    "auditor": {Action.VIEW, Action.VIEW_HISTORY, Action.EXPORT},
    "two_roles": {Action.VIEW, Action.MANAGE, Action.VIEW_HISTORY},
    "superuser": set(Action),
}
USER_CANNOT = {
    "region_admin": {Action.REQUEST_LEAVE, Action.SUBMIT_REPORT},
    "prefecture_admin": {Action.SEE_ID_NUMBER, Action.ADMINISTER, Action.REQUEST_LEAVE},
    "county_admin": {Action.ADMINISTER, Action.REQUEST_LEAVE, Action.LOG_ACTIVITY},
    "liaison": {Action.MANAGE, Action.VIEW_HISTORY, Action.SEE_ID_NUMBER},
    "leader": {Action.MANAGE, Action.DECIDE_LEAVE, Action.VIEW_HISTORY, Action.EXPORT},
    "member": {Action.REQUEST_LEAVE, Action.SUBMIT_REPORT, Action.MANAGE},
    "auditor": {Action.MANAGE, Action.DECIDE_LEAVE, Action.REVIEW_REPORT, Action.SEE_ID_NUMBER, Action.ADMINISTER},
    "two_roles": {Action.ADMINISTER, Action.REQUEST_LEAVE},
    "no_role": set(Action),
    "inactive": set(Action),
    "anonymous": set(Action),
}


@pytest.mark.django_db
@pytest.mark.parametrize("person", list(TEAMS_BY_ACTION))
def test_it_answers_user_can_by_role(world, person):
    user = fresh(world, person)

    assert {action for action in USER_CAN.get(person, ()) if not user_can(user, action)} == set()
    assert {action for action in USER_CANNOT.get(person, ()) if user_can(user, action)} == set()


@pytest.mark.django_db
def test_it_keeps_outermost_prefixes_only(lhasa, doilungdeqen, biru):
    user = UserRoleFactory(role=Role.PREFECTURE_ADMIN, area=lhasa).user
    UserRoleFactory(role=Role.COUNTY_ADMIN, area=doilungdeqen, user=user)
    UserRoleFactory(role=Role.AUDITOR, area=biru, user=user)

    assert scope_for(user, Action.MANAGE) == Scope(area_prefixes=("5401",))
    assert scope_for(user, Action.VIEW) == Scope(area_prefixes=("5401", "540622"))
    assert scope_for(user, Action.SEE_ID_NUMBER) == Scope(area_prefixes=("540103",))


@pytest.mark.django_db
def test_it_sees_nothing_once_a_superuser_is_deactivated(db):
    root = UserFactory(username="root", is_superuser=True, is_active=False)

    assert scope_for(root) == Scope()
    assert not WorkTeam.objects.visible_to(root).exists()


@pytest.mark.django_db
def test_it_loads_a_users_roles_once_per_user_object(world, django_assert_num_queries):
    user = fresh(world, "two_roles")

    with django_assert_num_queries(1):
        for action in Action:
            scope_for(user, action)
            user_can(user, action)
        user_roles(user)
    # Building the querysets needs no further role query; running them is one query each.
    with django_assert_num_queries(2):
        list(WorkTeam.objects.visible_to(user))
        list(Cadre.objects.visible_to(user, Action.MANAGE))


@pytest.mark.django_db
def test_it_sees_a_new_role_only_after_forgetting_the_cached_ones(world, django_assert_num_queries, biru):
    user = fresh(world, "county_admin")
    assert not WorkTeam.objects.visible_to(user, Action.MANAGE).filter(pk=world.teams["naipu"].pk).exists()

    UserRoleFactory(role=Role.COUNTY_ADMIN, area=biru, user=user)
    with django_assert_num_queries(0):
        still = scope_for(user, Action.MANAGE)
    assert still == Scope(area_prefixes=("540103",))

    forget_roles(user)
    with django_assert_num_queries(1):
        now = scope_for(user, Action.MANAGE)
    assert now == Scope(area_prefixes=("540103", "540622"))
    forget_roles(user)  # forgetting twice is harmless


@pytest.mark.django_db
def test_it_asks_the_database_nothing_for_anonymous_or_inactive_users(world, django_assert_num_queries):
    with django_assert_num_queries(0):
        for person in ("anonymous", "inactive"):
            user = world.users[person]
            assert scope_for(user).is_empty
            assert user_roles(user) == []


@pytest.mark.django_db
def test_it_treats_a_batch_team_membership_as_that_team_only(world):
    """The leader of the nanga team does not see the batch-9 team in the same village."""
    leader = world.users["leader"]

    assert not WorkTeam.objects.visible_to(leader).filter(pk=world.teams["old"].pk).exists()
    assert world.teams["old"].village_id == world.teams["nanga"].village_id


# -- the mixins apply the scope ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_checks_an_action_on_an_object_for_pages_and_the_api(world, django_assert_num_queries):
    from django.core.exceptions import PermissionDenied

    from zhucun.mixins import check_action

    nanga = world.teams["nanga"]
    check_action(fresh(world, "county_admin"), Action.MANAGE, nanga)
    for person in ("auditor", "outsider", "leader"):
        with pytest.raises(PermissionDenied):
            check_action(fresh(world, person), Action.MANAGE, nanga)
    # Viewing was settled by the visible queryset that found the object: nothing more to ask.
    with django_assert_num_queries(0):
        check_action(world.users["auditor"], Action.VIEW, nanga)


@pytest.mark.parametrize(
    ("viewset_action", "method", "expected"),
    [
        ("list", "GET", Action.VIEW),
        ("retrieve", "HEAD", Action.VIEW),
        ("update", "PUT", Action.MANAGE),
        ("partial_update", "PATCH", Action.MANAGE),
        ("destroy", "DELETE", Action.MANAGE),
        ("approve", "POST", Action.DECIDE_LEAVE),
        ("something_new", "POST", Action.MANAGE),
    ],
)
def test_it_maps_viewset_actions_to_scope_actions(viewset_action, method, expected):
    from types import SimpleNamespace as Request

    from zhucun.mixins import ScopedViewSet

    class LeaveLike(ScopedViewSet):
        action_permissions = {"approve": Action.DECIDE_LEAVE}

    viewset = LeaveLike()
    viewset.action, viewset.request = viewset_action, Request(method=method)

    assert viewset.scope_action() == expected


# -- the area filter: a range on the code, exactly the prefix ---------------------------------------------------------


@pytest.mark.parametrize("length", [1, 2, 3, 4, 5, 6, 8, 9, 11, 12])
def test_the_area_range_selects_exactly_the_codes_that_start_with_the_prefix(db, length):
    """Over the whole geography (codes of 2, 4, 6, 9 and 12 digits) and prefixes of every length, also lengths no
    area has and prefixes ending in 9 or 0: `area_q` (a range) picks the same areas as `LIKE 'prefix%'`."""
    from zhucun.scope import area_q

    codes = sorted(Area.objects.values_list("code", flat=True))
    prefixes = sorted({code[:length] for code in codes if len(code) >= length})[:: max(1, len(codes) // 400)]
    prefixes += ["9" * length, "0" * length, "54"[:length] + "9" * max(0, length - 2)]
    for prefix in prefixes:
        expected = [code for code in codes if code.startswith(prefix)]
        found = list(Area.objects.filter(area_q("code", (prefix,))).order_by("code").values_list("code", flat=True))
        assert found == expected, prefix


def test_the_area_range_of_several_prefixes_and_through_a_foreign_key(db, nanga_team, biru):
    from zhucun.scope import area_q

    other = make_team(village=Area.objects.filter(code__startswith=biru.code, level="village").first())
    visible = WorkTeam.objects.filter(area_q("village_id", ("540103", "540622")))
    assert set(visible) == {nanga_team, other}
    assert set(WorkTeam.objects.filter(area_q("village_id", ("5401",)))) == {nanga_team}
    assert "villages_area" not in str(visible.query)  # the code is the foreign key's column: no join to the areas
