"""Export jobs: started from the page or the API, run by Celery (in-process here with `apply`, a real worker in CI),
their progress read back, the file downloaded only by the requester or an admin of the area, kept for
ZHUCUN_EXPORT_KEEP_HOURS and then cleaned up; a job that runs twice rewrites the same file.

The people: the county admin of 堆龙德庆区 (Alice, she exports), the region admin (may take her files), the auditor
(may not: not an admin), the county admin of 比如县 (the outsider), a team leader (no export at all)."""

import datetime
import time
import uuid
from io import BytesIO

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from exports import services
from exports.choices import ExportKind, JobStatus
from exports.models import ExportJob
from exports.tasks import cleanup_exports, run_export_job
from tests.factories import UserRoleFactory, api
from zhucun.choices import Role
from zhucun.models import PersonalDataAccess, UserRole

pytestmark = pytest.mark.django_db
EXPORTS = "/api/v1/exports/"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def run(job_or_id) -> ExportJob:
    """What a worker does with the message: the task, in this process."""
    job_id = getattr(job_or_id, "pk", job_or_id)
    run_export_job.apply(args=[job_id])
    return ExportJob.objects.get(pk=job_id)


def open_xlsx(response):
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return load_workbook(BytesIO(content))


# -- the API ----------------------------------------------------------------------------------------------------------


