"""Two-factor sign-in (issue 8, item 7): TOTP for region, prefecture and county admins and auditors.

The county admin of 堆龙德庆区 signs in from the county office (10.54.1.10) with the setting on, as in production:
she enrols her phone the first time, then gives a code at every sign-in; the 南嘎 team leader is not asked. Codes are
computed from the device's key with django_otp.oath.totp at the (frozen) time of the request, as her phone would.
"""

import datetime
import logging
import re

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import override_settings
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token

from tests.factories import TEST_PASSWORD
from tests.test_deploy import assert_keeps_to_the_policy
from zhucun import two_factor
from zhucun.otp_views import grouped_secret

pytestmark = pytest.mark.django_db

OFFICE = "10.54.1.10"
START = datetime.datetime(2026, 3, 10, 2, 0, tzinfo=datetime.UTC)
STEP = datetime.timedelta(seconds=31)

required = override_settings(ZHUCUN_REQUIRE_2FA=True)


_clock = {}


@pytest.fixture(autouse=True)
def _frozen_clock(time_machine):
    time_machine.move_to(START, tick=False)
    _clock["machine"] = time_machine


def later(delta: datetime.timedelta) -> None:
    """Move the frozen clock on (past django-otp's throttling delay, or to the next 30-second TOTP step)."""
    _clock["machine"].shift(delta)


@pytest.fixture
def auth_log(caplog):
    caplog.set_level(logging.INFO, logger="zhucun.auth")
    return caplog


def code_for(device: TOTPDevice) -> str:
    """The code the phone shows now."""
    device.refresh_from_db()
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def wrong_code(device: TOTPDevice) -> str:
    right = code_for(device)
    return f"{(int(right) + 500_000) % 1_000_000:06d}"


def enrolled(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="验证器", confirmed=True)


def log_in(client, username, password=TEST_PASSWORD, **data):
    return client.post(reverse("login"), {"username": username, "password": password, **data}, REMOTE_ADDR=OFFICE)


def verify(client, code, **data):
    return client.post(reverse("two_factor_verify"), {"code": code, **data}, REMOTE_ADDR=OFFICE)


def auth_messages(caplog) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == "zhucun.auth"]


# Who is asked --------------------------------------------------------------------------------------------


@required
@pytest.mark.parametrize("person", ["region_admin", "county_admin", "auditor"])
def test_it_sends_an_admin_or_auditor_without_an_authenticator_to_enrol(client, request, person):
    user = request.getfixturevalue(person)

    response = log_in(client, user.username)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("two_factor_enrol"))
    assert client.session[SESSION_KEY] == str(user.pk)  # the password step is done
    assert client.get(reverse("home"))["Location"].startswith(reverse("two_factor_enrol"))


@required
def test_it_asks_a_prefecture_admin_too(client, lhasa):
    from tests.factories import UserRoleFactory
    from zhucun.choices import Role

    user = UserRoleFactory(role=Role.PREFECTURE_ADMIN, area=lhasa, user__username="lhasa-admin").user

    assert log_in(client, "lhasa-admin")["Location"].startswith(reverse("two_factor_enrol"))
    assert two_factor.is_required(user)


@required
def test_it_does_not_ask_a_team_leader(client, nanga_leader, auth_log):
    response = log_in(client, "nanga-leader")

    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert client.get(reverse("home")).status_code == 200
    assert client.get("/api/v1/me/").status_code == 200
    assert not any("two-factor" in m for m in auth_messages(auth_log))


@required
def test_it_asks_a_team_leader_who_enrolled_of_his_own_accord(client, nanga_leader):
    enrolled(nanga_leader)

    response = log_in(client, "nanga-leader")

    assert response["Location"].startswith(reverse("two_factor_verify"))


@override_settings(ZHUCUN_REQUIRE_2FA=False)
def test_it_asks_nobody_when_the_setting_is_off(client, county_admin):
    enrolled(county_admin)

    response = log_in(client, "doilungdeqen-admin")

    assert response["Location"] == reverse("home")
    assert client.get(reverse("home")).status_code == 200
    assert client.get("/api/v1/me/").status_code == 200
    account = client.get(reverse("two_factor")).content.decode()
    assert "未启用双因素验证" in account


def test_it_is_off_in_the_demo_and_on_in_production():
    """DEBUG=1 (the demo, the tests) leaves it off; test_deploy checks it on with the production settings."""
    from django.conf import settings

    assert settings.ZHUCUN_REQUIRE_2FA is False


