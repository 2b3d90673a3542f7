from django.db import models


class UnitLevel(models.TextChoices):
    CENTRAL = "central", "中直"
    REGION = "region", "区直"
    PREFECTURE = "prefecture", "地直"
    COUNTY = "county", "县直"
    TOWNSHIP = "township", "乡镇"
    ENTERPRISE = "enterprise", "企业"


class Gender(models.TextChoices):
    MALE = "M", "男"
    FEMALE = "F", "女"


class PoliticalStatus(models.TextChoices):
    CPC_MEMBER = "cpc", "中共党员"
    CPC_PROBATIONARY = "cpc_probationary", "中共预备党员"
    CYL_MEMBER = "cyl", "共青团员"
    OTHER_PARTY = "other_party", "民主党派"
    MASSES = "masses", "群众"


class Education(models.TextChoices):
    POSTGRADUATE = "postgraduate", "研究生"
    BACHELOR = "bachelor", "大学本科"
    COLLEGE = "college", "大学专科"
    SECONDARY = "secondary", "中专/高中"
    OTHER = "other", "其他"


class AssignmentRole(models.TextChoices):
    """The 队长 leads the team and submits its reports; when one person is both 队长 and 第一书记,
    the assignment records 队长 and the post says 兼第一书记."""

    FIRST_SECRETARY = "first_secretary", "第一书记"
    LEADER = "leader", "队长"
    MEMBER = "member", "队员"


class AssignmentStatus(models.TextChoices):
    ON_POST = "on_post", "在岗"
    ROTATION = "rotation", "轮休"
    LEAVE = "leave", "请假"
    FINISHED = "finished", "期满"
    RECALLED = "recalled", "召回"


# An assignment in one of these statuses is current: the cadre still belongs to the team.
CURRENT_ASSIGNMENT_STATUSES = (AssignmentStatus.ON_POST, AssignmentStatus.ROTATION, AssignmentStatus.LEAVE)
ENDED_ASSIGNMENT_STATUSES = (AssignmentStatus.FINISHED, AssignmentStatus.RECALLED)


class LeaveType(models.TextChoices):
    LEAVE = "leave", "请假"
    ROTATION = "rotation", "轮休"


class LeaveStatus(models.TextChoices):
    PENDING = "pending", "待审批"
    APPROVED = "approved", "已批准"
    REFUSED = "refused", "已拒绝"
    CANCELLED = "cancelled", "已撤销"
