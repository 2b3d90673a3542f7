"""Issue 8 part 4: faults. Nothing is lost and nothing is half-written when the database fails in the middle of a
workflow transition, when a Celery worker is killed (SIGKILL) in the middle of a rollup, or when the broker
restarts.

(a) Database errors: a `connection.execute_wrapper` makes the Nth writing statement of a transition fail (the
    first, the second ... up to the last one it sends); afterwards the report is exactly as it was: status,
    version, values, notes, events. Runs on every database (transactional tests: the transitions really commit
    or really roll back).
(b) Worker killed: our own worker (its own name and queue, so the CI worker `zhucun-test@%h` never takes our
    message) runs a figure refresh that we hold at the batch's advisory lock; we SIGKILL the pool process
    running it; acks_late + reject_on_worker_lost put the message back, the next pool process runs it, and the
    stored figures equal a fresh computation (`compare_batch` finds no difference). The same for an export job held
    at its row: killed, redelivered, done, and its workbook is there for the user. Needs PostgreSQL and a broker:
    marked `celery_worker` (runs in CI's second pass).
(c) Broker restart: our own throw-away redis-server on a free loopback port (never the shared one): the worker
    survives the restart, reconnects, and a job sent after the restart is done.
"""

import datetime
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

import pytest
from celery import Celery
from django.conf import settings
from django.db import DatabaseError, connection, connections

from reports.models import Figure, MonthlyReport, ReportEvent, ReportValue
from reports.rollup import compare_batch, rebuild_batch
from reports.workflow import report_approve, report_open, report_reopen, report_return, report_save, report_submit
from tests.factories import MonthlyReportFactory, ReportValueFactory

ROOT = Path(__file__).resolve().parent.parent
FEBRUARY = datetime.date(2026, 2, 1)
WRITES = ("INSERT", "UPDATE", "DELETE")
TASK = "reports.tasks.refresh_figures_for_report"


# -- (a) a database error in the middle of a transition -----------------------------------------------------------


class InjectedFault(DatabaseError):
    pass


@contextmanager
def fail_at_write(number: int):
    """The `number`-th writing statement (INSERT/UPDATE/DELETE) sent inside the block raises a database error
    instead of running. Yields a list that collects the writing statements seen."""
    seen: list[str] = []

    def wrapper(execute, sql, params, many, context):
        if sql.lstrip().upper().startswith(WRITES):
            seen.append(sql)
            if len(seen) == number:
                raise InjectedFault(f"injected fault at write {number}: {sql[:60]}")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield seen


def snapshot(report: MonthlyReport) -> dict:
    """What a reader of the report can see, read back from the database."""
    fresh = MonthlyReport.objects.get(pk=report.pk)
    return {
        "status": fresh.status,
        "version": fresh.version,
        "summary": fresh.summary,
        "review_comment": fresh.review_comment,
        "draft_input": fresh.draft_input,
        "values": sorted(ReportValue.objects.filter(report=report).values_list("indicator__code", "value", "note")),
        "events": list(ReportEvent.objects.filter(report=report).order_by("pk").values_list("kind", "to_status")),
    }


def writes_of(step) -> int:
    """How many writing statements a transition sends when nothing fails (run inside a rolled-back block)."""
    from django.db import transaction

    class Rollback(Exception):
        pass

    with fail_at_write(10**6) as seen:
        try:
            with transaction.atomic():
                step()
                raise Rollback
        except Rollback:
            pass
    return len(seen)


@pytest.fixture
def jobs_in_process():
    """The rollup jobs a committed transition enqueues run in this process (Celery's eager mode), not on CI's shared
    worker: a worker still writing into the test database when the transactional test flushes it deadlocks."""
    from zhucun.celery import app

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = eager


@pytest.fixture
def draft(nanga_team, nanga_leader, jobs_in_process):
    report = report_open(actor=nanga_leader, team=nanga_team, month=FEBRUARY)
    report_save(actor=nanga_leader, report=report, values={"P02": "3"}, narrative={"summary": "召开宣讲会三场。"})
    return report


