"""The leave-requests API: the leader of the team in 南嘎居委会 asks leave for a member, the county admin of
堆龙德庆区 approves or refuses it with a reason, the outsider from 比如县 never sees it."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from teams.choices import AssignmentRole, LeaveStatus
from teams.models import Leave
from tests.factories import LeaveFactory, UserFactory, free_village, make_team

LEAVE = "/api/v1/leave-requests/"


@pytest.fixture
def api():
    def signed_in(user) -> APIClient:
        client = APIClient()
        client.force_login(user)
        return client

    return signed_in


@pytest.fixture
def member(nanga_team):
    """A 队员's assignment in the team in 南嘎居委会."""
    return nanga_team.assignments.filter(role=AssignmentRole.MEMBER).first()


@pytest.fixture
def pending(member, nanga_leader) -> Leave:
    """A week of leave starting in ten days, asked by the leader, waiting for the county."""
    start = timezone.localdate() + datetime.timedelta(days=10)
    return LeaveFactory(
        assignment=member, requested_by=nanga_leader, start_date=start, end_date=start + datetime.timedelta(days=6)
    )


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def week(days_from_today: int = 10) -> dict:
    start = timezone.localdate() + datetime.timedelta(days=days_from_today)
    return {"start_date": start.isoformat(), "end_date": (start + datetime.timedelta(days=6)).isoformat()}


# -- requesting ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_lets_the_team_leader_request_leave_for_a_member(api, nanga_leader, member, county_admin):
    body = {"assignment": member.pk, "leave_type": "leave", "reason": "家中老人生病", **week()}
    # Fields nobody may set through the API are ignored.
    body |= {"status": "approved", "requested_by": county_admin.pk, "decided_by": county_admin.pk}

    response = api(nanga_leader).post(LEAVE, body, format="json")

    assert response.status_code == 201, response.content
    leave = Leave.objects.get(pk=response.json()["id"])
    assert (leave.assignment, leave.status, leave.requested_by, leave.decided_by) == (
        member,
        LeaveStatus.PENDING,
        nanga_leader,
        None,
    )
    assert leave.reason == "家中老人生病"
    assert response.json()["status_display"] == "待审批"
    assert response.json()["cadre_name"] == member.cadre.name


@pytest.mark.django_db
def test_it_asks_for_the_missing_reason_in_chinese(api, nanga_leader, member):
    response = api(nanga_leader).post(LEAVE, {"assignment": member.pk, **week()}, format="json")

    assert response.status_code == 400
    assert response.json() == {"reason": ["该字段是必填项。"]}
    assert not Leave.objects.exists()


