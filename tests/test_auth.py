"""Login, lock-out, login logging, session lifetimes and password change.

The county admin of 堆龙德庆区 logs in from the county office (10.54.1.10); somebody guesses her password
from there; she logs in from home (10.54.2.20); her colleague the region admin shares the office address.
"""

import datetime
import io
import logging
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.test import Client
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from tests.factories import TEST_PASSWORD
from zhucun.logging_filters import MaskPersonalDataFilter, mask_personal_data

pytestmark = pytest.mark.django_db

OFFICE = "10.54.1.10"
HOME = "10.54.2.20"
# 10:00 in Lhasa (Beijing time), a Tuesday in March.
START = datetime.datetime(2026, 3, 10, 2, 0, tzinfo=datetime.UTC)
WRONG_PASSWORD = "not-her-password-42"


def log_in(client, username, password=TEST_PASSWORD, *, ip=OFFICE, next_url=None, **extra):
    data = {"username": username, "password": password} | ({"next": next_url} if next_url is not None else {})
    return client.post(reverse("login"), data, REMOTE_ADDR=ip, **extra)


def auth_messages(caplog) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == "zhucun.auth"]


@pytest.fixture
def auth_log(caplog):
    caplog.set_level(logging.INFO, logger="zhucun.auth")
    return caplog


# Login page and logging -------------------------------------------------------------------------------


def test_it_renders_the_login_page_in_chinese(client):
    response = client.get(reverse("login"))

    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="zh-hans">' in html
    assert "驻村工作队管理系统" in html
    assert "用户名" in html and "密码" in html and "登录" in html
    assert 'name="viewport"' in html


def test_it_logs_a_successful_login_with_the_username_and_address(client, county_admin, auth_log):
    response = log_in(client, "doilungdeqen-admin")

    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert client.session["_auth_user_id"] == str(county_admin.pk)
    messages = auth_messages(auth_log)
    assert any("login succeeded" in m and "doilungdeqen-admin" in m and OFFICE in m for m in messages)
    assert TEST_PASSWORD not in auth_log.text


def test_it_logs_a_failed_login_without_the_password(client, county_admin, auth_log):
    response = log_in(client, "doilungdeqen-admin", WRONG_PASSWORD)

    assert response.status_code == 200
    assert "请输入一个正确的用户名和密码" in response.content.decode()
    assert "_auth_user_id" not in client.session
    messages = auth_messages(auth_log)
    assert any("login failed" in m and "doilungdeqen-admin" in m and OFFICE in m for m in messages)
    failures = [r for r in auth_log.records if r.name == "zhucun.auth" and "failed" in r.getMessage()]
    assert failures and all(record.levelno == logging.WARNING for record in failures)
    assert WRONG_PASSWORD not in auth_log.text


def test_it_logs_a_failed_login_of_an_unknown_username(client, auth_log):
    log_in(client, "nobody-here", WRONG_PASSWORD)

    assert any("login failed" in m and "nobody-here" in m for m in auth_messages(auth_log))


def test_it_logs_out_only_by_post(client, county_admin, auth_log):
    log_in(client, "doilungdeqen-admin")

    assert client.get(reverse("logout")).status_code == 405
    assert "_auth_user_id" in client.session
    response = client.post(reverse("logout"))

    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    assert "_auth_user_id" not in client.session
    assert any("logout" in m and "doilungdeqen-admin" in m for m in auth_messages(auth_log))


# Lock-out ---------------------------------------------------------------------------------------------


def test_it_locks_a_username_from_one_address_after_five_failures(client, county_admin, region_admin, time_machine):
    time_machine.move_to(START, tick=False)
    for _ in range(4):
        assert log_in(client, "doilungdeqen-admin", WRONG_PASSWORD).status_code == 200
    fifth = log_in(client, "doilungdeqen-admin", WRONG_PASSWORD)

    assert fifth.status_code == 429
    assert "已暂时锁定" in fifth.content.decode()

    # The right password from the same address is refused too, with the lock-out page saying when to retry.
    sixth = log_in(client, "doilungdeqen-admin", TEST_PASSWORD)
    html = sixth.content.decode()
    assert sixth.status_code == 429
    assert "已暂时锁定" in html
    assert "当前所在的网络地址" in html
    assert "10:15" in html  # 15 minutes after the last counted failure, in Beijing time
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("home")).status_code == 302

    # Not locked by address alone, nor by username alone.
    from_home = Client()
    assert log_in(from_home, "doilungdeqen-admin", ip=HOME).status_code == 302
    assert from_home.session["_auth_user_id"] == str(county_admin.pk)
    colleague = Client()
    assert log_in(colleague, "region-admin", ip=OFFICE).status_code == 302
    assert colleague.session["_auth_user_id"] == str(region_admin.pk)


