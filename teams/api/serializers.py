"""Serializers of the teams API. They list their fields, validate the shape of the input and render rows; the
rules live in teams/services.py, which the viewsets call with `validated_data`.

Related objects are looked up among the rows the requesting user may see, so an id or code outside the user's
scope reads as "does not exist" (400), exactly like one that does not exist at all.
"""

from functools import cached_property

from rest_framework import serializers

from teams.choices import ENDED_ASSIGNMENT_STATUSES, AssignmentStatus, LeaveType
from teams.models import Assignment, Batch, Cadre, DispatchingUnit, Leave, WorkTeam
from teams.validators import mask_id_number, validate_id_number, validate_phone
from villages.choices import AreaLevel
from villages.models import Area
from zhucun.scope import Action, Scope, scope_for


class _VisibleRelatedMixin:
    """A related field whose choices are the rows of `model` visible to the requesting user (and `filters`);
    `select_related` serves the choices' labels (the browsable API lists them in its forms)."""

    def __init__(self, *, model, filters: dict | None = None, select_related: tuple[str, ...] = (), **kwargs):
        self.model = model
        self.filters = filters or {}
        self.select_related = select_related
        kwargs.setdefault("queryset", model.objects.filter(**self.filters))
        super().__init__(**kwargs)

    def get_queryset(self):
        rows = self.model.objects.visible_to(self.context["request"].user).filter(**self.filters)
        return rows.select_related(*self.select_related) if self.select_related else rows


class VisibleIdField(_VisibleRelatedMixin, serializers.PrimaryKeyRelatedField):
    pass


class VisibleCodeField(_VisibleRelatedMixin, serializers.SlugRelatedField):
    def __init__(self, **kwargs):
        super().__init__(slug_field="code", **kwargs)


class IdNumberField(serializers.CharField):
    """Takes a full resident ID number; always renders it masked (only reveal-id-number returns it whole)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 18)
        kwargs.setdefault("validators", [validate_id_number])
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        return super().to_internal_value(data).upper()

    def to_representation(self, value):
        return mask_id_number(value)


# -- catalogues ---------------------------------------------------------------------------------------------


class DispatchingUnitSerializer(serializers.ModelSerializer):
    level_display = serializers.CharField(source="get_level_display", read_only=True)
    parent_name = serializers.CharField(source="parent.name", read_only=True, allow_null=True, default=None)
    area_name = serializers.CharField(source="area.name", read_only=True, allow_null=True, default=None)

    class Meta:
        model = DispatchingUnit
        fields = (
            "id",
            "name",
            "level",
            "level_display",
            "parent",
            "parent_name",
            "area",
            "area_name",
            "contact_name",
            "contact_phone",
            "is_active",
        )
        read_only_fields = fields


class BatchSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)

    class Meta:
        model = Batch
        fields = ("id", "number", "name", "start_date", "end_date")
        read_only_fields = fields


# -- teams --------------------------------------------------------------------------------------------------


class WorkTeamSerializer(serializers.ModelSerializer):
    """A team. `village` is a village code, `unit` and `batch` ids; the name defaults to
    "<unit>驻<village>工作队" and the start date to the batch's."""

    batch = serializers.PrimaryKeyRelatedField(queryset=Batch.objects.all(), label="批次")
    batch_name = serializers.CharField(source="batch.name", read_only=True)
    village = VisibleCodeField(model=Area, filters={"level": AreaLevel.VILLAGE}, label="驻村（居）")
    village_name = serializers.CharField(source="village.full_name", read_only=True)
    county = serializers.SerializerMethodField()
    unit = VisibleIdField(model=DispatchingUnit, label="派驻单位")
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    name = serializers.CharField(max_length=150, required=False, allow_blank=True, label="工作队名称")
    start_date = serializers.DateField(required=False, label="进驻日期")
    end_date = serializers.DateField(required=False, allow_null=True, label="撤离日期")
    leader_name = serializers.CharField(read_only=True, allow_null=True, help_text="在任队长")
    member_count = serializers.IntegerField(read_only=True, help_text="在队人数（在岗、轮休、请假）")
    on_post_count = serializers.IntegerField(read_only=True, help_text="在岗人数")

    class Meta:
        model = WorkTeam
        fields = (
            "id",
            "name",
            "batch",
            "batch_name",
            "village",
            "village_name",
            "county",
            "unit",
            "unit_name",
            "start_date",
            "end_date",
            "leader_name",
            "member_count",
            "on_post_count",
        )

    def get_county(self, team) -> str:
        """The county's code: the first six digits of the village's."""
        return team.village_id[:6]


