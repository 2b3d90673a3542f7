from django.contrib import admin

from reports.models import Activity, ActivityType, ActivityTypeIndicator, Indicator, MonthlyReport, ReportValue
from villages.admin import PrefectureListFilter


class TeamPrefectureListFilter(PrefectureListFilter):
    area_code_path = "team__village__code"


@admin.register(Indicator)
class IndicatorAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name",
        "unit",
        "category",
        "value_type",
        "time_aggregation",
        "part_of",
        "sort_order",
        "active_from_batch",
        "active_until_batch",
    ]
    list_display_links = ["code", "name"]
    # Region admins reorder the catalogue without a code change.
    list_editable = ["sort_order"]
    list_filter = ["category", "value_type", "time_aggregation", "active_until_batch"]
    search_fields = ["code", "name"]
    list_select_related = ["part_of", "active_from_batch", "active_until_batch"]
    autocomplete_fields = ["part_of"]
    ordering = ["sort_order", "code"]
    fieldsets = [
        (None, {"fields": ["code", "name", "unit", "category", "value_type", "time_aggregation", "part_of"]}),
        ("排序与启停", {"fields": ["sort_order", "active_from_batch", "active_until_batch"]}),
    ]


class ActivityTypeIndicatorInline(admin.TabularInline):
    model = ActivityTypeIndicator
    fields = ["indicator", "source"]
    autocomplete_fields = ["indicator"]
    extra = 0


@admin.register(ActivityType)
class ActivityTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "sort_order", "is_active"]
    list_editable = ["sort_order", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name"]
    ordering = ["sort_order", "name"]
    inlines = [ActivityTypeIndicatorInline]


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    list_display = ["date", "title", "team", "activity_type", "village", "participants", "households", "created_by"]
    list_display_links = ["date", "title"]
    list_filter = ["activity_type", "team__batch", TeamPrefectureListFilter]
    search_fields = ["title", "team__name"]
    list_select_related = ["team", "activity_type", "village", "created_by"]
    autocomplete_fields = ["team", "village", "created_by"]
    readonly_fields = ["created_at", "updated_at"]
    date_hierarchy = "date"
    ordering = ["-date", "-pk"]
    fieldsets = [
        (None, {"fields": ["team", "date", "activity_type", "title", "village"]}),
        ("成效", {"fields": ["participants", "households", "notes"]}),
        ("记录", {"fields": ["created_by", "created_at", "updated_at"]}),
    ]


class ReportValueInline(admin.TabularInline):
    model = ReportValue
    fields = ["indicator", "value", "note"]
    autocomplete_fields = ["indicator"]
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("indicator")


@admin.register(MonthlyReport)
class MonthlyReportAdmin(admin.ModelAdmin):
    list_display = [
        "team",
        "report_month",
        "status",
        "due_date",
        "submitted_at",
        "late",
        "reviewed_at",
        "reviewed_by",
    ]
    list_filter = ["status", "month", "team__batch", TeamPrefectureListFilter]
    search_fields = ["team__name", "^team__village__code"]
    list_select_related = ["team", "reviewed_by"]
    autocomplete_fields = ["team", "submitted_by", "reviewed_by"]
    readonly_fields = ["version", "created_at", "updated_at"]
    date_hierarchy = "month"
    ordering = ["-month", "team"]
    show_full_result_count = False
    fieldsets = [
        (None, {"fields": ["team", "month", "status", "due_date"]}),
        ("报告内容", {"fields": ["summary", "problems", "next_plan"]}),
        ("提交与审核", {"fields": ["submitted_at", "submitted_by", "reviewed_at", "reviewed_by", "review_comment"]}),
        ("记录", {"fields": ["version", "created_at", "updated_at"]}),
    ]
    inlines = [ReportValueInline]

    def get_queryset(self, request):
        # __str__ names the team: keeps autocomplete results (e.g. from ReportValue) at one query.
        # A select_related here makes the changelist skip list_select_related, so it applies that list.
        return super().get_queryset(request).select_related(*self.list_select_related)

    @admin.display(description="月份", ordering="month")
    def report_month(self, obj: MonthlyReport) -> str:
        return f"{obj.month:%Y年%m月}"

    @admin.display(description="逾期", boolean=True)
    def late(self, obj: MonthlyReport) -> bool:
        return obj.is_late


@admin.register(ReportValue)
class ReportValueAdmin(admin.ModelAdmin):
    list_display = ["report", "indicator", "value", "note"]
    list_filter = ["indicator__category", "report__status"]
    search_fields = ["report__team__name", "=indicator__code"]
    list_select_related = ["report__team", "indicator"]
    autocomplete_fields = ["report", "indicator"]
    # Newest first by primary key: ordering by report and indicator would sort 1.7 million rows.
    ordering = ["-pk"]
    show_full_result_count = False
