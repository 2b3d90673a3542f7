"""Time to save, submit and approve a monthly report through the API, p50/p95 over N reports.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zhucun_dev .venv/bin/python benchmarks/report_workflow.py -n 200

Takes N draft reports of the demo's current month, and for each: the team leader PATCHes every indicator
(last month's approved values, so no warning needs a note) and the summary, then submits; the county admin
approves with If-Match. In-process (Django test client: the whole stack without the network). Everything
runs inside one transaction that is rolled back at the end, so the demo database is left as it was.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhucun.settings")

import django

django.setup()

import logging  # noqa: E402

from django.conf import settings  # noqa: E402
from django.db import connection, reset_queries, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from reports.choices import ReportStatus  # noqa: E402
from reports.models import MonthlyReport, ReportValue  # noqa: E402
from reports.periods import add_months  # noqa: E402
from zhucun.choices import Role  # noqa: E402
from zhucun.models import UserRole  # noqa: E402

logging.disable(logging.INFO)


class Rollback(Exception):
    pass


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=200)
    args = parser.parse_args()
    settings.ALLOWED_HOSTS = ["*"]
    drafts = list(
        MonthlyReport.objects.filter(status=ReportStatus.DRAFT)
        .order_by("-month", "team__village_id")
        .select_related("team")[: args.n]
    )
    leaders = dict(UserRole.objects.filter(role=Role.TEAM_LEADER).values_list("team_id", "user"))
    county_admins = dict(UserRole.objects.filter(role=Role.COUNTY_ADMIN).values_list("area_id", "user"))
    timings: dict[str, list[float]] = {"save (PATCH)": [], "submit": [], "approve": []}
    queries: dict[str, int] = {}
    try:
        with transaction.atomic():
            for report in drafts:
                previous = dict(
                    ReportValue.objects.filter(
                        report__team=report.team, report__month=add_months(report.month, -1), value__isnull=False
                    ).values_list("indicator__code", "value")
                )
                leader, admin = Client(), Client()
                leader.force_login(_user(leaders[report.team_id]))
                admin.force_login(_user(county_admins[report.team.village_id[:6]]))
                url = f"/api/v1/monthly-reports/{report.pk}/"
                body = {"values": {code: str(value) for code, value in previous.items()}, "summary": "本月工作小结。"}
                for label, call in _steps(leader=leader, admin=admin, url=url, body=body, pk=report.pk):
                    reset_queries()
                    with CaptureQueriesContext(connection) as captured:
                        started = time.perf_counter()
                        response = call()
                        timings[label].append((time.perf_counter() - started) * 1000)
                    queries[label] = len(captured.captured_queries)
                    if response.status_code != 200:
                        raise SystemExit(f"{label} of {report.pk}: {response.status_code} {response.content[:300]}")
            raise Rollback
    except Rollback:
        pass
    database = settings.DATABASES["default"]
    print(f"database: {database['ENGINE'].rsplit('.', 1)[-1]} {database['NAME']}; {len(drafts)} reports (rolled back)")
    print(f"{'step':<14} {'queries':>7} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for label, values in timings.items():
        print(
            f"{label:<14} {queries.get(label, 0):>7} {statistics.median(values):>8.1f} "
            f"{percentile(values, 0.95):>8.1f} {max(values):>8.1f}"
        )


def _steps(*, leader: Client, admin: Client, url: str, body: dict, pk: int) -> list:
    def approve():
        etag = f'W/"report-{pk}-v{_version(pk)}"'
        return admin.post(url + "approve/", content_type="application/json", headers={"If-Match": etag})

    return [
        ("save (PATCH)", lambda: leader.patch(url, body, content_type="application/json")),
        ("submit", lambda: leader.post(url + "submit/", content_type="application/json")),
        ("approve", approve),
    ]


def _user(pk: int):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(pk=pk)


def _version(pk: int) -> int:
    return MonthlyReport.objects.values_list("version", flat=True).get(pk=pk)


if __name__ == "__main__":
    main()
