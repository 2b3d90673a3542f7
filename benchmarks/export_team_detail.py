"""Time and peak memory of the team detail export (issue 6), next to a bare openpyxl write-only loop writing the same
number of cells: the lower bound, and the ratio between the two.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zhucun_h6 .venv/bin/python benchmarks/export_team_detail.py
    .venv/bin/python benchmarks/export_team_detail.py --user duilong_admin          # one county
    .venv/bin/python benchmarks/export_team_detail.py --period-kind half --period 2026-06 --no-monthly

By default: the region admin's whole scope, the latest batch to date (its months: up to 12) with one sheet per month,
i.e. every team × every indicator × every month. The export runs the way a worker runs it (exports.services:
export_job_run: claim, stream the rows, save progress, move the file into place) into a temporary MEDIA_ROOT; the
bare loop writes the same sheets, rows and non-empty cells (short texts and integers, no styles, no database).
Each runs in its own child process, so "peak memory" is that process's peak resident set size above what it held
after Django started (ru_maxrss), and neither run's garbage inflates the other's.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhucun.settings")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def cpu_seconds() -> float:
    """This process's CPU time: steadier than wall time on a shared machine (the database server's is not in it)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def child_export(args: argparse.Namespace) -> dict:
    os.environ["MEDIA_ROOT"] = args.media
    import django

    django.setup()
    import logging

    logging.disable(logging.INFO)
    from django.contrib.auth import get_user_model
    from django.db import connection

    from exports import services
    from exports.choices import ExportKind
    from exports.models import ExportJob
    from exports.params import export_request_resolve
    from reports.models import MonthlyReport
    from teams.models import Batch

    user = get_user_model().objects.get(username=args.user)
    batch = Batch.objects.get(number=args.batch) if args.batch else Batch.objects.order_by("-number").first()
    data = {"period_kind": args.period_kind, "monthly_sheets": not args.no_monthly}
    if args.period_kind == "btd" or args.batch:
        data["batch"] = batch.pk
    if args.period:
        data["period"] = args.period
    if args.area:
        data["area"] = args.area
    request = export_request_resolve(user=user, kind=ExportKind.TEAM_DETAIL, data=data)
    values = MonthlyReport.objects.filter(team__batch=batch, status="approved").count()
    job = ExportJob.objects.create(
        user=user,
        kind=request.kind,
        params=request.params,
        area_code=request.area_code,
        title=request.title,
        file_name=request.file_name,
        ascii_name=request.ascii_name,
    )
    baseline, cpu = peak_rss_mb(), cpu_seconds()
    started = time.perf_counter()
    finished = services.export_job_run(job_id=job.pk)
    seconds = time.perf_counter() - started
    cpu = cpu_seconds() - cpu
    peak = peak_rss_mb()
    path = services.media_path(finished.file.name)
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True)
    sheets = len(workbook.sheetnames)
    workbook.close()
    result = {
        "database": f"{connection.vendor} {connection.settings_dict['NAME']}",
        "title": finished.title,
        "params": request.params,
        "teams": finished.rows_total,
        "sheets": sheets,
        "rows": finished.rows_total * sheets,
        "cells": finished.cells,
        "approved_reports_in_batch": values,
        "file_mb": round(path.stat().st_size / 1024 / 1024, 1),
        "seconds": round(seconds, 2),
        "cpu": round(cpu, 2),
        "peak_mb": round(peak - baseline, 1),
        "status": finished.status,
    }
    path.unlink()
    ExportJob.objects.filter(pk=job.pk).delete()
    return result


