from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, F, OuterRef, Q
from simple_history.models import HistoricalRecords

from teams.choices import (
    CURRENT_ASSIGNMENT_STATUSES,
    ENDED_ASSIGNMENT_STATUSES,
    AssignmentRole,
    AssignmentStatus,
    Education,
    Gender,
    LeaveStatus,
    LeaveType,
    PoliticalStatus,
    UnitLevel,
)
from teams.fields import EncryptedIdNumberField, KeyedHashField, id_number_hash
from teams.validators import mask_id_number, mask_phone, normalize_id_number, validate_id_number, validate_phone
from zhucun.scope import Action, Scope, ScopedQuerySet, area_q


class DispatchingUnitQuerySet(ScopedQuerySet):
    """Units are a shared catalogue: every area-bound user sees them all (a county picks any unit that sends
    a team into it); a liaison sees its own unit, a team its own unit."""

    def scope_q(self, scope: Scope, action: Action) -> Q:
        # Reading the catalogue is open to every area-bound user; changing it is ADMINISTER (region admins),
        # which never reaches here for a county.
        if scope.area_prefixes and action in (Action.VIEW, Action.EXPORT):
            return Q()
        q = Q(pk__in=scope.unit_ids)
        if scope.team_ids:
            q |= Q(pk__in=WorkTeam.objects.filter(pk__in=scope.team_ids).values("unit_id"))
        return q


