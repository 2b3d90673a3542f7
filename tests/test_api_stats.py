"""The statistics API, read from the rollup store, over the story of tests/stats_world.py (second half of 2025,
pinned to 10 January 2026). The county admin of 堆龙德庆区 sees her county and its townships only; the outsider from
比如县 never sees hers; the liaison of the 统计局 sees its own unit's figures only.
"""

import datetime
from collections import defaultdict
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from reports.models import Figure, ReportValue
from reports.stats_cache import replace_stats_version
from tests.factories import (
    DispatchingUnitFactory,
    IndicatorFactory,
    MonthlyReportFactory,
    UserRoleFactory,
    WorkTeamFactory,
)
from tests.stats_world import DEC, H2_2025, NOV, january_2026, story_fixture  # noqa: F401 (fixtures)
from villages.models import Area
from zhucun.choices import Role

STATS = "/api/v1/stats/"
pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    def signed_in(user) -> APIClient:
        client = APIClient()
        client.force_login(user)
        return client

    return signed_in


@pytest.fixture
def liaison(story):
    return UserRoleFactory(role=Role.UNIT_LIAISON, unit=story.county_unit, user__username="tongjiju-liaison").user


def get(client, endpoint: str, expect: int = 200, **params):
    response = client.get(f"{STATS}{endpoint}/", params)
    assert response.status_code == expect, response.content.decode()
    return response.json()


def figures(body) -> dict[str, dict]:
    return {item["code"]: item for group in body["categories"] for item in group["indicators"]}


# -- totals ---------------------------------------------------------------------------------------------------------


def test_it_gives_the_county_admin_her_countys_half_year_by_default(api, county_admin, story):
    body = get(api(county_admin), "totals")

    assert body["area"] == {"code": "540103", "name": "堆龙德庆区", "level": "county", "level_display": "县级"}
    assert body["period"]["kind"] == "half" and body["period"]["label"] == "2025年下半年"
    assert (body["period"]["start"], body["period"]["end"], body["latest_month"]) == ("2025-07", "2025-12", "2025-12")
    assert body["batch"] is None and body["unit"] is None
    values = figures(body)
    for code in ("P02", "F04", "E04"):
        assert Decimal(values[code]["value"]) == story.expected(code, prefix="540103", months=H2_2025)
    assert (values["P02"]["value"], values["F04"]["value"], values["E04"]["value"]) == ("21", "56", "1101.25")
    assert (body["report_count"], body["team_count"]) == story.report_count(prefix="540103", months=H2_2025)


def test_it_groups_the_indicators_by_duty_in_catalogue_order(api, county_admin, story):
    body = get(api(county_admin), "totals")

    assert [group["label"] for group in body["categories"]][:2] == ["宣传教育", "基层党建"]
    assert body["categories"][0]["duty_title"] == "政策讲解员"
    propaganda = [item["code"] for item in body["categories"][0]["indicators"]]
    assert propaganda[:3] == ["P01", "P02", "P03"]
    # Indicators nobody reported are there, at zero with no report counted.
    assert figures(body)["P01"]["value"] == "0" and figures(body)["P01"]["reports"] == 0


def test_it_takes_each_teams_latest_value_of_a_latest_indicator(api, county_admin, story):
    client = api(county_admin)
    december = figures(get(client, "totals", kind="month", period="2025-12"))
    half = figures(get(client, "totals", kind="half", period="2025-12"))

    # December alone: only the 统计局 team filled F04 (18); over the half year the other team's November 10 counts.
    assert december["F04"]["value"] == "18"
    assert half["F04"]["value"] == str(story.expected("F04", prefix="540103", months=H2_2025)) == "56"
    assert december["P02"]["value"] == "6" and december["P02"]["reports"] == 2


def test_it_adds_the_batches_up_for_all_batches(api, county_admin, story):
    client = api(county_admin)
    both = figures(get(client, "totals", period="2025-12"))
    tenth = figures(get(client, "totals", period="2025-12", batch=story.batch10.pk))
    ninth = figures(get(client, "totals", period="2025-12", batch=story.batch9.pk))

    for code in ("P02", "F04", "E04"):
        assert Decimal(tenth[code]["value"]) == story.expected(
            code, prefix="540103", months=H2_2025, batch=story.batch10
        )
        assert Decimal(ninth[code]["value"]) == story.expected(
            code, prefix="540103", months=H2_2025, batch=story.batch9
        )
        assert Decimal(both[code]["value"]) == Decimal(tenth[code]["value"]) + Decimal(ninth[code]["value"])
    assert (tenth["P02"]["value"], ninth["P02"]["value"], both["P02"]["value"]) == ("11", "10", "21")