# Nothing before the second step -----------------------------------------------------------------------------

PAGES = ["/", "/teams/", "/teams/cadres/", "/reports/", "/reports/dashboard/", "/exports/", "/api/docs/", "/admin/"]
API = ["/api/v1/", "/api/v1/me/", "/api/v1/work-teams/", "/api/v1/stats/totals/", "/api/schema/"]


@required
def test_it_lets_an_unverified_admin_reach_no_page_and_no_api(client, county_admin):
    enrolled(county_admin)
    log_in(client, "doilungdeqen-admin")

    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith(reverse("two_factor_verify") + "?next="), path
    for path in API:
        response = client.get(path)
        assert response.status_code == 403, path
        assert response.json() == {"detail": "请先在网页上输入验证器中的动态验证码，完成双因素验证后再访问。"}, path
    written = client.post("/api/v1/work-teams/", {}, content_type="application/json")
    assert written.status_code == 403
    assert client.post(reverse("reports:approve_many"), {}).status_code == 302


@required
def test_it_holds_every_url_of_the_site_until_the_code_is_given(client, county_admin):
    """Every URL pattern (as tests/test_auth.py enumerates them), with a session that passed only the password."""
    from tests.test_auth import _sample_paths

    enrolled(county_admin)
    log_in(client, "doilungdeqen-admin")
    open_names = {"login", "logout", "two_factor_verify", "two_factor_enrol", "healthz", "api:token"}
    checked = 0
    for name, path in _sample_paths():
        if name in open_names or path.startswith(("/static/", "/media/")):
            continue
        response = client.get(path)
        if path.startswith("/api/") and name != "api-docs":
            assert response.status_code == 403, (path, response.status_code)
        else:
            assert response.status_code == 302, (path, response.status_code)
            assert response["Location"].startswith(reverse("two_factor_verify")), (path, response["Location"])
        checked += 1
    assert checked > 150


@required
def test_it_lets_an_admin_without_an_authenticator_reach_nothing_but_enrolment(client, county_admin):
    log_in(client, "doilungdeqen-admin")

    for path in PAGES:
        assert client.get(path)["Location"].startswith(reverse("two_factor_enrol") + "?next="), path
    response = client.get("/api/v1/me/")
    assert response.status_code == 403
    assert "绑定验证器" in response.json()["detail"]
    # Not even the code page: there is no authenticator to ask.
    assert client.get(reverse("two_factor_verify"))["Location"].startswith(reverse("two_factor_enrol"))


@required
def test_it_holds_a_session_signed_in_before_the_setting_was_turned_on(client, auditor):
    client.force_login(auditor)

    assert client.get("/")["Location"].startswith(reverse("two_factor_enrol"))
    assert client.get("/api/v1/me/").status_code == 403


# Enrolment -----------------------------------------------------------------------------------------------


@required
def test_it_enrols_an_authenticator_and_shows_ten_recovery_codes_once(client, county_admin, auth_log):
    log_in(client, "doilungdeqen-admin", next="/teams/")
    page = client.get(reverse("two_factor_enrol"), {"next": "/teams/"})
    html = page.content.decode()

    assert page.status_code == 200
    assert "绑定验证器" in html and "管理员和审计账号登录时须使用双因素验证" in html
    assert "<svg" in html and 'class="otp-qr"' in html
    device = TOTPDevice.objects.get(user=county_admin)
    assert device.confirmed is False
    secret = re.search(r'<code class="otp-secret" id="otp-secret">([A-Z2-7 ]+)</code>', html)[1]
    assert grouped_secret(device) == secret
    assert client.get(reverse("two_factor_enrol")).content.decode().count(secret) == 1  # same key on reload

    wrong = client.post(reverse("two_factor_enrol"), {"code": wrong_code(device), "next": "/teams/"})
    assert "验证码不正确" in wrong.content.decode()
    device.refresh_from_db()
    assert device.confirmed is False

    later(STEP)
    done = client.post(reverse("two_factor_enrol"), {"code": code_for(device), "next": "/teams/"}, REMOTE_ADDR=OFFICE)
    html = done.content.decode()

    assert done.status_code == 200
    assert "验证器已绑定" in html
    codes = re.findall(r"<li><code>([a-z2-7]{4}-[a-z2-7]{4})</code></li>", html)
    assert len(codes) == 10 == StaticToken.objects.filter(device__user=county_admin).count()
    assert 'href="/teams/"' in html
    device.refresh_from_db()
    assert device.confirmed is True
    assert client.get("/teams/").status_code == 200
    assert client.get("/api/v1/me/").status_code == 200
    messages = auth_messages(auth_log)
    assert any("two-factor enrolled" in m and "doilungdeqen-admin" in m and OFFICE in m for m in messages)
    assert not any(code in auth_log.text for code in codes)
    assert device.key not in auth_log.text and secret.replace(" ", "") not in auth_log.text


