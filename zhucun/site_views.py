"""The home page: for each role the signed-in person holds, what that role must do now.

Every figure comes from a selector (scoped by `visible_to`); each section runs a fixed number of queries,
whatever the number of teams in scope.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import forms as auth_forms
from django.contrib.auth import password_validation
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.db.models.functions import Substr
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from reports.choices import ReportStatus
from reports.periods import add_months, due_date_for, month_period, month_start
from reports.selectors import (
    DELIVERED_STATUSES,
    active_in_month_q,
    overdue_teams,
    recent_activities,
    report_status_counts,
    reports_awaiting_review,
    team_month_reports,
)
from teams.choices import AssignmentStatus, LeaveStatus
from teams.models import WorkTeam
from teams.selectors import assignment_list, leave_list, pending_leave, team_list, teams_below_half_on_post
from villages.models import Area
from zhucun.choices import Role
from zhucun.scope import user_roles

ADMIN_ROLES = (Role.REGION_ADMIN, Role.PREFECTURE_ADMIN, Role.COUNTY_ADMIN)
TOP_ROWS = 5


class PasswordChangeForm(auth_forms.PasswordChangeForm):
    """Django 5.2's zh-hans catalogue lacks the new wording of the too-short message, which would appear in
    English; every other validator message is translated and passes through unchanged."""

    def validate_password_for_user(self, user, password_field_name="new_password2"):  # noqa: S107 (a field name)
        password = self.cleaned_data.get(password_field_name)
        if not password:
            return
        try:
            password_validation.validate_password(password, user)
        except ValidationError as error:
            self.add_error(password_field_name, [_in_chinese(item) for item in error.error_list])


def _in_chinese(error: ValidationError) -> ValidationError:
    if error.code == "password_too_short":
        length = (error.params or {}).get("min_length")
        return ValidationError(f"密码太短，至少需要 {length} 个字符。", code=error.code)
    return error


def url_or_none(name: str, *args, query: str = "") -> str | None:
    """A link to a page that may not exist yet (the reports pages come later): no link rather than a 500."""
    try:
        url = reverse(name, args=args)
    except NoReverseMatch:
        return None
    return f"{url}?{query}" if query else url


@dataclass
class Listing:
    """A count, the first few rows and a link to the full list."""

    count: int
    rows: list[Any]
    url: str | None = None


@dataclass
class TeamPanel:
    """One team of a team leader or member: its figures, members and (for leaders) reports."""

    team: WorkTeam
    members: list[Any] = field(default_factory=list)
    reports: list[dict[str, Any]] = field(default_factory=list)
    pending_leave: list[Any] = field(default_factory=list)
    activities: list[Any] = field(default_factory=list)
    url: str | None = None


def listing(queryset, *, url: str | None = None) -> Listing:
    return Listing(count=queryset.count(), rows=list(queryset[:TOP_ROWS]), url=url)


def admin_section(user, today: datetime.date) -> dict[str, Any]:
    last_month = add_months(month_start(today), -1)
    below_half = teams_below_half_on_post(user=user).order_by("village_id")
    return {
        "last_month": month_period(last_month).label,
        "last_month_due": due_date_for(last_month),
        "awaiting_review": listing(reports_awaiting_review(user=user), url=url_or_none("reports:review_queue")),
        "overdue": listing(overdue_teams(user=user, today=today), url=url_or_none("reports:overdue")),
        "pending_leave": listing(
            pending_leave(user=user).order_by("start_date", "pk"),
            url=url_or_none("teams:leave_list", query=f"status={LeaveStatus.PENDING}"),
        ),
        "below_half": listing(below_half, url=url_or_none("teams:list")),
    }


def _team_panels(user, team_ids: list[int]) -> list[TeamPanel]:
    teams = team_list(user=user).filter(pk__in=team_ids).order_by("village_id")
    panels = {team.pk: TeamPanel(team=team, url=url_or_none("teams:detail", team.pk)) for team in teams}
    members = assignment_list(user=user).current().filter(team__in=list(panels)).order_by("team_id", "role", "pk")
    for assignment in members:
        panels[assignment.team_id].members.append(assignment)
    return list(panels.values())


def leader_section(user, team_ids: list[int], today: datetime.date) -> dict[str, Any]:
    panels = _team_panels(user, team_ids)
    this_month = month_start(today)
    months = [this_month, add_months(this_month, -1)]
    reports = team_month_reports(user=user, team_ids=[p.team.pk for p in panels], months=months)
    pending = leave_list(user=user).filter(assignment__team__in=[p.team.pk for p in panels], status=LeaveStatus.PENDING)
    pending_by_team = defaultdict(list)
    for leave in pending.order_by("start_date", "pk"):
        pending_by_team[leave.assignment.team_id].append(leave)
    for panel in panels:
        panel.pending_leave = pending_by_team[panel.team.pk]
        for month in months:
            report = reports.get((panel.team.pk, month))
            due = report.due_date if report else due_date_for(month)
            delivered = report is not None and report.status in DELIVERED_STATUSES
            panel.reports.append(
                {
                    "month": month_period(month).label,
                    "month_key": f"{month:%Y-%m}",
                    "report": report,
                    "status": report.get_status_display() if report else "未填报",
                    "status_code": report.status if report else "missing",
                    "due_date": due,
                    "overdue": not delivered and today > due,
                    "late": report is not None and delivered and report.is_late,
                }
            )
    return {"panels": panels}


def member_section(user, team_ids: list[int]) -> dict[str, Any]:
    panels = _team_panels(user, team_ids)
    activities = recent_activities(user=user, team_ids=[p.team.pk for p in panels], limit=TOP_ROWS * 2)
    by_team = defaultdict(list)
    for activity in activities:
        by_team[activity.team_id].append(activity)
    for panel in panels:
        panel.activities = by_team[panel.team.pk]
    return {"panels": panels}


def liaison_section(user, unit_ids: list[int], today: datetime.date) -> dict[str, Any]:
    """The teams the liaison's unit has in the field this month, by county, and its cadres by status."""
    teams = WorkTeam.objects.visible_to(user).filter(active_in_month_q(today), unit__in=unit_ids)
    by_county = list(
        teams.annotate(county=Substr("village_id", 1, 6))
        .values("county")
        .annotate(count=Count("pk"))
        .order_by("county")
    )
    # County names repeat across prefectures less than village names, but 城关区 is in two: say the prefecture.
    counties = Area.objects.filter(code__in=[row["county"] for row in by_county]).select_related("parent")
    names = {county.code: f"{county.parent.name if county.parent else ''}{county.name}" for county in counties}
    statuses = dict(
        assignment_list(user=user)
        .current()
        .filter(team__unit__in=unit_ids)
        .values_list("status")
        .annotate(count=Count("pk"))
        .order_by()
    )
    return {
        "team_count": sum(row["count"] for row in by_county),
        "by_county": [
            {"code": row["county"], "name": names.get(row["county"], row["county"]), **row} for row in by_county
        ],
        "on_post": statuses.get(AssignmentStatus.ON_POST, 0),
        "away": statuses.get(AssignmentStatus.ROTATION, 0) + statuses.get(AssignmentStatus.LEAVE, 0),
        "teams_url": url_or_none("teams:list"),
        "cadres_url": url_or_none("teams:cadre_list"),
    }


