"""Filter pieces shared by every FilterSet: the area drill-down and free-text search, both scoped."""

import django_filters
from django.db.models import Q, QuerySet

from villages.models import Area
from zhucun.scope import area_lookup


def visible_areas(request) -> QuerySet[Area]:
    """Filter options: only areas (down to townships) the user may see."""
    if request is None:
        return Area.objects.none()
    return Area.objects.visible_to(request.user).exclude(level="village").order_by("code")


class AreaFilter(django_filters.ModelChoiceFilter):
    """`?area=540103` keeps rows whose area path starts with the code: a prefecture, county or township.
    An area outside the user's scope is not a valid choice (400 in the API, a field error in pages)."""

    def __init__(self, *, path: str, **kwargs):
        self.path = path
        kwargs.setdefault("label", "地区")
        kwargs.setdefault("queryset", visible_areas)
        kwargs.setdefault("to_field_name", "code")
        super().__init__(**kwargs)

    def filter(self, qs, value):
        if not value:
            return qs
        return qs.filter(**{area_lookup(self.path): value.code})


class SearchFilter(django_filters.CharFilter):
    """`?q=...`: case-insensitive containment over several fields, plus exact matches on others."""

    def __init__(self, *, fields: tuple[str, ...], exact_fields: tuple[str, ...] = (), **kwargs):
        self.search_fields = fields
        self.exact_fields = exact_fields
        kwargs.setdefault("label", "搜索")
        super().__init__(**kwargs)

    def filter(self, qs, value):
        value = (value or "").strip()
        if not value:
            return qs
        q = Q()
        for field in self.search_fields:
            q |= Q(**{f"{field}__icontains": value})
        for field in self.exact_fields:
            q |= Q(**{field: value.upper() if "id_number" in field else value})
        return qs.filter(q)
