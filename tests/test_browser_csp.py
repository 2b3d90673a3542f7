"""The Content Security Policy in a real headless Chromium: the main pages run and draw under it, and the browser
reports no violation. Every page is watched two ways: a `securitypolicyviolation` listener installed before the
page's own scripts, and the console, where Chromium also writes each refusal.

Who opens what: the login page signed out; the home page of the region admin, the county admin of 堆龙德庆区, the
leader of the team in 南嘎居委会 and the auditor; the county admin's team list and team page; the leader's
report form (typing into it, which runs its checks); the dashboard with figures (charts drawn, a tooltip shown:
ECharts writes it as HTML); the API docs (Swagger UI, expanding an operation).
"""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from reports.completeness import completeness_rebuild
from reports.models import ReportValue
from reports.periods import add_months, month_start
from reports.rollup import rebuild_batch
from tests.conftest import DESKTOP
from tests.factories import (
    BatchFactory,
    IndicatorFactory,
    MonthlyReportFactory,
    UserRoleFactory,
    WorkTeamFactory,
    make_team,
)
from zhucun.choices import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LISTEN = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
    const where = `${event.sourceFile}:${event.lineNumber}`;
    window.__cspViolations.push(`${event.violatedDirective} blocked ${event.blockedURI || "inline"} at ${where}`);
});
"""


def watch(page) -> list[str]:
    """Start watching `page`: returns the list that collects CSP refusals from the console."""
    console: list[str] = []

    def collect(message) -> None:
        if "Content Security Policy" in message.text:
            console.append(message.text)

    page.on("console", collect)
    page.add_init_script(LISTEN)
    return console


def visit(page, console: list[str], path: str, *, ready: str = "main") -> None:
    page.goto(path)
    page.wait_for_selector(ready)
    page.wait_for_load_state("networkidle")
    assert_no_violation(page, console, path)


def assert_no_violation(page, console: list[str], where: str) -> None:
    reported = page.evaluate("window.__cspViolations || []")
    assert reported == [], f"{where}: {reported}"
    assert console == [], f"{where}: {console}"


@pytest.fixture
def figures(batch, nanga_team):
    p02 = IndicatorFactory(code="P02")
    for team, value in ((nanga_team, "12"), (WorkTeamFactory(batch=batch, within="5402"), "1500")):
        report = MonthlyReportFactory(team=team, month=datetime.date(2026, 1, 1), approved=True)
        ReportValue.objects.create(report=report, indicator=p02, value=Decimal(value))
    rebuild_batch(batch)
    completeness_rebuild()


def test_the_login_page_keeps_to_the_policy(open_page):
    page = open_page()
    console = watch(page)

    visit(page, console, "/accounts/login/", ready="input[name=username]")


@pytest.mark.parametrize("person", ["region_admin", "county_admin", "nanga_leader", "auditor"])
def test_the_home_page_of_every_role_keeps_to_the_policy(open_page, request, person):
    page = open_page(request.getfixturevalue(person), viewport=DESKTOP)
    console = watch(page)

    visit(page, console, "/")
    # The phone menu's button is wired by static JavaScript, not an onclick.
    page.set_viewport_size({"width": 390, "height": 844})
    page.locator(".nav-toggle").click()
    page.wait_for_selector("#site-nav", state="visible")
    assert_no_violation(page, console, "the menu")


def test_the_team_list_and_team_page_keep_to_the_policy(open_page, county_admin, nanga_team):
    page = open_page(county_admin, viewport=DESKTOP)
    console = watch(page)

    visit(page, console, "/teams/", ready="main table")
    page.locator(f'main table a[href="/teams/{nanga_team.pk}/"]').first.click()
    page.wait_for_load_state("networkidle")
    assert f"/teams/{nanga_team.pk}/" in page.url
    assert_no_violation(page, console, "the team page")


def test_the_report_form_keeps_to_the_policy(open_page, nanga, doilungdeqen):
    start = add_months(month_start(timezone.localdate()), -3)
    batch = BatchFactory(number=30, start_date=start, end_date=start.replace(year=start.year + 1))
    team = make_team(village=nanga, batch=batch)
    IndicatorFactory(code="P02")
    leader = UserRoleFactory(role=Role.TEAM_LEADER, team=team, user__username="nanga-leader").user
    page = open_page(leader, viewport=DESKTOP)
    console = watch(page)

    visit(page, console, f"/reports/teams/{team.pk}/{timezone.localdate():%Y-%m}/", ready="input[name=value-P02]")
    page.fill("input[name=value-P02]", "3")
    page.fill("textarea[name=summary]", "召开宣讲会三场。")
    page.click("button[value=save]")
    page.wait_for_load_state("networkidle")
    assert page.locator("input[name=value-P02]").input_value() == "3"
    assert_no_violation(page, console, "the saved report")


def test_the_dashboard_draws_under_the_policy(open_page, region_admin, figures):
    page = open_page(region_admin, viewport=DESKTOP)
    console = watch(page)

    visit(page, console, "/reports/dashboard/", ready="#dashboard[data-loaded=true]")
    assert page.locator('[data-chart="breakdown"] canvas').count() >= 1
    # A tooltip: ECharts builds it as HTML with inline styles.
    chart = page.locator('[data-chart="trend"]')
    chart.scroll_into_view_if_needed()
    box = chart.bounding_box()
    for fraction in (0.3, 0.5, 0.7):
        page.mouse.move(box["x"] + box["width"] * fraction, box["y"] + box["height"] / 2)
    page.wait_for_function(
        """() => [...document.querySelectorAll('[data-chart="trend"] div')]
            .some((div) => div.innerHTML.startsWith("<strong>") && getComputedStyle(div).display !== "none")"""
    )
    assert_no_violation(page, console, "the dashboard's tooltip")


def test_the_api_docs_run_under_the_policy(open_page, county_admin):
    page = open_page(county_admin, viewport=DESKTOP)
    console = watch(page)

    visit(page, console, "/api/docs/", ready=".swagger-ui .opblock")
    page.locator(".opblock-summary").first.click()
    page.wait_for_selector(".opblock-body")
    assert_no_violation(page, console, "an expanded operation")
