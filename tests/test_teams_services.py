"""Every write of teams/services.py: what it writes (read back from the database) and whom it refuses.

The people: the county admin of 堆龙德庆区, the leader of the team in 南嘎居委会, the outsider (county admin of
比如县), a region auditor, the prefecture admin of 拉萨市 and the region admin. Today is 2026-01-05 unless a test
travels (the nanga team started on 2025-11-01).
"""

import datetime
import threading
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import connection

from teams import services
from teams.choices import AssignmentRole, AssignmentStatus, Gender, LeaveStatus, LeaveType
from teams.models import Assignment, Cadre, Leave, WorkTeam
from tests.factories import (
    AssignmentFactory,
    BatchFactory,
    CadreFactory,
    DispatchingUnitFactory,
    LeaveFactory,
    UserFactory,
    UserRoleFactory,
    id_number,
    make_team,
)
from villages.models import Area
from zhucun.choices import Role
from zhucun.models import PersonalDataAccess, UserRole

SHANGHAI = ZoneInfo("Asia/Shanghai")


def day(month: int, date: int, year: int = 2026) -> datetime.date:
    return datetime.date(year, month, date)


@pytest.fixture(autouse=True)
def _today(time_machine):
    time_machine.move_to(datetime.datetime(2026, 1, 5, 10, 0, tzinfo=SHANGHAI), tick=False)


@pytest.fixture
def prefecture_admin(lhasa):
    return UserRoleFactory(role=Role.PREFECTURE_ADMIN, area=lhasa, user__username="lhasa-admin").user


@pytest.fixture
def free_doilung_village(batch) -> Area:
    return Area.objects.villages().within("540103").exclude(teams__batch=batch).order_by("code").first()


@pytest.fixture
def naipu_team(naipu, batch):
    return make_team(village=naipu, batch=batch, unit=DispatchingUnitFactory(name="那曲地区人民医院"))


def member_of(team: WorkTeam) -> Assignment:
    return team.assignments.filter(role=AssignmentRole.MEMBER).order_by("pk").first()


def leader_of(team: WorkTeam) -> Assignment:
    return team.assignments.get(role=AssignmentRole.LEADER, status__in=(AssignmentStatus.ON_POST,))


def messages(error: ValidationError, field: str = NON_FIELD_ERRORS) -> list[str]:
    return error.message_dict.get(field, []) if hasattr(error, "error_dict") else error.messages


def with_account(cadre: Cadre, username: str):
    """Give the cadre a login account (as the county does for team members who use the system)."""
    user = UserFactory(username=username)
    cadre.user = user
    cadre.save(update_fields=["user"])
    return user


def team_roles(team: WorkTeam) -> set[tuple[str, str]]:
    return set(UserRole.objects.filter(team=team).values_list("user__username", "role"))


# -- teams ---------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_creates_a_team_in_the_county_admins_village(county_admin, batch, free_doilung_village):
    unit = DispatchingUnitFactory(name="自治区党委组织部")

    team = services.team_create(actor=county_admin, batch=batch, village=free_doilung_village, unit=unit)

    saved = WorkTeam.objects.get(pk=team.pk)
    assert saved.name == f"自治区党委组织部驻{free_doilung_village.name}工作队"
    assert (saved.village, saved.batch, saved.unit, saved.start_date) == (
        free_doilung_village,
        batch,
        unit,
        batch.start_date,
    )
    assert saved.history.get().history_user == county_admin


@pytest.mark.django_db
def test_it_refuses_the_outsider_a_team_in_doilungdeqen(outsider, batch, free_doilung_village):
    with pytest.raises(PermissionDenied):
        services.team_create(
            actor=outsider, batch=batch, village=free_doilung_village, unit=DispatchingUnitFactory(name="比如县某局")
        )

    assert not WorkTeam.objects.filter(village=free_doilung_village).exists()


@pytest.mark.django_db
def test_it_refuses_a_township_as_a_teams_village(county_admin, batch):
    township = Area.objects.get(code="540103001")

    with pytest.raises(ValidationError) as caught:
        services.team_create(actor=county_admin, batch=batch, village=township, unit=DispatchingUnitFactory())

    assert messages(caught.value, "village") == ["请选择村（居）。"]
    assert not WorkTeam.objects.filter(village=township).exists()


@pytest.mark.django_db
def test_it_refuses_a_second_team_in_a_village_in_the_same_batch(county_admin, nanga_team, nanga, batch):
    with pytest.raises(ValidationError) as caught:
        services.team_create(actor=county_admin, batch=batch, village=nanga, unit=DispatchingUnitFactory())

    assert "该村（居）在本批次已有驻村工作队。" in caught.value.messages
    assert list(WorkTeam.objects.filter(village=nanga, batch=batch)) == [nanga_team]


