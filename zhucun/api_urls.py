"""The REST API under /api/v1/ (namespace "api"). Router paths are plural kebab-case."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from reports.api.stats import (
    StatsBreakdownView,
    StatsCompletenessView,
    StatsOptionsView,
    StatsTotalsView,
    StatsTrendView,
    StatsUnitsView,
)
from reports.api.views import (
    ActivityTypeViewSet,
    ActivityViewSet,
    IndicatorViewSet,
    MonthlyReportViewSet,
    NotificationViewSet,
    ReviewQueueViewSet,
)
from teams.api.views import (
    AssignmentViewSet,
    BatchViewSet,
    CadreViewSet,
    DispatchingUnitViewSet,
    LeaveViewSet,
    WorkTeamViewSet,
)
from villages.api.views import AreaViewSet
from zhucun.api_views import MeView, TokenView

app_name = "api"

router = DefaultRouter()
router.register("areas", AreaViewSet, basename="area")
router.register("dispatching-units", DispatchingUnitViewSet, basename="dispatching-unit")
router.register("batches", BatchViewSet, basename="batch")
router.register("work-teams", WorkTeamViewSet, basename="work-team")
router.register("cadres", CadreViewSet, basename="cadre")
router.register("assignments", AssignmentViewSet, basename="assignment")
router.register("leave-requests", LeaveViewSet, basename="leave-request")
router.register("activity-types", ActivityTypeViewSet, basename="activity-type")
router.register("indicators", IndicatorViewSet, basename="indicator")
router.register("activities", ActivityViewSet, basename="activity")
router.register("monthly-reports", MonthlyReportViewSet, basename="monthly-report")
router.register("review-queue", ReviewQueueViewSet, basename="review-queue")
router.register("notifications", NotificationViewSet, basename="notification")

urlpatterns = [
    path("me/", MeView.as_view(), name="me"),
    path("auth/token/", TokenView.as_view(), name="token"),
    # Statistics from the rollup store (reports/stats.py).
    path("stats/options/", StatsOptionsView.as_view(), name="stats-options"),
    path("stats/totals/", StatsTotalsView.as_view(), name="stats-totals"),
    path("stats/breakdown/", StatsBreakdownView.as_view(), name="stats-breakdown"),
    path("stats/trend/", StatsTrendView.as_view(), name="stats-trend"),
    path("stats/units/", StatsUnitsView.as_view(), name="stats-units"),
    path("stats/completeness/", StatsCompletenessView.as_view(), name="stats-completeness"),
    *router.urls,
    # Excel exports and the cadre roster import (exports/api/).
    path("", include("exports.api.urls")),
]
