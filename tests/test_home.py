"""The home page per role: what each person must do now.

Tuesday 10 March 2026 in Lhasa: February's reports were due on the 5th. The county admin of 堆龙德庆区 chases
her county's teams; the leader of the team in 南嘎居委会 looks after his team; the outsider from 比如县 has his
own county; the unit liaison of 拉萨市堆龙德庆区统计局 follows the teams his unit sent.
"""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reports.choices import ReportStatus
from teams.choices import AssignmentRole, AssignmentStatus, LeaveStatus
from teams.models import Assignment, Cadre
from tests.factories import (
    ActivityFactory,
    AssignmentFactory,
    LeaveFactory,
    MonthlyReportFactory,
    UserFactory,
    UserRoleFactory,
    make_team,
)
from zhucun.choices import Role

pytestmark = pytest.mark.django_db

FEBRUARY = datetime.date(2026, 2, 1)
MARCH = datetime.date(2026, 3, 1)


@pytest.fixture(autouse=True)
def _tenth_of_march(time_machine):
    time_machine.move_to(datetime.datetime(2026, 3, 10, 2, 0, tzinfo=datetime.UTC), tick=False)


@pytest.fixture
def biru_team(naipu, batch):
    """The team in 耐普村, 比如县: the outsider's county."""
    return make_team(village=naipu, batch=batch)


def member_named(team, name: str) -> Assignment:
    """A 队员 of the team, renamed so the page can be searched for them."""
    assignment = team.assignments.filter(role=AssignmentRole.MEMBER).order_by("pk").first()
    Cadre.objects.filter(pk=assignment.cadre_id).update(name=name)
    return assignment


def doilungdeqen_team(batch, **kwargs):
    return make_team(batch=batch, within="540103", **kwargs)


def home(client, user):
    client.force_login(user)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return response, response.content.decode()


# County admin -----------------------------------------------------------------------------------------


def test_it_shows_the_county_admin_pending_leave_in_her_county_but_not_in_biru(
    client, county_admin, nanga_team, biru_team
):
    LeaveFactory(assignment=member_named(nanga_team, "边巴"))
    LeaveFactory(assignment=member_named(biru_team, "多吉"))
    LeaveFactory(assignment=member_named(nanga_team, "边巴"), status=LeaveStatus.CANCELLED)

    response, html = home(client, county_admin)

    assert response.context["admin"]["pending_leave"].count == 1
    assert "边巴" in html
    assert "多吉" not in html
    assert "请假待审批" in html


def test_it_shows_the_outsider_only_biru_leave(client, outsider, nanga_team, biru_team):
    LeaveFactory(assignment=member_named(nanga_team, "边巴"))
    LeaveFactory(assignment=member_named(biru_team, "多吉"))

    response, html = home(client, outsider)

    assert response.context["admin"]["pending_leave"].count == 1
    assert "多吉" in html and "边巴" not in html


def test_it_shows_the_reports_waiting_for_review_in_her_county(client, county_admin, nanga_team, biru_team, batch):
    MonthlyReportFactory(team=nanga_team, month=FEBRUARY, submitted=True)
    MonthlyReportFactory(team=biru_team, month=FEBRUARY, submitted=True)
    MonthlyReportFactory(team=doilungdeqen_team(batch), month=FEBRUARY, approved=True)

    response, html = home(client, county_admin)

    awaiting = response.context["admin"]["awaiting_review"]
    assert awaiting.count == 1
    assert [report.team for report in awaiting.rows] == [nanga_team]
    assert "月报待审核" in html and nanga_team.name in html
    assert biru_team.name not in html


