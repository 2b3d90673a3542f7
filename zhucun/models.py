from django.conf import settings
from django.db import models
from django.db.models import Q

from zhucun.choices import AREA_ROLES, TEAM_ROLES, Role


class UserRole(models.Model):
    """One role a user holds, bound to exactly the kind of object the role is scoped by:
    an area for admins and auditors, a dispatching unit for liaisons, a team for team roles."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="用户", on_delete=models.CASCADE, related_name="roles"
    )
    role = models.CharField("角色", max_length=20, choices=Role.choices)
    area = models.ForeignKey(
        "villages.Area", verbose_name="管辖地区", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    unit = models.ForeignKey(
        "teams.DispatchingUnit",
        verbose_name="派驻单位",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    team = models.ForeignKey(
        "teams.WorkTeam", verbose_name="工作队", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = "用户角色"
        verbose_name_plural = "用户角色"
        constraints = [
            models.CheckConstraint(
                name="user_role_bound_to_its_scope",
                condition=(
                    Q(role__in=AREA_ROLES, area__isnull=False, unit__isnull=True, team__isnull=True)
                    | Q(role=Role.UNIT_LIAISON, area__isnull=True, unit__isnull=False, team__isnull=True)
                    | Q(role__in=TEAM_ROLES, area__isnull=True, unit__isnull=True, team__isnull=False)
                ),
                violation_error_message="管理员和审计须绑定地区，联络员须绑定派驻单位，队长和队员须绑定工作队。",
            ),
            *(
                models.UniqueConstraint(
                    fields=["user", "role", scope],
                    condition=Q(**{f"{scope}__isnull": False}),
                    name=f"user_role_unique_per_{scope}",
                    violation_error_message="该用户已有此角色。",
                )
                for scope in ("area", "unit", "team")
            ),
        ]

    def __str__(self) -> str:
        scope = self.area or self.unit or self.team
        return f"{self.user} · {self.get_role_display()} · {scope}"


class WorkerPing(models.Model):
    """A row written by the `ping` task: proof that a worker consumed a message and reached the database."""

    token = models.CharField("标记", max_length=64, unique=True)
    worker = models.CharField("执行进程", max_length=200, blank=True)
    created_at = models.DateTimeField("时间", auto_now_add=True)

    class Meta:
        verbose_name = "任务心跳"
        verbose_name_plural = "任务心跳"

    def __str__(self) -> str:
        return f"{self.token} @ {self.worker}"


class PersonalDataAccess(models.Model):
    """Append-only record of every disclosure of personal data: a full ID number shown, an export with
    personal data. Auditors read it; nobody edits it (no update path in the app, admin is read-only)."""

    class Kind(models.TextChoices):
        REVEAL_ID_NUMBER = "reveal_id_number", "查看完整身份证号"
        EXPORT = "export", "导出个人信息"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="用户", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField("类型", max_length=20, choices=Kind.choices)
    cadre = models.ForeignKey(
        "teams.Cadre", verbose_name="干部", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    detail = models.CharField("说明", max_length=200, blank=True)
    ip_address = models.GenericIPAddressField("IP地址", null=True, blank=True)
    created_at = models.DateTimeField("时间", auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = "个人信息访问记录"
        verbose_name_plural = "个人信息访问记录"
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.user} {self.get_kind_display()} {self.cadre or ''}"
