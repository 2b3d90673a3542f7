import django_filters

from teams.models import Batch
from villages.choices import AreaLevel, VillageKind
from villages.models import Area
from zhucun.filters import AreaFilter, SearchFilter


class AreaFilterSet(django_filters.FilterSet):
    q = SearchFilter(fields=("name",), exact_fields=("code",), label="搜索（名称、代码）")
    area = AreaFilter(path="code", label="上级地区")
    level = django_filters.ChoiceFilter(choices=AreaLevel.choices, label="层级")
    kind = django_filters.ChoiceFilter(choices=VillageKind.choices, label="村居类型")
    is_border = django_filters.BooleanFilter(label="边境村")
    batch = django_filters.ModelChoiceFilter(
        field_name="teams__batch", queryset=Batch.objects.all(), label="有工作队的批次", distinct=True
    )
    ordering = django_filters.OrderingFilter(fields=(("code", "code"), ("name", "name"), ("population", "population")))

    class Meta:
        model = Area
        fields = ("q", "area", "level", "kind", "is_border", "batch")
