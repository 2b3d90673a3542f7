from django.db import models


class Category(models.TextChoices):
    """The six duties of a work team, plus 稳定团结 for the later batches' five key tasks."""

    PROPAGANDA = "propaganda", "宣传教育"
    PARTY_BUILDING = "party_building", "基层党建"
    DEVELOPMENT = "development", "发展致富"
    LIVELIHOOD = "livelihood", "民生服务"
    BENEFIT_POLICY = "benefit_policy", "惠农政策"
    POVERTY = "poverty", "精准扶贫"
    STABILITY = "stability", "稳定团结"


# The region's own names for the duties, shown as section headings beside the category.
DUTY_TITLES = {
    Category.PROPAGANDA: "政策讲解员",
    Category.PARTY_BUILDING: "党建指导员",
    Category.DEVELOPMENT: "发展引路人",
    Category.LIVELIHOOD: "民生帮扶人",
    Category.BENEFIT_POLICY: "群众贴心人",
    Category.POVERTY: "脱贫先锋队",
    Category.STABILITY: "稳定团结",
}


class ValueType(models.TextChoices):
    INTEGER = "integer", "整数"
    DECIMAL = "decimal", "小数"
    MONEY = "money", "金额（元）"


class TimeAggregation(models.TextChoices):
    """SUM for flows (trainings held); LATEST for stocks (registered poor households): a period's
    figure is each team's latest value in it, summed over teams."""

    SUM = "sum", "累计"
    LATEST = "latest", "取最新值"


class ActivitySource(models.TextChoices):
    """What an activity of a mapped type adds to an indicator of the month's report."""

    COUNT = "count", "次数（每次活动计1）"
    PARTICIPANTS = "participants", "参与人数"
    HOUSEHOLDS = "households", "覆盖户数"


class ReportStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    SUBMITTED = "submitted", "已提交"
    RETURNED = "returned", "已退回"
    APPROVED = "approved", "已审核"
