"""Village pages: the scoped list with the area drill-down and search, and a village with its teams over the
batches.

People: the county admin of 堆龙德庆区, the outsider (county admin of 比如县), the leader of the team in
南嘎居委会 (sees the villages of their team), a region auditor, the liaison of the unit that sent the 南嘎 team.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from teams.choices import AssignmentStatus
from tests.factories import BatchFactory, UserRoleFactory, make_team
from villages.models import Area
from zhucun.choices import Role

pytestmark = pytest.mark.django_db


def get(client, user, url, **params):
    client.force_login(user)
    return client.get(url, params)


def html(response) -> str:
    return response.content.decode()


def test_it_lists_the_county_villages_for_the_county_admin(client, county_admin, nanga, naipu):
    response = get(client, county_admin, reverse("villages:list"))
    villages = list(response.context["object_list"])
    assert nanga in villages
    assert naipu not in villages
    assert response.context["paginator"].count == Area.objects.villages().within("540103").count()


def test_it_keeps_the_county_villages_from_the_outsider(client, outsider, nanga, naipu):
    response = get(client, outsider, reverse("villages:list"), q="耐普")
    assert list(response.context["object_list"]) == [naipu]
    assert "南嘎居委会" not in html(get(client, outsider, reverse("villages:list"), q="南嘎"))
    refused = get(client, outsider, reverse("villages:list"), area="540103")
    assert list(refused.context["object_list"]) == []
    assert "选择一个有效的选项" in html(refused)
    choices = dict(refused.context["filter_form"]["area"].field.widget.choices)
    assert choices[""] == "全部（比如县）" and "540103" not in choices  # the county is the whole scope


def test_it_searches_and_filters_by_township(client, county_admin, nanga):
    assert list(get(client, county_admin, reverse("villages:list"), q="南嘎").context["object_list"]) == [nanga]
    by_code = get(client, county_admin, reverse("villages:list"), q=nanga.code)
    assert list(by_code.context["object_list"]) == [nanga]
    township = get(client, county_admin, reverse("villages:list"), area="540103001")
    villages = list(township.context["object_list"])
    assert nanga in villages and all(village.code.startswith("540103001") for village in villages)


def test_it_shows_a_village_with_its_teams_over_the_batches(client, county_admin, nanga, nanga_team):
    batch9 = BatchFactory(number=9)
    old = make_team(village=nanga, batch=batch9, unit=nanga_team.unit, members=1)
    old.assignments.update(status=AssignmentStatus.FINISHED, end_date=batch9.end_date)
    page = html(get(client, county_admin, reverse("villages:detail", args=[nanga.code])))
    assert "南嘎居委会" in page and "东嘎街道" in page and "堆龙德庆区" in page
    assert "第九批" in page and "第十批" in page
    assert page.index("第十批") < page.index("第九批")
    assert reverse("teams:detail", args=[old.pk]) in page
    assert reverse("teams:detail", args=[nanga_team.pk]) in page


def test_it_answers_404_outside_the_scope(client, outsider, nanga, naipu):
    assert get(client, outsider, reverse("villages:detail", args=[nanga.code])).status_code == 404
    assert get(client, outsider, reverse("villages:detail", args=[naipu.code])).status_code == 200
    # A county is not a village.
    assert get(client, outsider, reverse("villages:detail", args=["540622"])).status_code == 404


def test_it_shows_the_leader_the_village_of_their_team_only(client, nanga_leader, nanga, naipu):
    response = get(client, nanga_leader, reverse("villages:list"))
    assert list(response.context["object_list"]) == [nanga]
    assert "area" not in [field.name for field in response.context["filter_fields"]]
    assert get(client, nanga_leader, reverse("villages:detail", args=[nanga.code])).status_code == 200
    assert get(client, nanga_leader, reverse("villages:detail", args=[naipu.code])).status_code == 404


def test_it_shows_the_liaison_the_villages_of_its_units_teams(client, nanga_team, nanga, naipu):
    liaison = UserRoleFactory(role=Role.UNIT_LIAISON, unit=nanga_team.unit).user
    assert list(get(client, liaison, reverse("villages:list")).context["object_list"]) == [nanga]
    assert get(client, liaison, reverse("villages:detail", args=[naipu.code])).status_code == 404


def test_it_lets_the_auditor_read_any_village(client, auditor, nanga, naipu):
    assert get(client, auditor, reverse("villages:detail", args=[naipu.code])).status_code == 200
    assert get(client, auditor, reverse("villages:list"), area="540103").context["paginator"].count > 1


def test_it_runs_as_many_queries_for_many_villages_as_for_few(
    client, county_admin, nanga_team, django_assert_max_num_queries
):
    client.force_login(county_admin)
    few_township = Area.objects.filter(level="township", code__startswith="540103").order_by("code").first()
    with CaptureQueriesContext(connection) as few:
        few_count = len(client.get(reverse("villages:list"), {"area": few_township.code}).context["object_list"])
    with django_assert_max_num_queries(len(few)):
        many_count = len(client.get(reverse("villages:list"), {"area": "540103"}).context["object_list"])
    assert few_count < many_count
