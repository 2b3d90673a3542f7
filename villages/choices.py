from django.db import models


class AreaLevel(models.TextChoices):
    """Levels of the administrative tree; the code length of each level is fixed (2/4/6/9/12)."""

    PROVINCE = "province", "省级"
    PREFECTURE = "prefecture", "地级"
    COUNTY = "county", "县级"
    TOWNSHIP = "township", "乡级"
    VILLAGE = "village", "村级"


CODE_LENGTH = {
    AreaLevel.PROVINCE: 2,
    AreaLevel.PREFECTURE: 4,
    AreaLevel.COUNTY: 6,
    AreaLevel.TOWNSHIP: 9,
    AreaLevel.VILLAGE: 12,
}
LEVEL_BY_LENGTH = {length: level for level, length in CODE_LENGTH.items()}


class VillageKind(models.TextChoices):
    VILLAGE_COMMITTEE = "village", "村委会"
    RESIDENTS_COMMITTEE = "community", "居委会"
