from rest_framework import serializers

from villages.choices import VillageKind
from villages.models import Area


class AreaSerializer(serializers.ModelSerializer):
    """An area of the tree; `full_name` spells out county and township for villages, whose names repeat."""

    level_display = serializers.CharField(source="get_level_display", read_only=True)
    # Declared so the schema's enum includes "" (townships and counties have no kind), found by fuzzing.
    kind = serializers.ChoiceField(choices=VillageKind.choices, allow_blank=True, read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    full_name = serializers.CharField(read_only=True)

    class Meta:
        model = Area
        fields = (
            "code",
            "name",
            "full_name",
            "level",
            "level_display",
            "parent",
            "kind",
            "kind_display",
            "is_border",
            "households",
            "population",
        )
        read_only_fields = fields
