"""The API's own pieces: the OpenAPI schema and its Swagger UI (vendored, no CDN, no inline script), token
authentication through django-axes (locked out after five failures per username and address), and /me/."""

import re

import pytest
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.management import call_command
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import TEST_PASSWORD

ROUTES = (
    "/api/v1/areas/",
    "/api/v1/areas/{code}/",
    "/api/v1/dispatching-units/",
    "/api/v1/batches/",
    "/api/v1/work-teams/",
    "/api/v1/work-teams/{id}/",
    "/api/v1/work-teams/{id}/set-leader/",
    "/api/v1/cadres/",
    "/api/v1/cadres/{id}/",
    "/api/v1/cadres/{id}/reveal-id-number/",
    "/api/v1/assignments/",
    "/api/v1/assignments/{id}/end/",
    "/api/v1/leave-requests/",
    "/api/v1/leave-requests/{id}/approve/",
    "/api/v1/leave-requests/{id}/refuse/",
    "/api/v1/leave-requests/{id}/cancel/",
    "/api/v1/me/",
    "/api/v1/auth/token/",
)
TOKEN = "/api/v1/auth/token/"


@pytest.fixture
def api():
    def signed_in(user) -> APIClient:
        client = APIClient()
        client.force_login(user)
        return client

    return signed_in


@pytest.fixture
def signals():
    """The login signals sent during the test, as (signal name, username)."""
    sent = []

    def on_login(sender, request, user, **kwargs):
        sent.append(("logged_in", user.get_username()))

    def on_failure(sender, credentials, request=None, **kwargs):
        sent.append(("failed", credentials.get("username")))

    user_logged_in.connect(on_login, dispatch_uid="test_api_schema_login")
    user_login_failed.connect(on_failure, dispatch_uid="test_api_schema_failure")
    yield sent
    user_logged_in.disconnect(dispatch_uid="test_api_schema_login")
    user_login_failed.disconnect(dispatch_uid="test_api_schema_failure")


# -- schema and docs ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_serves_an_openapi_3_schema_with_every_route(api, auditor):
    response = api(auditor).get(reverse("api-schema"), {"format": "json"})

    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    missing = [route for route in ROUTES if route not in schema["paths"]]
    assert missing == []
    assert {"cookieAuth", "tokenAuth"} <= set(schema["components"]["securitySchemes"])


@pytest.mark.django_db
def test_it_keeps_the_schema_for_signed_in_users(db):
    assert APIClient().get(reverse("api-schema")).status_code in (401, 403)


@pytest.mark.django_db
def test_it_validates_the_schema_without_a_warning(tmp_path):
    """`manage.py spectacular --validate --fail-on-warn` raises on any warning or an invalid schema."""
    target = tmp_path / "schema.yaml"

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))

    assert target.read_text(encoding="utf-8").startswith("openapi: 3")


@pytest.mark.django_db
def test_it_serves_swagger_ui_from_the_vendored_copy_without_inline_script(api, auditor):
    response = api(auditor).get(reverse("api-docs"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in html
    assert "/static/vendor/swagger-ui/swagger-ui.css" in html
    for cdn in ("cdn", "jsdelivr", "unpkg", "cdnjs", "//"):
        assert not re.search(rf'(src|href)="[^"]*{re.escape(cdn)}', html), cdn
    scripts = re.findall(r"<script([^>]*)>", html)
    assert scripts and all("src=" in attributes for attributes in scripts)

    script = api(auditor).get(reverse("api-docs"), {"script": ""})
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert reverse("api-schema") in script.content.decode()


@pytest.mark.django_db
def test_it_sends_a_signed_out_reader_of_the_docs_to_the_login_page(client):
    response = client.get(reverse("api-docs"))

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next=/api/docs/"


# -- token authentication -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_gives_a_token_that_authenticates_api_requests(county_admin, nanga_team, signals):
    response = APIClient().post(TOKEN, {"username": county_admin.username, "password": TEST_PASSWORD}, format="json")

    assert response.status_code == 200, response.content
    token = response.json()["token"]
    assert Token.objects.get(user=county_admin).key == token
    assert signals == [("logged_in", county_admin.username)]

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    teams = client.get("/api/v1/work-teams/")
    assert teams.status_code == 200
    assert [row["id"] for row in teams.json()["results"]] == [nanga_team.pk]


@pytest.mark.django_db
def test_it_refuses_a_wrong_password_in_chinese(county_admin, signals):
    response = APIClient().post(TOKEN, {"username": county_admin.username, "password": "wrong"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["用户名或密码错误。"]}
    assert not Token.objects.exists()
    assert signals == [("failed", county_admin.username)]


@pytest.mark.django_db
def test_it_refuses_a_bad_token(nanga_team):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token 0000000000000000000000000000000000000000")

    assert client.get("/api/v1/work-teams/").status_code in (401, 403)


@pytest.mark.django_db
def test_it_locks_a_username_out_after_five_failures_from_one_address(county_admin):
    client = APIClient()
    wrong = {"username": county_admin.username, "password": "wrong"}
    right = {"username": county_admin.username, "password": TEST_PASSWORD}

    statuses = [client.post(TOKEN, wrong, format="json", REMOTE_ADDR="10.9.8.7").status_code for _ in range(5)]
    locked = client.post(TOKEN, right, format="json", REMOTE_ADDR="10.9.8.7")

    assert statuses == [400, 400, 400, 400, 429]  # the fifth failure starts the lock
    assert locked.status_code == 429
    assert "token" not in locked.json()
    assert "锁定" in locked.json()["detail"]
    assert not Token.objects.exists()
    # The lock is per username and address: the same user elsewhere is not locked out.
    assert client.post(TOKEN, right, format="json", REMOTE_ADDR="10.9.8.8").status_code == 200


@pytest.mark.django_db
def test_it_requires_username_and_password(db):
    response = APIClient().post(TOKEN, {}, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"username", "password"}


# -- me -----------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_describes_the_county_admins_roles_and_scopes(api, county_admin):
    me = api(county_admin).get("/api/v1/me/").json()

    assert me["username"] == county_admin.username
    assert me["roles"] == [
        {
            "role": "county_admin",
            "role_display": "县委组织部管理员",
            "area": "540103",
            "area_name": "堆龙德庆区",
            "unit": None,
            "unit_name": None,
            "team": None,
            "team_name": None,
        }
    ]
    assert me["scopes"]["manage"] == {"everything": False, "areas": ["540103"], "units": [], "teams": []}
    assert me["scopes"]["see_id_number"]["areas"] == ["540103"]
    assert me["scopes"]["request_leave"] == {"everything": False, "areas": [], "units": [], "teams": []}


@pytest.mark.django_db
def test_it_describes_the_team_leaders_team(api, nanga_leader, nanga_team):
    me = api(nanga_leader).get("/api/v1/me/").json()

    assert [(role["role"], role["team"], role["team_name"]) for role in me["roles"]] == [
        ("team_leader", nanga_team.pk, nanga_team.name)
    ]
    assert me["scopes"]["request_leave"]["teams"] == [nanga_team.pk]
    assert me["scopes"]["manage"]["teams"] == []


@pytest.mark.django_db
def test_it_says_the_region_admin_reaches_the_whole_region(api, region_admin):
    me = api(region_admin).get("/api/v1/me/").json()

    # Bound to 54, not to everything: the same database may one day hold other provinces.
    assert me["scopes"]["administer"]["everything"] is False
    assert me["scopes"]["administer"]["areas"] == ["54"]
