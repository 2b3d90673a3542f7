"""Reads of teams, cadres, assignments and leave, always through the user's scope."""

from django.db.models import Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from teams.choices import CURRENT_ASSIGNMENT_STATUSES, AssignmentRole, AssignmentStatus, LeaveStatus
from teams.models import Assignment, Cadre, DispatchingUnit, Leave, WorkTeam
from villages.models import Area
from zhucun.choices import Role
from zhucun.models import PersonalDataAccess, UserRole
from zhucun.scope import Action, area_q, user_roles

ACCESS_LOG_ROLES = (Role.AUDITOR, Role.REGION_ADMIN)


def _current_leader(team_ref: str = "pk") -> Subquery:
    leaders = Assignment.objects.filter(
        team=OuterRef(team_ref), role=AssignmentRole.LEADER, status__in=CURRENT_ASSIGNMENT_STATUSES
    )
    return Subquery(leaders.values("cadre__name")[:1])


def _assignment_count(**conditions) -> Coalesce:
    counted = (
        Assignment.objects.filter(team=OuterRef("pk"), **conditions)
        .order_by()
        .values("team")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def team_list(*, user, action: Action = Action.VIEW) -> QuerySet[WorkTeam]:
    """Teams with their batch, village (with township and county), unit, leader's name and member counts.

    The counts are correlated subqueries, not a GROUP BY: a page computes them for its 50 rows only, and the
    paginator's COUNT(*) drops them (5,580 teams: 150 ms → a few ms for a region admin's first page)."""
    return (
        WorkTeam.objects.visible_to(user, action)
        .select_related("batch", "village__parent__parent", "unit")
        .annotate(
            leader_name=_current_leader(),
            member_count=_assignment_count(status__in=CURRENT_ASSIGNMENT_STATUSES),
            on_post_count=_assignment_count(status=AssignmentStatus.ON_POST),
        )
        .order_by(*WorkTeam._meta.ordering, "pk")
    )


def teams_below_half_on_post(*, user) -> QuerySet[WorkTeam]:
    """SPEC.md: a team must keep at least half its members on post (a warning, not a block)."""
    return team_list(user=user).filter(member_count__gt=0, on_post_count__lt=F("member_count") / 2.0)


def cadre_list(*, user, action: Action = Action.VIEW) -> QuerySet[Cadre]:
    """Cadres with their unit, managing county and current team (name and role), if any."""
    current = Assignment.objects.filter(cadre=OuterRef("pk"), status__in=CURRENT_ASSIGNMENT_STATUSES)
    return (
        Cadre.objects.visible_to(user, action)
        .select_related("home_unit", "area")
        .annotate(
            current_team_id=Subquery(current.values("team_id")[:1]),
            current_team_name=Subquery(current.values("team__name")[:1]),
            current_role=Subquery(current.values("role")[:1]),
            current_status=Subquery(current.values("status")[:1]),
        )
    )


def village_list(*, user) -> QuerySet[Area]:
    return (
        Area.objects.visible_to(user)
        .villages()
        .select_related("parent__parent__parent")
        .annotate(team_count=Count("teams"))
        .order_by(*Area._meta.ordering)
    )


def assignment_list(*, user, action: Action = Action.VIEW) -> QuerySet[Assignment]:
    return Assignment.objects.visible_to(user, action).select_related(
        "cadre", "team__batch", "team__village", "team__unit"
    )


def leave_list(*, user, action: Action = Action.VIEW) -> QuerySet[Leave]:
    return Leave.objects.visible_to(user, action).select_related(
        "assignment__cadre", "assignment__team__village", "requested_by", "decided_by"
    )


def pending_leave(*, user) -> QuerySet[Leave]:
    """Leave waiting for this user's decision."""
    return leave_list(user=user, action=Action.DECIDE_LEAVE).filter(status=LeaveStatus.PENDING)


def unit_list(*, user) -> QuerySet[DispatchingUnit]:
    return DispatchingUnit.objects.visible_to(user).select_related("parent", "area")


def area_choices(*, user, levels: tuple[str, ...] = ("prefecture", "county", "township")) -> QuerySet[Area]:
    """Areas the user may filter by: their own subtree's prefectures, counties and townships."""
    return Area.objects.visible_to(user).filter(level__in=levels).order_by("code")


def personal_data_access_log(*, user) -> QuerySet[PersonalDataAccess]:
    """The access log (reveals and exports of personal data) for auditors and region admins: the records about
    cadres managed inside their area, and the export records of users whose roles lie inside it. Nobody else
    reads it (an empty queryset; the API answers 403)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return PersonalDataAccess.objects.none()
    rows = PersonalDataAccess.objects.select_related("user", "cadre").order_by("-created_at", "-pk")
    if user.is_superuser:
        return rows
    prefixes = tuple(
        sorted({role.area_id for role in user_roles(user) if role.role in ACCESS_LOG_ROLES and role.area_id})
    )
    if not prefixes:
        return PersonalDataAccess.objects.none()
    actors = UserRole.objects.filter(area_q("area_id", prefixes)).values("user_id")
    return rows.filter(area_q("cadre__area_id", prefixes) | Q(cadre__isnull=True, user__in=actors))


def can_read_access_log(user) -> bool:
    return bool(getattr(user, "is_superuser", False)) or any(
        role.role in ACCESS_LOG_ROLES and role.area_id for role in user_roles(user)
    )
