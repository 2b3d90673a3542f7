"""The statistics rollup at size: full rebuild, one approval's update and the stats endpoints, each next to its bound.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zhucun_bench .venv/bin/python benchmarks/rollup.py
    ... benchmarks/rollup.py --batch 10          # the batch to rebuild (default: the last)
    ... benchmarks/rollup.py --all-batches       # also rebuild every batch, one after the other
    ... benchmarks/rollup.py --skip-rebuild      # only the update and the endpoints (the store must be built)
    ... benchmarks/rollup.py --month 2026-06     # one month's figures alone (the country's figure of issue 7)

Load the data first with benchmarks/generate.py (the region: 5,500 teams, 12 months, all indicators, per batch).
Printed, for the issue 5 and 7 figures:

- rebuild: `rebuild_batch` of one batch (every period, level and cut, written), next to the lower bound: one plain
  `SELECT indicator_id, SUM(value) … GROUP BY indicator_id` over the same approved values (best of three), and
  their ratio;
- update: one approval's work as the Celery job does it (`refresh_figures_for_report`: the figures the report
  touches and the month's completeness), on reports picked at random, p50/p95/max;
- endpoints: p50/p95 of each /api/v1/stats/ endpoint for a region admin, in-process (the whole Django stack, no
  network), at region, prefecture, county and township level.

The database is changed: the batch's figures are rewritten (with the same values) and nothing else.
"""

import argparse
import datetime
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhucun.settings")

import django

django.setup()

import logging  # noqa: E402

logging.disable(logging.INFO)

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from reports.choices import ReportStatus  # noqa: E402
from reports.models import Figure, MonthlyReport  # noqa: E402
from reports.rollup import batch_periods, rebuild_batch, refresh_for_report  # noqa: E402
from reports.tasks import refresh_figures_for_report  # noqa: E402
from teams.models import Batch  # noqa: E402
from villages.models import Area  # noqa: E402
from zhucun.choices import Role  # noqa: E402
from zhucun.models import UserRole  # noqa: E402

BENCH_USER = "bench_region_admin"


class StatementCounter:
    """A database execute wrapper counting the statements (the test client closes connections between requests,
    so Django's query log is not kept)."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def group_by_bound(batch: Batch) -> tuple[float, int]:
    """The lower bound: one plain GROUP BY over the batch's approved values (best of three), and their number."""
    sql = """SELECT v.indicator_id, SUM(v.value), COUNT(*) FROM reports_reportvalue v
             JOIN reports_monthlyreport r ON r.id = v.report_id
             JOIN teams_workteam t ON t.id = r.team_id
             WHERE t.batch_id = %s AND r.status = %s AND v.value IS NOT NULL
             GROUP BY v.indicator_id"""
    best, values = float("inf"), 0
    with connection.cursor() as cursor:
        for _ in range(3):
            started = time.perf_counter()
            cursor.execute(sql, [batch.pk, ReportStatus.APPROVED])
            rows = cursor.fetchall()
            best = min(best, time.perf_counter() - started)
            values = sum(row[2] for row in rows)
    return best, values


def rebuild_month(batch: Batch, month: datetime.date) -> None:
    """One month's figures at every level and cut (the month period alone), next to a GROUP BY over its values."""
    sql = """SELECT v.indicator_id, SUM(v.value), COUNT(*) FROM reports_reportvalue v
             JOIN reports_monthlyreport r ON r.id = v.report_id
             JOIN teams_workteam t ON t.id = r.team_id
             WHERE t.batch_id = %s AND r.status = %s AND r.month = %s AND v.value IS NOT NULL
             GROUP BY v.indicator_id"""
    best, values = float("inf"), 0
    with connection.cursor() as cursor:
        for _ in range(3):
            started = time.perf_counter()
            cursor.execute(sql, [batch.pk, ReportStatus.APPROVED, month])
            rows = cursor.fetchall()
            best = min(best, time.perf_counter() - started)
            values = sum(row[2] for row in rows)
    period = next(p for p in batch_periods(batch) if p.kind == "month" and p.end == month)
    started = time.perf_counter()
    written = rebuild_batch(batch, periods=[period])
    took = time.perf_counter() - started
    print(
        f"rebuild of {month:%Y-%m} alone ({batch}): {took:.1f} s, {written:,} rows written, "
        f"{values:,} approved values; plain GROUP BY {best:.2f} s; ratio {took / best:.0f}×"
    )


def rebuild(batch: Batch) -> None:
    bound, values = group_by_bound(batch)
    started = time.perf_counter()
    written = rebuild_batch(batch)
    took = time.perf_counter() - started
    print(
        f"rebuild {batch}: {took:.1f} s, {written:,} rows written, {values:,} approved values; "
        f"plain GROUP BY {bound:.2f} s; ratio {took / bound:.0f}×"
    )


