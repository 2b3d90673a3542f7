import dataclasses

from axes.helpers import get_client_ip_address
from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin
from simple_history.template_utils import HistoricalRecordContextHelper

from teams.models import Assignment, Batch, Cadre, DispatchingUnit, Leave, WorkTeam
from teams.validators import mask_id_number, mask_phone
from villages.admin import PrefectureListFilter
from zhucun.models import PersonalDataAccess


class TeamPrefectureListFilter(PrefectureListFilter):
    area_code_path = "village__code"


class AssignmentPrefectureListFilter(PrefectureListFilter):
    area_code_path = "team__village__code"


@admin.register(DispatchingUnit)
class DispatchingUnitAdmin(admin.ModelAdmin):
    list_display = ["name", "level", "parent", "area", "contact_name", "contact_phone", "is_active"]
    list_filter = ["level", "is_active"]
    search_fields = ["name", "contact_name"]
    list_select_related = ["parent", "area"]
    autocomplete_fields = ["parent", "area"]
    ordering = ["level", "name"]


@admin.register(Batch)
class BatchAdmin(admin.ModelAdmin):
    list_display = ["display_name", "number", "start_date", "end_date"]
    ordering = ["-number"]

    @admin.display(description="名称", ordering="number")
    def display_name(self, obj: Batch) -> str:
        return obj.name


class TeamAssignmentInline(admin.TabularInline):
    model = Assignment
    fields = ["cadre", "role", "start_date", "end_date", "status"]
    autocomplete_fields = ["cadre"]
    extra = 0
    show_change_link = True


class CadreAssignmentInline(admin.TabularInline):
    model = Assignment
    fields = ["team", "role", "start_date", "end_date", "status"]
    autocomplete_fields = ["team"]
    extra = 0
    show_change_link = True


@admin.register(WorkTeam)
class WorkTeamAdmin(SimpleHistoryAdmin):
    list_display = ["name", "batch", "village", "township", "county", "unit", "unit_level", "start_date", "end_date"]
    list_filter = ["batch", "unit__level", TeamPrefectureListFilter]
    search_fields = ["name", "village__name", "^village__code", "unit__name"]
    list_select_related = ["batch", "unit", "village__parent__parent"]
    # WorkTeam.village has limit_choices_to={"level": "village"}; the autocomplete view honours it.
    autocomplete_fields = ["village", "unit"]
    date_hierarchy = "start_date"
    ordering = ["village", "-batch__number"]
    inlines = [TeamAssignmentInline]

    @admin.display(description="乡（镇）")
    def township(self, obj: WorkTeam) -> str:
        township = obj.village.parent
        return township.name if township else "-"

    @admin.display(description="县（区）")
    def county(self, obj: WorkTeam) -> str:
        township = obj.village.parent
        county = township.parent if township else None
        return county.name if county else "-"

    @admin.display(description="单位层级", ordering="unit__level")
    def unit_level(self, obj: WorkTeam) -> str:
        return obj.unit.get_level_display()


class CadreHistoryHelper(HistoricalRecordContextHelper):
    """The history list's "changes" column masks ID numbers and phones as the web pages' history does, and leaves
    out the ID number's keyed hash (it changes with the number)."""

    MASKS = {"id_number": mask_id_number, "phone": mask_phone}

    def context_for_delta_changes(self, delta):
        changes = [change for change in delta.changes if change.field != "id_number_hash"]
        return super().context_for_delta_changes(dataclasses.replace(delta, changes=changes))

    def prepare_delta_change_value(self, change, value):
        value = super().prepare_delta_change_value(change, value)
        mask = self.MASKS.get(change.field)
        return mask(value) if mask and value else value


