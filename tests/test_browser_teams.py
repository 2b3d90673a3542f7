"""Journeys in a real headless Chromium: the county admin of 堆龙德庆区 changes a team's leader; the leader of
the team in 南嘎居委会 opens the home page on a phone."""

import pytest

from teams.choices import AssignmentRole
from tests.conftest import PHONE
from tests.factories import make_team

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_lets_the_county_admin_find_a_team_change_its_leader_and_see_the_history(
    open_page, county_admin, nanga_team
):
    make_team(within="540103")  # another team of the county, so the search has something to leave out
    old_leader = nanga_team.assignments.get(role=AssignmentRole.LEADER).cadre
    new_leader = nanga_team.assignments.get(role=AssignmentRole.FIRST_SECRETARY).cadre
    page = open_page(county_admin)

    page.goto("/teams/")
    page.fill("input[name=q]", "南嘎")
    page.press("input[name=q]", "Enter")
    page.wait_for_load_state()
    rows = page.locator("table tbody tr")
    assert rows.count() == 1
    rows.first.locator("a[href^='/teams/']", has_text="南嘎").first.click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == nanga_team.name

    page.click("text=更换队长")
    page.select_option("select[name=cadre]", str(new_leader.pk))
    page.click("button:has-text('确定更换')")
    page.wait_for_url(f"**/teams/{nanga_team.pk}/")

    members = page.locator("section[aria-labelledby=members-title] tbody tr")
    leader_row = members.filter(has_text=new_leader.name).inner_text()
    assert "队长" in leader_row
    assert "队员" in members.filter(has_text=old_leader.name).inner_text()
    history = page.locator("section.history").inner_text()
    assert "队内职务" in history and "第一书记 → 队长" in history.replace("\n", "")

    nanga_team.refresh_from_db()
    assert nanga_team.assignments.get(role=AssignmentRole.LEADER).cadre == new_leader
    assert nanga_team.assignments.get(cadre=old_leader).role == AssignmentRole.MEMBER


def test_it_shows_the_team_leader_their_team_on_a_phone(open_page, nanga_leader, nanga_team, tmp_path):
    page = open_page(nanga_leader, viewport=PHONE)

    page.goto("/")

    body = page.locator("main").inner_text()
    assert nanga_team.name in body
    for assignment in nanga_team.assignments.select_related("cadre"):
        assert assignment.cadre.name in body
    # Nothing wider than the phone: no sideways scrolling of the page.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=tmp_path / "leader-home-phone.png", full_page=True)
