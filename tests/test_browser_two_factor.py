"""Two-factor sign-in in a real headless Chromium, with the setting on as in production: the county admin of 堆龙德庆区
signs in for the first time, is made to enrol, reads the secret off the page as she would type it into her phone
(the code is computed from it with django_otp.oath.totp, as the phone does), keeps her recovery codes, signs out, and
signs in again with password and code. The pages run under the Content Security Policy with no violation.
"""

import base64
import re

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import TEST_PASSWORD
from tests.test_browser_csp import assert_no_violation, watch

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def phone_code(secret_text: str, *, steps_ahead: int = 0) -> str:
    """What an authenticator app shows for the secret as printed on the page (base32 in groups of four)."""
    secret = secret_text.replace(" ", "")
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    return f"{totp(key, step=30, t0=0, digits=6, drift=steps_ahead):06d}"


def sign_in(page, username: str) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("form [type=submit]")
    page.wait_for_load_state()


def test_a_county_admin_enrols_her_phone_and_signs_in_with_a_code(browser, live_server, settings, county_admin):
    settings.ZHUCUN_REQUIRE_2FA = True
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(15_000)
    console = watch(page)

    # First sign-in: straight to enrolment, whatever she asked for.
    page.goto("/teams/")
    assert "/accounts/login/" in page.url
    sign_in(page, "doilungdeqen-admin")
    assert "/accounts/two-factor/enrol/" in page.url
    assert page.locator("h1").inner_text() == "绑定验证器"
    assert page.locator("svg.otp-qr").is_visible()
    assert page.locator("svg.otp-qr").bounding_box()["width"] > 100
    assert_no_violation(page, console, page.url)
    # Nothing else opens before she has enrolled.
    page.goto("/reports/")
    assert "/accounts/two-factor/enrol/" in page.url

    secret = page.locator("#otp-secret").inner_text()
    page.fill("input[name=code]", "000000" if phone_code(secret) != "000000" else "111111")
    page.click("form [type=submit]:has-text('完成绑定')")
    assert "验证码不正确" in page.locator("#code-errors").inner_text()
    page.wait_for_timeout(1_500)  # django-otp's throttling: a second between tries after a failure

    page.fill("input[name=code]", phone_code(secret))
    page.click("form [type=submit]:has-text('完成绑定')")
    assert page.locator("h1").inner_text() == "验证器已绑定"
    codes = page.locator(".otp-recovery-codes code").all_inner_texts()
    assert len(codes) == 10 and all(re.fullmatch(r"[a-z2-7]{4}-[a-z2-7]{4}", code) for code in codes)
    assert_no_violation(page, console, page.url)
    page.click("text=我已保存，继续")
    assert page.url.endswith("/reports/")  # where she last asked to go
    assert TOTPDevice.objects.get(user=county_admin).confirmed

    # Sign out, and in again: password, then the code of the next 30-second step (the one just used is spent).
    page.click("button:has-text('退出登录')")
    page.wait_for_load_state()
    assert "/accounts/login/" in page.url
    sign_in(page, "doilungdeqen-admin")
    assert "/accounts/two-factor/verify/" in page.url
    assert page.locator("h1").inner_text() == "双因素验证"
    page.fill("input[name=code]", phone_code(secret, steps_ahead=1))
    page.click("form [type=submit]:has-text('验证')")
    page.wait_for_load_state()

    assert page.url.rstrip("/") == live_server.url
    assert page.locator(".user-name").is_visible()
    page.goto("/accounts/two-factor/")
    assert "已绑定验证器" in page.locator("main").inner_text()
    assert "还剩 10 个未使用" in page.locator("main").inner_text()
    assert_no_violation(page, console, page.url)
    context.close()