def auditor_section(user, today: datetime.date) -> dict[str, Any]:
    last_month = add_months(month_start(today), -1)
    statuses = dict(assignment_list(user=user).current().values_list("status").annotate(count=Count("pk")).order_by())
    counts = report_status_counts(user=user, month=last_month)
    expected = WorkTeam.objects.visible_to(user).filter(active_in_month_q(last_month)).count()
    return {
        "expected": expected,
        "missing": max(expected - sum(counts.values()), 0),
        "team_count": WorkTeam.objects.visible_to(user).filter(active_in_month_q(today)).count(),
        "on_post": statuses.get(AssignmentStatus.ON_POST, 0),
        "away": statuses.get(AssignmentStatus.ROTATION, 0) + statuses.get(AssignmentStatus.LEAVE, 0),
        "last_month": month_period(last_month).label,
        "report_counts": [(ReportStatus(status).label, status, count) for status, count in counts.items()],
        "teams_url": url_or_none("teams:list"),
        "cadres_url": url_or_none("teams:cadre_list"),
    }


@login_required
def home(request):
    user = request.user
    today = timezone.localdate()
    roles = user_roles(user)
    by_role: dict[str, list] = defaultdict(list)
    for role in roles:
        by_role[role.role].append(role)
    context: dict[str, Any] = {"today": today}
    if user.is_superuser or any(by_role[name] for name in ADMIN_ROLES):
        context["admin"] = admin_section(user, today)
    if by_role[Role.TEAM_LEADER]:
        context["leader"] = leader_section(user, [r.team_id for r in by_role[Role.TEAM_LEADER]], today)
    if by_role[Role.TEAM_MEMBER]:
        context["member"] = member_section(user, [r.team_id for r in by_role[Role.TEAM_MEMBER]])
    if by_role[Role.UNIT_LIAISON]:
        context["liaison"] = liaison_section(user, [r.unit_id for r in by_role[Role.UNIT_LIAISON]], today)
    if by_role[Role.AUDITOR]:
        context["auditor"] = auditor_section(user, today)
    context["has_section"] = any(key in context for key in ("admin", "leader", "member", "liaison", "auditor"))
    return render(request, "home/index.html", context)
