from django.urls import path

from exports import views

app_name = "exports"

urlpatterns = [
    path("", views.ExportIndexView.as_view(), name="index"),
    path("jobs/<int:pk>/download/", views.ExportDownloadView.as_view(), name="download"),
    path("roster-import/", views.RosterImportView.as_view(), name="roster_import"),
    path("roster-import/template/", views.RosterTemplateView.as_view(), name="roster_template"),
    path("roster-import/<int:pk>/", views.RosterImportResultView.as_view(), name="roster_import_result"),
    path("roster-import/<int:pk>/marked/", views.RosterMarkedView.as_view(), name="roster_marked"),
]
