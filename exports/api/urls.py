"""Included by zhucun/api_urls.py under /api/v1/ (namespace "api")."""

from rest_framework.routers import SimpleRouter

from exports.api.views import ExportJobViewSet, RosterImportViewSet

router = SimpleRouter()
router.register("exports", ExportJobViewSet, basename="export-job")
router.register("roster-imports", RosterImportViewSet, basename="roster-import")

urlpatterns = router.urls
