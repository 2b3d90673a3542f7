"""The Django admin, which only region admins use: every page opens, and the big changelists stay cheap."""

import datetime

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from reports.models import Activity, ActivityType, ActivityTypeIndicator, Indicator, MonthlyReport, ReportValue
from teams.models import Assignment, Batch, Cadre, DispatchingUnit, Leave, WorkTeam
from teams.validators import id_number_check_char
from villages.models import Area
from zhucun.models import PersonalDataAccess, UserRole, WorkerPing

PROJECT_APPS = {"villages", "teams", "reports", "zhucun"}
ADMIN_MODELS = sorted(
    (model for model in admin.site._registry if model._meta.app_label in PROJECT_APPS or model is get_user_model()),
    key=lambda model: model._meta.label,
)


def admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def valid_id_number(serial: int) -> str:
    first17 = f"54010219900101{serial:03d}"
    return first17 + id_number_check_char(first17)


def area(code: str, name: str, level: str, parent: Area | None = None, **extra) -> Area:
    """get_or_create, so the helpers also work on a database that already holds the real area tree."""
    return Area.objects.get_or_create(code=code, defaults={"name": name, "level": level, "parent": parent, **extra})[0]


def build_teams(*, count: int, user) -> None:
    """Teams in 城关区, each with its leader on leave, an activity and a submitted report with two values."""
    region = area("54", "西藏自治区", "province")
    prefecture = area("5401", "拉萨市", "prefecture", region)
    county = area("540102", "城关区", "county", prefecture)
    area("540102001", "八廓街道", "township", county)
    DispatchingUnit.objects.create(name="测试派驻单位", level="region", area=region)
    Batch.objects.create(number=99, start_date=datetime.date(2024, 11, 1), end_date=datetime.date(2025, 10, 31))
    indicator = Indicator.objects.create(code="TEST01", name="组织召开宣讲大会", unit="次", category="propaganda")
    Indicator.objects.create(code="TEST02", name="组织群众劳务输出", unit="人", category="development")
    activity_type = ActivityType.objects.create(name="测试宣讲会")
    ActivityTypeIndicator.objects.create(activity_type=activity_type, indicator=indicator)
    UserRole.objects.create(user=user, role="region_admin", area=region)
    add_teams(count=count, user=user)


def add_teams(*, count: int, user) -> None:
    """`count` more teams like the ones build_teams makes, in the same township, batch and unit."""
    township = Area.objects.get(code="540102001")
    unit = DispatchingUnit.objects.get(name="测试派驻单位")
    batch = Batch.objects.get(number=99)
    activity_type = ActivityType.objects.get(name="测试宣讲会")
    indicators = list(Indicator.objects.filter(code__startswith="TEST"))
    first_serial = WorkTeam.objects.filter(batch=batch).count() + 1
    for serial in range(first_serial, first_serial + count):
        village = area(f"540102001{serial:03d}", f"社区{serial}", "village", township, kind="community")
        team = WorkTeam.objects.create(
            batch=batch,
            village=village,
            unit=unit,
            name=WorkTeam.default_name(unit_name=unit.name, village_name=village.name),
            start_date=batch.start_date,
        )
        cadre = Cadre.objects.create(
            name=f"扎西{serial}",
            gender="M",
            id_number=valid_id_number(serial),
            phone=f"13800000{serial:03d}",
            home_unit=unit,
            area_id="540102",
        )
        assignment = Assignment.objects.create(
            cadre=cadre, team=team, role="leader", start_date=batch.start_date, status="leave"
        )
        Leave.objects.create(
            assignment=assignment,
            start_date=datetime.date(2025, 1, 6),
            end_date=datetime.date(2025, 1, 10),
            reason="探亲",
            requested_by=user,
            decided_by=user,
            decided_at=timezone.now(),
            status="approved",
        )
        Activity.objects.create(
            team=team,
            date=datetime.date(2025, 1, 8),
            activity_type=activity_type,
            title="政策宣讲",
            village=village,
            created_by=user,
        )
        report = MonthlyReport.objects.create(
            team=team,
            month=datetime.date(2025, 1, 1),
            due_date=datetime.date(2025, 2, 5),
            status="approved",
            submitted_at=timezone.now(),
            submitted_by=user,
            reviewed_at=timezone.now(),
            reviewed_by=user,
        )
        for indicator in indicators:
            ReportValue.objects.create(report=report, indicator=indicator, value=serial)
        leader = get_user_model().objects.create_user(username=f"leader{serial}")
        UserRole.objects.create(user=leader, role="team_leader", team=team)
        PersonalDataAccess.objects.create(user=user, kind=PersonalDataAccess.Kind.REVEAL_ID_NUMBER, cadre=cadre)
        WorkerPing.objects.create(token=f"ping{serial}", worker="test")


