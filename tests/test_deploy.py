"""Production settings (issue 7): what an operator gets with DEBUG=0, and the Content Security Policy every page keeps.

The production process is started for real, in a subprocess with a production environment (DEBUG=0, a secret key,
a public host name): Django's deployment check passes with no warning; plain http is redirected to https while
the proxy's X-Forwarded-Proto: https is believed; cookies are secure and HSTS is sent; static files are served
under hashed names with a long cache; log lines are JSON with ID numbers masked; a plain-http switch meant for
loopback refuses a public host. In this process, the pages people open (home for each role, the team list, a
report, the dashboard, the API docs) carry the policy and hold no inline script, handler or style to break it.
"""

import base64
import datetime
import json
import os
import re
import secrets
import subprocess
import sys
import textwrap
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.factories import MonthlyReportFactory

ROOT = Path(__file__).resolve().parent.parent
PUBLIC_HOST = "zhucun.example.gov.cn"
ID_NUMBER = "540102199001011234"


def production_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "SECURE_", "SESSION_", "CSRF_", "ZHUCUN_", "LOG_"))
        and key not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL"}
    }
    env.update(
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ZHUCUN_FIELD_KEYS=base64.urlsafe_b64encode(os.urandom(32)).decode(),
        ZHUCUN_HASH_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS=PUBLIC_HOST,
        CSRF_TRUSTED_ORIGINS=f"https://{PUBLIC_HOST}",
        DATABASE_URL=f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
        STATIC_ROOT=str(tmp_path / "static"),
        MEDIA_ROOT=str(tmp_path / "media"),
    )
    env.update(overrides)
    return env


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 (manage.py with our arguments)
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_it_passes_the_deployment_check_with_production_settings(tmp_path):
    checked = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env(tmp_path))

    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "System check identified no issues (0 silenced)." in checked.stdout


def test_it_refuses_to_start_without_a_secret_key(tmp_path):
    checked = manage("check", env=production_env(tmp_path, SECRET_KEY=""))

    assert checked.returncode != 0
    assert "SECRET_KEY must be set" in checked.stderr


def test_it_refuses_the_placeholder_key_of_the_env_example(tmp_path):
    lines = (ROOT / ".env.example").read_text().splitlines()
    placeholder = next(line.split("=", 1)[1] for line in lines if line.startswith("SECRET_KEY="))

    checked = manage("check", env=production_env(tmp_path, SECRET_KEY=placeholder))

    assert checked.returncode != 0
    assert "SECRET_KEY must be set" in checked.stderr


def test_it_refuses_plain_http_for_a_host_other_than_loopback(tmp_path):
    checked = manage("check", env=production_env(tmp_path, ZHUCUN_PLAIN_HTTP="1"))

    assert checked.returncode != 0
    assert "ZHUCUN_PLAIN_HTTP=1 serves plain http on loopback only" in checked.stderr


def test_it_allows_plain_http_on_loopback_for_make_serve(tmp_path):
    env = production_env(tmp_path, ZHUCUN_PLAIN_HTTP="1", ALLOWED_HOSTS="127.0.0.1,localhost")

    checked = manage("check", env=env)

    assert checked.returncode == 0, checked.stderr


def test_it_requires_two_factor_sign_in_in_production_unless_switched_off(tmp_path):
    show = ("shell", "-c", "from django.conf import settings; print('2FA', settings.ZHUCUN_REQUIRE_2FA)")

    production = manage(*show, env=production_env(tmp_path))
    switched_off = manage(*show, env=production_env(tmp_path, ZHUCUN_REQUIRE_2FA="0"))

    assert "2FA True" in production.stdout, production.stderr
    assert "2FA False" in switched_off.stdout, switched_off.stderr


# What a browser and a log collector see from the production process --------------------------------------------

