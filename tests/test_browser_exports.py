"""The export page in a real headless Chromium. The auditor starts an export, watches its progress bar move while
the job runs, and downloads the file; on a phone she starts one from the form and downloads it when the link
appears; the county admin uploads a roster with a mistake and reads the error by row and column.

In the SQLite pass tasks run in-process (the job is done when the page comes back); in CI's second pass a real
Celery worker runs them, writing under the shared MEDIA_ROOT (the project's media/), which the tests clean up."""

import datetime
from decimal import Decimal
from io import BytesIO
from pathlib import Path

import pytest
from openpyxl import load_workbook

from exports import services
from exports.choices import ExportKind, JobStatus
from exports.models import ExportJob, RosterImport
from exports.params import export_request_resolve
from exports.roster import roster_template
from reports.completeness import completeness_rebuild
from reports.models import ReportValue
from reports.rollup import rebuild_batch
from tests.conftest import DESKTOP, PHONE
from tests.factories import IndicatorFactory, MonthlyReportFactory, WorkTeamFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def figures(batch, nanga_team):
    p02 = IndicatorFactory(code="P02")
    for team, value in ((nanga_team, "12"), (WorkTeamFactory(batch=batch, within="540102"), "100")):
        report = MonthlyReportFactory(team=team, month=datetime.date(2026, 1, 1), approved=True)
        ReportValue.objects.create(report=report, indicator=p02, value=Decimal(value))
    rebuild_batch(batch)
    completeness_rebuild()


@pytest.fixture
def job_files():
    """Delete the files the test's jobs and imports wrote (under the project's media/, shared with a real worker)."""
    yield
    for job in ExportJob.objects.exclude(file=""):
        services.media_path(job.file.name).unlink(missing_ok=True)
    for record in RosterImport.objects.exclude(marked_file=""):
        services.media_path(record.marked_file.name).unlink(missing_ok=True)


def saved_workbook(download, tmp_path: Path):
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    return load_workbook(target)


def test_the_auditor_watches_the_progress_and_downloads_the_file(open_page, auditor, figures, job_files, tmp_path):
    request = export_request_resolve(
        user=auditor, kind=ExportKind.TEAM_DETAIL, data={"area": "5401", "period_kind": "month", "period": "2026-01"}
    )
    # A job a worker has taken and written 40% of (made directly: queueing it would run it at once in this pass).
    job = ExportJob.objects.create(
        user=auditor,
        kind=request.kind,
        params=request.params,
        area_code=request.area_code,
        title=request.title,
        file_name=request.file_name,
        ascii_name=request.ascii_name,
        status=JobStatus.RUNNING,
        progress=40,
    )
    page = open_page(auditor, viewport=DESKTOP)
    page.goto("/exports/")

    row = page.locator(f"#job-{job.pk}")
    assert row.locator("progress").get_attribute("value") == "40"
    assert row.locator("[data-role=status]").inner_text() == "生成中 40%"
    assert row.locator("text=生成后可下载").is_visible()

    # The worker finishes the job; the page's polling turns the bar full and offers the file.
    services.export_job_run(job_id=job.pk)
    link = row.locator("a:text-is('下载')")
    link.wait_for(timeout=20_000)
    assert row.locator("[data-role=status]").inner_text() == "已完成"
    assert row.locator("progress").evaluate("bar => bar.value") == 100
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename == "拉萨市_2026年1月_工作队明细.xlsx"
    sheet = saved_workbook(download, tmp_path)["期间合计"]
    rows = {row[3]: row for row in sheet.iter_rows(min_row=6, values_only=True)}
    assert rows["南嘎居委会"][:3] == ("拉萨市", "堆龙德庆区", "东嘎街道")
    assert len(rows) == 2


def test_the_auditor_starts_an_export_on_a_phone_and_downloads_it(open_page, auditor, figures, job_files, tmp_path):
    page = open_page(auditor, viewport=PHONE)
    page.goto("/exports/")
    # The page fits the phone: no sideways scrolling of the whole page.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")

    card = page.locator("#export-summary")
    card.locator("select[name=summary-area]").select_option("54")
    card.locator("select[name=summary-period_kind]").select_option("half")
    card.locator("button[name=start]").click()
    page.wait_for_load_state()

    assert "已提交导出" in page.locator(".messages").inner_text()
    job = ExportJob.objects.get(user=auditor)
    link = page.locator(f"#job-{job.pk} a:text-is('下载')")
    link.wait_for(timeout=60_000)  # in-process: already there; with a real worker: when it is done
    with page.expect_download() as info:
        link.click()
    sheet = saved_workbook(info.value, tmp_path)["汇总表"]
    assert sheet["C4"].value == "西藏自治区合计"
    p02 = next(row for row in sheet.iter_rows(min_row=5, values_only=True) if row[0] == "组织召开宣讲大会")
    assert p02[2] == 112


def test_the_county_admin_reads_the_import_errors_by_row_and_column(
    open_page, county_admin, nanga_team, job_files, tmp_path
):
    workbook = load_workbook(BytesIO(roster_template()))
    sheet = workbook["干部花名册"]
    for column, value in enumerate(
        ["1", "", "南嘎居委会", "", "扎西", "男", "", "540103198801010000", "", "", "", "", "", "", "队员"], 1
    ):
        sheet.cell(3, column, value)
    upload = tmp_path / "花名册.xlsx"
    workbook.save(upload)

    page = open_page(county_admin, viewport=PHONE)
    page.goto("/exports/roster-import/")
    page.set_input_files("input[type=file]", str(upload))
    page.locator("form[enctype] button[type=submit]").click()
    page.wait_for_load_state()

    assert "未导入：发现1处错误" in page.locator(".form-errors").inner_text()
    cells = page.locator("table.import-errors tbody tr").first.locator("td").all_inner_texts()
    assert cells == ["3", "身份证号", "身份证号校验位错误，请核对。"]
    with page.expect_download() as info:
        page.locator("text=下载标注错误的工作簿").click()
    marked = saved_workbook(info.value, tmp_path)["干部花名册"]
    assert marked["H3"].comment.text == "身份证号校验位错误，请核对。"
