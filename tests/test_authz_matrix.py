"""The authorization matrix (issue 8 part 1): every URL pattern of the site and the API, asked by every role
inside and outside its scope, against the outcome the scope rules (SPEC.md, zhucun/scope.py ROLE_ACTIONS) give.

Roles (tests/authz/world.py ROLE_KEYS): R region admin, P/p prefecture admin of 拉萨市/那曲市, C/c county admin of
堆龙德庆区/比如县, A/a auditor of the region/比如县, L/l liaison of the 南嘎 team's unit/another unit, T/t leader
of the 南嘎/耐普 team, M/m member of those teams, X anonymous. Every object probed lies in 南嘎居委会, 堆龙德庆区.

Reading the outcomes: 200/201/204 allowed; 403 the user may see the object (or holds the page's role somewhere)
but not take the action; 404 the object is outside the user's scope (its existence is not disclosed); 302 pages
send an anonymous user to the login page; 400 a refusal through the body (a related id outside the user's scope
reads as "does not exist", the same answer as a missing id). Every request is rolled back, so each pair meets the
same world.

A new URL pattern fails `test_every_url_pattern_is_in_the_matrix` until it gets a probe (tests/authz/probes.py)
and a row here.
"""

import datetime

import pytest
from django.test import Client

from tests.authz.probes import PROBES
from tests.authz.runner import admin_url, format_outcome, parse_expected, send, url_patterns
from tests.authz.world import ROLE_KEYS, build_world

