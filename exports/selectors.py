"""Reads of the exports app: the user's jobs and imports, who may download a file, and the rows the team-level
exports start from (always the user's EXPORT scope: `visible_to(user, Action.EXPORT)`)."""

import datetime

from django.db.models import Case, Exists, OuterRef, Q, QuerySet, Subquery, Value, When
from django.http import Http404

from exports.models import ExportJob, RosterImport
from reports.choices import ReportStatus
from reports.models import MonthlyReport
from reports.periods import add_months, month_start
from teams.choices import CURRENT_ASSIGNMENT_STATUSES, AssignmentRole
from teams.models import Assignment, WorkTeam
from zhucun.scope import Action, scope_for

DELIVERED = (ReportStatus.SUBMITTED, ReportStatus.APPROVED)


def export_job_list(*, user) -> QuerySet[ExportJob]:
    """The user's own jobs, newest first."""
    return ExportJob.objects.filter(user=user).order_by("-created_at", "-pk")


def _covers(prefixes: tuple[str, ...], code: str) -> bool:
    return any(code.startswith(prefix) for prefix in prefixes)


def may_download(user, job: ExportJob) -> bool:
    """The requester, or an admin (MANAGE) whose area covers the job's area; a file with full ID numbers in it only
    for an admin who may see them there too."""
    if job.user_id == user.pk:
        return True
    manage = scope_for(user, Action.MANAGE)
    if not (manage.everything or _covers(manage.area_prefixes, job.area_code)):
        return False
    if job.full_id_numbers:
        see = scope_for(user, Action.SEE_ID_NUMBER)
        return see.everything or _covers(see.area_prefixes, job.area_code)
    return True


def export_job_for(*, user, pk: int) -> ExportJob:
    """A job this user may read and download (its progress too); 404 otherwise (someone else's job is not in scope)."""
    job = ExportJob.objects.select_related("user").filter(pk=pk).first()
    if job is None or not may_download(user, job):
        raise Http404("没有这个导出任务，或您无权查看。")
    return job


def roster_import_list(*, user) -> QuerySet[RosterImport]:
    return RosterImport.objects.filter(user=user).select_related("county", "batch").order_by("-created_at", "-pk")


def roster_import_for(*, user, pk: int) -> RosterImport:
    """The uploader's own import, or one in the county of an admin who manages it; 404 otherwise."""
    found = RosterImport.objects.select_related("county", "batch").filter(pk=pk).first()
    if found is None:
        raise Http404("没有这次导入。")
    if found.user_id != user.pk:
        manage = scope_for(user, Action.MANAGE)
        if not (manage.everything or _covers(manage.area_prefixes, found.county_id)):
            raise Http404("没有这次导入。")
    return found


def teams_active_in(queryset: QuerySet[WorkTeam], first: datetime.date, last: datetime.date) -> QuerySet[WorkTeam]:
    """Teams in residence some time between the first day of `first` and the last day of `last` (months), the rule
    reporting completeness counts by (reports/completeness.py)."""
    last_day = add_months(month_start(last), 1) - datetime.timedelta(days=1)
    return queryset.filter(
        Q(end_date__isnull=True) | Q(end_date__gte=first),
        start_date__lte=last_day,
        batch__start_date__lte=last_day,
        batch__end_date__gte=first,
    )


def leader_name_subquery() -> Subquery:
    """The name of a team's leader: the current 队长, else the last one (a team of a finished batch)."""
    leaders = (
        Assignment.objects.filter(team=OuterRef("pk"), role=AssignmentRole.LEADER)
        .annotate(ended=Case(When(status__in=CURRENT_ASSIGNMENT_STATUSES, then=Value(0)), default=Value(1)))
        .order_by("ended", "-start_date", "-pk")
    )
    return Subquery(leaders.values("cadre__name")[:1])


def missing_teams(*, user, area_code: str, month: datetime.date) -> QuerySet[WorkTeam]:
    """The teams in the user's scope under `area_code` that were in residence in `month` and have not delivered
    its report (no report, a draft or a returned one): the 未报 of reporting completeness, by name."""
    first = month_start(month)
    teams = WorkTeam.objects.visible_to(user, Action.EXPORT).filter(village__pk__startswith=area_code)
    delivered = MonthlyReport.objects.filter(team=OuterRef("pk"), month=first, status__in=DELIVERED)
    report = MonthlyReport.objects.filter(team=OuterRef("pk"), month=first)
    return (
        teams_active_in(teams, first, first)
        .exclude(Exists(delivered))
        .annotate(
            leader_name=leader_name_subquery(),
            report_status=Subquery(report.values("status")[:1]),
            report_due=Subquery(report.values("due_date")[:1]),
        )
        .select_related("unit", "batch", "village")
        .order_by("village_id", "batch__number")
    )
