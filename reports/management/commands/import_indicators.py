from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from reports.services import (
    DEFAULT_ACTIVITY_TYPES_CSV,
    DEFAULT_INDICATORS_CSV,
    activity_type_import_csv,
    indicator_import_csv,
)


class Command(BaseCommand):
    help = "导入统计指标目录和默认活动类型。可重复执行。"

    def add_arguments(self, parser):
        parser.add_argument("--indicators", default=str(DEFAULT_INDICATORS_CSV))
        parser.add_argument("--activity-types", default=str(DEFAULT_ACTIVITY_TYPES_CSV))
        parser.add_argument("--overwrite", action="store_true", help="用文件内容覆盖已修改的指标")

    def handle(self, *args, indicators: str, activity_types: str, overwrite: bool, **options):
        try:
            result = indicator_import_csv(path=Path(indicators), overwrite=overwrite)
            self.stdout.write(self.style.SUCCESS(f"统计指标导入完成：{result}"))
            result = activity_type_import_csv(path=Path(activity_types))
            self.stdout.write(self.style.SUCCESS(f"活动类型导入完成：{result}"))
        except ValidationError as error:
            raise CommandError("；".join(error.messages)) from None
