"""The cadres API: the county admin of 堆龙德庆区 manages its cadres and may reveal an ID number (recorded); the
auditor, the outsider from 比如县 and the unit liaison only ever see ID numbers and phones masked."""

import datetime
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from teams.api.serializers import CadreSerializer
from teams.models import Cadre
from teams.services import can_see_id_number
from tests.factories import AssignmentFactory, BatchFactory, CadreFactory, UserRoleFactory, free_village, make_team
from zhucun.choices import Role
from zhucun.models import PersonalDataAccess

CADRES = "/api/v1/cadres/"
VALID_ID_NUMBER = "54010319900307009X"  # born 1990-03-07; check character X


@pytest.fixture
def api():
    def signed_in(user) -> APIClient:
        client = APIClient()
        client.force_login(user)
        return client

    return signed_in


@pytest.fixture
def leader_cadre(nanga_team) -> Cadre:
    """The 队长 of the team in 南嘎居委会, managed by 堆龙德庆区."""
    return nanga_team.assignments.get(role="leader").cadre


@pytest.fixture
def naipu_cadre(naipu, batch) -> Cadre:
    """A member of the team in 耐普村, managed by 比如县."""
    return make_team(village=naipu, batch=batch, members=1).assignments.get().cadre


@pytest.fixture
def liaison(nanga_team):
    return UserRoleFactory(role=Role.UNIT_LIAISON, unit=nanga_team.unit, user__username="statistics-liaison").user


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def new_cadre(**overrides) -> dict:
    return {
        "name": "次仁卓嘎",
        "gender": "F",
        "id_number": VALID_ID_NUMBER,
        "phone": "13908901234",
        "home_unit": overrides.pop("home_unit"),
        **overrides,
    }


# -- reading and masking ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_shows_the_county_admin_masked_id_numbers_but_full_phones(api, county_admin, leader_cadre):
    row = api(county_admin).get(f"{CADRES}{leader_cadre.pk}/").json()

    assert row["id_number"] == leader_cadre.masked_id_number
    assert row["id_number"] != leader_cadre.id_number
    assert row["phone"] == leader_cadre.phone
    assert row["birth_date"] == leader_cadre.birth_date.isoformat()
    assert row["id_number_revealable"] is True
    assert row["current_team"] == leader_cadre.assignments.get().team_id
    assert row["current_role"] == "leader"


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["auditor", "liaison", "nanga_leader"])
def test_it_masks_id_numbers_phones_and_birth_dates_for_those_who_may_not_see_them(api, request, who, leader_cadre):
    user = request.getfixturevalue(who)

    response = api(user).get(CADRES)

    row = next(row for row in response.json()["results"] if row["id"] == leader_cadre.pk)
    assert row["id_number"] == leader_cadre.masked_id_number
    assert row["phone"] == leader_cadre.masked_phone
    assert (row["birth_date"], row["birth_year"]) == (None, leader_cadre.birth_date.year)
    assert row["id_number_revealable"] is False
    body = response.content.decode()
    for cadre in Cadre.objects.all():
        assert cadre.id_number not in body
        assert cadre.phone not in body


@pytest.mark.django_db
def test_it_masks_for_the_outsider_a_cadre_who_once_served_in_its_county(
    api, outsider, county_admin, naipu, batch, doilungdeqen
):
    """A cadre who served in 耐普村 last batch and is now managed by 堆龙德庆区: 比如县 still sees the record
    (it served there) but only masked; 堆龙德庆区 sees the phone."""
    last_year = make_team(village=naipu, batch=BatchFactory(number=9), members=1)
    cadre = CadreFactory(area=doilungdeqen, home_unit=last_year.unit)
    AssignmentFactory(
        team=last_year, cadre=cadre, status="finished", end_date=last_year.start_date + datetime.timedelta(days=360)
    )

    theirs = api(outsider).get(f"{CADRES}{cadre.pk}/").json()
    ours = api(county_admin).get(f"{CADRES}{cadre.pk}/").json()

    assert (theirs["id_number"], theirs["phone"], theirs["birth_date"]) == (
        cadre.masked_id_number,
        cadre.masked_phone,
        None,
    )
    assert theirs["id_number_revealable"] is False
    assert (ours["phone"], ours["id_number_revealable"]) == (cadre.phone, True)
    assert api(outsider).post(f"{CADRES}{cadre.pk}/reveal-id-number/").status_code == 403
    assert not PersonalDataAccess.objects.exists()


@pytest.mark.django_db
def test_it_masks_for_a_prefecture_admin_who_may_manage_but_not_see_the_number(api, lhasa, leader_cadre):
    prefecture_admin = UserRoleFactory(role=Role.PREFECTURE_ADMIN, area=lhasa).user

    row = api(prefecture_admin).get(f"{CADRES}{leader_cadre.pk}/").json()

    assert (row["id_number"], row["phone"]) == (leader_cadre.masked_id_number, leader_cadre.masked_phone)


