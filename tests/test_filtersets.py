"""The FilterSets shared by pages and the API, bound as a request of the county admin of 堆龙德庆区 would bind them:
scoped choices, drill-down, search, ordering and the batch filter."""

import datetime

import pytest
from django.test import RequestFactory

from teams.choices import AssignmentRole, AssignmentStatus, LeaveStatus, UnitLevel
from teams.filtersets import (
    AssignmentFilterSet,
    CadreFilterSet,
    DispatchingUnitFilterSet,
    LeaveFilterSet,
    WorkTeamFilterSet,
)
from teams.models import Assignment, Cadre
from teams.selectors import assignment_list, cadre_list, leave_list, team_list, unit_list, village_list
from tests.factories import (
    AssignmentFactory,
    BatchFactory,
    CadreFactory,
    DispatchingUnitFactory,
    LeaveFactory,
    UserRoleFactory,
    id_number,
    make_team,
)
from villages.filtersets import AreaFilterSet
from villages.models import Area
from zhucun.choices import Role

DONGGA = "540103001"  # 东嘎街道, the township of 南嘎居委会


def bind(filterset_class, queryset, user, **params):
    request = RequestFactory().get("/", params)
    request.user = user
    return filterset_class(request.GET, queryset=queryset, request=request)


def listed(filterset) -> list:
    assert filterset.is_valid(), filterset.errors
    return list(filterset.qs.values_list("pk", flat=True))


@pytest.fixture
def stories(batch, nanga_team, naipu, doilungdeqen):
    """The nanga team; a 堆龙德庆区 team of 自治区文化厅 in another township; the nanga village's batch-9 team;
    a team in 耐普村 (比如县)."""
    wenhua = DispatchingUnitFactory(name="自治区文化厅", level=UnitLevel.REGION)
    other_township = Area.objects.villages().within("540103").exclude(code__startswith=DONGGA).order_by("code").first()
    batch9 = BatchFactory(number=9)
    old = make_team(village=nanga_team.village, batch=batch9, unit=nanga_team.unit, members=1)
    old.assignments.update(status=AssignmentStatus.FINISHED, end_date=batch9.end_date)
    return {
        "nanga": nanga_team,
        "wenhua": make_team(village=other_township, batch=batch, unit=wenhua, members=2),
        "old": old,
        "naipu": make_team(village=naipu, batch=batch, unit=DispatchingUnitFactory(name="那曲地区人民医院")),
        "batch9": batch9,
    }


# -- area choices: the user's own subtree, down to townships -----------------------------------------------


FILTERSETS = [
    (WorkTeamFilterSet, lambda user: team_list(user=user)),
    (CadreFilterSet, lambda user: cadre_list(user=user)),
    (AssignmentFilterSet, lambda user: assignment_list(user=user)),
    (LeaveFilterSet, lambda user: leave_list(user=user)),
    (DispatchingUnitFilterSet, lambda user: unit_list(user=user)),
    (AreaFilterSet, lambda user: village_list(user=user)),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("filterset_class", "queryset"), FILTERSETS, ids=[f[0].__name__ for f in FILTERSETS])
def test_it_offers_the_county_admin_only_areas_of_their_county(county_admin, filterset_class, queryset):
    filterset = bind(filterset_class, queryset(county_admin), county_admin)

    offered = {area.code: area.level for area in filterset.form.fields["area"].queryset}

    townships = set(Area.objects.filter(parent_id="540103").values_list("code", flat=True))
    assert set(offered) == {"540103"} | townships
    assert offered["540103"] == "county"
    assert DONGGA in offered


@pytest.mark.django_db
@pytest.mark.parametrize(("filterset_class", "queryset"), FILTERSETS, ids=[f[0].__name__ for f in FILTERSETS])
@pytest.mark.parametrize("code", ["540622", "54", "5401", "540622202", "540103001002"])
def test_it_rejects_an_area_outside_the_offered_choices(county_admin, filterset_class, queryset, code):
    filterset = bind(filterset_class, queryset(county_admin), county_admin, area=code)

    assert not filterset.is_valid()
    assert "area" in filterset.errors


@pytest.mark.django_db
def test_it_offers_the_two_county_user_both_counties(doilungdeqen, biru):
    dawa = UserRoleFactory(role=Role.COUNTY_ADMIN, area=doilungdeqen).user
    UserRoleFactory(role=Role.AUDITOR, area=biru, user=dawa)

    filterset = bind(WorkTeamFilterSet, team_list(user=dawa), dawa, area="540622")

    assert filterset.is_valid(), filterset.errors
    counties = {a.code for a in filterset.form.fields["area"].queryset if a.level == "county"}
    assert counties == {"540103", "540622"}


@pytest.mark.django_db
def test_it_offers_a_team_leader_no_area_and_only_their_unit(nanga_leader, stories):
    filterset = bind(WorkTeamFilterSet, team_list(user=nanga_leader), nanga_leader)

    assert not filterset.form.fields["area"].queryset.exists()
    assert list(filterset.form.fields["unit"].queryset) == [stories["nanga"].unit]


