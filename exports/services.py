"""Writes of the exports app: queue an export job, run it (idempotently), build a small export at once, clean up
expired files. Views, the API and the Celery tasks call these.

A job runs in a worker with acks_late: a worker killed mid-job gets the message redelivered and the job runs again.
Running claims the row with a conditional UPDATE (only a queued or running job runs; a finished one is left alone),
writes the workbook to a temporary file and moves it into place, so a second run rewrites the same file and a
reader never sees half a file. Progress is saved as the builder advances (at most once per percent), outside any
transaction, so the page polling it sees it move.
"""

import datetime
import io
import logging
import os
import uuid
from pathlib import Path

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import F, Q
from django.http import Http404
from django.utils import timezone

from exports.builders import BUILDERS, BuildResult
from exports.choices import RUNNABLE_STATUSES, ExportKind, JobStatus
from exports.models import ExportJob, RosterImport
from exports.params import ExportRequest, export_request_resolve
from zhucun.models import PersonalDataAccess

logger = logging.getLogger(__name__)

EXPORT_DIR = "exports"
# Small enough to build while the browser waits (the page's "直接下载"); the others always run as jobs.
DIRECT_KINDS = (ExportKind.SUMMARY, ExportKind.COMPLETENESS)
MAX_ACTIVE_JOBS = 3
FAILED_MESSAGE = "导出失败，请稍后重试；如仍失败请联系管理员。"
TIMEOUT_MESSAGE = "导出超时未完成，请缩小地区或周期后重试。"
NO_LONGER_ALLOWED = "您已没有导出这些数据的权限（角色或管理范围已变更）。"
LOST_MESSAGE = "导出任务长时间未执行，已取消，请重新导出。"


def keep_for() -> datetime.timedelta:
    return datetime.timedelta(hours=settings.ZHUCUN_EXPORT_KEEP_HOURS)


def media_path(name: str) -> Path:
    return Path(settings.MEDIA_ROOT) / name


# -- queueing -------------------------------------------------------------------------------------------------------


def export_job_record(user, request: ExportRequest) -> ExportJob:
    """The waiting job of a resolved export request (nothing queued: `export_job_start` queues it)."""
    return ExportJob.objects.create(
        user=user,
        kind=request.kind,
        params=request.params,
        area_code=request.area_code,
        title=request.title[:200],
        file_name=request.file_name[:200],
        ascii_name=request.ascii_name[:120],
    )


@transaction.atomic
def export_job_start(*, user, kind: str, data) -> ExportJob:
    """Check the parameters against the user's scope (ValidationError by field, 403 without the right to export),
    record the job and queue it once the transaction commits. A user has at most MAX_ACTIVE_JOBS jobs waiting or
    running at a time (a region-wide team detail keeps a worker busy for a minute)."""
    request = export_request_resolve(user=user, kind=kind, data=data)
    active = ExportJob.objects.filter(user=user, status__in=RUNNABLE_STATUSES).count()
    if active >= MAX_ACTIVE_JOBS:
        raise ValidationError(f"您已有{active}个导出任务正在排队或生成，请等其完成后再提交。")
    job = export_job_record(user, request)
    from exports.tasks import run_export_job

    transaction.on_commit(lambda: run_export_job.delay(job.pk))
    return job


# -- running --------------------------------------------------------------------------------------------------------