@pytest.mark.django_db
def test_it_masks_exactly_where_the_service_refuses_the_full_number(
    lhasa, region_admin, county_admin, outsider, auditor, leader_cadre, naipu_cadre, rf
):
    """Regression guard: the once-per-request check in the serializer agrees with can_see_id_number."""
    prefecture_admin = UserRoleFactory(role=Role.PREFECTURE_ADMIN, area=lhasa).user
    for user in (region_admin, county_admin, outsider, auditor, prefecture_admin):
        request = rf.get(CADRES)
        request.user = user
        serializer = CadreSerializer(context={"request": request})
        for cadre in (leader_cadre, naipu_cadre):
            assert serializer.sees_personal_data(cadre) == can_see_id_number(user, cadre), (user, cadre)


@pytest.mark.django_db
def test_it_hides_the_cadres_of_another_county_from_the_outsider(api, outsider, leader_cadre, naipu_cadre):
    client = api(outsider)

    assert ids(client.get(CADRES)) == {naipu_cadre.pk}
    assert client.get(f"{CADRES}{leader_cadre.pk}/").status_code == 404
    assert client.patch(f"{CADRES}{leader_cadre.pk}/", {"post": "局长"}, format="json").status_code == 404
    assert client.post(f"{CADRES}{leader_cadre.pk}/reveal-id-number/").status_code == 404
    assert client.get(CADRES, {"area": "540103"}).status_code == 400
    assert not PersonalDataAccess.objects.exists()


@pytest.mark.django_db
def test_it_shows_the_liaison_only_the_cadres_of_its_unit(api, liaison, nanga_team, naipu_cadre):
    assert ids(api(liaison).get(CADRES)) == set(nanga_team.assignments.values_list("cadre_id", flat=True))


@pytest.mark.django_db
def test_it_searches_cadres_by_name_phone_and_full_id_number(api, county_admin, leader_cadre):
    client = api(county_admin)

    assert leader_cadre.pk in ids(client.get(CADRES, {"q": leader_cadre.phone}))
    assert ids(client.get(CADRES, {"q": leader_cadre.id_number})) == {leader_cadre.pk}
    assert ids(client.get(CADRES, {"status": "on_post", "q": leader_cadre.phone})) == {leader_cadre.pk}


@pytest.mark.django_db
def test_it_lists_cadres_in_a_constant_number_of_queries(api, county_admin, batch, django_assert_num_queries):
    for _ in range(15):
        make_team(village=free_village(batch=batch, within="540103"), batch=batch, members=2)
    client = api(county_admin)
    client.get(CADRES, {"page_size": 1})

    with CaptureQueriesContext(connection) as three:
        assert len(ids(client.get(CADRES, {"page_size": 3}))) == 3
    with django_assert_num_queries(len(three)):
        assert len(ids(client.get(CADRES, {"page_size": 30}))) == 30


# -- revealing ----------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_reveals_the_full_id_number_to_the_county_admin_and_records_it(api, county_admin, leader_cadre):
    response = api(county_admin).post(f"{CADRES}{leader_cadre.pk}/reveal-id-number/", REMOTE_ADDR="10.54.1.3")

    assert response.status_code == 200
    assert response.json() == {"id_number": leader_cadre.id_number}
    assert response["Cache-Control"] == "no-store"
    access = PersonalDataAccess.objects.get()
    assert (access.user, access.cadre, access.kind, access.ip_address) == (
        county_admin,
        leader_cadre,
        PersonalDataAccess.Kind.REVEAL_ID_NUMBER,
        "10.54.1.3",
    )


@pytest.mark.django_db
def test_it_reveals_to_the_region_admin(api, region_admin, naipu_cadre):
    response = api(region_admin).post(f"{CADRES}{naipu_cadre.pk}/reveal-id-number/")

    assert response.json() == {"id_number": naipu_cadre.id_number}
    assert PersonalDataAccess.objects.filter(user=region_admin, cadre=naipu_cadre).count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["auditor", "liaison", "nanga_leader"])
def test_it_refuses_to_reveal_to_those_who_may_not_see_it(api, request, who, leader_cadre):
    user = request.getfixturevalue(who)

    response = api(user).post(f"{CADRES}{leader_cadre.pk}/reveal-id-number/")

    assert response.status_code == 403
    assert leader_cadre.id_number not in response.content.decode()
    assert not PersonalDataAccess.objects.exists()


@pytest.mark.django_db
def test_it_does_not_reveal_through_a_get(api, county_admin, leader_cadre):
    assert api(county_admin).get(f"{CADRES}{leader_cadre.pk}/reveal-id-number/").status_code == 405
    assert not PersonalDataAccess.objects.exists()


