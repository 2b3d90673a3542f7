"""Cadre pages: the list, a cadre's page with its masked ID number and the recorded "show" action, the
register and edit forms, and adding a cadre to a team.

People: the county admin of 堆龙德庆区 (manages the county's cadres and may see their ID numbers after
pressing "显示完整身份证号"), the outsider (county admin of 比如县), the leader of the team in 南嘎居委会, a
region auditor (reads, never sees a full ID number), the prefecture admin of 拉萨市 (manages, but SPEC.md gives
full ID numbers only to the county and the region).
"""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from teams import services
from teams.choices import AssignmentRole, AssignmentStatus
from teams.models import Assignment, Cadre
from tests.factories import (
    AssignmentFactory,
    CadreFactory,
    DispatchingUnitFactory,
    UserRoleFactory,
    id_number,
    make_team,
)
from villages.models import Area
from zhucun.choices import Role
from zhucun.models import PersonalDataAccess

pytestmark = pytest.mark.django_db

# A valid ID number (GB 11643 check character) for a man born 1990-05-17 in 堆龙德庆区.
NEW_ID = id_number(area="540103", birth=datetime.date(1990, 5, 17), serial=401, male=True)


@pytest.fixture
def member(nanga_team) -> Cadre:
    cadre = nanga_team.assignments.filter(role=AssignmentRole.MEMBER).first().cadre
    cadre.name = "格桑次仁"
    cadre.save()
    return cadre


@pytest.fixture
def biru_cadre(batch, naipu) -> Cadre:
    team = make_team(village=naipu, batch=batch, members=1)
    cadre = team.assignments.get().cadre
    cadre.name = "比如干部"
    cadre.save()
    return cadre


@pytest.fixture
def lhasa_admin(lhasa):
    return UserRoleFactory(role=Role.PREFECTURE_ADMIN, area=lhasa, user__username="lhasa-admin").user


def get(client, user, url, **params):
    client.force_login(user)
    return client.get(url, params)


def html(response) -> str:
    return response.content.decode()


def cadre_data(**overrides) -> dict:
    data = {
        "name": "央宗",
        "gender": "F",
        "ethnicity": "藏族",
        "birth_date": "1990-05-17",
        "id_number": NEW_ID,
        "phone": "13908912345",
        "political_status": "cpc",
        "education": "bachelor",
        "area": "540103",
        "home_unit": "",
        "post": "科员",
        "rank": "四级主任科员",
    }
    data.update(overrides)
    return data


# -- the list -----------------------------------------------------------------------------------------------


def test_it_lists_the_county_cadres_with_masked_id_numbers(client, county_admin, member, biru_cadre):
    page = html(get(client, county_admin, reverse("teams:cadre_list")))
    assert "格桑次仁" in page
    assert "比如干部" not in page
    assert member.masked_id_number in page
    assert member.id_number not in page
    assert member.phone in page  # the county may read its cadres' phones


def test_it_keeps_the_county_cadres_from_the_outsider(client, outsider, member, biru_cadre):
    page = html(get(client, outsider, reverse("teams:cadre_list")))
    assert "比如干部" in page
    assert "格桑次仁" not in page
    response = get(client, outsider, reverse("teams:cadre_list"), area="540103")
    assert "格桑次仁" not in html(response)
    assert list(response.context["object_list"]) == []
    assert "540103" not in dict(response.context["filter_form"]["area"].field.widget.choices)


def test_it_masks_phones_in_the_list_for_the_auditor(client, auditor, member):
    page = html(get(client, auditor, reverse("teams:cadre_list"), q="格桑次仁"))
    assert "格桑次仁" in page
    assert member.masked_phone in page
    assert member.phone not in page
    assert member.id_number not in page


def test_it_finds_a_cadre_by_phone_and_by_full_id_number(client, county_admin, member):
    by_phone = get(client, county_admin, reverse("teams:cadre_list"), q=member.phone)
    assert [cadre.pk for cadre in by_phone.context["object_list"]] == [member.pk]
    by_id = get(client, county_admin, reverse("teams:cadre_list"), q=member.id_number.lower())
    assert [cadre.pk for cadre in by_id.context["object_list"]] == [member.pk]


def test_it_filters_cadres_by_current_status(client, county_admin, nanga_team, member):
    Assignment.objects.filter(cadre=member).update(status=AssignmentStatus.LEAVE)
    response = get(client, county_admin, reverse("teams:cadre_list"), status=AssignmentStatus.LEAVE)
    assert [cadre.pk for cadre in response.context["object_list"]] == [member.pk]


