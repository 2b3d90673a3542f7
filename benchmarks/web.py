"""Web under load (issue 7): p50/p95/p99 and requests per second of the hot endpoints on gunicorn, 32 clients.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zhucun_bench .venv/bin/python benchmarks/web.py
    ... benchmarks/web.py --workers 3 --seconds 30      # gunicorn workers (default: scripts/gunicorn.conf.py's)
    ... benchmarks/web.py --url http://127.0.0.1:8000   # an already running server (make serve) instead

It starts gunicorn the way production does (scripts/gunicorn.conf.py, DEBUG=0 with production settings, hashed
static files collected under benchmarks/out/, persistent database connections, JSON access log to
benchmarks/out/web-gunicorn.log) against DATABASE_URL on a loopback port, creates its own users if missing
(`webbench_region_admin`, region admin; `webbench_county_admin`, county admin of 堆龙德庆区: nothing else in the
database is changed but their sessions and login records), and logs each of the 32 clients in through the login
form, so every client holds its own session, as 32 people would. The statistics answers' cache is CACHE_URL's Redis
when it is set (as production runs it: `CACHE_URL=redis://127.0.0.1:6379/6`), else each worker's own memory.

Each endpoint is then loaded alone: all clients request it back to back for --warmup seconds (not counted) and
--seconds more (counted). Printed per endpoint: requests, errors, requests per second, p50/p95/p99/max latency in
ms, and the ratio of its requests per second to the trivial authenticated endpoint's (/api/v1/me/: session,
authentication, the user's roles and scopes — the framework's own bound on this server), with the issue's targets;
the API root (/api/v1/: session and authentication, no query of its own) is printed too, as the floor under it.
Then the same with one client alone (--single-seconds): the time a request takes without waiting in a queue. With
32 clients in a closed loop, latency ≈ 32 / (requests per second) whatever the endpoint (Little's law), so the two
tables together tell waiting from working.

The load comes from a small threaded client in this process (http.client, one keep-alive connection per client
that is reopened when the server closes it — gunicorn's sync workers close after each response), not a separate
tool: no dependency, a session per client logged in through the real form, exact percentiles over every request,
and its own CPU time printed (as a share of one core) so it can be weighed: client and server share the cores.
"""

import argparse
import http.client
import os
import platform
import re
import secrets
import subprocess
import sys
import threading
import time
import urllib.parse
from http.cookies import SimpleCookie
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhucun.settings")

import django  # noqa: E402

django.setup()

import logging  # noqa: E402

logging.disable(logging.INFO)

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402

from reports.models import MonthlyReport  # noqa: E402
from teams.models import Batch  # noqa: E402
from villages.models import Area  # noqa: E402
from zhucun.choices import Role  # noqa: E402
from zhucun.models import UserRole  # noqa: E402

OUT = ROOT / "benchmarks" / "out"
BIN = Path(sys.executable).parent
PASSWORD = "webbench-password-2026"  # noqa: S105 (benchmark accounts on a benchmark database)
COUNTY = "540103"  # 堆龙德庆区
TRIVIAL = "/api/v1/me/"


# Users and what to request ----------------------------------------------------------------------------------------


def bench_user(username: str, role: str, area_code: str):
    """Created on first use, then left as they are (idempotent: a second run changes nothing)."""
    user, created = get_user_model().objects.get_or_create(username=username, defaults={"first_name": "压测"})
    if created or not user.check_password(PASSWORD):
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
    UserRole.objects.get_or_create(user=user, role=role, area=Area.objects.get(code=area_code))
    return user