class TeamSetLeaderSerializer(serializers.Serializer):
    cadre = VisibleIdField(model=Cadre, label="干部")


# -- cadres -------------------------------------------------------------------------------------------------


class CadreSerializer(serializers.ModelSerializer):
    """A cadre. `id_number` is always masked here; `phone` and `birth_date` (which with the masked number's
    visible digits would give the whole number away) are shown only to users who may see the ID number,
    i.e. whose SEE_ID_NUMBER scope covers the cadre's managing county `area`."""

    gender_display = serializers.CharField(source="get_gender_display", read_only=True)
    id_number = IdNumberField(label="身份证号")
    phone = serializers.CharField(max_length=11, required=False, allow_blank=True, validators=[validate_phone])
    birth_date = serializers.DateField(required=False, allow_null=True, label="出生日期")
    birth_year = serializers.SerializerMethodField()
    political_status_display = serializers.CharField(source="get_political_status_display", read_only=True)
    education_display = serializers.CharField(source="get_education_display", read_only=True)
    home_unit = VisibleIdField(model=DispatchingUnit, label="所在单位")
    home_unit_name = serializers.CharField(source="home_unit.name", read_only=True)
    area = VisibleCodeField(
        model=Area,
        filters={"level": AreaLevel.COUNTY},
        required=False,
        label="管理县（区）",
        help_text="县级代码；县管理员可不填（默认本县）。",
    )
    area_name = serializers.CharField(source="area.name", read_only=True)
    current_team = serializers.IntegerField(source="current_team_id", read_only=True, allow_null=True)
    current_team_name = serializers.CharField(read_only=True, allow_null=True)
    current_role = serializers.CharField(read_only=True, allow_null=True)
    current_status = serializers.CharField(read_only=True, allow_null=True)
    id_number_revealable = serializers.SerializerMethodField()

    class Meta:
        model = Cadre
        fields = (
            "id",
            "name",
            "gender",
            "gender_display",
            "ethnicity",
            "birth_date",
            "birth_year",
            "id_number",
            "phone",
            "political_status",
            "political_status_display",
            "education",
            "education_display",
            "home_unit",
            "home_unit_name",
            "area",
            "area_name",
            "post",
            "rank",
            "current_team",
            "current_team_name",
            "current_role",
            "current_status",
            "id_number_revealable",
        )

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None:
            # An update keeps the number unless a new one is given (clients only ever saw it masked).
            fields["id_number"].required = False
        return fields

    @cached_property
    def _personal_data_scope(self) -> Scope:
        # Once per request: a list's rows share this (child) serializer.
        return scope_for(self.context["request"].user, Action.SEE_ID_NUMBER)

    def sees_personal_data(self, cadre: Cadre) -> bool:
        scope = self._personal_data_scope
        return scope.everything or cadre.area_id.startswith(scope.area_prefixes)

    def get_birth_year(self, cadre) -> int | None:
        return cadre.birth_date.year if cadre.birth_date else None

    def get_id_number_revealable(self, cadre) -> bool:
        """Whether this user may call reveal-id-number for this cadre."""
        return self.sees_personal_data(cadre)

    def to_representation(self, cadre):
        data = super().to_representation(cadre)
        if not self.sees_personal_data(cadre):
            data["phone"] = cadre.masked_phone
            data["birth_date"] = None
        return data


class IdNumberSerializer(serializers.Serializer):
    id_number = serializers.CharField(help_text="完整身份证号（本次查看已记录）")


