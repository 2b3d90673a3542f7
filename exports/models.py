from django.conf import settings
from django.db import models
from django.db.models import Q

from exports.choices import ExportKind, ImportStatus, JobStatus


class ExportJob(models.Model):
    """One Excel export asked for by a user: its parameters (already checked against the user's scope), its
    progress while a worker writes it, and the file under MEDIA_ROOT/exports/ until `expires_at`.

    Only the requester downloads it, or an admin whose area covers `area_code` (a file with full ID numbers:
    only one who may see them there). Running the job again rewrites the same file."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="导出人", on_delete=models.CASCADE, related_name="export_jobs"
    )
    kind = models.CharField("导出类型", max_length=20, choices=ExportKind.choices)
    params = models.JSONField("导出条件", default=dict)
    area_code = models.CharField("地区代码", max_length=12)
    title = models.CharField("标题", max_length=200)
    status = models.CharField("状态", max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    progress = models.PositiveSmallIntegerField("进度（%）", default=0)
    rows_total = models.PositiveIntegerField("总行数", default=0)
    rows_done = models.PositiveIntegerField("已写行数", default=0)
    cells = models.PositiveBigIntegerField("单元格数", default=0)
    file = models.FileField("文件", max_length=255, blank=True)
    file_name = models.CharField("下载文件名", max_length=200, blank=True)
    ascii_name = models.CharField("下载文件名（ASCII）", max_length=120, blank=True)
    file_size = models.PositiveBigIntegerField("文件大小（字节）", default=0)
    personal_data = models.BooleanField("含个人信息", default=False)
    full_id_numbers = models.PositiveIntegerField("完整身份证号人数", default=0)
    error = models.CharField("错误信息", max_length=500, blank=True)
    attempts = models.PositiveSmallIntegerField("执行次数", default=0)
    created_at = models.DateTimeField("提交时间", auto_now_add=True)
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)
    expires_at = models.DateTimeField("文件保留至", null=True, blank=True)

    class Meta:
        verbose_name = "导出任务"
        verbose_name_plural = "导出任务"
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="export_job_progress_percent",
                condition=Q(progress__lte=100),
                violation_error_message="进度不能超过100%。",
            ),
            models.CheckConstraint(
                name="export_job_done_has_file",
                condition=~Q(status=JobStatus.DONE) | ~Q(file=""),
                violation_error_message="已完成的导出任务必须有文件。",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="export_job_user_idx"),
            models.Index(fields=["status", "expires_at"], name="export_job_expiry_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.title}"

    @property
    def is_downloadable(self) -> bool:
        return self.status == JobStatus.DONE and bool(self.file)


class RosterImport(models.Model):
    """One upload of a cadre roster workbook by a county admin: imported whole, or rejected whole with every
    error by row and column (and a copy of the workbook with the bad cells marked, kept like an export)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="导入人", on_delete=models.CASCADE, related_name="roster_imports"
    )
    county = models.ForeignKey("villages.Area", verbose_name="县（区）", on_delete=models.PROTECT, related_name="+")
    batch = models.ForeignKey("teams.Batch", verbose_name="批次", on_delete=models.PROTECT, related_name="+")
    file_name = models.CharField("上传文件名", max_length=200)
    status = models.CharField("结果", max_length=10, choices=ImportStatus.choices)
    rows = models.PositiveIntegerField("数据行数", default=0)
    cadres_created = models.PositiveIntegerField("新增干部", default=0)
    teams_created = models.PositiveIntegerField("新建工作队", default=0)
    assignments_created = models.PositiveIntegerField("新增任职", default=0)
    errors = models.JSONField("错误", default=list, blank=True)
    marked_file = models.FileField("标注错误的工作簿", max_length=255, blank=True)
    created_at = models.DateTimeField("导入时间", auto_now_add=True)
    expires_at = models.DateTimeField("文件保留至", null=True, blank=True)

    class Meta:
        verbose_name = "干部花名册导入"
        verbose_name_plural = "干部花名册导入"
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "-created_at"], name="roster_import_user_idx")]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.file_name} {self.get_status_display()}"