@required
def test_it_draws_the_qr_code_as_inline_svg_without_any_style(client, county_admin):
    log_in(client, "doilungdeqen-admin")

    response = client.get(reverse("two_factor_enrol"))

    assert_keeps_to_the_policy(response)
    svg = re.search(r"<svg.*?</svg>", response.content.decode(), re.S)[0]
    assert "style" not in svg and "<script" not in svg


# The second step -----------------------------------------------------------------------------------------


@required
def test_it_signs_an_enrolled_admin_in_with_a_code(client, county_admin, auth_log):
    device = enrolled(county_admin)

    first = log_in(client, "doilungdeqen-admin", next="/teams/")
    assert first.status_code == 302
    assert first["Location"] == reverse("two_factor_verify") + "?next=%2Fteams%2F"
    page = client.get(first["Location"])
    assert "双因素验证" in page.content.decode()
    assert 'name="next" value="/teams/"' in page.content.decode()

    before = client.session.session_key
    second = verify(client, code_for(device), next="/teams/")

    assert second.status_code == 302
    assert second["Location"] == "/teams/"
    assert client.session.session_key != before  # a new session key for the verified session
    assert client.get("/teams/").status_code == 200
    messages = auth_messages(auth_log)
    assert any("login succeeded" in m and "doilungdeqen-admin" in m for m in messages)
    assert any("two-factor verified (authenticator)" in m and OFFICE in m for m in messages)
    assert code_for(device) not in auth_log.text


@required
def test_it_refuses_a_wrong_code_in_chinese_and_logs_it(client, county_admin, auth_log):
    device = enrolled(county_admin)
    log_in(client, "doilungdeqen-admin")

    response = verify(client, wrong_code(device))

    assert response.status_code == 200
    assert "验证码不正确。请输入验证器中当前显示的 6 位数字" in response.content.decode()
    assert client.get("/")["Location"].startswith(reverse("two_factor_verify"))
    assert any("two-factor failed" in m and "doilungdeqen-admin" in m for m in auth_messages(auth_log))
    # django-otp's throttling: right after a failure even the right code waits a second.
    throttled = verify(client, code_for(device))
    assert "尝试过于频繁" in throttled.content.decode()
    later(datetime.timedelta(seconds=2))
    assert verify(client, code_for(device))["Location"] == reverse("home")


@required
def test_it_refuses_an_empty_or_malformed_code(client, county_admin):
    enrolled(county_admin)
    log_in(client, "doilungdeqen-admin")

    assert "请输入验证码。" in verify(client, "").content.decode()
    assert "验证码不正确" in verify(client, "abc<script>").content.decode()


@required
def test_it_does_not_take_the_same_code_twice(client, county_admin):
    device = enrolled(county_admin)
    log_in(client, "doilungdeqen-admin")
    code = code_for(device)
    assert verify(client, code).status_code == 302
    client.post(reverse("logout"))

    log_in(client, "doilungdeqen-admin")
    later(datetime.timedelta(seconds=2))  # past the throttle, still inside the same 30 s step

    assert "验证码不正确" in verify(client, code).content.decode()


@required
def test_it_locks_the_username_out_after_five_wrong_codes(client, county_admin, auth_log):
    device = enrolled(county_admin)
    log_in(client, "doilungdeqen-admin")
    for _ in range(4):
        later(datetime.timedelta(seconds=20))  # past django-otp's growing delay
        assert verify(client, wrong_code(device)).status_code == 200

    later(datetime.timedelta(seconds=20))
    fifth = verify(client, wrong_code(device))

    assert fifth.status_code == 429
    assert "已暂时锁定" in fifth.content.decode()
    assert SESSION_KEY not in client.session  # signed out
    # Even the right password (and then a right code) is refused from this address until the cool-off ends.
    again = log_in(client, "doilungdeqen-admin")
    assert again.status_code == 429
    assert any("locked out" in m and "doilungdeqen-admin" in m for m in auth_messages(auth_log))