def test_it_lists_the_teams_overdue_with_last_months_report(client, county_admin, nanga_team, batch):
    approved = doilungdeqen_team(batch)
    MonthlyReportFactory(team=approved, month=FEBRUARY, approved=True)
    draft = doilungdeqen_team(batch)
    MonthlyReportFactory(team=draft, month=FEBRUARY)
    returned = doilungdeqen_team(batch)
    MonthlyReportFactory(team=returned, month=FEBRUARY, status=ReportStatus.RETURNED, submitted=True)
    new_in_march = doilungdeqen_team(batch, start_date=MARCH)

    response, html = home(client, county_admin)

    overdue = response.context["admin"]["overdue"]
    assert overdue.count == 3
    assert {team.pk for team in overdue.rows} == {nanga_team.pk, draft.pk, returned.pk}
    assert approved.name not in html.split("月报逾期未交")[1].split("请假待审批")[0]
    assert new_in_march.pk not in {team.pk for team in overdue.rows}
    assert "草稿未提交" in html and "已退回未重新提交" in html and "未填报" in html


def test_it_lists_no_team_as_overdue_before_the_due_date(client, county_admin, nanga_team, time_machine):
    time_machine.move_to(datetime.datetime(2026, 3, 5, 10, 0, tzinfo=datetime.UTC), tick=False)

    response, _ = home(client, county_admin)

    assert response.context["admin"]["overdue"].count == 0


def test_it_flags_the_teams_with_fewer_than_half_their_members_on_post(client, county_admin, nanga_team, batch):
    Assignment.objects.filter(team=nanga_team, role=AssignmentRole.MEMBER).update(status=AssignmentStatus.LEAVE)
    Assignment.objects.filter(team=nanga_team, role=AssignmentRole.FIRST_SECRETARY).update(
        status=AssignmentStatus.ROTATION
    )
    half = doilungdeqen_team(batch)
    Assignment.objects.filter(team=half, role=AssignmentRole.MEMBER).update(status=AssignmentStatus.LEAVE)

    response, html = home(client, county_admin)

    below = response.context["admin"]["below_half"]
    assert below.count == 1
    assert below.rows == [nanga_team]
    assert "在岗 1 / 4 人" in html


# Team leader and member -------------------------------------------------------------------------------


def test_it_shows_the_team_leader_his_members_reports_and_pending_leave(client, nanga_leader, nanga_team):
    on_rotation = member_named(nanga_team, "次旦")
    Assignment.objects.filter(pk=on_rotation.pk).update(status=AssignmentStatus.ROTATION)
    LeaveFactory(assignment=on_rotation, requested_by=nanga_leader)
    MonthlyReportFactory(
        team=nanga_team, month=FEBRUARY, status=ReportStatus.RETURNED, submitted=True, review_comment="请补充入户数"
    )

    response, html = home(client, nanga_leader)

    assert "admin" not in response.context
    panel = response.context["leader"]["panels"][0]
    assert panel.team == nanga_team
    assert len(panel.members) == 4
    assert {a.cadre.name for a in panel.members} >= {"次旦"}
    assert "次旦" in html and "轮休" in html and "在岗" in html
    march, february = panel.reports
    assert march["status"] == "未填报" and not march["overdue"]
    assert february["status"] == "已退回" and february["overdue"]
    assert "请补充入户数" in html and "已逾期" in html
    assert len(panel.pending_leave) == 1
    assert "等待县里审批" in html


def test_it_shows_the_team_leader_nothing_of_another_team(client, nanga_leader, biru_team):
    member_named(biru_team, "多吉")

    _, html = home(client, nanga_leader)

    assert biru_team.name not in html
    assert "多吉" not in html


def test_it_shows_a_team_member_the_team_and_its_recent_activities(client, nanga_team, biru_team):
    member = UserRoleFactory(role=Role.TEAM_MEMBER, team=nanga_team).user
    ActivityFactory(team=nanga_team, title="南嘎入户走访")
    ActivityFactory(team=biru_team, title="耐普宣讲会")

    response, html = home(client, member)

    assert "leader" not in response.context and "admin" not in response.context
    panel = response.context["member"]["panels"][0]
    assert panel.team == nanga_team and len(panel.members) == 4
    assert "南嘎入户走访" in html
    assert "耐普宣讲会" not in html


# Unit liaison and auditor -----------------------------------------------------------------------------


