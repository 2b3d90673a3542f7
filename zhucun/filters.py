"""Filter pieces shared by every FilterSet (the area filter, the unit filter, free-text search, all scoped) and
what a list page offers for them: a bounded area drill-down and a unit select that turns into a name box when the
user's units would not fit in one (a superuser at country size sees 200,000 teams of ~80,000 units in ~45,000
townships; a page offers a few dozen areas and at most MAX_UNIT_CHOICES units)."""

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet

from villages.models import Area
from zhucun.scope import area_lookup, scope_for


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


class UnitChoiceField(django_filters.fields.ModelChoiceField):
    """A unit by id (`?unit=12`, links and the API) or, typed in a list page's name box, by its name or a part of
    it that names exactly one of the units the user may filter by."""

    def to_python(self, value):
        text = "" if value in self.empty_values else str(value).strip()
        if not text or text.isdigit():
            return super().to_python(text)
        exact = list(self.queryset.filter(name=text)[:2])
        if len(exact) == 1:
            return exact[0]
        matches = list(self.queryset.filter(name__icontains=text).order_by("name")[:4])
        if len(matches) == 1:
            return matches[0]
        if not matches:
            raise ValidationError(f"没有名称包含“{text}”的派驻单位。", code="invalid_choice")
        examples = "、".join(unit.name for unit in matches[:3])
        raise ValidationError(
            f"有多个派驻单位的名称包含“{text}”（如{examples}），请输入更完整的名称。", code="ambiguous_choice"
        )


class UnitFilter(django_filters.ModelChoiceFilter):
    """`?unit=12`: one dispatching unit (a list page may also send its name, see UnitChoiceField)."""

    field_class = UnitChoiceField


# -- what a list page offers: bounded choices at any size ---------------------------------------------------

# Above this many units a list page's unit filter is a text box matching the unit by name, not a select.
MAX_UNIT_CHOICES = 300
_INDENT = "\u3000"  # an ideographic space: browsers keep it at the start of an option's text
_CODE_LENGTHS = (2, 4, 6, 9)  # province, prefecture, county, township


def area_roots(request) -> list[Area]:
    """The tops of the user's area scope: the areas they are bound to (a superuser: the provinces)."""
    if request is None:
        return []
    scope = scope_for(request.user)
    roots = (
        Area.objects.filter(parent__isnull=True)
        if scope.everything
        else Area.objects.filter(code__in=scope.area_prefixes)
    )
    return list(roots.exclude(level="village").order_by("code"))


def area_drilldown(field: forms.ModelChoiceField, *, request, selected: str, levels: tuple[str, ...]) -> bool:
    """A list page's area select as a drill-down of a few dozen options at any size: the user's scope roots and
    their children; once an area is chosen, its ancestors within scope, their children (its siblings among them)
    and its own children; indented by depth (拉萨市, 　堆龙德庆区, 　　东嘎街道). Below the roots only `levels`
    are offered. A single root is the user's whole scope, so it is the empty choice ("全部（西藏自治区）"), not
    an option. Validation stays the field's queryset (every area the user may see). False if nothing to offer."""
    roots = area_roots(request)
    if not roots:
        return False
    root_codes = tuple(root.code for root in roots)
    chain = []
    if selected.isdigit():
        chain = [selected[:n] for n in _CODE_LENGTHS if n <= len(selected) and selected[:n].startswith(root_codes)]
    offered = Q(parent__in=[*root_codes, *chain], level__in=levels) | Q(code__in=chain)
    if len(roots) > 1:
        offered |= Q(code__in=root_codes)
    else:
        offered &= ~Q(code=roots[0].code)
    areas = list(visible_areas(request).filter(offered).order_by("code"))
    if not areas:
        return False
    top = min(_CODE_LENGTHS.index(len(area.code)) for area in areas)
    empty_label = "全部地区" if len(roots) > 1 else f"全部（{roots[0].name}）"
    field.widget.choices = [("", empty_label)] + [
        (area.code, _INDENT * (_CODE_LENGTHS.index(len(area.code)) - top) + area.name) for area in areas
    ]
    return True


class UnitNameInput(forms.TextInput):
    """The unit filter as a text box: shows the chosen unit's name when the URL holds its id (`?unit=12`)."""

    def __init__(self, names: dict[str, str], attrs=None):
        self.names = names
        super().__init__(attrs)

    def format_value(self, value):
        value = super().format_value(value)
        return self.names.get(value, value) if value else value


def unit_filter_choices(field: forms.ModelChoiceField, *, request, area: str, selected: str) -> None:
    """The units that sent a team the user sees (in the chosen area) as a select, or, when more than
    MAX_UNIT_CHOICES would be offered (a superuser or a province at country size), a box that matches the unit by
    name; `?unit=<id>` works in both."""
    from teams.models import WorkTeam

    teams = WorkTeam.objects.visible_to(request.user)
    if area:
        teams = teams.filter(village__pk__startswith=area)
    teams = teams.order_by()
    if area or not scope_for(request.user).everything:
        # Counted over the scope's own teams (an index range on the village code): ~8 ms for a province's 20,000
        # teams, where a LIMIT on the units walks the unit index through every other province's teams (~60 ms).
        many = teams.aggregate(units=Count("unit_id", distinct=True))["units"] > MAX_UNIT_CHOICES
        unit_ids = [] if many else list(teams.values_list("unit_id", flat=True).distinct())
        rows = list(field.queryset.filter(pk__in=unit_ids))
    else:
        # Every team: the first MAX_UNIT_CHOICES + 1 units by the unit index tell at once (under 1 ms).
        rows = list(field.queryset.filter(pk__in=teams.values("unit_id")).order_by()[: MAX_UNIT_CHOICES + 1])
        many = len(rows) > MAX_UNIT_CHOICES
    if many and isinstance(field, UnitChoiceField):
        names = {}
        if selected.isdigit():
            names = {str(unit.pk): unit.name for unit in field.queryset.filter(pk=selected)}
        # (The hint is the placeholder: the page's bound fields, help text included, exist before this runs.)
        field.widget = UnitNameInput(
            names,
            attrs={
                "placeholder": "单位较多：输入名称或其中一部分，按回车",
                "autocomplete": "off",
                "enterkeyhint": "search",
            },
        )
        return
    if many and not rows:  # a unit filter that takes ids only: the first MAX_UNIT_CHOICES units
        rows = list(field.queryset.filter(pk__in=teams.values("unit_id")).order_by()[:MAX_UNIT_CHOICES])
    rows = sorted(rows[:MAX_UNIT_CHOICES], key=lambda unit: (unit.name, unit.pk))
    if selected.isdigit() and not any(str(unit.pk) == selected for unit in rows):
        rows = list(field.queryset.filter(pk=selected)) + rows
    field.widget.choices = [("", "全部")] + [(unit.pk, unit.name) for unit in rows]