@pytest.mark.django_db
def test_it_refuses_fields_a_team_does_not_let_anyone_set(county_admin, batch, free_doilung_village):
    with pytest.raises(ValidationError):
        services.team_create(
            actor=county_admin, batch=batch, village=free_doilung_village, unit=DispatchingUnitFactory(), id=999
        )

    assert not WorkTeam.objects.filter(village=free_doilung_village).exists()


@pytest.mark.django_db
def test_it_renames_a_team_and_keeps_the_change_in_its_history(county_admin, nanga_team):
    services.team_update(actor=county_admin, team=nanga_team, name="南嘎居委会驻村工作队")

    saved = WorkTeam.objects.get(pk=nanga_team.pk)
    assert saved.name == "南嘎居委会驻村工作队"
    latest = saved.history.latest()
    assert (latest.name, latest.history_type, latest.history_user) == ("南嘎居委会驻村工作队", "~", county_admin)


@pytest.mark.django_db
def test_it_refuses_to_move_a_team_out_of_the_admins_county(county_admin, nanga_team, nanga, naipu):
    history_before = nanga_team.history.count()

    with pytest.raises(PermissionDenied):
        services.team_update(actor=county_admin, team=nanga_team, village=naipu, name="搬走的工作队")

    saved = WorkTeam.objects.get(pk=nanga_team.pk)
    assert (saved.village_id, saved.name) == (nanga.code, "拉萨市堆龙德庆区统计局驻南嘎居委会工作队")
    assert saved.history.count() == history_before


@pytest.mark.django_db
def test_it_refuses_team_changes_by_the_auditor_and_the_outsider(auditor, outsider, nanga_team):
    for actor in (auditor, outsider):
        with pytest.raises(PermissionDenied):
            services.team_update(actor=actor, team=nanga_team, name="改名")

    assert WorkTeam.objects.get(pk=nanga_team.pk).name == "拉萨市堆龙德庆区统计局驻南嘎居委会工作队"


@pytest.mark.django_db
def test_it_refuses_unknown_team_fields_and_townships_on_update(county_admin, nanga_team):
    with pytest.raises(ValidationError):
        services.team_update(actor=county_admin, team=nanga_team, id=nanga_team.pk + 1)
    with pytest.raises(ValidationError) as caught:
        services.team_update(actor=county_admin, team=nanga_team, village=Area.objects.get(code="540103001"))

    assert messages(caught.value, "village") == ["请选择村（居）。"]
    assert WorkTeam.objects.get(pk=nanga_team.pk).village_id == "540103001002"


# -- cadres --------------------------------------------------------------------------------------------------


def valid_id(serial: int, *, check: str | None = None, area: str = "540103") -> str:
    """A valid ID number; with `check`, the first one from `serial` on whose check character is that."""
    while True:
        number = id_number(area=area, birth=datetime.date(1988, 6, 1), serial=serial, male=True)
        if check is None or number[-1] == check:
            return number
        serial += 1


def cadre_fields(**overrides):
    fields = {
        "name": "次旺",
        "gender": Gender.MALE,
        "id_number": valid_id(401),
        "phone": "13908901234",
        "home_unit": DispatchingUnitFactory(name="拉萨市堆龙德庆区统计局"),
    }
    return fields | overrides


@pytest.mark.django_db
def test_it_registers_a_cadre_in_the_county_admins_county(county_admin, doilungdeqen):
    number = valid_id(401, check="X")

    cadre = services.cadre_create(actor=county_admin, **cadre_fields(id_number=number.lower()))

    saved = Cadre.objects.get(pk=cadre.pk)
    assert (saved.name, saved.area, saved.id_number) == ("次旺", doilungdeqen, number)
    assert saved.history.get().history_user == county_admin


@pytest.mark.django_db
def test_it_refuses_a_second_cadre_with_the_same_id_number_whatever_its_case(county_admin):
    number = valid_id(401, check="X")
    CadreFactory(id_number=number)

    with pytest.raises(ValidationError) as caught:
        services.cadre_create(actor=county_admin, **cadre_fields(id_number=f" {number.lower()} "))

    assert messages(caught.value, "id_number") == ["该身份证号已登记。干部跨批次任职时请直接选派已有干部。"]
    assert Cadre.objects.filter(id_number=number).count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("54010319880601123", "身份证号应为18位，前17位为数字，最后一位为数字或X。"),
        ("540103198813011234", "身份证号中的出生日期无效。"),
        (valid_id(401)[:-1] + ("0" if valid_id(401)[-1] != "0" else "1"), "身份证号校验位错误，请核对。"),
    ],
    ids=["too-short", "month-13", "bad-check-character"],
)
def test_it_refuses_an_invalid_id_number_next_to_the_field(county_admin, number, message):
    with pytest.raises(ValidationError) as caught:
        services.cadre_create(actor=county_admin, **cadre_fields(id_number=number))

    assert messages(caught.value, "id_number") == [message]
    assert not Cadre.objects.filter(name="次旺").exists()


