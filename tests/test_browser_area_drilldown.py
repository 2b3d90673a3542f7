"""In a real headless Chromium: the region admin narrows the team list by picking a prefecture, then a county, in
the area drill-down; each pick applies at once (pages.js submits the form, no inline script: the Content
Security Policy is watched and any refusal fails the test)."""

import pytest

from tests.factories import make_team
from tests.test_browser_csp import assert_no_violation, watch

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_narrows_the_team_list_by_prefecture_then_county(open_page, region_admin, nanga_team, batch):
    in_chengguan = make_team(within="540102", batch=batch, members=1)  # 拉萨市城关区: stays after 拉萨市
    in_biru = make_team(within="540622", batch=batch, members=1)  # 那曲市比如县: gone after 拉萨市
    page = open_page(region_admin)
    console = watch(page)

    page.goto("/teams/")
    page.wait_for_load_state("networkidle")
    area = page.locator("select[name=area]")
    assert area.locator("option").count() == 1 + 7  # "全部（西藏自治区）" and the 7 prefectures
    table = page.locator("table tbody")
    assert all(team.name in table.inner_text() for team in (nanga_team, in_chengguan, in_biru))

    page.locator("details.filters summary").click()
    with page.expect_navigation():
        area.select_option("5401")  # 拉萨市: no button pressed
    assert "area=5401" in page.url
    assert area.locator("option[value='540103']").count() == 1  # its counties are offered now
    listed = table.inner_text()
    assert nanga_team.name in listed and in_chengguan.name in listed and in_biru.name not in listed

    with page.expect_navigation():
        area.select_option("540103")  # 堆龙德庆区
    assert "area=540103" in page.url
    assert area.locator("option[value='540103001']").count() == 1  # its townships
    listed = table.inner_text()
    assert nanga_team.name in listed and in_chengguan.name not in listed
    assert page.locator("table tbody tr").count() == 1
    assert_no_violation(page, console, "/teams/ drill-down")
