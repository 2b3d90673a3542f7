"""Pages for villages (村/居): the scoped list and a village with its teams over the batches."""

from django.views.generic import DetailView

from teams import selectors
from teams.views import team_below_half
from villages.filtersets import AreaFilterSet
from villages.models import Area
from zhucun.mixins import ScopedObjectMixin
from zhucun.pages import Column, FilteredListView


class VillageListView(FilteredListView):
    template_name = "villages/village_list.html"
    filterset_class = AreaFilterSet
    title = "村（居）"
    search_placeholder = "村（居）名称或12位代码"
    # The list holds villages only, so the level filter has nothing to choose.
    hidden_filters = ("ordering", "level")
    columns = (
        Column("代码", "code"),
        Column("村（居）", "name"),
        Column("乡镇（街道）"),
        Column("县（区）"),
        Column("类型"),
        Column("边境村"),
        Column("户数", css="numeric"),
        Column("人口", "population", css="numeric"),
        Column("工作队", css="numeric"),
    )

    def base_queryset(self):
        return selectors.village_list(user=self.request.user)


class VillageDetailView(ScopedObjectMixin, DetailView):
    model = Area
    template_name = "villages/village_detail.html"
    context_object_name = "village"
    slug_field = "code"
    slug_url_kwarg = "code"

    def get_queryset(self):
        return selectors.village_list(user=self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        teams = list(selectors.team_list(user=self.request.user).filter(village=self.object).order_by("-batch__number"))
        for team in teams:
            team.below_half = team_below_half(team)
        context["teams"] = teams
        return context
