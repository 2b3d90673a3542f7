"""Writes to teams, cadres, assignments and leave. Views, serializers, forms and tasks call these.

Every service takes the acting user, checks the action on the object (PermissionDenied → 403), validates
with Chinese messages (ValidationError → field errors) and, inside its transaction, checks after the
write that the object is still within the actor's scope, so nobody moves a team or a cadre out of
their county.
"""

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from teams.choices import (
    CURRENT_ASSIGNMENT_STATUSES,
    ENDED_ASSIGNMENT_STATUSES,
    AssignmentRole,
    AssignmentStatus,
    LeaveStatus,
    LeaveType,
)
from teams.models import Assignment, Batch, Cadre, DispatchingUnit, Leave, WorkTeam
from teams.validators import normalize_id_number
from villages.choices import AreaLevel
from villages.models import Area
from zhucun.choices import TEAM_ROLES, Role
from zhucun.models import PersonalDataAccess, UserRole
from zhucun.scope import Action, scope_for

TEAM_FIELDS = ("batch", "village", "unit", "name", "start_date", "end_date")
CADRE_FIELDS = (
    "name",
    "gender",
    "ethnicity",
    "birth_date",
    "id_number",
    "phone",
    "political_status",
    "education",
    "home_unit",
    "post",
    "rank",
    "area",
)


def require(user, action: Action, obj: models.Model) -> None:
    """403 unless `user` may take `action` on `obj` (the caller has already made sure it is visible)."""
    if not type(obj).objects.visible_to(user, action).filter(pk=obj.pk).exists():
        raise PermissionDenied("您没有权限执行此操作。")


def _require_area(user, action: Action, area: Area) -> None:
    if not Area.objects.visible_to(user, action).filter(pk=area.pk).exists():
        raise PermissionDenied("该地区不在您的管理范围内。")


def _save(obj: models.Model, *, actor=None) -> None:
    """full_clean (Chinese messages for constraints too) then save; a race that slips past the check
    still meets the database constraint, reported the same way. The actor is named as the change history's
    user, which the request middleware cannot know for API token requests, tasks and shell calls."""
    if actor is not None:
        obj._history_user = actor
    obj.full_clean()
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError as error:
        raise ValidationError(_constraint_message(type(obj), error)) from error


def _constraint_message(model: type[models.Model], error: IntegrityError) -> str:
    text = str(error)
    for constraint in model._meta.constraints:
        if constraint.name in text:
            return str(constraint.violation_error_message)
    return "数据与已有记录冲突，请检查后重试。"


# -- teams --------------------------------------------------------------------------------------------------


@transaction.atomic
def team_create(*, actor, batch: Batch, village: Area, unit: DispatchingUnit, **fields: Any) -> WorkTeam:
    """A new team in a village of the actor's area; its name defaults to "<unit>驻<village>工作队"."""
    unknown = set(fields) - set(TEAM_FIELDS)
    if unknown:
        raise ValidationError(f"不能设置字段：{', '.join(sorted(unknown))}")
    if village.level != AreaLevel.VILLAGE:
        raise ValidationError({"village": "请选择村（居）。"})
    _require_area(actor, Action.MANAGE, village)
    team = WorkTeam(batch=batch, village=village, unit=unit, **fields)
    if not team.name:
        team.name = WorkTeam.default_name(unit_name=unit.name, village_name=village.name)
    if not team.start_date:
        team.start_date = batch.start_date
    _save(team, actor=actor)
    require(actor, Action.MANAGE, team)
    return team


@transaction.atomic
def team_update(*, actor, team: WorkTeam, **fields: Any) -> WorkTeam:
    require(actor, Action.MANAGE, team)
    unknown = set(fields) - set(TEAM_FIELDS)
    if unknown:
        raise ValidationError(f"不能修改字段：{', '.join(sorted(unknown))}")
    team = WorkTeam.objects.select_for_update().get(pk=team.pk)
    for name, value in fields.items():
        setattr(team, name, value)
    if "village" in fields and fields["village"].level != AreaLevel.VILLAGE:
        raise ValidationError({"village": "请选择村（居）。"})
    _save(team, actor=actor)
    # The team may not leave the actor's area (e.g. a county admin moving it to another county).
    require(actor, Action.MANAGE, team)
    return team


