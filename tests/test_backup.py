"""Backups (issue 8): a pg_dump of the database restores into an empty one with every report and figure."""

import datetime
import importlib.util
import subprocess
from decimal import Decimal
from pathlib import Path

import psycopg2
import pytest
from django.db import connection

from reports.models import Figure, MonthlyReport, ReportValue
from reports.rollup import rebuild_batch
from tests.factories import BatchFactory, IndicatorFactory, MonthlyReportFactory, make_team

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="backups are pg_dump / pg_restore: PostgreSQL only (CI pass 2)"
)

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "backup.py"


def backup_module():
    spec = importlib.util.spec_from_file_location("backup_script", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def url_of(database: str) -> str:
    settings = connection.settings_dict
    password = f":{settings['PASSWORD']}" if settings.get("PASSWORD") else ""
    host, port = settings.get("HOST") or "127.0.0.1", settings.get("PORT") or 5432
    return f"postgres://{settings.get('USER') or 'postgres'}{password}@{host}:{port}/{database}"


def counts(cursor) -> dict:
    result = {}
    for table in ("reports_monthlyreport", "reports_reportvalue", "reports_figure", "teams_cadre", "villages_area"):
        cursor.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608 - fixed table names
        result[table] = cursor.fetchone()[0]
    cursor.execute(
        "SELECT data::text FROM reports_figure WHERE kind = 'quarter' AND area_code = '54' AND unit_key = ''"
    )
    result["region quarter"] = cursor.fetchone()[0]
    return result


@pytest.mark.django_db(transaction=True)
def test_a_backup_restores_into_an_empty_database_with_every_report_and_figure(geography_transactional, tmp_path):
    batch = BatchFactory(number=10, start_date=datetime.date(2025, 11, 1), end_date=datetime.date(2026, 10, 31))
    indicator = IndicatorFactory(code="P02")
    for village in ("540103001002", "540622202218"):
        team = make_team(village=village, batch=batch, members=2)
        for month in (datetime.date(2026, 1, 1), datetime.date(2026, 2, 1)):
            report = MonthlyReportFactory(team=team, month=month, approved=True)
            ReportValue.objects.create(report=report, indicator=indicator, value=Decimal("12.50"))
    rebuild_batch(batch)
    assert MonthlyReport.objects.count() == 4 and Figure.objects.exists()
    source = connection.settings_dict["NAME"]
    restored = f"{source}_restored"
    script = backup_module()
    env, _ = script.connection_of(url_of(source))
    subprocess.run(["dropdb", "--if-exists", restored], env=env, check=True)
    try:
        dump = script.backup(url_of(source), tmp_path / "zhucun.dump")
        script.restore(url_of(restored), dump)

        with connection.cursor() as cursor:
            want = counts(cursor)
        other = psycopg2.connect(host=env["PGHOST"], port=env["PGPORT"], user=env["PGUSER"], dbname=restored)
        try:
            with other.cursor() as cursor:
                have = counts(cursor)
        finally:
            other.close()
        assert have == want and want["reports_monthlyreport"] == 4
    finally:
        subprocess.run(["dropdb", "--if-exists", restored], env=env, check=True)


def test_it_refuses_a_database_that_is_not_postgresql():
    with pytest.raises(SystemExit, match="PostgreSQL"):
        backup_module().connection_of("sqlite:///db.sqlite3")
