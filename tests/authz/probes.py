"""What the matrix asks of each URL pattern: one or more requests (method, URL arguments, body) built from the
world. Keyed by the URL pattern's full name (namespace:name); tests/test_authz_matrix.py holds the expected
outcome of each (probe, role) pair."""

from collections.abc import Callable
from dataclasses import dataclass, field

from tests.authz.world import DOILUNGDEQEN, NANGA, World


@dataclass(frozen=True)
class Probe:
    method: str = "get"
    kwargs: Callable[[World], dict] = field(default=lambda w: {})
    data: Callable[[World], dict] | None = None
    label: str = ""  # told apart when a pattern has several probes
    query: Callable[[World], dict] | None = None
    # For requests that answer the same to everyone (bulk actions, "mark all read"): whether the request changed
    # the world's object; the outcome then reads "302+" (changed) or "302" (left alone).
    effect: Callable[[World], bool] | None = None


def get(kwargs=lambda w: {}, query=None, label="") -> Probe:
    return Probe("get", kwargs, None, label or "GET", query)


def post(kwargs=lambda w: {}, data=lambda w: {}, label="", effect=None) -> Probe:
    return Probe("post", kwargs, data, label or "POST", None, effect)


def patch(kwargs, data, label="") -> Probe:
    return Probe("patch", kwargs, data, label or "PATCH")


def put(kwargs, data, label="") -> Probe:
    return Probe("put", kwargs, data, label or "PUT")


def delete(kwargs, label="") -> Probe:
    return Probe("delete", kwargs, None, label or "DELETE")


def pk(attribute: str) -> Callable[[World], dict]:
    return lambda w: {"pk": getattr(w, attribute).pk}


TEAM = pk("team")
CADRE = pk("cadre")

_month = {"period_kind": "month", "period": "2025-11"}


def _approved(w: World) -> bool:
    from reports.models import MonthlyReport

    return MonthlyReport.objects.get(pk=w.submitted.pk).status == "approved"


def _notification_read(w: World) -> bool:
    from reports.models import Notification

    return Notification.objects.get(pk=w.notification.pk).read_at is not None


def _indicator_payload(w: World) -> dict:
    from reports.models import Indicator

    model = Indicator.objects.get(code="P02")
    return {
        "code": "Z99",
        "name": "测试指标",
        "unit": "次",
        "category": model.category,
        "value_type": model.value_type,
        "time_aggregation": model.time_aggregation,
    }


def _team_payload(w: World) -> dict:
    return {"batch": w.batch.pk, "village": w.free_village.code, "unit": w.team.unit_id}


def _cadre_payload(w: World) -> dict:
    from tests.factories import id_number

    number = id_number(area=DOILUNGDEQEN, birth=__import__("datetime").date(1991, 1, 2), serial=999, male=True)
    return {"name": "扎西", "gender": "M", "id_number": number, "home_unit": w.team.unit_id, "area": DOILUNGDEQEN}