def test_it_starts_a_job_polls_its_progress_and_downloads_the_file(nanga_team, county_admin):
    client = api(county_admin)

    started = client.post(EXPORTS, {"kind": "team_detail", "period_kind": "half", "period": "2026-06"}, format="json")
    assert started.status_code == 201, started.content
    body = started.json()
    assert body["status"] == "queued" and body["download_url"] is None
    assert body["params"]["area"] == "540103"

    assert run(body["id"]).status == JobStatus.DONE
    progress = client.get(f"{EXPORTS}{body['id']}/").json()
    assert (progress["status"], progress["progress"]) == ("done", 100)
    assert progress["rows_total"] == progress["rows_done"] == 1
    assert progress["expires_at"] is not None
    download = client.get(progress["download_url"])
    assert download.status_code == 200
    assert download["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert download["Content-Disposition"].startswith('attachment; filename="zhucun-team-detail-540103-half-2026-06')
    assert "filename*=UTF-8''%E5%A0%86%E9%BE%99%E5%BE%B7%E5%BA%86%E5%8C%BA" in download["Content-Disposition"]
    assert download["Cache-Control"] == "private, no-store"
    assert open_xlsx(download)["期间合计"]["D6"].value == "南嘎居委会"


def test_it_refuses_parameters_outside_the_users_scope_by_field(county_admin):
    client = api(county_admin)

    outside = client.post(EXPORTS, {"kind": "roster", "area": "540622"}, format="json")
    bad_month = client.post(EXPORTS, {"kind": "summary", "period": "June"}, format="json")
    unknown = client.post(EXPORTS, {"kind": "everything"}, format="json")

    assert outside.status_code == 400 and outside.json() == {"area": ["该地区不在您的范围内。"]}
    assert bad_month.status_code == 400 and "period" in bad_month.json()
    assert unknown.status_code == 400 and "kind" in unknown.json()
    assert not ExportJob.objects.exists()


def test_it_refuses_exports_to_team_roles(nanga_leader):
    response = api(nanga_leader).post(EXPORTS, {"kind": "roster"}, format="json")

    assert response.status_code == 403
    assert response.json()["detail"] == "您没有导出权限。"


def test_it_takes_at_most_three_waiting_jobs_per_user(nanga_team, county_admin):
    client = api(county_admin)
    for _ in range(3):
        assert client.post(EXPORTS, {"kind": "roster"}, format="json").status_code == 201

    fourth = client.post(EXPORTS, {"kind": "roster"}, format="json")
    run(ExportJob.objects.filter(user=county_admin).first())
    after_one = client.post(EXPORTS, {"kind": "roster"}, format="json")

    assert fourth.status_code == 400
    assert fourth.json() == {"non_field_errors": ["您已有3个导出任务正在排队或生成，请等其完成后再提交。"]}
    assert after_one.status_code == 201


def test_it_lists_only_the_users_own_jobs(nanga_team, county_admin, auditor):
    mine = services.export_job_start(user=county_admin, kind=ExportKind.ROSTER, data={})
    services.export_job_start(user=auditor, kind=ExportKind.ROSTER, data={})

    listed = api(county_admin).get(EXPORTS).json()["results"]

    assert [job["id"] for job in listed] == [mine.pk]


def test_it_answers_409_before_the_file_exists_and_410_after_it_expired(nanga_team, county_admin):
    job = services.export_job_start(user=county_admin, kind=ExportKind.ROSTER, data={})
    client = api(county_admin)

    assert client.get(f"{EXPORTS}{job.pk}/download/").status_code == 409
    run(job)
    services.exports_cleanup(now=timezone.now() + datetime.timedelta(hours=73))
    expired = client.get(f"{EXPORTS}{job.pk}/download/")

    assert expired.status_code == 410
    assert client.get(f"{EXPORTS}{job.pk}/").json()["status"] == "expired"


# -- who may download ------------------------------------------------------------------------------------------------


@pytest.fixture
def alices_roster(nanga_team, county_admin) -> ExportJob:
    """The county admin's roster of her county: full ID numbers in it."""
    return run(services.export_job_start(user=county_admin, kind=ExportKind.ROSTER, data={}))


@pytest.fixture
def alices_team_detail(nanga_team, county_admin) -> ExportJob:
    return run(services.export_job_start(user=county_admin, kind=ExportKind.TEAM_DETAIL, data={}))


def test_it_lets_the_region_admin_take_a_file_of_her_area_and_records_it(alices_roster, region_admin):
    response = api(region_admin).get(f"{EXPORTS}{alices_roster.pk}/download/")

    assert response.status_code == 200
    record = PersonalDataAccess.objects.get(user=region_admin)
    assert record.kind == PersonalDataAccess.Kind.EXPORT
    assert record.detail.startswith(f"下载他人导出的干部花名册#{alices_roster.pk}")


@pytest.mark.parametrize("who", ["outsider", "auditor"])
def test_it_hides_a_job_from_non_admins_and_admins_of_other_areas(alices_team_detail, request, who):
    user = request.getfixturevalue(who)
    client = api(user)

    assert client.get(f"{EXPORTS}{alices_team_detail.pk}/").status_code == 404
    assert client.get(f"{EXPORTS}{alices_team_detail.pk}/download/").status_code == 404
    page = client.get(reverse("exports:download", args=[alices_team_detail.pk]))
    assert page.status_code == 404


def test_it_gives_a_prefecture_admin_a_county_file_without_id_numbers_but_not_one_with_them(
    alices_team_detail, alices_roster
):
    prefecture_admin = UserRoleFactory(role=Role.PREFECTURE_ADMIN).user  # 拉萨市
    client = api(prefecture_admin)

    assert alices_roster.full_id_numbers == 4
    assert client.get(f"{EXPORTS}{alices_team_detail.pk}/download/").status_code == 200
    assert client.get(f"{EXPORTS}{alices_roster.pk}/download/").status_code == 404


# -- running --------------------------------------------------------------------------------------------------------


def test_it_rewrites_the_same_file_when_a_job_runs_again(alices_roster):
    path = services.media_path(alices_roster.file.name)
    first = load_workbook(path)["干部花名册"]
    first_rows = list(first.iter_rows(min_row=4, values_only=True))

    # Done: a duplicate message changes nothing.
    assert services.export_job_run(job_id=alices_roster.pk) is None
    # Interrupted (the worker died after writing): the redelivered message writes the file again, in place.
    ExportJob.objects.filter(pk=alices_roster.pk).update(status=JobStatus.RUNNING)
    again = services.export_job_run(job_id=alices_roster.pk)

    assert again.status == JobStatus.DONE and again.attempts == 2
    assert again.file.name == alices_roster.file.name
    rows_again = list(load_workbook(path)["干部花名册"].iter_rows(min_row=4, values_only=True))
    assert rows_again == first_rows
    assert list(path.parent.glob("*.part")) == []


def test_it_fails_a_job_whose_user_lost_the_right_in_chinese(nanga_team, county_admin):
    job = services.export_job_start(user=county_admin, kind=ExportKind.SUMMARY, data={})
    UserRole.objects.filter(user=county_admin).delete()

    failed = run(job)

    assert failed.status == JobStatus.FAILED
    assert failed.error == "您已没有导出这些数据的权限（角色或管理范围已变更）。"
    assert not failed.file


def test_it_saves_progress_while_it_writes(nanga_team, county_admin, batch):
    from tests.factories import make_team

    for _ in range(5):
        make_team(batch=batch, within="540103", members=1)
    job = services.export_job_start(user=county_admin, kind=ExportKind.ROSTER, data={})
    seen = []
    progress = services.JobProgress(job.pk)
    progress.start(9)
    for done in (3, 6, 9):
        progress.advance(done)
        seen.append(ExportJob.objects.values_list("progress", "rows_done").get(pk=job.pk))

    assert seen == [(33, 3), (66, 6), (99, 9)]  # 100 only once the file is in place
    assert run(job).rows_total == 4 + 5


def test_it_keeps_files_for_the_configured_hours_then_deletes_them(alices_roster, settings):
    path = services.media_path(alices_roster.file.name)
    kept = alices_roster.expires_at - alices_roster.finished_at

    assert kept == datetime.timedelta(hours=django_settings.ZHUCUN_EXPORT_KEEP_HOURS) == datetime.timedelta(hours=72)
    assert services.exports_cleanup(now=alices_roster.expires_at - datetime.timedelta(minutes=1))["expired"] == 0
    assert path.exists()
    result = cleanup_exports.apply(kwargs={}).get()
    assert result["expired"] == 0  # the beat task on time: nothing due yet
    assert services.exports_cleanup(now=alices_roster.expires_at)["expired"] == 1
    assert not path.exists()
    assert ExportJob.objects.get(pk=alices_roster.pk).status == JobStatus.EXPIRED


def test_it_gives_up_on_a_job_no_worker_took_in_time(county_admin):
    job = services.export_job_start(user=county_admin, kind=ExportKind.ROSTER, data={})

    services.exports_cleanup(now=timezone.now() + datetime.timedelta(hours=73))

    job.refresh_from_db()
    assert (job.status, job.error) == (JobStatus.FAILED, services.LOST_MESSAGE)


def test_it_schedules_the_cleanup_hourly():
    entries = list(django_settings.CELERY_BEAT_SCHEDULE.values())
    assert any(entry["task"] == "exports.tasks.cleanup_exports" for entry in entries)


# -- the page ---------------------------------------------------------------------------------------------------------


def test_it_shows_the_auditor_four_export_forms_and_a_link_in_the_navigation(client, auditor, nanga_team):
    client.force_login(auditor)

    page = client.get(reverse("exports:index"))

    assert page.status_code == 200
    html = page.content.decode()
    for label in ("汇总表", "工作队明细", "干部花名册", "报送完成情况"):
        assert f"<strong>{label}</strong>" in html
    assert f'<a href="{reverse("exports:index")}" aria-current="page">导入导出</a>' in html
    assert "导入干部花名册" not in html  # auditors read, they do not import


def test_it_keeps_the_page_from_team_roles_and_hides_the_link(client, nanga_leader):
    client.force_login(nanga_leader)

    assert client.get(reverse("exports:index")).status_code == 403
    assert "导入导出" not in client.get(reverse("home")).content.decode()


def test_it_gives_a_liaison_no_completeness_form(client, nanga_team):
    liaison = UserRoleFactory(role=Role.UNIT_LIAISON, unit=nanga_team.unit).user
    client.force_login(liaison)

    html = client.get(reverse("exports:index")).content.decode()

    assert "<strong>干部花名册</strong>" in html
    assert "<strong>报送完成情况</strong>" not in html


def test_it_queues_a_job_from_the_page_and_lists_it(client, county_admin, nanga_team):
    client.force_login(county_admin)

    response = client.post(
        reverse("exports:index"),
        {"roster-kind": "roster", "roster-area": "540103", "roster-current_only": "on", "start": "1"},
    )

    job = ExportJob.objects.get(user=county_admin)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('exports:index')}#job-{job.pk}"
    assert job.params == {"area": "540103", "batch": None, "unit": None, "unit_level": None, "current_only": True}
    run(job)
    page = client.get(reverse("exports:index")).content.decode()
    assert f'id="job-{job.pk}"' in page
    assert reverse("exports:download", args=[job.pk]) in page
    download = client.get(reverse("exports:download", args=[job.pk]))
    assert download.status_code == 200
    assert open_xlsx(download)["干部花名册"]["D5"].value == "南嘎居委会"


