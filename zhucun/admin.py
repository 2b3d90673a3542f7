from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from zhucun.models import PersonalDataAccess, UserRole, WorkerPing
from zhucun.two_factor import reset_two_factor

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
    actions = [reset_two_factor]


@admin.register(PersonalDataAccess)
class PersonalDataAccessAdmin(admin.ModelAdmin):
    """Append-only: readable, never added, changed or deleted through the admin."""

    list_display = ("created_at", "user", "kind", "cadre", "detail", "ip_address")
    list_filter = ("kind",)
    search_fields = ("user__username", "cadre__name", "detail")
    date_hierarchy = "created_at"
    list_select_related = ("user", "cadre")
    raw_id_fields = ("user", "cadre")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(WorkerPing)
class WorkerPingAdmin(admin.ModelAdmin):
    list_display = ("created_at", "token", "worker")