@pytest.mark.django_db
def test_it_makes_a_prefecture_admin_choose_the_managing_county(prefecture_admin, doilungdeqen, biru):
    with pytest.raises(ValidationError) as caught:
        services.cadre_create(actor=prefecture_admin, **cadre_fields())
    assert messages(caught.value, "area") == ["请选择管理该干部的县（区）。"]

    with pytest.raises(PermissionDenied):
        services.cadre_create(actor=prefecture_admin, **cadre_fields(area=biru))
    with pytest.raises(ValidationError) as caught:
        services.cadre_create(actor=prefecture_admin, **cadre_fields(area=Area.objects.get(code="5401")))
    assert messages(caught.value, "area") == ["管理单位须为县（区）。"]
    assert not Cadre.objects.filter(name="次旺").exists()

    cadre = services.cadre_create(actor=prefecture_admin, **cadre_fields(area=doilungdeqen))

    assert Cadre.objects.get(pk=cadre.pk).area == doilungdeqen


@pytest.mark.django_db
def test_it_refuses_cadre_registration_by_the_auditor_and_a_team_leader(auditor, nanga_leader):
    for actor in (auditor, nanga_leader):
        with pytest.raises(PermissionDenied):
            services.cadre_create(actor=actor, **cadre_fields())

    assert not Cadre.objects.filter(name="次旺").exists()


@pytest.mark.django_db
def test_it_updates_a_cadre_but_never_hands_it_to_another_county(county_admin, nanga_team, biru):
    cadre = member_of(nanga_team).cadre

    services.cadre_update(actor=county_admin, cadre=cadre, phone="13800000001", post="副科长")
    with pytest.raises(PermissionDenied):
        services.cadre_update(actor=county_admin, cadre=cadre, area=biru, post="调走")

    saved = Cadre.objects.get(pk=cadre.pk)
    assert (saved.phone, saved.post, saved.area_id) == ("13800000001", "副科长", "540103")
    assert saved.history.latest().history_user == county_admin


@pytest.mark.django_db
def test_it_refuses_cadre_changes_by_the_outsider(outsider, nanga_team):
    cadre = member_of(nanga_team).cadre

    with pytest.raises(PermissionDenied):
        services.cadre_update(actor=outsider, cadre=cadre, name="改名")

    assert Cadre.objects.get(pk=cadre.pk).name == cadre.name


# -- ID numbers ----------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_reveals_an_id_number_to_the_county_admin_and_records_it(county_admin, region_admin, nanga_team):
    cadre = member_of(nanga_team).cadre

    shown = services.cadre_reveal_id_number(actor=county_admin, cadre=cadre, ip_address="10.1.2.3")
    services.cadre_reveal_id_number(actor=region_admin, cadre=cadre)

    assert shown == cadre.id_number
    rows = list(PersonalDataAccess.objects.order_by("pk").values_list("user", "kind", "cadre", "ip_address"))
    assert rows == [
        (county_admin.pk, "reveal_id_number", cadre.pk, "10.1.2.3"),
        (region_admin.pk, "reveal_id_number", cadre.pk, None),
    ]
    assert services.can_see_id_number(county_admin, cadre)


@pytest.mark.django_db
@pytest.mark.parametrize("person", ["auditor", "outsider", "prefecture_admin", "nanga_leader"])
def test_it_refuses_to_reveal_an_id_number_to_others(request, nanga_team, person):
    actor = request.getfixturevalue(person)
    cadre = member_of(nanga_team).cadre

    with pytest.raises(PermissionDenied):
        services.cadre_reveal_id_number(actor=actor, cadre=cadre)

    assert not PersonalDataAccess.objects.exists()
    assert not services.can_see_id_number(actor, cadre)


# -- assignments ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_sends_a_cadre_to_a_team_and_gives_their_account_the_team_role(county_admin, nanga_team):
    cadre = CadreFactory(name="旺堆")
    with_account(cadre, "wangdui")

    assignment = services.assignment_create(actor=county_admin, team=nanga_team, cadre=cadre)

    saved = Assignment.objects.get(pk=assignment.pk)
    assert (saved.team, saved.cadre, saved.role, saved.status) == (
        nanga_team,
        cadre,
        AssignmentRole.MEMBER,
        AssignmentStatus.ON_POST,
    )
    assert saved.start_date == day(1, 5)
    assert ("wangdui", Role.TEAM_MEMBER) in team_roles(nanga_team)
    assert saved.history.get().history_user == county_admin


