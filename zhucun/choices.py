from django.db import models


class Role(models.TextChoices):
    """The roles of SPEC.md; each is bound to an area, a dispatching unit or a team."""

    REGION_ADMIN = "region_admin", "自治区驻村办管理员"
    PREFECTURE_ADMIN = "prefecture_admin", "地市驻村办管理员"
    COUNTY_ADMIN = "county_admin", "县委组织部管理员"
    UNIT_LIAISON = "unit_liaison", "派驻单位联络员"
    TEAM_LEADER = "team_leader", "工作队队长"
    TEAM_MEMBER = "team_member", "工作队队员"
    AUDITOR = "auditor", "审计/督查"


AREA_ROLES = (Role.REGION_ADMIN, Role.PREFECTURE_ADMIN, Role.COUNTY_ADMIN, Role.AUDITOR)
TEAM_ROLES = (Role.TEAM_LEADER, Role.TEAM_MEMBER)
