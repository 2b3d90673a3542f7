"""One FilterSet per model: the API list, the browser list and the exports use the same one."""

import django_filters

from teams.choices import AssignmentRole, AssignmentStatus, Gender, LeaveStatus, LeaveType, UnitLevel
from teams.models import Assignment, Batch, Cadre, DispatchingUnit, Leave, WorkTeam
from zhucun.filters import AreaFilter, SearchFilter, UnitFilter


def _visible_units(request):
    return DispatchingUnit.objects.none() if request is None else DispatchingUnit.objects.visible_to(request.user)


class WorkTeamFilterSet(django_filters.FilterSet):
    q = SearchFilter(fields=("name", "village__name", "unit__name"), label="搜索（村居、工作队、单位）")
    area = AreaFilter(path="village_id")
    batch = django_filters.ModelChoiceFilter(queryset=Batch.objects.all(), label="批次")
    unit = UnitFilter(queryset=_visible_units, label="派驻单位")
    unit_level = django_filters.ChoiceFilter(field_name="unit__level", choices=UnitLevel.choices, label="单位层级")
    ordering = django_filters.OrderingFilter(
        fields=(("village_id", "village"), ("name", "name"), ("batch__number", "batch"), ("unit__name", "unit")),
        field_labels={"village_id": "村居代码", "name": "名称", "batch__number": "批次", "unit__name": "派驻单位"},
        label="排序",
    )

    class Meta:
        model = WorkTeam
        fields = ("q", "area", "batch", "unit", "unit_level")


class CadreFilterSet(django_filters.FilterSet):
    # Phone and ID number match whole values only: a substring search would let a user who sees them masked
    # (138****1234) recover the hidden digits by probing.
    q = SearchFilter(fields=("name",), exact_fields=("phone", "id_number"), label="搜索（姓名、完整手机号或身份证号）")
    area = AreaFilter(path="area_id", label="管理县（区）")
    unit = UnitFilter(field_name="home_unit", queryset=_visible_units, label="所在单位")
    gender = django_filters.ChoiceFilter(choices=Gender.choices, label="性别")
    ethnicity = django_filters.CharFilter(label="民族")
    batch = django_filters.ModelChoiceFilter(
        field_name="assignments__team__batch", queryset=Batch.objects.all(), label="任职批次", distinct=True
    )
    status = django_filters.ChoiceFilter(
        field_name="current_status", choices=AssignmentStatus.choices, label="当前状态"
    )
    ordering = django_filters.OrderingFilter(
        fields=(("name", "name"), ("birth_date", "birth_date"), ("home_unit__name", "unit")),
        field_labels={"name": "姓名", "birth_date": "出生日期", "home_unit__name": "所在单位"},
        label="排序",
    )

    class Meta:
        model = Cadre
        fields = ("q", "area", "unit", "gender", "ethnicity", "batch", "status")


class AssignmentFilterSet(django_filters.FilterSet):
    area = AreaFilter(path="team__village_id")
    team = django_filters.NumberFilter(field_name="team_id", label="工作队")
    cadre = django_filters.NumberFilter(field_name="cadre_id", label="干部")
    batch = django_filters.ModelChoiceFilter(field_name="team__batch", queryset=Batch.objects.all(), label="批次")
    role = django_filters.ChoiceFilter(choices=AssignmentRole.choices, label="队内职务")
    status = django_filters.ChoiceFilter(choices=AssignmentStatus.choices, label="状态")
    ordering = django_filters.OrderingFilter(
        fields=(("start_date", "start_date"), ("team__village_id", "village")), label="排序"
    )

    class Meta:
        model = Assignment
        fields = ("area", "team", "cadre", "batch", "role", "status")


class LeaveFilterSet(django_filters.FilterSet):
    area = AreaFilter(path="assignment__team__village_id")
    team = django_filters.NumberFilter(field_name="assignment__team_id", label="工作队")
    status = django_filters.ChoiceFilter(choices=LeaveStatus.choices, label="审批状态")
    leave_type = django_filters.ChoiceFilter(choices=LeaveType.choices, label="类型")
    start_after = django_filters.DateFilter(field_name="end_date", lookup_expr="gte", label="结束不早于")
    start_before = django_filters.DateFilter(field_name="start_date", lookup_expr="lte", label="开始不晚于")
    ordering = django_filters.OrderingFilter(fields=(("start_date", "start_date"), ("requested_at", "requested_at")))

    class Meta:
        model = Leave
        fields = ("area", "team", "status", "leave_type")


class DispatchingUnitFilterSet(django_filters.FilterSet):
    q = SearchFilter(fields=("name",))
    level = django_filters.ChoiceFilter(choices=UnitLevel.choices, label="单位层级")
    area = AreaFilter(path="area_id", label="所在地区")

    class Meta:
        model = DispatchingUnit
        fields = ("q", "level", "area")