# -- cadres -------------------------------------------------------------------------------------------------


def _default_cadre_area(actor) -> Area | None:
    """A county admin's new cadres belong to their county; an admin above a county must choose."""
    prefixes = scope_for(actor, Action.MANAGE).area_prefixes
    counties = [prefix for prefix in prefixes if len(prefix) == 6]
    return Area.objects.get(pk=counties[0]) if len(prefixes) == 1 and counties else None


@transaction.atomic
def cadre_create(*, actor, **fields: Any) -> Cadre:
    unknown = set(fields) - set(CADRE_FIELDS)
    if unknown:
        raise ValidationError(f"不能设置字段：{', '.join(sorted(unknown))}")
    if scope_for(actor, Action.MANAGE).is_empty:
        raise PermissionDenied("您没有权限登记驻村干部。")
    fields["id_number"] = normalize_id_number(fields.get("id_number", ""))
    if fields.get("area") is None:
        fields["area"] = _default_cadre_area(actor)
        if fields["area"] is None:
            raise ValidationError({"area": "请选择管理该干部的县（区）。"})
    if fields["area"].level != AreaLevel.COUNTY:
        raise ValidationError({"area": "管理单位须为县（区）。"})
    _require_area(actor, Action.MANAGE, fields["area"])
    if fields["id_number"] and Cadre.objects.filter(id_number=fields["id_number"]).exists():
        raise ValidationError({"id_number": "该身份证号已登记。干部跨批次任职时请直接选派已有干部。"})
    cadre = Cadre(**fields)
    _save(cadre, actor=actor)
    require(actor, Action.MANAGE, cadre)
    return cadre


@transaction.atomic
def cadre_update(*, actor, cadre: Cadre, **fields: Any) -> Cadre:
    require(actor, Action.MANAGE, cadre)
    unknown = set(fields) - set(CADRE_FIELDS)
    if unknown:
        raise ValidationError(f"不能修改字段：{', '.join(sorted(unknown))}")
    cadre = Cadre.objects.select_for_update().get(pk=cadre.pk)
    if "id_number" in fields:
        fields["id_number"] = normalize_id_number(fields["id_number"])
    for name, value in fields.items():
        setattr(cadre, name, value)
    _save(cadre, actor=actor)
    require(actor, Action.MANAGE, cadre)
    return cadre


def cadre_reveal_id_number(*, actor, cadre: Cadre, ip_address: str | None = None) -> str:
    """The full ID number, for the owning county admin and region admins; every disclosure is recorded."""
    require(actor, Action.SEE_ID_NUMBER, cadre)
    PersonalDataAccess.objects.create(
        user=actor, kind=PersonalDataAccess.Kind.REVEAL_ID_NUMBER, cadre=cadre, ip_address=ip_address
    )
    return cadre.id_number


def can_see_id_number(user, cadre: Cadre) -> bool:
    return Cadre.objects.visible_to(user, Action.SEE_ID_NUMBER).filter(pk=cadre.pk).exists()


# -- assignments --------------------------------------------------------------------------------------------


def team_roles_sync(*, team: WorkTeam) -> None:
    """Give the accounts of a team's current members the matching team role (队长 → team leader, others →
    team member) and take team roles away from accounts no longer on the team."""
    wanted: dict[int, str] = {}
    for assignment in team.assignments.current().select_related("cadre"):
        if assignment.cadre.user_id:
            leader = assignment.role == AssignmentRole.LEADER
            wanted[assignment.cadre.user_id] = Role.TEAM_LEADER if leader else Role.TEAM_MEMBER
    existing = UserRole.objects.filter(team=team, role__in=TEAM_ROLES)
    for role in existing:
        if wanted.get(role.user_id) != role.role:
            role.delete()
    have = set(existing.values_list("user_id", "role"))
    UserRole.objects.bulk_create(
        [
            UserRole(user_id=user_id, role=role, team=team)
            for user_id, role in wanted.items()
            if (user_id, role) not in have
        ]
    )


