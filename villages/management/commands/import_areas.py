from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from villages.services import DEFAULT_AREAS_CSV, area_import_csv


class Command(BaseCommand):
    help = "导入行政区划（默认：西藏自治区全部 5,580 个村居）。可重复执行。"

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", default=str(DEFAULT_AREAS_CSV), help="CSV: code,name,level,parent_code")

    def handle(self, *args, path: str, **options):
        try:
            result = area_import_csv(path=Path(path))
        except ValidationError as error:
            raise CommandError("；".join(error.messages)) from None
        self.stdout.write(self.style.SUCCESS(f"行政区划导入完成：{result}"))
