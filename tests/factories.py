"""factory_boy factories whose sub-factories keep related rows consistent.

- A team's village is a real village of the loaded geography (pass `village=` an Area or a code, or
  `within=` a code prefix such as "540103"); by default the first village, in code order, that has no team
  in the team's batch, so two teams of one batch never collide. Its name is `WorkTeam.default_name`.
- A cadre's ID number is a valid GB 11643 number built from `id_area`, the birth date and the gender
  (odd 17th digit for men), unique through the factory sequence; the phone is a valid, unique mobile number.
- An assignment's cadre comes from the team's dispatching unit, is managed by the team's county and starts
  when the team starts.
- A report's month is the first day of the team's first month and it is due on the 5th of the next month.
- `make_team(...)` builds a team with one 队长, one 第一书记 and the rest 队员, all on post.

The indicator and activity-type factories get-or-create by code and name, so `IndicatorFactory(code="P02")`
is the real catalogue row loaded by conftest.
"""

import datetime
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone
from factory.django import DjangoModelFactory
from rest_framework.test import APIClient

from reports.choices import Category, ReportStatus
from reports.models import Activity, ActivityType, Indicator, MonthlyReport, ReportValue
from teams.choices import AssignmentRole, AssignmentStatus, Gender, LeaveStatus, LeaveType, UnitLevel
from teams.models import Assignment, Batch, Cadre, DispatchingUnit, Leave, WorkTeam
from teams.validators import id_number_check_char
from villages.models import Area
from zhucun.choices import AREA_ROLES, TEAM_ROLES, Role
from zhucun.models import UserRole

TEST_PASSWORD = "zhucun-test-password"


def api(user) -> APIClient:
    """An API client signed in as `user` (session)."""
    client = APIClient()
    client.force_login(user)
    return client


# Every area role's default scope: the region for region admins and auditors, 拉萨市, 堆龙德庆区.
DEFAULT_AREA_BY_ROLE = {
    Role.REGION_ADMIN: "54",
    Role.AUDITOR: "54",
    Role.PREFECTURE_ADMIN: "5401",
    Role.COUNTY_ADMIN: "540103",
}
TIBETAN_NAMES = ["扎西", "次仁", "卓玛", "格桑", "达瓦", "央金", "普布", "拉姆", "旦增", "德吉", "尼玛", "白玛"]
FEMALE_NAMES = {"卓玛", "央金", "拉姆", "德吉", "白玛"}


def batch_start(number: int) -> datetime.date:
    """The test calendar: 第十批 runs from 2025-11-01, each batch a year after the one before."""
    return datetime.date(2015 + number, 11, 1)


def next_month(day: datetime.date) -> datetime.date:
    """The first day of the month after `day`'s."""
    return (day.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)


def free_village(*, batch: Batch | None, within: str = "54") -> Area:
    """The first village under `within`, in code order, without a team in `batch`."""
    villages = Area.objects.villages().within(within).order_by("code")
    if batch is not None and batch.pk is not None:
        villages = villages.exclude(teams__batch=batch)
    village = villages.first()
    if village is None:
        raise LookupError(f"No village under {within!r} is free in {batch}; is the geography loaded?")
    return village


def as_area(value: Area | str) -> Area:
    return Area.objects.get(code=value) if isinstance(value, str) else value


def id_number(*, area: str, birth: datetime.date, serial: int, male: bool) -> str:
    """A valid 18-character resident ID number; the 17th digit is odd for men and even for women."""
    order = (serial % 500) * 2 + (1 if male else 0)
    first17 = f"{area}{birth:%Y%m%d}{order:03d}"
    return first17 + id_number_check_char(first17)


class UserFactory(DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Iterator(TIBETAN_NAMES)
    password = factory.django.Password(TEST_PASSWORD)


class DispatchingUnitFactory(DjangoModelFactory):
    class Meta:
        model = DispatchingUnit
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"区直测试单位{n:03d}")
    level = UnitLevel.REGION
    area = factory.LazyFunction(lambda: Area.objects.get(code="54"))


class BatchFactory(DjangoModelFactory):
    """第十批 (get-or-created, so every factory-made team shares it) unless given another number."""

    class Meta:
        model = Batch
        django_get_or_create = ("number",)

    number = 10
    start_date = factory.LazyAttribute(lambda o: batch_start(o.number))
    end_date = factory.LazyAttribute(
        lambda o: o.start_date.replace(year=o.start_date.year + 1) - datetime.timedelta(days=1)
    )


class WorkTeamFactory(DjangoModelFactory):
    class Meta:
        model = WorkTeam

    class Params:
        within = "54"

    batch = factory.SubFactory(BatchFactory)
    village = factory.LazyAttribute(lambda o: free_village(batch=o.batch, within=o.within))
    unit = factory.SubFactory(DispatchingUnitFactory)
    name = factory.LazyAttribute(
        lambda o: WorkTeam.default_name(unit_name=o.unit.name, village_name=as_area(o.village).name)
    )
    start_date = factory.LazyAttribute(lambda o: o.batch.start_date)
    end_date = None

    @classmethod
    def _adjust_kwargs(cls, **kwargs):
        # A village may be given by its code.
        kwargs["village"] = as_area(kwargs["village"])
        return kwargs


class CadreFactory(DjangoModelFactory):
    class Meta:
        model = Cadre

    class Params:
        id_area = "540103"
        serial = factory.Sequence(lambda n: n)

    name = factory.Iterator(TIBETAN_NAMES)
    gender = factory.LazyAttribute(lambda o: Gender.FEMALE if o.name in FEMALE_NAMES else Gender.MALE)
    birth_date = factory.LazyAttribute(lambda o: datetime.date(1975, 1, 1) + datetime.timedelta(days=o.serial % 9000))
    id_number = factory.LazyAttribute(
        lambda o: id_number(area=o.id_area, birth=o.birth_date, serial=o.serial, male=o.gender == Gender.MALE)
    )
    phone = factory.LazyAttribute(lambda o: f"1{3 + o.serial % 7}{o.serial:09d}")
    home_unit = factory.SubFactory(DispatchingUnitFactory)
    area = factory.LazyAttribute(lambda o: Area.objects.get(code=o.id_area[:6]))
    post = "科员"


