"""The list pages' area and unit filters stay small at any size: the area select is a drill-down (the user's
scope roots and their children, then the chosen area's ancestors, siblings and children), and the unit select
becomes a name box when the user's units would not fit in one. The options are counted in the HTML a user
gets; validation and the API are unchanged (any area in scope; another county's area is an error).

People: the region admin (西藏自治区: 7 prefectures, 78 counties, 705 townships), the county admin of 堆龙德庆区
and the outsider (county admin of 比如县).
"""

import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from rest_framework.test import APIClient

from tests.factories import DispatchingUnitFactory, make_team
from villages.models import Area

pytestmark = pytest.mark.django_db

TEAMS_API = "/api/v1/work-teams/"


def page(client, user, url, **params) -> str:
    client.force_login(user)
    response = client.get(url, params)
    assert response.status_code == 200
    return response.content.decode()


def select(html: str, name: str) -> list[tuple[str, str]]:
    """(value, text) of every option of the select named `name`, as the browser gets them."""
    match = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert match, f"no select named {name}"
    return re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', match.group(1))


def codes(options) -> set[str]:
    return {value for value, _ in options if value}


def children(code: str) -> set[str]:
    return set(Area.objects.filter(parent_id=code).values_list("code", flat=True))


PREFECTURES = {"5401", "5402", "5403", "5404", "5405", "5406", "5425"}


# -- the area drill-down ------------------------------------------------------------------------------------


def test_it_offers_the_region_admin_the_7_prefectures_not_the_705_townships(client, region_admin, nanga_team):
    options = select(page(client, region_admin, reverse("teams:list")), "area")
    assert codes(options) == PREFECTURES == children("54")
    assert options[0] == ("", "全部（西藏自治区）")
    assert ("5401", "拉萨市") in options


def test_it_offers_lhasas_counties_once_lhasa_is_chosen(client, region_admin, nanga_team):
    options = select(page(client, region_admin, reverse("teams:list"), area="5401"), "area")
    lhasa_counties = children("5401")
    assert "540103" in lhasa_counties
    assert codes(options) == PREFECTURES | lhasa_counties
    assert ("540103", "\u3000堆龙德庆区") in options  # indented under 拉萨市
    assert re.search(r'<option value="5401" selected>拉萨市</option>', page(client, region_admin, "/teams/?area=5401"))


def test_it_offers_a_countys_townships_once_the_county_is_chosen(client, region_admin, nanga_team):
    options = select(page(client, region_admin, reverse("teams:list"), area="540103"), "area")
    townships = children("540103")
    assert "540103001" in townships
    assert codes(options) == PREFECTURES | children("5401") | townships
    assert ("540103001", "\u3000\u3000东嘎街道") in options
    assert len(options) < 40  # not the 790 areas of the region


def test_it_keeps_the_chain_and_siblings_when_a_township_is_chosen(client, region_admin, nanga_team):
    html = page(client, region_admin, reverse("teams:list"), area="540103001")
    options = select(html, "area")
    assert codes(options) == PREFECTURES | children("5401") | children("540103")
    assert '<option value="540103001" selected>' in html
    assert nanga_team.name in html


def test_it_offers_the_county_admin_only_the_countys_townships(client, county_admin, nanga_team):
    options = select(page(client, county_admin, reverse("teams:list")), "area")
    assert codes(options) == children("540103")
    assert options[0] == ("", "全部（堆龙德庆区）")
    # Choosing a township keeps the others, never what lies above the county.
    options = select(page(client, county_admin, reverse("teams:list"), area="540103001"), "area")
    assert codes(options) == children("540103")


def test_it_refuses_an_area_outside_the_scope_with_a_chinese_error(client, outsider, nanga_team):
    html = page(client, outsider, reverse("teams:list"), area="540103")
    assert "选择一个有效的选项" in html
    assert nanga_team.name not in html
    assert codes(select(html, "area")) == children("540622")  # nothing of 堆龙德庆区 leaks into the options


def test_it_still_accepts_any_area_in_scope_even_one_not_offered(client, region_admin, nanga_team):
    """A township typed into the URL is valid though the first page offers only prefectures."""
    html = page(client, region_admin, reverse("teams:list"), area="540103001")
    assert "选择一个有效的选项" not in html
    assert nanga_team.name in html


