"""One FilterSet per model of the reports app: the API lists and the browser pages use the same ones.

Pages pass `request=` so the area choices are the user's (an area outside the scope is an invalid choice: a field
error in pages, 400 in the API). Query parameters:

- activities: `team`, `activity_type`, `month` (YYYY-MM), `area` (drill-down), `q`, `ordering`;
- monthly reports: `area` (prefecture, county or township), `team`, `month`, `status`, `late`, `batch`, `ordering`;
- the review queue: the same, with `status` defaulting to 已提交 (`status=` with no value: every status);
- indicators: `category`, `batch` (active in that batch), `q`;
- notifications: `unread`.
"""

import datetime
import re

import django_filters
from django import forms
from django_filters.constants import EMPTY_VALUES
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from reports.choices import Category, ReportStatus
from reports.models import Activity, ActivityType, Indicator, MonthlyReport, Notification
from reports.periods import add_months
from reports.selectors import late_q
from teams.models import Batch
from zhucun.filters import AreaFilter, SearchFilter

_MONTH = re.compile(r"(\d{4})-(\d{1,2})(?:-(\d{1,2}))?")


def parse_month(text: str) -> datetime.date | None:
    """ "2026-02" (what <input type="month"> sends) or a date "2026-02-14" → the month's first day; None if neither."""
    match = _MONTH.fullmatch((text or "").strip())
    if match is None:
        return None
    try:
        return datetime.date(int(match[1]), int(match[2]), int(match[3] or 1)).replace(day=1)
    except ValueError:
        return None


class MonthField(forms.CharField):
    """A month as YYYY-MM; cleans to the month's first day."""

    widget = forms.TextInput(attrs={"type": "month", "placeholder": "2026-02"})
    default_error_messages = {"invalid": "请按“年-月”填写月份，例如 2026-02。"}

    def to_python(self, value):
        text = super().to_python(value)
        if text in self.empty_values:
            return None
        month = parse_month(text)
        if month is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return month


@extend_schema_field({"type": "string", "pattern": r"^\d{4}-\d{2}$", "description": "月份，格式 YYYY-MM，例如 2026-02"})
class MonthFilter(django_filters.Filter):
    """`?month=2026-02`. On a month column (a report's first-day `month`) it matches that month; with
    `spans_month=True` on a date column (an activity's `date`) it matches every day of the month."""

    field_class = MonthField

    def __init__(self, *, spans_month: bool = False, **kwargs):
        self.spans_month = spans_month
        kwargs.setdefault("label", "月份")
        super().__init__(**kwargs)

    def filter(self, qs, value):
        if value in EMPTY_VALUES:
            return qs
        if self.spans_month:
            return qs.filter(**{f"{self.field_name}__gte": value, f"{self.field_name}__lt": add_months(value, 1)})
        return qs.filter(**{self.field_name: value})


class StableOrderingFilter(django_filters.OrderingFilter):
    """`?ordering=...` with the primary key as the last key, so rows never swap between pages."""

    def filter(self, qs, value):
        if value in EMPTY_VALUES:
            return qs
        return qs.order_by(*[self.get_ordering_value(param) for param in value], "pk")


class LateFilter(django_filters.BooleanFilter):
    """`?late=true`: submitted after the due date, or not submitted and past it (MonthlyReport.is_late);
    `?late=false`: the others."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", "是否逾期")
        super().__init__(**kwargs)

    def filter(self, qs, value):
        if value is None:
            return qs
        return qs.filter(late_q()) if value else qs.exclude(late_q())


@extend_schema_field(OpenApiTypes.INT)
class ActiveInBatchFilter(django_filters.ModelChoiceFilter):
    """`?batch=<id>`: the indicators a report of that batch asks for (active from or before it, not retired
    before it)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", Batch.objects.all())
        kwargs.setdefault("label", "在该批次启用")
        super().__init__(**kwargs)

    def filter(self, qs, value):
        if value in EMPTY_VALUES:
            return qs
        return qs.active_in(value)


class ActivityFilterSet(django_filters.FilterSet):
    q = SearchFilter(fields=("title", "notes"), label="搜索（标题、备注）")
    area = AreaFilter(path="team__village_id")
    team = django_filters.NumberFilter(field_name="team_id", label="工作队")
    activity_type = django_filters.ModelChoiceFilter(queryset=ActivityType.objects.all(), label="活动类型")
    month = MonthFilter(field_name="date", spans_month=True)
    ordering = StableOrderingFilter(
        fields=(("date", "date"), ("team__village_id", "village"), ("created_at", "created_at")),
        field_labels={"date": "日期", "team__village_id": "村居代码", "created_at": "记录时间"},
        label="排序",
    )

    class Meta:
        model = Activity
        fields = ("q", "area", "team", "activity_type", "month")


class MonthlyReportFilterSet(django_filters.FilterSet):
    area = AreaFilter(path="team__village_id", label="地区（地市、县、乡镇）")
    team = django_filters.NumberFilter(field_name="team_id", label="工作队")
    batch = django_filters.ModelChoiceFilter(field_name="team__batch", queryset=Batch.objects.all(), label="批次")
    month = MonthFilter(field_name="month")
    status = django_filters.ChoiceFilter(choices=ReportStatus.choices, label="状态")
    late = LateFilter()
    ordering = StableOrderingFilter(
        fields=(
            ("month", "month"),
            ("due_date", "due_date"),
            ("submitted_at", "submitted_at"),
            ("team__village_id", "village"),
            ("status", "status"),
        ),
        field_labels={
            "month": "月份",
            "due_date": "截止日期",
            "submitted_at": "提交时间",
            "team__village_id": "村居代码",
            "status": "状态",
        },
        label="排序",
    )

    class Meta:
        model = MonthlyReport
        fields = ("area", "team", "batch", "month", "status", "late")


class ReviewQueueFilterSet(MonthlyReportFilterSet):
    """The county's queue: reports waiting for review unless another `status` is asked for (`status=` empty:
    every status). Pages pass `request.GET` itself (not `request.GET or None`) so the default applies."""

    def __init__(self, data=None, *args, **kwargs):
        if data is not None and "status" not in data:
            data = data.copy()
            data["status"] = ReportStatus.SUBMITTED
        super().__init__(data, *args, **kwargs)


class IndicatorFilterSet(django_filters.FilterSet):
    q = SearchFilter(fields=("code", "name"), label="搜索（代码、名称）")
    category = django_filters.ChoiceFilter(choices=Category.choices, label="类别")
    batch = ActiveInBatchFilter()

    class Meta:
        model = Indicator
        fields = ("q", "category", "batch")


class NotificationFilterSet(django_filters.FilterSet):
    unread = django_filters.BooleanFilter(field_name="read_at", lookup_expr="isnull", label="未读")

    class Meta:
        model = Notification
        fields = ("unread",)