@pytest.mark.django_db
def test_it_moves_a_returning_cadres_record_to_the_teams_county(county_admin, nanga_team, naipu_team, biru):
    """A cadre who served in 堆龙德庆区 in batch 9 and is managed by 比如县 is sent to a 堆龙德庆区 team again."""
    batch9 = BatchFactory(number=9)
    old_team = make_team(village=nanga_team.village, batch=batch9, unit=nanga_team.unit, members=1)
    returning = CadreFactory(name="顿珠", area=biru)
    AssignmentFactory(team=old_team, cadre=returning, status=AssignmentStatus.FINISHED, end_date=batch9.end_date)

    services.assignment_create(actor=county_admin, team=nanga_team, cadre=returning)

    saved = Cadre.objects.get(pk=returning.pk)
    assert saved.area_id == "540103"
    assert saved.history.latest().history_user == county_admin


@pytest.mark.django_db
def test_it_refuses_a_cadre_who_is_on_another_team(county_admin, nanga_team, free_doilung_village, batch):
    other = make_team(village=free_doilung_village, batch=batch, members=2)
    busy = other.assignments.first().cadre

    with pytest.raises(ValidationError) as caught:
        services.assignment_create(actor=county_admin, team=nanga_team, cadre=busy)

    assert messages(caught.value, "cadre") == ["该干部已在其他工作队任职，请先结束原任职。"]
    assert not nanga_team.assignments.filter(cadre=busy).exists()


@pytest.mark.django_db
def test_it_refuses_a_second_leader_through_assignment_create(county_admin, nanga_team):
    cadre = CadreFactory(name="多吉")

    with pytest.raises(ValidationError) as caught:
        services.assignment_create(actor=county_admin, team=nanga_team, cadre=cadre, role=AssignmentRole.LEADER)

    assert messages(caught.value, "role") == ["该工作队已有在任队长，请使用“更换队长”。"]
    assert not Assignment.objects.filter(cadre=cadre).exists()


@pytest.mark.django_db
def test_it_refuses_a_cadre_the_admin_cannot_see(county_admin, nanga_team, naipu_team):
    stranger = CadreFactory(name="布琼", id_area="540622")

    with pytest.raises(ValidationError) as caught:
        services.assignment_create(actor=county_admin, team=nanga_team, cadre=stranger)

    assert messages(caught.value, "cadre") == ["找不到该干部。"]
    assert not Assignment.objects.filter(cadre=stranger).exists()


@pytest.mark.django_db
def test_it_refuses_assignments_to_the_outsider(outsider, nanga_team, naipu_team):
    with pytest.raises(PermissionDenied):
        services.assignment_create(actor=outsider, team=nanga_team, cadre=CadreFactory(id_area="540622"))

    assert nanga_team.assignments.count() == 4


@pytest.mark.django_db
@pytest.mark.parametrize("status", [AssignmentStatus.FINISHED, AssignmentStatus.RECALLED])
def test_it_ends_an_assignment_and_takes_the_team_role_away(county_admin, nanga_team, status):
    assignment = member_of(nanga_team)
    with_account(assignment.cadre, "gesang")
    services.team_roles_sync(team=nanga_team)
    assert ("gesang", Role.TEAM_MEMBER) in team_roles(nanga_team)

    services.assignment_end(actor=county_admin, assignment=assignment, status=status, end_date=day(1, 4))

    saved = Assignment.objects.get(pk=assignment.pk)
    assert (saved.status, saved.end_date) == (status, day(1, 4))
    assert ("gesang", Role.TEAM_MEMBER) not in team_roles(nanga_team)
    assert saved.history.latest().history_user == county_admin


@pytest.mark.django_db
def test_it_refuses_to_end_an_assignment_wrongly(county_admin, outsider, nanga_team):
    assignment = member_of(nanga_team)

    with pytest.raises(ValidationError) as caught:
        services.assignment_end(
            actor=county_admin, assignment=assignment, status=AssignmentStatus.ON_POST, end_date=day(1, 4)
        )
    assert messages(caught.value, "status") == ["结束任职时请选择“期满”或“召回”。"]
    with pytest.raises(ValidationError) as caught:
        services.assignment_end(
            actor=county_admin, assignment=assignment, status=AssignmentStatus.FINISHED, end_date=day(10, 31, 2025)
        )
    assert messages(caught.value, "end_date") == ["离岗日期不能早于到岗日期。"]
    with pytest.raises(PermissionDenied):
        services.assignment_end(
            actor=outsider, assignment=assignment, status=AssignmentStatus.RECALLED, end_date=day(1, 4)
        )
    assert Assignment.objects.get(pk=assignment.pk).status == AssignmentStatus.ON_POST

    services.assignment_end(
        actor=county_admin, assignment=assignment, status=AssignmentStatus.RECALLED, end_date=day(1, 4)
    )
    with pytest.raises(ValidationError) as caught:
        services.assignment_end(
            actor=county_admin, assignment=assignment, status=AssignmentStatus.FINISHED, end_date=day(1, 5)
        )

    assert caught.value.messages == ["该任职已经结束。"]
    saved = Assignment.objects.get(pk=assignment.pk)
    assert (saved.status, saved.end_date) == (AssignmentStatus.RECALLED, day(1, 4))