def test_it_cuts_by_dispatching_unit_and_unit_level(api, county_admin, story):
    client = api(county_admin)
    unit = get(client, "totals", unit=story.region_unit.pk)
    level = get(client, "totals", unit_level="county")

    assert unit["unit"]["name"] == "自治区党委组织部"
    # The region unit's teams in this county only: never its team in 比如县.
    for code in ("P02", "F04"):
        assert Decimal(figures(unit)[code]["value"]) == story.expected(
            code, prefix="540103", months=H2_2025, unit=story.region_unit
        )
        assert Decimal(figures(level)[code]["value"]) == story.expected(
            code, prefix="540103", months=H2_2025, unit=story.county_unit
        )
    assert figures(unit)["P02"]["value"] == "13" and level["unit_level_display"] == "县直"


def test_it_sums_the_region_for_the_region_admin(api, region_admin, story):
    body = get(api(region_admin), "totals")

    assert body["area"]["code"] == "54"
    assert [area["code"] for area in body["path"]] == ["54"]
    for code in ("P02", "F04", "E04"):
        assert Decimal(figures(body)[code]["value"]) == story.expected(code, prefix="54", months=H2_2025)
    assert figures(body)["P02"]["value"] == "128"


def test_it_says_how_fresh_the_figures_are(api, county_admin, story):
    # The ninth batch's row was computed an hour before the tenth's: the answer is as old as its oldest row.
    an_hour_ago = datetime.datetime(2026, 1, 10, 9, 0, tzinfo=datetime.UTC)
    Figure.objects.filter(batch=story.batch9, kind="half", period_end=DEC, area_code="540103", unit_key="").update(
        computed_at=an_hour_ago
    )
    body = get(api(county_admin), "totals")

    assert body["freshness"]["rows"] == 2  # one row per batch
    assert datetime.datetime.fromisoformat(body["freshness"]["computed_at"]) == an_hour_ago
    assert datetime.datetime.fromisoformat(
        get(api(county_admin), "totals", batch=story.batch10.pk)["freshness"]["computed_at"]
    ) == datetime.datetime(2026, 1, 10, 10, 0, tzinfo=datetime.UTC)
    for endpoint in ("breakdown", "trend", "units", "completeness"):
        assert get(api(county_admin), endpoint)["freshness"]["computed_at"], endpoint


def test_it_answers_zero_and_no_freshness_where_nothing_was_reported(api, county_admin, story):
    body = get(api(county_admin), "totals", kind="month", period="2025-08", batch=story.batch10.pk)

    assert figures(body)["P02"]["value"] == "0"
    assert body["freshness"] == {"computed_at": None, "rows": 0}
    assert (body["report_count"], body["team_count"]) == (0, 0)


def test_it_names_every_period_kind(api, county_admin, story):
    client = api(county_admin)
    labels = {
        kind: get(client, "totals", kind=kind, period="2025-11", batch=story.batch10.pk)["period"]
        for kind in ("month", "quarter", "half", "year", "btd")
    }

    assert labels["month"]["label"] == "2025年11月"
    assert (labels["quarter"]["label"], labels["quarter"]["end"]) == ("2025年第四季度", "2025-12")
    assert labels["year"]["label"] == "2025年"
    assert labels["btd"]["label"] == "第十批累计（截至2026年1月）" and labels["btd"]["start"] == "2025-11"


def test_it_counts_each_batch_to_date_and_all_batches_since_the_first(api, county_admin, story):
    """Batch-to-date is one row per batch (to this month, or the batch's end): `period` does not apply."""
    client = api(county_admin)
    tenth = get(client, "totals", kind="btd", batch=story.batch10.pk, period="2025-11")
    everything = get(client, "totals", kind="btd")

    batch10_months = [NOV, DEC]
    assert Decimal(figures(tenth)["P02"]["value"]) == story.expected(
        "P02", prefix="540103", months=batch10_months, batch=story.batch10
    )
    assert figures(tenth)["F04"]["value"] == "28"  # 18 (December) + 10 (November, the other team's latest)
    assert figures(everything)["P02"]["value"] == "21" and figures(everything)["F04"]["value"] == "56"
    assert everything["period"]["label"] == "各批次累计（截至2026年1月）" and everything["period"]["start"] == "2024-11"
    assert everything["freshness"]["rows"] == 2


