from django.core.management.base import BaseCommand

from zhucun.management.commands.seed_demo import print_demo_users


class Command(BaseCommand):
    help = "列出演示账号及其角色和范围。"

    def handle(self, *args, **options):
        print_demo_users(self.stdout)
