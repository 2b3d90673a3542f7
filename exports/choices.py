from django.db import models


class ExportKind(models.TextChoices):
    """The four exports of SPEC.md (Interfaces → Excel)."""

    SUMMARY = "summary", "汇总表"
    TEAM_DETAIL = "team_detail", "工作队明细"
    ROSTER = "roster", "干部花名册"
    COMPLETENESS = "completeness", "报送完成情况"


class JobStatus(models.TextChoices):
    QUEUED = "queued", "排队中"
    RUNNING = "running", "生成中"
    DONE = "done", "已完成"
    FAILED = "failed", "失败"
    EXPIRED = "expired", "已过期"


# A job in one of these statuses may still be (re)run by a worker: a redelivered message finds it here.
RUNNABLE_STATUSES = (JobStatus.QUEUED, JobStatus.RUNNING)


class Layout(models.TextChoices):
    """The summary's orientation: the bulletin's (indicators down, areas across) or swapped."""

    INDICATORS_AS_ROWS = "indicators", "指标为行、地区为列"
    AREAS_AS_ROWS = "areas", "地区为行、指标为列"


class ImportStatus(models.TextChoices):
    IMPORTED = "imported", "已导入"
    REJECTED = "rejected", "未导入（有错误）"
