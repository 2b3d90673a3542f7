"""The REST API under /api/v1/ (namespace "api"). Router paths are plural kebab-case."""

from django.urls import path
from rest_framework.routers import DefaultRouter

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

urlpatterns = [
    path("me/", MeView.as_view(), name="me"),
    path("auth/token/", TokenView.as_view(), name="token"),
    *router.urls,
]
