"""Personal data at rest (issue 8 part 6): resident ID numbers are encrypted in the database, found through a keyed
hash, unique through it, re-encrypted by `rotate_field_keys`; every disclosure is in the access log that auditors
read; logs never carry the number."""

import datetime
import hashlib
import hmac
import importlib
import io
import logging
from io import BytesIO

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from teams import services
from teams.fields import TOKEN_PREFIX
from teams.models import Cadre
from tests.factories import CadreFactory, DispatchingUnitFactory, UserRoleFactory, api, id_number
from tests.test_roster_import import person, row, workbook_bytes
from zhucun.choices import Role
from zhucun.logging_filters import MaskPersonalDataFilter
from zhucun.models import PersonalDataAccess

CADRES = "/api/v1/cadres/"
ACCESS_LOG = "/api/v1/cadres/access-log/"
NUMBER = id_number(area="540103", birth=datetime.date(1985, 1, 1), serial=123, male=True)
NUMBER_WITH_X = next(
    number
    for serial in range(100)
    if (number := id_number(area="540103", birth=datetime.date(1980, 2, 3), serial=serial, male=True)).endswith("X")
)


def raw_row(cadre: Cadre, table: str = "teams_cadre", key: str = "id") -> tuple[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id_number, id_number_hash FROM {table} WHERE {key} = %s", [cadre.pk])  # noqa: S608
        return cursor.fetchone()


def raw_history(cadre: Cadre) -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, id_number_hash FROM teams_historicalcadre WHERE id = %s", [cadre.pk])
        return cursor.fetchall()


@pytest.fixture
def cadre(doilungdeqen) -> Cadre:
    return CadreFactory(id_number=NUMBER, phone="13912345678")


# -- at rest ---------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_database_holds_a_token_and_a_keyed_hash_never_the_number(cadre, settings):
    stored, stored_hash = raw_row(cadre)

    assert NUMBER not in stored and NUMBER[:14] not in stored
    assert stored.startswith(TOKEN_PREFIX)
    key = settings.ZHUCUN_HASH_KEY.encode()
    assert stored_hash == hmac.new(key, NUMBER.encode(), hashlib.sha256).hexdigest()
    # The change history is encrypted the same way.
    history = raw_history(cadre)
    assert history and all(NUMBER not in value and value.startswith(TOKEN_PREFIX) for value, _ in history)
    # Two saves of the same number give different tokens (random IV), the same hash.
    cadre.save()
    assert raw_row(cadre)[0] != stored and raw_row(cadre)[1] == stored_hash
    # The application reads the number back.
    assert Cadre.objects.get(pk=cadre.pk).id_number == NUMBER


@pytest.mark.django_db
def test_lookups_by_number_go_through_the_hash(cadre, county_admin):
    assert Cadre.objects.get(id_number=NUMBER) == cadre
    assert list(Cadre.objects.filter(id_number__in=[NUMBER, "540103199001011234"])) == [cadre]
    assert Cadre.objects.filter(id_number__iexact=NUMBER).get() == cadre
    lower = CadreFactory(id_number=NUMBER_WITH_X.lower())
    assert Cadre.objects.get(id_number=NUMBER_WITH_X.lower()) == lower
    assert lower.id_number == NUMBER_WITH_X
    # Fragments of a ciphertext mean nothing: such lookups are refused rather than silently empty.
    with pytest.raises(Exception, match="Unsupported lookup"):
        Cadre.objects.filter(id_number__startswith="5401").exists()
    # The API search (?q= exact number) and the pages' search find the cadre.
    body = api(county_admin).get(CADRES, {"q": NUMBER}).json()
    assert [row["id"] for row in body["results"]] == [cadre.pk]
    assert body["results"][0]["id_number"] == NUMBER[:4] + "*" * 10 + NUMBER[-4:]
    page = api(county_admin).get("/teams/cadres/", {"q": NUMBER})
    assert cadre.name in page.content.decode()


@pytest.mark.django_db
def test_the_admin_search_finds_the_whole_number(cadre, admin_client):
    response = admin_client.get("/admin/teams/cadre/", {"q": NUMBER})

    assert response.status_code == 200
    assert response.context["cl"].result_count == 1


@pytest.mark.django_db
def test_a_second_cadre_with_the_same_number_is_refused(cadre, county_admin):
    unit = DispatchingUnitFactory()
    with pytest.raises(ValidationError) as refused:
        services.cadre_create(actor=county_admin, name="次仁", gender="M", id_number=NUMBER.lower(), home_unit=unit)
    assert "该身份证号已登记" in str(refused.value.message_dict["id_number"])
    # Past the checks, the unique index on the hash still holds.
    with pytest.raises(IntegrityError), transaction.atomic():
        Cadre.objects.create(name="次仁", gender="M", id_number=NUMBER, home_unit=unit, area=cadre.area)
    # Through the API: 400 with the message next to the field.
    response = api(county_admin).post(
        CADRES, {"name": "次仁", "gender": "M", "id_number": NUMBER, "home_unit": unit.pk}, format="json"
    )
    assert response.status_code == 400
    assert "该身份证号已登记" in str(response.json()["id_number"])


@pytest.mark.django_db
def test_changing_the_number_moves_the_hash(cadre):
    other = id_number(area="540103", birth=datetime.date(1990, 5, 6), serial=77, male=True)
    cadre.id_number = other
    cadre.save(update_fields=["id_number"])

    assert Cadre.objects.get(id_number=other) == cadre
    assert not Cadre.objects.filter(id_number=NUMBER).exists()


@pytest.mark.django_db
def test_the_migration_encrypts_rows_written_in_clear(cadre):
    with connection.cursor() as cursor:
        cursor.execute("UPDATE teams_cadre SET id_number = %s, id_number_hash = NULL WHERE id = %s", [NUMBER, cadre.pk])
    migration = importlib.import_module("teams.migrations.0004_cadre_id_number_encrypted")

    migration.encrypt_rows(None, type("Editor", (), {"connection": connection})())

    stored, stored_hash = raw_row(cadre)
    assert stored.startswith(TOKEN_PREFIX) and stored_hash
    assert Cadre.objects.get(id_number=NUMBER) == cadre


# -- keys ------------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_rotation_reencrypts_with_the_newest_key_and_old_rows_still_decrypt(cadre, settings):
    old_key = settings.ZHUCUN_FIELD_KEYS[0]
    new_key = Fernet.generate_key().decode()
    settings.ZHUCUN_FIELD_KEYS = [new_key, old_key]
    # Before rotation: the row is still under the old key and reads fine with both keys configured.
    before = raw_row(cadre)[0]
    assert Fernet(old_key.encode()).decrypt(before.encode()).decode() == NUMBER
    assert Cadre.objects.get(pk=cadre.pk).id_number == NUMBER
    newcomer = CadreFactory(id_area="540103")  # written under the new key at once

    out = io.StringIO()
    call_command("rotate_field_keys", stdout=out)

    assert "teams_cadre: 2 行" in out.getvalue()
    after = raw_row(cadre)[0]
    assert Fernet(new_key.encode()).decrypt(after.encode()).decode() == NUMBER
    for value, _ in raw_history(cadre):
        assert Fernet(new_key.encode()).decrypt(value.encode()).decode() == NUMBER
    # The old key can go now.
    settings.ZHUCUN_FIELD_KEYS = [new_key]
    assert Cadre.objects.get(pk=cadre.pk).id_number == NUMBER
    assert Cadre.objects.get(pk=newcomer.pk).id_number == newcomer.id_number


@pytest.mark.django_db
def test_a_new_hash_key_takes_effect_after_rotation(cadre, settings):
    settings.ZHUCUN_HASH_KEY = "another-hash-key-of-at-least-thirty-two-characters"
    assert not Cadre.objects.filter(id_number=NUMBER).exists()

    call_command("rotate_field_keys", stdout=io.StringIO())

    assert Cadre.objects.get(id_number=NUMBER) == cadre


@pytest.mark.django_db
def test_without_keys_nothing_is_written_or_read(doilungdeqen, cadre, settings):
    settings.ZHUCUN_FIELD_KEYS = []
    with pytest.raises(ImproperlyConfigured, match="ZHUCUN_FIELD_KEYS"), transaction.atomic():
        CadreFactory(id_area="540103")
    with pytest.raises(ImproperlyConfigured, match="ZHUCUN_FIELD_KEYS"):
        Cadre.objects.get(pk=cadre.pk)
    settings.ZHUCUN_FIELD_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(ImproperlyConfigured, match="could not be decrypted"):
        Cadre.objects.get(pk=cadre.pk)


# -- the access log --------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_reveal_is_logged_and_auditors_read_the_log(cadre, county_admin, auditor, outsider, region_admin):
    response = api(county_admin).post(f"{CADRES}{cadre.pk}/reveal-id-number/", REMOTE_ADDR="10.54.1.3")
    assert response.json() == {"id_number": NUMBER}

    record = PersonalDataAccess.objects.get()
    assert (record.user, record.kind, record.cadre, record.ip_address) == (
        county_admin,
        PersonalDataAccess.Kind.REVEAL_ID_NUMBER,
        cadre,
        "10.54.1.3",
    )
    for reader in (auditor, region_admin):
        rows = api(reader).get(ACCESS_LOG).json()
        assert [(row["username"], row["kind"], row["cadre"]) for row in rows] == [
            ("doilungdeqen-admin", "reveal_id_number", cadre.pk)
        ]
        assert NUMBER not in str(rows)
    # County admins (even the one who revealed) and team roles do not read the log.
    assert api(county_admin).get(ACCESS_LOG).status_code == 403
    assert api(outsider).get(ACCESS_LOG).status_code == 403
    # An auditor of another county does not see this county's records.
    biru_auditor = UserRoleFactory(role=Role.AUDITOR, area=outsider.roles.get().area).user
    assert api(biru_auditor).get(ACCESS_LOG).json() == []


@pytest.mark.django_db
def test_the_admin_change_form_shows_the_number_and_records_it(cadre, admin_client):
    response = admin_client.get(f"/admin/teams/cadre/{cadre.pk}/change/")

    assert response.status_code == 200
    record = PersonalDataAccess.objects.get()
    assert (record.kind, record.cadre) == (PersonalDataAccess.Kind.REVEAL_ID_NUMBER, cadre)
    assert record.detail == "管理后台编辑页"


@pytest.mark.django_db
def test_the_log_cannot_be_changed_or_deleted_through_the_api(cadre, auditor):
    PersonalDataAccess.objects.create(user=auditor, kind=PersonalDataAccess.Kind.REVEAL_ID_NUMBER, cadre=cadre)
    client = api(auditor)
    assert client.post(ACCESS_LOG, {}).status_code == 405
    assert client.delete(ACCESS_LOG).status_code == 405
    assert PersonalDataAccess.objects.count() == 1


# -- logs ------------------------------------------------------------------------------------------------------------


@pytest.fixture
def captured_logs():
    """Everything the app logs at DEBUG (SQL included) through the project's masking filter, as text; plus the
    raw SQL the database saw (which must not hold the number either: the column holds tokens and hashes)."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.addFilter(MaskPersonalDataFilter())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    with CaptureQueriesContext(connection) as queries:
        yield buffer, queries
    root.removeHandler(handler)
    root.setLevel(old_level)


@pytest.mark.django_db
def test_reveal_logs_leave_the_number_out(cadre, county_admin, captured_logs):
    buffer, queries = captured_logs
    response = api(county_admin).post(f"{CADRES}{cadre.pk}/reveal-id-number/")
    assert response.status_code == 200

    sql = " ".join(query["sql"] for query in queries.captured_queries)
    assert "SELECT" in sql and NUMBER not in sql
    assert NUMBER not in buffer.getvalue() and "13912345678" not in buffer.getvalue()


@pytest.mark.django_db
def test_import_logs_leave_the_number_out(county_admin, nanga_team, batch, captured_logs, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    buffer, queries = captured_logs
    file = BytesIO(workbook_bytes([row("南嘎居委会", "格桑旺堆", 1)]))
    file.name = "花名册.xlsx"

    response = api(county_admin).post("/api/v1/roster-imports/", {"file": file, "batch": batch.pk}, format="multipart")

    assert response.status_code == 201, response.content
    number = person(1)
    assert Cadre.objects.get(id_number=number).name == "格桑旺堆"
    sql = " ".join(query["sql"] for query in queries.captured_queries)
    assert "INSERT" in sql and number not in sql
    assert number not in buffer.getvalue()
