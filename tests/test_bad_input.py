"""Issue 8 part 3: bad input through the API and the pages. Wrong types, numbers past the column's digits, negative
numbers, 10,000-character text, control characters, emoji and Tibetan script, HTML and JavaScript: each is either
refused with a clear Chinese error (next to the field, or in the API's 400 body) or stored as typed and shown escaped
everywhere it appears (pages, the API's JSON, Excel exports); and a refused multi-value save stores nothing of it.

Malformed and oversized Excel uploads (not a workbook, empty, wrong headers, too many rows, too big) are covered by
tests/test_roster_import.py; a database error in the middle of a save by tests/test_faults.py.
"""

import datetime
import html
import re
from decimal import Decimal
from io import BytesIO

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from exports.builders import BUILDERS
from exports.choices import ExportKind
from exports.params import export_request_resolve
from reports.models import Activity, MonthlyReport, ReportValue
from reports.workflow import report_open, report_save
from teams.models import Cadre
from tests.factories import ActivityTypeFactory, api

pytestmark = pytest.mark.django_db

REPORTS = "/api/v1/monthly-reports/"
CADRES = "/api/v1/cadres/"
ACTIVITIES = "/api/v1/activities/"
FEBRUARY = datetime.date(2026, 2, 1)
VALID_ID_NUMBER = "54010319900307009X"  # born 1990-03-07; check character X
SCRIPT = "<script>alert(1)</script>"
ATTRIBUTE = '"><img src=x onerror=alert(1)>'
TIBETAN = "བསྟན་འཛིན་ཆོས་སྒྲོན"
EMOJI = "卓玛🙏🏔️"
HOSTILE_TEXTS = [SCRIPT, ATTRIBUTE, f"{TIBETAN} {EMOJI}", "第一行\n第二行\t制表", "响铃\x07转义\x1b[31m"]
CHINESE = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(autouse=True)
def _early_march(time_machine):
    time_machine.move_to(datetime.datetime(2026, 3, 3, 10, 0, tzinfo=datetime.UTC), tick=True)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def draft(nanga_team, nanga_leader) -> MonthlyReport:
    report = report_open(actor=nanga_leader, team=nanga_team, month=FEBRUARY)
    report_save(actor=nanga_leader, report=report, values={"P02": "3"}, narrative={"summary": "召开宣讲会三场。"})
    return report


def stored(report: MonthlyReport) -> dict:
    fresh = MonthlyReport.objects.get(pk=report.pk)
    return {
        "version": fresh.version,
        "summary": fresh.summary,
        "values": sorted(ReportValue.objects.filter(report=report).values_list("indicator__code", "value", "note")),
    }


def messages_of(body) -> list[str]:
    if isinstance(body, dict):
        return [text for value in body.values() for text in messages_of(value)]
    if isinstance(body, list):
        return [text for value in body for text in messages_of(value)]
    return [str(body)]


def assert_chinese(messages: list[str]) -> None:
    assert messages, "no message"
    assert all(CHINESE.search(message) for message in messages), messages


# -- numbers ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "-5",  # negative
        "1e30",  # beyond max_digits, written as an exponent
        "123456789012345678901234567890",  # beyond max_digits
        "0.0000001",  # more decimals than the column keeps
        "abc",
        "三",
        "💯",
        TIBETAN,
        SCRIPT,
        "1\x07",
        "Infinity",
        "NaN",
    ],
)
def test_it_refuses_a_value_that_is_not_a_valid_number_in_chinese_and_keeps_the_stored_one(typed, nanga_leader, draft):
    response = api(nanga_leader).patch(f"{REPORTS}{draft.pk}/", {"values": {"P02": typed}}, format="json")

    assert response.status_code == 200, response.content
    assert_chinese(response.json()["input_errors"]["P02"])
    assert ReportValue.objects.get(report=draft, indicator__code="P02").value == Decimal("3")
    # What was typed is kept (nothing typed is lost) but it blocks the submission.
    submission = api(nanga_leader).post(f"{REPORTS}{draft.pk}/submit/")
    assert submission.status_code == 400
    assert_chinese(submission.json()["P02"])


@pytest.mark.parametrize(
    "body",
    [
        {"values": ["P02", "3"]},  # a list where a mapping is expected
        {"values": {"P02": ["3"]}},  # a list where a value is expected
        {"values": {"P02": {"value": 3}}},
        {"notes": "一条说明"},
        {"summary": ["小结"]},
        {"summary": "小结\x00"},  # a NUL byte: PostgreSQL text cannot hold it
        {"values": {"P02": "4"}, "summary": {"text": "小结"}},  # one good value, one bad field: nothing stored
    ],
)
def test_it_answers_wrong_types_with_400_field_errors_and_stores_nothing(body, nanga_leader, draft):
    before = stored(draft)

    response = api(nanga_leader).patch(f"{REPORTS}{draft.pk}/", body, format="json")

    assert response.status_code == 400, response.content
    assert set(response.json()) <= {"values", "notes", "summary"}
    assert_chinese(messages_of(response.json()))
    assert stored(draft) == before