@required
def test_it_takes_a_recovery_code_once(client, county_admin, auth_log):
    enrolled(county_admin)
    codes = two_factor.make_recovery_codes(county_admin)
    log_in(client, "doilungdeqen-admin")

    used = verify(client, codes[3].upper())  # as typed from paper: capitals, with the dash

    assert used["Location"] == reverse("home")
    home = client.get(reverse("home")).content.decode()
    assert "您使用了一个恢复码，还剩 9 个" in home
    assert any("two-factor verified (recovery code)" in m for m in auth_messages(auth_log))
    assert codes[3] not in auth_log.text and codes[3].replace("-", "") not in auth_log.text

    client.post(reverse("logout"))
    log_in(client, "doilungdeqen-admin")
    later(datetime.timedelta(seconds=2))
    assert "验证码不正确" in verify(client, codes[3]).content.decode()
    later(datetime.timedelta(seconds=3))
    assert verify(client, codes[4].replace("-", ""))["Location"] == reverse("home")


@required
@pytest.mark.parametrize(
    "next_url",
    ["https://evil.example.com/", "//evil.example.com/", "http://testserver.evil.example.com/", "javascript:alert(1)"],
)
def test_it_never_redirects_off_the_site_after_the_second_step(client, county_admin, next_url):
    device = enrolled(county_admin)
    first = log_in(client, "doilungdeqen-admin", next=next_url)
    assert first["Location"] == reverse("two_factor_verify") + "?next=%2F"  # the login page dropped it already

    response = verify(client, code_for(device), next=next_url)

    assert response.status_code == 302
    assert response["Location"] == reverse("home")


@required
def test_it_keeps_the_new_pages_to_the_content_security_policy(client, county_admin):
    device = enrolled(county_admin)
    log_in(client, "doilungdeqen-admin")
    assert_keeps_to_the_policy(client.get(reverse("two_factor_verify")))
    verify(client, code_for(device))

    assert_keeps_to_the_policy(client.get(reverse("two_factor")))
    assert_keeps_to_the_policy(client.get(reverse("two_factor_enrol")))
    assert_keeps_to_the_policy(client.post(reverse("two_factor_recovery_codes")))


# The account page, new recovery codes, a new phone, a reset ----------------------------------------------------


@required
def test_it_shows_the_status_and_makes_new_recovery_codes(client, county_admin, auth_log):
    device = enrolled(county_admin)
    old = two_factor.make_recovery_codes(county_admin)
    log_in(client, "doilungdeqen-admin")
    verify(client, code_for(device))

    page = client.get(reverse("two_factor")).content.decode()
    assert "已绑定验证器" in page and "还剩 10 个未使用" in page and "登录时必须使用双因素验证" in page

    response = client.post(reverse("two_factor_recovery_codes"))
    new = re.findall(r"<li><code>([a-z2-7]{4}-[a-z2-7]{4})</code></li>", response.content.decode())

    assert len(new) == 10 and not set(new) & set(old)
    assert "原来的恢复码已全部作废" in response.content.decode()
    assert StaticToken.objects.filter(device__user=county_admin).count() == 10
    assert any("recovery codes made" in m for m in auth_messages(auth_log))


@required
def test_it_shows_a_team_leader_that_enrolling_is_up_to_him(client, nanga_leader):
    log_in(client, "nanga-leader")

    page = client.get(reverse("two_factor")).content.decode()

    assert "未绑定验证器" in page and "可自愿使用双因素验证" in page
    response = client.post(reverse("two_factor_recovery_codes"))
    assert response["Location"] == reverse("two_factor")


@required
def test_it_replaces_the_authenticator_of_a_new_phone_only_after_a_code(client, county_admin):
    old = enrolled(county_admin)
    log_in(client, "doilungdeqen-admin")
    assert client.get(reverse("two_factor_enrol"))["Location"].startswith(reverse("two_factor_verify"))
    verify(client, code_for(old))

    page = client.get(reverse("two_factor_enrol")).content.decode()
    assert "更换验证器" in page
    new = TOTPDevice.objects.get(user=county_admin, confirmed=False)
    later(STEP)
    client.post(reverse("two_factor_enrol"), {"code": code_for(new)})

    assert list(TOTPDevice.objects.filter(user=county_admin).values_list("pk", "confirmed")) == [(new.pk, True)]


