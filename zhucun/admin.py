from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from zhucun.models import UserRole

admin.site.site_header = "驻村工作队管理系统"
admin.site.site_title = "驻村管理"
admin.site.index_title = "系统管理"

User = get_user_model()


@admin.register(UserRole)
class UserRoleAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "area", "unit", "team"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "area__name", "unit__name", "team__name"]
    list_select_related = ["user", "area", "unit", "team"]
    autocomplete_fields = ["user", "area", "unit", "team"]
    ordering = ["user__username", "role"]


class UserRoleInline(admin.TabularInline):
    model = UserRole
    fields = ["role", "area", "unit", "team"]
    autocomplete_fields = ["area", "unit", "team"]
    extra = 0


admin.site.unregister(User)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [*BaseUserAdmin.inlines, UserRoleInline]
    list_filter = [*BaseUserAdmin.list_filter, "roles__role"]
