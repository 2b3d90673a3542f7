from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q

from reports.choices import ActivitySource, Category, ReportStatus, TimeAggregation, ValueType
from zhucun.scope import Action, Scope, ScopedQuerySet

# Report values: up to 99,999,999,999,999.99 with 2 decimals (money in yuan).
VALUE_MAX_DIGITS = 16
VALUE_DECIMAL_PLACES = 2


class IndicatorQuerySet(models.QuerySet):
    def active_in(self, batch) -> "IndicatorQuerySet":
        """The indicators a report of `batch` asks for: active from (or before) it and not retired before it."""
        return self.filter(
            Q(active_from_batch__isnull=True) | Q(active_from_batch__number__lte=batch.number),
            Q(active_until_batch__isnull=True) | Q(active_until_batch__number__gte=batch.number),
        )


class Indicator(models.Model):
    """统计指标: one row of the monthly report. Retired indicators (active_until_batch in the past)
    drop off new reports but stay readable in old ones."""

    code = models.CharField("指标代码", max_length=20, unique=True)
    name = models.CharField("指标名称", max_length=200)
    unit = models.CharField("计量单位", max_length=20)
    category = models.CharField("类别", max_length=20, choices=Category.choices)
    value_type = models.CharField("数值类型", max_length=10, choices=ValueType.choices, default=ValueType.INTEGER)
    time_aggregation = models.CharField(
        "时间汇总方式", max_length=10, choices=TimeAggregation.choices, default=TimeAggregation.SUM
    )
    part_of = models.ForeignKey(
        "self",
        verbose_name="所属总数指标",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="parts",
        help_text="“其中”类指标：数值不得超过所属总数指标。",
    )
    sort_order = models.PositiveIntegerField("排序", default=0)
    active_from_batch = models.ForeignKey(
        "teams.Batch", verbose_name="启用批次", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    active_until_batch = models.ForeignKey(
        "teams.Batch", verbose_name="停用批次", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = IndicatorQuerySet.as_manager()

    class Meta:
        verbose_name = "统计指标"
        verbose_name_plural = "统计指标"
        ordering = ["sort_order", "code"]
        constraints = [
            models.CheckConstraint(
                name="indicator_not_part_of_itself",
                condition=~Q(part_of=F("pk")),
                violation_error_message="指标不能是自身的“其中”项。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class ActivityType(models.Model):
    """A kind of logged activity (入户走访, 宣讲会 ...), managed by region admins."""

    name = models.CharField("类型名称", max_length=50, unique=True)
    sort_order = models.PositiveIntegerField("排序", default=0)
    is_active = models.BooleanField("在用", default=True)
    indicators = models.ManyToManyField(
        Indicator, through="ActivityTypeIndicator", verbose_name="对应指标", related_name="activity_types"
    )

    class Meta:
        verbose_name = "活动类型"
        verbose_name_plural = "活动类型"
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return self.name


class ActivityTypeIndicator(models.Model):
    """How an activity of a type pre-fills an indicator: +1 per activity, or its participants or households."""

    activity_type = models.ForeignKey(
        ActivityType, verbose_name="活动类型", on_delete=models.CASCADE, related_name="mappings"
    )
    indicator = models.ForeignKey(Indicator, verbose_name="指标", on_delete=models.CASCADE, related_name="+")
    source = models.CharField("取值方式", max_length=20, choices=ActivitySource.choices, default=ActivitySource.COUNT)

    class Meta:
        verbose_name = "活动类型对应指标"
        verbose_name_plural = "活动类型对应指标"
        constraints = [
            models.UniqueConstraint(
                fields=["activity_type", "indicator"],
                name="activity_type_indicator_unique",
                violation_error_message="该活动类型已对应此指标。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.activity_type} → {self.indicator}（{self.get_source_display()}）"


class TeamScopedQuerySet(ScopedQuerySet):
    area_path = "team__village_id"
    unit_path = "team__unit_id"
    team_path = "team_id"


class Activity(models.Model):
    """工作日志: one thing a team did on one day."""

    team = models.ForeignKey(
        "teams.WorkTeam", verbose_name="工作队", on_delete=models.PROTECT, related_name="activities"
    )
    date = models.DateField("日期")
    activity_type = models.ForeignKey(
        ActivityType, verbose_name="活动类型", on_delete=models.PROTECT, related_name="activities"
    )
    title = models.CharField("标题", max_length=200)
    village = models.ForeignKey(
        "villages.Area",
        verbose_name="地点（村居）",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"level": "village"},
        help_text="为空表示工作队所驻村（居）。",
    )
    participants = models.PositiveIntegerField("参与人数", default=0)
    households = models.PositiveIntegerField("覆盖户数", default=0)
    notes = models.TextField("备注", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="记录人", on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField("记录时间", auto_now_add=True)
    updated_at = models.DateTimeField("修改时间", auto_now=True)

    objects = TeamScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "工作日志"
        verbose_name_plural = "工作日志"
        ordering = ["-date", "-pk"]
        indexes = [models.Index(fields=["team", "date"], name="activity_team_date_idx")]

    def __str__(self) -> str:
        return f"{self.date} {self.title}"


class MonthlyReport(models.Model):
    """月报: one per team per month (`month` is the first day of the month). Approval locks it;
    `due_date` is fixed when the report is created so "late" does not change with the setting."""

    team = models.ForeignKey("teams.WorkTeam", verbose_name="工作队", on_delete=models.PROTECT, related_name="reports")
    month = models.DateField("月份")
    status = models.CharField("状态", max_length=10, choices=ReportStatus.choices, default=ReportStatus.DRAFT)
    due_date = models.DateField("截止日期")
    summary = models.TextField("本月工作小结", blank=True)
    problems = models.TextField("存在问题", blank=True)
    next_plan = models.TextField("下月计划", blank=True)
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="提交人",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reviewed_at = models.DateTimeField("审核时间", null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="审核人",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    review_comment = models.TextField("审核意见", blank=True)
    # Raw text the user typed that is not a valid number yet, by indicator code: a draft never loses input.
    draft_input = models.JSONField("未通过校验的输入", default=dict, blank=True)
    # Incremented on every write; the API's ETag, and the guard of conditional UPDATEs.
    version = models.PositiveIntegerField("版本", default=1)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("修改时间", auto_now=True)

    objects = TeamScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "月报"
        verbose_name_plural = "月报"
        ordering = ["-month", "team_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["team", "month"],
                name="report_one_per_team_per_month",
                violation_error_message="该工作队本月已有月报。",
            ),
            models.CheckConstraint(
                name="report_month_is_first_day",
                condition=Q(month__day=1),
                violation_error_message="月报月份必须是该月1日。",
            ),
            models.CheckConstraint(
                name="report_submitted_has_time",
                condition=Q(status=ReportStatus.DRAFT) | Q(submitted_at__isnull=False),
                violation_error_message="已提交的月报必须有提交时间。",
            ),
            models.CheckConstraint(
                name="report_approved_has_reviewer",
                condition=~Q(status=ReportStatus.APPROVED) | Q(reviewed_at__isnull=False),
                violation_error_message="已审核的月报必须有审核时间。",
            ),
        ]
        indexes = [models.Index(fields=["month", "status"], name="report_month_status_idx")]

    def __str__(self) -> str:
        return f"{self.team} {self.month:%Y年%m月}月报"

    @property
    def is_late(self) -> bool:
        """Submitted after its due date (or, not yet submitted, now past it)."""
        from django.utils import timezone

        if self.submitted_at is not None:
            return timezone.localdate(self.submitted_at) > self.due_date
        return timezone.localdate() > self.due_date


class ReportValueQuerySet(ScopedQuerySet):
    area_path = "report__team__village_id"
    unit_path = "report__team__unit_id"
    team_path = "report__team_id"


class ReportValue(models.Model):
    """One indicator's figure in one monthly report. A blank value (NULL) means not filled in."""

    # No index of its own: the unique (report, indicator) index serves every lookup by report (a separate one
    # would cost 0.8 GB and a minute of loading at country size).
    report = models.ForeignKey(
        MonthlyReport, verbose_name="月报", on_delete=models.CASCADE, related_name="values", db_index=False
    )
    indicator = models.ForeignKey(Indicator, verbose_name="指标", on_delete=models.PROTECT, related_name="values")
    value = models.DecimalField(
        "数值",
        max_digits=VALUE_MAX_DIGITS,
        decimal_places=VALUE_DECIMAL_PLACES,
        null=True,
        blank=True,
        validators=[MinValueValidator(0, message="数值不能为负数。")],
    )
    note = models.TextField("说明", blank=True, help_text="数值异常时填报人的说明。")

    objects = ReportValueQuerySet.as_manager()

    class Meta:
        verbose_name = "月报数值"
        verbose_name_plural = "月报数值"
        ordering = ["report_id", "indicator__sort_order"]
        constraints = [
            models.UniqueConstraint(
                fields=["report", "indicator"],
                name="report_value_one_per_indicator",
                violation_error_message="该月报已有此指标的数值。",
            ),
            models.CheckConstraint(
                name="report_value_non_negative",
                condition=Q(value__isnull=True) | Q(value__gte=0),
                violation_error_message="数值不能为负数。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator.code}={self.value}"


class ReportEvent(models.Model):
    """One step in a report's life (saved, submitted, approved, returned, reopened): who, when, why.
    Append-only; the report page and the auditors read it."""

    class Kind(models.TextChoices):
        CREATED = "created", "创建"
        SAVED = "saved", "保存草稿"
        SUBMITTED = "submitted", "提交"
        APPROVED = "approved", "审核通过"
        RETURNED = "returned", "退回修改"
        REOPENED = "reopened", "重新打开"

    report = models.ForeignKey(MonthlyReport, verbose_name="月报", on_delete=models.CASCADE, related_name="events")
    kind = models.CharField("类型", max_length=10, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    at = models.DateTimeField("时间", auto_now_add=True)
    from_status = models.CharField("原状态", max_length=10, choices=ReportStatus.choices, blank=True)
    to_status = models.CharField("新状态", max_length=10, choices=ReportStatus.choices)
    comment = models.TextField("意见/理由", blank=True)

    class Meta:
        verbose_name = "月报流转记录"
        verbose_name_plural = "月报流转记录"
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.report} {self.get_kind_display()}"


class ReportValueChange(models.Model):
    """Every change of a report value: old → new, with the event (who, when) that made it. Written by the
    services for single and bulk writes alike (django-simple-history would miss bulk updates)."""

    event = models.ForeignKey(ReportEvent, verbose_name="操作", on_delete=models.CASCADE, related_name="value_changes")
    indicator = models.ForeignKey(Indicator, verbose_name="指标", on_delete=models.PROTECT, related_name="+")
    old_value = models.DecimalField(
        "原值", max_digits=VALUE_MAX_DIGITS, decimal_places=VALUE_DECIMAL_PLACES, null=True, blank=True
    )
    new_value = models.DecimalField(
        "新值", max_digits=VALUE_MAX_DIGITS, decimal_places=VALUE_DECIMAL_PLACES, null=True, blank=True
    )
    old_note = models.TextField("原说明", blank=True)
    new_note = models.TextField("新说明", blank=True)

    class Meta:
        verbose_name = "月报数值变更"
        verbose_name_plural = "月报数值变更"
        ordering = ["event_id", "indicator__sort_order"]

    def __str__(self) -> str:
        return f"{self.indicator.code}: {self.old_value} → {self.new_value}"


class ReviewComment(models.Model):
    """The county's comment on one value of a report it returned."""

    event = models.ForeignKey(
        ReportEvent, verbose_name="退回操作", on_delete=models.CASCADE, related_name="value_comments"
    )
    indicator = models.ForeignKey(Indicator, verbose_name="指标", on_delete=models.PROTECT, related_name="+")
    comment = models.TextField("意见")

    class Meta:
        verbose_name = "数值审核意见"
        verbose_name_plural = "数值审核意见"
        ordering = ["event_id", "indicator__sort_order"]

    def __str__(self) -> str:
        return f"{self.indicator.code}: {self.comment}"


class NotificationQuerySet(models.QuerySet):
    def unread(self) -> "NotificationQuerySet":
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """An in-app message (a report returned, reports waiting, a report missing). `key` makes sending
    idempotent: a job that runs twice finds the (user, key) row and sends nothing twice."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="收件人", on_delete=models.CASCADE, related_name="notifications"
    )
    key = models.CharField("去重键", max_length=120)
    title = models.CharField("标题", max_length=200)
    body = models.TextField("内容", blank=True)
    url = models.CharField("链接", max_length=300, blank=True)
    created_at = models.DateTimeField("时间", auto_now_add=True)
    read_at = models.DateTimeField("已读时间", null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = "通知"
        verbose_name_plural = "通知"
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "key"], name="notification_once_per_key", violation_error_message="该通知已发送。"
            ),
        ]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_user_unread_idx")]

    def __str__(self) -> str:
        return self.title


class FigureQuerySet(ScopedQuerySet):
    """Area-bound users reach their subtrees (every unit cut); a liaison its own unit's cuts in any area;
    team roles no statistics."""

    area_path = "area_code"

    def scope_q(self, scope: Scope, action: Action) -> Q:
        q = super().scope_q(scope, action)
        if scope.unit_ids:
            q |= Q(unit_key__in=[f"u:{unit_id}" for unit_id in scope.unit_ids])
        return q


class Figure(models.Model):
    """统计数: the rollup store. One row per batch, period, area and unit cut, holding every indicator's figure
    of that cut: `data` maps indicator id → [value as a decimal string, reports counted].

    Only approved reports count. "sum" indicators add up their months; "latest" indicators take each team's
    latest approved value within the period and add those over teams. `unit_key` is "" (all units),
    "u:<unit id>" or "l:<unit level>"; unit cuts exist down to county level. "All batches" is the sum of
    the batch rows (every team belongs to exactly one batch, so both kinds of indicator add up).
    """

    class Kind(models.TextChoices):
        MONTH = "month", "月度"
        QUARTER = "quarter", "季度"
        HALF = "half", "半年"
        YEAR = "year", "年度"
        BATCH_TO_DATE = "btd", "本批次累计"

    batch = models.ForeignKey("teams.Batch", verbose_name="批次", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField("周期类型", max_length=8, choices=Kind.choices)
    period_start = models.DateField("起始月")
    period_end = models.DateField("截止月")
    area_code = models.CharField("地区代码", max_length=12)
    area_level = models.PositiveSmallIntegerField("代码位数")
    unit_key = models.CharField("单位维度", max_length=24, blank=True)
    data = models.JSONField("指标数值", default=dict)
    report_count = models.PositiveIntegerField("计入月报数", default=0)
    team_count = models.PositiveIntegerField("计入工作队数", default=0)
    computed_at = models.DateTimeField("计算时间")

    objects = FigureQuerySet.as_manager()

    class Meta:
        verbose_name = "统计数"
        verbose_name_plural = "统计数"
        constraints = [
            models.UniqueConstraint(
                fields=["batch", "kind", "period_end", "unit_key", "area_code"],
                name="figure_one_per_cut",
                violation_error_message="该统计口径已有数据。",
            ),
        ]
        indexes = [
            # Breakdown one level down: the children of an area are its prefix at the next code length.
            models.Index(
                fields=["kind", "period_end", "unit_key", "area_level", "area_code"], name="figure_children_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.batch_id} {self.kind} {self.period_end} {self.area_code} {self.unit_key or '全部单位'}"


class FigureCheck(models.Model):
    """A nightly comparison of the stored figures with a fresh computation. Any difference is a bug signal
    shown to region admins."""

    started_at = models.DateTimeField("开始时间")
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)
    rows_checked = models.PositiveIntegerField("核对行数", default=0)
    differences = models.PositiveIntegerField("差异数", default=0)
    details = models.JSONField("差异明细（前100条）", default=list, blank=True)
    repaired = models.BooleanField("已按重算结果修复", default=False)

    class Meta:
        verbose_name = "统计核对"
        verbose_name_plural = "统计核对"
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M} 差异 {self.differences}"


class CompletenessQuerySet(ScopedQuerySet):
    """Counted per area only: area-bound users reach their subtrees."""

    area_path = "area_code"


class Completeness(models.Model):
    """Reporting completeness of one area in one month: 应报 (teams active that month), 已报 (submitted or
    approved), 已审, 逾期 (submitted after the due date, or not submitted and past it), 未报. Counting only
    teams active in the month keeps every rate at or below 100%."""

    month = models.DateField("月份")
    area_code = models.CharField("地区代码", max_length=12)
    area_level = models.PositiveSmallIntegerField("代码位数")
    expected = models.PositiveIntegerField("应报", default=0)
    submitted = models.PositiveIntegerField("已报", default=0)
    approved = models.PositiveIntegerField("已审", default=0)
    late = models.PositiveIntegerField("逾期", default=0)
    missing = models.PositiveIntegerField("未报", default=0)
    computed_at = models.DateTimeField("计算时间")

    objects = CompletenessQuerySet.as_manager()

    class Meta:
        verbose_name = "报送完成情况"
        verbose_name_plural = "报送完成情况"
        constraints = [
            models.UniqueConstraint(
                fields=["month", "area_code"], name="completeness_one_per_area_month", violation_error_message="重复。"
            ),
            models.CheckConstraint(
                name="completeness_rate_at_most_full",
                condition=Q(submitted__lte=F("expected"), approved__lte=F("submitted")),
                violation_error_message="已报不能超过应报，已审不能超过已报。",
            ),
        ]
        indexes = [models.Index(fields=["month", "area_level", "area_code"], name="completeness_children_idx")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.area_code} {self.submitted}/{self.expected}"