# -- breakdown -------------------------------------------------------------------------------------------------------


def test_it_breaks_the_region_into_its_seven_prefectures(api, region_admin, story):
    body = get(api(region_admin), "breakdown", indicator="P02")

    assert body["child_level"] == "prefecture"
    assert len(body["areas"]) == 7
    by_code = {area["code"]: area for area in body["areas"]}
    assert by_code["5401"]["name"] == "拉萨市"
    for code, area in by_code.items():
        assert Decimal(area["value"]) == story.expected("P02", prefix=code, months=H2_2025)
        assert Decimal(area["values"]["F04"]) == story.expected("F04", prefix=code, months=H2_2025)
    # Ranked by P02: 那曲 (100) before 拉萨 (28), the rest tied at zero.
    assert [area["code"] for area in body["areas"][:2]] == ["5406", "5401"]
    assert [area["rank"] for area in body["areas"]] == [1, 2, 3, 3, 3, 3, 3]
    assert body["total"]["P02"] == "128" and body["indicator"]["code"] == "P02"


def test_it_breaks_the_county_into_its_townships(api, county_admin, story):
    body = get(api(county_admin), "breakdown", indicator="F04")

    assert body["area"]["code"] == "540103" and body["child_level"] == "township"
    assert all(area["code"].startswith("540103") and len(area["code"]) == 9 for area in body["areas"])
    by_code = {area["code"]: area for area in body["areas"]}
    assert by_code["540103001"]["name"] == "东嘎街道"
    for code in ("540103001", "540103002"):
        assert Decimal(by_code[code]["value"]) == story.expected("F04", prefix=code, months=H2_2025)
    assert body["areas"][0]["code"] == "540103001"  # 28 + 18 = 46 beats 10


def test_it_breaks_a_township_into_its_villages_from_their_reports(api, county_admin, story):
    """Villages are not stored: each is its team's reports (both batches of 南嘎 for all batches)."""
    client = api(county_admin)
    for batch, months in ((None, H2_2025), (story.batch9, H2_2025), (story.batch10, H2_2025)):
        params = {"area": "540103001", "indicator": "F04"} | ({"batch": batch.pk} if batch else {})
        body = get(client, "breakdown", **params)
        assert body["child_level"] == "village"
        by_code = {area["code"]: area for area in body["areas"]}
        assert len(by_code) == Area.objects.filter(parent_id="540103001").count()
        nanga = by_code["540103001002"]
        assert Decimal(nanga["value"]) == story.expected("F04", prefix="540103001002", months=months, batch=batch)
        assert Decimal(nanga["values"]["P02"]) == story.expected(
            "P02", prefix="540103001002", months=months, batch=batch
        )
        assert Decimal(body["total"]["P02"]) == story.expected("P02", prefix="540103001", months=months, batch=batch)
        assert sum(Decimal(area["values"]["P02"]) for area in body["areas"]) == Decimal(body["total"]["P02"])


def test_it_follows_a_village_month_by_month(api, county_admin, story):
    body = get(api(county_admin), "trend", area="540103001002", indicator="P02", batch=story.batch10.pk)

    by_month = {point["month"]: point["value"] for point in body["points"]}
    assert (by_month["2025-11"], by_month["2025-12"]) == ("3", "5")


def test_it_gives_no_village_outside_the_county(api, county_admin, story):
    get(api(county_admin), "breakdown", expect=404, area="540622202")
    get(api(county_admin), "trend", expect=404, area="540622202218")


def test_it_stops_a_unit_breakdown_at_county_level(api, county_admin, story):
    body = get(api(county_admin), "breakdown", unit=story.county_unit.pk)

    assert body["child_level"] is None and body["areas"] == []
    assert body["total"]["P02"] == "8"


def test_it_refuses_an_unknown_indicator(api, county_admin, story):
    body = get(api(county_admin), "breakdown", expect=400, indicator="NOPE")

    assert "indicator" in body


