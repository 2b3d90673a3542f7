"""Concurrency (issue 8): 50 team leaders saving and submitting their monthly reports while 5 county admins approve
them, all at the same time, against gunicorn on PostgreSQL with a real Celery worker; then the checks.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zhucun_h8b .venv/bin/python benchmarks/concurrency.py
    ... benchmarks/concurrency.py --leaders 50 --admins 5 --port 8250 --broker redis://127.0.0.1:6379/8

The database must hold the seeded demo (`seed_demo`) with its figures computed (`rollup_rebuild`). The script:

1. picks `--admins` counties with enough draft reports of the batch's latest month, `--leaders / --admins` drafts in
   each, and gives each draft's team a leader account `conc-leader-N` and each county an admin account
   `conc-admin-N` (created if missing, password set; nothing else in the database is touched before the run);
2. starts its own gunicorn (`--workers` sync workers, on 127.0.0.1:`--port`, 8200–8299) and its own Celery worker
   (`-n concurrency@%h`) on `--broker` (Redis db 8 by default, never the CI's db 0), both on DATABASE_URL;
3. runs one thread per person, each with its own session logged in through the login form: a leader opens the
   report, saves a value of its own (P02 = 100 + N) with the summary, submits (explaining any warning the
   submission names, then submitting again); an admin keeps reading the review queue and its reports and approves
   each one as soon as it is submitted, with If-Match (a 409/412 conflict is read again and retried, not an error);
4. waits for the worker to finish the rollup jobs the approvals enqueued, then checks: no 5xx and no failed
   request; no lost update (every report is approved, holds exactly the value its leader sent, its version is the
   version before plus the writes that succeeded, and it has one event per write); and the stored figures equal a
   fresh computation (`reports.rollup.compare_batch` finds no difference), and so does the month's reporting
   completeness.

Prints the requests (by status), errors, conflicts, the duration, requests per second and the latency percentiles;
exits 1 if a check fails. Bounded: every thread stops at `--timeout` seconds, every request times out after 60 s.
Traffic goes to 127.0.0.1 only.
"""

import argparse
import os
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PASSWORD = "Concurrency-Bench-2026"  # noqa: S105 (throw-away accounts of this benchmark)
CODE = "P02"


# -- the people -----------------------------------------------------------------------------------------------------


@dataclass
class Stats:
    """Every request of the run: status counts, latencies, failures (5xx, connection errors, unexpected 4xx)."""

    statuses: Counter = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    conflicts: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, status: int, seconds: float) -> None:
        with self.lock:
            self.statuses[status] += 1
            self.latencies.append(seconds)

    def fail(self, message: str) -> None:
        with self.lock:
            self.failures.append(message)


class Person:
    """One browser: a requests session logged in through the login form, sending the CSRF token on writes."""

    def __init__(self, base: str, username: str, stats: Stats, password: str | None = None):
        self.base, self.username, self.stats = base, username, stats
        self.session = requests.Session()
        page = self.call("GET", "/accounts/login/", expect=(200,))
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        self.call(
            "POST",
            "/accounts/login/",
            data={"username": username, "password": password or PASSWORD, "csrfmiddlewaretoken": token},
            headers={"Referer": base + "/accounts/login/"},
            allow_redirects=False,
            expect=(302,),
        )
        if "sessionid" not in self.session.cookies:
            raise RuntimeError(f"login of {username} failed")

    def call(self, method: str, path: str, *, expect=(200,), headers: dict | None = None, **kwargs):
        headers = dict(headers or {})
        if method != "GET":
            headers["X-CSRFToken"] = self.session.cookies.get("csrftoken", "")
            headers.setdefault("Referer", self.base + "/")
        started = time.perf_counter()
        try:
            response = self.session.request(method, self.base + path, headers=headers, timeout=60, **kwargs)
        except requests.RequestException as error:
            self.stats.fail(f"{self.username} {method} {path}: {error!r}")
            raise
        self.stats.record(response.status_code, time.perf_counter() - started)
        if response.status_code >= 500 or response.status_code not in expect:
            self.stats.fail(f"{self.username} {method} {path}: {response.status_code} {response.text[:300]}")
        return response