def test_it_shows_the_leader_only_their_teams_cadres(client, nanga_leader, member, biru_cadre, batch):
    other = make_team(within="540103", batch=batch, members=1).assignments.get().cadre
    page = html(get(client, nanga_leader, reverse("teams:cadre_list")))
    assert "格桑次仁" in page
    assert reverse("teams:cadre_detail", args=[other.pk]) not in page
    assert reverse("teams:cadre_create") not in page


def test_it_runs_as_many_queries_for_twenty_cadres_as_for_three(
    client, county_admin, batch, django_assert_max_num_queries
):
    team = make_team(within="540103", batch=batch, members=3)
    client.force_login(county_admin)
    with CaptureQueriesContext(connection) as three:
        assert len(client.get(reverse("teams:cadre_list")).context["object_list"]) == 3
    for _ in range(17):
        AssignmentFactory(team=team)
    with django_assert_max_num_queries(len(three)):
        assert len(client.get(reverse("teams:cadre_list")).context["object_list"]) == 20


# -- a cadre's page and the ID number --------------------------------------------------------------------


def test_it_never_shows_the_auditor_the_full_id_number(client, auditor, member):
    page = html(get(client, auditor, reverse("teams:cadre_detail", args=[member.pk])))
    assert "格桑次仁" in page
    assert member.masked_id_number in page
    assert member.id_number not in page
    assert member.phone not in page
    assert "显示完整身份证号" not in page
    client.force_login(auditor)
    response = client.post(reverse("teams:cadre_reveal_id", args=[member.pk]))
    assert response.status_code == 403
    assert member.id_number not in html(response)
    assert not PersonalDataAccess.objects.exists()


def test_it_answers_404_to_the_outsider_for_a_county_cadre(client, outsider, member):
    assert get(client, outsider, reverse("teams:cadre_detail", args=[member.pk])).status_code == 404
    assert get(client, outsider, reverse("teams:cadre_update", args=[member.pk])).status_code == 404
    response = client.post(reverse("teams:cadre_reveal_id", args=[member.pk]))
    assert response.status_code == 404
    assert member.id_number not in html(response)
    assert not PersonalDataAccess.objects.exists()


def test_it_reveals_the_id_number_to_the_county_admin_only_after_the_post_and_records_it(client, county_admin, member):
    url = reverse("teams:cadre_detail", args=[member.pk])
    page = html(get(client, county_admin, url))
    assert member.masked_id_number in page
    assert member.id_number not in page
    assert "显示完整身份证号" in page
    assert not PersonalDataAccess.objects.exists()

    response = client.post(reverse("teams:cadre_reveal_id", args=[member.pk]))
    assert response.status_code == 200
    assert member.id_number in html(response)
    assert "no-store" in response["Cache-Control"]
    access = PersonalDataAccess.objects.get()
    assert (access.user, access.cadre, access.kind) == (county_admin, member, PersonalDataAccess.Kind.REVEAL_ID_NUMBER)

    assert member.id_number not in html(client.get(url))


def test_it_does_not_reveal_on_a_get(client, county_admin, member):
    response = get(client, county_admin, reverse("teams:cadre_reveal_id", args=[member.pk]))
    assert response.status_code == 405
    assert not PersonalDataAccess.objects.exists()


def test_it_refuses_the_prefecture_admin_the_full_id_number(client, lhasa_admin, member):
    page = html(get(client, lhasa_admin, reverse("teams:cadre_detail", args=[member.pk])))
    assert "格桑次仁" in page and "显示完整身份证号" not in page
    assert member.phone not in page
    assert client.post(reverse("teams:cadre_reveal_id", args=[member.pk])).status_code == 403
    assert not PersonalDataAccess.objects.exists()


def test_it_lets_the_leader_see_a_member_but_not_edit(client, nanga_leader, member):
    page = html(get(client, nanga_leader, reverse("teams:cadre_detail", args=[member.pk])))
    assert "格桑次仁" in page and member.id_number not in page
    assert "变更记录" not in page
    assert get(client, nanga_leader, reverse("teams:cadre_update", args=[member.pk])).status_code == 403
    assert get(client, nanga_leader, reverse("teams:cadre_create")).status_code == 403


def test_it_shows_assignments_over_the_batches(client, county_admin, member, nanga_team, nanga):
    from tests.factories import BatchFactory

    batch9 = BatchFactory(number=9)
    old = make_team(village=nanga, batch=batch9, unit=nanga_team.unit, members=1)
    old.assignments.update(status=AssignmentStatus.FINISHED, end_date=batch9.end_date)
    AssignmentFactory(
        team=old, cadre=member, status=AssignmentStatus.FINISHED, end_date=batch9.end_date, start_date=old.start_date
    )
    page = html(get(client, county_admin, reverse("teams:cadre_detail", args=[member.pk])))
    assert "第九批" in page and "第十批" in page
    assert "期满" in page


