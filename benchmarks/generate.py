"""Benchmark data generator (issue 7): the full region over ten batches, or the country, bulk-loaded with COPY.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zhucun_bench .venv/bin/python benchmarks/generate.py region
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zhucun_bench .venv/bin/python benchmarks/generate.py \\
        region --batches 10 --months 12 --reset
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zhucun_country .venv/bin/python benchmarks/generate.py country

The command creates the database if it is missing, migrates it, imports the geography (Tibet, or the national
table for `country`) and the indicator catalogue, then writes dispatching units, batches, teams, cadres,
assignments, accounts, approved monthly reports and one value per active indicator per report. It refuses a
database that already holds units, batches or users unless given `--reset` (drop and recreate it; only for
database names containing "bench", "country" or "gen").

Every account gets the demo password (zhucun.demo.DEMO_PASSWORD): region_admin, auditor, lhasa_admin,
duilong_admin, biru_admin, unit_liaison, prefecture_<code>, county_<code>, province_<code> (country), and in the
latest batch leader_<village code> per team, nanga_leader and nanga_member.

From a benchmark script (Django set up, any database, loads into the current connection's database):

    from benchmarks.generate import generate_region
    result = generate_region(batches=1, months=12)      # result.counts, result.steps, result.seconds
"""

import argparse
import gzip
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhucun.settings")

COUNTRY_CSV = Path("/work/shared/data/china_divisions.csv.gz")
RESETTABLE = ("bench", "country", "gen")


@dataclass
class Result:
    counts: dict[str, int] = field(default_factory=dict)  # table → rows written
    steps: list[tuple[str, float]] = field(default_factory=list)  # (step, seconds)
    seconds: float = 0.0
    checked_reports: int = 0
    check_errors: int = 0
    check_warnings: int = 0


class _Steps:
    def __init__(self, result: Result, log: Callable[[str], None]):
        self.result, self.log = result, log

    def run(self, label: str, function: Callable[[], object]) -> object:
        started = time.monotonic()
        value = function()
        seconds = time.monotonic() - started
        self.result.steps.append((label, seconds))
        rows = len(value) if isinstance(value, list) else value
        detail = f"（{rows:,} 行）" if isinstance(rows, int) and not isinstance(rows, bool) else ""
        self.log(f"  {label}{detail}：{seconds:.1f} 秒")
        return value


def generate_region(
    *,
    batches: int = 1,
    months: int = 12,
    teams: int | None = None,
    seed: int | None = None,
    fast: bool | None = None,
    verify: int = 100,
    log: Callable[[str], None] = print,
) -> Result:
    """Tibet: `batches` consecutive one-year batches ending with 2025-11 … 2026-10, `teams` teams a batch
    (default 5,500 over the 5,580 villages), `months` approved reports a team, every active indicator filled.
    Loads into the current connection's database; imports the Tibet geography and the catalogue if missing."""
    from benchmarks import _data

    return _generate(
        area_prefix="54",
        batches=batches,
        months=months,
        teams=_data.REGION_TEAMS if teams is None else teams,
        seed=_data.SEED if seed is None else seed,
        fast=fast,
        verify=verify,
        log=log,
    )


def generate_country(
    *,
    teams: int | None = None,
    months: int = 12,
    seed: int | None = None,
    fast: bool | None = None,
    verify: int = 100,
    log: Callable[[str], None] = print,
) -> Result:
    """Every province (the national divisions table, imported if missing): one batch of `teams` teams
    (default 200,000) over the 620,000 villages."""
    from benchmarks import _data

    return _generate(
        area_prefix="",
        batches=1,
        months=months,
        teams=_data.COUNTRY_TEAMS if teams is None else teams,
        seed=_data.SEED if seed is None else seed,
        fast=fast,
        verify=verify,
        log=log,
    )


def _import_catalogue(*, country: bool, steps: _Steps) -> None:
    from reports.models import Indicator
    from reports.services import activity_type_import_csv, indicator_import_csv
    from villages.models import Area
    from villages.services import area_import_csv

    if country and not Area.objects.filter(code="11").exists():

        def import_country() -> int:
            # area_import_csv reads plain CSV: unpack the national table next to nothing else.
            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder) / "china_divisions.csv"
                with gzip.open(COUNTRY_CSV, "rb") as source, path.open("wb") as target:
                    shutil.copyfileobj(source, target)
                result = area_import_csv(path=path)
            return result.created + result.updated + result.unchanged

        steps.run("行政区划（全国，villages.services.area_import_csv）", import_country)
    elif not Area.objects.filter(code="54").exists():
        steps.run("行政区划（西藏）", lambda: area_import_csv().created)
    if not Indicator.objects.exists():
        steps.run("统计指标和活动类型", lambda: indicator_import_csv().created + activity_type_import_csv().created)