def child_bare(args: argparse.Namespace) -> dict:
    """The lower bound: the same sheets × rows, the same number of non-empty cells, nothing else."""
    from openpyxl import Workbook

    rows_per_sheet = args.rows // args.sheets
    per_row = max(1, round(args.cells / args.rows))
    texts = ["拉萨市", "堆龙德庆区", "东嘎街道", "南嘎居委会", "540103001002", "第十批", "某某单位", "扎西", "已审核"]
    row = texts[: min(len(texts), per_row)] + list(range(max(0, per_row - len(texts))))
    baseline, cpu = peak_rss_mb(), cpu_seconds()
    started = time.perf_counter()
    workbook = Workbook(write_only=True)
    sheets = [workbook.create_sheet(f"s{index}") for index in range(args.sheets)]
    cells = 0
    for _ in range(rows_per_sheet):
        for sheet in sheets:
            sheet.append(row)
            cells += len(row)
    target = Path(args.media) / "bare.xlsx"
    workbook.save(target)
    seconds = time.perf_counter() - started
    cpu = cpu_seconds() - cpu
    result = {
        "sheets": args.sheets,
        "rows": rows_per_sheet * args.sheets,
        "cells": cells,
        "file_mb": round(target.stat().st_size / 1024 / 1024, 1),
        "seconds": round(seconds, 2),
        "cpu": round(cpu, 2),
        "peak_mb": round(peak_rss_mb() - baseline, 1),
    }
    target.unlink()
    return result


def run_child(mode: str, argv: list[str]) -> dict:
    # Our own script with our own arguments.
    output = subprocess.run(  # noqa: S603
        [sys.executable, __file__, "--child", mode, *argv], check=True, capture_output=True, text=True
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--user", default="region_admin")
    parser.add_argument("--area", default="")
    parser.add_argument("--batch", type=int, default=0, help="batch number (default: the latest)")
    parser.add_argument("--period-kind", default="btd", choices=["month", "quarter", "half", "year", "btd"])
    parser.add_argument("--period", default="", help="YYYY-MM (not for btd)")
    parser.add_argument("--no-monthly", action="store_true", help="only the period sheet")
    parser.add_argument("--child", default="", help=argparse.SUPPRESS)
    parser.add_argument("--media", default="", help=argparse.SUPPRESS)
    parser.add_argument("--rows", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--sheets", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--cells", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child == "export":
        print(json.dumps(child_export(args), ensure_ascii=False))
        return
    if args.child == "bare":
        print(json.dumps(child_bare(args)))
        return

    with tempfile.TemporaryDirectory() as media:
        common = ["--user", args.user, "--period-kind", args.period_kind, "--media", media]
        for name, value in (("--area", args.area), ("--period", args.period)):
            if value:
                common += [name, value]
        if args.batch:
            common += ["--batch", str(args.batch)]
        if args.no_monthly:
            common.append("--no-monthly")
        export = run_child("export", common)
        print(f"database: {export['database']}")
        print(f"export:   {export['title']} {export['params']}")
        print(
            f"          {export['teams']:,} teams × {export['sheets']} sheets = {export['rows']:,} rows, "
            f"{export['cells']:,} cells, {export['file_mb']} MB"
        )
        sizes = ["--media", media, "--rows", str(export["rows"]), "--sheets", str(export["sheets"])]
        bare = run_child("bare", [*sizes, "--cells", str(export["cells"])])
    print(f"{'':<22} {'wall s':>8} {'CPU s':>8} {'peak MB':>8} {'cells/s':>10} {'file MB':>8}")
    for label, figures in (("team detail export", export), ("bare write-only loop", bare)):
        rate = figures["cells"] / figures["seconds"] if figures["seconds"] else 0
        print(
            f"{label:<22} {figures['seconds']:>8.1f} {figures['cpu']:>8.1f} {figures['peak_mb']:>8.1f} {rate:>10,.0f} "
            f"{figures['file_mb']:>8}"
        )

    def ratio(key: str) -> str:
        return f"{export[key] / bare[key]:.2f}×" if bare[key] else "—"

    print(
        f"ratio export / bare: wall {ratio('seconds')}, CPU {ratio('cpu')}, peak memory {ratio('peak_mb')} "
        f"(bare cells: {bare['cells']:,})"
    )


if __name__ == "__main__":
    main()