def test_it_masks_id_numbers_and_phones_in_the_history(client, county_admin, auditor, member):
    old_id, old_phone = member.id_number, member.phone
    services.cadre_update(actor=county_admin, cadre=member, id_number=NEW_ID, phone="13908912345")
    # The county admin reads the current phone in the record itself, never in the history.
    for user, secrets in (
        (county_admin, (old_id, NEW_ID, old_phone)),
        (auditor, (old_id, NEW_ID, old_phone, "13908912345")),
    ):
        page = html(get(client, user, reverse("teams:cadre_detail", args=[member.pk])))
        assert "变更记录" in page and "身份证号" in page
        for secret in secrets:
            assert secret not in page
        assert Cadre(id_number=NEW_ID).masked_id_number in page
        assert "139****2345" in page


# -- register and edit --------------------------------------------------------------------------------------


def test_it_registers_a_cadre_through_the_form(client, county_admin, doilungdeqen):
    unit = DispatchingUnitFactory(name="堆龙德庆区农业农村局", level="county", area=doilungdeqen)
    client.force_login(county_admin)
    assert "堆龙德庆区农业农村局" in html(client.get(reverse("teams:cadre_create")))
    response = client.post(reverse("teams:cadre_create"), cadre_data(home_unit=unit.pk, area=""))
    cadre = Cadre.objects.get(id_number=NEW_ID)
    assert response.status_code == 302
    assert response["Location"] == reverse("teams:cadre_detail", args=[cadre.pk])
    assert (cadre.name, cadre.gender, cadre.home_unit, cadre.area_id) == ("央宗", "F", unit, "540103")
    assert cadre.birth_date == datetime.date(1990, 5, 17)
    assert cadre.rank == "四级主任科员"


def test_it_shows_a_bad_id_number_next_to_the_field_and_keeps_the_rest(client, county_admin, doilungdeqen):
    unit = DispatchingUnitFactory(level="county", area=doilungdeqen)
    bad = NEW_ID[:17] + ("0" if NEW_ID[17] != "0" else "1")
    client.force_login(county_admin)
    response = client.post(reverse("teams:cadre_create"), cadre_data(home_unit=unit.pk, id_number=bad))
    page = html(response)
    assert response.status_code == 200
    assert '<small class="field-error" id="id_id_number_error">身份证号校验位错误，请核对。</small>' in page
    assert 'aria-invalid="true"' in page
    for typed in (
        'value="央宗"',
        'value="13908912345"',
        'value="四级主任科员"',
        'value="1990-05-17"',
        f'value="{bad}"',
    ):
        assert typed in page
    assert f'<option value="{unit.pk}" selected>' in page
    assert not Cadre.objects.filter(name="央宗").exists()


def test_it_reports_a_registered_id_number_on_the_field(client, county_admin, member):
    client.force_login(county_admin)
    response = client.post(
        reverse("teams:cadre_create"), cadre_data(home_unit=member.home_unit_id, id_number=member.id_number)
    )
    assert response.status_code == 200
    assert "该身份证号已登记" in " ".join(response.context["form"].errors["id_number"])
    # The page echoes what the admin typed, and nothing more: no other cadre's data.
    assert Cadre.objects.filter(id_number=member.id_number).count() == 1


def test_it_refuses_to_register_a_cadre_for_another_county(client, county_admin, biru):
    unit = DispatchingUnitFactory()
    client.force_login(county_admin)
    response = client.post(reverse("teams:cadre_create"), cadre_data(home_unit=unit.pk, area=biru.code))
    assert response.status_code == 200
    assert response.context["form"].errors["area"]
    assert not Cadre.objects.filter(id_number=NEW_ID).exists()


def test_it_edits_a_cadre_without_showing_or_losing_the_id_number(client, county_admin, member):
    client.force_login(county_admin)
    url = reverse("teams:cadre_update", args=[member.pk])
    form = html(client.get(url))
    assert member.id_number not in form
    assert member.masked_id_number in form
    data = cadre_data(
        name="格桑次仁",
        gender=member.gender,
        id_number="",
        phone=member.phone,
        home_unit=member.home_unit_id,
        birth_date="",
        post="副科长",
    )
    response = client.post(url, data)
    assert response.status_code == 302
    updated = Cadre.objects.get(pk=member.pk)
    assert updated.id_number == member.id_number
    assert updated.post == "副科长"
    assert updated.history.first().history_user == county_admin


