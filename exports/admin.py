"""Export jobs and roster imports in the Django admin (region admins): read-only records of who exported or
imported what; the files themselves are downloaded from the export page by those allowed."""

from django.contrib import admin

from exports.models import ExportJob, RosterImport


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ExportJob)
class ExportJobAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "user", "kind", "title", "status", "progress", "rows_total", "file_size")
    list_filter = ("kind", "status", "personal_data")
    search_fields = ("user__username", "title", "area_code")
    date_hierarchy = "created_at"
    list_select_related = ("user",)
    raw_id_fields = ("user",)


@admin.register(RosterImport)
class RosterImportAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "user", "county", "batch", "file_name", "status", "rows", "cadres_created")
    list_filter = ("status",)
    search_fields = ("user__username", "file_name", "county__name")
    date_hierarchy = "created_at"
    list_select_related = ("user", "county", "batch")
    raw_id_fields = ("user", "county", "batch")