def cases() -> list[tuple[str, str, str]]:
    """(label, who, path): what the dashboard, the team list and a report page ask for at their first load."""
    batch = Batch.objects.order_by("-number").first()
    if batch is None:
        sys.exit("no batches: load data with benchmarks/generate.py first")
    report = (
        MonthlyReport.objects.filter(team__batch=batch, team__village__code__startswith=COUNTY)
        .order_by("-month", "pk")
        .values_list("pk", flat=True)
        .first()
    )
    return [
        ("trivial  /api/v1/me/", "region", TRIVIAL),
        ("floor    /api/v1/ (API root, no query)", "region", "/api/v1/"),
        ("stats    /api/v1/stats/totals/?kind=half", "region", "/api/v1/stats/totals/?kind=half"),
        ("stats    /api/v1/stats/breakdown/?kind=half", "region", "/api/v1/stats/breakdown/?kind=half"),
        ("api      /api/v1/work-teams/ (page of 50)", "region", "/api/v1/work-teams/"),
        ("page     /teams/", "region", "/teams/"),
        ("api      /api/v1/work-teams/ county admin", "county", "/api/v1/work-teams/"),
        ("page     /teams/ county admin", "county", "/teams/"),
        (f"page     /reports/{report}/ (one report)", "county", f"/reports/{report}/"),
    ]


# The client ---------------------------------------------------------------------------------------------------------


class Client:
    """One person's browser: a session cookie and one connection, kept alive while the server allows it."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.connection: http.client.HTTPConnection | None = None
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: str | None = None) -> tuple[int, bytes]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()), "Accept": "*/*"}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in range(2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
            try:
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                content = response.read()
            except (ConnectionError, http.client.HTTPException):
                self.connection.close()
                self.connection = None
                if attempt:
                    raise
                continue
            for header in response.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(header).items():
                    self.cookies[name] = morsel.value
            if response.will_close:
                self.connection.close()
                self.connection = None
            return response.status, content
        raise AssertionError("unreachable")

    def log_in(self, username: str) -> None:
        status, page = self.request("GET", "/accounts/login/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()
        form = urllib.parse.urlencode({"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token})
        status, _ = self.request("POST", "/accounts/login/", form)
        if status != 302 or "sessionid" not in self.cookies:
            sys.exit(f"login of {username} failed ({status})")


def percentile(ordered: list[float], fraction: float) -> float:
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


# Where the CPU went: the machine is shared, so each figure says how much of the two cores was ours ----------------

APPLICATION_NAME = "webbench"  # PostgreSQL's name for the server's connections (pg_stat_activity)
TICKS = os.sysconf("SC_CLK_TCK")
server_pid: int | None = None


def process_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def children_of(parent: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == parent:
                    found.append(int(entry.name))
            except (OSError, IndexError):
                continue
    return found


def cpu_snapshot() -> dict[str, dict[int, float]]:
    """CPU seconds so far, per process: the whole machine (busy, as pid 0), gunicorn (master and workers),
    PostgreSQL's backends serving gunicorn, and this client."""
    busy = [int(value) for value in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    snapshot = {"machine": {0: (sum(busy) - busy[3] - busy[4]) / TICKS}, "client": {0: time.process_time()}}
    if server_pid is not None:
        snapshot["gunicorn"] = {pid: process_seconds(pid) for pid in [server_pid, *children_of(server_pid)]}
        with connection.cursor() as cursor:
            cursor.execute("SELECT pid FROM pg_stat_activity WHERE application_name = %s", [APPLICATION_NAME])
            snapshot["postgres"] = {pid: process_seconds(pid) for (pid,) in cursor.fetchall()}
    return snapshot


def cpu_used(samples: list[dict[str, dict[int, float]]]) -> dict[str, float]:
    """Seconds used per part between the first and the last of `samples` (taken every half second): each process from
    its first to its last sighting, so a gunicorn worker recycled after max_requests, or a database connection
    reopened, loses at most its last half second; one that starts in between counts from zero."""
    used: dict[str, float] = {}
    for part in samples[-1]:
        first: dict[int, float] = dict(samples[0].get(part, {}))
        last: dict[int, float] = {}
        for sample in samples[1:]:
            for pid, seconds in sample.get(part, {}).items():
                first.setdefault(pid, 0.0)
                last[pid] = seconds
        used[part] = sum(seconds - first[pid] for pid, seconds in last.items())
    return used


def load(clients: list[Client], path: str, *, warmup: float, seconds: float) -> dict:
    started = time.monotonic()
    counted_from, stop_at = started + warmup, started + warmup + seconds
    latencies: list[list[float]] = [[] for _ in clients]
    errors = [0] * len(clients)

    def run(index: int, client: Client) -> None:
        while True:
            begun = time.monotonic()
            if begun >= stop_at:
                return
            status, _ = client.request("GET", path)
            ended = time.monotonic()
            if begun >= counted_from and ended <= stop_at:
                latencies[index].append((ended - begun) * 1000)
                if status != 200:
                    errors[index] += 1

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(clients)]
    for thread in threads:
        thread.start()
    time.sleep(max(0.0, counted_from - time.monotonic()))
    samples = [cpu_snapshot()]
    while time.monotonic() < stop_at:
        time.sleep(min(0.5, max(0.0, stop_at - time.monotonic())))
        samples.append(cpu_snapshot())
    for thread in threads:
        thread.join()
    cores = {name: used / seconds for name, used in cpu_used(samples).items()}
    cores["others"] = cores["machine"] - sum(value for name, value in cores.items() if name != "machine")
    ordered = sorted(value for each in latencies for value in each) or [0.0]
    return {
        "requests": len(ordered) if ordered[-1] else 0,
        "errors": sum(errors),
        "rps": len(ordered) / seconds,
        "p50": percentile(ordered, 0.50),
        "p95": percentile(ordered, 0.95),
        "p99": percentile(ordered, 0.99),
        "max": ordered[-1],
        "cores": cores,
    }


