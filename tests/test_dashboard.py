"""The statistics dashboard page: a shell whose figures come from the statistics API. The county admin of 堆龙德庆区
and the unit liaison open it from the 统计 link; the leader of the team in 南嘎居委会 has no statistics (403, no
link). The page carries the API's addresses and the link's parameters as data-* attributes, escaped, and no
inline script or style (Content Security Policy)."""

import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

from tests.factories import UserRoleFactory
from zhucun.choices import Role

pytestmark = pytest.mark.django_db

DASHBOARD = "/reports/dashboard/"
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<style\b|\sstyle=", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"\son[a-z]+=", re.IGNORECASE)


@pytest.fixture
def liaison(nanga_team):
    return UserRoleFactory(role=Role.UNIT_LIAISON, unit=nanga_team.unit, user__username="tongjiju-liaison").user


def nav_labels(client, user) -> list[str]:
    client.force_login(user)
    return [item["label"] for item in client.get(reverse("home")).context["nav_items"]]


def test_it_is_named_reports_dashboard():
    assert reverse("reports:dashboard") == DASHBOARD


def test_it_hands_the_script_the_api_addresses(client, county_admin):
    client.force_login(county_admin)

    html = client.get(DASHBOARD).content.decode()

    for endpoint in ("options", "totals", "breakdown", "trend", "units", "completeness"):
        assert f'data-{endpoint}-url="/api/v1/stats/{endpoint}/"' in html
    assert "vendor/echarts.min.js" in html and "js/dashboard.js" in html and "css/dashboard.css" in html
    assert "cdn" not in html.lower()


def test_it_passes_the_links_parameters_escaped(client, county_admin):
    client.force_login(county_admin)

    html = client.get(
        DASHBOARD, {"area": '540103"><script>x', "kind": "month", "unit_level": "county"}
    ).content.decode()

    assert 'data-initial-area="540103&quot;&gt;&lt;script&gt;x"' in html
    assert 'data-initial-kind="month"' in html and 'data-initial-unitlevel="county"' in html
    assert "<script>x" not in html


def test_it_has_no_inline_scripts_styles_or_handlers(client, region_admin):
    client.force_login(region_admin)

    html = client.get(DASHBOARD).content.decode()

    assert not INLINE_SCRIPT.search(html)
    assert not INLINE_STYLE.search(html)
    assert not INLINE_HANDLER.search(html)


def test_it_inserts_data_as_text_not_html():
    """The script puts labels in with textContent; innerHTML and friends never appear (ECharts tooltips, which
    are HTML, get escapeHtml)."""
    script = Path(finders.find("js/dashboard.js")).read_text(encoding="utf-8")

    assert "innerHTML" not in script and "insertAdjacentHTML" not in script and "document.write" not in script
    assert "escapeHtml(" in script
    assert "method:" not in script  # GET only: no POST, so no CSRF token is needed


def test_it_serves_its_own_static_files():
    for path in ("js/dashboard.js", "css/dashboard.css", "vendor/echarts.min.js"):
        assert finders.find(path), path


def test_it_sends_a_signed_out_reader_to_the_login_page(client):
    response = client.get(DASHBOARD)

    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_it_refuses_the_team_leader(client, nanga_leader):
    client.force_login(nanga_leader)

    assert client.get(DASHBOARD).status_code == 403


def test_it_opens_for_the_liaison_and_the_auditor(client, liaison, auditor):
    for user in (liaison, auditor):
        client.force_login(user)
        assert client.get(DASHBOARD).status_code == 200


def test_it_links_statistics_for_admins_auditors_and_liaisons_only(
    client, county_admin, auditor, liaison, nanga_leader
):
    assert "统计" in nav_labels(client, county_admin)
    assert "统计" in nav_labels(client, auditor)
    assert "统计" in nav_labels(client, liaison)
    assert "统计" not in nav_labels(client, nanga_leader)


def test_it_marks_statistics_current_on_the_dashboard(client, county_admin):
    client.force_login(county_admin)

    current = [item["label"] for item in client.get(DASHBOARD).context["nav_items"] if item["current"]]

    assert current == ["统计"]
