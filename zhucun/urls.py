from django.contrib import admin
from django.urls import include, path

from zhucun.views import healthz

urlpatterns = [
    path("", include("zhucun.site_urls")),
    path("villages/", include("villages.urls")),
    path("teams/", include("teams.urls")),
    path("reports/", include("reports.urls")),
    path("exports/", include("exports.urls")),
    path("api/v1/", include("zhucun.api_urls")),
    path("api/", include("zhucun.api_docs_urls")),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
]