@pytest.mark.django_db
@pytest.mark.parametrize("model", ADMIN_MODELS, ids=lambda model: model._meta.label)
def test_it_opens_the_changelist_and_the_add_page(admin_client, model):
    assert admin_client.get(admin_url(model, "changelist")).status_code == 200
    # The access log is append-only: nobody adds to it by hand.
    assert admin_client.get(admin_url(model, "add")).status_code == (403 if model is PersonalDataAccess else 200)


@pytest.mark.django_db
@pytest.mark.parametrize("model", ADMIN_MODELS, ids=lambda model: model._meta.label)
def test_it_opens_the_change_page(admin_client, admin_user, model):
    build_teams(count=2, user=admin_user)
    obj = model._default_manager.order_by("pk").last()

    assert admin_client.get(admin_url(model, "changelist")).status_code == 200
    assert admin_client.get(admin_url(model, "change", obj.pk)).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    "model", [Area, WorkTeam, Cadre, Assignment, Leave, Activity, MonthlyReport, ReportValue, UserRole]
)
def test_it_keeps_changelist_queries_flat_as_rows_grow(admin_client, admin_user, model):
    """Guards list_select_related: one more row must not mean one more query."""
    build_teams(count=1, user=admin_user)
    with CaptureQueriesContext(connection) as few:
        admin_client.get(admin_url(model, "changelist"))

    add_teams(count=3, user=admin_user)
    with CaptureQueriesContext(connection) as many:
        admin_client.get(admin_url(model, "changelist"))

    assert len(many) == len(few)


@pytest.mark.django_db
def test_it_shows_cadre_id_numbers_masked_in_the_changelist(admin_client, admin_user):
    build_teams(count=1, user=admin_user)
    cadre = Cadre.objects.get()

    body = admin_client.get(admin_url(Cadre, "changelist")).content.decode()

    assert cadre.masked_id_number in body
    assert cadre.id_number not in body


@pytest.mark.django_db
def test_it_finds_a_cadre_by_the_exact_id_number_only(admin_client, admin_user):
    build_teams(count=1, user=admin_user)
    cadre = Cadre.objects.get()
    url = admin_url(Cadre, "changelist")

    exact = admin_client.get(url, {"q": cadre.id_number})
    fragment = admin_client.get(url, {"q": cadre.id_number[6:14]})

    assert exact.context["cl"].result_count == 1
    assert fragment.context["cl"].result_count == 0


@pytest.mark.django_db
def test_it_offers_only_villages_for_a_team_village(admin_client, admin_user):
    build_teams(count=1, user=admin_user)

    response = admin_client.get(
        reverse("admin:autocomplete"),
        {"app_label": "teams", "model_name": "workteam", "field_name": "village", "term": ""},
    )

    codes = [result["id"] for result in response.json()["results"]]
    assert response.status_code == 200
    assert "540102001001" in codes
    # Unfiltered, the first page by code would start with the region, its prefectures and counties.
    assert not Area.objects.filter(code__in=codes).exclude(level="village").exists()


def test_it_titles_the_admin_site_in_chinese():
    assert admin.site.site_header == "驻村工作队管理系统"
    assert admin.site.site_title == "驻村管理"
    assert admin.site.index_title == "系统管理"


@pytest.mark.django_db
def test_it_keeps_the_personal_data_access_log_read_only_in_the_admin(admin_client, admin_user):
    build_teams(count=1, user=admin_user)
    record = PersonalDataAccess.objects.get()

    response = admin_client.post(admin_url(PersonalDataAccess, "delete", record.pk), {"post": "yes"})

    assert response.status_code == 403
    assert PersonalDataAccess.objects.filter(pk=record.pk).exists()