def test_it_forbids_the_auditor_the_cadre_forms(client, auditor, member):
    assert get(client, auditor, reverse("teams:cadre_create")).status_code == 403
    assert get(client, auditor, reverse("teams:cadre_update", args=[member.pk])).status_code == 403
    assert client.post(reverse("teams:cadre_update", args=[member.pk]), cadre_data()).status_code == 403


# -- adding a cadre to a team ----------------------------------------------------------------------------


def test_it_adds_a_free_cadre_to_a_team(client, county_admin, nanga_team, doilungdeqen):
    free = CadreFactory(name="新来的", area=doilungdeqen)
    client.force_login(county_admin)
    url = reverse("teams:assignment_create", args=[nanga_team.pk])
    form = html(client.get(url, {"cadre": free.pk}))
    assert f'<option value="{free.pk}" selected>' in form
    response = client.post(url, {"cadre": free.pk, "role": AssignmentRole.MEMBER, "start_date": "2026-02-01"})
    assert response.status_code == 302
    assignment = Assignment.objects.get(cadre=free)
    assert (assignment.team, assignment.role, assignment.status) == (nanga_team, "member", "on_post")
    assert assignment.start_date == datetime.date(2026, 2, 1)


def test_it_does_not_offer_a_cadre_already_on_a_team(client, county_admin, nanga_team, batch):
    busy = make_team(within="540103", batch=batch, members=1).assignments.get().cadre
    client.force_login(county_admin)
    url = reverse("teams:assignment_create", args=[nanga_team.pk])
    assert f'value="{busy.pk}"' not in html(client.get(url))
    response = client.post(url, {"cadre": busy.pk, "role": AssignmentRole.MEMBER})
    assert response.status_code == 200
    assert response.context["form"].errors["cadre"]
    assert busy.assignments.count() == 1


def test_it_registers_a_cadre_from_the_team_page_and_comes_back(client, county_admin, nanga_team, doilungdeqen):
    unit = DispatchingUnitFactory(level="county", area=doilungdeqen)
    client.force_login(county_admin)
    create = f"{reverse('teams:cadre_create')}?team={nanga_team.pk}"
    assert create.replace("&", "&amp;") in html(client.get(reverse("teams:assignment_create", args=[nanga_team.pk])))
    response = client.post(create, cadre_data(home_unit=unit.pk))
    cadre = Cadre.objects.get(id_number=NEW_ID)
    assert response["Location"] == f"{reverse('teams:assignment_create', args=[nanga_team.pk])}?cadre={cadre.pk}"
    assert f'<option value="{cadre.pk}" selected>' in html(client.get(response["Location"]))


def test_it_finds_a_cadre_of_another_county_by_search(client, county_admin, nanga_team, biru):
    """A cadre managed by 比如县 who is on no team is not visible to 堆龙德庆区: search does not find them."""
    stranger = CadreFactory(name="外县干部", area=biru, id_area="540622")
    client.force_login(county_admin)
    url = reverse("teams:assignment_create", args=[nanga_team.pk])
    page = html(client.post(url, {"_refresh": "1", "q": "外县干部"}))
    assert f'value="{stranger.pk}"' not in page
    assert Area.objects.filter(pk="540622").exists()


def test_it_asks_an_admin_above_a_county_which_county_manages_the_cadre(client, region_admin):
    unit = DispatchingUnitFactory()
    client.force_login(region_admin)
    response = client.post(reverse("teams:cadre_create"), cadre_data(home_unit=unit.pk, area=""))
    assert response.status_code == 200
    assert response.context["form"].errors["area"] == ["请选择管理该干部的县（区）。"]
    assert 'id="id_area_error"' in html(response)
    assert not Cadre.objects.filter(id_number=NEW_ID).exists()


def test_it_shows_the_liaison_only_the_cadres_its_unit_sent(client, nanga_team, member, biru_cadre, batch):
    liaison = UserRoleFactory(role=Role.UNIT_LIAISON, unit=nanga_team.unit).user
    other = make_team(within="540103", batch=batch, members=1).assignments.get().cadre
    response = get(client, liaison, reverse("teams:cadre_list"))
    cadres = set(response.context["object_list"])
    assert member in cadres
    assert other not in cadres and biru_cadre not in cadres
    assert member.id_number not in html(response) and member.phone not in html(response)
    assert get(client, liaison, reverse("teams:cadre_detail", args=[other.pk])).status_code == 404
