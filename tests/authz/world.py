"""The world of the authorization matrix: one team inside 堆龙德庆区 (南嘎居委会) with everything a user can act on,
one team outside (耐普村, 比如县), and a user of every role on each side.

"Inside" users are bound to the area, unit or team of the objects; "outside" users hold the same role bound to
比如县 / 那曲市 / the 耐普村 team / its unit, so every probe asks both "may the right person do it?" and "is
someone with the same role elsewhere kept out?".
"""

import datetime
from dataclasses import dataclass, field

from exports.models import ExportJob
from exports.roster import roster_import
from reports.models import Activity, MonthlyReport, Notification
from reports.workflow import report_approve, report_open, report_save, report_submit
from teams.choices import AssignmentRole, UnitLevel
from teams.models import Assignment, Batch, Cadre, Leave, WorkTeam
from tests.factories import (
    ActivityFactory,
    BatchFactory,
    DispatchingUnitFactory,
    LeaveFactory,
    UserRoleFactory,
    free_village,
    make_team,
)
from villages.models import Area
from zhucun.choices import Role

DOILUNGDEQEN = "540103"
NANGA = "540103001002"
BIRU = "540622"
NAIPU = "540622202218"
LHASA = "5401"
NAGQU = "5406"
REGION = "54"
# 3 March 2026 (the matrix test moves the clock there): February's reports are due on the 5th.
TODAY = datetime.datetime(2026, 3, 3, 10, 0, tzinfo=datetime.UTC)

# The role keys of the expected-outcome table: an upper-case letter is the role inside the objects' scope, the
# lower-case one the same role bound elsewhere; X is nobody logged in.
ROLE_KEYS = {
    "R": "region admin (西藏自治区)",
    "P": "prefecture admin (拉萨市)",
    "p": "prefecture admin (那曲市)",
    "C": "county admin (堆龙德庆区)",
    "c": "county admin (比如县)",
    "A": "auditor (西藏自治区)",
    "a": "auditor (比如县)",
    "L": "unit liaison (the 南嘎 team's unit)",
    "l": "unit liaison (the 耐普 team's unit)",
    "T": "team leader (南嘎居委会)",
    "t": "team leader (耐普村)",
    "M": "team member (南嘎居委会)",
    "m": "team member (耐普村)",
    "X": "anonymous",
}


@dataclass
class World:
    batch: Batch
    team: WorkTeam
    other_team: WorkTeam
    users: dict = field(default_factory=dict)
    cadre: Cadre | None = None
    assignment: Assignment | None = None
    leave: Leave | None = None
    activity: Activity | None = None
    approved: MonthlyReport | None = None
    submitted: MonthlyReport | None = None
    draft: MonthlyReport | None = None
    open_draft: MonthlyReport | None = None
    notification: Notification | None = None
    export: ExportJob | None = None
    roster_import: object = None
    free_village: Area | None = None
    free_cadre: Cadre | None = None


def _leader_user(team: WorkTeam, username: str):
    leader = team.assignments.get(role=AssignmentRole.LEADER).cadre
    role = UserRoleFactory(role=Role.TEAM_LEADER, team=team, user__username=username)
    leader.user = role.user
    leader.save(update_fields=["user"])
    return role.user


def _area(code: str) -> Area:
    return Area.objects.get(code=code)