# Per URL pattern name, per probe label: the status each role gets (role order RPpCcAaLlTtMmX). Notes:
# - creates (POST on a list): a role that may create such rows somewhere but names a related row outside its
#   scope gets 400 on that field ("does not exist"); a role that may not create them anywhere gets 403 (work teams,
#   cadres and assignments check that first since this matrix; leave requests still answer 400 there).
# - "+" marks a request that changed the probed object (bulk approve, mark all read): 302/200 without "+" means
#   the user's request went through but left objects outside their scope alone.
# - exports and imports belong to their requester; an admin above may read them, and a file with full ID numbers
#   only if they may see those numbers (P gets 404 for the county admin's roster).
EXPECTED: dict[str, dict[str, str]] = {
    "home": {
        "GET": "R200 P200 p200 C200 c200 A200 a200 L200 l200 T200 t200 M200 m200 X302",
    },
    "login": {
        "GET": "R302 P302 p302 C302 c302 A302 a302 L302 l302 T302 t302 M302 m302 X200",
    },
    "logout": {
        "POST": "R302 P302 p302 C302 c302 A302 a302 L302 l302 T302 t302 M302 m302 X302",
    },
    "password_change": {
        "GET": "R200 P200 p200 C200 c200 A200 a200 L200 l200 T200 t200 M200 m200 X302",
    },
    "password_change_done": {
        "GET": "R200 P200 p200 C200 c200 A200 a200 L200 l200 T200 t200 M200 m200 X302",
    },
    # Two-factor sign-in with ZHUCUN_REQUIRE_2FA off, as here (tests/test_two_factor.py turns it on): nobody owes a
    # code, so the code page sends everyone on; enrolment is open to all; new recovery codes need an authenticator.
    "two_factor": {
        "GET": "R200 P200 p200 C200 c200 A200 a200 L200 l200 T200 t200 M200 m200 X302",
    },
    "two_factor_verify": {
        "GET": "R302 P302 p302 C302 c302 A302 a302 L302 l302 T302 t302 M302 m302 X302",
    },
    "two_factor_enrol": {
        "GET": "R200 P200 p200 C200 c200 A200 a200 L200 l200 T200 t200 M200 m200 X302",
    },
    "two_factor_recovery_codes": {
        "POST": "R302 P302 p302 C302 c302 A302 a302 L302 l302 T302 t302 M302 m302 X302",
    },
    "villages:list": {
        "GET": "R200 P200 p200 C200 c200 A200 a200 L200 l200 T200 t200 M200 m200 X302",
    },
    "villages:detail": {
        "GET": "R200 P200 p404 C200 c404 A200 a404 L200 l404 T200 t404 M200 m404 X302",
    },
    "teams:list": {
        "GET": "R200 P200 p200 C200 c200 A200 a200 L200 l200 T200 t200 M200 m200 X302",
    },
    "teams:create": {
        "GET": "R200 P200 p200 C200 c200 A403 a403 L403 l403 T403 t403 M403 m403 X302",
    },
    "teams:detail": {
        "GET": "R200 P200 p404 C200 c404 A200 a404 L200 l404 T200 t404 M200 m404 X302",
    },
    "teams:update": {
        "GET": "R200 P200 p404 C200 c404 A403 a403 L403 l403 T403 t403 M403 m403 X302",
    },
    "teams:set_leader": {
        "GET": "R200 P200 p404 C200 c404 A403 a403 L403 l403 T403 t403 M403 m403 X302",
    },
    "teams:assignment_create": {
        "GET": "R200 P200 p404 C200 c404 A403 a403 L403 l403 T403 t403 M403 m403 X302",
    },
    "teams:assignment_end": {
        "GET": "R200 P200 p404 C200 c404 A403 a403 L403 l403 T403 t403 M403 m403 X302",
    },
    "teams:cadre_list": {
        "GET": "R200 P200 p200 C200 c200 A200 a200 L200 l200 T200 t200 M200 m200 X302",
    },
    "teams:cadre_create": {
        "GET": "R200 P200 p200 C200 c200 A403 a403 L403 l403 T403 t403 M403 m403 X302",
    },
    "teams:cadre_detail": {
        "GET": "R200 P200 p404 C200 c404 A200 a404 L200 l404 T200 t404 M200 m404 X302",
    },
    "teams:cadre_update": {
        "GET": "R200 P200 p404 C200 c404 A403 a403 L403 l403 T403 t403 M403 m403 X302",
    },
    "teams:cadre_reveal_id": {
        "POST": "R200 P403 p404 C200 c404 A403 a404 L403 l404 T403 t404 M403 m404 X302",
    },
    "teams:leave_list": {
        "GET": "R200 P200 p200 C200 c200 A200 a200 L200 l200 T200 t200 M200 m200 X302",
    },
    "teams:leave_create": {
        "GET": "R403 P403 p403 C403 c403 A403 a403 L403 l403 T200 t200 M403 m403 X302",
    },
    "teams:leave_decide": {
        "GET": "R200 P200 p404 C200 c404 A403 a403 L403 l403 T403 t403 M403 m403 X302",
    },
    "reports:report_list": {
        "GET": "R200 P200 p200 C200 c200 A200 a200 L200 l200 T200 t200 M200 m200 X302",
    },
    "reports:report": {
        "GET": "R200 P200 p404 C200 c404 A200 a404 L200 l404 T200 t404 M200 m404 X302",
    },
    "reports:review": {
        "GET": "R200 P200 p404 C200 c404 A403 a403 L403 l403 T403 t403 M403 m403 X302",
    },
    "reports:report_month": {
        "GET": "R302 P302 p404 C302 c404 A302 a404 L302 l404 T302 t404 M302 m404 X302",
    },
    "reports:review_queue": {
        "GET": "R200 P200 p200 C200 c200 A403 a403 L403 l403 T403 t403 M403 m403 X302",
    },
    "reports:approve_many": {
        "POST": "R302+ P302+ p302 C302+ c302 A403 a403 L403 l403 T403 t403 M403 m403 X302",
    },
    "reports:overdue": {
        "GET": "R200 P200 p200 C200 c200 A200 a200 L403 l403 T403 t403 M403 m403 X302",
    },
    "reports:activity_list": {
        "GET": "R200 P200 p200 C200 c200 A200 a200 L200 l200 T200 t200 M200 m200 X302",
    },
    "reports:activity_create": {
        "GET": "R403 P403 p403 C403 c403 A403 a403 L403 l403 T200 t200 M200 m200 X302",
    },
    "reports:activity_update": {
        "GET": "R403 P403 p404 C403 c404 A403 a404 L403 l404 T200 t404 M200 m404 X302",
    },
    "reports:activity_delete": {
        "GET": "R403 P403 p404 C403 c404 A403 a404 L403 l404 T200 t404 M200 m404 X302",
    },
    "reports:indicator_list": {
        "GET": "R200 P403 p403 C403 c403 A403 a403 L403 l403 T403 t403 M403 m403 X302",
    },
    "reports:indicator_create": {
        "GET": "R200 P403 p403 C403 c403 A403 a403 L403 l403 T403 t403 M403 m403 X302",
    },
    "reports:indicator_move": {
        "POST": "R302 P403 p403 C403 c403 A403 a403 L403 l403 T403 t403 M403 m403 X302",
    },
    "reports:indicator_update": {
        "GET": "R200 P403 p403 C403 c403 A403 a403 L403 l403 T403 t403 M403 m403 X302",
    },
    "reports:indicator_retire": {
        "GET": "R200 P403 p403 C403 c403 A403 a403 L403 l403 T403 t403 M403 m403 X302",
    },
    "reports:notifications": {
        "GET": "R200 P200 p200 C200 c200 A200 a200 L200 l200 T200 t200 M200 m200 X302",
    },
    "reports:notifications_read_all": {
        "POST": "R302 P302 p302 C302 c302 A302 a302 L302 l302 T302+ t302 M302 m302 X302",
    },
    "reports:notification_read": {
        "POST": "R404 P404 p404 C404 c404 A404 a404 L404 l404 T302+ t404 M404 m404 X302",
    },
    "reports:dashboard": {
        "GET": "R200 P200 p200 C200 c200 A200 a200 L200 l200 T403 t403 M403 m403 X302",
    },
    "exports:index": {
        "GET": "R200 P200 p200 C200 c200 A200 a200 L200 l200 T403 t403 M403 m403 X302",
    },
    "exports:download": {
        "GET": "R200 P404 p404 C200 c404 A404 a404 L404 l404 T403 t403 M403 m403 X302",
    },
    "exports:roster_import": {
        "GET": "R200 P200 p200 C200 c200 A403 a403 L403 l403 T403 t403 M403 m403 X302",
    },
    "exports:roster_template": {
        "GET": "R200 P200 p200 C200 c200 A403 a403 L403 l403 T403 t403 M403 m403 X302",
    },
    "exports:roster_import_result": {
        "GET": "R200 P200 p404 C200 c404 A403 a403 L403 l403 T403 t403 M403 m403 X302",
    },
    "exports:roster_marked": {
        "GET": "R200 P200 p404 C200 c404 A403 a403 L403 l403 T403 t403 M403 m403 X302",
    },
    "healthz": {
        "GET": "R200 P200 p200 C200 c200 A200 a200 L200 l200 T200 t200 M200 m200 X200",
    },
    "api:api-root": {
        "GET": "R200 P200 p200 C200 c200 A200 a200 L200 l200 T200 t200 M200 m200 X403",
    },
    "api-schema": {
        "GET": "R200 P200 p200 C200 c200 A200 a200 L200 l200 T200 t200 M200 m200 X403",
    },
    "api-docs": {
        "GET": "R200 P200 p200 C200 c200 A200 a200 L200 l200 T200 t200 M200 m200 X302",
    },
    "api:me": {
        "GET": "R200 P200 p200 C200 c200 A200 a200 L200 l200 T200 t200 M200 m200 X403",
    },
    "api:token": {
        "POST": "R400 P400 p400 C400 c400 A400 a400 L400 l400 T400 t400 M400 m400 X400",
    },
    "api:stats-options": {
        "GET": "R200 P200 p200 C200 c200 A200 a200 L200 l200 T403 t403 M403 m403 X403",
    },
    "api:stats-totals": {
        "GET": "R200 P200 p404 C200 c404 A200 a404 L200 l200 T403 t403 M403 m403 X403",
    },
    "api:stats-breakdown": {
        "GET": "R200 P200 p404 C200 c404 A200 a404 L200 l200 T403 t403 M403 m403 X403",
    },
    "api:stats-trend": {
        "GET": "R200 P200 p404 C200 c404 A200 a404 L200 l200 T403 t403 M403 m403 X403",
    },
    "api:stats-units": {
        "GET": "R200 P200 p404 C200 c404 A200 a404 L200 l200 T403 t403 M403 m403 X403",
    },
    "api:stats-completeness": {
        "GET": "R200 P200 p404 C200 c404 A200 a404 L403 l403 T403 t403 M403 m403 X403",
    },
    "api:area-list": {
        "GET": "R200 P200 p200 C200 c200 A200 a200 L200 l200 T200 t200 M200 m200 X403",
    },
    "api:area-detail": {
        "GET": "R200 P200 p404 C200 c404 A200 a404 L200 l404 T200 t404 M200 m404 X403",
    },
    "api:dispatching-unit-list": {
        "GET": "R200 P200 p200 C200 c200 A200 a200 L200 l200 T200 t200 M200 m200 X403",
    },
    "api:dispatching-unit-detail": {
        "GET": "R200 P200 p200 C200 c200 A200 a200 L200 l404 T200 t404 M200 m404 X403",
    },
    "api:batch-list": {
        "GET": "R200 P200 p200 C200 c200 A200 a200 L200 l200 T200 t200 M200 m200 X403",
    },
    "api:batch-detail": {
        "GET": "R200 P200 p200 C200 c200 A200 a200 L200 l200 T200 t200 M200 m200 X403",
    },
    "api:work-team-list": {
        "GET": "R200 P200 p200 C200 c200 A200 a200 L200 l200 T200 t200 M200 m200 X403",
        "POST": "R201 P201 p400 C201 c400 A403 a403 L403 l403 T403 t403 M403 m403 X403",
    },
    "api:work-team-detail": {
        "GET": "R200 P200 p404 C200 c404 A200 a404 L200 l404 T200 t404 M200 m404 X403",
        "PATCH": "R200 P200 p404 C200 c404 A403 a404 L403 l404 T403 t404 M403 m404 X403",
        "PUT": "R200 P200 p404 C200 c404 A403 a404 L403 l404 T403 t404 M403 m404 X403",
    },
    "api:work-team-set-leader": {
        "POST": "R200 P200 p404 C200 c404 A403 a404 L403 l404 T403 t404 M403 m404 X403",
    },
    "api:cadre-list": {
        "GET": "R200 P200 p200 C200 c200 A200 a200 L200 l200 T200 t200 M200 m200 X403",
        "POST": "R201 P201 p400 C201 c400 A403 a403 L403 l403 T403 t403 M403 m403 X403",
    },
    "api:cadre-access-log": {
        "GET": "R200 P403 p403 C403 c403 A200 a200 L403 l403 T403 t403 M403 m403 X403",
    },
    "api:cadre-detail": {
        "GET": "R200 P200 p404 C200 c404 A200 a404 L200 l404 T200 t404 M200 m404 X403",
        "PATCH": "R200 P200 p404 C200 c404 A403 a404 L403 l404 T403 t404 M403 m404 X403",
        "PUT": "R200 P200 p404 C200 c404 A403 a404 L403 l404 T403 t404 M403 m404 X403",
    },
    "api:cadre-reveal-id-number": {
        "POST": "R200 P403 p404 C200 c404 A403 a404 L403 l404 T403 t404 M403 m404 X403",
    },
    "api:assignment-list": {
        "GET": "R200 P200 p200 C200 c200 A200 a200 L200 l200 T200 t200 M200 m200 X403",
        "POST": "R201 P201 p400 C201 c400 A403 a403 L403 l403 T403 t403 M403 m403 X403",
    },
    "api:assignment-detail": {
        "GET": "R200 P200 p404 C200 c404 A200 a404 L200 l404 T200 t404 M200 m404 X403",
    },
    "api:assignment-end": {
        "POST": "R200 P200 p404 C200 c404 A403 a404 L403 l404 T403 t404 M403 m404 X403",
    },
    "api:leave-request-list": {
        "GET": "R200 P200 p200 C200 c200 A200 a200 L200 l200 T200 t200 M200 m200 X403",
        "POST": "R403 P403 p400 C403 c400 A403 a400 L403 l400 T201 t400 M403 m400 X403",
    },
    "api:leave-request-detail": {
        "GET": "R200 P200 p404 C200 c404 A200 a404 L200 l404 T200 t404 M200 m404 X403",
    },
    "api:leave-request-approve": {
        "POST": "R200 P200 p404 C200 c404 A403 a404 L403 l404 T403 t404 M403 m404 X403",
    },
    "api:leave-request-refuse": {
        "POST": "R200 P200 p404 C200 c404 A403 a404 L403 l404 T403 t404 M403 m404 X403",
    },
    "api:leave-request-cancel": {
        "POST": "R200 P200 p404 C200 c404 A403 a404 L403 l404 T200 t404 M403 m404 X403",
    },
    "api:activity-type-list": {
        "GET": "R200 P200 p200 C200 c200 A200 a200 L200 l200 T200 t200 M200 m200 X403",
    },
    "api:activity-type-detail": {
        "GET": "R200 P200 p200 C200 c200 A200 a200 L200 l200 T200 t200 M200 m200 X403",
    },
    "api:indicator-list": {
        "GET": "R200 P200 p200 C200 c200 A200 a200 L200 l200 T200 t200 M200 m200 X403",
        "POST": "R201 P403 p403 C403 c403 A403 a403 L403 l403 T403 t403 M403 m403 X403",
    },
    "api:indicator-reorder": {
        "POST": "R200 P403 p403 C403 c403 A403 a403 L403 l403 T403 t403 M403 m403 X403",
    },
    "api:indicator-detail": {
        "GET": "R200 P200 p200 C200 c200 A200 a200 L200 l200 T200 t200 M200 m200 X403",
        "PATCH": "R200 P403 p403 C403 c403 A403 a403 L403 l403 T403 t403 M403 m403 X403",
    },
    "api:indicator-retire": {
        "POST": "R200 P403 p403 C403 c403 A403 a403 L403 l403 T403 t403 M403 m403 X403",
    },
    "api:activity-list": {
        "GET": "R200 P200 p200 C200 c200 A200 a200 L200 l200 T200 t200 M200 m200 X403",
        "POST": "R403 P403 p403 C403 c403 A403 a403 L403 l403 T201 t400 M201 m400 X403",
    },
    "api:activity-detail": {
        "GET": "R200 P200 p404 C200 c404 A200 a404 L200 l404 T200 t404 M200 m404 X403",
        "PATCH": "R403 P403 p404 C403 c404 A403 a404 L403 l404 T200 t404 M200 m404 X403",
        "DELETE": "R403 P403 p404 C403 c404 A403 a404 L403 l404 T204 t404 M204 m404 X403",
    },
    "api:monthly-report-list": {
        "GET": "R200 P200 p200 C200 c200 A200 a200 L200 l200 T200 t200 M200 m200 X403",
        "POST": "R403 P403 p403 C403 c403 A403 a403 L403 l403 T201 t400 M403 m403 X403",
    },
    "api:monthly-report-approve-many": {
        "POST": "R200+ P200+ p200 C200+ c200 A403 a403 L403 l403 T403 t403 M403 m403 X403",
    },
    "api:monthly-report-detail": {
        "GET": "R200 P200 p404 C200 c404 A200 a404 L200 l404 T200 t404 M200 m404 X403",
        "PATCH": "R403 P403 p404 C403 c404 A403 a404 L403 l404 T200 t404 M403 m404 X403",
    },
    "api:monthly-report-submit": {
        "POST": "R403 P403 p404 C403 c404 A403 a404 L403 l404 T200 t404 M403 m404 X403",
    },
    "api:monthly-report-approve": {
        "POST": "R200 P200 p404 C200 c404 A403 a404 L403 l404 T403 t404 M403 m404 X403",
    },
    "api:monthly-report-return": {
        "POST": "R200 P200 p404 C200 c404 A403 a404 L403 l404 T403 t404 M403 m404 X403",
    },
    "api:monthly-report-reopen": {
        "POST": "R200 P200 p404 C200 c404 A403 a404 L403 l404 T403 t404 M403 m404 X403",
    },
    "api:review-queue-list": {
        "GET": "R200 P200 p200 C200 c200 A403 a403 L403 l403 T403 t403 M403 m403 X403",
    },
    "api:notification-list": {
        "GET": "R200 P200 p200 C200 c200 A200 a200 L200 l200 T200 t200 M200 m200 X403",
    },
    "api:notification-detail": {
        "GET": "R404 P404 p404 C404 c404 A404 a404 L404 l404 T200 t404 M404 m404 X403",
    },
    "api:notification-mark-read": {
        "POST": "R404 P404 p404 C404 c404 A404 a404 L404 l404 T200+ t404 M404 m404 X403",
    },
    "api:notification-mark-all-read": {
        "POST": "R200 P200 p200 C200 c200 A200 a200 L200 l200 T200+ t200 M200 m200 X403",
    },
    "api:export-job-list": {
        "GET": "R200 P200 p200 C200 c200 A200 a200 L200 l200 T200 t200 M200 m200 X403",
        "POST": "R201 P201 p201 C201 c201 A201 a201 L201 l201 T403 t403 M403 m403 X403",
    },
    "api:export-job-detail": {
        "GET": "R200 P404 p404 C200 c404 A404 a404 L404 l404 T404 t404 M404 m404 X403",
    },
    "api:export-job-download": {
        "GET": "R200 P404 p404 C200 c404 A404 a404 L404 l404 T404 t404 M404 m404 X403",
    },
    "api:roster-import-list": {
        "GET": "R200 P200 p200 C200 c200 A200 a200 L200 l200 T200 t200 M200 m200 X403",
    },
    "api:roster-import-template": {
        "GET": "R200 P200 p200 C200 c200 A403 a403 L403 l403 T403 t403 M403 m403 X403",
    },
    "api:roster-import-detail": {
        "GET": "R200 P200 p404 C200 c404 A404 a404 L404 l404 T404 t404 M404 m404 X403",
    },
    "api:roster-import-marked": {
        "GET": "R200 P200 p404 C200 c404 A404 a404 L404 l404 T404 t404 M404 m404 X403",
    },
}