@pytest.fixture
def submitted(draft, nanga_leader):
    return report_submit(actor=nanga_leader, report=draft)


def transitions(nanga_leader, county_admin, draft):
    """The workflow steps, each from the state the report is in when it is called."""
    return {
        "save": lambda: report_save(
            actor=nanga_leader,
            report=draft,
            values={"P01": "7", "P02": "4", "P03": "12"},
            notes={"P02": "比上月多一场"},
            narrative={"summary": "召开宣讲会四场。"},
        ),
        "submit": lambda: report_submit(actor=nanga_leader, report=draft),
        "approve": lambda: report_approve(actor=county_admin, report=draft, comment="同意"),
        "return": lambda: report_return(
            actor=county_admin, report=draft, comment="请核实", value_comments={"P02": "数字偏大"}
        ),
        "reopen": lambda: report_reopen(actor=county_admin, report=draft, reason="更正录入错误"),
    }


STATES = {"save": "draft", "submit": "draft", "approve": "submitted", "return": "submitted", "reopen": "approved"}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("step", list(STATES))
def test_it_leaves_the_report_as_it_was_when_any_write_of_a_transition_fails(
    step, nanga_team, nanga_leader, county_admin, draft
):
    if STATES[step] in ("submitted", "approved"):
        report_submit(actor=nanga_leader, report=draft)
    if STATES[step] == "approved":
        report_approve(actor=county_admin, report=draft)
    run = transitions(nanga_leader, county_admin, draft)[step]
    total = writes_of(run)
    assert total >= 2, f"{step} sends {total} writing statements"
    before = snapshot(draft)

    for number in range(1, total + 1):
        with pytest.raises(InjectedFault), fail_at_write(number):
            run()

        assert snapshot(draft) == before, f"{step}: a fault at write {number} of {total} left a trace"

    run()  # and without a fault the same step goes through
    assert snapshot(draft) != before


@pytest.mark.django_db(transaction=True)
def test_it_keeps_the_figures_as_they_were_when_a_rebuild_fails_half_way(
    nanga_team, batch, county_admin, jobs_in_process
):
    report = MonthlyReportFactory(team=nanga_team, month=FEBRUARY, approved=True)
    ReportValueFactory(report=report, indicator__code="P02", value=Decimal("3"))
    rebuild_batch(batch)
    stored = sorted(Figure.objects.filter(batch=batch).values_list("kind", "period_end", "area_code", "unit_key"))
    assert stored

    with pytest.raises(InjectedFault), fail_at_write(3):  # the delete ran, some inserts too: all rolled back
        rebuild_batch(batch)

    assert sorted(Figure.objects.filter(batch=batch).values_list("kind", "period_end", "area_code", "unit_key")) == (
        stored
    )
    assert compare_batch(batch)[1] == []


# -- (b) and (c): a real worker of our own --------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def worker_database_url() -> str:
    """The database the tests write into, for a worker process to write there too."""
    db = connections["default"].settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Worker:
    """`celery -A zhucun worker` as a subprocess with its own name and queue, concurrency 1 (prefork)."""

    def __init__(self, *, broker: str, queue: str, name: str, media_root: str | None = None):
        self.log = tempfile.NamedTemporaryFile(prefix="zhucun-fault-worker-", suffix=".log", delete=False)  # noqa: SIM115
        env = {**os.environ, "DATABASE_URL": worker_database_url(), "CELERY_BROKER_URL": broker}
        if media_root:
            env["MEDIA_ROOT"] = media_root
        self.process = subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "zhucun",
                "worker",
                "-n",
                f"{name}@%h",
                "-Q",
                queue,
                "--concurrency",
                "1",
                "--pool",
                "prefork",
                "--without-gossip",
                "--without-mingle",
                "--loglevel",
                "INFO",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.wait_for("ready", timeout=60)

    def text(self) -> str:
        return Path(self.log.name).read_text(errors="replace")

    def wait_for(self, needle: str, *, timeout: float, count: int = 1) -> None:
        deadline = time.monotonic() + timeout
        while self.text().count(needle) < count:
            assert self.process.poll() is None, f"the worker died:\n{self.text()[-3000:]}"
            assert time.monotonic() < deadline, f"no {needle!r} in the worker log:\n{self.text()[-3000:]}"
            time.sleep(0.2)

    def pool_children(self) -> list[int]:
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in path.read_text().split()] if path.exists() else []

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        Path(self.log.name).unlink(missing_ok=True)


