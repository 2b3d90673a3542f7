"""Reporting completeness per area and month (应报 / 已报 / 已审 / 逾期 / 未报), stored in `Completeness`.

Small enough to compute in Python from one pass over the active teams and their reports (a month of the
region is 5,500 teams). When a report changes status its month is recomputed and the rows of its village and
the areas above it are replaced (the other rows change only with time, as due dates pass: the nightly job
recomputes every month). Recomputing from the source each time makes it idempotent.
"""

import datetime
from collections import defaultdict

from django.db import connection, transaction
from django.db.models import Q, Sum
from django.utils import timezone

from reports.choices import ReportStatus
from reports.models import Completeness, MonthlyReport
from reports.periods import add_months, due_date_for, month_start
from teams.models import WorkTeam

AREA_LENGTHS = (2, 4, 6, 9, 12)
DELIVERED = (ReportStatus.SUBMITTED, ReportStatus.APPROVED)


def months_with_teams() -> list[datetime.date]:
    """Every month in which some team was active, up to this month."""
    bounds = WorkTeam.objects.values_list("start_date", "batch__end_date", "end_date")
    months: set[datetime.date] = set()
    last = month_start(timezone.localdate())
    for start, batch_end, end in bounds:
        month, stop = month_start(start), min(month_start(end or batch_end), last)
        while month <= stop:
            months.add(month)
            month = add_months(month, 1)
    return sorted(months)


def compute_month(month: datetime.date, *, today: datetime.date | None = None, prefix: str = "") -> list[Completeness]:
    """The month's rows of every area (under `prefix`, whose rows above it are then partial: callers keep only
    the rows within it)."""
    today = today or timezone.localdate()
    first = month_start(month)
    last = add_months(first, 1) - datetime.timedelta(days=1)
    teams = dict(
        WorkTeam.objects.filter(
            Q(end_date__isnull=True) | Q(end_date__gte=first),
            start_date__lte=last,
            batch__start_date__lte=last,
            batch__end_date__gte=first,
            village__pk__startswith=prefix,
        ).values_list("pk", "village_id")
    )
    reports = {
        team_id: (status, submitted_at, due_date)
        for team_id, status, submitted_at, due_date in MonthlyReport.objects.filter(
            month=first, team_id__in=list(teams)
        ).values_list("team_id", "status", "submitted_at", "due_date")
    }
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # expected, submitted, approved, late
    for team_id, village_id in teams.items():
        status, submitted_at, due = reports.get(team_id, (None, None, due_date_for(first)))
        delivered = status in DELIVERED
        late = (delivered and timezone.localdate(submitted_at) > due) or (not delivered and today > due)
        for length in AREA_LENGTHS:
            row = counts[village_id[:length]]
            row[0] += 1
            row[1] += delivered
            row[2] += status == ReportStatus.APPROVED
            row[3] += late
    now = timezone.now()
    return [
        Completeness(
            month=first,
            area_code=code,
            area_level=len(code),
            expected=expected,
            submitted=submitted,
            approved=approved,
            late=late,
            missing=expected - submitted,
            computed_at=now,
        )
        for code, (expected, submitted, approved, late) in sorted(counts.items())
    ]


COUNTED = ("expected", "submitted", "approved", "late", "missing")


@transaction.atomic
def completeness_refresh(month: datetime.date, *, village: str | None = None) -> int:
    """Replace one month's rows with a fresh computation; returns the number of rows written.

    With `village` (a report of it changed status), only the rows that report changes: the village, its township
    and county computed from the county's teams, then its prefecture and the region added up from their children
    rows.

    Serialized per month by an advisory lock (PostgreSQL): two refreshes of the same month at once (two approvals
    in one county) each deleted the rows the other could not see yet and then both inserted the county's row; the
    second failed on completeness_one_per_area_month (found by tests/test_concurrency.py)."""
    first = month_start(month)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [0x5A43, first.toordinal()])
    if village is None:
        rows = compute_month(first)
        Completeness.objects.filter(month=first).delete()
        Completeness.objects.bulk_create(rows, batch_size=2000)
        return len(rows)
    below = {village[:length] for length in (12, 9, 6)}
    rows = [row for row in compute_month(first, prefix=village[:6]) if row.area_code in below]
    Completeness.objects.filter(month=first, area_code__in=below).delete()
    Completeness.objects.bulk_create(rows)
    written = len(rows)
    for parent, child_length in ((village[:4], 6), (village[:2], 4)):
        children = Completeness.objects.filter(month=first, area_level=child_length, area_code__startswith=parent)
        totals = children.aggregate(**{name: Sum(name) for name in COUNTED})
        Completeness.objects.filter(month=first, area_code=parent).delete()
        if totals["expected"]:
            Completeness.objects.create(
                month=first, area_code=parent, area_level=len(parent), computed_at=timezone.now(), **totals
            )
            written += 1
    return written


def completeness_rebuild() -> int:
    """Every month with active teams, each in its own transaction."""
    return sum(completeness_refresh(month) for month in months_with_teams())