@admin.register(Cadre)
class CadreAdmin(SimpleHistoryAdmin):
    list_display = [
        "name",
        "gender",
        "ethnicity",
        "masked_id",
        "masked_phone",
        "political_status",
        "education",
        "home_unit",
        "post",
        "rank",
    ]
    list_filter = ["gender", "political_status", "education", "home_unit__level"]
    # The ID number is only searched by the exact value, never by fragments.
    search_fields = ["name", "phone", "=id_number"]
    list_select_related = ["home_unit"]
    autocomplete_fields = ["home_unit", "user"]
    ordering = ["name", "pk"]
    fieldsets = [
        (None, {"fields": ["name", "gender", "ethnicity", "birth_date", "id_number", "phone"]}),
        ("政治面貌与学历", {"fields": ["political_status", "education"]}),
        ("单位与职务", {"fields": ["home_unit", "post", "rank"]}),
        ("登录账号", {"fields": ["user"]}),
    ]
    inlines = [CadreAssignmentInline]

    @admin.display(description="身份证号")
    def masked_id(self, obj: Cadre) -> str:
        return obj.masked_id_number

    @admin.display(description="手机号码", ordering="phone")
    def masked_phone(self, obj: Cadre) -> str:
        return obj.masked_phone

    def get_historical_record_context_helper(self, request, historical_record):
        return CadreHistoryHelper(self.model, historical_record)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The change form shows the full ID number: every time it is shown, the disclosure is recorded."""
        response = super().change_view(request, object_id, form_url, extra_context)
        self._record_reveal(request, response, object_id, "管理后台编辑页")
        return response

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        """A past version's form shows that version's full ID number (and phone): recorded like the change form.
        The history list masks both (CadreHistoryHelper)."""
        response = super().history_form_view(request, object_id, version_id, extra_context)
        self._record_reveal(request, response, object_id, f"管理后台历史版本页（版本{version_id}）")
        return response

    @staticmethod
    def _record_reveal(request, response, object_id, detail: str) -> None:
        if request.method != "GET" or response.status_code != 200 or not str(object_id).isdigit():
            return
        cadre = Cadre.objects.filter(pk=object_id).first()
        if cadre is not None:
            PersonalDataAccess.objects.create(
                user=request.user,
                kind=PersonalDataAccess.Kind.REVEAL_ID_NUMBER,
                cadre=cadre,
                detail=detail,
                ip_address=get_client_ip_address(request),
            )


@admin.register(Assignment)
class AssignmentAdmin(SimpleHistoryAdmin):
    list_display = ["cadre", "role", "team", "team_batch", "status", "start_date", "end_date"]
    list_filter = ["role", "status", "team__batch", AssignmentPrefectureListFilter]
    search_fields = ["cadre__name", "=cadre__id_number", "team__name"]
    list_select_related = ["cadre", "team__batch"]
    autocomplete_fields = ["cadre", "team"]
    date_hierarchy = "start_date"
    ordering = ["team", "role", "pk"]

    def get_queryset(self, request):
        # __str__ names the cadre and the team: keeps autocomplete results (e.g. from Leave) at one query.
        # A select_related here makes the changelist skip list_select_related, so it applies that list.
        return super().get_queryset(request).select_related(*self.list_select_related)

    @admin.display(description="批次", ordering="team__batch__number")
    def team_batch(self, obj: Assignment) -> str:
        return obj.team.batch.name


@admin.register(Leave)
class LeaveAdmin(SimpleHistoryAdmin):
    list_display = ["cadre", "team", "leave_type", "start_date", "end_date", "status", "requested_by", "decided_by"]
    list_filter = ["leave_type", "status"]
    search_fields = ["assignment__cadre__name", "assignment__team__name"]
    list_select_related = ["assignment__cadre", "assignment__team", "requested_by", "decided_by"]
    autocomplete_fields = ["assignment", "requested_by", "decided_by"]
    readonly_fields = ["requested_at"]
    date_hierarchy = "start_date"
    ordering = ["-start_date", "pk"]
    fieldsets = [
        (None, {"fields": ["assignment", "leave_type", "start_date", "end_date", "reason"]}),
        ("申请", {"fields": ["requested_by", "requested_at"]}),
        ("审批", {"fields": ["status", "decided_by", "decided_at", "decision_comment"]}),
    ]

    @admin.display(description="干部", ordering="assignment__cadre__name")
    def cadre(self, obj: Leave) -> str:
        return obj.assignment.cadre.name

    @admin.display(description="工作队", ordering="assignment__team__name")
    def team(self, obj: Leave) -> str:
        return obj.assignment.team.name
