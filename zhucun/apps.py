from django.apps import AppConfig


class ZhucunConfig(AppConfig):
    name = "zhucun"
    verbose_name = "账号与权限"

    def ready(self) -> None:
        from zhucun import signals  # noqa: F401  (connects the login logging receivers)