# -- drill-down --------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_drills_teams_down_to_a_township(county_admin, stories):
    everyone = bind(WorkTeamFilterSet, team_list(user=county_admin), county_admin, area="540103")
    dongga = bind(WorkTeamFilterSet, team_list(user=county_admin), county_admin, area=DONGGA)

    assert set(listed(everyone)) == {stories["nanga"].pk, stories["wenhua"].pk, stories["old"].pk}
    assert set(listed(dongga)) == {stories["nanga"].pk, stories["old"].pk}


@pytest.mark.django_db
def test_it_drills_assignments_leave_units_and_villages_down_to_a_township(county_admin, stories, doilungdeqen):
    nanga_member = stories["nanga"].assignments.filter(role=AssignmentRole.MEMBER).first()
    wenhua_member = stories["wenhua"].assignments.first()
    nanga_leave = LeaveFactory(assignment=nanga_member)
    LeaveFactory(assignment=wenhua_member)
    DispatchingUnitFactory(name="堆龙德庆区教育局", level=UnitLevel.COUNTY, area=doilungdeqen)

    assignments = bind(AssignmentFilterSet, assignment_list(user=county_admin), county_admin, area=DONGGA)
    leave = bind(LeaveFilterSet, leave_list(user=county_admin), county_admin, area=DONGGA)
    units = bind(DispatchingUnitFilterSet, unit_list(user=county_admin), county_admin, area="540103")
    villages = bind(AreaFilterSet, village_list(user=county_admin), county_admin, area=DONGGA)

    assert set(listed(assignments)) == set(
        Assignment.objects.filter(team__in=[stories["nanga"], stories["old"]]).values_list("pk", flat=True)
    )
    assert listed(leave) == [nanga_leave.pk]
    # Units located in the county: 拉萨市堆龙德庆区统计局 (the nanga fixture's) and 堆龙德庆区教育局.
    assert {unit.name for unit in units.qs} == {"拉萨市堆龙德庆区统计局", "堆龙德庆区教育局"}
    assert all(code.startswith(DONGGA) for code in listed(villages))
    assert stories["nanga"].village_id in listed(villages)


# -- search ------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_searches_teams_by_village_team_and_unit_name(county_admin, stories):
    def search(q):
        return set(listed(bind(WorkTeamFilterSet, team_list(user=county_admin), county_admin, q=q)))

    assert search("南嘎") == {stories["nanga"].pk, stories["old"].pk}
    assert search("文化厅") == {stories["wenhua"].pk}
    assert search(stories["wenhua"].village.name) == {stories["wenhua"].pk}
    assert search("耐普") == set()  # 比如县's team stays out of scope whatever the search
    assert search("  ") == search("") == {stories["nanga"].pk, stories["wenhua"].pk, stories["old"].pk}


def x_id_number() -> str:
    """A valid ID number whose check character is X."""
    serial = 0
    while True:
        number = id_number(area="540103", birth=datetime.date(1990, 2, 3), serial=serial, male=False)
        if number.endswith("X"):
            return number
        serial += 1


@pytest.mark.django_db
def test_it_searches_cadres_by_name_whole_phone_and_whole_id_number(county_admin, nanga_team):
    cadre = CadreFactory(name="拉巴次仁", phone="13989012345", id_number=x_id_number())
    AssignmentFactory(team=nanga_team, cadre=cadre)

    def search(q):
        return listed(bind(CadreFilterSet, cadre_list(user=county_admin), county_admin, q=q))

    assert search("巴次") == [cadre.pk]
    assert search("13989012345") == [cadre.pk]
    assert search(cadre.id_number) == [cadre.pk]
    assert search(cadre.id_number.lower()) == [cadre.pk]
    assert search(f" {cadre.id_number.lower()} ") == [cadre.pk]
    # Parts of a phone or ID number find nobody: the masked digits cannot be probed one by one.
    assert search("1398901") == []
    assert search("139") == []
    assert search(cadre.id_number[:10]) == []


@pytest.mark.django_db
def test_it_never_finds_a_cadre_outside_the_scope_by_id_number(county_admin, naipu):
    stranger = CadreFactory(name="布琼", id_area="540622")

    found = listed(bind(CadreFilterSet, cadre_list(user=county_admin), county_admin, q=stranger.id_number))

    assert found == []


@pytest.mark.django_db
def test_it_searches_units_and_areas(county_admin, stories):
    units = listed(bind(DispatchingUnitFilterSet, unit_list(user=county_admin), county_admin, q="文化"))
    by_name = listed(bind(AreaFilterSet, village_list(user=county_admin), county_admin, q="南嘎"))
    by_code = listed(bind(AreaFilterSet, village_list(user=county_admin), county_admin, q="540103001002"))

    assert units == [stories["wenhua"].unit_id]
    assert by_name == by_code == ["540103001002"]


