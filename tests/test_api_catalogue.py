"""The catalogue API: indicators and activity types. Everybody signed in with a role reads them (the leader of the
team in 南嘎居委会 needs them for the report form); only the region admin adds, changes, retires and reorders
indicators; activity types are read-only here (region admins keep them in the Django admin)."""

import pytest
from rest_framework.test import APIClient

from reports.models import Indicator
from tests.factories import BatchFactory, IndicatorFactory, MonthlyReportFactory, ReportValueFactory, UserFactory

INDICATORS = "/api/v1/indicators/"
TYPES = "/api/v1/activity-types/"
pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    def signed_in(user) -> APIClient:
        client = APIClient()
        client.force_login(user)
        return client

    return signed_in


def codes(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["code"] for row in response.json()]


def new_indicator(**fields) -> dict:
    return {"code": "S20", "name": "开展国家通用语言培训", "unit": "场次", "category": "stability"} | fields


# -- reading -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["nanga_leader", "auditor", "outsider", "county_admin"])
def test_it_shows_the_whole_catalogue_in_report_order_to_everybody_with_a_role(api, request, who):
    response = api(request.getfixturevalue(who)).get(INDICATORS)

    listed = codes(response)
    assert len(listed) == Indicator.objects.count() == 51
    assert listed[:3] == ["P01", "P02", "P03"]
    p02 = response.json()[1]
    assert (p02["name"], p02["unit"], p02["category_display"], p02["duty_title"], p02["value_type"]) == (
        "组织召开宣讲大会",
        "场次",
        "宣传教育",
        "政策讲解员",
        "integer",
    )


def test_it_shows_nothing_to_a_user_without_a_role(api):
    client = api(UserFactory())

    assert client.get(INDICATORS).json() == []
    assert client.get(f"{INDICATORS}P01/").status_code == 404
    assert client.get(TYPES).json() == []
    assert APIClient().get(INDICATORS).status_code == 403


def test_it_filters_indicators_by_category_batch_and_text(api, auditor, batch):
    eleventh = BatchFactory(number=11)
    Indicator.objects.filter(code="P01").update(active_until_batch=batch)
    client = api(auditor)

    assert codes(client.get(INDICATORS, {"category": "party_building"}))[0] == "D01"
    assert "P01" in codes(client.get(INDICATORS, {"batch": batch.pk}))
    assert "P01" not in codes(client.get(INDICATORS, {"batch": eleventh.pk}))
    assert codes(client.get(INDICATORS, {"q": "宣讲大会"})) == ["P02"]
    assert client.get(INDICATORS, {"category": "sports"}).status_code == 400


def test_it_shows_what_each_activity_type_prefills(api, nanga_leader):
    response = api(nanga_leader).get(TYPES)

    assert response.status_code == 200
    talk = next(row for row in response.json() if row["name"] == "宣讲会")
    assert [(m["indicator"], m["source"]) for m in talk["indicators"]] == [("P02", "count"), ("P06", "participants")]
    assert talk["is_active"] is True


def test_it_keeps_activity_types_read_only(api, region_admin):
    client = api(region_admin)
    talk = next(row for row in client.get(TYPES).json() if row["name"] == "宣讲会")

    assert client.post(TYPES, {"name": "新类型"}, format="json").status_code == 405
    assert client.patch(f"{TYPES}{talk['id']}/", {"name": "改"}, format="json").status_code == 405


# -- the region admin's catalogue ----------------------------------------------------------------------------


def test_it_lets_the_region_admin_add_an_indicator_at_the_end(api, region_admin):
    response = api(region_admin).post(INDICATORS, new_indicator(part_of="S01"), format="json")

    assert response.status_code == 201, response.content
    indicator = Indicator.objects.get(code="S20")
    assert (indicator.name, indicator.part_of.code, indicator.value_type) == ("开展国家通用语言培训", "S01", "integer")
    assert indicator.sort_order > Indicator.objects.exclude(pk=indicator.pk).order_by("-sort_order")[0].sort_order
    assert response.json()["part_of_name"] == indicator.part_of.name


def test_it_refuses_a_duplicate_code_and_an_unknown_total(api, region_admin):
    client = api(region_admin)

    assert "code" in client.post(INDICATORS, new_indicator(code="P01"), format="json").json()
    assert "part_of" in client.post(INDICATORS, new_indicator(part_of="Z99"), format="json").json()
    assert not Indicator.objects.filter(code="S20").exists()


@pytest.mark.parametrize("who", ["county_admin", "auditor", "nanga_leader"])
def test_it_refuses_catalogue_changes_to_everybody_but_the_region_admin(api, request, who, batch):
    client = api(request.getfixturevalue(who))

    assert client.post(INDICATORS, new_indicator(), format="json").status_code == 403
    assert client.patch(f"{INDICATORS}P01/", {"name": "改"}, format="json").status_code == 403
    assert client.post(f"{INDICATORS}P01/retire/", {"last_batch": batch.pk}, format="json").status_code == 403
    assert client.post(f"{INDICATORS}reorder/", {"codes": ["P02", "P01"]}, format="json").status_code == 403
    p01 = Indicator.objects.get(code="P01")
    assert (p01.name, p01.active_until_batch, Indicator.objects.filter(code="S20").exists()) == (
        "入户宣传",
        None,
        False,
    )
    assert list(Indicator.objects.values_list("code", flat=True)[:2]) == ["P01", "P02"]


def test_it_lets_the_region_admin_rename_but_not_recode_an_indicator_in_use(api, region_admin, nanga_team):
    ReportValueFactory(report=MonthlyReportFactory(team=nanga_team), indicator=IndicatorFactory(code="P03"))
    client = api(region_admin)

    renamed = client.patch(f"{INDICATORS}P03/", {"name": "开辟专题宣传栏（期）"}, format="json")
    recoded = client.patch(f"{INDICATORS}P03/", {"code": "P33"}, format="json")

    assert renamed.status_code == 200 and renamed.json()["name"] == "开辟专题宣传栏（期）"
    assert recoded.status_code == 400 and list(recoded.json()) == ["code"]
    assert Indicator.objects.filter(code="P03", name="开辟专题宣传栏（期）").exists()


def test_it_retires_an_indicator_after_a_batch_and_keeps_it_readable(api, region_admin, batch):
    eleventh = BatchFactory(number=11)
    client = api(region_admin)

    response = client.post(f"{INDICATORS}P03/retire/", {"last_batch": batch.pk}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["active_until_batch_name"] == "第十批"
    assert Indicator.objects.get(code="P03").active_until_batch == batch
    assert "P03" not in codes(client.get(INDICATORS, {"batch": eleventh.pk}))
    assert client.get(f"{INDICATORS}P03/").status_code == 200
    assert client.delete(f"{INDICATORS}P03/").status_code == 405


def test_it_reorders_the_catalogue(api, region_admin):
    client = api(region_admin)

    response = client.post(f"{INDICATORS}reorder/", {"codes": ["P03", "P01"]}, format="json")

    assert codes(response)[:4] == ["P03", "P01", "P02", "P04"]
    assert list(Indicator.objects.order_by("sort_order").values_list("code", flat=True)[:3]) == ["P03", "P01", "P02"]
    refused = client.post(f"{INDICATORS}reorder/", {"codes": ["P02", "Z99"]}, format="json")
    assert refused.status_code == 400 and refused.json() == {"codes": ["没有这些指标：Z99"]}
    assert codes(client.get(INDICATORS))[:2] == ["P03", "P01"]