class PersonalDataAccessSerializer(serializers.Serializer):
    """One row of the personal data access log (never the number itself: the cadre is named, not identified)."""

    id = serializers.IntegerField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True, label="时间")
    user = serializers.IntegerField(source="user_id", read_only=True, label="用户")
    username = serializers.CharField(source="user.username", read_only=True, label="用户名")
    kind = serializers.CharField(read_only=True, label="类型")
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    cadre = serializers.IntegerField(source="cadre_id", read_only=True, allow_null=True, label="干部")
    cadre_name = serializers.CharField(source="cadre.name", read_only=True, allow_null=True, default=None)
    detail = serializers.CharField(read_only=True, label="说明")
    ip_address = serializers.IPAddressField(read_only=True, allow_null=True, label="IP地址")


# -- assignments --------------------------------------------------------------------------------------------


class AssignmentSerializer(serializers.ModelSerializer):
    """A cadre's membership of a team. Its status changes only through `end` and leave, never directly."""

    cadre = VisibleIdField(model=Cadre, label="干部")
    cadre_name = serializers.CharField(source="cadre.name", read_only=True)
    team = VisibleIdField(model=WorkTeam, label="工作队")
    team_name = serializers.CharField(source="team.name", read_only=True)
    batch = serializers.IntegerField(source="team.batch_id", read_only=True)
    village = serializers.CharField(source="team.village_id", read_only=True)
    village_name = serializers.CharField(source="team.village.name", read_only=True)
    role_display = serializers.CharField(source="get_role_display", read_only=True)
    start_date = serializers.DateField(required=False, label="到岗日期", help_text="默认今天（不早于进驻日期）")
    status_display = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = Assignment
        fields = (
            "id",
            "cadre",
            "cadre_name",
            "team",
            "team_name",
            "batch",
            "village",
            "village_name",
            "role",
            "role_display",
            "start_date",
            "end_date",
            "status",
            "status_display",
        )
        read_only_fields = ("end_date", "status")


class AssignmentEndSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=[(value, AssignmentStatus(value).label) for value in ENDED_ASSIGNMENT_STATUSES], label="结束方式"
    )
    end_date = serializers.DateField(label="离岗日期")


# -- leave --------------------------------------------------------------------------------------------------


class LeaveSerializer(serializers.ModelSerializer):
    """请假/轮休 requested for a member's current assignment; decided through `approve` / `refuse`."""

    assignment = VisibleIdField(model=Assignment, select_related=("cadre", "team"), label="任职")
    cadre = serializers.IntegerField(source="assignment.cadre_id", read_only=True)
    cadre_name = serializers.CharField(source="assignment.cadre.name", read_only=True)
    team = serializers.IntegerField(source="assignment.team_id", read_only=True)
    team_name = serializers.CharField(source="assignment.team.name", read_only=True)
    leave_type = serializers.ChoiceField(choices=LeaveType.choices, default=LeaveType.LEAVE, label="类型")
    leave_type_display = serializers.CharField(source="get_leave_type_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    requested_by_name = serializers.SerializerMethodField()
    decided_by_name = serializers.SerializerMethodField()

    class Meta:
        model = Leave
        fields = (
            "id",
            "assignment",
            "cadre",
            "cadre_name",
            "team",
            "team_name",
            "leave_type",
            "leave_type_display",
            "start_date",
            "end_date",
            "reason",
            "status",
            "status_display",
            "requested_by_name",
            "requested_at",
            "decided_by_name",
            "decided_at",
            "decision_comment",
        )
        read_only_fields = ("status", "requested_at", "decided_at", "decision_comment")

    def get_requested_by_name(self, leave) -> str:
        return leave.requested_by.get_full_name() or leave.requested_by.get_username()

    def get_decided_by_name(self, leave) -> str | None:
        if leave.decided_by is None:
            return None
        return leave.decided_by.get_full_name() or leave.decided_by.get_username()


class LeaveDecisionSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="", label="审批意见")