PROBES: dict[str, list[Probe]] = {
    # -- site pages ----------------------------------------------------------------------------------------------
    "home": [get()],
    "login": [get()],
    "logout": [post()],
    "password_change": [get()],
    "password_change_done": [get()],
    "two_factor": [get()],
    "two_factor_verify": [get()],
    "two_factor_enrol": [get()],
    "two_factor_recovery_codes": [post()],
    "villages:list": [get()],
    "villages:detail": [get(lambda w: {"code": NANGA})],
    "teams:list": [get()],
    "teams:create": [get()],
    "teams:detail": [get(TEAM)],
    "teams:update": [get(TEAM)],
    "teams:set_leader": [get(TEAM)],
    "teams:assignment_create": [get(TEAM)],
    "teams:assignment_end": [get(pk("assignment"))],
    "teams:cadre_list": [get()],
    "teams:cadre_create": [get()],
    "teams:cadre_detail": [get(CADRE)],
    "teams:cadre_update": [get(CADRE)],
    "teams:cadre_reveal_id": [post(CADRE)],
    "teams:leave_list": [get()],
    "teams:leave_create": [get()],
    "teams:leave_decide": [get(pk("leave"))],
    "reports:report_list": [get()],
    "reports:report": [get(pk("open_draft"))],
    "reports:review": [get(pk("submitted"))],
    "reports:report_month": [get(lambda w: {"team_id": w.team.pk, "month": "2026-02"})],
    "reports:review_queue": [get()],
    "reports:approve_many": [post(data=lambda w: {"report": [w.submitted.pk]}, effect=_approved)],
    "reports:overdue": [get()],
    "reports:activity_list": [get()],
    "reports:activity_create": [get()],
    "reports:activity_update": [get(pk("activity"))],
    "reports:activity_delete": [get(pk("activity"))],
    "reports:indicator_list": [get()],
    "reports:indicator_create": [get()],
    "reports:indicator_move": [post(data=lambda w: {"code": "P02", "direction": "down"})],
    "reports:indicator_update": [get(lambda w: {"code": "P02"})],
    "reports:indicator_retire": [get(lambda w: {"code": "P02"})],
    "reports:notifications": [get()],
    "reports:notifications_read_all": [post(effect=_notification_read)],
    "reports:notification_read": [post(pk("notification"), effect=_notification_read)],
    "reports:dashboard": [get()],
    "exports:index": [get()],
    "exports:download": [get(pk("export"))],
    "exports:roster_import": [get()],
    "exports:roster_template": [get()],
    "exports:roster_import_result": [get(pk("roster_import"))],
    "exports:roster_marked": [get(pk("roster_import"))],
    "healthz": [get()],
    # -- API -----------------------------------------------------------------------------------------------------
    "api:api-root": [get()],
    "api-schema": [get()],
    "api-docs": [get()],
    "api:me": [get()],
    "api:token": [post(data=lambda w: {})],
    "api:stats-options": [get()],
    "api:stats-totals": [get(query=lambda w: {"area": DOILUNGDEQEN, **_month})],
    "api:stats-breakdown": [get(query=lambda w: {"area": DOILUNGDEQEN, **_month})],
    "api:stats-trend": [get(query=lambda w: {"area": DOILUNGDEQEN, "indicator": "P02"})],
    "api:stats-units": [get(query=lambda w: {"area": DOILUNGDEQEN, **_month})],
    "api:stats-completeness": [get(query=lambda w: {"area": DOILUNGDEQEN, "month": "2025-11"})],
    "api:area-list": [get()],
    "api:area-detail": [get(lambda w: {"code": NANGA})],
    "api:dispatching-unit-list": [get()],
    "api:dispatching-unit-detail": [get(lambda w: {"pk": w.team.unit_id})],
    "api:batch-list": [get()],
    "api:batch-detail": [get(pk("batch"))],
    "api:work-team-list": [get(), post(data=_team_payload)],
    "api:work-team-detail": [
        get(TEAM),
        patch(TEAM, lambda w: {"name": "改名的工作队"}),
        put(TEAM, lambda w: {"batch": w.batch.pk, "village": NANGA, "unit": w.team.unit_id, "name": "改名"}),
    ],
    "api:work-team-set-leader": [post(TEAM, lambda w: {"cadre": w.cadre.pk})],
    "api:cadre-list": [get(), post(data=_cadre_payload)],
    "api:cadre-access-log": [get()],
    "api:cadre-detail": [
        get(CADRE),
        patch(CADRE, lambda w: {"post": "副科长"}),
        put(CADRE, lambda w: {"name": w.cadre.name, "gender": w.cadre.gender, "home_unit": w.cadre.home_unit_id}),
    ],
    "api:cadre-reveal-id-number": [post(CADRE)],
    "api:assignment-list": [
        get(),
        post(
            data=lambda w: {"cadre": w.free_cadre.pk, "team": w.team.pk, "role": "member", "start_date": "2026-03-01"}
        ),
    ],
    "api:assignment-detail": [get(pk("assignment"))],
    "api:assignment-end": [post(pk("assignment"), lambda w: {"status": "recalled", "end_date": "2026-03-02"})],
    "api:leave-request-list": [
        get(),
        post(
            data=lambda w: {
                "assignment": w.assignment.pk,
                "leave_type": "leave",
                "start_date": "2026-05-01",
                "end_date": "2026-05-03",
                "reason": "探亲",
            }
        ),
    ],
    "api:leave-request-detail": [get(pk("leave"))],
    "api:leave-request-approve": [post(pk("leave"), lambda w: {"comment": "同意"})],
    "api:leave-request-refuse": [post(pk("leave"), lambda w: {"comment": "不同意"})],
    "api:leave-request-cancel": [post(pk("leave"))],
    "api:activity-type-list": [get()],
    "api:activity-type-detail": [get(lambda w: {"pk": w.activity.activity_type_id})],
    "api:indicator-list": [
        get(),
        post(data=_indicator_payload),
    ],
    "api:indicator-reorder": [post(data=lambda w: {"codes": ["P02", "P01"]})],
    "api:indicator-detail": [
        get(lambda w: {"code": "P02"}),
        patch(lambda w: {"code": "P02"}, lambda w: {"name": "改"}),
    ],
    "api:indicator-retire": [post(lambda w: {"code": "P02"}, lambda w: {"last_batch": w.batch.pk})],
    "api:activity-list": [
        get(),
        post(
            data=lambda w: {
                "team": w.team.pk,
                "activity_type": w.activity.activity_type_id,
                "date": "2026-03-02",
                "title": "入户走访",
                "participants": 3,
            }
        ),
    ],
    "api:activity-detail": [
        get(pk("activity")),
        patch(pk("activity"), lambda w: {"title": "入户走访（补记）"}),
        delete(pk("activity")),
    ],
    "api:monthly-report-list": [get(), post(data=lambda w: {"team": w.team.pk, "month": "2026-03"})],
    "api:monthly-report-approve-many": [post(data=lambda w: {"ids": [w.submitted.pk]}, effect=_approved)],
    "api:monthly-report-detail": [
        get(pk("open_draft")),
        patch(pk("open_draft"), lambda w: {"values": {"P02": "4"}}),
    ],
    "api:monthly-report-submit": [post(pk("draft"))],
    "api:monthly-report-approve": [post(pk("submitted"))],
    "api:monthly-report-return": [post(pk("submitted"), lambda w: {"comment": "请补充说明。"})],
    "api:monthly-report-reopen": [post(pk("approved"), lambda w: {"reason": "数据有误，重新填报。"})],
    "api:review-queue-list": [get()],
    "api:notification-list": [get()],
    "api:notification-detail": [get(pk("notification"))],
    "api:notification-mark-read": [post(pk("notification"), effect=_notification_read)],
    "api:notification-mark-all-read": [post(effect=_notification_read)],
    "api:export-job-list": [get(), post(data=lambda w: {"kind": "summary", **_month})],
    "api:export-job-detail": [get(pk("export"))],
    "api:export-job-download": [get(pk("export"))],
    "api:roster-import-list": [get()],
    "api:roster-import-template": [get()],
    "api:roster-import-detail": [get(pk("roster_import"))],
    "api:roster-import-marked": [get(pk("roster_import"))],
}
