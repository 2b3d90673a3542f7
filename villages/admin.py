from django.contrib import admin

from villages.choices import AreaLevel
from villages.models import Area


class PrefectureListFilter(admin.SimpleListFilter):
    """Filter by the prefecture an area lies in; a subtree is a code prefix, so no join is needed.

    Subclasses point `area_code_path` at the area code of the filtered model (e.g. "village__code").
    """

    title = "所属地市"
    parameter_name = "prefecture"
    area_code_path = "code"

    def lookups(self, request, model_admin):
        return Area.objects.filter(level=AreaLevel.PREFECTURE).values_list("code", "name")

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(**{f"{self.area_code_path}__startswith": self.value()})
        return queryset


@admin.register(Area)
class AreaAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent", "kind", "is_border", "households", "population"]
    list_filter = ["level", "kind", "is_border", PrefectureListFilter]
    # "^code": a code prefix lists the whole subtree.
    search_fields = ["name", "^code"]
    list_select_related = ["parent"]
    autocomplete_fields = ["parent"]
    ordering = ["code"]
    fieldsets = [
        (None, {"fields": ["code", "name", "level", "parent"]}),
        ("村居信息", {"fields": ["kind", "is_border", "households", "population"]}),
    ]