@dataclass
class Leader:
    username: str
    report_id: int
    value: int
    writes: int = 0  # successful writes (save, submit): each adds one to the version
    done: bool = False


@dataclass
class Admin:
    username: str
    report_ids: list[int]
    approved: set = field(default_factory=set)  # by this admin
    settled: set = field(default_factory=set)  # seen approved, by this admin or another


def leader_run(base: str, leader: Leader, stats: Stats, deadline: float) -> None:
    person = Person(base, leader.username, stats)
    url = f"/api/v1/monthly-reports/{leader.report_id}/"
    person.call("GET", url)
    body = {"values": {CODE: str(leader.value)}, "summary": f"压测：{leader.username} 本月工作小结。"}
    if person.call("PATCH", url, json=body).status_code == 200:
        leader.writes += 1
    while time.monotonic() < deadline:
        response = person.call("POST", url + "submit/", expect=(200, 400))
        if response.status_code == 200:
            leader.writes += 1
            leader.done = True
            return
        problems = {code for code in response.json() if code not in ("summary", "detail", "non_field_errors")}
        if not problems:
            stats.fail(f"{leader.username}: submission refused: {response.text[:300]}")
            return
        notes = dict.fromkeys(problems, "已核实，数据无误。")
        if person.call("PATCH", url, json={"notes": notes}).status_code == 200:
            leader.writes += 1


def admin_run(base: str, admin: Admin, stats: Stats, deadline: float) -> None:
    person = Person(base, admin.username, stats)
    while time.monotonic() < deadline and len(admin.settled) < len(admin.report_ids):
        person.call("GET", "/api/v1/review-queue/")
        for report_id in admin.report_ids:
            if report_id in admin.settled:
                continue
            url = f"/api/v1/monthly-reports/{report_id}/"
            current = person.call("GET", url)
            status = current.json()["status"] if current.status_code == 200 else None
            if status == "approved":
                admin.settled.add(report_id)
            if status != "submitted":
                continue
            response = person.call(
                "POST", url + "approve/", json={}, headers={"If-Match": current.headers["ETag"]}, expect=(200, 409, 412)
            )
            if response.status_code == 200:
                admin.approved.add(report_id)
                admin.settled.add(report_id)
            else:
                with stats.lock:
                    stats.conflicts += 1
        time.sleep(0.2)


def run_load(base: str, leaders: list[Leader], admins: list[Admin], *, timeout: float) -> tuple[Stats, float]:
    """Everybody at once; returns the statistics and the wall time."""
    stats = Stats()
    deadline = time.monotonic() + timeout

    def guarded(target, person) -> None:
        try:
            target(base, person, stats, deadline)
        except Exception as error:  # a thread that dies is a failure of the run, not of the script
            stats.fail(f"{person.username}: {error!r}")

    threads = [threading.Thread(target=guarded, args=(leader_run, leader)) for leader in leaders]
    threads += [threading.Thread(target=guarded, args=(admin_run, admin)) for admin in admins]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(1.0, deadline - time.monotonic() + 65))
    return stats, time.monotonic() - started


# -- the checks -----------------------------------------------------------------------------------------------------


def check_reports(leaders: list[Leader], before: dict[int, tuple[int, int]]) -> list[str]:
    """No lost update: every report approved, holding its leader's value, version = before + writes + approval,
    one event per write."""
    from reports.models import MonthlyReport, ReportValue

    problems = []
    for leader in leaders:
        report = MonthlyReport.objects.get(pk=leader.report_id)
        version, events = before[leader.report_id]
        value = ReportValue.objects.filter(report=report, indicator__code=CODE).values_list("value", flat=True).first()
        expected_version = version + leader.writes + 1
        if report.status != "approved":
            problems.append(f"report {report.pk}: {report.status}, not approved")
        if value is None or int(value) != leader.value:
            problems.append(f"report {report.pk}: {CODE} = {value}, {leader.username} sent {leader.value}")
        if report.version != expected_version:
            problems.append(f"report {report.pk}: version {report.version}, expected {expected_version}")
        if report.events.count() != events + leader.writes + 1:
            problems.append(f"report {report.pk}: {report.events.count() - events} events for {leader.writes + 1}")
    return problems