def needs_postgresql(why: str) -> None:
    if connection.vendor != "postgresql":
        pytest.skip(f"needs PostgreSQL: {why}")


@contextmanager
def own_worker(**worker_options):
    """Our own worker (see Worker) and a second database connection to hold a lock its job will wait at (not
    connected until used); both closed at the end whatever happens."""
    worker = Worker(**worker_options)
    holder = connections.create_connection("default")
    try:
        yield worker, holder
    finally:
        holder.close()
        worker.stop()


def send_task(broker: str, name: str, args: list, queue: str) -> None:
    """Sent through an explicit connection: Celery prefers CELERY_BROKER_URL from the environment (the shared
    broker) over an app's own broker setting."""
    producer = Celery("zhucun-fault-producer", broker=broker)
    with producer.connection_for_write(broker) as sender:
        producer.send_task(name, args=args, queue=queue, connection=sender)


def kill_the_job_in_the_middle(worker: Worker, *, send, held, release, finish_within: float = 60) -> None:
    """Send the job, which stops at a lock we hold (`held()`: how many wait for it); SIGKILL the pool process
    running it; see the message redelivered to the next pool process; `release()` the lock; wait until the job
    succeeds."""
    send()
    deadline = time.monotonic() + 60
    while not held():
        assert time.monotonic() < deadline, f"the job never reached the lock:\n{worker.text()[-3000:]}"
        time.sleep(0.2)
    [child] = worker.pool_children()

    os.kill(child, signal.SIGKILL)

    worker.wait_for("signal 9", timeout=30)
    worker.wait_for("received", timeout=60, count=2)  # redelivered to the next pool process
    release()
    worker.wait_for("succeeded", timeout=finish_within)