def _generate(
    *,
    area_prefix: str,
    batches: int,
    months: int,
    teams: int,
    seed: int,
    fast: bool | None,
    verify: int,
    log: Callable[[str], None],
) -> Result:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction
    from django.utils import timezone

    from benchmarks import _data, _load
    from reports.models import MonthlyReport, ReportValue
    from teams.models import Assignment, Cadre, DispatchingUnit, WorkTeam
    from zhucun.demo import DEMO_PASSWORD

    if not 1 <= months <= 12:
        raise ValueError("months: 1 到 12")
    if batches < 1 or teams < 1:
        raise ValueError("batches 和 teams 至少为 1")
    started = time.monotonic()
    result = Result()
    steps = _Steps(result, log)
    _import_catalogue(country=area_prefix == "", steps=steps)
    big_tables = [
        model._meta.db_table for model in (WorkTeam, Cadre, Assignment, MonthlyReport, ReportValue)
    ]  # the tables worth dropping indexes for
    if fast is None:
        fast = _load.is_postgresql() and not connection.in_atomic_block and _load.is_empty(ReportValue._meta.db_table)
    loader = _load.Loader()
    today = timezone.localdate()
    with transaction.atomic():
        saved = None
        if fast:
            _load.session_for_bulk_load()
            saved = steps.run("删除大表的索引和外键（装载后重建）", lambda: _load.drop_indexes_and_keys(big_tables))
            _load.truncate_for_freeze(loader, big_tables)
        generator = _data.Generator(
            loader=loader, area_prefix=area_prefix, seed=seed, password_hash=make_password(DEMO_PASSWORD), log=log
        )
        steps.run("村居户数、人口、边境村", generator.villages_fill)
        steps.run("派驻单位", generator.units)
        batch_rows = steps.run("批次", lambda: generator.batches(batches))
        steps.run("管理员账号", generator.admin_users)
        for batch in batch_rows:
            latest = batch is batch_rows[-1]
            log(f"  {batch.name}（{batch.start_date} 至 {batch.end_date}）")
            plans = steps.run(
                f"{batch.name} 工作队", lambda b=batch, last=latest: generator.teams(b, count=teams, latest=last)
            )
            steps.run(
                f"{batch.name} 干部、任职" + ("、队长账号" if latest else ""),
                lambda b=batch, p=plans, last=latest: generator.cadres(b, p, latest=last, current=b.end_date >= today)[
                    0
                ],
            )
            first_report = _load.next_id(MonthlyReport._meta.db_table)
            steps.run(
                f"{batch.name} 月报",
                lambda b=batch, p=plans, f=first_report: generator.reports(b, p, first_id=f, months=months),
            )
            steps.run(
                f"{batch.name} 月报数值",
                lambda b=batch, p=plans, f=first_report: generator.values(b, p, first_report=f, months=months),
            )
        for table in (*big_tables[:-1], get_user_model()._meta.db_table, DispatchingUnit._meta.db_table):
            _load.sync_sequence(table)
        if saved is not None:
            steps.run("重建索引、主键和外键", lambda: _load.restore_indexes_and_keys(saved, log))
    if _load.is_postgresql():
        if connection.in_atomic_block:
            steps.run("ANALYZE", _load.analyze)
        else:
            steps.run("VACUUM ANALYZE", _load.vacuum_analyze)
    if verify:
        steps.run(f"抽查 {verify} 份月报（reports.selectors.report_checks）", lambda: _verify(result, verify, seed))
    result.counts = dict(loader.counts)
    result.seconds = time.monotonic() - started
    return result


def _verify(result: Result, sample: int, seed: int) -> None:
    """The report checks of the app (errors and warnings that would need a note) on a random sample of the
    latest batch's reports."""
    import random

    from reports.models import MonthlyReport
    from reports.selectors import report_checks
    from teams.models import Batch

    batch = Batch.objects.order_by("-number").first()
    ids = list(MonthlyReport.objects.filter(team__batch=batch).values_list("id", flat=True))
    chosen = random.Random(seed).sample(ids, min(sample, len(ids)))
    reports = list(MonthlyReport.objects.filter(pk__in=chosen).select_related("team__batch"))
    checks = report_checks(reports)
    result.checked_reports = len(reports)
    result.check_errors = sum(len(check.errors) for check in checks.values())
    result.check_warnings = sum(len(check.warnings) for check in checks.values())