# -- leaders -------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_promotes_a_member_to_leader_and_moves_the_leader_role_between_accounts(
    county_admin, nanga_team, nanga_leader
):
    old = leader_of(nanga_team)
    new = member_of(nanga_team)
    with_account(new.cadre, "gesang")

    services.team_set_leader(actor=county_admin, team=nanga_team, cadre=new.cadre)

    assert Assignment.objects.get(pk=old.pk).role == AssignmentRole.MEMBER
    assert Assignment.objects.get(pk=new.pk).role == AssignmentRole.LEADER
    assert nanga_team.assignments.filter(role=AssignmentRole.LEADER).count() == 1
    assert team_roles(nanga_team) == {("gesang", Role.TEAM_LEADER), ("nanga-leader", Role.TEAM_MEMBER)}
    promoted = Assignment.history.filter(id=new.pk).latest()
    demoted = Assignment.history.filter(id=old.pk).latest()
    assert (promoted.role, promoted.history_user) == (AssignmentRole.LEADER, county_admin)
    assert (demoted.role, demoted.history_user) == (AssignmentRole.MEMBER, county_admin)


@pytest.mark.django_db
def test_it_brings_a_cadre_from_outside_the_team_in_as_leader(county_admin, nanga_team, nanga_leader):
    old = leader_of(nanga_team)
    newcomer = CadreFactory(name="平措")
    with_account(newcomer, "pingcuo")

    assignment = services.team_set_leader(actor=county_admin, team=nanga_team, cadre=newcomer)

    saved = Assignment.objects.get(pk=assignment.pk)
    assert (saved.team, saved.cadre, saved.role, saved.status) == (
        nanga_team,
        newcomer,
        AssignmentRole.LEADER,
        AssignmentStatus.ON_POST,
    )
    assert Assignment.objects.get(pk=old.pk).role == AssignmentRole.MEMBER
    assert team_roles(nanga_team) == {("pingcuo", Role.TEAM_LEADER), ("nanga-leader", Role.TEAM_MEMBER)}


@pytest.mark.django_db
def test_it_refuses_to_set_the_current_leader_again(county_admin, nanga_team):
    with pytest.raises(ValidationError) as caught:
        services.team_set_leader(actor=county_admin, team=nanga_team, cadre=leader_of(nanga_team).cadre)

    assert messages(caught.value, "cadre") == ["该干部已是本队队长。"]


@pytest.mark.django_db
def test_it_keeps_the_old_leader_when_the_new_one_is_on_another_team(
    county_admin, nanga_team, nanga_leader, free_doilung_village, batch
):
    old = leader_of(nanga_team)
    busy = make_team(village=free_doilung_village, batch=batch, members=1).assignments.get().cadre

    with pytest.raises(ValidationError):
        services.team_set_leader(actor=county_admin, team=nanga_team, cadre=busy)

    assert Assignment.objects.get(pk=old.pk).role == AssignmentRole.LEADER
    assert team_roles(nanga_team) == {("nanga-leader", Role.TEAM_LEADER)}