def test_it_refuses_huge_and_negative_counts_of_an_activity_in_chinese(nanga_leader, nanga_team):
    kind = ActivityTypeFactory()
    for participants in (-1, 10**12, "十二", 1.5):
        body = {"team": nanga_team.pk, "date": "2026-02-10", "activity_type": kind.pk, "title": "宣讲"}
        response = api(nanga_leader).post(ACTIVITIES, {**body, "participants": participants}, format="json")

        assert response.status_code == 400, response.content
        assert_chinese(response.json()["participants"])
    assert not Activity.objects.filter(team=nanga_team).exists()


# -- text ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", HOSTILE_TEXTS)
def test_it_stores_hostile_narrative_and_notes_as_typed_and_shows_them_escaped(
    text, client, nanga_leader, county_admin, draft
):
    response = api(nanga_leader).patch(
        f"{REPORTS}{draft.pk}/", {"summary": text, "notes": {"P02": text}, "problems": text}, format="json"
    )

    assert response.status_code == 200, response.content
    draft.refresh_from_db()
    assert draft.summary == text.strip()
    assert ReportValue.objects.get(report=draft, indicator__code="P02").note == text.strip()
    assert api(county_admin).get(f"{REPORTS}{draft.pk}/").json()["summary"] == text.strip()
    for user in (nanga_leader, county_admin):
        client.force_login(user)
        page = client.get(reverse("reports:report", args=[draft.pk])).content.decode()
        assert_escaped(page, text)


def assert_escaped(page: str, text: str) -> None:
    """The page carries the text only HTML-escaped: no tag or attribute of it is live."""
    assert SCRIPT not in page
    assert "<img src=x" not in page
    if "<" in text:
        assert html.escape(text.strip()) in page or html.escape(text.strip(), quote=False) in page


def test_it_takes_ten_thousand_characters_of_summary_or_refuses_them_in_chinese(nanga_leader, draft):
    text = "藏" * 10_000
    before = stored(draft)

    response = api(nanga_leader).patch(f"{REPORTS}{draft.pk}/", {"summary": text}, format="json")

    if response.status_code == 400:
        assert_chinese(messages_of(response.json()))
        assert stored(draft) == before
    else:
        assert response.status_code == 200, response.content
        assert MonthlyReport.objects.get(pk=draft.pk).summary == text


@pytest.mark.parametrize("name", [f"{TIBETAN}", EMOJI, SCRIPT, ATTRIBUTE, "扎西\x07"])
def test_it_registers_a_cadre_with_any_script_in_the_name_and_shows_it_escaped(
    name, client, county_admin, nanga_team, settings
):
    body = {"name": name, "gender": "F", "id_number": VALID_ID_NUMBER, "phone": "13908901234"}
    response = api(county_admin).post(CADRES, {**body, "home_unit": nanga_team.unit_id}, format="json")

    if response.status_code == 400:  # refused: with a Chinese reason on the name, and nothing stored
        assert_chinese(response.json()["name"])
        assert not Cadre.objects.filter(id_number=VALID_ID_NUMBER).exists()
        return
    assert response.status_code == 201, response.content
    cadre = Cadre.objects.get(pk=response.json()["id"])
    assert cadre.name == name.strip()
    client.force_login(county_admin)
    for url in (reverse("teams:cadre_detail", args=[cadre.pk]), reverse("teams:cadre_list") + "?q=" + name[:2]):
        page = client.get(url)
        assert page.status_code == 200
        assert_escaped(page.content.decode(), name)
    assert api(county_admin).get(f"{CADRES}{cadre.pk}/").json()["name"] == name.strip()


def test_it_refuses_a_cadre_with_a_ten_thousand_character_name_in_chinese(county_admin, nanga_team):
    body = {"name": "次" * 10_000, "gender": "F", "id_number": VALID_ID_NUMBER, "phone": "13908901234"}

    response = api(county_admin).post(CADRES, {**body, "home_unit": nanga_team.unit_id}, format="json")

    assert response.status_code == 400
    assert_chinese(response.json()["name"])
    assert not Cadre.objects.filter(id_number=VALID_ID_NUMBER).exists()


@pytest.mark.parametrize("text", HOSTILE_TEXTS)
def test_it_logs_an_activity_with_hostile_text_and_shows_it_escaped(text, client, nanga_leader, nanga_team):
    kind = ActivityTypeFactory()
    body = {"team": nanga_team.pk, "date": "2026-02-10", "activity_type": kind.pk, "title": text, "notes": text}

    response = api(nanga_leader).post(ACTIVITIES, body, format="json")

    assert response.status_code == 201, response.content
    activity = Activity.objects.get(pk=response.json()["id"])
    assert activity.title == text.strip()
    client.force_login(nanga_leader)
    page = client.get(reverse("reports:activity_list"))
    assert page.status_code == 200
    assert_escaped(page.content.decode(), text)