class DispatchingUnit(models.Model):
    """A body that sends cadres (派驻单位): a government office, school, hospital or company.

    `area` is where the unit sits (the region for 区直 units, a county for 县直 units); a unit's
    teams may work in any county.
    """

    name = models.CharField("单位名称", max_length=100, unique=True)
    level = models.CharField("单位层级", max_length=12, choices=UnitLevel.choices)
    parent = models.ForeignKey(
        "self", verbose_name="上级单位", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    area = models.ForeignKey(
        "villages.Area", verbose_name="所在地区", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    contact_name = models.CharField("联系人", max_length=50, blank=True)
    contact_phone = models.CharField("联系电话", max_length=20, blank=True)
    is_active = models.BooleanField("在用", default=True)

    objects = DispatchingUnitQuerySet.as_manager()

    class Meta:
        verbose_name = "派驻单位"
        verbose_name_plural = "派驻单位"
        ordering = ["level", "name"]
        constraints = [
            models.CheckConstraint(
                name="unit_not_own_parent",
                condition=~Q(parent=F("pk")),
                violation_error_message="单位不能是自己的上级单位。",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Batch(models.Model):
    """第N批: one year of residence; teams, assignments and reports belong to a batch."""

    number = models.PositiveSmallIntegerField("批次", unique=True)
    start_date = models.DateField("开始日期")
    end_date = models.DateField("结束日期")

    class Meta:
        verbose_name = "批次"
        verbose_name_plural = "批次"
        ordering = ["-number"]
        constraints = [
            models.CheckConstraint(
                name="batch_dates_in_order",
                condition=Q(end_date__gt=F("start_date")),
                violation_error_message="批次结束日期必须晚于开始日期。",
            ),
            models.CheckConstraint(
                name="batch_number_positive",
                condition=Q(number__gte=1),
                violation_error_message="批次序号必须大于0。",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return f"第{chinese_numeral(self.number)}批"


def chinese_numeral(number: int) -> str:
    """1..99 in Chinese numerals (十一, 二十), as batches are named."""
    digits = "零一二三四五六七八九"
    if number < 10:
        return digits[number]
    tens, ones = divmod(number, 10)
    if number >= 100:
        return str(number)
    return ("" if tens == 1 else digits[tens]) + "十" + (digits[ones] if ones else "")


class WorkTeamQuerySet(ScopedQuerySet):
    area_path = "village_id"
    unit_path = "unit_id"
    team_path = "pk"


class WorkTeam(models.Model):
    """驻村工作队: one team per village per batch, sent by one dispatching unit.

    A team may start later or end earlier than its batch (start_date / end_date); reporting
    completeness counts a team only in the months it is active.
    """

    batch = models.ForeignKey(Batch, verbose_name="批次", on_delete=models.PROTECT, related_name="teams")
    village = models.ForeignKey(
        "villages.Area",
        verbose_name="驻村（居）",
        on_delete=models.PROTECT,
        related_name="teams",
        limit_choices_to={"level": "village"},
    )
    unit = models.ForeignKey(DispatchingUnit, verbose_name="派驻单位", on_delete=models.PROTECT, related_name="teams")
    name = models.CharField("工作队名称", max_length=150)
    start_date = models.DateField("进驻日期")
    end_date = models.DateField("撤离日期", null=True, blank=True, help_text="为空表示随批次结束。")

    objects = WorkTeamQuerySet.as_manager()
    history = HistoricalRecords(verbose_name="工作队变更记录")

    class Meta:
        verbose_name = "驻村工作队"
        verbose_name_plural = "驻村工作队"
        ordering = ["village_id", "-batch__number"]
        constraints = [
            models.UniqueConstraint(
                fields=["batch", "village"],
                name="team_one_per_village_per_batch",
                violation_error_message="该村（居）在本批次已有驻村工作队。",
            ),
            models.CheckConstraint(
                name="team_dates_in_order",
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                violation_error_message="撤离日期不能早于进驻日期。",
            ),
        ]
        indexes = [models.Index(fields=["unit", "batch"], name="team_unit_batch_idx")]

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def default_name(*, unit_name: str, village_name: str) -> str:
        """ "区党委组织部驻日普村工作队": the unit's name, 驻, the village, 工作队."""
        return f"{unit_name}驻{village_name}工作队"


class CadreQuerySet(ScopedQuerySet):
    """A cadre is seen by the county that manages the record and by everyone who sees a team the cadre
    served in (any batch); only the managing county changes the record and sees the full ID number."""

    def scope_q(self, scope: Scope, action: Action) -> Q:
        q = area_q("area_id", scope.area_prefixes)
        # Reading reaches every cadre who served in the user's teams; changing the record and seeing the full
        # ID number belong to the managing county alone.
        if action not in (Action.VIEW, Action.EXPORT, Action.VIEW_HISTORY):
            return q
        served = Assignment.objects.filter(cadre=OuterRef("pk"))
        if scope.area_prefixes:
            q |= Q(Exists(served.filter(area_q("team__village_id", scope.area_prefixes))))
        if scope.unit_ids:
            q |= Q(home_unit__in=scope.unit_ids) | Q(Exists(served.filter(team__unit__in=scope.unit_ids)))
        if scope.team_ids:
            q |= Q(Exists(served.filter(team__in=scope.team_ids)))
        return q


class Cadre(models.Model):
    """驻村干部: a person, who may serve in several batches. The ID number is shown masked
    (see `masked_id_number`) to everyone except the owning county admin and region admins."""

    name = models.CharField("姓名", max_length=50)
    gender = models.CharField("性别", max_length=1, choices=Gender.choices)
    ethnicity = models.CharField("民族", max_length=20, default="藏族")
    birth_date = models.DateField("出生日期", null=True, blank=True)
    # Encrypted at rest (teams/fields.py); uniqueness and lookups go through the keyed hash beside it.
    id_number = EncryptedIdNumberField("身份证号", max_length=18, validators=[validate_id_number])
    id_number_hash = KeyedHashField(
        "身份证号索引", source="id_number", unique=True, null=True, error_messages={"unique": "该身份证号已登记。"}
    )
    phone = models.CharField("手机号码", max_length=11, blank=True, validators=[validate_phone])
    political_status = models.CharField(
        "政治面貌", max_length=20, choices=PoliticalStatus.choices, default=PoliticalStatus.CPC_MEMBER
    )
    education = models.CharField("学历", max_length=20, choices=Education.choices, blank=True)
    home_unit = models.ForeignKey(
        DispatchingUnit, verbose_name="所在单位", on_delete=models.PROTECT, related_name="cadres"
    )
    area = models.ForeignKey(
        "villages.Area",
        verbose_name="管理县（区）",
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"level": "county"},
        help_text="管理该干部档案的县级组织部门；随干部最近一次任职的工作队所在县。",
    )
    post = models.CharField("职务", max_length=100, blank=True)
    rank = models.CharField("职级", max_length=50, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name="登录账号",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="cadre",
    )

    objects = CadreQuerySet.as_manager()
    history = HistoricalRecords(verbose_name="干部变更记录", excluded_fields=["user"])

    class Meta:
        verbose_name = "驻村干部"
        verbose_name_plural = "驻村干部"
        ordering = ["name", "pk"]
        indexes = [
            models.Index(fields=["name"], name="cadre_name_idx"),
            models.Index(fields=["phone"], name="cadre_phone_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        # A lower-case x would slip past the unique constraint as a second person.
        self.id_number = normalize_id_number(self.id_number)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "id_number" in update_fields:
            # The keyed hash follows the number it indexes.
            kwargs["update_fields"] = {*update_fields, "id_number_hash"}
        super().save(*args, **kwargs)

    def clean(self) -> None:
        self.id_number = normalize_id_number(self.id_number)
        self.id_number_hash = id_number_hash(self.id_number) or None
        if self.id_number and Cadre.objects.filter(id_number=self.id_number).exclude(pk=self.pk).exists():
            raise ValidationError({"id_number": "该身份证号已登记。干部跨批次任职时请直接选派已有干部。"})

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)


class AssignmentQuerySet(ScopedQuerySet):
    area_path = "team__village_id"
    unit_path = "team__unit_id"
    team_path = "team_id"

    def current(self) -> "AssignmentQuerySet":
        return self.filter(status__in=CURRENT_ASSIGNMENT_STATUSES)


class Assignment(models.Model):
    """A cadre's membership of a team. Current (在岗/轮休/请假) assignments are limited by
    constraints: one current 队长 per team, one current team per cadre."""

    cadre = models.ForeignKey(Cadre, verbose_name="干部", on_delete=models.PROTECT, related_name="assignments")
    team = models.ForeignKey(WorkTeam, verbose_name="工作队", on_delete=models.PROTECT, related_name="assignments")
    role = models.CharField("队内职务", max_length=20, choices=AssignmentRole.choices, default=AssignmentRole.MEMBER)
    start_date = models.DateField("到岗日期")
    end_date = models.DateField("离岗日期", null=True, blank=True)
    status = models.CharField("状态", max_length=10, choices=AssignmentStatus.choices, default=AssignmentStatus.ON_POST)

    objects = AssignmentQuerySet.as_manager()
    history = HistoricalRecords(verbose_name="任职变更记录")

    class Meta:
        verbose_name = "驻村任职"
        verbose_name_plural = "驻村任职"
        ordering = ["team_id", "role", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["team"],
                condition=Q(role=AssignmentRole.LEADER, status__in=CURRENT_ASSIGNMENT_STATUSES),
                name="assignment_one_current_leader_per_team",
                violation_error_message="该工作队已有在任队长。",
            ),
            models.UniqueConstraint(
                fields=["team"],
                condition=Q(role=AssignmentRole.FIRST_SECRETARY, status__in=CURRENT_ASSIGNMENT_STATUSES),
                name="assignment_one_current_first_secretary_per_team",
                violation_error_message="该工作队已有在任第一书记。",
            ),
            models.UniqueConstraint(
                fields=["cadre"],
                condition=Q(status__in=CURRENT_ASSIGNMENT_STATUSES),
                name="assignment_one_current_team_per_cadre",
                violation_error_message="该干部已在其他工作队任职。",
            ),
            models.CheckConstraint(
                name="assignment_dates_in_order",
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                violation_error_message="离岗日期不能早于到岗日期。",
            ),
            models.CheckConstraint(
                name="assignment_ended_has_end_date",
                condition=~Q(status__in=ENDED_ASSIGNMENT_STATUSES) | Q(end_date__isnull=False),
                violation_error_message="期满或召回的任职必须填写离岗日期。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.cadre} · {self.get_role_display()} · {self.team}"

    @property
    def is_current(self) -> bool:
        return self.status in CURRENT_ASSIGNMENT_STATUSES


class LeaveQuerySet(ScopedQuerySet):
    area_path = "assignment__team__village_id"
    unit_path = "assignment__team__unit_id"
    team_path = "assignment__team_id"


class Leave(models.Model):
    """请假/轮休 of one assignment: requested by the team leader, decided by the county."""

    assignment = models.ForeignKey(Assignment, verbose_name="任职", on_delete=models.PROTECT, related_name="leaves")
    leave_type = models.CharField("类型", max_length=10, choices=LeaveType.choices, default=LeaveType.LEAVE)
    start_date = models.DateField("开始日期")
    end_date = models.DateField("结束日期")
    reason = models.TextField("事由")
    status = models.CharField("审批状态", max_length=10, choices=LeaveStatus.choices, default=LeaveStatus.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="申请人", on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField("申请时间", auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="审批人",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField("审批时间", null=True, blank=True)
    decision_comment = models.TextField("审批意见", blank=True)

    objects = LeaveQuerySet.as_manager()
    history = HistoricalRecords(verbose_name="请假变更记录")

    class Meta:
        verbose_name = "请假/轮休"
        verbose_name_plural = "请假/轮休"
        ordering = ["-start_date", "pk"]
        constraints = [
            models.CheckConstraint(
                name="leave_dates_in_order",
                condition=Q(end_date__gte=F("start_date")),
                violation_error_message="结束日期不能早于开始日期。",
            ),
            models.CheckConstraint(
                name="leave_decided_has_decider",
                condition=Q(status=LeaveStatus.PENDING)
                | Q(status=LeaveStatus.CANCELLED)
                | Q(decided_by__isnull=False, decided_at__isnull=False),
                violation_error_message="已审批的请假必须记录审批人和时间。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.assignment.cadre} {self.get_leave_type_display()} {self.start_date}—{self.end_date}"