def test_it_logs_the_lock_out(client, county_admin, auth_log):
    for _ in range(5):
        log_in(client, "doilungdeqen-admin", WRONG_PASSWORD)
    log_in(client, "doilungdeqen-admin", TEST_PASSWORD)

    messages = auth_messages(auth_log)
    assert sum("login failed" in m and OFFICE in m for m in messages) == 6
    assert any("locked out" in m and "doilungdeqen-admin" in m and OFFICE in m for m in messages)
    assert TEST_PASSWORD not in auth_log.text
    assert WRONG_PASSWORD not in auth_log.text


def test_it_lets_the_username_in_again_after_the_cool_off(client, county_admin, time_machine):
    time_machine.move_to(START, tick=False)
    for _ in range(5):
        log_in(client, "doilungdeqen-admin", WRONG_PASSWORD)

    time_machine.shift(datetime.timedelta(minutes=16))
    response = log_in(client, "doilungdeqen-admin")

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(county_admin.pk)


def test_it_restarts_the_cool_off_when_the_locked_username_tries_again(client, county_admin, time_machine):
    """django-axes' default (AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT): hammering keeps the lock on, and
    the lock-out page gives the new time."""
    time_machine.move_to(START, tick=False)
    for _ in range(5):
        log_in(client, "doilungdeqen-admin", WRONG_PASSWORD)
    time_machine.shift(datetime.timedelta(minutes=10))

    retry = log_in(client, "doilungdeqen-admin")

    assert retry.status_code == 429
    assert "10:25" in retry.content.decode()
    time_machine.shift(datetime.timedelta(minutes=6))
    assert log_in(client, "doilungdeqen-admin").status_code == 429
    time_machine.shift(datetime.timedelta(minutes=16))
    assert log_in(client, "doilungdeqen-admin").status_code == 302


# Every page but login needs a signed-in user ----------------------------------------------------------

# Outside the browser pages: the API answers 401/403 itself, the admin has its own login, /healthz is public.
PUBLIC_OR_OWN_AUTH = ("/admin/", "/healthz", "/static/", "/media/")
PUBLIC_NAMES = {"login"}