# -- the form pages ------------------------------------------------------------------------------------------------


def test_the_report_form_refuses_bad_numbers_next_to_the_field_and_keeps_the_good_ones(client, nanga_leader, draft):
    client.force_login(nanga_leader)
    draft.refresh_from_db()
    data = {"version": draft.version, "action": "save", "value-P02": "-5", "value-P01": "1e40", "summary": SCRIPT}

    response = client.post(reverse("reports:report", args=[draft.pk]), data, follow=True)

    assert response.status_code == 200
    page = response.content.decode()
    assert_escaped(page, SCRIPT)
    assert CHINESE.search(page)
    assert ReportValue.objects.get(report=draft, indicator__code="P02").value == Decimal("3")
    assert not ReportValue.objects.filter(report=draft, indicator__code="P01", value__isnull=False).exists()
    draft.refresh_from_db()
    assert draft.summary == SCRIPT
    assert set(draft.draft_input) == {"P01", "P02"}  # kept as typed, shown back with the error


def test_the_cadre_form_shows_a_chinese_error_next_to_a_bad_field_and_stores_nothing(client, county_admin, nanga_team):
    client.force_login(county_admin)
    data = {"name": SCRIPT, "gender": "F", "id_number": "540102199001010091", "phone": "1390890", "home_unit": ""}

    response = client.post(reverse("teams:cadre_create"), data)

    assert response.status_code == 200  # the form again, with its errors
    page = response.content.decode()
    assert_escaped(page, SCRIPT)
    assert CHINESE.search(page)
    assert not Cadre.objects.filter(name=SCRIPT).exists()


# -- exports -------------------------------------------------------------------------------------------------------


def test_the_roster_export_carries_hostile_names_as_plain_inert_text(county_admin, nanga_team):
    leader = nanga_team.assignments.get(role="leader").cadre
    leader.name = f"{SCRIPT}{TIBETAN}\x07"
    leader.save(update_fields=["name"])
    member = nanga_team.assignments.exclude(role="leader").first().cadre
    member.name = '=HYPERLINK("http://x","点我")'
    member.save(update_fields=["name"])

    request = export_request_resolve(user=county_admin, kind=ExportKind.ROSTER, data={})
    buffer = BytesIO()
    BUILDERS[ExportKind.ROSTER](user=county_admin, params=request.params, path=buffer, title=request.title)
    sheet = load_workbook(BytesIO(buffer.getvalue()))["干部花名册"]
    cells = [cell for row in sheet.iter_rows() for cell in row if isinstance(cell.value, str)]

    assert any(cell.value == f"{SCRIPT}{TIBETAN}" for cell in cells)  # the control character dropped, the rest kept
    formula = [cell for cell in cells if "HYPERLINK" in cell.value]
    assert formula
    # Kept as typed, but as text that no spreadsheet evaluates (exports/xlsx.py: inline string + quote prefix).
    assert all(cell.data_type == "s" and cell.quotePrefix for cell in formula)


# -- the dashboard (ECharts renders tooltips as HTML) -----------------------------------------------------------------

HOSTILE_UNIT = '<img src=x onerror="window.__xss=1">拉萨市<b>统计局</b>'


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_dashboard_shows_a_hostile_unit_name_as_text_in_charts_and_tooltips(open_page, region_admin, batch):
    from reports.completeness import completeness_rebuild
    from reports.rollup import rebuild_batch
    from tests.factories import DispatchingUnitFactory, IndicatorFactory, MonthlyReportFactory, WorkTeamFactory

    unit = DispatchingUnitFactory(name=HOSTILE_UNIT)
    team = WorkTeamFactory(batch=batch, within="540103", unit=unit)
    report = MonthlyReportFactory(team=team, month=FEBRUARY, approved=True)
    ReportValue.objects.create(report=report, indicator=IndicatorFactory(code="P02"), value=Decimal("30"))
    rebuild_batch(batch)
    completeness_rebuild()
    page = open_page(region_admin)
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    page.goto("/reports/dashboard/")
    page.wait_for_selector("#dashboard[data-loaded=true]")
    units = page.locator('[data-chart="units"]')
    units.scroll_into_view_if_needed()
    box = units.bounding_box()
    for fraction in (0.2, 0.35, 0.5):  # over the bars: ECharts draws the tooltip
        page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * fraction)
        page.wait_for_timeout(300)

    assert page.evaluate("window.__xss") is None
    assert dialogs == []
    assert page.locator("img[src=x]").count() == 0
    units_body = page.request.get("/api/v1/stats/units/").json()
    assert HOSTILE_UNIT in str(units_body)  # the API hands the name over as data, unchanged