PROBE = textwrap.dedent(
    f"""
    import json, logging, re
    import django
    django.setup()
    from django.core.management import call_command
    from django.test import Client

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    plain, proxied = Client(), Client(HTTP_X_FORWARDED_PROTO="https")
    result = {{}}

    response = plain.get("/accounts/login/", HTTP_HOST="{PUBLIC_HOST}")
    result["plain_login"] = [response.status_code, response.get("Location")]
    response = plain.get("/healthz", HTTP_HOST="{PUBLIC_HOST}")
    result["plain_healthz"] = response.status_code

    response = proxied.get("/accounts/login/", HTTP_HOST="{PUBLIC_HOST}")
    html = response.content.decode()
    result["login"] = response.status_code
    result["hsts"] = response.get("Strict-Transport-Security")
    result["csp"] = response.get("Content-Security-Policy")
    result["csrf_cookie_secure"] = bool(response.cookies["csrftoken"]["secure"])
    result["scripts"] = re.findall(r'<script src="([^"]+)"', html)
    result["styles"] = re.findall(r'<link rel="stylesheet" href="([^"]+)"', html)
    static = proxied.get(result["scripts"][0], HTTP_HOST="{PUBLIC_HOST}")
    result["static"] = [static.status_code, static.get("Cache-Control")]

    response = proxied.post(
        "/accounts/login/", {{"username": "nobody", "password": "wrong"}}, HTTP_HOST="{PUBLIC_HOST}"
    )
    result["rejected_login"] = response.status_code

    from django.contrib.auth import get_user_model
    get_user_model().objects.create_superuser("root", "", "Zhucun-probe-2026")
    response = proxied.post(
        "/accounts/login/", {{"username": "root", "password": "Zhucun-probe-2026"}}, HTTP_HOST="{PUBLIC_HOST}"
    )
    result["admin_login"] = [response.status_code, response.get("Location")]
    response = proxied.get("/", HTTP_HOST="{PUBLIC_HOST}")
    result["admin_home"] = [response.status_code, response.get("Location")]
    response = proxied.get("/accounts/two-factor/enrol/", HTTP_HOST="{PUBLIC_HOST}")
    result["enrol"] = [response.status_code, "<svg" in response.content.decode()]
    result["enrol_styles"] = re.findall(r'<link rel="stylesheet" href="([^"]+)"', response.content.decode())

    logging.getLogger("zhucun.probe").warning("cadre %s checked", "{ID_NUMBER}", extra={{"team_id": 7}})
    print("RESULT " + json.dumps(result))
    """
)


