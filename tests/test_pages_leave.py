"""Leave pages: the team leader asks leave (请假/轮休) for a member, the county admin approves or refuses with a
reason, the list filters by status, and the team's page shows the member on leave.

People: the leader of the team in 南嘎居委会, the county admin of 堆龙德庆区 (decides), the outsider (county
admin of 比如县), a region auditor (reads only).
"""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from teams.choices import AssignmentRole, AssignmentStatus, LeaveStatus, LeaveType
from teams.models import Leave
from tests.factories import LeaveFactory, make_team

pytestmark = pytest.mark.django_db


@pytest.fixture
def member_assignment(nanga_team):
    assignment = nanga_team.assignments.filter(role=AssignmentRole.MEMBER).first()
    assignment.cadre.name = "拉巴"
    assignment.cadre.save()
    return assignment


@pytest.fixture
def pending(member_assignment, nanga_leader):
    """A week of leave from today, asked by the leader, waiting for the county."""
    today = timezone.localdate()
    return LeaveFactory(
        assignment=member_assignment,
        start_date=today,
        end_date=today + datetime.timedelta(days=6),
        requested_by=nanga_leader,
        reason="家中老人生病",
    )


def get(client, user, url, **params):
    client.force_login(user)
    return client.get(url, params)


def html(response) -> str:
    return response.content.decode()


# -- the request --------------------------------------------------------------------------------------------


