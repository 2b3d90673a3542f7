"""The OpenAPI schema and its interactive docs, at /api/schema/ and /api/docs/ (no namespace: pages link to
"api-docs")."""

from django.urls import path

from zhucun.api_views import DocsView, SchemaView

urlpatterns = [
    path("schema/", SchemaView.as_view(), name="api-schema"),
    path("docs/", DocsView.as_view(), name="api-docs"),
]