def test_it_puts_an_error_next_to_the_field_on_the_page(client, county_admin):
    client.force_login(county_admin)

    response = client.post(reverse("exports:index"), {"roster-kind": "roster", "roster-area": "540622", "start": "1"})

    assert response.status_code == 400
    assert not ExportJob.objects.exists()
    html = response.content.decode()
    assert '<small class="field-error" id="id_roster-area_error">' in html
    print(html[html.index('id="id_roster-area_error"') :][:200])


def test_it_downloads_a_small_export_at_once_from_the_page(client, auditor, nanga_team):
    client.force_login(auditor)

    response = client.post(
        reverse("exports:index"),
        {"completeness-kind": "completeness", "completeness-area": "540103", "direct": "1"},
    )

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="zhucun-completeness-540103-')
    assert open_xlsx(response).sheetnames == ["各地区", "近12个月", "未报工作队"]
    assert not ExportJob.objects.exists()


# -- a real worker (CI) -------------------------------------------------------------------------------------------


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_it_runs_an_export_in_a_real_worker(geography_transactional, settings):
    """The job goes through Redis to the worker .ci/run starts; the worker writes the file under its MEDIA_ROOT (the
    project's media/, the default both processes share) and the test downloads it through the API."""
    settings.MEDIA_ROOT = django_settings.BASE_DIR / "media"
    user = UserRoleFactory(role=Role.AUDITOR, user__username=f"auditor-{uuid.uuid4().hex[:8]}").user

    job = services.export_job_start(user=user, kind=ExportKind.SUMMARY, data={"area": "54"})

    deadline = time.monotonic() + 60
    while ExportJob.objects.get(pk=job.pk).status in (JobStatus.QUEUED, JobStatus.RUNNING):
        assert time.monotonic() < deadline, "the worker did not finish the export within 60 s"
        time.sleep(0.2)
    job.refresh_from_db()
    try:
        assert job.status == JobStatus.DONE, job.error
        response = api(user).get(f"{EXPORTS}{job.pk}/download/")
        assert response.status_code == 200
        assert open_xlsx(response)["汇总表"]["C4"].value == "西藏自治区合计"
    finally:
        services.media_path(job.file.name).unlink(missing_ok=True)