@pytest.mark.django_db
def test_it_refuses_a_leader_change_by_the_outsider_and_the_leader(outsider, nanga_leader, nanga_team):
    old = leader_of(nanga_team)
    for actor in (outsider, nanga_leader):
        with pytest.raises(PermissionDenied):
            services.team_set_leader(actor=actor, team=nanga_team, cadre=member_of(nanga_team).cadre)

    assert leader_of(nanga_team) == old


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite serialises all writes; the race needs PostgreSQL")
def test_it_ends_a_race_between_two_leader_changes_with_exactly_one_leader(county_admin, nanga_team):
    from django.contrib.auth import get_user_model
    from django.db import connections

    contenders = list(nanga_team.assignments.filter(role=AssignmentRole.MEMBER).values_list("cadre_id", flat=True))
    assert len(contenders) == 2
    barrier = threading.Barrier(len(contenders))
    outcomes: dict[int, str] = {}

    def change_leader(cadre_id: int) -> None:
        try:
            actor = get_user_model().objects.get(pk=county_admin.pk)
            team = WorkTeam.objects.get(pk=nanga_team.pk)
            cadre = Cadre.objects.get(pk=cadre_id)
            barrier.wait(timeout=10)
            services.team_set_leader(actor=actor, team=team, cadre=cadre)
            outcomes[cadre_id] = "leader"
        except ValidationError as error:
            outcomes[cadre_id] = f"refused: {error.messages}"
        except Exception as error:  # the test reports anything else that leaks
            outcomes[cadre_id] = f"LEAKED {type(error).__name__}: {error}"
        finally:
            connections.close_all()

    threads = [threading.Thread(target=change_leader, args=(cadre_id,)) for cadre_id in contenders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert not any(outcome.startswith("LEAKED") for outcome in outcomes.values()), outcomes
    assert len(outcomes) == 2
    leaders = list(nanga_team.assignments.filter(role=AssignmentRole.LEADER).values_list("cadre_id", flat=True))
    assert len(leaders) == 1
    assert leaders[0] in contenders
    assert nanga_team.assignments.filter(role=AssignmentRole.MEMBER).count() == 2


# -- leave ---------------------------------------------------------------------------------------------------


LEAVE_START, LEAVE_END = datetime.date(2026, 1, 10), datetime.date(2026, 1, 16)


def ask(actor, assignment, start=LEAVE_START, end=LEAVE_END, reason="家中有事", leave_type=LeaveType.LEAVE):
    return services.leave_request(
        actor=actor, assignment=assignment, leave_type=leave_type, start_date=start, end_date=end, reason=reason
    )


@pytest.mark.django_db
def test_it_lets_the_leader_ask_leave_for_a_member(nanga_leader, nanga_team):
    member = member_of(nanga_team)

    leave = ask(nanga_leader, member, reason="  孩子生病  ")

    saved = Leave.objects.get(pk=leave.pk)
    assert (saved.assignment, saved.status, saved.requested_by, saved.reason) == (
        member,
        LeaveStatus.PENDING,
        nanga_leader,
        "孩子生病",
    )
    assert (saved.start_date, saved.end_date, saved.leave_type) == (day(1, 10), day(1, 16), LeaveType.LEAVE)
    assert saved.history.get().history_user == nanga_leader


@pytest.mark.django_db
def test_it_refuses_leave_for_a_member_of_another_team(nanga_leader, naipu_team):
    with pytest.raises(PermissionDenied):
        ask(nanga_leader, member_of(naipu_team))

    assert not Leave.objects.exists()


@pytest.mark.django_db
def test_it_refuses_leave_asked_by_a_member_or_the_county_admin(county_admin, nanga_team):
    member_user = with_account(member_of(nanga_team).cadre, "gesang")
    UserRoleFactory(role=Role.TEAM_MEMBER, team=nanga_team, user=member_user)

    for actor in (member_user, county_admin):
        with pytest.raises(PermissionDenied):
            ask(actor, member_of(nanga_team))

    assert not Leave.objects.exists()


@pytest.mark.django_db
def test_it_refuses_leave_for_an_ended_assignment(county_admin, nanga_leader, nanga_team):
    member = member_of(nanga_team)
    services.assignment_end(actor=county_admin, assignment=member, status=AssignmentStatus.RECALLED, end_date=day(1, 4))
    member.refresh_from_db()

    with pytest.raises(ValidationError) as caught:
        ask(nanga_leader, member)

    assert messages(caught.value, "assignment") == ["该干部已不在队，不能请假。"]
    assert not Leave.objects.exists()


@pytest.mark.django_db
def test_it_refuses_leave_for_an_assignment_ended_since_the_caller_loaded_it(county_admin, nanga_leader, nanga_team):
    """Regression: the service trusted the caller's copy of the assignment."""
    stale = member_of(nanga_team)
    services.assignment_end(
        actor=county_admin, assignment=member_of(nanga_team), status=AssignmentStatus.RECALLED, end_date=day(1, 4)
    )

    with pytest.raises(ValidationError) as caught:
        ask(nanga_leader, stale)

    assert messages(caught.value, "assignment") == ["该干部已不在队，不能请假。"]
    assert not Leave.objects.exists()


@pytest.mark.django_db
def test_it_refuses_overlapping_leave_an_empty_reason_and_reversed_dates(nanga_leader, nanga_team):
    member = member_of(nanga_team)
    ask(nanga_leader, member)

    with pytest.raises(ValidationError) as caught:
        ask(nanga_leader, member, start=day(1, 16), end=day(1, 20))
    assert messages(caught.value, "start_date") == ["该时段与已有的请假重叠。"]
    with pytest.raises(ValidationError) as caught:
        ask(nanga_leader, member, start=day(2, 1), end=day(2, 3), reason="   ")
    assert messages(caught.value, "reason") == ["请填写请假事由。"]
    with pytest.raises(ValidationError) as caught:
        ask(nanga_leader, member, start=day(2, 3), end=day(2, 1))
    assert "结束日期不能早于开始日期。" in caught.value.messages

    assert Leave.objects.count() == 1
    # Leave right after the first is fine.
    ask(nanga_leader, member, start=day(1, 17), end=day(1, 20))
    assert Leave.objects.count() == 2


@pytest.mark.django_db
def test_it_approves_leave_and_puts_the_assignment_on_leave_when_it_covers_today(
    time_machine, county_admin, nanga_leader, nanga_team
):
    member = member_of(nanga_team)
    leave = ask(nanga_leader, member, start=day(1, 5), end=day(1, 9))

    services.leave_approve(actor=county_admin, leave=leave, comment="同意")

    saved = Leave.objects.get(pk=leave.pk)
    assert (saved.status, saved.decided_by, saved.decision_comment) == (LeaveStatus.APPROVED, county_admin, "同意")
    assert saved.decided_at == datetime.datetime(2026, 1, 5, 10, 0, tzinfo=SHANGHAI)
    assert Assignment.objects.get(pk=member.pk).status == AssignmentStatus.LEAVE


@pytest.mark.django_db
def test_it_refuses_leave_only_with_a_reason(county_admin, nanga_leader, nanga_team):
    leave = ask(nanga_leader, member_of(nanga_team))

    with pytest.raises(ValidationError) as caught:
        services.leave_refuse(actor=county_admin, leave=leave, comment="  ")
    assert messages(caught.value, "comment") == ["不同意时请填写理由。"]
    assert Leave.objects.get(pk=leave.pk).status == LeaveStatus.PENDING

    services.leave_refuse(actor=county_admin, leave=leave, comment="本周有重要任务")

    saved = Leave.objects.get(pk=leave.pk)
    assert (saved.status, saved.decided_by, saved.decision_comment) == (
        LeaveStatus.REFUSED,
        county_admin,
        "本周有重要任务",
    )
    assert saved.history.latest().history_user == county_admin


@pytest.mark.django_db
def test_it_refuses_to_decide_leave_twice(county_admin, nanga_leader, nanga_team):
    leave = ask(nanga_leader, member_of(nanga_team))
    services.leave_approve(actor=county_admin, leave=leave)

    with pytest.raises(ValidationError) as approved:
        services.leave_approve(actor=county_admin, leave=leave)
    with pytest.raises(ValidationError) as refused:
        services.leave_refuse(actor=county_admin, leave=leave, comment="改主意了")

    assert approved.value.messages == refused.value.messages == ["该申请已批准，不能重复审批。"]
    assert Leave.objects.get(pk=leave.pk).status == LeaveStatus.APPROVED


@pytest.mark.django_db
@pytest.mark.parametrize("person", ["outsider", "auditor", "nanga_leader"])
def test_it_refuses_leave_decisions_by_others(request, nanga_leader, nanga_team, person):
    actor = request.getfixturevalue(person)
    leave = ask(nanga_leader, member_of(nanga_team))

    with pytest.raises(PermissionDenied):
        services.leave_approve(actor=actor, leave=leave)
    with pytest.raises(PermissionDenied):
        services.leave_refuse(actor=actor, leave=leave, comment="不行")

    saved = Leave.objects.get(pk=leave.pk)
    assert (saved.status, saved.decided_by) == (LeaveStatus.PENDING, None)


@pytest.mark.django_db
def test_it_lets_the_leader_or_the_county_admin_cancel_leave_before_it_starts(
    county_admin, nanga_leader, outsider, nanga_team
):
    members = list(nanga_team.assignments.filter(role=AssignmentRole.MEMBER))
    pending = ask(nanga_leader, members[0])
    approved = ask(nanga_leader, members[1])
    services.leave_approve(actor=county_admin, leave=approved)

    with pytest.raises(PermissionDenied):
        services.leave_cancel(actor=outsider, leave=pending)
    services.leave_cancel(actor=nanga_leader, leave=pending)
    services.leave_cancel(actor=county_admin, leave=approved)

    assert Leave.objects.get(pk=pending.pk).status == LeaveStatus.CANCELLED
    assert Leave.objects.get(pk=approved.pk).status == LeaveStatus.CANCELLED
    with pytest.raises(ValidationError):
        services.leave_cancel(actor=nanga_leader, leave=pending)


@pytest.mark.django_db
def test_it_refuses_to_cancel_leave_that_has_started(time_machine, county_admin, nanga_leader, nanga_team):
    leave = ask(nanga_leader, member_of(nanga_team))
    services.leave_approve(actor=county_admin, leave=leave)
    time_machine.move_to(datetime.datetime(2026, 1, 10, 8, 0, tzinfo=SHANGHAI), tick=False)

    with pytest.raises(ValidationError) as caught:
        services.leave_cancel(actor=nanga_leader, leave=leave)

    assert caught.value.messages == ["只能撤销尚未开始的请假。"]
    assert Leave.objects.get(pk=leave.pk).status == LeaveStatus.APPROVED


# -- the daily status sync ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_follows_approved_leave_day_by_day(time_machine, county_admin, nanga_leader, nanga_team):
    members = list(nanga_team.assignments.filter(role=AssignmentRole.MEMBER).order_by("pk"))
    services.leave_approve(actor=county_admin, leave=ask(nanga_leader, members[0]))
    services.leave_approve(
        actor=county_admin,
        leave=ask(nanga_leader, members[1], start=day(1, 12), end=day(1, 20), leave_type=LeaveType.ROTATION),
    )
    # A refused request changes nothing.
    services.leave_refuse(actor=county_admin, leave=ask(nanga_leader, leader_of(nanga_team)), comment="不批")

    def statuses() -> list[str]:
        return [Assignment.objects.get(pk=member.pk).status for member in members]

    assert services.assignment_statuses_sync(today=day(1, 9)) == 0
    assert statuses() == [AssignmentStatus.ON_POST, AssignmentStatus.ON_POST]
    assert services.assignment_statuses_sync(today=day(1, 10)) == 1
    assert statuses() == [AssignmentStatus.LEAVE, AssignmentStatus.ON_POST]
    assert services.assignment_statuses_sync(today=day(1, 12)) == 1
    assert statuses() == [AssignmentStatus.LEAVE, AssignmentStatus.ROTATION]
    assert services.assignment_statuses_sync(today=day(1, 12)) == 0
    assert services.assignment_statuses_sync(today=day(1, 17)) == 1
    assert statuses() == [AssignmentStatus.ON_POST, AssignmentStatus.ROTATION]
    assert services.assignment_statuses_sync(today=day(1, 21)) == 1
    assert statuses() == [AssignmentStatus.ON_POST, AssignmentStatus.ON_POST]
    assert services.assignment_statuses_sync(today=day(1, 21)) == 0
    assert leader_of(nanga_team).status == AssignmentStatus.ON_POST


@pytest.mark.django_db
def test_it_leaves_ended_assignments_alone_in_the_sync(county_admin, nanga_leader, nanga_team):
    member = member_of(nanga_team)
    services.leave_approve(actor=county_admin, leave=ask(nanga_leader, member))
    services.assignment_end(actor=county_admin, assignment=member, status=AssignmentStatus.RECALLED, end_date=day(1, 8))

    assert services.assignment_statuses_sync(today=day(1, 12)) == 0
    assert Assignment.objects.get(pk=member.pk).status == AssignmentStatus.RECALLED


@pytest.mark.django_db(transaction=True)
def test_it_syncs_statuses_outside_any_transaction(county_admin, nanga_leader, nanga_team):
    """Regression: the sync locks rows (select_for_update), which PostgreSQL refuses in autocommit mode, as a
    Celery task runs it; the service opens its own transaction."""
    member = member_of(nanga_team)
    LeaveFactory(
        assignment=member,
        start_date=day(1, 1),
        end_date=day(1, 9),
        status=LeaveStatus.APPROVED,
        requested_by=nanga_leader,
        decided_by=county_admin,
        decided_at=datetime.datetime(2025, 12, 30, tzinfo=SHANGHAI),
    )

    assert services.assignment_statuses_sync(today=day(1, 5)) == 1
    assert Assignment.objects.get(pk=member.pk).status == AssignmentStatus.LEAVE


@pytest.mark.django_db
def test_it_puts_the_end_date_error_of_a_leave_on_the_end_date(nanga_team, nanga_leader):
    from teams.services import leave_request

    member = nanga_team.assignments.filter(role="member").first()
    with pytest.raises(ValidationError) as caught:
        leave_request(
            actor=nanga_leader,
            assignment=member,
            leave_type="leave",
            start_date=datetime.date(2026, 3, 10),
            end_date=datetime.date(2026, 3, 1),
            reason="探亲",
        )
    assert caught.value.message_dict == {"end_date": ["结束日期不能早于开始日期。"]}


@pytest.mark.django_db
def test_it_withdraws_pending_leave_when_the_assignment_ends(nanga_team, nanga_leader, county_admin):
    from teams.services import assignment_end
    from tests.factories import LeaveFactory

    member = nanga_team.assignments.filter(role="member").first()
    leave = LeaveFactory(assignment=member, requested_by=nanga_leader)

    assignment_end(actor=county_admin, assignment=member, status="recalled", end_date=datetime.date(2026, 3, 1))

    leave.refresh_from_db()
    assert leave.status == "cancelled" and "召回" in leave.decision_comment