def test_it_shows_the_unit_liaison_the_teams_his_unit_sent_by_county(client, nanga_team, naipu, batch):
    unit = nanga_team.unit
    make_team(village=naipu, batch=batch, unit=unit)
    make_team(batch=batch, within="540103")  # another unit's team
    liaison = UserRoleFactory(role=Role.UNIT_LIAISON, unit=unit).user

    response, html = home(client, liaison)

    section = response.context["liaison"]
    assert section["team_count"] == 2
    assert [(row["name"], row["count"]) for row in section["by_county"]] == [
        ("拉萨市堆龙德庆区", 1),
        ("那曲市比如县", 1),
    ]
    assert section["on_post"] == 8
    assert "本单位派出的工作队" in html


def test_it_shows_the_auditor_headline_counts_of_her_area(client, auditor, nanga_team, biru_team, batch):
    make_team(batch=batch, within="540103", members=1)  # no report for February
    Assignment.objects.filter(team=biru_team, role=AssignmentRole.MEMBER).update(status=AssignmentStatus.LEAVE)
    MonthlyReportFactory(team=nanga_team, month=FEBRUARY, approved=True)
    MonthlyReportFactory(team=biru_team, month=FEBRUARY, submitted=True)

    response, html = home(client, auditor)

    section = response.context["auditor"]
    assert section["team_count"] == 3
    assert section["on_post"] == 7
    assert section["away"] == 2
    counts = {code: count for _, code, count in section["report_counts"]}
    assert counts == {"draft": 0, "submitted": 1, "returned": 0, "approved": 1}
    assert (section["expected"], section["missing"]) == (3, 1)
    assert "辖区概况" in html
    assert "admin" not in response.context


# Several roles, no role -------------------------------------------------------------------------------


def test_it_shows_each_section_to_a_person_with_several_roles(client, county_admin, nanga_team):
    UserRoleFactory(user=county_admin, role=Role.TEAM_LEADER, team=nanga_team)

    response, html = home(client, county_admin)

    assert "admin" in response.context and "leader" in response.context
    assert "待办事项" in html and "我的工作队" in html


def test_it_tells_a_person_without_a_role_to_ask_for_one(client):
    response, html = home(client, UserFactory())

    assert not response.context["has_section"]
    assert "还没有分配角色" in html


def test_it_requires_login(client):
    response = client.get(reverse("home"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# Query counts -----------------------------------------------------------------------------------------


def _busy_teams(batch, count: int) -> None:
    """Teams in 堆龙德庆区 with everything the home page lists: pending leave, a report in review, a member
    away, an overdue report."""
    for index in range(count):
        team = doilungdeqen_team(batch)
        assignment = team.assignments.filter(role=AssignmentRole.MEMBER).first()
        LeaveFactory(assignment=assignment)
        Assignment.objects.filter(team=team).exclude(role=AssignmentRole.LEADER).update(status=AssignmentStatus.LEAVE)
        if index % 2:
            MonthlyReportFactory(team=team, month=FEBRUARY, submitted=True)


def _count_queries(client, user) -> int:
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("home")).status_code == 200
    return len(queries)


def test_it_runs_as_many_queries_for_many_teams_as_for_a_few(
    client, county_admin, nanga_team, batch, django_assert_max_num_queries
):
    UserRoleFactory(user=county_admin, role=Role.AUDITOR, area=county_admin.roles.get().area)
    UserRoleFactory(user=county_admin, role=Role.TEAM_LEADER, team=nanga_team)
    _busy_teams(batch, 2)
    few = _count_queries(client, county_admin)

    _busy_teams(batch, 12)
    many = _count_queries(client, county_admin)

    assert many == few, (few, many)
    with django_assert_max_num_queries(30):
        client.get(reverse("home"))


def test_it_runs_as_many_queries_for_a_big_team_as_for_a_small_one(client, nanga_leader, nanga_team):
    small = _count_queries(client, nanga_leader)
    for _ in range(6):
        LeaveFactory(assignment=member_named(nanga_team, "边巴"))
    for _ in range(4):
        AssignmentFactory(team=nanga_team)

    assert _count_queries(client, nanga_leader) == small
