"""Serializers of the reports API. They list their fields, check the shape of the input and render rows; the rules
live in reports/services.py and reports/workflow.py, which the viewsets call with `validated_data`.

Months are "YYYY-MM" in and out (a date such as "2026-02-14" is also taken, meaning its month). Report figures
are strings ("12", "1500.50") so money keeps its cents exactly; blank is null.
"""

import datetime
from decimal import Decimal

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from reports.choices import DUTY_TITLES, ReportStatus
from reports.filtersets import parse_month
from reports.models import (
    Activity,
    ActivityType,
    ActivityTypeIndicator,
    Indicator,
    MonthlyReport,
    Notification,
    ReportEvent,
    ReportValueChange,
    ReviewComment,
)
from reports.selectors import ValueRow, report_allowed_actions, report_events, report_sheet, report_value_changes
from teams.api.serializers import VisibleCodeField, VisibleIdField
from teams.models import Batch, WorkTeam
from villages.choices import AreaLevel
from villages.models import Area

STATUS_HELP = "；".join(f"{value}：{label}" for value, label in ReportStatus.choices)
KIND_HELP = "；".join(f"{value}：{label}" for value, label in ReportEvent.Kind.choices)


def person_name(user) -> str | None:
    if user is None:
        return None
    return user.get_full_name() or user.get_username()


def format_figure(value: Decimal | None) -> str | None:
    """12 → "12", 1500.5 → "1500.50": whole numbers without decimals, others with the two stored."""
    if value is None:
        return None
    return str(int(value)) if value == value.to_integral_value() else f"{value:f}"


@extend_schema_field({"type": "string", "pattern": r"^\d{4}-\d{2}$", "example": "2026-02"})
class MonthField(serializers.Field):
    default_error_messages = {"invalid": "请按“年-月”填写月份，例如 2026-02。"}

    def to_internal_value(self, data) -> datetime.date:
        month = parse_month(data) if isinstance(data, str) else None
        if month is None:
            self.fail("invalid")
        return month

    def to_representation(self, value: datetime.date) -> str:
        return f"{value:%Y-%m}"


@extend_schema_field({"type": "string", "nullable": True, "example": "12", "description": "数值（字符串）；空为未填"})
class FigureField(serializers.Field):
    """A report figure, rendered by format_figure (read-only)."""

    def __init__(self, **kwargs):
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value):
        return format_figure(value)


# -- the catalogue --------------------------------------------------------------------------------------------


