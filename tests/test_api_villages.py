"""The read-only catalogue endpoints: areas (every level, within the user's scope), dispatching units, batches."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from teams.models import DispatchingUnit
from tests.factories import BatchFactory, DispatchingUnitFactory, UserFactory, UserRoleFactory
from villages.models import Area
from zhucun.choices import Role

AREAS = "/api/v1/areas/"
UNITS = "/api/v1/dispatching-units/"
BATCHES = "/api/v1/batches/"


@pytest.fixture
def api():
    def signed_in(user) -> APIClient:
        client = APIClient()
        client.force_login(user)
        return client

    return signed_in


def codes(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["code"] for row in response.json()["results"]]


# -- areas --------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_lists_the_county_admins_subtree_only(api, county_admin):
    response = api(county_admin).get(AREAS, {"page_size": 200})

    assert response.json()["count"] == Area.objects.within("540103").count()
    assert all(code.startswith("540103") for code in codes(response))


@pytest.mark.django_db
def test_it_drills_down_by_level_area_and_search(api, county_admin, nanga):
    client = api(county_admin)

    villages = codes(client.get(AREAS, {"level": "village", "area": "540103001", "page_size": 200}))
    assert villages == sorted(Area.objects.villages().within("540103001").values_list("code", flat=True))
    assert codes(client.get(AREAS, {"q": "南嘎"})) == ["540103001002"]
    assert codes(client.get(AREAS, {"q": "540103001002"})) == ["540103001002"]


@pytest.mark.django_db
def test_it_reads_one_area_with_its_full_name(api, county_admin, nanga):
    row = api(county_admin).get(f"{AREAS}{nanga.code}/").json()

    assert row["full_name"] == "堆龙德庆区东嘎街道南嘎居委会"
    assert (row["level"], row["level_display"], row["parent"], row["kind_display"]) == (
        "village",
        "村级",
        "540103001",
        "居委会",
    )


@pytest.mark.django_db
def test_it_hides_another_county_from_the_outsider(api, outsider, nanga):
    client = api(outsider)

    assert client.get(f"{AREAS}{nanga.code}/").status_code == 404
    assert client.get(f"{AREAS}540103/").status_code == 404
    assert client.get(AREAS, {"area": "540103"}).status_code == 400
    assert not any(code.startswith("540103") for code in codes(client.get(AREAS, {"q": "南嘎"})))


@pytest.mark.django_db
def test_it_shows_the_team_leader_only_the_village_of_the_team(api, nanga_leader):
    assert codes(api(nanga_leader).get(AREAS)) == ["540103001002"]


@pytest.mark.django_db
def test_it_shows_a_user_without_a_role_nothing(api, nanga):
    assert codes(api(UserFactory()).get(AREAS)) == []


@pytest.mark.django_db
def test_it_caps_the_page_size_at_200(api, auditor):
    response = api(auditor).get(AREAS, {"page_size": 1000})

    assert len(codes(response)) == 200
    assert response.json()["count"] == Area.objects.count()


@pytest.mark.django_db
def test_it_keeps_areas_read_only(api, region_admin, nanga):
    client = api(region_admin)

    assert client.post(AREAS, {"code": "540103001999", "name": "新村"}, format="json").status_code == 405
    assert client.patch(f"{AREAS}{nanga.code}/", {"name": "改名"}, format="json").status_code == 405
    assert client.delete(f"{AREAS}{nanga.code}/").status_code == 405
    assert Area.objects.get(code=nanga.code).name == "南嘎居委会"


@pytest.mark.django_db
def test_it_lists_areas_in_a_constant_number_of_queries(api, county_admin, django_assert_num_queries):
    client = api(county_admin)
    client.get(AREAS, {"page_size": 1})

    with CaptureQueriesContext(connection) as three:
        assert len(codes(client.get(AREAS, {"page_size": 3, "level": "village"}))) == 3
    with django_assert_num_queries(len(three)):
        assert len(codes(client.get(AREAS, {"page_size": 30, "level": "village"}))) == 30


# -- dispatching units --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_shows_area_admins_every_unit_and_the_liaison_its_own(api, county_admin, outsider, doilungdeqen):
    mine = DispatchingUnitFactory(name="拉萨市堆龙德庆区统计局", area=doilungdeqen)
    other = DispatchingUnitFactory(name="西藏日报社")
    liaison = UserRoleFactory(role=Role.UNIT_LIAISON, unit=mine).user

    def names(user, **params):
        response = api(user).get(UNITS, params)
        assert response.status_code == 200
        return {row["name"] for row in response.json()["results"]}

    assert names(county_admin) >= {mine.name, other.name}
    assert names(outsider) >= {mine.name, other.name}
    assert names(liaison) == {mine.name}
    assert names(county_admin, q="日报") == {other.name}
    assert api(liaison).get(f"{UNITS}{other.pk}/").status_code == 404


@pytest.mark.django_db
def test_it_keeps_units_read_only(api, region_admin):
    unit = DispatchingUnitFactory(name="自治区文化厅")
    client = api(region_admin)

    assert client.post(UNITS, {"name": "新单位", "level": "region"}, format="json").status_code == 405
    assert client.patch(f"{UNITS}{unit.pk}/", {"name": "改名"}, format="json").status_code == 405
    assert DispatchingUnit.objects.get(pk=unit.pk).name == "自治区文化厅"


# -- batches ------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_lists_batches_newest_first_to_anyone_with_a_role(api, nanga_leader, batch):
    BatchFactory(number=9)

    response = api(nanga_leader).get(BATCHES)

    assert [(row["number"], row["name"]) for row in response.json()["results"]] == [(10, "第十批"), (9, "第九批")]
    assert response.json()["results"][0]["start_date"] == "2025-11-01"


@pytest.mark.django_db
def test_it_shows_no_batches_to_a_user_without_a_role(api, batch):
    assert api(UserFactory()).get(BATCHES).json()["results"] == []


@pytest.mark.django_db
def test_it_keeps_batches_read_only(api, region_admin, batch):
    client = api(region_admin)

    assert client.post(BATCHES, {"number": 11}, format="json").status_code == 405
    assert client.delete(f"{BATCHES}{batch.pk}/").status_code == 405