def test_it_leaves_the_api_area_filter_as_it_was(nanga_team, outsider, region_admin):
    api = APIClient()
    api.force_authenticate(region_admin)
    response = api.get(TEAMS_API, {"area": "540103001"})
    assert response.status_code == 200
    assert [team["id"] for team in response.json()["results"]] == [nanga_team.pk]
    api.force_authenticate(outsider)
    refused = api.get(TEAMS_API, {"area": "540103"})
    assert refused.status_code == 400
    assert "area" in refused.json()


def test_it_offers_a_superuser_the_provinces_when_there_are_several(client, nanga_team):
    Area.objects.create(code="11", name="北京市", level="province")
    superuser = get_user_model().objects.create_superuser("root-area", password=None)
    options = select(page(client, superuser, reverse("teams:list")), "area")
    assert options[0] == ("", "全部地区")
    assert codes(options) == {"11", "54"} | PREFECTURES
    assert ("5401", "\u3000拉萨市") in options


def test_it_drills_down_the_cadre_and_leave_lists_too(client, region_admin, county_admin, nanga_team):
    cadres = select(page(client, region_admin, reverse("teams:cadre_list"), area="5401"), "area")
    assert codes(cadres) == PREFECTURES | children("5401")  # the managing county is the cadre list's finest level
    assert codes(select(page(client, region_admin, reverse("teams:leave_list")), "area")) == PREFECTURES
    assert codes(select(page(client, county_admin, reverse("teams:leave_list")), "area")) == children("540103")


# -- the unit filter ----------------------------------------------------------------------------------------


@pytest.fixture
def naqu_team(batch):
    unit = DispatchingUnitFactory(name="那曲市比如县水利局")
    return make_team(within="540622", batch=batch, unit=unit, members=1)


def test_it_offers_only_the_units_with_teams_in_the_chosen_area(client, region_admin, nanga_team, naqu_team):
    everywhere = select(page(client, region_admin, reverse("teams:list")), "unit")
    assert codes(everywhere) == {str(nanga_team.unit_id), str(naqu_team.unit_id)}
    in_doilung = select(page(client, region_admin, reverse("teams:list"), area="540103"), "unit")
    assert codes(in_doilung) == {str(nanga_team.unit_id)}


@pytest.fixture
def few_units(monkeypatch):
    """A select of at most one unit, so that two units already make the name box appear."""
    monkeypatch.setattr("zhucun.filters.MAX_UNIT_CHOICES", 1)


def test_it_turns_the_unit_select_into_a_name_box_when_too_many(client, region_admin, nanga_team, naqu_team, few_units):
    html = page(client, region_admin, reverse("teams:list"))
    assert '<select name="unit"' not in html
    assert re.search(r'<input type="text" name="unit"[^>]*placeholder="单位较多：输入名称或其中一部分，按回车"', html)

    by_name = page(client, region_admin, reverse("teams:list"), unit="水利")
    assert naqu_team.name in by_name and nanga_team.name not in by_name

    by_id = page(client, region_admin, reverse("teams:list"), unit=nanga_team.unit_id)  # links keep working
    assert nanga_team.name in by_id and naqu_team.name not in by_id
    assert f'value="{nanga_team.unit.name}"' in by_id  # the box shows the unit's name, not its id


def test_it_asks_for_a_longer_name_when_several_units_match(client, region_admin, nanga_team, naqu_team, few_units):
    html = page(client, region_admin, reverse("teams:list"), unit="局")
    assert "有多个派驻单位的名称包含“局”" in html
    assert nanga_team.name not in html and naqu_team.name not in html
    html = page(client, region_admin, reverse("teams:list"), unit="不存在的单位")
    assert "没有名称包含“不存在的单位”的派驻单位。" in html


def test_it_keeps_the_api_unit_filter_by_id(nanga_team, naqu_team, region_admin):
    api = APIClient()
    api.force_authenticate(region_admin)
    response = api.get(TEAMS_API, {"unit": naqu_team.unit_id})
    assert [team["id"] for team in response.json()["results"]] == [naqu_team.pk]
    assert api.get(TEAMS_API, {"unit": 999999}).status_code == 400


def test_it_gives_a_superuser_the_name_box_too(client, nanga_team, naqu_team, few_units):
    superuser = get_user_model().objects.create_superuser("root-units", password=None)
    html = page(client, superuser, reverse("teams:list"))
    assert '<select name="unit"' not in html and '<input type="text" name="unit"' in html
    by_name = page(client, superuser, reverse("teams:list"), unit="比如县水利")
    assert naqu_team.name in by_name and nanga_team.name not in by_name
    in_doilung = select(page(client, superuser, reverse("teams:list"), area="540103"), "unit")  # one unit there
    assert codes(in_doilung) == {str(nanga_team.unit_id)}
