"""A month of reporting in a real headless Chromium: the leader of the team in 南嘎居委会 logs two talks on a phone,
opens the month's report, finds the figures pre-filled, hits a validation error without losing what was typed,
saves a draft and submits; the county admin of 堆龙德庆区 returns it with a comment on one value; the leader
corrects and resubmits; the county approves. A second story: a session that expires before 保存 loses nothing.

The live server runs with the real clock, so the stories use a batch that covers today rather than pinned time.
"""

import pytest
from django.conf import settings
from django.utils import timezone

from reports.choices import ReportStatus
from reports.models import Activity, MonthlyReport, ReportEvent, ReviewComment
from reports.periods import add_months, month_start
from teams.choices import UnitLevel
from teams.models import WorkTeam
from tests.conftest import DESKTOP, PHONE
from tests.factories import TEST_PASSWORD, BatchFactory, DispatchingUnitFactory, UserRoleFactory, make_team
from zhucun.choices import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def current_team(nanga, doilungdeqen) -> WorkTeam:
    """The team in 南嘎居委会 of a batch that started three months ago."""
    start = add_months(month_start(timezone.localdate()), -3)
    batch = BatchFactory(number=30, start_date=start, end_date=start.replace(year=start.year + 1))
    unit = DispatchingUnitFactory(name="拉萨市堆龙德庆区统计局", level=UnitLevel.COUNTY, area=doilungdeqen)
    return make_team(village=nanga, batch=batch, unit=unit)


@pytest.fixture
def leader(current_team):
    return UserRoleFactory(role=Role.TEAM_LEADER, team=current_team, user__username="nanga-leader").user


def log_talk(page, *, title: str, participants: int) -> None:
    page.goto("/reports/activities/new/")
    page.select_option("select[name=activity_type]", label="宣讲会")
    page.fill("input[name=title]", title)
    page.fill("input[name=participants]", str(participants))
    page.click("main form [type=submit]")
    page.wait_for_load_state()
    assert f"已记录：{timezone.localdate():%m月%d日} {title}。" in page.locator(".messages").inner_text()


def value(page, code: str) -> str:
    return page.locator(f"input[name=value-{code}]").input_value()


