"""Personal data in the Django admin (issue 8, item 6: every unmasking is logged). The changelist masks ID numbers
and phones; the pages that show a cadre's full ID number (the change form, a past version's form in the change
history) each write a PersonalDataAccess row; the history list masks them in its changes column.

The API has no history endpoints; the web pages' history masks both (tests/test_pages_cadres.py)."""

import datetime

import pytest
from django.contrib import admin
from django.urls import reverse
from simple_history.admin import SimpleHistoryAdmin

from teams import services
from teams.models import Cadre
from tests.factories import CadreFactory, id_number
from tests.test_admin import ADMIN_MODELS, admin_url, build_teams
from zhucun.models import PersonalDataAccess

pytestmark = pytest.mark.django_db

OLD_NUMBER = id_number(area="540103", birth=datetime.date(1985, 1, 1), serial=123, male=True)
NEW_NUMBER = id_number(area="540103", birth=datetime.date(1985, 1, 1), serial=125, male=True)
OLD_PHONE, NEW_PHONE = "13912345678", "13898765432"


@pytest.fixture
def cadre(doilungdeqen, region_admin) -> Cadre:
    """A cadre whose ID number and phone were corrected once: two versions in the history."""
    cadre = CadreFactory(id_number=OLD_NUMBER, phone=OLD_PHONE)
    return services.cadre_update(actor=region_admin, cadre=cadre, id_number=NEW_NUMBER, phone=NEW_PHONE)


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def reveals(user, cadre) -> list[str]:
    return list(
        PersonalDataAccess.objects.filter(
            user=user, cadre=cadre, kind=PersonalDataAccess.Kind.REVEAL_ID_NUMBER
        ).values_list("detail", flat=True)
    )


def test_the_changelist_masks_id_numbers_and_phones_and_logs_nothing(admin_client, admin_user, cadre):
    body = page(admin_client, reverse("admin:teams_cadre_changelist"))

    assert cadre.name in body
    assert cadre.masked_id_number in body and "138****5432" in body
    for secret in (OLD_NUMBER, NEW_NUMBER, OLD_PHONE, NEW_PHONE):
        assert secret not in body
    assert reveals(admin_user, cadre) == []


def test_the_history_list_masks_id_numbers_and_phones(admin_client, admin_user, cadre):
    body = page(admin_client, reverse("admin:teams_cadre_history", args=[cadre.pk]))

    assert cadre.name in body
    # The change is there, masked as on the web pages; the ID number's keyed hash is left out.
    assert Cadre(id_number=OLD_NUMBER).masked_id_number in body and cadre.masked_id_number in body
    assert "139****5678" in body and "138****5432" in body
    assert cadre.id_number_hash not in body and "身份证号索引" not in body
    for secret in (OLD_NUMBER, NEW_NUMBER, OLD_PHONE, NEW_PHONE, OLD_NUMBER[6:14], NEW_NUMBER[6:14]):
        assert secret not in body
    assert reveals(admin_user, cadre) == []


def test_a_past_version_in_the_history_is_shown_only_with_an_access_row(admin_client, admin_user, cadre):
    first = cadre.history.order_by("history_id").first()

    body = page(admin_client, reverse("admin:teams_cadre_simple_history", args=[cadre.pk, first.history_id]))

    assert OLD_NUMBER in body  # the version as it was, for a region admin correcting a mistake
    access = PersonalDataAccess.objects.get(user=admin_user, cadre=cadre)
    assert access.kind == PersonalDataAccess.Kind.REVEAL_ID_NUMBER
    assert access.detail == f"管理后台历史版本页（版本{first.history_id}）"
    assert access.ip_address == "127.0.0.1"


def test_the_change_form_is_shown_only_with_an_access_row(admin_client, admin_user, cadre):
    body = page(admin_client, reverse("admin:teams_cadre_change", args=[cadre.pk]))

    assert NEW_NUMBER in body
    assert reveals(admin_user, cadre) == ["管理后台编辑页"]
    # Each showing is one more row; a page that was refused (an unknown cadre) writes none.
    page(admin_client, reverse("admin:teams_cadre_change", args=[cadre.pk]))
    admin_client.get(reverse("admin:teams_cadre_change", args=[cadre.pk + 1000]))
    assert reveals(admin_user, cadre) == ["管理后台编辑页", "管理后台编辑页"]
    assert PersonalDataAccess.objects.count() == 2


def test_the_auditors_read_the_admins_accesses_in_the_access_log(client, admin_client, auditor, cadre):
    first = cadre.history.order_by("history_id").first()
    page(admin_client, reverse("admin:teams_cadre_simple_history", args=[cadre.pk, first.history_id]))
    client.force_login(auditor)

    response = client.get("/api/v1/cadres/access-log/")

    assert response.status_code == 200
    rows = response.json()
    rows = rows.get("results", rows) if isinstance(rows, dict) else rows
    assert any(row["detail"].startswith("管理后台历史版本页") for row in rows)


@pytest.mark.parametrize("model", [m for m in ADMIN_MODELS if m is not Cadre], ids=lambda model: model._meta.label)
def test_no_other_admin_page_shows_a_cadres_id_number_or_phone(admin_client, admin_user, model):
    """Assignments, leaves, teams, users, the access log ...: their change pages and histories name a cadre only."""
    build_teams(count=2, user=admin_user)
    secrets = [value for pair in Cadre.objects.values_list("id_number", "phone") for value in pair]
    obj = model._default_manager.order_by("pk").last()
    pages = [admin_url(model, "change", obj.pk)]
    if isinstance(admin.site._registry[model], SimpleHistoryAdmin):
        pages.append(admin_url(model, "history", obj.pk))

    for url in pages:
        body = page(admin_client, url)
        assert not [secret for secret in secrets if secret in body], url