def waiting_for_lock(*locktypes: str) -> int:
    """Sessions waiting for a lock of these types: the job has reached the lock the test holds."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = ANY(%s) AND NOT granted", [list(locktypes)])
        return cursor.fetchone()[0]


@pytest.mark.celery_worker
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_it_redelivers_a_rollup_whose_worker_was_killed_and_ends_with_correct_figures(nanga_team, batch):
    needs_postgresql("the worker writes into the test database and we hold an advisory lock")
    from reports.tasks import refresh_figures_for_report

    old = MonthlyReportFactory(team=nanga_team, month=datetime.date(2026, 1, 1), approved=True)
    ReportValueFactory(report=old, indicator__code="P02", value=Decimal("2"))
    rebuild_batch(batch)
    report = MonthlyReportFactory(team=nanga_team, month=FEBRUARY, approved=True)
    ReportValue.objects.create(report=report, indicator=old.values.get().indicator, value=Decimal("5"))
    assert compare_batch(batch)[1], "the new approval is not in the store yet"

    queue = f"zhucun-faults-{os.getpid()}"
    with own_worker(broker=settings.CELERY_BROKER_URL, queue=queue, name=queue) as (worker, holder):

        def lock(function: str) -> None:
            with holder.cursor() as cursor:
                cursor.execute(f"SELECT {function}(%s, %s)", [0x5A48, batch.pk])

        # Hold the batch's rollup lock so the job stops in the middle, inside its transaction.
        lock("pg_advisory_lock")
        kill_the_job_in_the_middle(
            worker,
            send=lambda: refresh_figures_for_report.apply_async(args=[report.pk], queue=queue),
            held=lambda: waiting_for_lock("advisory"),
            release=lambda: lock("pg_advisory_unlock"),
        )

    assert compare_batch(batch)[1] == []
    february = Figure.objects.get(batch=batch, kind="month", period_start=FEBRUARY, area_code="540103", unit_key="")
    assert Decimal(next(iter(february.data.values()))[0]) == Decimal("5")


@pytest.mark.celery_worker
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_it_finishes_an_export_whose_worker_was_killed_and_the_user_downloads_it(nanga_team, county_admin, tmp_path):
    needs_postgresql("the worker writes into the test database and we hold a row lock")
    from openpyxl import load_workbook

    from exports.choices import ExportKind, JobStatus
    from exports.params import export_request_resolve
    from exports.services import export_job_record

    request = export_request_resolve(user=county_admin, kind=ExportKind.ROSTER, data={})
    job = export_job_record(county_admin, request)
    queue = f"zhucun-export-faults-{os.getpid()}"
    broker = settings.CELERY_BROKER_URL
    with own_worker(broker=broker, queue=queue, name=queue, media_root=str(tmp_path)) as (worker, holder):
        # Hold the job's row: the job stops at its first statement (claiming the row), inside the worker.
        holder.set_autocommit(False)
        with holder.cursor() as cursor:
            cursor.execute("SELECT id FROM exports_exportjob WHERE id = %s FOR UPDATE", [job.pk])
        kill_the_job_in_the_middle(
            worker,
            send=lambda: send_task(broker, "exports.tasks.run_export_job", [job.pk], queue),
            held=lambda: waiting_for_lock("transactionid", "tuple"),
            release=holder.rollback,
            finish_within=120,
        )

    job.refresh_from_db()
    assert (job.status, job.progress, job.error) == (JobStatus.DONE, 100, "")
    assert job.attempts >= 2
    [path] = list(tmp_path.rglob("*.xlsx"))
    sheet = load_workbook(path)["干部花名册"]
    names = {cell.value for row in sheet.iter_rows() for cell in row}
    assert {assignment.cadre.name for assignment in nanga_team.assignments.select_related("cadre")} <= names
    assert not list(tmp_path.rglob("*.part"))  # the killed run's partial file is not left behind


@pytest.mark.celery_worker
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_it_finishes_jobs_after_the_broker_restarts(nanga_team, batch):
    needs_postgresql("the worker writes into the test database")
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("no redis-server binary to start a throw-away broker (the shared one is never restarted)")
    port = free_port()
    directory = tempfile.mkdtemp(prefix="zhucun-fault-redis-")
    command = [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    command += ["--dir", directory]

    def start_redis() -> subprocess.Popen:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return process
            except OSError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.1)

    broker = f"redis://127.0.0.1:{port}/0"
    redis = start_redis()
    queue = f"zhucun-broker-{os.getpid()}"
    try:
        with own_worker(broker=broker, queue=queue, name=queue) as (worker, _):
            first = MonthlyReportFactory(team=nanga_team, month=datetime.date(2026, 1, 1), approved=True)
            ReportValueFactory(report=first, indicator__code="P02", value=Decimal("2"))
            send_task(broker, TASK, [first.pk], queue)
            worker.wait_for("succeeded", timeout=60)

            redis.terminate()  # the broker goes away ...
            redis.wait(timeout=20)
            worker.wait_for("Connection to broker lost", timeout=30)
            time.sleep(2)
            redis = start_redis()  # ... and comes back, empty (it keeps nothing on disk, like the shared one)
            worker.wait_for("Connected to", timeout=60, count=2)

            second = MonthlyReportFactory(team=nanga_team, month=FEBRUARY, approved=True)
            ReportValue.objects.create(report=second, indicator=first.values.get().indicator, value=Decimal("5"))
            send_task(broker, TASK, [second.pk], queue)
            worker.wait_for("succeeded", timeout=60, count=2)
            assert worker.process.poll() is None, "the worker survived the broker's restart"
    finally:
        redis.terminate()
        redis.wait(timeout=20)
        shutil.rmtree(directory, ignore_errors=True)

    assert compare_batch(batch)[1] == []