@transaction.atomic
def assignment_create(
    *, actor, team: WorkTeam, cadre: Cadre, role: str = AssignmentRole.MEMBER, start_date: datetime.date | None = None
) -> Assignment:
    """Send a cadre to a team. The cadre's record moves to the team's county (the county now manages it)."""
    require(actor, Action.MANAGE, team)
    if not Cadre.objects.visible_to(actor).filter(pk=cadre.pk).exists():
        raise ValidationError({"cadre": "找不到该干部。"})
    cadre = Cadre.objects.select_for_update().get(pk=cadre.pk)
    if Assignment.objects.current().filter(cadre=cadre).exists():
        raise ValidationError({"cadre": "该干部已在其他工作队任职，请先结束原任职。"})
    if role == AssignmentRole.LEADER and team.assignments.current().filter(role=AssignmentRole.LEADER).exists():
        raise ValidationError({"role": "该工作队已有在任队长，请使用“更换队长”。"})
    assignment = Assignment(
        cadre=cadre, team=team, role=role, start_date=start_date or max(team.start_date, timezone.localdate())
    )
    _save(assignment, actor=actor)
    if cadre.area_id != team.village_id[:6]:
        cadre.area_id = team.village_id[:6]
        cadre._history_user = actor
        cadre.save(update_fields=["area"])
    team_roles_sync(team=team)
    return assignment


@transaction.atomic
def assignment_end(*, actor, assignment: Assignment, status: str, end_date: datetime.date) -> Assignment:
    """Record the end of an assignment: 期满 (term completed) or 召回 (recalled)."""
    require(actor, Action.MANAGE, assignment)
    if status not in ENDED_ASSIGNMENT_STATUSES:
        raise ValidationError({"status": "结束任职时请选择“期满”或“召回”。"})
    assignment = Assignment.objects.select_for_update().get(pk=assignment.pk)
    if assignment.status not in CURRENT_ASSIGNMENT_STATUSES:
        raise ValidationError("该任职已经结束。")
    if end_date < assignment.start_date:
        raise ValidationError({"end_date": "离岗日期不能早于到岗日期。"})
    assignment.status = status
    assignment.end_date = end_date
    _save(assignment, actor=actor)
    # Leave still waiting for a decision means nothing once the cadre has left the team.
    for leave in Leave.objects.filter(assignment=assignment, status=LeaveStatus.PENDING):
        leave.status = LeaveStatus.CANCELLED
        leave.decision_comment = f"任职已{assignment.get_status_display()}，申请自动撤销。"
        _save(leave, actor=actor)
    team_roles_sync(team=assignment.team)
    return assignment


@transaction.atomic
def team_set_leader(*, actor, team: WorkTeam, cadre: Cadre) -> Assignment:
    """Make `cadre` the team's 队长. A current member is promoted and the previous 队长 becomes a 队员;
    a cadre not on the team joins it as 队长."""
    require(actor, Action.MANAGE, team)
    team = WorkTeam.objects.select_for_update().get(pk=team.pk)
    current = team.assignments.current()
    previous = current.filter(role=AssignmentRole.LEADER).first()
    mine = current.filter(cadre=cadre).first()
    if previous and mine and previous.pk == mine.pk:
        raise ValidationError({"cadre": "该干部已是本队队长。"})
    if previous:
        previous.role = AssignmentRole.MEMBER
        _save(previous, actor=actor)
    if mine:
        mine.role = AssignmentRole.LEADER
        _save(mine, actor=actor)
    else:
        mine = assignment_create(actor=actor, team=team, cadre=cadre, role=AssignmentRole.LEADER)
    team_roles_sync(team=team)
    return mine


# -- leave --------------------------------------------------------------------------------------------------