def updates(batch: Batch, count: int) -> None:
    """One approval's job on `count` random approved reports of the batch (the status is unchanged: the job
    recomputes what is stored now, so the work is the same as after a real approval)."""
    ids = list(
        MonthlyReport.objects.filter(team__batch=batch, status=ReportStatus.APPROVED).values_list("pk", flat=True)
    )
    rng = random.Random(7)
    timings, figures_only, queries = [], [], 0
    for report_id in rng.sample(ids, min(count, len(ids))):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            refresh_figures_for_report.apply(args=[report_id])
            timings.append(time.perf_counter() - started)
        queries = max(queries, len(captured.captured_queries))
        report = MonthlyReport.objects.get(pk=report_id)
        started = time.perf_counter()
        refresh_for_report(report)
        figures_only.append(time.perf_counter() - started)
    for label, values in (("the job (figures + completeness)", timings), ("of which the figures", figures_only)):
        print(
            f"update after one approval, {label}, {len(values)} reports: "
            f"p50 {statistics.median(values) * 1000:.0f} ms, p95 {percentile(values, 0.95) * 1000:.0f} ms, "
            f"max {max(values) * 1000:.0f} ms"
        )
    print(f"  up to {queries} statements per job")


def bench_user():
    User = get_user_model()
    user, _ = User.objects.get_or_create(username=BENCH_USER, defaults={"is_active": True})
    UserRole.objects.get_or_create(user=user, role=Role.REGION_ADMIN, defaults={"area_id": "54"})
    return user


def endpoints(batch: Batch, count: int) -> None:
    settings.ALLOWED_HOSTS = ["*"]
    client = Client()
    client.force_login(bench_user())
    county = Area.objects.filter(code__startswith="5401", level="county").order_by("code").first()
    township = Area.objects.filter(parent=county).order_by("code").first()
    unit_key = (
        Figure.objects.filter(batch=batch, unit_key__startswith="u:", area_level=6)
        .values_list("unit_key", flat=True)
        .first()
    )
    unit = unit_key[2:] if unit_key else ""
    cases = [
        ("totals region, half-year", "totals", {"kind": "half"}),
        ("totals region, batch-to-date", "totals", {"kind": "btd", "batch": batch.pk}),
        ("totals region, year, all batches", "totals", {"kind": "year"}),
        ("breakdown region → prefectures", "breakdown", {"kind": "half"}),
        ("breakdown county → townships", "breakdown", {"kind": "half", "area": county.code}),
        ("breakdown township → villages", "breakdown", {"kind": "half", "area": township.code}),
        ("trend region, 12 months", "trend", {"batch": batch.pk}),
        ("units region, top 200 (the dashboard)", "units", {"kind": "half", "limit": 200}),
        ("units region, all 1,500 units", "units", {"kind": "half"}),
        ("units county", "units", {"kind": "half", "area": county.code}),
        ("totals one unit, region", "totals", {"kind": "half", "unit": unit}),
        ("completeness region", "completeness", {}),
    ]
    print(f"stats endpoints, region admin, in-process, {count} requests each:")
    print(f"  {'case':<38} {'status':>6} {'queries':>7} {'p50 ms':>8} {'p95 ms':>8}")
    for label, endpoint, params in cases:
        url = f"/api/v1/stats/{endpoint}/"
        client.get(url, params)
        statements = StatementCounter()
        with connection.execute_wrapper(statements):
            status = client.get(url, params).status_code
        timings = []
        for _ in range(count):
            started = time.perf_counter()
            client.get(url, params)
            timings.append((time.perf_counter() - started) * 1000)
        print(
            f"  {label:<38} {status:>6} {statements.count:>7} {statistics.median(timings):>8.1f} "
            f"{percentile(timings, 0.95):>8.1f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch", type=int, help="batch number to rebuild (default: the last)")
    parser.add_argument("--all-batches", action="store_true", help="rebuild every batch")
    parser.add_argument("--skip-rebuild", action="store_true")
    parser.add_argument("--month", help="only rebuild this month's figures (the month period alone), e.g. 2026-06")
    parser.add_argument("--updates", type=int, default=30, help="approvals to time")
    parser.add_argument("-n", type=int, default=30, help="requests per endpoint case")
    args = parser.parse_args()
    database = settings.DATABASES["default"]
    print(f"database: {database['ENGINE'].rsplit('.', 1)[-1]} {database['NAME']}; {os.cpu_count()} CPUs")
    batches = Batch.objects.order_by("number")
    batch = batches.filter(number=args.batch).first() if args.batch else batches.last()
    if batch is None:
        sys.exit("no such batch: load data with benchmarks/generate.py first")
    if args.month:
        rebuild_month(batch, datetime.date.fromisoformat(f"{args.month}-01"))
        return
    if not args.skip_rebuild:
        if args.all_batches:
            started = time.perf_counter()
            for each in batches:
                rebuild(each)
            print(f"all {batches.count()} batches: {time.perf_counter() - started:.1f} s")
        else:
            rebuild(batch)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE reports_figure")
    updates(batch, args.updates)
    endpoints(batch, args.n)


if __name__ == "__main__":
    main()
