"""seed_demo builds a believable region, the same every time for the same day."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, Q, Sum

from reports.choices import ReportStatus
from reports.models import Activity, MonthlyReport, ReportValue
from teams.choices import CURRENT_ASSIGNMENT_STATUSES, AssignmentRole
from teams.models import Assignment, Batch, Cadre, DispatchingUnit, WorkTeam
from teams.validators import validate_id_number
from villages.models import Area
from zhucun.choices import Role
from zhucun.demo import DEMO_PASSWORD, seed_demo
from zhucun.models import UserRole

TODAY = datetime.date(2026, 11, 29)


def _fingerprint() -> tuple:
    return (
        list(WorkTeam.objects.order_by("village_id").values_list("village_id", "name", "unit__name")),
        list(Cadre.objects.order_by("id_number_hash").values_list("id_number", "name", "phone", "gender")),
        list(
            MonthlyReport.objects.order_by("team__village_id", "month").values_list(
                "team__village_id", "month", "status"
            )
        ),
        ReportValue.objects.aggregate(total=Sum("value"))["total"],
    )


class _Rollback(Exception):
    pass


def _seed_and_fingerprint(area_prefix: str) -> tuple:
    try:
        with transaction.atomic():
            seed_demo(today=TODAY, area_prefix=area_prefix, log=lambda _: None)
            result = _fingerprint()
            raise _Rollback
    except _Rollback:
        return result


@pytest.mark.django_db
def test_it_builds_the_same_county_twice_from_its_fixed_seed():
    first = _seed_and_fingerprint("540103")
    second = _seed_and_fingerprint("540103")

    assert first == second
    teams, cadres, reports, _ = first
    assert len(teams) == Area.objects.villages().within("540103").count()
    assert len(cadres) == 4 * len(teams)
    assert reports


@pytest.mark.slow
@pytest.mark.django_db
def test_it_seeds_the_whole_region_with_every_role_and_months_of_reports():
    result = seed_demo(today=TODAY, log=lambda _: None)

    # A team in every one of the 5,580 villages, four cadres each, one current leader each.
    assert WorkTeam.objects.count() == 5580 == result.counts["工作队"]
    assert WorkTeam.objects.values("village").distinct().count() == 5580
    assert Cadre.objects.count() == 22320
    leaders = Assignment.objects.filter(role=AssignmentRole.LEADER, status__in=CURRENT_ASSIGNMENT_STATUSES)
    assert leaders.values("team").distinct().count() == 5580
    assert not Assignment.objects.values("cadre").annotate(n=Count("id")).filter(n__gt=1).exists()

    # Every ID number is valid; a sample is enough to prove the generator, the constraint proves uniqueness.
    for number in Cadre.objects.order_by("?").values_list("id_number", flat=True)[:200]:
        validate_id_number(number)

    # The named units of SPEC.md and generated ones at every level, in roughly Tibet's 2022 mix.
    names = set(DispatchingUnit.objects.values_list("name", flat=True))
    assert {"自治区党委组织部", "那曲地区人民医院", "拉萨市堆龙德庆区统计局", "华泰龙公司"} <= names
    mix = WorkTeam.objects.aggregate(
        top=Count("id", filter=Q(unit__level__in=["central", "region", "enterprise"])),
        prefecture=Count("id", filter=Q(unit__level="prefecture")),
        local=Count("id", filter=Q(unit__level__in=["county", "township"])),
    )
    assert 400 < mix["top"] < 700 and 700 < mix["prefecture"] < 1100 and 3800 < mix["local"] < 4400, mix

    # One batch with `TODAY` in its eighth month: seven months due, the current one in draft.
    batch = Batch.objects.get()
    assert batch.start_date == datetime.date(2026, 4, 1) and batch.end_date == datetime.date(2027, 3, 31)
    months = MonthlyReport.objects.values("month").distinct().count()
    assert months == 8
    statuses = dict(MonthlyReport.objects.values_list("status").annotate(n=Count("id")))
    assert statuses[ReportStatus.APPROVED] > 0.8 * sum(statuses.values())
    assert all(statuses.get(status, 0) > 0 for status in ReportStatus.values)
    # Some reports are missing altogether: fewer than one per team per month.
    assert MonthlyReport.objects.count() < 5580 * 8
    # "其中" sub-counts never exceed their total.
    d09 = dict(ReportValue.objects.filter(indicator__code="D09").values_list("report_id", "value"))
    for report_id, value in ReportValue.objects.filter(indicator__code="D10").values_list("report_id", "value"):
        assert value <= d09.get(report_id, value)
    assert Activity.objects.exists()

    # One demo user per role, each able to log in with the printed password.
    roles = set(UserRole.objects.filter(user__password__startswith="md5").values_list("role", flat=True))
    assert roles >= set(Role.values)
    users = get_user_model().objects.filter(
        username__in=("region_admin", "lhasa_admin", "duilong_admin", "unit_liaison", "nanga_leader", "auditor")
    )
    assert len(users) == 6
    assert all(user.check_password(DEMO_PASSWORD) for user in users)
    leader = get_user_model().objects.get(username="nanga_leader")
    assert leader.cadre.assignments.get().team.village_id == "540103001002"