# -- writing ------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_registers_a_cadre_in_the_county_admins_county(api, county_admin, nanga_team):
    response = api(county_admin).post(CADRES, new_cadre(home_unit=nanga_team.unit_id), format="json")

    assert response.status_code == 201, response.content
    cadre = Cadre.objects.get(pk=response.json()["id"])
    assert (cadre.name, cadre.id_number, cadre.area_id) == ("次仁卓嘎", VALID_ID_NUMBER, "540103")
    assert response.json()["id_number"] == "5401**********009X"
    assert cadre.history.latest().history_user == county_admin


@pytest.mark.django_db
def test_it_accepts_a_lower_case_check_character(api, county_admin, nanga_team):
    body = new_cadre(home_unit=nanga_team.unit_id, id_number=VALID_ID_NUMBER.lower())

    response = api(county_admin).post(CADRES, body, format="json")

    assert response.status_code == 201, response.content
    assert Cadre.objects.filter(id_number=VALID_ID_NUMBER).exists()


@pytest.mark.django_db
def test_it_refuses_an_invalid_id_number_in_chinese(api, county_admin, nanga_team):
    body = new_cadre(home_unit=nanga_team.unit_id, id_number=VALID_ID_NUMBER[:-1] + "1")

    response = api(county_admin).post(CADRES, body, format="json")

    assert response.status_code == 400
    assert response.json() == {"id_number": ["身份证号校验位错误，请核对。"]}
    assert not Cadre.objects.filter(name="次仁卓嘎").exists()


@pytest.mark.django_db
def test_it_refuses_an_id_number_already_registered(api, county_admin, nanga_team, naipu_cadre):
    body = new_cadre(home_unit=nanga_team.unit_id, id_number=naipu_cadre.id_number)

    response = api(county_admin).post(CADRES, body, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["id_number"]
    assert "已登记" in response.json()["id_number"][0]
    assert Cadre.objects.filter(id_number=naipu_cadre.id_number).count() == 1


@pytest.mark.django_db
def test_it_refuses_a_managing_county_outside_the_admins_scope(api, county_admin, nanga_team):
    body = new_cadre(home_unit=nanga_team.unit_id, area="540622")

    response = api(county_admin).post(CADRES, body, format="json")

    assert response.status_code == 400
    assert "area" in response.json()
    assert not Cadre.objects.filter(id_number=VALID_ID_NUMBER).exists()


@pytest.mark.django_db
def test_it_refuses_to_move_a_cadre_to_another_county(api, county_admin, leader_cadre):
    response = api(county_admin).patch(f"{CADRES}{leader_cadre.pk}/", {"area": "540622"}, format="json")

    assert response.status_code in (400, 403)
    assert Cadre.objects.get(pk=leader_cadre.pk).area_id == "540103"


@pytest.mark.django_db
def test_it_changes_a_phone_and_keeps_the_id_number(api, county_admin, leader_cadre):
    response = api(county_admin).patch(f"{CADRES}{leader_cadre.pk}/", {"phone": "13989012345"}, format="json")

    assert response.status_code == 200, response.content
    cadre = Cadre.objects.get(pk=leader_cadre.pk)
    assert (cadre.phone, cadre.id_number) == ("13989012345", leader_cadre.id_number)
    assert response.json()["phone"] == "13989012345"


@pytest.mark.django_db
def test_it_refuses_a_bad_phone_in_chinese(api, county_admin, leader_cadre):
    response = api(county_admin).patch(f"{CADRES}{leader_cadre.pk}/", {"phone": "12345"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"phone": ["手机号码应为以1开头的11位数字。"]}
    assert Cadre.objects.get(pk=leader_cadre.pk).phone == leader_cadre.phone


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["auditor", "liaison", "nanga_leader"])
def test_it_refuses_changes_to_those_who_only_read(api, request, who, nanga_team, leader_cadre):
    client = api(request.getfixturevalue(who))

    assert client.patch(f"{CADRES}{leader_cadre.pk}/", {"post": "局长"}, format="json").status_code == 403
    assert client.post(CADRES, new_cadre(home_unit=nanga_team.unit_id), format="json").status_code in (400, 403)
    assert Cadre.objects.get(pk=leader_cadre.pk).post == leader_cadre.post
    assert not Cadre.objects.filter(id_number=VALID_ID_NUMBER).exists()


@pytest.mark.django_db
def test_it_never_echoes_a_posted_id_number_in_an_error(api, county_admin, nanga_team):
    """A rejected number is personal data too: the 400 names the field, not the value."""
    wrong = VALID_ID_NUMBER[:-1] + "1"

    response = api(county_admin).post(CADRES, new_cadre(home_unit=nanga_team.unit_id, id_number=wrong), format="json")

    assert wrong not in json.dumps(response.json(), ensure_ascii=False)