# -- ordering and the other filters ------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_orders_teams_by_the_ordering_parameter(county_admin, stories):
    def order(ordering):
        return listed(bind(WorkTeamFilterSet, team_list(user=county_admin), county_admin, ordering=ordering))

    nanga, wenhua, old = stories["nanga"].pk, stories["wenhua"].pk, stories["old"].pk
    assert order("batch,village") == [old, nanga, wenhua]
    assert order("-batch,-village") == [wenhua, nanga, old]
    by_unit = order("unit,batch")
    assert by_unit[:2] == [old, nanga] or by_unit[1:] == [old, nanga]
    assert by_unit == order("-unit,-batch")[::-1]
    assert not bind(WorkTeamFilterSet, team_list(user=county_admin), county_admin, ordering="secret").is_valid()


@pytest.mark.django_db
def test_it_orders_cadres_by_name_either_way(county_admin, nanga_team):
    def names(ordering):
        pks = listed(bind(CadreFilterSet, cadre_list(user=county_admin), county_admin, ordering=ordering))
        by_pk = dict(Cadre.objects.values_list("pk", "name"))
        return [by_pk[pk] for pk in pks]

    ascending = names("name")

    assert len(ascending) == 4
    assert ascending == sorted(ascending)
    assert names("-name") == ascending[::-1]


@pytest.mark.django_db
def test_it_filters_by_batch(county_admin, stories):
    batch9 = stories["batch9"]

    teams = listed(bind(WorkTeamFilterSet, team_list(user=county_admin), county_admin, batch=batch9.pk))
    cadres = listed(bind(CadreFilterSet, cadre_list(user=county_admin), county_admin, batch=batch9.pk))
    assignments = listed(bind(AssignmentFilterSet, assignment_list(user=county_admin), county_admin, batch=batch9.pk))
    villages = listed(bind(AreaFilterSet, village_list(user=county_admin), county_admin, batch=batch9.pk))

    assert teams == [stories["old"].pk]
    assert cadres == [stories["old"].assignments.get().cadre_id]
    assert assignments == [stories["old"].assignments.get().pk]
    assert villages == [stories["nanga"].village_id]


@pytest.mark.django_db
def test_it_lists_a_cadre_once_whatever_the_batches_joined(county_admin, stories):
    """A cadre who served twice in batch 10 (recalled, then sent again) is one row, not two."""
    cadre = stories["wenhua"].assignments.first().cadre
    Assignment.objects.filter(cadre=cadre).update(status=AssignmentStatus.RECALLED, end_date=datetime.date(2026, 1, 1))
    AssignmentFactory(team=stories["wenhua"], cadre=cadre, start_date=datetime.date(2026, 1, 2))

    cadres = listed(bind(CadreFilterSet, cadre_list(user=county_admin), county_admin, batch=stories["nanga"].batch_id))

    assert cadres.count(cadre.pk) == 1


@pytest.mark.django_db
def test_it_filters_cadres_by_current_status_and_assignments_by_role(county_admin, stories):
    away = stories["nanga"].assignments.filter(role=AssignmentRole.MEMBER).first()
    Assignment.objects.filter(pk=away.pk).update(status=AssignmentStatus.LEAVE)

    on_leave = listed(bind(CadreFilterSet, cadre_list(user=county_admin), county_admin, status="leave"))
    leaders = listed(bind(AssignmentFilterSet, assignment_list(user=county_admin), county_admin, role="leader"))
    bad = bind(CadreFilterSet, cadre_list(user=county_admin), county_admin, status="holiday")

    assert on_leave == [away.cadre_id]
    assert set(leaders) == set(
        Assignment.objects.filter(team__village__pk__startswith="540103", role="leader").values_list("pk", flat=True)
    )
    assert not bad.is_valid()


@pytest.mark.django_db
def test_it_filters_leave_by_status_and_dates(county_admin, nanga_leader, stories):
    member = stories["nanga"].assignments.filter(role=AssignmentRole.MEMBER).first()
    january = LeaveFactory(
        assignment=member, start_date=datetime.date(2026, 1, 10), end_date=datetime.date(2026, 1, 16)
    )
    march = LeaveFactory(
        assignment=member,
        start_date=datetime.date(2026, 3, 1),
        end_date=datetime.date(2026, 3, 5),
        status=LeaveStatus.APPROVED,
        decided_by=county_admin,
        decided_at=datetime.datetime(2026, 2, 1, tzinfo=datetime.UTC),
    )

    def leave(**params):
        return set(listed(bind(LeaveFilterSet, leave_list(user=county_admin), county_admin, **params)))

    assert leave(status="pending") == {january.pk}
    assert leave(start_after="2026-01-16") == {january.pk, march.pk}
    assert leave(start_after="2026-01-17") == {march.pk}
    assert leave(start_before="2026-01-31") == {january.pk}
    assert leave(team=stories["nanga"].pk) == {january.pk, march.pk}
    assert leave(team=stories["naipu"].pk) == set()
