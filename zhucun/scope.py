"""Row-level scope: the one place that turns a user into a queryset filter.

A user holds roles (`UserRole`), each bound to an area (a code prefix), a dispatching unit or a team.
Each role grants a set of actions (`ROLE_ACTIONS`). For a given action, a user's `Scope` is the union of
the bindings of the roles that grant it; every scoped model's queryset turns a Scope into a `Q` through
`ScopedQuerySet.scope_q`, naming the paths from the model to an area code, a unit and a team.

    WorkTeam.objects.visible_to(user)                       # what the user may see (else 404)
    WorkTeam.objects.visible_to(user, Action.MANAGE)        # what the user may change (else 403)

Django superusers see and may do everything (they are the region's operators); inactive and anonymous
users see nothing.
"""

from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

from django.db import models
from django.db.models import Q

from zhucun.choices import Role


class Action(StrEnum):
    VIEW = "view"
    MANAGE = "manage"  # create and change teams, cadres, assignments; set leaders; end assignments
    DECIDE_LEAVE = "decide_leave"
    REQUEST_LEAVE = "request_leave"
    LOG_ACTIVITY = "log_activity"
    SUBMIT_REPORT = "submit_report"
    REVIEW_REPORT = "review_report"
    VIEW_HISTORY = "view_history"
    SEE_ID_NUMBER = "see_id_number"  # the cadre's full resident ID number and phone
    EXPORT = "export"
    ADMINISTER = "administer"  # batches, units, indicator catalogue, users


_ADMIN_ACTIONS = {
    Action.VIEW,
    Action.MANAGE,
    Action.DECIDE_LEAVE,
    Action.REVIEW_REPORT,
    Action.VIEW_HISTORY,
    Action.EXPORT,
}
ROLE_ACTIONS: dict[str, frozenset[Action]] = {
    Role.REGION_ADMIN: frozenset(_ADMIN_ACTIONS | {Action.SEE_ID_NUMBER, Action.ADMINISTER}),
    Role.PREFECTURE_ADMIN: frozenset(_ADMIN_ACTIONS),
    # SPEC.md: only the owning county admin and region admins see full ID numbers.
    Role.COUNTY_ADMIN: frozenset(_ADMIN_ACTIONS | {Action.SEE_ID_NUMBER}),
    Role.UNIT_LIAISON: frozenset({Action.VIEW, Action.EXPORT}),
    Role.TEAM_LEADER: frozenset({Action.VIEW, Action.REQUEST_LEAVE, Action.LOG_ACTIVITY, Action.SUBMIT_REPORT}),
    Role.TEAM_MEMBER: frozenset({Action.VIEW, Action.LOG_ACTIVITY}),
    Role.AUDITOR: frozenset({Action.VIEW, Action.VIEW_HISTORY, Action.EXPORT}),
}


@dataclass(frozen=True)
class Scope:
    """What one user reaches for one action: everything, or a union of area prefixes, units and teams."""

    everything: bool = False
    area_prefixes: tuple[str, ...] = ()
    unit_ids: tuple[int, ...] = ()
    team_ids: tuple[int, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not (self.everything or self.area_prefixes or self.unit_ids or self.team_ids)


_CACHE_ATTRIBUTE = "_zhucun_roles"


def user_roles(user) -> list:
    """The user's roles, loaded once per user object (i.e. once per request)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    cached = getattr(user, _CACHE_ATTRIBUTE, None)
    if cached is None:
        from zhucun.models import UserRole

        cached = list(UserRole.objects.filter(user=user).order_by("pk"))
        setattr(user, _CACHE_ATTRIBUTE, cached)
    return cached


def forget_roles(user) -> None:
    if hasattr(user, _CACHE_ATTRIBUTE):
        delattr(user, _CACHE_ATTRIBUTE)


def role_names(user) -> set[str]:
    return {role.role for role in user_roles(user)}


def scope_for(user, action: Action = Action.VIEW) -> Scope:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Scope()
    if user.is_superuser:
        return Scope(everything=True)
    prefixes: set[str] = set()
    units: set[int] = set()
    teams: set[int] = set()
    for role in user_roles(user):
        if action not in ROLE_ACTIONS.get(role.role, ()):
            continue
        if role.area_id:
            prefixes.add(role.area_id)
        elif role.unit_id:
            units.add(role.unit_id)
        elif role.team_id:
            teams.add(role.team_id)
    # A prefix inside another adds nothing: keep the outermost ones.
    # A region admin is bound to "54", not to everything: the same database may one day hold other provinces.
    outermost = tuple(sorted(p for p in prefixes if not any(p != q and p.startswith(q) for q in prefixes)))
    return Scope(area_prefixes=outermost, unit_ids=tuple(sorted(units)), team_ids=tuple(sorted(teams)))


def user_can(user, action: Action) -> bool:
    """Whether the user may take `action` anywhere at all (menus, buttons); objects still go through scope."""
    return not scope_for(user, action).is_empty


AREA_CODE_LENGTH = 12  # the longest area code: a village


def _area_field(path: str) -> str:
    """Django refuses lookups such as `village_id__startswith` (a foreign key has no such lookup), but
    `village__pk__startswith` compiles to the same column (`village_id`) without a join, because the area's primary
    key is its code."""
    return f"{path[:-3]}__pk" if path.endswith("_id") else path


def area_lookup(path: str) -> str:
    """The `startswith` lookup for a path to an area code: `village_id LIKE '5401%'`."""
    return f"{_area_field(path)}__startswith"


def area_q(path: str, prefixes: tuple[str, ...]) -> Q:
    """The rows whose area code (at `path`) starts with one of `prefixes`, as a range on the code:
    `code >= '5401' AND code <= '540199999999'`. For codes of digits only, at most 12 long, that is exactly
    `LIKE '5401%'` whatever the lengths (a code starting with the prefix lies between the prefix and the prefix padded
    with 9s; any other code differs from the prefix at some digit, which puts it below or above both), and a plain
    b-tree index serves it in any collation, alone or as the second column of a composite index (batch, village)."""
    q = Q(pk__in=[])
    field = _area_field(path)
    for prefix in prefixes:
        q |= Q(**{f"{field}__gte": prefix, f"{field}__lte": prefix.ljust(AREA_CODE_LENGTH, "9")})
    return q


class ScopedQuerySet(models.QuerySet):
    """Base queryset of every scoped model. Subclasses name their paths; a model that cannot be reached
    through one kind of binding leaves that path None (nobody bound that way sees it)."""

    area_path: ClassVar[str | None] = None
    unit_path: ClassVar[str | None] = None
    team_path: ClassVar[str | None] = None

    def scope_q(self, scope: Scope, action: Action) -> Q:
        q = Q(pk__in=[])
        if scope.area_prefixes and self.area_path:
            q |= area_q(self.area_path, scope.area_prefixes)
        if scope.unit_ids and self.unit_path:
            q |= Q(**{f"{self.unit_path}__in": scope.unit_ids})
        if scope.team_ids and self.team_path:
            q |= Q(**{f"{self.team_path}__in": scope.team_ids})
        return q

    def visible_to(self, user, action: Action = Action.VIEW) -> "ScopedQuerySet":
        return self.within_scope(scope_for(user, action), action)

    def within_scope(self, scope: Scope, action: Action = Action.VIEW) -> "ScopedQuerySet":
        """The rows a computed scope reaches (for code that already holds the user's Scope)."""
        if scope.everything:
            return self
        if scope.is_empty:
            return self.none()
        return self.filter(self.scope_q(scope, action))