def test_it_runs_a_month_from_the_leaders_phone_to_the_countys_approval(open_page, leader, county_admin, current_team):
    phone = open_page(leader, viewport=PHONE)

    log_talk(phone, title="惠民政策宣讲", participants=40)
    log_talk(phone, title="民族团结宣讲", participants=25)
    assert phone.locator("table tbody tr").count() == 2

    phone.goto("/reports/")
    phone.locator("a[role=button]", has_text="填写").first.click()
    phone.wait_for_load_state()
    assert "月报" in phone.locator("h1").inner_text()
    assert value(phone, "P02") == "2" and value(phone, "P06") == "65"
    assert "来自工作日志" in phone.locator("#row-P02").inner_text()
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # A word where a number belongs: the page says so next to the field and keeps everything typed.
    phone.fill("input[name=value-P01]", "三户")
    phone.fill("input[name=value-S02]", "4")
    phone.fill("textarea[name=summary]", "召开宣讲会两场，入户走访三户。")
    phone.click("button[value=submit]")
    phone.wait_for_load_state()
    assert "请输入数字。" in phone.locator("#row-P01").inner_text()
    assert value(phone, "P01") == "三户" and value(phone, "S02") == "4"
    assert phone.locator("textarea[name=summary]").input_value() == "召开宣讲会两场，入户走访三户。"
    report = MonthlyReport.objects.get(team=current_team)
    assert report.status == ReportStatus.DRAFT and report.draft_input == {"P01": "三户"}

    phone.fill("input[name=value-P01]", "3")
    phone.click("button[value=save]")
    phone.wait_for_load_state()
    assert "草稿已保存。" in phone.locator(".messages").inner_text()
    assert value(phone, "P01") == "3"
    phone.click("button[value=submit]")
    phone.wait_for_load_state()
    assert "等待县（区）审核" in phone.locator(".messages").inner_text()
    assert phone.locator("input[name=value-P01]").count() == 0

    # The county questions one value and sends the report back.
    desk = open_page(county_admin, viewport=DESKTOP)
    desk.goto("/reports/review/")
    desk.locator("tr", has_text="南嘎居委会").locator("a", has_text="审核").click()
    desk.wait_for_load_state()
    assert "65" in desk.locator("#row-P06").inner_text()
    desk.fill("input[name=comment-P02]", "工作日志只记了两场，请核对场次。")
    desk.fill("textarea[name=comment]", "请核对宣讲场次后重新提交。")
    desk.click("button[value=return]")
    desk.wait_for_load_state()
    assert "已退回" in desk.locator(".messages").inner_text()

    # The leader sees the question beside the value, corrects it and submits again.
    phone.reload()
    assert "工作日志只记了两场，请核对场次。" in phone.locator("#row-P02").inner_text()
    assert "请核对宣讲场次后重新提交。" in phone.locator(".banner-returned").inner_text()
    phone.fill("input[name=value-P02]", "3")
    phone.click("button[value=submit]")
    phone.wait_for_load_state()
    assert "等待县（区）审核" in phone.locator(".messages").inner_text()

    desk.goto("/reports/review/")
    desk.locator("tr", has_text="南嘎居委会").locator("a", has_text="审核").click()
    desk.wait_for_load_state()
    desk.click("button[value=approve]")
    desk.wait_for_load_state()
    assert "已审核通过" in desk.locator(".messages").inner_text()

    phone.reload()
    assert "已审核·已锁定" in phone.locator(".banner-locked").inner_text()

    report.refresh_from_db()
    assert report.status == ReportStatus.APPROVED and report.reviewed_by == county_admin
    values = {code: int(number) for code, number in report.values.values_list("indicator__code", "value")}
    assert values == {"P01": 3, "P02": 3, "P06": 65, "S02": 4}
    assert report.summary == "召开宣讲会两场，入户走访三户。" and report.draft_input == {}
    kinds = list(report.events.values_list("kind", flat=True))
    assert kinds[0] == ReportEvent.Kind.CREATED and kinds[-1] == ReportEvent.Kind.APPROVED
    assert kinds.count(ReportEvent.Kind.SUBMITTED) == 2 and kinds.count(ReportEvent.Kind.RETURNED) == 1
    comment = ReviewComment.objects.get(event__report=report)
    assert (comment.indicator.code, comment.comment) == ("P02", "工作日志只记了两场，请核对场次。")
    assert Activity.objects.filter(team=current_team, created_by=leader).count() == 2


def test_it_keeps_what_was_typed_when_the_session_expired_before_saving(open_page, leader, current_team):
    phone = open_page(leader, viewport=PHONE)
    phone.goto(f"/reports/teams/{current_team.pk}/{timezone.localdate():%Y-%m}/")
    phone.wait_for_load_state()
    phone.fill("input[name=value-P04]", "2")
    phone.fill("textarea[name=summary]", "举办专题讲座两场。")

    # The session ran out while the leader was typing: the browser drops the session cookie (the CSRF one stays).
    phone.context.clear_cookies(name=settings.SESSION_COOKIE_NAME)
    phone.click("button[value=save]")
    phone.wait_for_load_state()
    assert "/accounts/login/" in phone.url
    phone.fill("input[name=username]", leader.username)
    phone.fill("input[name=password]", TEST_PASSWORD)
    phone.click("form [type=submit]")
    phone.wait_for_load_state()

    assert value(phone, "P04") == ""  # the server never got it ...
    banner = phone.locator("#report-restore")
    assert banner.is_visible()  # ... but the phone kept it
    banner.get_by_role("button", name="恢复这些输入").click()
    assert value(phone, "P04") == "2"
    assert phone.locator("textarea[name=summary]").input_value() == "举办专题讲座两场。"
    phone.click("button[value=save]")
    phone.wait_for_load_state()

    report = MonthlyReport.objects.get(team=current_team)
    assert report.values.get(indicator__code="P04").value == 2 and report.summary == "举办专题讲座两场。"
    # Saved: the copy is gone and the page offers nothing more to restore.
    assert not phone.locator("#report-restore").is_visible()
    keys = phone.evaluate("Object.keys(window.localStorage).filter(k => k.startsWith('zhucun-report-'))")
    assert keys == []
