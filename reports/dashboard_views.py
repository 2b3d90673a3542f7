"""The statistics dashboard: a page shell whose figures all come from the statistics API (/api/v1/stats/), fetched
by static/js/dashboard.js. The page itself reads nothing from the store; it hands the script the API's addresses
and the parameters of the link it was opened with, as data-* attributes (no inline script: CSP)."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.views.generic import TemplateView

from reports.stats import NO_STATISTICS, stats_allowed

# Query parameters a dashboard link may carry (the script checks them against the API's answers).
DASHBOARD_PARAMS = ("area", "kind", "period", "batch", "unit", "unit_level", "indicator")
ENDPOINTS = ("options", "totals", "breakdown", "trend", "units", "completeness")


class DashboardView(LoginRequiredMixin, TemplateView):
    """统计: the figures of the user's area, period and batch; team roles have their own report pages (403)."""

    template_name = "dashboard/index.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not stats_allowed(request.user):
            raise PermissionDenied(NO_STATISTICS)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["api_urls"] = {name: reverse(f"api:stats-{name}") for name in ENDPOINTS}
        context["initial"] = {name: self.request.GET.get(name, "")[:20] for name in DASHBOARD_PARAMS}
        return context