def completeness_differences(month) -> list[str]:
    """The stored reporting completeness of the month against a fresh computation."""
    from reports.completeness import COUNTED, compute_month
    from reports.models import Completeness

    def key(row) -> tuple:
        return tuple(getattr(row, name) for name in COUNTED)

    fresh = {row.area_code: key(row) for row in compute_month(month)}
    stored = {row.area_code: key(row) for row in Completeness.objects.filter(month=month)}
    return [
        f"{code}: stored {stored.get(code)}, fresh {fresh.get(code)}"
        for code in sorted(set(fresh) | set(stored))
        if fresh.get(code) != stored.get(code)
    ]


def percentile(ordered: list[float], fraction: float) -> float:
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))] if ordered else 0.0


def print_figures(stats: Stats, seconds: float, leaders: list[Leader], admins: list[Admin]) -> None:
    total = sum(stats.statuses.values())
    ordered = sorted(stats.latencies)
    print(f"people: {len(leaders)} team leaders, {len(admins)} county admins, all at once")
    print(
        f"requests: {total} in {seconds:.1f} s ({total / seconds:.1f}/s); "
        f"by status: {dict(sorted(stats.statuses.items()))}"
    )
    print(
        f"latency ms: p50 {percentile(ordered, 0.5) * 1000:.0f}, p95 {percentile(ordered, 0.95) * 1000:.0f}, "
        f"p99 {percentile(ordered, 0.99) * 1000:.0f}, max {(ordered[-1] if ordered else 0) * 1000:.0f}"
    )
    print(
        f"submitted: {sum(leader.done for leader in leaders)}/{len(leaders)}; approved: "
        f"{sum(len(admin.approved) for admin in admins)}; approval conflicts (409/412, retried): {stats.conflicts}"
    )
    print(f"errors (5xx, connection errors, unexpected statuses): {len(stats.failures)}")
    for failure in stats.failures[:20]:
        print("  ", failure)


# -- setting up -----------------------------------------------------------------------------------------------------


def prepare(*, leaders: int, admins: int) -> tuple[list[Leader], list[Admin], object]:
    """Drafts of the latest month of the newest batch in `admins` counties, with accounts for their leaders and
    admins."""
    from django.contrib.auth import get_user_model
    from django.db.models import Count

    from reports.models import MonthlyReport
    from teams.models import Batch
    from villages.models import Area
    from zhucun.choices import Role
    from zhucun.models import UserRole

    batch = Batch.objects.order_by("-number").first()
    drafts = MonthlyReport.objects.filter(team__batch=batch, status="draft")
    month = drafts.order_by("-month").values_list("month", flat=True).first()
    if month is None:
        sys.exit("no draft reports: seed the database first (manage.py seed_demo)")
    per_county = leaders // admins
    counties = [
        row["county"]
        for row in drafts.filter(month=month)
        .values(county=models_substr("team__village__code", 6))
        .annotate(n=Count("pk"))
        .filter(n__gte=per_county)
        .order_by("-n", "county")[:admins]
    ]
    if len(counties) < admins:
        sys.exit(f"fewer than {admins} counties have {per_county} drafts for {month:%Y-%m}")
    users = get_user_model()

    def account(username: str):
        user, _ = users.objects.get_or_create(username=username, defaults={"first_name": "压测"})
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
        return user

    chosen_leaders, chosen_admins = [], []
    for index, county in enumerate(counties):
        admin_user = account(f"conc-admin-{index + 1}")
        UserRole.objects.get_or_create(user=admin_user, role=Role.COUNTY_ADMIN, area=Area.objects.get(code=county))
        reports = list(
            drafts.filter(month=month, team__village__code__startswith=county)
            .select_related("team")
            .order_by("pk")[:per_county]
        )
        for report in reports:
            number = len(chosen_leaders) + 1
            user = account(f"conc-leader-{number}")
            UserRole.objects.filter(user=user, role=Role.TEAM_LEADER).exclude(team=report.team).delete()
            UserRole.objects.get_or_create(user=user, role=Role.TEAM_LEADER, team=report.team)
            chosen_leaders.append(Leader(user.username, report.pk, 100 + number))
        chosen_admins.append(Admin(admin_user.username, [report.pk for report in reports]))
    return chosen_leaders, chosen_admins, batch


