import datetime

from django.core.management.base import BaseCommand, CommandError

from teams.models import WorkTeam
from zhucun.demo import DEMO_PASSWORD, demo_users, seed_demo


class Command(BaseCommand):
    help = "生成演示数据：全区真实村居、派驻单位、一个当前批次的工作队和干部、半年以上的月报、各角色演示账号。"

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true", help="数据库已有工作队时跳过，不报错")
        parser.add_argument("--today", type=datetime.date.fromisoformat, help="以该日期为“今天”生成（YYYY-MM-DD）")

    def handle(self, *args, if_empty: bool, today: datetime.date | None, **options):
        if if_empty and WorkTeam.objects.exists():
            self.stdout.write("数据库已有演示数据，跳过生成。")
            return
        try:
            result = seed_demo(today=today, log=self.stdout.write)
        except RuntimeError as error:
            raise CommandError(str(error)) from None
        for label, count in result.counts.items():
            self.stdout.write(f"  {label}: {count:,}")
        self.stdout.write(self.style.SUCCESS(f"演示数据生成完成，用时 {result.seconds:.1f} 秒。"))
        print_demo_users(self.stdout)


def print_demo_users(stdout) -> None:
    stdout.write(f"演示账号（密码均为 {DEMO_PASSWORD}）：")
    for user in demo_users():
        stdout.write(f"  {user.username:<14} {user.role:<12} {user.scope}")