@pytest.mark.django_db
def test_it_refuses_a_blank_reason(api, nanga_leader, member):
    response = api(nanga_leader).post(LEAVE, {"assignment": member.pk, "reason": "   ", **week()}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["reason"]
    assert not Leave.objects.exists()


@pytest.mark.django_db
def test_it_refuses_leave_that_ends_before_it_starts(api, nanga_leader, member):
    start = timezone.localdate() + datetime.timedelta(days=10)
    body = {"assignment": member.pk, "reason": "探亲", "start_date": start, "end_date": start - datetime.timedelta(1)}

    response = api(nanga_leader).post(LEAVE, body, format="json")

    assert response.status_code == 400
    assert response.json() == {"end_date": ["结束日期不能早于开始日期。"]}
    assert not Leave.objects.exists()


@pytest.mark.django_db
def test_it_refuses_overlapping_leave(api, nanga_leader, pending):
    body = {"assignment": pending.assignment_id, "reason": "探亲", **week(days_from_today=12)}

    response = api(nanga_leader).post(LEAVE, body, format="json")

    assert response.status_code == 400
    assert response.json() == {"start_date": ["该时段与已有的请假重叠。"]}
    assert Leave.objects.count() == 1


@pytest.mark.django_db
def test_it_refuses_the_county_admin_and_the_auditor_to_request_leave(api, county_admin, auditor, member):
    body = {"assignment": member.pk, "reason": "探亲", **week()}

    assert api(county_admin).post(LEAVE, body, format="json").status_code == 403
    assert api(auditor).post(LEAVE, body, format="json").status_code == 403
    assert not Leave.objects.exists()


@pytest.mark.django_db
def test_it_refuses_the_outsider_leave_for_a_member_it_cannot_see(api, outsider, member):
    response = api(outsider).post(LEAVE, {"assignment": member.pk, "reason": "探亲", **week()}, format="json")

    assert response.status_code == 400
    assert "assignment" in response.json()
    assert not Leave.objects.exists()


# -- reading ------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_lists_leave_in_scope(api, county_admin, nanga_leader, auditor, outsider, pending, naipu, batch):
    theirs = LeaveFactory(assignment=make_team(village=naipu, batch=batch, members=1).assignments.get())

    assert ids(api(county_admin).get(LEAVE)) == {pending.pk}
    assert ids(api(nanga_leader).get(LEAVE)) == {pending.pk}
    assert ids(api(auditor).get(LEAVE)) == {pending.pk, theirs.pk}
    assert ids(api(outsider).get(LEAVE)) == {theirs.pk}
    assert ids(api(county_admin).get(LEAVE, {"status": "pending", "team": pending.assignment.team_id})) == {pending.pk}


@pytest.mark.django_db
def test_it_hides_leave_of_another_county_from_the_outsider(api, outsider, pending):
    client = api(outsider)

    assert client.get(f"{LEAVE}{pending.pk}/").status_code == 404
    assert client.post(f"{LEAVE}{pending.pk}/approve/", {}, format="json").status_code == 404
    assert client.post(f"{LEAVE}{pending.pk}/cancel/").status_code == 404
    assert client.get(LEAVE, {"area": "540103"}).status_code == 400
    assert Leave.objects.get(pk=pending.pk).status == LeaveStatus.PENDING


@pytest.mark.django_db
def test_it_lists_leave_in_a_constant_number_of_queries(api, county_admin, batch, django_assert_num_queries):
    for _ in range(15):
        team = make_team(village=free_village(batch=batch, within="540103"), batch=batch, members=2)
        for assignment in team.assignments.all():
            LeaveFactory(assignment=assignment, requested_by=UserFactory())
    client = api(county_admin)
    client.get(LEAVE, {"page_size": 1})

    with CaptureQueriesContext(connection) as three:
        assert len(ids(client.get(LEAVE, {"page_size": 3}))) == 3
    with django_assert_num_queries(len(three)):
        assert len(ids(client.get(LEAVE, {"page_size": 30}))) == 30


# -- deciding -----------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_lets_the_county_admin_approve(api, county_admin, pending):
    response = api(county_admin).post(f"{LEAVE}{pending.pk}/approve/", {"comment": "同意"}, format="json")

    assert response.status_code == 200, response.content
    leave = Leave.objects.get(pk=pending.pk)
    assert (leave.status, leave.decided_by, leave.decision_comment) == (LeaveStatus.APPROVED, county_admin, "同意")
    assert response.json()["decided_by_name"] == (county_admin.get_full_name() or county_admin.username)


@pytest.mark.django_db
def test_it_asks_for_a_reason_to_refuse(api, county_admin, pending):
    response = api(county_admin).post(f"{LEAVE}{pending.pk}/refuse/", {}, format="json")

    assert response.status_code == 400
    assert response.json() == {"comment": ["不同意时请填写理由。"]}
    assert Leave.objects.get(pk=pending.pk).status == LeaveStatus.PENDING


@pytest.mark.django_db
def test_it_refuses_with_the_reason(api, county_admin, pending):
    response = api(county_admin).post(f"{LEAVE}{pending.pk}/refuse/", {"comment": "村里正值换届"}, format="json")

    assert response.status_code == 200, response.content
    leave = Leave.objects.get(pk=pending.pk)
    assert (leave.status, leave.decision_comment) == (LeaveStatus.REFUSED, "村里正值换届")


@pytest.mark.django_db
def test_it_does_not_decide_twice(api, county_admin, pending):
    client = api(county_admin)
    client.post(f"{LEAVE}{pending.pk}/approve/", {}, format="json")

    response = client.post(f"{LEAVE}{pending.pk}/refuse/", {"comment": "改变主意"}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["non_field_errors"]
    assert Leave.objects.get(pk=pending.pk).status == LeaveStatus.APPROVED


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["nanga_leader", "auditor"])
def test_it_refuses_the_decision_to_those_who_may_not_decide(api, request, who, pending):
    client = api(request.getfixturevalue(who))

    assert client.post(f"{LEAVE}{pending.pk}/approve/", {}, format="json").status_code == 403
    assert client.post(f"{LEAVE}{pending.pk}/refuse/", {"comment": "不行"}, format="json").status_code == 403
    assert Leave.objects.get(pk=pending.pk).status == LeaveStatus.PENDING


@pytest.mark.django_db
def test_it_has_no_way_to_edit_or_delete_leave(api, county_admin, pending):
    client = api(county_admin)

    assert client.patch(f"{LEAVE}{pending.pk}/", {"status": "approved"}, format="json").status_code == 405
    assert client.delete(f"{LEAVE}{pending.pk}/").status_code == 405
    assert Leave.objects.get(pk=pending.pk).status == LeaveStatus.PENDING


# -- cancelling ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_lets_the_team_leader_cancel_leave_that_has_not_started(api, nanga_leader, pending):
    response = api(nanga_leader).post(f"{LEAVE}{pending.pk}/cancel/")

    assert response.status_code == 200, response.content
    assert Leave.objects.get(pk=pending.pk).status == LeaveStatus.CANCELLED


@pytest.mark.django_db
def test_it_refuses_the_auditor_to_cancel(api, auditor, pending):
    assert api(auditor).post(f"{LEAVE}{pending.pk}/cancel/").status_code == 403
    assert Leave.objects.get(pk=pending.pk).status == LeaveStatus.PENDING


@pytest.mark.django_db
def test_it_does_not_cancel_leave_that_has_started(api, nanga_leader, member):
    started = LeaveFactory(
        assignment=member,
        requested_by=nanga_leader,
        start_date=timezone.localdate() - datetime.timedelta(days=1),
        end_date=timezone.localdate() + datetime.timedelta(days=5),
    )

    response = api(nanga_leader).post(f"{LEAVE}{started.pk}/cancel/")

    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["只能撤销尚未开始的请假。"]}
    assert Leave.objects.get(pk=started.pk).status == LeaveStatus.PENDING