@required
def test_the_django_admin_resets_a_lost_phone(client, county_admin, auth_log):
    from django.contrib.auth import get_user_model

    enrolled(county_admin)
    two_factor.make_recovery_codes(county_admin)
    superuser = get_user_model().objects.create_superuser("root", "root@example.com", TEST_PASSWORD)
    root_device = enrolled(superuser)
    log_in(client, "root")
    verify(client, code_for(root_device))

    response = client.post(
        "/admin/auth/user/",
        {"action": "reset_two_factor", "_selected_action": [county_admin.pk]},
        follow=True,
    )

    assert "已重置 1 个用户的双因素验证" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=county_admin).exists()
    assert not StaticDevice.objects.filter(user=county_admin).exists()
    assert any("two-factor reset" in m and "doilungdeqen-admin" in m and "root" in m for m in auth_messages(auth_log))
    other = type(client)()
    assert log_in(other, "doilungdeqen-admin")["Location"].startswith(reverse("two_factor_enrol"))


# The API token -------------------------------------------------------------------------------------------


def token(client, **data):
    return client.post("/api/v1/auth/token/", data, content_type="application/json", REMOTE_ADDR=OFFICE)


@required
def test_the_token_api_asks_a_required_user_for_a_code(client, county_admin):
    device = enrolled(county_admin)

    missing = token(client, username="doilungdeqen-admin", password=TEST_PASSWORD)
    assert missing.status_code == 400
    assert missing.json() == {"otp": ["请填写验证器中的 6 位动态验证码。"]}

    wrong = token(client, username="doilungdeqen-admin", password=TEST_PASSWORD, otp=wrong_code(device))
    assert wrong.status_code == 400
    assert wrong.json() == {"otp": ["动态验证码不正确。"]}
    assert not Token.objects.filter(user=county_admin).exists()

    later(datetime.timedelta(seconds=2))
    right = token(client, username="doilungdeqen-admin", password=TEST_PASSWORD, otp=code_for(device))
    assert right.status_code == 200
    assert right.json() == {"token": Token.objects.get(user=county_admin).key}


@required
def test_the_token_api_refuses_a_required_user_without_an_authenticator(client, auditor):
    response = token(client, username="auditor", password=TEST_PASSWORD, otp="123456")

    assert response.status_code == 400
    assert "绑定验证器" in response.json()["otp"][0]
    assert not Token.objects.filter(user=auditor).exists()


@required
def test_the_token_api_checks_the_password_before_the_code(client, county_admin):
    enrolled(county_admin)

    response = token(client, username="doilungdeqen-admin", password="not-her-password-42")

    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["用户名或密码错误。"]}


@required
def test_the_token_api_counts_wrong_codes_towards_the_lock_out(client, county_admin):
    device = enrolled(county_admin)
    statuses = []
    for _ in range(5):
        later(datetime.timedelta(seconds=20))
        statuses.append(
            token(client, username="doilungdeqen-admin", password=TEST_PASSWORD, otp=wrong_code(device)).status_code
        )

    assert statuses == [400, 400, 400, 400, 429]
    later(datetime.timedelta(seconds=20))
    locked = token(client, username="doilungdeqen-admin", password=TEST_PASSWORD, otp=code_for(device))
    assert locked.status_code == 429


@required
def test_the_token_api_asks_a_team_leader_for_nothing(client, nanga_leader):
    response = token(client, username="nanga-leader", password=TEST_PASSWORD)

    assert response.status_code == 200
    assert "token" in response.json()


@required
def test_it_refuses_an_old_token_of_an_admin_who_has_not_enrolled(client, auditor, county_admin):
    """A token made while the setting was off is no way around the second factor."""
    old = Token.objects.create(user=auditor)

    response = client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {old.key}")

    assert response.status_code == 403
    assert "绑定验证器" in response.json()["detail"]
    admin_token = Token.objects.create(user=county_admin)
    enrolled(county_admin)
    assert client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {admin_token.key}").status_code == 200


@required
def test_enrolling_revokes_the_token_made_without_a_code(client, county_admin):
    old = Token.objects.create(user=county_admin)
    log_in(client, "doilungdeqen-admin")
    client.get(reverse("two_factor_enrol"))
    device = TOTPDevice.objects.get(user=county_admin)

    client.post(reverse("two_factor_enrol"), {"code": code_for(device)})

    assert not Token.objects.filter(key=old.key).exists()
    script = type(client)()  # no session: the token alone
    assert script.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {old.key}").status_code in (401, 403)
