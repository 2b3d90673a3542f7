"""Serializers of the exports API: an export job (its progress and where to download it), the parameters that start
one, and a roster import's outcome."""

from django.urls import reverse
from rest_framework import serializers

from exports.models import ExportJob, RosterImport
from reports.api.stats import CompletenessParamsSerializer, CutParamsSerializer


class ExportJobSerializer(serializers.ModelSerializer):
    # Plain strings in the schema: "kind" and "status" name other choice sets elsewhere in the API.
    kind = serializers.CharField(read_only=True, help_text="summary、team_detail、roster、completeness")
    status = serializers.CharField(read_only=True, help_text="queued、running、done、failed、expired")
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    download_url = serializers.SerializerMethodField(help_text="文件生成后的下载地址；未完成或已过期时为空")

    class Meta:
        model = ExportJob
        fields = (
            "id",
            "kind",
            "kind_display",
            "title",
            "params",
            "area_code",
            "status",
            "status_display",
            "progress",
            "rows_total",
            "rows_done",
            "file_name",
            "file_size",
            "personal_data",
            "error",
            "created_at",
            "started_at",
            "finished_at",
            "expires_at",
            "download_url",
        )
        read_only_fields = fields

    def get_download_url(self, job) -> str | None:
        if not job.is_downloadable:
            return None
        return reverse("api:export-job-download", args=[job.pk])


def _stats_param(name: str, help_text: str, source: type[serializers.Serializer] = CutParamsSerializer):
    """The statistics API's query parameter `name`, with the same checks and Chinese errors, documented for exports."""
    field = source._declared_fields[name]
    return type(field)(*field._args, **{**field._kwargs, "help_text": help_text})


class ExportStartSerializer(serializers.Serializer):
    """What to export. Every parameter is optional: the defaults are the user's own area, the latest half-year with
    figures, all batches and all units. Each export reads only the parameters it uses."""

    # Area, months, batch and unit are checked as by the statistics API (its serializers' fields). The rest are
    # strings, checked by exports.params (Chinese errors by field): as choice fields they would collide with the
    # API's other "kind" and unit-level enums in the schema.

    kind = serializers.CharField(
        help_text="summary 汇总表、team_detail 工作队明细、roster 干部花名册、completeness 报送完成情况",
    )
    area = _stats_param("area", "地区代码（2/4/6/9/12位），须在本人范围内")
    period_kind = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="周期类型 month、quarter、half（默认）、year、btd（汇总表、工作队明细）",
    )
    period = _stats_param("period", "周期内任一月份 YYYY-MM（汇总表、工作队明细）")
    month = _stats_param("month", "月份 YYYY-MM（报送完成情况）", CompletenessParamsSerializer)
    batch = _stats_param("batch", "批次 id；不填为全部批次")
    unit = _stats_param("unit", "派驻单位 id")
    unit_level = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="派驻单位层级 central、region、prefecture、county、township、enterprise",
    )
    layout = serializers.CharField(required=False, allow_blank=True, help_text="汇总表方向：indicators（默认）或 areas")
    monthly_sheets = serializers.BooleanField(required=False, default=False, help_text="工作队明细另按月份分表")
    current_only = serializers.BooleanField(required=False, default=False, help_text="花名册只含在任干部")


class RowErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(allow_null=True, help_text="工作簿中的行号（表头为第1行）；整个文件的问题为空")
    column = serializers.CharField(allow_null=True, help_text="列名（表头）；整行或整个文件的问题为空")
    message = serializers.CharField()


class RosterImportSerializer(serializers.ModelSerializer):
    status = serializers.CharField(read_only=True, help_text="imported 已导入、rejected 未导入（有错误）")
    county_name = serializers.CharField(source="county.name", read_only=True)
    batch_name = serializers.CharField(source="batch.name", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    errors = RowErrorSerializer(many=True, read_only=True)
    marked_file_url = serializers.SerializerMethodField(help_text="标注错误的工作簿的下载地址（有错误时）")

    class Meta:
        model = RosterImport
        fields = (
            "id",
            "county",
            "county_name",
            "batch",
            "batch_name",
            "file_name",
            "status",
            "status_display",
            "rows",
            "cadres_created",
            "teams_created",
            "assignments_created",
            "errors",
            "marked_file_url",
            "created_at",
            "expires_at",
        )
        read_only_fields = fields

    def get_marked_file_url(self, record) -> str | None:
        if not record.marked_file:
            return None
        return reverse("api:roster-import-marked", args=[record.pk])


class RosterUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="用导入模板填写的 .xlsx 文件")
    county = serializers.RegexField(
        r"^\d{6}$",
        required=False,
        allow_blank=True,
        help_text="县级代码；只管理一个县的管理员可不填",
        error_messages={"invalid": "县级代码应为6位数字。"},
    )
    batch = serializers.IntegerField(required=False, allow_null=True, min_value=1, help_text="批次 id；默认当前批次")
