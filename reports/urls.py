from django.urls import path

from reports import views
from reports.dashboard_views import DashboardView

app_name = "reports"

urlpatterns = [
    path("", views.ReportListView.as_view(), name="report_list"),
    path("<int:pk>/", views.ReportView.as_view(), name="report"),
    path("review/<int:pk>/", views.ReportReviewView.as_view(), name="review"),
    path("teams/<int:team_id>/<str:month>/", views.ReportOpenView.as_view(), name="report_month"),
    path("review/", views.ReviewQueueView.as_view(), name="review_queue"),
    path("review/approve/", views.ReviewApproveManyView.as_view(), name="approve_many"),
    path("overdue/", views.OverdueView.as_view(), name="overdue"),
    path("activities/", views.ActivityListView.as_view(), name="activity_list"),
    path("activities/new/", views.ActivityCreateView.as_view(), name="activity_create"),
    path("activities/<int:pk>/edit/", views.ActivityUpdateView.as_view(), name="activity_update"),
    path("activities/<int:pk>/delete/", views.ActivityDeleteView.as_view(), name="activity_delete"),
    path("indicators/", views.IndicatorListView.as_view(), name="indicator_list"),
    path("indicators/new/", views.IndicatorCreateView.as_view(), name="indicator_create"),
    path("indicators/move/", views.IndicatorMoveView.as_view(), name="indicator_move"),
    path("indicators/<str:code>/edit/", views.IndicatorUpdateView.as_view(), name="indicator_update"),
    path("indicators/<str:code>/retire/", views.IndicatorRetireView.as_view(), name="indicator_retire"),
    path("notifications/", views.NotificationListView.as_view(), name="notifications"),
    path("notifications/read-all/", views.NotificationReadAllView.as_view(), name="notifications_read_all"),
    path("notifications/<int:pk>/read/", views.NotificationReadView.as_view(), name="notification_read"),
    # Statistics: the dashboard, fed by /api/v1/stats/.
    path("dashboard/", DashboardView.as_view(), name="dashboard"),
]
