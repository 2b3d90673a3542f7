"""The cadre roster export: one row per assignment, scoped, with ID numbers, phones and birth dates in full only for
those who may see them (the owning county admin, region admins), masked for everybody else, and every export with
personal data recorded in PersonalDataAccess."""

import datetime
from io import BytesIO

import pytest
from django.core.exceptions import ValidationError
from openpyxl import load_workbook

from exports import services
from exports.builders import BUILDERS
from exports.choices import ExportKind, JobStatus
from exports.params import export_request_resolve
from teams.choices import AssignmentStatus
from teams.validators import mask_id_number, mask_phone
from tests.factories import UserRoleFactory, make_team
from zhucun.choices import Role
from zhucun.models import PersonalDataAccess

pytestmark = pytest.mark.django_db
HEADER_ROW = 4


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def roster(user, **data) -> list[dict]:
    request = export_request_resolve(user=user, kind=ExportKind.ROSTER, data=data)
    buffer = BytesIO()
    BUILDERS[ExportKind.ROSTER](user=user, params=request.params, path=buffer, title=request.title)
    sheet = load_workbook(BytesIO(buffer.getvalue()))["干部花名册"]
    headers = [cell.value for cell in sheet[HEADER_ROW]]
    return [dict(zip(headers, row, strict=True)) for row in sheet.iter_rows(min_row=HEADER_ROW + 1, values_only=True)]


@pytest.fixture
def biru_team(batch, naipu):
    return make_team(batch=batch, village=naipu)


def test_it_lists_one_row_per_assignment_with_full_numbers_for_the_owning_county_admin(nanga_team, county_admin):
    rows = roster(county_admin)
    assignments = {assignment.cadre.id_number: assignment for assignment in nanga_team.assignments.all()}

    assert len(rows) == 4
    for row in rows:
        assignment = assignments[row["身份证号"]]
        cadre = assignment.cadre
        assert row["姓名"] == cadre.name
        assert row["手机号码"] == cadre.phone
        assert row["出生日期"].date() == cadre.birth_date
        assert row["村（居）"] == "南嘎居委会"
        assert row["乡镇（街道）"] == "东嘎街道"
        assert row["批次"] == "第十批"
        assert row["队内职务"] == assignment.get_role_display()
        assert row["任职状态"] == "在岗"
        assert row["到岗日期"].date() == assignment.start_date
    assert [row["队内职务"] for row in rows][:2] == ["第一书记", "队长"]


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.PREFECTURE_ADMIN])
def test_it_masks_id_numbers_phones_and_birth_dates_for_those_who_may_not_see_them(nanga_team, role):
    user = UserRoleFactory(role=role).user
    cadres = {mask_id_number(a.cadre.id_number): a.cadre for a in nanga_team.assignments.select_related("cadre")}

    rows = roster(user, area="540103")

    assert len(rows) == 4
    for row in rows:
        cadre = cadres[row["身份证号"]]
        assert row["身份证号"] == mask_id_number(cadre.id_number) != cadre.id_number
        assert row["手机号码"] == mask_phone(cadre.phone)
        assert row["出生日期"] == f"{cadre.birth_date:%Y}年"


def test_it_shows_the_region_admin_everything_in_full(nanga_team, biru_team, region_admin):
    rows = roster(region_admin)

    full = {a.cadre.id_number for team in (nanga_team, biru_team) for a in team.assignments.select_related("cadre")}
    assert {row["身份证号"] for row in rows} == full


def test_it_keeps_the_roster_within_scope(nanga_team, biru_team, county_admin, outsider):
    assert {row["县（区）"] for row in roster(county_admin)} == {"堆龙德庆区"}
    assert {row["县（区）"] for row in roster(outsider)} == {"比如县"}
    with pytest.raises(ValidationError):
        roster(outsider, area="540103")
    with pytest.raises(ValidationError):
        roster(county_admin, area="54")


def test_it_gives_a_liaison_their_units_cadres_masked(nanga_team, biru_team):
    liaison = UserRoleFactory(role=Role.UNIT_LIAISON, unit=nanga_team.unit).user

    rows = roster(liaison)

    assert {row["派驻单位"] for row in rows} == {"拉萨市堆龙德庆区统计局"}
    assert len(rows) == 4
    assert all("*" in row["身份证号"] for row in rows)


def test_it_leaves_out_ended_assignments_when_asked_for_current_ones(nanga_team, county_admin):
    ended = nanga_team.assignments.filter(role="member").first()
    ended.status, ended.end_date = AssignmentStatus.FINISHED, datetime.date(2026, 1, 31)
    ended.save()

    everybody = roster(county_admin)
    current = roster(county_admin, current_only=True)

    assert len(everybody) == 4
    assert len(current) == 3
    assert ended.cadre.id_number not in {row["身份证号"] for row in current}
    assert {row["任职状态"] for row in everybody} == {"在岗", "期满"}


def test_it_records_each_roster_export_once_in_the_personal_data_log(nanga_team, county_admin):
    job = services.export_job_start(user=county_admin, kind=ExportKind.ROSTER, data={})

    services.export_job_run(job_id=job.pk)
    job.refresh_from_db()
    # A worker killed after writing but before acknowledging: the job runs again, the log is not doubled.
    type(job).objects.filter(pk=job.pk).update(status=JobStatus.RUNNING)
    services.export_job_run(job_id=job.pk)

    records = PersonalDataAccess.objects.filter(user=county_admin, kind=PersonalDataAccess.Kind.EXPORT)
    assert records.count() == 1
    assert records.get().detail.startswith(f"干部花名册导出#{job.pk}：4条任职、4人，其中完整身份证号4人")
    assert job.personal_data is True
    assert job.full_id_numbers == 4
