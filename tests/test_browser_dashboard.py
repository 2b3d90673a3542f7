"""The statistics dashboard in a real headless Chromium: the region admin opens it, the charts render (canvas), the
headline figure is the API's, and a click on 拉萨市's bar drills down to the prefecture, a click on 堆龙德庆区 in the
ranking to the county, and the area path leads back up to the region. On a phone the page fits the screen and the
charts follow the window's size.

Teams of 第十批 report January and February 2026 (P02 召开宣讲大会): 南嘎居委会 (堆龙德庆区) 12 + 30, a team in 城关区
100, one in 日喀则市 1,500, one in 比如县 7; the store is filled with the rollup before the page opens.
"""

import datetime
from decimal import Decimal

import pytest

from reports.completeness import completeness_rebuild
from reports.models import ReportValue
from reports.rollup import rebuild_batch
from tests.conftest import DESKTOP, PHONE
from tests.factories import IndicatorFactory, MonthlyReportFactory, WorkTeamFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

JANUARY, FEBRUARY = datetime.date(2026, 1, 1), datetime.date(2026, 2, 1)


@pytest.fixture
def figures(batch, nanga_team):
    p02 = IndicatorFactory(code="P02")
    reported = [
        (nanga_team, JANUARY, "12"),
        (nanga_team, FEBRUARY, "30"),
        (WorkTeamFactory(batch=batch, within="540102"), FEBRUARY, "100"),
        (WorkTeamFactory(batch=batch, within="5402"), FEBRUARY, "1500"),
        (WorkTeamFactory(batch=batch, village="540622202218"), FEBRUARY, "7"),
    ]
    for team, month, value in reported:
        report = MonthlyReportFactory(team=team, month=month, approved=True)
        ReportValue.objects.create(report=report, indicator=p02, value=Decimal(value))
    rebuild_batch(batch)
    completeness_rebuild()


def wait_for(page, area_name: str) -> None:
    page.wait_for_selector(f'[data-role="path"] [aria-current="page"]:text-is("{area_name}")')
    page.wait_for_selector("#dashboard[data-loaded=true]")


def headline(page, code: str) -> str:
    return page.locator(f'[data-role="headlines"] [data-code="{code}"] .dash-tile-value').inner_text()


def api_value(page, code: str, **params) -> str:
    body = page.request.get("/api/v1/stats/totals/", params=params).json()
    return {item["code"]: item["value"] for group in body["categories"] for item in group["indicators"]}[code]


def click_bar(page, chart: str, index: int) -> None:
    """Click the middle of bar `index` of a ranked bar chart, where ECharts says it is."""
    page.locator(f'[data-chart="{chart}"]').scroll_into_view_if_needed()
    x, y = page.evaluate(
        """([chart, index]) => {
            const instance = echarts.getInstanceByDom(document.querySelector(`[data-chart="${chart}"]`));
            const value = instance.getOption().series[0].data[index];
            return instance.convertToPixel({seriesIndex: 0}, [value / 2, index]);
        }""",
        [chart, index],
    )
    box = page.locator(f'[data-chart="{chart}"]').bounding_box()
    page.mouse.click(box["x"] + x, box["y"] + y)


def test_it_draws_the_charts_and_drills_from_the_region_to_a_county(open_page, region_admin, figures):
    page = open_page(region_admin, viewport=DESKTOP)
    page.goto("/reports/dashboard/")
    wait_for(page, "西藏自治区")

    for chart in ("trend", "breakdown", "units", "completeness", "category-propaganda"):
        assert page.locator(f'[data-chart="{chart}"] canvas').count() >= 1, chart
    assert "2026年上半年" in page.locator('[data-role="summary"]').inner_text()
    region_total = api_value(page, "P02")
    assert region_total == "1649"
    assert headline(page, "P02") == f"{int(region_total):,}" == "1,649"
    assert page.locator('[data-role="breakdown-table"] tbody tr').count() == 7

    # Ranked by P02, 拉萨市 comes second (142) after 日喀则市 (1,500): click its bar.
    page.select_option('[data-role="rank-indicator"]', "P02")
    second = '[data-role="breakdown-table"] tbody tr:nth-child(2) a'
    page.wait_for_function(f"() => document.querySelector('{second}').textContent === '拉萨市'")
    click_bar(page, "breakdown", 1)
    wait_for(page, "拉萨市")
    assert headline(page, "P02") == api_value(page, "P02", area="5401") == "142"
    assert page.locator("#dash-breakdown-title").inner_text() == "各县（区）排名"
    assert "area=5401" in page.url

    page.locator('[data-role="breakdown-table"] a', has_text="堆龙德庆区").click()
    wait_for(page, "堆龙德庆区")
    assert headline(page, "P02") == api_value(page, "P02", area="540103") == "42"
    assert page.locator("#dash-breakdown-title").inner_text() == "各乡镇（街道）排名"
    assert [text.strip() for text in page.locator('[data-role="path"] li').all_inner_texts()] == [
        "西藏自治区",
        "拉萨市",
        "堆龙德庆区",
    ]

    # Back up the path, and back with the browser.
    page.locator('[data-role="path"] a', has_text="西藏自治区").click()
    wait_for(page, "西藏自治区")
    assert headline(page, "P02") == "1,649"
    page.go_back()
    wait_for(page, "堆龙德庆区")


def test_it_fits_a_phone_and_follows_the_window(open_page, region_admin, figures):
    page = open_page(region_admin, viewport=PHONE)
    page.goto("/reports/dashboard/")
    wait_for(page, "西藏自治区")

    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    first, second = (
        page.locator(f'[data-chart="category-{name}"]').bounding_box() for name in ("propaganda", "party_building")
    )
    assert first["x"] == second["x"] and second["y"] > first["y"]  # stacked, one column

    page.set_viewport_size(DESKTOP)
    page.wait_for_function(
        "() => document.querySelector('[data-chart=\"trend\"] canvas').getBoundingClientRect().width > 600"
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= DESKTOP["width"]