def build_world() -> World:
    batch = BatchFactory(number=10, start_date=datetime.date(2025, 11, 1), end_date=datetime.date(2026, 10, 31))
    unit = DispatchingUnitFactory(name="拉萨市堆龙德庆区统计局", level=UnitLevel.COUNTY, area=_area(DOILUNGDEQEN))
    team = make_team(village=_area(NANGA), batch=batch, unit=unit)
    other_unit = DispatchingUnitFactory(name="那曲市比如县教育局", level=UnitLevel.COUNTY, area=_area(BIRU))
    other_team = make_team(village=_area(NAIPU), batch=batch, unit=other_unit)
    world = World(batch=batch, team=team, other_team=other_team)

    def area_role(key: str, role: str, code: str) -> None:
        world.users[key] = UserRoleFactory(role=role, area=_area(code), user__username=f"authz-{key}").user

    area_role("R", Role.REGION_ADMIN, REGION)
    area_role("P", Role.PREFECTURE_ADMIN, LHASA)
    area_role("p", Role.PREFECTURE_ADMIN, NAGQU)
    area_role("C", Role.COUNTY_ADMIN, DOILUNGDEQEN)
    area_role("c", Role.COUNTY_ADMIN, BIRU)
    area_role("A", Role.AUDITOR, REGION)
    area_role("a", Role.AUDITOR, BIRU)
    world.users["L"] = UserRoleFactory(role=Role.UNIT_LIAISON, unit=unit, user__username="authz-L").user
    world.users["l"] = UserRoleFactory(role=Role.UNIT_LIAISON, unit=other_unit, user__username="authz-l").user
    world.users["T"] = _leader_user(team, "authz-T")
    world.users["t"] = _leader_user(other_team, "authz-t")
    world.users["M"] = UserRoleFactory(role=Role.TEAM_MEMBER, team=team, user__username="authz-M").user
    world.users["m"] = UserRoleFactory(role=Role.TEAM_MEMBER, team=other_team, user__username="authz-m").user
    world.users["X"] = None

    member = team.assignments.filter(role=AssignmentRole.MEMBER).order_by("pk").first()
    world.assignment = member
    world.cadre = member.cadre
    world.leave = LeaveFactory(
        assignment=member,
        requested_by=world.users["T"],
        start_date=datetime.date(2026, 4, 1),
        end_date=datetime.date(2026, 4, 3),
    )
    leader = world.users["T"]
    world.activity = ActivityFactory(team=team, date=datetime.date(2026, 2, 10), created_by=leader)
    county = world.users["C"]

    def report(month: datetime.date) -> MonthlyReport:
        opened = report_open(actor=leader, team=team, month=month)
        report_save(actor=leader, report=opened, values={"P02": "3"}, narrative={"summary": "召开宣讲会三场。"})
        return MonthlyReport.objects.get(pk=opened.pk)

    world.approved = report_approve(
        actor=county, report=report_submit(actor=leader, report=report(datetime.date(2025, 11, 1)))
    )
    world.submitted = report_submit(actor=leader, report=report(datetime.date(2025, 12, 1)))
    world.draft = report(datetime.date(2026, 1, 1))
    world.open_draft = report(datetime.date(2026, 2, 1))
    world.notification = Notification.objects.create(user=leader, key="authz", title="报告已退回")
    world.free_village = free_village(batch=batch, within=DOILUNGDEQEN)
    # A cadre of 堆龙德庆区 on no team (for assignment probes).
    world.free_cadre = Cadre.objects.get(pk=_new_cadre(county).pk)
    world.export = _export(county)
    world.roster_import = _roster_import(county, batch)
    return world


def _new_cadre(county_admin) -> Cadre:
    from teams.services import cadre_create
    from tests.factories import id_number

    number = id_number(area=DOILUNGDEQEN, birth=datetime.date(1990, 4, 5), serial=4321, male=True)
    unit = DispatchingUnitFactory(name="堆龙德庆区人民医院")
    return cadre_create(actor=county_admin, name="次仁旺堆", gender="M", id_number=number, home_unit=unit)


def _export(county_admin) -> ExportJob:
    from exports.services import export_job_run, export_job_start

    job = export_job_start(user=county_admin, kind="roster", data={})
    export_job_run(job_id=job.pk)  # the task's body, run here (no commit in a test, so no on_commit)
    job = ExportJob.objects.get(pk=job.pk)
    assert job.is_downloadable and job.full_id_numbers, (job.status, job.error)
    return job


def _roster_import(county_admin, batch):
    """A rejected import (a row whose gender contradicts its ID number), with its marked copy."""
    from tests.test_roster_import import row, workbook_bytes

    data = workbook_bytes([row("南嘎居委会", "格桑旺堆", 1, extra={"性别": "女"})])
    outcome = roster_import(user=county_admin, county=DOILUNGDEQEN, batch=batch, file_name="花名册.xlsx", data=data)
    record = outcome.record
    assert record.marked_file, record.status
    return record
