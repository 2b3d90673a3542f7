from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Length
from django.db.models.lookups import Exact

from villages.choices import AreaLevel, VillageKind
from zhucun.scope import Action, Scope, ScopedQuerySet


class AreaQuerySet(ScopedQuerySet):
    """Users bound to an area see its subtree; liaisons and team members see the villages of their teams."""

    area_path = "code"

    def scope_q(self, scope: Scope, action: Action) -> Q:
        from teams.models import WorkTeam

        q = super().scope_q(scope, action)
        if scope.unit_ids:
            q |= Q(Exists(WorkTeam.objects.filter(village=OuterRef("code"), unit__in=scope.unit_ids)))
        if scope.team_ids:
            q |= Q(code__in=WorkTeam.objects.filter(pk__in=scope.team_ids).values("village_id"))
        return q

    def within(self, code: str) -> "AreaQuerySet":
        """The subtree under `code`, the area itself included (a subtree is a code prefix)."""
        return self.filter(code__startswith=code)

    def villages(self) -> "AreaQuerySet":
        return self.filter(level=AreaLevel.VILLAGE)


class Area(models.Model):
    """A node of the administrative tree, keyed by the National Bureau of Statistics' code.

    The code is the primary key so that scope is a prefix match on any foreign key to an area
    (`team.village_id LIKE '540103%'`) without a join.
    """

    code = models.CharField("统计用区划代码", max_length=12, primary_key=True)
    name = models.CharField("名称", max_length=100)
    level = models.CharField("层级", max_length=10, choices=AreaLevel.choices)
    parent = models.ForeignKey(
        "self", verbose_name="上级", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    kind = models.CharField("村居类型", max_length=10, choices=VillageKind.choices, blank=True)
    is_border = models.BooleanField("边境村", default=False)
    households = models.PositiveIntegerField("户数", null=True, blank=True)
    population = models.PositiveIntegerField("人口", null=True, blank=True)

    objects = AreaQuerySet.as_manager()

    class Meta:
        verbose_name = "行政区划"
        verbose_name_plural = "行政区划"
        ordering = ["code"]
        indexes = [models.Index(fields=["level", "code"], name="area_level_code_idx")]
        constraints = [
            models.CheckConstraint(
                name="area_code_length_matches_level",
                condition=(
                    (Q(level=AreaLevel.PROVINCE) & Exact(Length("code"), 2))
                    | (Q(level=AreaLevel.PREFECTURE) & Exact(Length("code"), 4))
                    | (Q(level=AreaLevel.COUNTY) & Exact(Length("code"), 6))
                    | (Q(level=AreaLevel.TOWNSHIP) & Exact(Length("code"), 9))
                    | (Q(level=AreaLevel.VILLAGE) & Exact(Length("code"), 12))
                ),
                violation_error_message="区划代码位数与层级不符（省2位、地4位、县6位、乡9位、村12位）。",
            ),
            models.CheckConstraint(
                name="area_parent_is_prefix",
                condition=(
                    Q(parent__isnull=True, level=AreaLevel.PROVINCE)
                    | Q(parent__isnull=False, code__startswith=models.F("parent"))
                ),
                violation_error_message="下级区划代码必须以上级代码开头（只有省级区划没有上级）。",
            ),
            models.CheckConstraint(
                name="area_kind_only_for_villages",
                condition=Q(level=AreaLevel.VILLAGE) | Q(kind="", is_border=False),
                violation_error_message="只有村级区划才有村居类型和边境村标记。",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def full_name(self) -> str:
        """堆龙德庆区东嘎街道南嘎居委会: village names repeat, so pickers show county and township too
        (select_related("parent__parent") to avoid two queries per row)."""
        if self.level != AreaLevel.VILLAGE or self.parent is None:
            return self.name
        township = self.parent
        county = township.parent
        return f"{county.name if county else ''}{township.name}{self.name}"

    @property
    def prefecture_code(self) -> str:
        return self.code[:4]

    @property
    def county_code(self) -> str:
        return self.code[:6]
