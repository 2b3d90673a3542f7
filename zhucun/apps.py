from django.apps import AppConfig


class ZhucunConfig(AppConfig):
    name = "zhucun"
    verbose_name = "账号与权限"
