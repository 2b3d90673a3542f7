"""The navigation of the browser shell: only links to what the signed-in user may use."""

from django.urls import NoReverseMatch, reverse

from zhucun.choices import Role
from zhucun.scope import Action, user_can, user_roles

# (label, URL name, actions of which the user needs at least one). The leave page is for those who
# request, decide or audit leave; team members and liaisons see a member's status on the team's page.
NAV_ITEMS: tuple[tuple[str, str, tuple[Action, ...]], ...] = (
    ("首页", "home", ()),
    ("村居", "villages:list", (Action.VIEW,)),
    ("工作队", "teams:list", (Action.VIEW,)),
    ("驻村干部", "teams:cadre_list", (Action.VIEW,)),
    ("工作日志", "reports:activity_list", (Action.LOG_ACTIVITY, Action.VIEW)),
    ("月报", "reports:report_list", (Action.VIEW,)),
    ("审核", "reports:review_queue", (Action.REVIEW_REPORT,)),
    ("统计", "reports:dashboard", (Action.VIEW,)),
    ("请假", "teams:leave_list", (Action.REQUEST_LEAVE, Action.DECIDE_LEAVE, Action.VIEW_HISTORY)),
    ("指标目录", "reports:indicator_list", (Action.ADMINISTER,)),
    ("通知", "reports:notifications", (Action.VIEW,)),
    ("API文档", "api-docs", (Action.VIEW,)),
)


def unread_notifications(user) -> int:
    """One COUNT on the (user, read_at) index, for the inbox's link."""
    from reports.models import Notification

    return Notification.objects.filter(user=user, read_at__isnull=True).count()


# Links that show a count beside their label: "通知（3）".
NAV_COUNTS = {"reports:notifications": unread_notifications}


def statistics_allowed(user) -> bool:
    """Statistics are for area-bound users and unit liaisons; team roles (who also VIEW) have their reports."""
    from reports.stats import stats_allowed

    return stats_allowed(user)


# Links that need more than an action: a further check on the user.
NAV_CHECKS = {"reports:dashboard": statistics_allowed}


def _link(label: str, url: str, path: str) -> dict[str, object]:
    current = path == url if url == "/" else path.startswith(url)
    return {"label": label, "url": url, "current": current}


def navigation(request):
    """`nav_items` (label, url, current) and `user_roles_display` for the header; nothing for anonymous users."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "user_roles_display": []}
    items = []
    for label, name, actions in NAV_ITEMS:
        if actions and not any(user_can(user, action) for action in actions):
            continue
        if name in NAV_CHECKS and not NAV_CHECKS[name](user):
            continue
        try:
            url = reverse(name)
        except NoReverseMatch:
            # A page another part of the project has not wired up yet: leave it out, do not break every page.
            continue
        count = NAV_COUNTS[name](user) if name in NAV_COUNTS else 0
        items.append(_link(f"{label}（{count}）" if count else label, url, request.path))
    # Django admin stays for the region's administrators (SPEC.md), and needs is_staff to log in at all.
    if user.is_staff and user_can(user, Action.ADMINISTER):
        items.append(_link("系统管理", reverse("admin:index"), request.path))
    # /reports/activities/ is under both 月报 (/reports/) and 工作日志: the longest match is the current page.
    current = [item for item in items if item["current"]]
    for item in current:
        item["current"] = item is max(current, key=lambda other: len(other["url"]))
    return {"nav_items": items, "user_roles_display": roles_display(user)}


def roles_display(user) -> list[str]:
    """ "县委组织部管理员（堆龙德庆区）" per role; a superuser without roles is the system administrator."""
    roles = user_roles(user)
    if not roles:
        return ["系统管理员"] if user.is_superuser else []
    scopes = _scope_names(roles)
    return [f"{Role(role.role).label}（{scopes.get(_scope_key(role), '')}）" for role in roles]


def _scope_key(role) -> tuple[str, object]:
    if role.area_id:
        return ("area", role.area_id)
    if role.unit_id:
        return ("unit", role.unit_id)
    return ("team", role.team_id)


def _scope_names(roles) -> dict[tuple[str, object], str]:
    """The names of the roles' areas, units and teams: one query per kind present, not per role."""
    from teams.models import DispatchingUnit, WorkTeam
    from villages.models import Area

    names: dict[tuple[str, object], str] = {}
    kinds = (("area", Area, "code"), ("unit", DispatchingUnit, "pk"), ("team", WorkTeam, "pk"))
    for kind, model, key in kinds:
        ids = [value for k, value in map(_scope_key, roles) if k == kind]
        if ids:
            for pk, name in model.objects.filter(**{f"{key}__in": ids}).values_list(key, "name"):
                names[(kind, pk)] = name
    return names