def _sample_paths(resolver: URLResolver | None = None, prefix: str = "", namespace: str = ""):
    """Every URL of the site with converters filled in (1 for numbers, sample text for the rest)."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            ns = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _sample_paths(pattern, prefix + _fill(pattern.pattern), ns)
        elif isinstance(pattern, URLPattern) and "format>" not in str(pattern.pattern):  # not ".json" twins
            yield f"{namespace}{pattern.name or ''}", "/" + prefix + _fill(pattern.pattern)


def _fill(pattern) -> str:
    import re

    text = str(pattern)
    if text.startswith("^"):  # a regex pattern (DRF's router): fill the groups, drop the anchors
        text = re.sub(r"\(\?P<\w+>[^)]*\)", "1", text).strip("^$").replace("\\.", ".")
        text = text.replace("/?", "/")
    text = re.sub(r"<int:\w+>", "1", text)
    text = re.sub(r"<(?:str:|slug:)?\w+>", "540103", text)
    return re.sub(r"<path:\w+>", "x", text)


def test_it_sends_anonymous_visitors_of_every_page_to_the_login(client):
    login_url = reverse("login")
    checked = []
    for name, path in _sample_paths():
        if name in PUBLIC_NAMES or path.startswith(PUBLIC_OR_OWN_AUTH):
            continue
        response = client.get(path)
        if response.status_code == 405:  # a POST-only action (logout, the API token): nothing to show anyway
            continue
        if path.startswith("/api/") and name != "api-docs":  # the docs are a page for people: to the login
            assert response.status_code in (401, 403), (path, response.status_code)
        else:
            assert response.status_code == 302, (path, response.status_code)
            assert response["Location"].startswith(f"{login_url}?next="), (path, response["Location"])
        checked.append(path)

    assert "/" in checked
    assert reverse("password_change") in checked
    assert reverse("password_change_done") in checked


def test_it_lets_a_signed_in_user_past_the_login_page(client, county_admin):
    client.force_login(county_admin)

    response = client.get(reverse("login"))

    assert response.status_code == 302
    assert response["Location"] == reverse("home")


# Sessions ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/", "http://evil.example/teams/", "https:evil.example", r"/\evil.example"],
)
def test_it_never_sends_a_user_to_another_site_after_login(client, county_admin, target):
    """No open redirect (issue 8, item 7): `next` naming another site, in the address or in the form, lands on
    our home page."""
    from_address = client.post(
        f"{reverse('login')}?{urlencode({'next': target})}",
        {"username": "doilungdeqen-admin", "password": TEST_PASSWORD},
    )
    client.logout()
    from_form = log_in(client, "doilungdeqen-admin", next_url=target)

    for response in (from_address, from_form):
        assert response.status_code == 302
        assert response["Location"] == reverse("home")
    assert "evil.example" not in client.get(reverse("home"), follow=True).content.decode()


def test_it_follows_next_within_the_site_after_login(client, county_admin):
    response = client.post(
        f"{reverse('login')}?next={reverse('password_change')}",
        {"username": "doilungdeqen-admin", "password": TEST_PASSWORD},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("password_change")


def test_it_ends_a_session_twelve_hours_after_login_however_active_the_user_is(client, county_admin, time_machine):
    time_machine.move_to(START, tick=False)
    log_in(client, "doilungdeqen-admin")
    page = reverse("password_change")

    # A request every 25 minutes never lets the 30-minute idle limit strike: 28 of them take 11 h 40 min.
    for _ in range(28):
        time_machine.shift(datetime.timedelta(minutes=25))
        assert client.get(page).status_code == 200
    time_machine.shift(datetime.timedelta(minutes=25))  # 12 h 05 min after login
    response = client.get(page)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert "_auth_user_id" not in client.session


def test_it_starts_a_fresh_twelve_hours_when_the_user_signs_in_again(client, county_admin, time_machine):
    time_machine.move_to(START, tick=False)
    log_in(client, "doilungdeqen-admin")
    for _ in range(29):
        time_machine.shift(datetime.timedelta(minutes=25))
        client.get(reverse("password_change"))
    assert "_auth_user_id" not in client.session

    assert log_in(client, "doilungdeqen-admin").status_code == 302
    time_machine.shift(datetime.timedelta(minutes=25))

    assert client.get(reverse("password_change")).status_code == 200


def test_it_expires_a_session_after_thirty_idle_minutes(client, county_admin, time_machine):
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is False  # saved once a minute instead (test_session_refresh.py)
    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.db"
    time_machine.move_to(START, tick=False)
    log_in(client, "doilungdeqen-admin")
    session_key = client.session.session_key
    page = reverse("password_change")

    time_machine.shift(datetime.timedelta(minutes=29))
    assert client.get(page).status_code == 200  # and the expiry moves on by 30 minutes
    time_machine.shift(datetime.timedelta(minutes=29))
    assert client.get(page).status_code == 200
    time_machine.shift(datetime.timedelta(minutes=31))
    response = client.get(page)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert not Session.objects.filter(session_key=session_key, expire_date__gt=timezone.now()).exists()
    call_command("clearsessions")
    assert not Session.objects.filter(session_key=session_key).exists()


# Password change --------------------------------------------------------------------------------------


def test_it_changes_the_password(client, county_admin):
    client.force_login(county_admin)
    new_password = "Gesang-Lhasa-2026"

    response = client.post(
        reverse("password_change"),
        {"old_password": TEST_PASSWORD, "new_password1": new_password, "new_password2": new_password},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("password_change_done")
    county_admin.refresh_from_db()
    assert county_admin.check_password(new_password)
    done = client.get(reverse("password_change_done"))
    assert "密码已修改" in done.content.decode()  # still signed in: the session was kept


def test_it_refuses_a_nine_character_password_in_chinese(client, county_admin):
    client.force_login(county_admin)

    response = client.post(
        reverse("password_change"),
        {"old_password": TEST_PASSWORD, "new_password1": "Gs-Lhasa9", "new_password2": "Gs-Lhasa9"},
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "密码太短，至少需要 10 个字符。" in html
    assert "too short" not in html
    county_admin.refresh_from_db()
    assert county_admin.check_password(TEST_PASSWORD)


@pytest.mark.parametrize(
    ("password", "message"),
    [("password123", "这个密码太常见了。"), ("qwertyuiop", "这个密码太常见了。"), ("2026031012", "密码只包含数字。")],
)
def test_it_refuses_a_common_or_numeric_only_password_in_chinese(client, county_admin, password, message):
    client.force_login(county_admin)

    response = client.post(
        reverse("password_change"),
        {"old_password": TEST_PASSWORD, "new_password1": password, "new_password2": password},
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert "too common" not in html and "entirely numeric" not in html
    county_admin.refresh_from_db()
    assert county_admin.check_password(TEST_PASSWORD)


def test_it_refuses_a_wrong_old_password_in_chinese(client, county_admin):
    client.force_login(county_admin)

    response = client.post(
        reverse("password_change"),
        {"old_password": "wrong", "new_password1": "Gesang-Lhasa-2026", "new_password2": "Gesang-Lhasa-2026"},
    )

    assert response.status_code == 200
    assert "旧密码不正确" in response.content.decode()


# Masking personal data in logs ------------------------------------------------------------------------

ID_NUMBER = "54010319900101123X"
PHONE = "13812345678"


def test_it_masks_id_numbers_and_mobile_numbers():
    assert mask_personal_data(f"身份证 {ID_NUMBER}") == "身份证 5401**********123X"
    assert mask_personal_data(f"phone={PHONE};") == "phone=138****5678;"
    assert mask_personal_data("+8613812345678") == "+86138****5678"
    # Digits of an ID number are never read as a phone; short numbers and timestamps stay.
    assert mask_personal_data("540103199001011234") == "5401**********1234"
    assert mask_personal_data("order 12345 at 20260310") == "order 12345 at 20260310"


@pytest.fixture
def masked_logger():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    handler.addFilter(MaskPersonalDataFilter())
    logger = logging.getLogger("zhucun.tests.masking")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    yield logger, stream
    logger.removeHandler(handler)


def test_it_masks_personal_data_in_the_message_and_its_arguments(masked_logger):
    logger, stream = masked_logger

    class Person:
        def __str__(self):
            return f"卓玛 {ID_NUMBER} {PHONE}"

    logger.info(f"cadre {ID_NUMBER} created")
    logger.info("cadre %s phone %s", ID_NUMBER, PHONE)
    logger.info("cadre %(id)s", {"id": ID_NUMBER})
    logger.info("person %s", Person())
    logger.info("phone as a number %d", int(PHONE))

    output = stream.getvalue()
    assert ID_NUMBER not in output
    assert PHONE not in output
    assert output.count("5401**********123X") == 4
    assert output.count("138****5678") == 3
    assert "cadre 5401**********123X phone 138****5678" in output


def test_it_masks_personal_data_in_tracebacks(masked_logger):
    logger, stream = masked_logger
    try:
        raise ValueError(f"duplicate id_number {ID_NUMBER}")
    except ValueError:
        logger.exception("import failed for %s", PHONE)

    output = stream.getvalue()
    assert "Traceback" in output
    assert ID_NUMBER not in output and PHONE not in output
    assert "duplicate id_number 5401**********123X" in output


def test_it_never_writes_a_known_url_name_that_does_not_resolve():
    # The shell links to these by name; a rename elsewhere would silently drop a menu entry.
    for name in ("home", "login", "logout", "password_change", "password_change_done"):
        try:
            reverse(name)
        except NoReverseMatch:  # pragma: no cover - the assertion below explains
            pytest.fail(f"URL name {name!r} is missing")