class AssignmentFactory(DjangoModelFactory):
    """A member of a team, sent by the team's unit, on post from the team's first day."""

    class Meta:
        model = Assignment

    team = factory.SubFactory(WorkTeamFactory)
    cadre = factory.SubFactory(
        CadreFactory,
        home_unit=factory.SelfAttribute("..team.unit"),
        area=factory.LazyAttribute(lambda o: Area.objects.get(code=o.factory_parent.team.village_id[:6])),
    )
    role = AssignmentRole.MEMBER
    status = AssignmentStatus.ON_POST
    start_date = factory.LazyAttribute(lambda o: o.team.start_date)
    end_date = None


class LeaveFactory(DjangoModelFactory):
    """A pending week of leave, a month into the assignment, requested by a user."""

    class Meta:
        model = Leave

    assignment = factory.SubFactory(AssignmentFactory)
    leave_type = LeaveType.LEAVE
    start_date = factory.LazyAttribute(lambda o: o.assignment.start_date + datetime.timedelta(days=30))
    end_date = factory.LazyAttribute(lambda o: o.start_date + datetime.timedelta(days=6))
    reason = "家中有事"
    status = LeaveStatus.PENDING
    requested_by = factory.SubFactory(UserFactory)


class IndicatorFactory(DjangoModelFactory):
    class Meta:
        model = Indicator
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"X{n:03d}")
    name = factory.Sequence(lambda n: f"测试指标{n}")
    unit = "次"
    category = Category.PROPAGANDA
    sort_order = factory.Sequence(lambda n: 1000 + n)


class ActivityTypeFactory(DjangoModelFactory):
    class Meta:
        model = ActivityType
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"测试活动{n}")
    sort_order = factory.Sequence(lambda n: 1000 + n)


class ActivityFactory(DjangoModelFactory):
    """A home visit (入户走访, the real type) ten days into the team's stay."""

    class Meta:
        model = Activity

    team = factory.SubFactory(WorkTeamFactory)
    date = factory.LazyAttribute(lambda o: o.team.start_date + datetime.timedelta(days=10))
    activity_type = factory.SubFactory(ActivityTypeFactory, name="入户走访")
    title = factory.LazyAttribute(lambda o: o.activity_type.name)
    participants = 12
    households = 5


class MonthlyReportFactory(DjangoModelFactory):
    """A draft report of the team's first month; traits `submitted` and `approved` fill the workflow fields."""

    class Meta:
        model = MonthlyReport

    class Params:
        submitted = factory.Trait(
            status=ReportStatus.SUBMITTED,
            submitted_at=factory.LazyFunction(timezone.now),
            submitted_by=factory.SubFactory(UserFactory),
        )
        approved = factory.Trait(
            status=ReportStatus.APPROVED,
            submitted_at=factory.LazyFunction(timezone.now),
            submitted_by=factory.SubFactory(UserFactory),
            reviewed_at=factory.LazyFunction(timezone.now),
            reviewed_by=factory.SubFactory(UserFactory),
        )

    team = factory.SubFactory(WorkTeamFactory)
    month = factory.LazyAttribute(lambda o: o.team.start_date.replace(day=1))
    due_date = factory.LazyAttribute(lambda o: next_month(o.month).replace(day=5))
    status = ReportStatus.DRAFT


class ReportValueFactory(DjangoModelFactory):
    class Meta:
        model = ReportValue

    report = factory.SubFactory(MonthlyReportFactory)
    indicator = factory.SubFactory(IndicatorFactory)
    value = Decimal("1")


def _default_area(o) -> Area | None:
    code = DEFAULT_AREA_BY_ROLE.get(o.role)
    return Area.objects.get(code=code) if code else None


class UserRoleFactory(DjangoModelFactory):
    """A role bound to the kind of scope it needs: an area for admins and auditors (by default the region,
    拉萨市 or 堆龙德庆区 as the role fits), a new unit for liaisons, a new team for team roles."""

    class Meta:
        model = UserRole

    user = factory.SubFactory(UserFactory)
    role = Role.COUNTY_ADMIN
    area = factory.LazyAttribute(lambda o: _default_area(o) if o.role in AREA_ROLES else None)
    unit = factory.LazyAttribute(lambda o: DispatchingUnitFactory() if o.role == Role.UNIT_LIAISON else None)
    team = factory.LazyAttribute(lambda o: WorkTeamFactory() if o.role in TEAM_ROLES else None)


def make_team(
    *,
    village: Area | str | None = None,
    batch: Batch | None = None,
    unit: DispatchingUnit | None = None,
    members: int = 4,
    **team_fields,
) -> WorkTeam:
    """A team with `members` current assignments: one 队长, one 第一书记, the rest 队员."""
    if members < 1:
        raise ValueError("A team has at least its leader.")
    kwargs = dict(team_fields)
    if village is not None:
        kwargs["village"] = village
    if batch is not None:
        kwargs["batch"] = batch
    if unit is not None:
        kwargs["unit"] = unit
    team = WorkTeamFactory(**kwargs)
    roles = [AssignmentRole.LEADER, AssignmentRole.FIRST_SECRETARY][:members]
    roles += [AssignmentRole.MEMBER] * (members - len(roles))
    for role in roles:
        AssignmentFactory(team=team, role=role)
    return team