# The server ---------------------------------------------------------------------------------------------------------


def with_application_name(url: str) -> str:
    """Name the server's PostgreSQL connections, so their CPU time can be read apart from other sessions'."""
    if not url.startswith("postgres"):
        return url
    return f"{url}{'&' if '?' in url else '?'}application_name={APPLICATION_NAME}"


def server_env(workers: int | None) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "CELERY_BROKER_URL", "REDIS_URL"}
    }
    env.update(
        DEBUG="0",
        ZHUCUN_PLAIN_HTTP="1",
        # The clients sign in through the password form only (two-factor sign-in is on by default with DEBUG=0).
        ZHUCUN_REQUIRE_2FA="0",
        ALLOWED_HOSTS="127.0.0.1",
        SECRET_KEY=secrets.token_urlsafe(50),
        DATABASE_CONN_MAX_AGE="60",
        STATIC_ROOT=str(OUT / "static"),
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    # The keys the database's resident ID numbers were written with: this process's (the environment's, or the
    # development keys the generator used).
    env.setdefault("ZHUCUN_FIELD_KEYS", ",".join(settings.ZHUCUN_FIELD_KEYS))
    env.setdefault("ZHUCUN_HASH_KEY", settings.ZHUCUN_HASH_KEY)
    if os.environ.get("DATABASE_URL"):
        env["DATABASE_URL"] = with_application_name(os.environ["DATABASE_URL"])
    if workers:
        env["WEB_CONCURRENCY"] = str(workers)
    return env


def start_server(port: int, workers: int | None) -> subprocess.Popen:
    OUT.mkdir(parents=True, exist_ok=True)
    env = server_env(workers)
    subprocess.run(  # noqa: S603 (our own command)
        [str(BIN / "python"), "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    log = (OUT / "web-gunicorn.log").open("w")
    server = subprocess.Popen(  # noqa: S603 (our own command)
        [
            str(BIN / "gunicorn"),
            "zhucun.wsgi:application",
            "--config",
            str(ROOT / "scripts" / "gunicorn.conf.py"),
            "--bind",
            f"127.0.0.1:{port}",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if Client("127.0.0.1", port).request("GET", "/healthz")[0] == 200:
                return server
        except OSError:
            time.sleep(0.3)
    server.terminate()
    sys.exit(f"gunicorn did not answer on port {port}; see {OUT / 'web-gunicorn.log'}")


CPU_PARTS = ("gunicorn", "postgres", "client", "others")


def report(chosen: list[tuple[str, str, str]], sessions: dict[str, list[Client]], **timing: float) -> None:
    header = f"{'endpoint':<46} {'requests':>8} {'errors':>6} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} "
    print(header + f"{'p99 ms':>7} {'max ms':>7} {'× trivial':>9}  CPU cores: gunicorn postgres client others")
    trivial_rps = None
    for label, who, path in chosen:
        result = load(sessions[who], path, **timing)
        if path == TRIVIAL:
            trivial_rps = result["rps"]
        ratio = f"{result['rps'] / trivial_rps:.2f}" if trivial_rps else "-"
        print(
            f"{label:<46} {result['requests']:>8} {result['errors']:>6} {result['rps']:>7.1f} "
            f"{result['p50']:>7.1f} {result['p95']:>7.1f} {result['p99']:>7.1f} {result['max']:>7.0f} "
            f"{ratio:>9}  " + "  ".join(f"{result['cores'].get(name, float('nan')):>5.2f}" for name in CPU_PARTS),
            flush=True,
        )


def describe_machine(workers: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0] if connection.vendor == "postgresql" else "-"
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo if "model name" in line), platform.processor())
    database = settings.DATABASES["default"]
    print(f"machine: {os.cpu_count()} CPUs ({model}), Python {platform.python_version()}, PostgreSQL {postgres}")
    cache = settings.CACHES["default"]
    print(
        f"database: {database['NAME']}; gunicorn sync workers: {workers}; cache: {cache['BACKEND'].rsplit('.', 1)[-1]}"
        f" {cache.get('LOCATION', '')} (CACHE_URL)"
    )
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def main() -> None:
    parser = argparse.ArgumentParser(description="Web under load (issue 7).")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=20, help="counted seconds per endpoint")
    parser.add_argument("--warmup", type=float, default=3, help="seconds per endpoint before counting")
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: WEB_CONCURRENCY or cores + 1)")
    parser.add_argument("--port", type=int, default=8150)
    parser.add_argument("--url", help="load an already running server instead of starting one")
    parser.add_argument("--only", help="run only the cases whose label contains this text (and the trivial one)")
    parser.add_argument(
        "--single-seconds", type=float, default=10, help="then one client alone per endpoint for this long (0: skip)"
    )
    args = parser.parse_args()

    users = {
        "region": bench_user("webbench_region_admin", Role.REGION_ADMIN, "54"),
        "county": bench_user("webbench_county_admin", Role.COUNTY_ADMIN, COUNTY),
    }
    chosen = [case for case in cases() if not args.only or args.only in case[0] or case[2] == TRIVIAL]
    workers = args.workers or int(os.environ.get("WEB_CONCURRENCY") or (os.cpu_count() or 1) + 1)

    server = None
    if args.url:
        parts = urllib.parse.urlsplit(args.url)
        host, port = parts.hostname, parts.port or 80
        describe_machine("(already running)")
    else:
        host, port = "127.0.0.1", args.port
        describe_machine(str(workers))
        server = start_server(port, workers)
        global server_pid
        server_pid = server.pid
    try:
        started = time.monotonic()
        sessions = {}
        for who, user in users.items():
            sessions[who] = [Client(host, port) for _ in range(args.clients)]
            for client in sessions[who]:
                client.log_in(user.username)
        print(f"{2 * args.clients} logins through the form: {time.monotonic() - started:.1f} s")
        print(
            f"{args.clients} clients, {args.warmup:g} s warm-up + {args.seconds:g} s counted per endpoint, "
            "each endpoint alone"
        )
        report(chosen, sessions, warmup=args.warmup, seconds=args.seconds)
        if args.single_seconds:
            print(f"one client alone (no queueing: the time one request takes), {args.single_seconds:g} s per endpoint")
            alone = {who: clients[:1] for who, clients in sessions.items()}
            report(chosen, alone, warmup=1, seconds=args.single_seconds)
        print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print("targets: stats totals p95 ≤ 100 ms and ≥ 0.50 × trivial req/s; team list API p95 ≤ 100 ms")
    finally:
        if server is not None:
            os.killpg(server.pid, 15)
            server.wait(timeout=60)


if __name__ == "__main__":
    main()