def test_it_lets_the_leader_request_leave_for_a_member(client, nanga_leader, member_assignment, nanga_team):
    client.force_login(nanga_leader)
    form = html(client.get(reverse("teams:leave_create"), {"assignment": member_assignment.pk}))
    assert f'<option value="{member_assignment.pk}" selected>拉巴' in form
    response = client.post(
        reverse("teams:leave_create"),
        {
            "assignment": member_assignment.pk,
            "leave_type": LeaveType.ROTATION,
            "start_date": "2026-03-01",
            "end_date": "2026-03-20",
            "reason": "轮休返乡",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("teams:detail", args=[nanga_team.pk])
    leave = Leave.objects.get()
    assert (leave.assignment, leave.leave_type, leave.status) == (member_assignment, "rotation", "pending")
    assert (leave.start_date, leave.end_date) == (datetime.date(2026, 3, 1), datetime.date(2026, 3, 20))
    assert leave.requested_by == nanga_leader
    page = html(client.get(response["Location"]))
    assert "等待审批" in page and "轮休返乡" in page and "待审批" in page


def test_it_keeps_what_the_leader_typed_when_the_dates_are_wrong(client, nanga_leader, member_assignment):
    client.force_login(nanga_leader)
    response = client.post(
        reverse("teams:leave_create"),
        {
            "assignment": member_assignment.pk,
            "leave_type": LeaveType.LEAVE,
            "start_date": "2026-03-20",
            "end_date": "2026-03-01",
            "reason": "看病",
        },
    )
    assert response.status_code == 200
    page = html(response)
    assert "结束日期不能早于开始日期" in page
    assert "看病</textarea>" in page
    assert not Leave.objects.exists()


def test_it_refuses_overlapping_leave_next_to_the_start_date(client, nanga_leader, pending):
    client.force_login(nanga_leader)
    response = client.post(
        reverse("teams:leave_create"),
        {
            "assignment": pending.assignment_id,
            "leave_type": LeaveType.LEAVE,
            "start_date": pending.start_date.isoformat(),
            "end_date": pending.end_date.isoformat(),
            "reason": "再请",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["start_date"] == ["该时段与已有的请假重叠。"]
    assert Leave.objects.count() == 1


def test_it_offers_the_leader_only_their_own_team(client, nanga_leader, nanga_team, batch):
    other = make_team(within="540103", batch=batch, members=2).assignments.first()
    client.force_login(nanga_leader)
    assert f'value="{other.pk}"' not in html(client.get(reverse("teams:leave_create")))
    response = client.post(
        reverse("teams:leave_create"),
        {
            "assignment": other.pk,
            "leave_type": "leave",
            "start_date": "2026-03-01",
            "end_date": "2026-03-02",
            "reason": "x",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["assignment"]
    assert not Leave.objects.exists()


@pytest.mark.parametrize("person", ["county_admin", "auditor", "outsider"])
def test_it_forbids_others_to_request_leave(client, request, person, member_assignment):
    user = request.getfixturevalue(person)
    assert get(client, user, reverse("teams:leave_create")).status_code == 403


# -- the decision -------------------------------------------------------------------------------------------


def test_it_lets_the_county_admin_approve_and_the_team_page_shows_the_leave(client, county_admin, pending, nanga_team):
    client.force_login(county_admin)
    assert reverse("teams:leave_decide", args=[pending.pk]) in html(client.get(reverse("teams:leave_list")))
    page = html(client.get(reverse("teams:leave_decide", args=[pending.pk])))
    assert "家中老人生病" in page and "拉巴" in page
    response = client.post(reverse("teams:leave_decide", args=[pending.pk]), {"decision": "approve", "comment": ""})
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.status == LeaveStatus.APPROVED
    assert pending.decided_by == county_admin
    assert pending.assignment.status == AssignmentStatus.LEAVE
    assert "已批准拉巴的请假申请" in html(client.get(response["Location"]))
    team_page = html(client.get(reverse("teams:detail", args=[nanga_team.pk])))
    assert '<span class="status status-leave">请假</span>' in team_page
    assert "已批准" in team_page


def test_it_requires_a_reason_to_refuse(client, county_admin, pending):
    client.force_login(county_admin)
    url = reverse("teams:leave_decide", args=[pending.pk])
    response = client.post(url, {"decision": "refuse", "comment": "  "})
    assert response.status_code == 200
    assert '<small class="field-error" id="id_comment_error">不同意时请填写理由。</small>' in html(response)
    pending.refresh_from_db()
    assert pending.status == LeaveStatus.PENDING

    response = client.post(url, {"decision": "refuse", "comment": "春耕期间人手不足"})
    assert response.status_code == 302
    pending.refresh_from_db()
    assert (pending.status, pending.decision_comment) == (LeaveStatus.REFUSED, "春耕期间人手不足")
    assert pending.assignment.status == AssignmentStatus.ON_POST


def test_it_does_not_decide_twice(client, county_admin, pending):
    client.force_login(county_admin)
    url = reverse("teams:leave_decide", args=[pending.pk])
    client.post(url, {"decision": "approve"})
    page = html(client.get(url))
    assert "不能再审批" in page and 'name="decision"' not in page
    response = client.post(url, {"decision": "refuse", "comment": "改主意"})
    assert response.status_code == 200
    assert "不能重复审批" in html(response)
    pending.refresh_from_db()
    assert pending.status == LeaveStatus.APPROVED


def test_it_answers_404_to_the_outsider_and_403_to_the_leader_and_the_auditor(
    client, outsider, nanga_leader, auditor, pending
):
    url = reverse("teams:leave_decide", args=[pending.pk])
    client.force_login(outsider)
    assert client.post(url, {"decision": "approve"}).status_code == 404
    for user in (nanga_leader, auditor):
        client.force_login(user)
        assert client.get(url).status_code == 403
        assert client.post(url, {"decision": "approve"}).status_code == 403
    pending.refresh_from_db()
    assert pending.status == LeaveStatus.PENDING


# -- the list -----------------------------------------------------------------------------------------------


def test_it_filters_the_list_by_status(client, county_admin, pending, member_assignment, nanga_leader):
    approved = LeaveFactory(
        assignment=member_assignment,
        status=LeaveStatus.APPROVED,
        decided_by=county_admin,
        decided_at=timezone.now(),
        requested_by=nanga_leader,
    )
    everything = get(client, county_admin, reverse("teams:leave_list"))
    assert set(everything.context["object_list"]) == {pending, approved}
    waiting = get(client, county_admin, reverse("teams:leave_list"), status=LeaveStatus.PENDING)
    assert list(waiting.context["object_list"]) == [pending]


def test_it_keeps_the_county_leave_from_the_outsider(client, outsider, pending):
    page = html(get(client, outsider, reverse("teams:leave_list")))
    assert "拉巴" not in page
    response = get(client, outsider, reverse("teams:leave_list"), area="540103")
    assert list(response.context["object_list"]) == []


def test_it_shows_the_leader_their_teams_leave_without_a_decide_button(client, nanga_leader, pending, batch):
    other = LeaveFactory(assignment=make_team(within="540103", batch=batch, members=1).assignments.get())
    response = get(client, nanga_leader, reverse("teams:leave_list"))
    assert list(response.context["object_list"]) == [pending]
    assert other not in response.context["object_list"]
    assert reverse("teams:leave_decide", args=[pending.pk]) not in html(response)


def test_it_lets_the_auditor_read_the_leave_list(client, auditor, pending):
    page = html(get(client, auditor, reverse("teams:leave_list")))
    assert "拉巴" in page
    assert reverse("teams:leave_decide", args=[pending.pk]) not in page


def test_it_runs_as_many_queries_for_twenty_leaves_as_for_three(
    client, county_admin, nanga_team, django_assert_max_num_queries
):
    assignments = list(nanga_team.assignments.all())

    def add(count):
        for index in range(count):
            existing = Leave.objects.count()
            start = nanga_team.start_date + datetime.timedelta(days=10 * (existing + 1))
            LeaveFactory(
                assignment=assignments[index % len(assignments)],
                start_date=start,
                end_date=start + datetime.timedelta(days=2),
            )

    add(3)
    client.force_login(county_admin)
    with CaptureQueriesContext(connection) as three:
        assert len(client.get(reverse("teams:leave_list")).context["object_list"]) == 3
    add(17)
    with django_assert_max_num_queries(len(three)):
        assert len(client.get(reverse("teams:leave_list")).context["object_list"]) == 20