# -- trend ----------------------------------------------------------------------------------------------------------


def test_it_follows_an_indicator_month_by_month_over_the_batch(api, county_admin, story):
    body = get(api(county_admin), "trend", indicator="P02", batch=story.batch10.pk)

    assert [(point["month"], point["value"]) for point in body["points"]] == [("2025-11", "5"), ("2025-12", "6")]
    assert body["indicator"]["name"] == "组织召开宣讲大会"


def test_it_follows_an_indicator_over_the_last_twelve_months_of_all_batches(api, county_admin, story):
    body = get(api(county_admin), "trend", indicator="F04")

    points = {point["month"]: point["value"] for point in body["points"]}
    assert [point["month"] for point in body["points"]][::11] == ["2025-01", "2025-12"]
    assert points == {
        **{f"2025-{month:02d}": None for month in range(1, 9)},
        "2025-09": "30",
        "2025-10": "28",
        "2025-11": "30",  # 20 + 10
        "2025-12": "18",
    }


def test_it_follows_a_units_trend(api, county_admin, story):
    body = get(api(county_admin), "trend", indicator="P02", unit=story.region_unit.pk)

    points = {point["month"]: point["value"] for point in body["points"]}
    assert (points["2025-09"], points["2025-11"], points["2025-12"]) == ("4", "2", "1")


# -- units ----------------------------------------------------------------------------------------------------------


def test_it_compares_the_units_of_the_county(api, county_admin, story):
    body = get(api(county_admin), "units", indicator="P02")

    assert [(unit["name"], unit["value"], unit["rank"]) for unit in body["units"]] == [
        ("自治区党委组织部", "13", 1),
        ("拉萨市堆龙德庆区统计局", "8", 2),
    ]
    assert body["units"][0]["level_display"] == "区直"
    assert [(level["label"], level["value"]) for level in body["levels"]] == [("区直", "13"), ("县直", "8")]


def test_it_compares_units_across_the_region(api, region_admin, story):
    body = get(api(region_admin), "units", indicator="P02")

    values = {unit["name"]: unit["value"] for unit in body["units"]}
    assert values == {"自治区党委组织部": "113", "拉萨市委组织部": "7", "拉萨市堆龙德庆区统计局": "8"}


def test_it_lists_only_the_top_units_when_asked(api, region_admin, story):
    body = get(api(region_admin), "units", indicator="P02", limit=1)

    assert body["unit_total"] == 3
    assert [(unit["name"], unit["value"]) for unit in body["units"]] == [("自治区党委组织部", "113")]
    assert "values" not in body["units"][0] and body["levels"][0]["values"]["P02"] == "113"


def test_it_refuses_units_below_county_level(api, county_admin, story):
    assert "area" in get(api(county_admin), "units", expect=400, area="540103001")


# -- completeness -----------------------------------------------------------------------------------------------------


def test_it_counts_reporting_completeness_for_the_month_last_due(api, region_admin, story):
    body = get(api(region_admin), "completeness")

    assert body["month"] == "2025-12"
    assert {key: body["figure"][key] for key in ("expected", "submitted", "approved", "missing")} == {
        "expected": 4,
        "submitted": 4,
        "approved": 4,
        "missing": 0,
    }
    assert body["figure"]["rate"] == "100.0"
    november = {month["month"]: month for month in body["months"]}["2025-11"]
    # 比如县's November report is submitted, not approved; 城关区's team never reported November.
    assert (november["expected"], november["submitted"], november["approved"], november["missing"]) == (4, 3, 2, 1)
    assert november["rate"] == "75.0" and november["approved_rate"] == "50.0"
    assert len(body["areas"]) == 7 and body["child_level"] == "prefecture"
    lhasa = {area["code"]: area for area in body["areas"]}["5401"]
    assert (lhasa["name"], lhasa["expected"], lhasa["approved"]) == ("拉萨市", 3, 3)


def test_it_gives_the_county_its_townships_completeness(api, county_admin, story):
    body = get(api(county_admin), "completeness", month="2025-10")

    assert body["area"]["code"] == "540103" and body["child_level"] == "township"
    assert (body["figure"]["expected"], body["figure"]["approved"]) == (1, 1)
    assert all(area["code"].startswith("540103") for area in body["areas"])