class IndicatorSerializer(serializers.ModelSerializer):
    """An indicator. `part_of` is the code of its total ("其中" items); batches are ids. Region admins write it
    (code, value type and time aggregation are fixed once reports hold values for it)."""

    category_display = serializers.CharField(source="get_category_display", read_only=True)
    duty_title = serializers.SerializerMethodField()
    value_type_display = serializers.CharField(source="get_value_type_display", read_only=True)
    time_aggregation_display = serializers.CharField(source="get_time_aggregation_display", read_only=True)
    part_of = serializers.SlugRelatedField(
        slug_field="code", queryset=Indicator.objects.all(), required=False, allow_null=True, label="所属总数指标"
    )
    part_of_name = serializers.CharField(source="part_of.name", read_only=True, allow_null=True, default=None)
    sort_order = serializers.IntegerField(min_value=0, required=False, label="排序", help_text="默认排在最后")
    active_from_batch = serializers.PrimaryKeyRelatedField(
        queryset=Batch.objects.all(), required=False, allow_null=True, label="启用批次"
    )
    active_from_batch_name = serializers.CharField(
        source="active_from_batch.name", read_only=True, allow_null=True, default=None
    )
    active_until_batch = serializers.PrimaryKeyRelatedField(
        queryset=Batch.objects.all(), required=False, allow_null=True, label="停用批次", help_text="最后使用的批次"
    )
    active_until_batch_name = serializers.CharField(
        source="active_until_batch.name", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = Indicator
        fields = (
            "id",
            "code",
            "name",
            "unit",
            "category",
            "category_display",
            "duty_title",
            "value_type",
            "value_type_display",
            "time_aggregation",
            "time_aggregation_display",
            "part_of",
            "part_of_name",
            "sort_order",
            "active_from_batch",
            "active_from_batch_name",
            "active_until_batch",
            "active_until_batch_name",
        )

    def get_duty_title(self, indicator) -> str:
        """The duty's own name (政策讲解员 ...), the section heading of the report form."""
        return DUTY_TITLES.get(indicator.category, "")


class IndicatorRetireSerializer(serializers.Serializer):
    last_batch = serializers.PrimaryKeyRelatedField(
        queryset=Batch.objects.all(), label="最后使用的批次", help_text="此后的批次不再填报该指标"
    )


class IndicatorReorderSerializer(serializers.Serializer):
    codes = serializers.ListField(
        child=serializers.CharField(max_length=20),
        allow_empty=False,
        max_length=1000,
        help_text="按新顺序排列的指标代码；未列出的指标保持原有先后，排在其后",
    )


class ActivityTypeIndicatorSerializer(serializers.ModelSerializer):
    indicator = serializers.CharField(source="indicator.code", read_only=True)
    indicator_name = serializers.CharField(source="indicator.name", read_only=True)
    source_display = serializers.CharField(source="get_source_display", read_only=True)

    class Meta:
        model = ActivityTypeIndicator
        fields = ("indicator", "indicator_name", "source", "source_display")
        read_only_fields = fields


class ActivityTypeSerializer(serializers.ModelSerializer):
    """An activity type and the indicators its activities pre-fill in the month's report."""

    indicators = ActivityTypeIndicatorSerializer(source="mappings", many=True, read_only=True)

    class Meta:
        model = ActivityType
        fields = ("id", "name", "sort_order", "is_active", "indicators")
        read_only_fields = fields


# -- activities -----------------------------------------------------------------------------------------------


class ActivitySerializer(serializers.ModelSerializer):
    """An activity of the log. `team` may be left out by a user logging for one team only; it cannot change
    afterwards. `village` blank means the team's own village. `locked`: the month's report is approved."""

    team = VisibleIdField(model=WorkTeam, required=False, label="工作队", help_text="只为一个工作队记录时可不填")
    team_name = serializers.CharField(source="team.name", read_only=True)
    activity_type = serializers.PrimaryKeyRelatedField(
        queryset=ActivityType.objects.filter(is_active=True), label="活动类型"
    )
    activity_type_name = serializers.CharField(source="activity_type.name", read_only=True)
    village = VisibleCodeField(
        model=Area, filters={"level": AreaLevel.VILLAGE}, required=False, allow_null=True, label="地点（村居）"
    )
    village_name = serializers.SerializerMethodField()
    participants = serializers.IntegerField(min_value=0, max_value=1_000_000, required=False, label="参与人数")
    households = serializers.IntegerField(min_value=0, max_value=1_000_000, required=False, label="覆盖户数")
    created_by_name = serializers.SerializerMethodField()
    locked = serializers.BooleanField(read_only=True, help_text="该月月报已审核，不能再修改或删除")

    class Meta:
        model = Activity
        fields = (
            "id",
            "team",
            "team_name",
            "date",
            "activity_type",
            "activity_type_name",
            "title",
            "village",
            "village_name",
            "participants",
            "households",
            "notes",
            "created_by_name",
            "created_at",
            "updated_at",
            "locked",
        )
        read_only_fields = ("created_at", "updated_at")

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None:
            fields["team"].read_only = True
        return fields

    def get_village_name(self, activity) -> str:
        """Where it happened: the village given, else the team's own."""
        return (activity.village or activity.team.village).name

    def get_created_by_name(self, activity) -> str | None:
        return person_name(activity.created_by)


# -- monthly reports ------------------------------------------------------------------------------------------


class MonthlyReportSerializer(serializers.ModelSerializer):
    """A report as lists show it: team, place, month, status, deadline, version."""

    team_name = serializers.CharField(source="team.name", read_only=True)
    village = serializers.CharField(source="team.village_id", read_only=True)
    village_name = serializers.CharField(source="team.village.name", read_only=True)
    township = serializers.CharField(source="team.village.parent_id", read_only=True)
    township_name = serializers.CharField(source="team.village.parent.name", read_only=True)
    county = serializers.SerializerMethodField()
    county_name = serializers.CharField(source="team.village.parent.parent.name", read_only=True)
    unit_name = serializers.CharField(source="team.unit.name", read_only=True)
    batch = serializers.IntegerField(source="team.batch_id", read_only=True)
    batch_name = serializers.CharField(source="team.batch.name", read_only=True)
    month = MonthField(read_only=True)
    month_display = serializers.SerializerMethodField()
    # Plain strings in the schema: the same choice set under several names would need ENUM_NAME_OVERRIDES.
    status = serializers.CharField(read_only=True, help_text=STATUS_HELP)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    late = serializers.BooleanField(
        source="is_late", read_only=True, help_text="提交晚于截止日期，或未提交且已过截止日期"
    )

    class Meta:
        model = MonthlyReport
        fields = (
            "id",
            "team",
            "team_name",
            "village",
            "village_name",
            "township",
            "township_name",
            "county",
            "county_name",
            "unit_name",
            "batch",
            "batch_name",
            "month",
            "month_display",
            "status",
            "status_display",
            "due_date",
            "late",
            "submitted_at",
            "reviewed_at",
            "version",
        )
        read_only_fields = fields

    def get_county(self, report) -> str:
        return report.team.village_id[:6]

    def get_month_display(self, report) -> str:
        return f"{report.month.year}年{report.month.month}月"


class ReviewQueueSerializer(MonthlyReportSerializer):
    """A row of the county's queue: the report with its checks' counts and how long it has waited."""

    warning_count = serializers.IntegerField(read_only=True, help_text="有提醒的指标数（均已由填报人说明）")
    error_count = serializers.IntegerField(read_only=True, help_text="有错误的指标数")
    waiting_days = serializers.SerializerMethodField()

    class Meta(MonthlyReportSerializer.Meta):
        fields = (*MonthlyReportSerializer.Meta.fields, "warning_count", "error_count", "waiting_days")
        read_only_fields = fields

    def get_waiting_days(self, report) -> int | None:
        """Whole days since submission (while submitted)."""
        if report.status != ReportStatus.SUBMITTED or report.submitted_at is None:
            return None
        return (timezone.localdate() - timezone.localdate(report.submitted_at)).days


class ReportValueSerializer(serializers.Serializer):
    """One indicator of a report, with what the form and the review need next to it."""

    code = serializers.CharField(source="indicator.code")
    name = serializers.CharField(source="indicator.name")
    unit = serializers.CharField(source="indicator.unit")
    category = serializers.CharField(source="indicator.category")
    category_display = serializers.CharField(source="indicator.get_category_display")
    value_type = serializers.CharField(source="indicator.value_type")
    part_of = serializers.SerializerMethodField()
    value = FigureField()
    note = serializers.CharField(help_text="填报人对提醒的说明")
    input = serializers.CharField(allow_null=True, help_text="尚未通过校验、原样保存的输入")
    input_errors = serializers.ListField(child=serializers.CharField(), help_text="该输入的问题")
    errors = serializers.ListField(child=serializers.CharField(), help_text="错误：须更正后才能提交")
    warnings = serializers.ListField(child=serializers.CharField(), help_text="提醒：须填写说明后才能提交")
    last_month = FigureField(help_text="上月数值（上月月报已提交或已审核时）")
    average = FigureField(help_text="本队以往月份（最多12个月）的平均值")
    review_comment = serializers.CharField(help_text="最近一次退回时县级对该数值的意见")
    retired = serializers.BooleanField(help_text="该指标本批次已停用（因有数值而保留显示）")

    def get_part_of(self, row: ValueRow) -> str | None:
        """The code of its total, for "其中" items."""
        total = row.indicator.part_of_id
        return self.context["codes"].get(total) if total else None


class ReviewCommentSerializer(serializers.ModelSerializer):
    code = serializers.CharField(source="indicator.code", read_only=True)
    name = serializers.CharField(source="indicator.name", read_only=True)

    class Meta:
        model = ReviewComment
        fields = ("code", "name", "comment")
        read_only_fields = fields


class ReportEventSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(read_only=True, help_text=KIND_HELP)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    from_status = serializers.CharField(read_only=True, help_text=f"原状态（创建时为空）：{STATUS_HELP}")
    to_status = serializers.CharField(read_only=True, help_text=f"新状态：{STATUS_HELP}")
    actor_name = serializers.SerializerMethodField()
    value_comments = ReviewCommentSerializer(many=True, read_only=True)

    class Meta:
        model = ReportEvent
        fields = (
            "id",
            "kind",
            "kind_display",
            "actor_name",
            "at",
            "from_status",
            "to_status",
            "comment",
            "value_comments",
        )
        read_only_fields = fields

    def get_actor_name(self, event) -> str | None:
        """Who did it; null for the monthly job that creates the drafts."""
        return person_name(event.actor)


class ReportValueChangeSerializer(serializers.ModelSerializer):
    code = serializers.CharField(source="indicator.code", read_only=True)
    name = serializers.CharField(source="indicator.name", read_only=True)
    old_value = FigureField()
    new_value = FigureField()
    at = serializers.DateTimeField(source="event.at", read_only=True)
    actor_name = serializers.SerializerMethodField()
    kind = serializers.CharField(source="event.kind", read_only=True, help_text="created：按工作日志预填；saved：保存")

    class Meta:
        model = ReportValueChange
        fields = ("code", "name", "old_value", "new_value", "old_note", "new_note", "at", "actor_name", "kind")
        read_only_fields = fields

    def get_actor_name(self, change) -> str | None:
        return person_name(change.event.actor)


class MonthlyReportDetailSerializer(MonthlyReportSerializer):
    """A whole report: narrative, every indicator's value against the team's history with the checks'
    messages, the transitions and every value change. `allowed_actions` lists what this user may do now."""

    submitted_by_name = serializers.SerializerMethodField()
    reviewed_by_name = serializers.SerializerMethodField()
    allowed_actions = serializers.SerializerMethodField()
    values = serializers.SerializerMethodField()
    events = serializers.SerializerMethodField()
    changes = serializers.SerializerMethodField()

    class Meta(MonthlyReportSerializer.Meta):
        fields = (
            *MonthlyReportSerializer.Meta.fields,
            "summary",
            "problems",
            "next_plan",
            "submitted_by_name",
            "reviewed_by_name",
            "review_comment",
            "allowed_actions",
            "values",
            "events",
            "changes",
        )
        read_only_fields = fields

    def get_submitted_by_name(self, report) -> str | None:
        return person_name(report.submitted_by)

    def get_reviewed_by_name(self, report) -> str | None:
        return person_name(report.reviewed_by)

    @extend_schema_field(
        serializers.ListField(child=serializers.ChoiceField(choices=["save", "submit", "approve", "return", "reopen"]))
    )
    def get_allowed_actions(self, report) -> list[str]:
        return report_allowed_actions(user=self.context["request"].user, report=report)

    @extend_schema_field(ReportValueSerializer(many=True))
    def get_values(self, report):
        sheet = report_sheet(report)
        codes = {row.indicator.pk: row.indicator.code for row in sheet}
        return ReportValueSerializer(sheet, many=True, context={**self.context, "codes": codes}).data

    @extend_schema_field(ReportEventSerializer(many=True))
    def get_events(self, report):
        return ReportEventSerializer(report_events(report), many=True, context=self.context).data

    @extend_schema_field(ReportValueChangeSerializer(many=True))
    def get_changes(self, report):
        return ReportValueChangeSerializer(report_value_changes(report), many=True, context=self.context).data


class MonthlyReportSavedSerializer(MonthlyReportDetailSerializer):
    """The report after a save, with the input that could not be stored as a number (kept as typed)."""

    input_errors = serializers.SerializerMethodField()

    class Meta(MonthlyReportDetailSerializer.Meta):
        fields = (*MonthlyReportDetailSerializer.Meta.fields, "input_errors")
        read_only_fields = fields

    @extend_schema_field(serializers.DictField(child=serializers.ListField(child=serializers.CharField())))
    def get_input_errors(self, report):
        """Indicator code → why its input was not saved as a value."""
        return self.context.get("input_errors", {})


class ReportOpenSerializer(serializers.Serializer):
    team = VisibleIdField(model=WorkTeam, required=False, label="工作队", help_text="只负责一个工作队时可不填")
    month = MonthField(label="月份")


class ReportSaveSerializer(serializers.Serializer):
    values = serializers.DictField(
        child=serializers.CharField(allow_null=True, allow_blank=True, trim_whitespace=False),
        required=False,
        help_text="指标代码 → 输入（字符串或数字；空为清除）。未列出的指标不变。",
    )
    notes = serializers.DictField(
        child=serializers.CharField(allow_blank=True, trim_whitespace=False),
        required=False,
        help_text="指标代码 → 对提醒的说明",
    )
    summary = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False, label="本月工作小结")
    problems = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False, label="存在问题")
    next_plan = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False, label="下月计划")


class ReportApproveSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="", label="审核意见")


class ReportReturnSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="", label="退回理由")
    value_comments = serializers.DictField(
        child=serializers.CharField(allow_blank=True),
        required=False,
        default=dict,
        help_text="指标代码 → 对该数值的意见",
    )


class ReportReopenSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", label="重新打开的理由（必填）")


class ApproveManySerializer(serializers.Serializer):
    # max_value: an id past the 64-bit range reached the database and broke the query (500), found by fuzzing.
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1), allow_empty=False, max_length=200
    )


class ReportConflictSerializer(serializers.Serializer):
    """409 / 412: somebody changed the report first; the current status and version come with the message."""

    id = serializers.IntegerField()
    detail = serializers.CharField()
    status = serializers.CharField(help_text=STATUS_HELP)
    status_display = serializers.CharField()
    version = serializers.IntegerField()


class ApproveManyResultSerializer(serializers.Serializer):
    approved = serializers.ListField(child=serializers.IntegerField(), help_text="已审核通过的月报")
    conflicts = ReportConflictSerializer(many=True, help_text="已被他人处理或状态不是已提交的月报")
    forbidden = serializers.ListField(child=serializers.IntegerField(), help_text="无权审核的月报")
    not_found = serializers.ListField(child=serializers.IntegerField(), help_text="不存在或不在范围内的月报")


# -- notifications --------------------------------------------------------------------------------------------


class NotificationSerializer(serializers.ModelSerializer):
    unread = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ("id", "title", "body", "url", "created_at", "read_at", "unread")
        read_only_fields = fields

    def get_unread(self, notification) -> bool:
        return notification.read_at is None


class MarkAllReadSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text="本次标记为已读的通知数")
