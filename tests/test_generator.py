"""The benchmark data generator (benchmarks/generate.py) on a few teams: valid rows, reports that pass the app's
own checks, accounts bound to their places, the same data from the same seed."""

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, Sum

from benchmarks.generate import generate_region
from reports.choices import ReportStatus
from reports.models import Indicator, MonthlyReport, ReportValue
from reports.selectors import report_checks
from teams.choices import AssignmentRole, AssignmentStatus
from teams.models import Assignment, Batch, Cadre, WorkTeam
from teams.validators import validate_id_number
from zhucun.demo import DEMO_PASSWORD, NANGA_CODE

TEAMS, MONTHS = 4, 2


def _generate(**options):
    return generate_region(batches=1, months=MONTHS, teams=TEAMS, verify=0, log=lambda _: None, **options)


@pytest.mark.django_db
def test_it_writes_a_team_a_village_four_cadres_and_an_approved_report_per_month():
    result = _generate()

    batch = Batch.objects.get()
    assert (batch.number, str(batch.start_date), str(batch.end_date)) == (1, "2025-11-01", "2026-10-31")
    teams = list(WorkTeam.objects.select_related("unit", "village"))
    assert len(teams) == TEAMS
    assert NANGA_CODE in {team.village_id for team in teams}
    assert all(team.name == f"{team.unit.name}驻{team.village.name}工作队" for team in teams)
    assert Cadre.objects.count() == Assignment.objects.count() == 4 * TEAMS
    roles = Assignment.objects.values_list("team_id", "role").annotate(n=Count("id"))
    assert {(role, n) for _, role, n in roles} == {
        (AssignmentRole.LEADER, 1),
        (AssignmentRole.FIRST_SECRETARY, 1),
        (AssignmentRole.MEMBER, 2),
    }
    # The batch ended on 2026-10-31: every assignment is 期满 on that day.
    assert set(Assignment.objects.values_list("status", "end_date")) == {(AssignmentStatus.FINISHED, batch.end_date)}
    for id_number in Cadre.objects.values_list("id_number", flat=True):
        validate_id_number(id_number)

    indicators = Indicator.objects.active_in(batch).count()
    assert indicators == 51
    reports = MonthlyReport.objects.all()
    assert reports.count() == TEAMS * MONTHS
    assert set(reports.values_list("status", flat=True)) == {ReportStatus.APPROVED}
    assert set(reports.values_list("month", flat=True)) == {batch.start_date, batch.start_date.replace(month=12)}
    per_report = ReportValue.objects.values("report_id").annotate(n=Count("id")).values_list("n", flat=True)
    assert set(per_report) == {indicators}
    assert ReportValue.objects.filter(value__isnull=True).count() == 0
    assert result.counts["reports_reportvalue"] == TEAMS * MONTHS * indicators


@pytest.mark.django_db
def test_its_reports_pass_the_report_checks_without_a_note():
    _generate()

    reports = list(MonthlyReport.objects.select_related("team__batch"))
    checks = report_checks(reports)

    assert len(checks) == TEAMS * MONTHS
    assert {pk: (check.errors, check.warnings) for pk, check in checks.items()} == {pk: ({}, {}) for pk in checks}
    # 其中：后备干部 (D10) never exceeds 把党员致富能手培养成村干部 (D09).
    d09 = dict(ReportValue.objects.filter(indicator__code="D09").values_list("report_id", "value"))
    for report_id, value in ReportValue.objects.filter(indicator__code="D10").values_list("report_id", "value"):
        assert value <= d09[report_id]


@pytest.mark.django_db
def test_its_accounts_see_their_own_place_only():
    _generate()

    User = get_user_model()
    leader = User.objects.get(username="nanga_leader")
    assert leader.check_password(DEMO_PASSWORD)
    assert leader.cadre.assignments.get().team.village_id == NANGA_CODE
    nanga_team = WorkTeam.objects.get(village_id=NANGA_CODE)
    assert list(WorkTeam.objects.visible_to(leader)) == [nanga_team]
    # The admin of another county sees its own county's teams and reports, not 南嘎's.
    other = WorkTeam.objects.exclude(village__pk__startswith=NANGA_CODE[:6]).first()
    county_admin = User.objects.get(username=f"county_{other.village_id[:6]}")
    visible = set(WorkTeam.objects.visible_to(county_admin).values_list("village_id", flat=True))
    assert other.village_id in visible
    assert all(code.startswith(other.village_id[:6]) for code in visible)
    assert MonthlyReport.objects.visible_to(county_admin).filter(team=other).count() == MONTHS
    assert not MonthlyReport.objects.visible_to(county_admin).filter(team=nanga_team).exists()


class _Rollback(Exception):
    pass


def _fingerprint() -> tuple:
    try:
        with transaction.atomic():
            _generate()
            result = (
                list(WorkTeam.objects.order_by("village_id").values_list("village_id", "unit__name")),
                list(Cadre.objects.order_by("id_number_hash").values_list("id_number", "name", "phone")),
                ReportValue.objects.aggregate(total=Sum("value"))["total"],
            )
            raise _Rollback
    except _Rollback:
        return result


@pytest.mark.django_db
def test_it_builds_the_same_rows_from_the_same_seed():
    assert _fingerprint() == _fingerprint()