# -- scope -------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", ["totals", "breakdown", "trend", "units", "completeness"])
@pytest.mark.parametrize("area", ["540622", "5406", "54", "5401", "540102", "540622202218"])
def test_it_never_shows_the_county_admin_another_area(api, county_admin, story, endpoint, area):
    get(api(county_admin), endpoint, expect=404, area=area)


@pytest.mark.parametrize("endpoint", ["totals", "breakdown", "trend", "units", "completeness"])
def test_it_never_shows_the_outsider_doilungdeqen(api, outsider, story, endpoint):
    get(api(outsider), endpoint, expect=404, area="540103")
    body = get(api(outsider), endpoint)
    assert body["area"]["code"] == "540622"
    assert "堆龙德庆区" not in str(body) and "南嘎" not in str(body)


def test_it_keeps_the_county_admins_answers_inside_her_county(api, county_admin, story):
    client = api(county_admin)
    # The region unit also sent the 比如县 team: its 100 must not leak through the unit cut.
    for endpoint in ("totals", "breakdown", "units"):
        body = get(client, endpoint, indicator="P02")
        assert "比如" not in str(body)
    assert figures(get(client, "totals", unit=story.region_unit.pk))["P02"]["value"] == "13"
    get(client, "totals", expect=400, area="540103", unit=999_999)


def test_it_shows_the_liaison_only_its_own_unit(api, liaison, story):
    client = api(liaison)
    body = get(client, "totals")

    assert body["area"]["code"] == "54" and body["unit"]["name"] == "拉萨市堆龙德庆区统计局"
    for code in ("P02", "F04", "E04"):
        assert Decimal(figures(body)[code]["value"]) == story.expected(
            code, prefix="54", months=H2_2025, unit=story.county_unit
        )
    breakdown = get(client, "breakdown", indicator="P02")
    assert {area["code"]: area["value"] for area in breakdown["areas"]}["5401"] == "8"
    assert sum(Decimal(area["value"]) for area in breakdown["areas"]) == 8
    units = get(client, "units")
    assert [unit["name"] for unit in units["units"]] == ["拉萨市堆龙德庆区统计局"] and units["levels"] == []


def test_it_refuses_the_liaison_other_units_and_unit_levels(api, liaison, story):
    client = api(liaison)

    assert "unit" in get(client, "totals", expect=400, unit=story.region_unit.pk)
    assert "unit_level" in get(client, "totals", expect=400, unit_level="region")
    get(client, "totals", expect=404, area="540103001")  # unit cuts end at county level
    get(client, "completeness", expect=403)


def test_it_gives_the_liaison_nothing_of_a_county_its_unit_is_absent_from(api, liaison, story):
    body = get(api(liaison), "totals", area="540622")

    assert figures(body)["P02"]["value"] == "0" and body["freshness"]["rows"] == 0


@pytest.mark.parametrize("endpoint", ["options", "totals", "breakdown", "trend", "units", "completeness"])
def test_it_refuses_team_roles(api, nanga_leader, story, endpoint):
    body = get(api(nanga_leader), endpoint, expect=403)

    assert "统计" in body["detail"] or "完成情况" in body["detail"]


def test_it_refuses_anonymous_readers(story):
    assert APIClient().get(f"{STATS}totals/").status_code in (401, 403)


def test_it_gives_the_auditor_the_region(api, auditor, story):
    body = get(api(auditor), "breakdown")

    assert body["area"]["code"] == "54" and len(body["areas"]) == 7


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"kind": "week"}, "kind"),
        ({"period": "2025-13"}, "period"),
        ({"period": "December"}, "period"),
        ({"area": "5401x"}, "area"),
        ({"batch": "999"}, "batch"),
        ({"unit": "1", "unit_level": "county"}, "unit_level"),
        ({"unit_level": "galaxy"}, "unit_level"),
    ],
)
def test_it_refuses_bad_parameters_by_field(api, county_admin, story, params, field):
    assert field in get(api(county_admin), "totals", expect=400, **params)


def test_it_takes_an_empty_batch_as_all_batches(api, county_admin, story):
    assert figures(get(api(county_admin), "totals", batch=""))["P02"]["value"] == "21"


# -- options --------------------------------------------------------------------------------------------------------