class JobProgress:
    """Saves a job's progress as its builder advances: at most once per percent (a region-wide export writes a few
    hundred thousand rows; the page polls every second or two)."""

    def __init__(self, job_id: int):
        self.job_id = job_id
        self.total = 0
        self.saved = -1

    def start(self, total: int) -> None:
        self.total = total
        ExportJob.objects.filter(pk=self.job_id).update(rows_total=total, rows_done=0, progress=0)
        self.saved = 0

    def advance(self, done: int) -> None:
        percent = min(99, done * 100 // self.total) if self.total else 0
        if percent > self.saved:
            ExportJob.objects.filter(pk=self.job_id).update(rows_done=min(done, self.total), progress=percent)
            self.saved = percent


def _claim(job_id: int) -> bool:
    return bool(
        ExportJob.objects.filter(pk=job_id, status__in=RUNNABLE_STATUSES).update(
            status=JobStatus.RUNNING,
            started_at=timezone.now(),
            attempts=F("attempts") + 1,
            progress=0,
            rows_done=0,
            error="",
        )
    )


def _fail(job_id: int, message: str) -> None:
    ExportJob.objects.filter(pk=job_id, status=JobStatus.RUNNING).update(
        status=JobStatus.FAILED, error=message, finished_at=timezone.now()
    )


def job_file_name(job: ExportJob) -> str:
    """Where a job's file lives under MEDIA_ROOT: by month, named by its ASCII name and id (a rerun rewrites it)."""
    stem = Path(job.ascii_name or f"zhucun-{job.kind}.xlsx").stem
    return f"{EXPORT_DIR}/{job.created_at:%Y%m}/{stem}-job{job.pk}.xlsx"


def _record_personal_data(*, user, job: ExportJob | None, kind_label: str, detail: str) -> None:
    """One PersonalDataAccess row per export file with personal data (a rerun of the same job adds none)."""
    text = f"{kind_label}导出{f'#{job.pk}' if job else ''}：{detail}"[:200]
    if job is not None:
        marker = f"{kind_label}导出#{job.pk}："
        if PersonalDataAccess.objects.filter(
            user=user, kind=PersonalDataAccess.Kind.EXPORT, detail__startswith=marker
        ).exists():
            return
    PersonalDataAccess.objects.create(user=user, kind=PersonalDataAccess.Kind.EXPORT, detail=text)


def export_job_run(*, job_id: int) -> ExportJob | None:
    """Run a queued (or interrupted) job: build its workbook, move it into place, mark it done. A finished, failed
    or expired job is left as it is. Database connection errors propagate (the task retries); any other error marks
    the job failed with a Chinese message and is logged."""
    if not _claim(job_id):
        return None
    job = ExportJob.objects.select_related("user").get(pk=job_id)
    name = job_file_name(job)
    final = media_path(name)
    final.parent.mkdir(parents=True, exist_ok=True)
    partial = final.with_name(f"{final.name}.{uuid.uuid4().hex}.part")
    try:
        result: BuildResult = BUILDERS[job.kind](
            user=job.user, params=job.params, path=partial, progress=JobProgress(job.pk), title=job.title
        )
        os.replace(partial, final)
    except SoftTimeLimitExceeded:
        partial.unlink(missing_ok=True)
        _fail(job.pk, TIMEOUT_MESSAGE)
        return None
    except (OperationalError, InterfaceError):
        partial.unlink(missing_ok=True)
        raise
    except ValidationError as error:
        # The parameters no longer hold (the user's roles changed since the job was queued).
        partial.unlink(missing_ok=True)
        _fail(job.pk, "；".join(error.messages)[:500])
        return None
    except (PermissionDenied, Http404):
        partial.unlink(missing_ok=True)
        _fail(job.pk, NO_LONGER_ALLOWED)
        return None
    except Exception:
        partial.unlink(missing_ok=True)
        logger.exception("export job %s failed", job.pk)
        _fail(job.pk, FAILED_MESSAGE)
        return None
    finished = timezone.now()
    ExportJob.objects.filter(pk=job.pk).update(
        status=JobStatus.DONE,
        progress=100,
        rows_done=F("rows_total"),
        cells=result.cells,
        file=name,
        file_size=final.stat().st_size,
        personal_data=result.personal_data,
        full_id_numbers=result.full_id_numbers,
        finished_at=finished,
        expires_at=finished + keep_for(),
    )
    if result.personal_data:
        _record_personal_data(user=job.user, job=job, kind_label=job.get_kind_display(), detail=result.detail)
    job.refresh_from_db()
    return job


# -- small exports at once ------------------------------------------------------------------------------------------


def export_build_now(*, user, kind: str, data) -> tuple[bytes, ExportRequest]:
    """Build a small export (summary, completeness) in memory for an immediate download."""
    if kind not in DIRECT_KINDS:
        raise ValidationError({"kind": ["该导出数据量较大，请提交导出任务。"]})
    request = export_request_resolve(user=user, kind=kind, data=data)
    buffer = io.BytesIO()
    result = BUILDERS[request.kind](user=user, params=request.params, path=buffer, title=request.title)
    if result.personal_data:
        label = ExportKind(request.kind).label
        _record_personal_data(user=user, job=None, kind_label=label, detail=f"{request.title}（直接下载）")
    return buffer.getvalue(), request


# -- downloads and cleanup ------------------------------------------------------------------------------------------


def export_job_downloaded(*, user, job: ExportJob) -> None:
    """An admin other than the requester took a file with personal data: that disclosure is recorded too."""
    if job.personal_data and job.user_id != user.pk:
        PersonalDataAccess.objects.create(
            user=user,
            kind=PersonalDataAccess.Kind.EXPORT,
            detail=f"下载他人导出的{job.get_kind_display()}#{job.pk}：{job.title}"[:200],
        )


def exports_cleanup(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Delete the files past their time (jobs become 已过期, imports lose their marked copy), give up on jobs no worker
    took within the keeping time, and remove temporary files left by killed workers. Idempotent."""
    now = now or timezone.now()
    expired = 0
    for job in ExportJob.objects.filter(status=JobStatus.DONE, expires_at__lte=now).only("pk", "file"):
        if job.file:
            media_path(job.file.name).unlink(missing_ok=True)
        expired += ExportJob.objects.filter(pk=job.pk, status=JobStatus.DONE).update(
            status=JobStatus.EXPIRED, file="", file_size=0
        )
    marked = 0
    for item in RosterImport.objects.filter(expires_at__lte=now).exclude(marked_file="").only("pk", "marked_file"):
        media_path(item.marked_file.name).unlink(missing_ok=True)
        marked += RosterImport.objects.filter(pk=item.pk).update(marked_file="")
    lost = ExportJob.objects.filter(
        Q(status=JobStatus.QUEUED) | Q(status=JobStatus.RUNNING), created_at__lte=now - keep_for()
    ).update(status=JobStatus.FAILED, error=LOST_MESSAGE, finished_at=now)
    stale = 0
    root = media_path(EXPORT_DIR)
    if root.exists():
        cutoff = (now - datetime.timedelta(hours=settings.CELERY_TASK_TIME_LIMIT / 3600 + 1)).timestamp()
        for part in root.rglob("*.part"):
            if part.stat().st_mtime < cutoff:
                part.unlink(missing_ok=True)
                stale += 1
    return {"expired": expired, "marked_files": marked, "lost_jobs": lost, "partial_files": stale}
