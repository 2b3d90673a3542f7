from rest_framework import mixins

from teams.selectors import area_choices
from villages.api.serializers import AreaSerializer
from villages.choices import AreaLevel
from villages.filtersets import AreaFilterSet
from villages.models import Area
from zhucun.mixins import ScopedViewSet


class AreaViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Areas of every level the user may see. Read-only: the tree is imported, not edited through the API."""

    queryset = Area.objects.all()
    serializer_class = AreaSerializer
    filterset_class = AreaFilterSet
    lookup_field = "code"

    def get_queryset(self):
        return area_choices(user=self.request.user, levels=tuple(AreaLevel.values)).select_related("parent__parent")