# Patterns deliberately outside the matrix, with the reason.
NOT_PROBED = {
    # The Django admin is checked as a whole below (staff only: everybody else is sent to its login page).
}


def test_every_url_pattern_is_in_the_matrix():
    names = {name for name, route in url_patterns() if not route.startswith("admin/")}
    unknown = sorted(names - set(PROBES) - set(NOT_PROBED))
    assert not unknown, (
        f"URL patterns without an authorization probe: {unknown}. Add a probe to tests/authz/probes.py and the "
        "expected outcome per role to EXPECTED in tests/test_authz_matrix.py."
    )
    stale = sorted(set(PROBES) - names)
    assert not stale, f"Probes for URL patterns that no longer exist: {stale}"
    unexpected = sorted(set(PROBES) - set(EXPECTED))
    assert not unexpected, f"Probes without an expected outcome in EXPECTED: {unexpected}"
    for name, probes in PROBES.items():
        labels = [probe.label for probe in probes]
        assert sorted(labels) == sorted(EXPECTED[name]), f"{name}: probes {labels} vs expected {list(EXPECTED[name])}"
        for text in EXPECTED[name].values():
            parse_expected(text)


@pytest.mark.django_db
def test_every_role_gets_what_its_scope_allows(time_machine, settings, tmp_path, capsys):
    settings.MEDIA_ROOT = tmp_path
    time_machine.move_to(datetime.datetime(2026, 3, 3, 10, 0, tzinfo=datetime.UTC), tick=False)
    world = build_world()
    wrong = []
    observed_table = {}
    pairs = 0
    for name, probes in PROBES.items():
        for probe in probes:
            observed = {role: send(world, name, probe, role) for role in ROLE_KEYS}
            pairs += len(observed)
            observed_table.setdefault(name, {})[probe.label] = format_outcome(observed)
            expected_text = EXPECTED.get(name, {}).get(probe.label)
            if expected_text is None:
                wrong.append(f"{name} {probe.label}: no expected outcome; observed {format_outcome(observed)}")
                continue
            expected = parse_expected(expected_text)
            for role, status in observed.items():
                if status != expected[role]:
                    wrong.append(f"{name} {probe.label}: {ROLE_KEYS[role]} got {status}, expected {expected[role]}")
    with capsys.disabled():
        print(f"\nauthorization matrix: {pairs} (role, endpoint) pairs checked over {len(PROBES)} URL patterns")
        if wrong:
            for name, rows in observed_table.items():
                print(f"    {name!r}: {{")
                for label, text in rows.items():
                    print(f"        {label!r}: {text!r},")
                print("    },")
    assert not wrong, "\n".join(wrong)