@pytest.fixture(scope="module")
def production(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("production")
    completed = subprocess.run(  # noqa: S603 (the probe above)
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=production_env(tmp_path, DJANGO_SETTINGS_MODULE="zhucun.settings"),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    lines = completed.stdout.splitlines()
    result = json.loads(next(line for line in lines if line.startswith("RESULT "))[len("RESULT ") :])
    result["log_lines"] = [line for line in lines if not line.startswith("RESULT ")]
    return result


def test_it_redirects_plain_http_to_https_except_the_health_probe(production):
    assert production["plain_login"] == [301, f"https://{PUBLIC_HOST}/accounts/login/"]
    assert production["plain_healthz"] == 200


def test_it_sends_hsts_and_secure_cookies_behind_the_tls_proxy(production):
    assert production["login"] == 200
    assert production["hsts"] == "max-age=31536000; includeSubDomains; preload"
    assert production["csrf_cookie_secure"] is True


def test_it_serves_static_files_under_hashed_names_with_a_long_cache(production):
    assert production["scripts"] == [production["scripts"][0]]
    assert re.fullmatch(r"/static/js/app\.[0-9a-f]{12}\.js", production["scripts"][0])
    assert all(re.search(r"\.[0-9a-f]{12}\.css$", href) for href in production["styles"])
    status, cache_control = production["static"]
    assert status == 200
    assert "max-age=315360000" in cache_control and "immutable" in cache_control


def test_it_asks_an_administrator_to_enrol_a_second_factor_in_production(production):
    assert production["admin_login"] == [302, "/accounts/two-factor/enrol/?next=%2F"]
    assert production["admin_home"] == [302, "/accounts/two-factor/enrol/?next=%2F"]
    assert production["enrol"] == [200, True]
    assert any(re.search(r"/static/css/two_factor\.[0-9a-f]{12}\.css$", href) for href in production["enrol_styles"])


def test_it_sends_the_content_security_policy_in_production(production):
    assert "script-src 'self'" in production["csp"]
    assert "unsafe-inline" not in production["csp"]


def test_it_writes_json_log_lines_with_id_numbers_masked(production):
    entries = [json.loads(line) for line in production["log_lines"] if line.startswith("{")]
    probe = next(entry for entry in entries if entry["logger"] == "zhucun.probe")

    assert probe["level"] == "WARNING"
    assert probe["message"] == "cadre 5401**********1234 checked"
    assert probe["team_id"] == 7
    assert datetime.datetime.fromisoformat(probe["time"]).tzinfo is not None
    assert ID_NUMBER not in "\n".join(production["log_lines"])
    # Failed logins are logged too (zhucun.auth), as JSON like everything else.
    assert production["rejected_login"] == 200
    assert any(entry["logger"] == "zhucun.auth" for entry in entries)


# The policy on the pages people open ---------------------------------------------------------------------------


class InlineCode(HTMLParser):
    """Collects what a policy without 'unsafe-inline' would block: <script> without src (JSON data blocks are not
    run, so they are allowed), on*= handlers, <style> elements and style= attributes."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script" and "src" not in attributes and attributes.get("type") != "application/json":
            self.found.append(f"inline <script> {attributes}")
        if tag == "style":
            self.found.append("<style>")
        for name, _ in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=...>")
            if name == "style":
                self.found.append(f"<{tag} style=...>")


def assert_keeps_to_the_policy(response) -> None:
    assert response.status_code == 200, response.status_code
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    if response["Content-Type"].startswith("text/html"):
        parser = InlineCode()
        parser.feed(response.content.decode())
        assert parser.found == [], parser.found


@pytest.mark.django_db
@pytest.mark.parametrize("person", ["region_admin", "county_admin", "nanga_leader", "auditor", "outsider"])
def test_it_keeps_the_home_page_of_every_role_to_the_policy(client, request, person):
    client.force_login(request.getfixturevalue(person))

    assert_keeps_to_the_policy(client.get("/"))


@pytest.mark.django_db
def test_it_keeps_the_login_page_to_the_policy(client):
    assert_keeps_to_the_policy(client.get("/accounts/login/"))


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/teams/", "/teams/cadres/", "/reports/", "/reports/dashboard/", "/reports/review/", "/api/docs/"]
)
def test_it_keeps_the_county_admins_pages_to_the_policy(client, county_admin, nanga_team, path):
    client.force_login(county_admin)

    assert_keeps_to_the_policy(client.get(path))


@pytest.mark.django_db
def test_it_keeps_the_report_page_and_team_page_to_the_policy(client, nanga_leader, nanga_team):
    report = MonthlyReportFactory(team=nanga_team)
    client.force_login(nanga_leader)

    assert_keeps_to_the_policy(client.get(f"/reports/{report.pk}/"))
    assert_keeps_to_the_policy(client.get(f"/teams/{nanga_team.pk}/"))


@pytest.mark.django_db
def test_it_serves_the_api_docs_start_up_script_as_a_file(client, county_admin):
    """Swagger UI's start-up code comes from the docs view itself (?script=), never inline."""
    client.force_login(county_admin)
    html = client.get("/api/docs/").content.decode()
    sources = re.findall(r'<script src="([^"]+)"', html)

    start_up = next(source for source in sources if "script" in source.split("?")[-1])
    response = client.get(start_up.replace("&amp;", "&"))

    assert response.status_code == 200
    assert "SwaggerUIBundle" in response.content.decode()