@transaction.atomic
def leave_request(
    *, actor, assignment: Assignment, leave_type: str, start_date: datetime.date, end_date: datetime.date, reason: str
) -> Leave:
    """The team leader asks leave for a member (or for themself); the county decides."""
    require(actor, Action.REQUEST_LEAVE, assignment)
    # Read the assignment afresh, locked: the caller's copy may predate its end, and two requests for one
    # assignment must not both pass the overlap check.
    assignment = Assignment.objects.select_for_update().get(pk=assignment.pk)
    if not assignment.is_current:
        raise ValidationError({"assignment": "该干部已不在队，不能请假。"})
    if not reason.strip():
        raise ValidationError({"reason": "请填写请假事由。"})
    if end_date < start_date:
        raise ValidationError({"end_date": "结束日期不能早于开始日期。"})
    overlapping = Leave.objects.filter(
        assignment=assignment,
        status__in=(LeaveStatus.PENDING, LeaveStatus.APPROVED),
        start_date__lte=end_date,
        end_date__gte=start_date,
    )
    if overlapping.exists():
        raise ValidationError({"start_date": "该时段与已有的请假重叠。"})
    leave = Leave(
        assignment=assignment,
        leave_type=leave_type,
        start_date=start_date,
        end_date=end_date,
        reason=reason.strip(),
        requested_by=actor,
    )
    _save(leave, actor=actor)
    return leave


def _decide(*, actor, leave: Leave, status: str, comment: str) -> Leave:
    require(actor, Action.DECIDE_LEAVE, leave)
    leave = Leave.objects.select_for_update().get(pk=leave.pk)
    if leave.status != LeaveStatus.PENDING:
        # The labels already say 已批准 / 已拒绝 / 已撤销.
        raise ValidationError(f"该申请{leave.get_status_display()}，不能重复审批。")
    leave.status = status
    leave.decided_by = actor
    leave.decided_at = timezone.now()
    leave.decision_comment = comment.strip()
    _save(leave, actor=actor)
    return leave


@transaction.atomic
def leave_approve(*, actor, leave: Leave, comment: str = "") -> Leave:
    leave = _decide(actor=actor, leave=leave, status=LeaveStatus.APPROVED, comment=comment)
    assignment_statuses_sync(assignment_ids=[leave.assignment_id], today=timezone.localdate())
    return leave


@transaction.atomic
def leave_refuse(*, actor, leave: Leave, comment: str) -> Leave:
    if not comment.strip():
        raise ValidationError({"comment": "不同意时请填写理由。"})
    return _decide(actor=actor, leave=leave, status=LeaveStatus.REFUSED, comment=comment)


@transaction.atomic
def leave_cancel(*, actor, leave: Leave) -> Leave:
    """The team leader (or an admin who decides leave there) withdraws leave that has not started yet."""
    if not (
        Leave.objects.visible_to(actor, Action.REQUEST_LEAVE).filter(pk=leave.pk).exists()
        or Leave.objects.visible_to(actor, Action.DECIDE_LEAVE).filter(pk=leave.pk).exists()
    ):
        raise PermissionDenied("您没有权限执行此操作。")
    leave = Leave.objects.select_for_update().get(pk=leave.pk)
    if leave.status not in (LeaveStatus.PENDING, LeaveStatus.APPROVED) or leave.start_date <= timezone.localdate():
        raise ValidationError("只能撤销尚未开始的请假。")
    leave.status = LeaveStatus.CANCELLED
    _save(leave, actor=actor)
    return leave


@transaction.atomic
def assignment_statuses_sync(*, today: datetime.date, assignment_ids: list[int] | None = None) -> int:
    """Set 请假/轮休 on current assignments whose approved leave covers `today`, and 在岗 on those whose
    leave is over. Idempotent; run daily (and right after an approval). Returns how many changed."""
    current = Assignment.objects.current()
    if assignment_ids is not None:
        current = current.filter(pk__in=assignment_ids)
    covering = {
        leave.assignment_id: leave.leave_type
        for leave in Leave.objects.filter(
            assignment__in=current, status=LeaveStatus.APPROVED, start_date__lte=today, end_date__gte=today
        ).order_by("start_date")
    }
    changed = 0
    candidates = current.filter(models.Q(pk__in=list(covering)) | ~models.Q(status=AssignmentStatus.ON_POST))
    for assignment in candidates.select_for_update():
        leave_type = covering.get(assignment.pk)
        wanted = (
            AssignmentStatus.ON_POST
            if leave_type is None
            else AssignmentStatus.ROTATION
            if leave_type == LeaveType.ROTATION
            else AssignmentStatus.LEAVE
        )
        if assignment.status != wanted:
            assignment.status = wanted
            assignment.save(update_fields=["status"])
            changed += 1
    return changed
