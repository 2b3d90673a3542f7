import sys
import time

from django.core.management.base import BaseCommand, CommandError

from reports.completeness import completeness_rebuild, completeness_refresh
from reports.filtersets import parse_month
from reports.models import Figure
from reports.periods import add_months
from reports.rollup import rebuild_batch
from reports.stats_cache import bump_stats_version
from teams.models import Batch


class Command(BaseCommand):
    help = "从已审核月报重算全部统计数（或一个批次），并重算报送完成情况。可随时重复执行。"

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, help="只重算该批次（批次序号，如 10）")
        parser.add_argument("--if-empty", action="store_true", help="已有统计数时跳过（演示启动时用）")
        parser.add_argument(
            "--month", help="只重算包含该月的各周期（该月、所在季度、半年、年度和批次累计），格式 2026-06"
        )

    def handle(self, *args, batch: int | None, if_empty: bool, month: str | None, **options):
        if if_empty and Figure.objects.exists():
            self.stdout.write("已有统计数，跳过重算。")
            return
        batches = Batch.objects.order_by("number")
        if batch is not None:
            batches = batches.filter(number=batch)
            if not batches.exists():
                raise CommandError(f"没有第{batch}批。")
        chosen_month = None
        if month:
            chosen_month = parse_month(month)
            if chosen_month is None:
                raise CommandError("月份格式应为 2026-06。")
            batches = batches.filter(start_date__lt=add_months(chosen_month, 1), end_date__gte=chosen_month)
            if not batches.exists():
                raise CommandError(f"{chosen_month:%Y年%m月}不在任何批次之内。")
        started, total = time.monotonic(), 0
        for each in batches:
            batch_started = time.monotonic()

            def progress(step: int, steps: int, name=str(each)) -> None:
                filled = round(30 * step / steps)
                sys.stdout.write(f"\r  {name} [{'#' * filled}{'.' * (30 - filled)}] {step}/{steps}")
                sys.stdout.flush()

            written = rebuild_batch(each, month=chosen_month, progress=progress)
            total += written
            self.stdout.write(
                f"\r  {each}：写入 {written:,} 行，用时 {time.monotonic() - batch_started:.1f} 秒" + " " * 20
            )
        rows = completeness_refresh(chosen_month) if chosen_month else completeness_rebuild()
        self.stdout.write(f"  报送完成情况：{rows:,} 行")
        bump_stats_version()  # the statistics API's cached answers are stale now
        self.stdout.write(
            self.style.SUCCESS(
                f"统计重算完成：{batches.count()} 个批次，{total:,} 行，用时 {time.monotonic() - started:.1f} 秒。"
            )
        )