def test_it_offers_the_pickers_choices(api, county_admin, story):
    body = get(api(county_admin), "options")

    assert body["default_area"]["code"] == "540103" and body["default_kind"] == "half"
    assert body["months"] == ["2025-09", "2025-10", "2025-11", "2025-12"]
    assert [batch["name"] for batch in body["batches"]] == ["第十批", "第九批"]
    assert {"value": "county", "label": "县直"} in body["unit_levels"] and body["units"] == []
    assert body["completeness"] is True
    assert len(body["categories"]) == 7 and body["indicators"][0]["code"] == "P01"


def test_it_offers_the_liaison_its_unit(api, liaison, story):
    body = get(api(liaison), "options")

    assert [unit["name"] for unit in body["units"]] == ["拉萨市堆龙德庆区统计局"]
    assert body["unit_levels"] == [] and body["completeness"] is False


# -- cost -------------------------------------------------------------------------------------------------------------

# Every signed-in request: the session, the user, the roles (the session's idle-time refresh writes at most once a
# minute: none here). A cached answer costs nothing more (reports/stats_cache.py); computing one costs each
# endpoint's own: the area with its ancestors, the latest month with figures, the store rows, and the names it shows
# (indicators, child areas, units, batches).
REQUEST = 3
QUERIES = {
    "options": REQUEST + 5,  # area path, latest month, months, batches, indicators
    "totals": REQUEST + 4,  # area path, latest month, rows, indicators
    "breakdown": REQUEST + 5,  # area path, latest month, rows, indicators, child areas
    "trend": REQUEST + 4,  # area path, latest month, indicators, rows
    "units": REQUEST + 6,  # area path, latest month, unit-level rows, indicators, unit rows, unit names
    "completeness": REQUEST + 4,  # area path, months stored, rows, child areas
}


@pytest.mark.parametrize("endpoint", list(QUERIES))
def test_it_answers_in_a_constant_number_of_queries(api, region_admin, story, endpoint, django_assert_num_queries):
    client = api(region_admin)
    client.get(f"{STATS}{endpoint}/")  # the session is read once; later requests cost the same
    with django_assert_num_queries(REQUEST):  # the answer just computed, from the cache
        get(client, endpoint)
    replace_stats_version()  # computed again
    with django_assert_num_queries(QUERIES[endpoint]):
        get(client, endpoint)

    # Ten more teams with approved reports across the region change nothing in the count.
    for within in ("540102", "540103", "540622", "5402", "5403", "5404", "5405", "5425", "540104", "540121"):
        team = WorkTeamFactory(batch=story.batch10, within=within, unit=DispatchingUnitFactory())
        report = MonthlyReportFactory(team=team, month=DEC, approved=True)
        ReportValue.objects.create(report=report, indicator=IndicatorFactory(code="P02"), value=Decimal("3"))
    story.rebuild()
    with django_assert_num_queries(QUERIES[endpoint]):
        get(client, endpoint)


def test_it_counts_the_unit_filter_as_one_more_query(api, county_admin, story):
    client = api(county_admin)
    client.get(f"{STATS}totals/")
    replace_stats_version()
    with CaptureQueriesContext(connection) as plain:
        get(client, "totals")
    with CaptureQueriesContext(connection) as cut:
        get(client, "totals", unit=story.region_unit.pk, batch=story.batch10.pk)

    assert len(cut) == len(plain) + 2  # the unit's name and the batch


# -- the schema --------------------------------------------------------------------------------------------------------


def test_it_documents_the_stats_endpoints_in_a_valid_schema(tmp_path, api, auditor):
    target = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    schema = target.read_text()

    for endpoint in ("options", "totals", "breakdown", "trend", "units", "completeness"):
        assert f"/api/v1/stats/{endpoint}/:" in schema
    assert "unit_level" in schema and "freshness" in schema.lower()


def test_team_values_in_the_story_are_what_the_store_counts(story):
    """Guards the story itself: the approved reports the tests expect are the ones the store counted."""
    counted = defaultdict(int)
    for row in Figure.objects.filter(kind="month", area_level=9, unit_key=""):
        counted[row.area_code] += row.report_count
    assert sum(counted.values()) == sum(
        1 for team, months in story.values.items() for month in months if (team, month) not in story.pending
    )