# -- the command ------------------------------------------------------------------------------------------------


def _prepare_database(url: str, *, reset: bool) -> None:
    """Create the database if missing; with `reset` drop it first. Refuses a non-PostgreSQL URL."""
    import dj_database_url
    import psycopg2
    from psycopg2 import sql

    config = dj_database_url.parse(url)
    if "postgresql" not in config["ENGINE"]:
        raise SystemExit("生成器只面向 PostgreSQL：请设置 DATABASE_URL=postgres://…")
    name = config["NAME"]
    if reset and not any(word in name for word in RESETTABLE):
        raise SystemExit(f"--reset 只删除名称含 {'/'.join(RESETTABLE)} 的数据库，拒绝删除“{name}”。")
    admin = psycopg2.connect(
        dbname="postgres",
        user=config.get("USER") or None,
        password=config.get("PASSWORD") or None,
        host=config.get("HOST") or None,
        port=config.get("PORT") or None,
    )
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        exists = cursor.fetchone() is not None
        if exists and reset:
            print(f"删除数据库 {name}")
            cursor.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
            exists = False
        if not exists:
            print(f"创建数据库 {name}")
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    admin.close()


def _holds_data() -> bool:
    from django.db import connection

    tables = set(connection.introspection.table_names())
    with connection.cursor() as cursor:
        for table in ("teams_dispatchingunit", "teams_batch", "auth_user"):
            if table in tables:
                cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {table})")
                if cursor.fetchone()[0]:
                    return True
    return False


def main() -> None:
    parser = argparse.ArgumentParser(description="Zhucun benchmark data generator (PostgreSQL, COPY).")
    parser.add_argument("scope", choices=("region", "country"))
    parser.add_argument("--batches", type=int, default=10, help="region: consecutive batches (default 10)")
    parser.add_argument("--months", type=int, default=12, help="approved reports per team and batch (default 12)")
    parser.add_argument("--teams", type=int, default=None, help="teams per batch (region 5,500; country 200,000)")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--verify", type=int, default=100, help="reports to check with the app's rules at the end")
    parser.add_argument("--reset", action="store_true", help="drop and recreate the database first")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # progress shows up when the output goes to a file
    url = os.environ.get("DATABASE_URL", "")
    _prepare_database(url, reset=args.reset)

    import django

    django.setup()
    import logging

    logging.disable(logging.INFO)

    from django.core.management import call_command
    from django.db import connection

    from benchmarks import _load

    if _holds_data():
        raise SystemExit(
            f"数据库 {connection.settings_dict['NAME']} 已有数据（单位、批次或用户）；加 --reset 删除重建。"
        )
    started = time.monotonic()
    print(f"数据库 {connection.settings_dict['NAME']}：迁移")
    call_command("migrate", verbosity=0)
    migrate_seconds = time.monotonic() - started
    print(f"  迁移：{migrate_seconds:.1f} 秒")
    if args.scope == "region":
        result = generate_region(
            batches=args.batches, months=args.months, teams=args.teams, seed=args.seed, verify=args.verify
        )
    else:
        result = generate_country(teams=args.teams, months=args.months, seed=args.seed, verify=args.verify)
    total = time.monotonic() - started
    print()
    print("行数（写入）")
    for table, rows in sorted(result.counts.items(), key=lambda item: -item[1]):
        print(f"  {table:<28} {rows:>13,}")
    sizes = _load.table_sizes(sorted(result.counts))
    print("表大小（含索引）")
    for table, size in sorted(sizes.items(), key=lambda item: -item[1]):
        print(f"  {table:<28} {_load.human_bytes(size):>13}")
    print(f"数据库大小 pg_database_size：{_load.human_bytes(_load.database_size())}")
    print(f"抽查月报 {result.checked_reports} 份：错误 {result.check_errors}，需说明的警告 {result.check_warnings}")
    print(f"总耗时（含迁移）：{total:.1f} 秒 = {total / 60:.1f} 分钟")


if __name__ == "__main__":
    main()