def models_substr(name: str, length: int):
    from django.db.models.functions import Substr

    return Substr(name, 1, length)


def start(command: list[str], env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen(  # noqa: S603 (our own commands)
        command, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True
    )


def wait_for_jobs(broker: str, batch, *, timeout: float) -> tuple[int, list]:
    """Until the broker's queue is empty and the store equals a fresh computation (or the timeout)."""
    import redis

    from reports.rollup import compare_batch

    queue = redis.Redis.from_url(broker)
    deadline = time.monotonic() + timeout
    while queue.llen("celery") and time.monotonic() < deadline:
        time.sleep(0.5)
    while True:
        checked, differences = compare_batch(batch)
        if not differences or time.monotonic() > deadline:
            return checked, differences
        time.sleep(2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--leaders", type=int, default=50)
    parser.add_argument("--admins", type=int, default=5)
    parser.add_argument("--port", type=int, default=8250, choices=range(8200, 8300), metavar="8200-8299")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/8", help="Redis for the rollup jobs")
    parser.add_argument("--timeout", type=float, default=240, help="seconds before every thread stops")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("set DATABASE_URL to the PostgreSQL database holding the seeded demo")

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhucun.settings")
    os.environ["CELERY_BROKER_URL"] = args.broker
    import django

    django.setup()
    from reports.models import MonthlyReport
    from reports.rollup import compare_batch, rebuild_batch

    leaders, admins, batch = prepare(leaders=args.leaders, admins=args.admins)
    checked, differences = compare_batch(batch)
    if differences:
        print(f"the store differed from a fresh computation before the run ({len(differences)} rows): rebuilding")
        rebuild_batch(batch)
    before = {
        row["pk"]: (row["version"], row["n"])
        for row in MonthlyReport.objects.filter(pk__in=[leader.report_id for leader in leaders])
        .annotate(n=django.db.models.Count("events"))
        .values("pk", "version", "n")
    }

    out = ROOT / "benchmarks" / "out"
    out.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "DEBUG": "1", "LOG_LEVEL": "WARNING", "WEB_CONCURRENCY": str(args.workers)}
    env["ZHUCUN_REQUIRE_2FA"] = "0"  # the admins sign in through the password form only
    env["ALLOWED_HOSTS"] = "127.0.0.1"
    server = start(
        [
            str(BIN / "gunicorn"),
            "zhucun.wsgi:application",
            "-c",
            "scripts/gunicorn.conf.py",
            "--bind",
            f"127.0.0.1:{args.port}",
            "--access-logfile",
            "/dev/null",
        ],
        env,
        out / "concurrency-gunicorn.log",
    )
    worker = start(
        [
            str(BIN / "celery"),
            "-A",
            "zhucun",
            "worker",
            "-n",
            "concurrency@%h",
            "--concurrency",
            "2",
            "--loglevel",
            "WARNING",
        ],
        env,
        out / "concurrency-worker.log",
    )
    base = f"http://127.0.0.1:{args.port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(base + "/healthz", timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                sys.exit(f"gunicorn did not answer; see {out / 'concurrency-gunicorn.log'}")
            time.sleep(0.3)
        stats, seconds = run_load(base, leaders, admins, timeout=args.timeout)
        print_figures(stats, seconds, leaders, admins)
        started = time.monotonic()
        checked, differences = wait_for_jobs(args.broker, batch, timeout=300)
        print(
            f"rollup: {checked} figure rows compared with a fresh computation {time.monotonic() - started:.1f} s "
            f"after the last request: {len(differences)} differences"
        )
        month = MonthlyReport.objects.get(pk=leaders[0].report_id).month
        completeness = completeness_differences(month)
        print(f"completeness of {month:%Y-%m}: {len(completeness)} areas differ from a fresh computation")
        for line in completeness[:10]:
            print("  ", line)
    finally:
        for process in (server, worker):
            process.terminate()
        for process in (server, worker):
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()

    problems = check_reports(leaders, before)
    for problem in problems[:20]:
        print("  lost update:", problem)
    print(f"lost updates: {len(problems)}")
    ok = not (stats.failures or problems or differences or completeness) and all(leader.done for leader in leaders)
    print("CONCURRENCY OK" if ok else "CONCURRENCY FAILED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