@pytest.mark.django_db
def test_the_django_admin_is_for_staff_only(capsys):
    """Every admin URL sends each role-holder who is not staff, and anonymous users, to the admin's login page;
    nothing of the admin is rendered for them. (Its login page answers everybody; its logout is left out, as it
    would end the session the next requests are made in.)"""
    world = _admin_world()
    routes = sorted({route for name, route in url_patterns() if name.startswith("admin:") and name != "admin:logout"})
    assert len(routes) > 50
    pairs = 0
    wrong = []
    for role, user in world.items():
        client = Client(raise_request_exception=False)
        if user is not None:
            client.force_login(user)
        for route in routes:
            url = admin_url(route)
            response = client.get(url)
            pairs += 1
            if url == "/admin/login/":
                if response.status_code != 200:
                    wrong.append(f"{role} GET {url}: {response.status_code}")
            elif response.status_code != 302 or not response["Location"].startswith("/admin/login/"):
                wrong.append(f"{role} GET {url}: {response.status_code}")
    with capsys.disabled():
        print(f"\nauthorization matrix (admin): {pairs} (role, endpoint) pairs checked over {len(routes)} admin routes")
    assert not wrong, "\n".join(wrong)


def _admin_world() -> dict:
    from tests.factories import UserRoleFactory
    from villages.models import Area
    from zhucun.choices import Role

    users = {"X": None}
    for role, code in ((Role.REGION_ADMIN, "54"), (Role.COUNTY_ADMIN, "540103"), (Role.AUDITOR, "54")):
        users[role] = UserRoleFactory(role=role, area=Area.objects.get(code=code)).user
    for role in (Role.UNIT_LIAISON, Role.TEAM_LEADER):
        users[role] = UserRoleFactory(role=role).user
    return users
