"""The demo region: the real Tibet geography with generated units, teams, cadres, reports and users.

Everything is generated from a fixed random seed and the given `today`, so two runs on the same
day build identical data. The batch is placed so that `today` falls in its eighth month: seven
months of reports are due or past due and the current month is in progress. Rows are written with
bulk inserts so the whole region (about 2 million report values) loads in well under two minutes
on SQLite.
"""

import datetime
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from reports.choices import ReportStatus, TimeAggregation, ValueType
from reports.models import Activity, ActivityType, Indicator, MonthlyReport, ReportValue
from reports.periods import add_months, due_date_for, month_start
from teams.choices import (
    AssignmentRole,
    AssignmentStatus,
    Education,
    Gender,
    LeaveStatus,
    LeaveType,
    PoliticalStatus,
    UnitLevel,
)
from teams.models import Assignment, Batch, Cadre, DispatchingUnit, Leave, WorkTeam
from teams.validators import id_number_check_char
from villages.choices import AreaLevel
from villages.models import Area
from zhucun.bulk import bulk_insert
from zhucun.choices import Role
from zhucun.models import UserRole

SEED = 20260401
DEMO_PASSWORD = "zhucun-demo-2026"  # noqa: S105 - printed on purpose: demo accounts only
BATCH_MONTHS_BEFORE_TODAY = 7
# The accounts with the printed password, one per role (and the outsider county of the stories).
DEMO_USERNAMES = (
    "region_admin",
    "lhasa_admin",
    "duilong_admin",
    "biru_admin",
    "auditor",
    "unit_liaison",
    "nanga_leader",
    "nanga_member",
)

# Named places of the demo stories (SPEC.md / STYLE.md).
REGION_CODE = "54"
LHASA_CODE = "5401"
DUILONG_CODE = "540103"
NANGA_CODE = "540103001002"
BIRU_CODE = "540622"

# The 21 border counties of Tibet; the demo flags part of their villages as 边境村.
BORDER_COUNTIES = {
    "542524", "542523", "542522", "542521", "540232", "540236", "540234", "540235", "540223", "540231",
    "540237", "540233", "540230", "540527", "540581", "540531", "540529", "540426", "540481", "540423",
    "540425",
}  # fmt: skip

# Units named in SPEC.md: (name, level, area code, parent name).
NAMED_UNITS = [
    ("自治区党委组织部", UnitLevel.REGION, REGION_CODE, None),
    ("区人大办公厅", UnitLevel.REGION, REGION_CODE, None),
    ("区政协办公厅", UnitLevel.REGION, REGION_CODE, None),
    ("区党委统战部", UnitLevel.REGION, REGION_CODE, None),
    ("区党委党校", UnitLevel.REGION, REGION_CODE, None),
    ("自治区文化厅", UnitLevel.REGION, REGION_CODE, None),
    ("西藏日报社", UnitLevel.REGION, REGION_CODE, None),
    ("自治区农牧科学院", UnitLevel.REGION, REGION_CODE, None),
    ("区农科院蔬菜研究所", UnitLevel.REGION, REGION_CODE, "自治区农牧科学院"),
    ("那曲地区人民医院", UnitLevel.PREFECTURE, "5406", None),
    ("阿里地区职业技术学校", UnitLevel.PREFECTURE, "5425", None),
    ("拉萨市堆龙德庆区统计局", UnitLevel.COUNTY, DUILONG_CODE, None),
    ("华泰龙公司", UnitLevel.ENTERPRISE, REGION_CODE, None),
]
REGION_UNITS = [
    "自治区党委办公厅", "自治区人民政府办公厅", "自治区党委宣传部", "自治区党委政法委", "自治区纪委监委",
    "自治区发展和改革委员会", "自治区教育厅", "自治区科学技术厅", "自治区公安厅", "自治区民政厅",
    "自治区司法厅", "自治区财政厅", "自治区人力资源和社会保障厅", "自治区自然资源厅", "自治区生态环境厅",
    "自治区住房和城乡建设厅", "自治区交通运输厅", "自治区水利厅", "自治区农业农村厅", "自治区商务厅",
    "自治区卫生健康委员会", "自治区审计厅", "自治区市场监督管理局", "自治区统计局", "自治区林业和草原局",
    "自治区乡村振兴局", "自治区气象局", "西藏大学", "西藏民族大学", "自治区人民医院", "自治区藏医院",
    "西藏农牧学院", "西藏广播电视台", "自治区总工会", "共青团西藏自治区委员会", "自治区妇女联合会",
    "自治区高级人民法院", "自治区人民检察院",
]  # fmt: skip
CENTRAL_UNITS = ["中国农业银行西藏分行", "国网西藏电力有限公司", "中国移动西藏公司", "中国邮政西藏分公司"]
ENTERPRISE_UNITS = ["西藏天路股份有限公司", "西藏高争建材股份有限公司", "西藏城市投资集团", "西藏开发投资集团"]
PREFECTURE_DEPARTMENTS = [
    "教育局", "财政局", "农业农村局", "卫生健康委员会", "公安局", "自然资源局", "交通运输局", "水利局",
    "商务局", "文化局", "审计局", "林业和草原局", "市场监督管理局", "中级人民法院", "人民检察院", "人民医院",
]  # fmt: skip
COUNTY_DEPARTMENTS = [
    "农业农村局", "教育局", "卫生健康委员会", "财政局", "人力资源和社会保障局", "自然资源局", "水利局",
    "交通运输局", "民政局", "司法局", "市场监督管理局", "人民医院",
]  # fmt: skip

TIBETAN_MALE = ["扎西", "次仁", "旺堆", "多吉", "平措", "顿珠", "索朗", "边巴", "普布", "格桑", "尼玛", "达瓦",
                "拉巴", "巴桑", "洛桑", "强巴", "丹增", "罗布", "米玛", "桑珠", "贡嘎", "嘎玛", "旦增"]  # fmt: skip
TIBETAN_FEMALE = ["卓玛", "央金", "德吉", "拉姆", "曲珍", "白玛", "琼达", "次珍", "仓决", "德央", "玉珍", "旺姆",
                  "格桑", "次仁", "尼玛", "达瓦", "拉巴", "普布", "边巴", "索朗", "央宗", "美朵"]  # fmt: skip
TIBETAN_SECOND = ["次仁", "多吉", "旺堆", "顿珠", "平措", "罗布", "卓玛", "拉姆", "央金", "曲珍", "扎西", "群培",
                  "欧珠", "尼玛", "达瓦", "普布", "桑布", "格列", "加措", "朗杰", "措姆", "德庆"]  # fmt: skip
HAN_SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜"
)
HAN_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红兵海波辉鹏飞云峰宇浩凯亮俊斌"
INLAND_COUNTIES = ["510104", "500101", "620102", "420102", "410102", "370102", "130102", "610102", "320102"]
POSTS = {
    "leader": ["副处长", "处长", "副主任", "副局长", "副院长", "科长"],
    "member": ["科员", "干部", "副科长", "主任科员", "专技人员", "教师", "医生"],
}
RANKS = {"leader": ["副处级", "正科级", "副科级"], "member": ["副科级", "科员", "办事员", "科员"]}

# Mean per team per month of each indicator; calibrated loosely on the region's half-year bulletins
# (e.g. 宣讲大会 3.1万 and 劳务输出 7.2万 over about 5,500 teams in six months).
MONTHLY_MEAN = {
    "P01": 12, "P02": 1.0, "P03": 0.5, "P04": 0.6, "P05": 80, "P06": 60,
    "D01": 2, "D02": 2, "D03": 15, "D04": 300, "D05": 0.3, "D06": 0.1, "D07": 0.1, "D08": 0.15, "D09": 0.15,
    "D11": 0.1, "D12": 0.1,
    "E01": 5, "E02": 1, "E03": 2.2, "E04": 3300, "E05": 0.1, "E06": 0.05, "E07": 0.3,
    "S01": 1, "S02": 2, "S03": 0.6, "S04": 8,
    "H01": 0.8, "H02": 40, "H03": 50, "H04": 20, "H05": 0.3, "H06": 0.3, "H07": 15,
    "F01": 0.6, "F02": 30, "F03": 0.2, "F04": 25, "F05": 110, "F06": 10, "F07": 40, "F08": 3, "F09": 3,
    "F10": 0.05, "F11": 2000,
    "T01": 0.5, "T02": 10, "T03": 2, "T04": 0.5,
}  # fmt: skip
RETURN_COMMENTS = ["请核实劳务输出人数。", "本月工作小结过于简单，请补充。", "增收金额与上月差距较大，请说明。"]
SUMMARIES = [
    "本月开展入户走访和政策宣讲，协助村两委整理党务村务公开材料。",
    "组织群众参加技能培训，对接劳务输出，走访慰问困难群众。",
    "召开宣讲大会，排查化解矛盾纠纷，推进集体经济项目。",
]


@dataclass
class DemoUser:
    username: str
    role: str
    scope: str


@dataclass
class SeedResult:
    counts: dict[str, int] = field(default_factory=dict)
    users: list[DemoUser] = field(default_factory=list)
    seconds: float = 0.0


def demo_batch_dates(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    start = add_months(month_start(today), -BATCH_MONTHS_BEFORE_TODAY)
    return start, add_months(start, 12) - datetime.timedelta(days=1)


class _Seeder:
    def __init__(self, *, today: datetime.date, area_prefix: str, log: Callable[[str], None]):
        self.today = today
        self.area_prefix = area_prefix
        self.log = log
        self.rng = random.Random(SEED)
        self.counts: dict[str, int] = {}
        self.demo_users: list[DemoUser] = []
        self.id_numbers: set[str] = set()
        self.phones: set[str] = set()

    # -- geography -----------------------------------------------------------------------------
    def villages(self) -> None:
        villages = list(Area.objects.villages().within(self.area_prefix).order_by("code"))
        for village in villages:
            village.households = self.rng.randint(40, 420)
            village.population = int(village.households * self.rng.uniform(3.6, 5.2))
            village.is_border = village.code[:6] in BORDER_COUNTIES and self.rng.random() < 0.56
        Area.objects.bulk_update(villages, ["households", "population", "is_border"], batch_size=2000)
        self.villages_by_code = {village.code: village for village in villages}
        self.area_names = dict(Area.objects.exclude(level=AreaLevel.VILLAGE).values_list("code", "name"))
        self.counts["边境村"] = sum(village.is_border for village in villages)

    # -- dispatching units ---------------------------------------------------------------------
    def units(self) -> None:
        rows: dict[str, DispatchingUnit] = {}

        def add(name: str, level: str, area_code: str) -> None:
            if name not in rows:
                phone = self.phone()
                rows[name] = DispatchingUnit(
                    name=name, level=level, area_id=area_code, contact_name=self.person_name()[0], contact_phone=phone
                )

        for name, level, area_code, _parent in NAMED_UNITS:
            add(name, level, area_code)
        for name in REGION_UNITS:
            add(name, UnitLevel.REGION, REGION_CODE)
        for name in CENTRAL_UNITS:
            add(name, UnitLevel.CENTRAL, REGION_CODE)
        for name in ENTERPRISE_UNITS:
            add(name, UnitLevel.ENTERPRISE, REGION_CODE)
        levels = Area.objects.exclude(level=AreaLevel.VILLAGE).values_list("code", "level")
        for code, level in levels:
            if not (code.startswith(self.area_prefix) or self.area_prefix.startswith(code)):
                continue
            name = self.area_names[code]
            if level == AreaLevel.PREFECTURE:
                for department in PREFECTURE_DEPARTMENTS:
                    add(f"{name}{department}", UnitLevel.PREFECTURE, code)
            elif level == AreaLevel.COUNTY:
                for department in COUNTY_DEPARTMENTS:
                    add(f"{self.area_names[code[:4]]}{name}{department}", UnitLevel.COUNTY, code)
            elif level == AreaLevel.TOWNSHIP:
                add(f"{self.area_names[code[:6]]}{name}人民政府", UnitLevel.TOWNSHIP, code)
        DispatchingUnit.objects.bulk_create(rows.values(), batch_size=1000)
        by_name = {unit.name: unit for unit in DispatchingUnit.objects.all()}
        for name, _level, _area, parent in NAMED_UNITS:
            if parent:
                by_name[name].parent = by_name[parent]
                by_name[name].save(update_fields=["parent"])
        self.unit_by_name = by_name
        self.units_by_area: dict[str, list[DispatchingUnit]] = {}
        for unit in sorted(by_name.values(), key=lambda unit: unit.name):
            self.units_by_area.setdefault(unit.area_id, []).append(unit)
        self.top_units = [
            unit
            for unit in sorted(by_name.values(), key=lambda unit: unit.name)
            if unit.level in (UnitLevel.REGION, UnitLevel.CENTRAL, UnitLevel.ENTERPRISE)
        ]
        self.counts["派驻单位"] = len(by_name)

    def unit_for(self, village: Area) -> DispatchingUnit:
        """Roughly Tibet's 2022 mix: 10% region and central units, 16% prefecture, the rest county and township."""
        if village.code == NANGA_CODE:
            return self.unit_by_name["自治区党委组织部"]
        draw = self.rng.random()
        if draw < 0.10:
            return self.rng.choice(self.top_units)
        if draw < 0.263:
            return self.rng.choice(self.units_by_area[village.code[:4]])
        if draw < 0.70:
            return self.rng.choice(self.units_by_area[village.code[:6]])
        return self.units_by_area[village.code[:9]][0]

    # -- people --------------------------------------------------------------------------------
    def person_name(self) -> tuple[str, str, str]:
        """(name, gender, ethnicity): most cadres in village teams are Tibetan."""
        gender = Gender.MALE if self.rng.random() < 0.68 else Gender.FEMALE
        draw = self.rng.random()
        if draw < 0.70:
            first = self.rng.choice(TIBETAN_MALE if gender == Gender.MALE else TIBETAN_FEMALE)
            second = self.rng.choice(TIBETAN_SECOND)
            return (first + second if first != second else first + "次仁"), gender, "藏族"
        surname = self.rng.choice(HAN_SURNAMES)
        given = "".join(self.rng.choice(HAN_GIVEN) for _ in range(self.rng.choice((1, 2, 2))))
        ethnicity = "汉族" if draw < 0.98 else self.rng.choice(("回族", "门巴族", "珞巴族", "纳西族"))
        return surname + given, gender, ethnicity

    def id_number(self, *, county_code: str, birth: datetime.date, gender: str) -> str:
        sequence = self.rng.randrange(0, 500) * 2 + (1 if gender == Gender.MALE else 0)
        while True:
            first17 = f"{county_code}{birth:%Y%m%d}{sequence % 1000:03d}"
            number = first17 + id_number_check_char(first17)
            if number not in self.id_numbers:
                self.id_numbers.add(number)
                return number
            sequence += 2

    def phone(self) -> str:
        while True:
            number = f"1{self.rng.choice('35789')}{self.rng.randrange(10**9):09d}"
            if number not in self.phones:
                self.phones.add(number)
                return number

    # -- batch, teams, cadres ------------------------------------------------------------------
    def teams(self) -> None:
        start, end = demo_batch_dates(self.today)
        self.batch = Batch.objects.create(number=start.year - 2010, start_date=start, end_date=end)
        teams = []
        for village in self.villages_by_code.values():
            unit = self.unit_for(village)
            teams.append(
                WorkTeam(
                    batch=self.batch,
                    village=village,
                    unit=unit,
                    name=WorkTeam.default_name(unit_name=unit.name, village_name=village.name),
                    start_date=start,
                )
            )
        WorkTeam.objects.bulk_create(teams, batch_size=2000)
        self.team_list = list(
            WorkTeam.objects.filter(batch=self.batch).select_related("village", "unit").order_by("village_id")
        )
        self.counts["工作队"] = len(self.team_list)

    def cadres(self) -> None:
        start = self.batch.start_date
        cadres: list[Cadre] = []
        plan: list[tuple[int, str, str]] = []  # (team index, role, status)
        for index, team in enumerate(self.team_list):
            unit_county = team.unit.area_id if len(team.unit.area_id) >= 6 else None
            for role in (AssignmentRole.LEADER, AssignmentRole.FIRST_SECRETARY, AssignmentRole.MEMBER, "member2"):
                kind = "leader" if role in (AssignmentRole.LEADER, AssignmentRole.FIRST_SECRETARY) else "member"
                name, gender, ethnicity = self.person_name()
                birth = datetime.date(self.rng.randint(1968, 1999), self.rng.randint(1, 12), self.rng.randint(1, 28))
                if ethnicity == "汉族" and self.rng.random() < 0.5:
                    county = self.rng.choice(INLAND_COUNTIES)
                else:
                    county = unit_county[:6] if unit_county else team.village_id[:6]
                cadres.append(
                    Cadre(
                        name=name,
                        gender=gender,
                        ethnicity=ethnicity,
                        birth_date=birth,
                        id_number=self.id_number(county_code=county, birth=birth, gender=gender),
                        phone=self.phone(),
                        political_status=PoliticalStatus.CPC_MEMBER
                        if kind == "leader" or self.rng.random() < 0.8
                        else self.rng.choice((PoliticalStatus.CYL_MEMBER, PoliticalStatus.MASSES)),
                        education=self.rng.choice(
                            (Education.BACHELOR, Education.BACHELOR, Education.COLLEGE, Education.POSTGRADUATE)
                        ),
                        home_unit=team.unit,
                        area_id=team.village_id[:6],
                        post=self.rng.choice(POSTS[kind]),
                        rank=self.rng.choice(RANKS[kind]),
                    )
                )
                status = AssignmentStatus.ON_POST
                if kind == "member":
                    draw = self.rng.random()
                    status = (
                        AssignmentStatus.ROTATION
                        if draw < 0.03
                        else AssignmentStatus.LEAVE
                        if draw < 0.05
                        else AssignmentStatus.ON_POST
                    )
                plan.append((index, AssignmentRole.MEMBER if role == "member2" else role, status))
        Cadre.objects.bulk_create(cadres, batch_size=2000)
        assignments = [
            Assignment(cadre=cadre, team=self.team_list[index], role=role, start_date=start, status=status)
            for cadre, (index, role, status) in zip(cadres, plan, strict=True)
        ]
        Assignment.objects.bulk_create(assignments, batch_size=2000)
        self.leaders = {a.team_id: a for a in assignments if a.role == AssignmentRole.LEADER}
        self.members = {
            a.team_id: a for a in assignments if a.role == AssignmentRole.MEMBER and a.team.village_id == NANGA_CODE
        }
        self.on_leave = [a for a in assignments if a.status in (AssignmentStatus.ROTATION, AssignmentStatus.LEAVE)]
        self.counts["驻村干部"] = len(cadres)
        self.counts["驻村任职"] = len(assignments)

    # -- users ---------------------------------------------------------------------------------
    def users(self) -> None:
        User = get_user_model()
        demo_hash = make_password(DEMO_PASSWORD)
        unusable = make_password(None)
        named = {
            "region_admin": (Role.REGION_ADMIN, REGION_CODE, "自治区驻村办"),
            "lhasa_admin": (Role.PREFECTURE_ADMIN, LHASA_CODE, "拉萨市驻村办"),
            "duilong_admin": (Role.COUNTY_ADMIN, DUILONG_CODE, "堆龙德庆区委组织部"),
            "biru_admin": (Role.COUNTY_ADMIN, BIRU_CODE, "比如县委组织部（另一县，用于演示权限隔离）"),
            "auditor": (Role.AUDITOR, REGION_CODE, "自治区审计（全区只读）"),
        }
        users: list = []
        roles: list[UserRole] = []
        for username, (role, area_code, label) in named.items():
            users.append(
                User(username=username, password=demo_hash, first_name=label, is_staff=username == "region_admin")
            )
            roles.append(UserRole(role=role, area_id=area_code))
            self.demo_users.append(DemoUser(username, Role(role).label, label))
        for code in Area.objects.filter(level=AreaLevel.COUNTY).values_list("code", flat=True):
            if code in (DUILONG_CODE, BIRU_CODE):
                continue
            users.append(User(username=f"county_{code}", password=unusable, first_name=self.area_names[code]))
            roles.append(UserRole(role=Role.COUNTY_ADMIN, area_id=code))
        for code in Area.objects.filter(level=AreaLevel.PREFECTURE).values_list("code", flat=True):
            if code != LHASA_CODE:
                users.append(User(username=f"prefecture_{code}", password=unusable, first_name=self.area_names[code]))
                roles.append(UserRole(role=Role.PREFECTURE_ADMIN, area_id=code))
        liaison_unit = self.unit_by_name["自治区党委组织部"]
        users.append(User(username="unit_liaison", password=demo_hash, first_name=liaison_unit.name))
        roles.append(UserRole(role=Role.UNIT_LIAISON, unit=liaison_unit))
        self.demo_users.append(DemoUser("unit_liaison", Role.UNIT_LIAISON.label, liaison_unit.name))
        leader_users = {}
        for team in self.team_list:
            demo = team.village_id == NANGA_CODE
            user = User(
                username="nanga_leader" if demo else f"leader_{team.village_id}",
                password=demo_hash if demo else unusable,
                first_name=self.leaders[team.pk].cadre.name,
            )
            users.append(user)
            roles.append(UserRole(role=Role.TEAM_LEADER, team=team))
            leader_users[team.pk] = user
            if demo:
                self.demo_users.append(DemoUser("nanga_leader", Role.TEAM_LEADER.label, team.name))
                users.append(
                    User(username="nanga_member", password=demo_hash, first_name=self.members[team.pk].cadre.name)
                )
                roles.append(UserRole(role=Role.TEAM_MEMBER, team=team))
                self.demo_users.append(DemoUser("nanga_member", Role.TEAM_MEMBER.label, team.name))
        User.objects.bulk_create(users, batch_size=2000)
        for user, role in zip(users, roles, strict=True):
            role.user = user
        UserRole.objects.bulk_create(roles, batch_size=2000)
        User.objects.filter(username="region_admin").update(is_superuser=True)
        # Link each leader's account to the cadre, and the demo member's too.
        cadres = []
        for team_pk, user in leader_users.items():
            cadre = self.leaders[team_pk].cadre
            cadre.user = user
            cadres.append(cadre)
        for assignment in self.members.values():
            assignment.cadre.user = User.objects.get(username="nanga_member")
            cadres.append(assignment.cadre)
        Cadre.objects.bulk_update(cadres, ["user"], batch_size=2000)
        self.leader_users = leader_users
        self.county_admin_ids = dict(UserRole.objects.filter(role=Role.COUNTY_ADMIN).values_list("area_id", "user_id"))
        self.counts["用户"] = len(users)

    def leaves(self) -> None:
        now = timezone.now()
        leaves = []
        for assignment in self.on_leave:
            start = self.today - datetime.timedelta(days=self.rng.randint(1, 10))
            leaves.append(
                Leave(
                    assignment=assignment,
                    leave_type=LeaveType.ROTATION
                    if assignment.status == AssignmentStatus.ROTATION
                    else LeaveType.LEAVE,
                    start_date=start,
                    end_date=self.today + datetime.timedelta(days=self.rng.randint(3, 20)),
                    reason=self.rng.choice(("家中有事", "身体原因就医", "按规定轮休")),
                    status=LeaveStatus.APPROVED,
                    requested_by=self.leader_users[assignment.team_id],
                    decided_by_id=self.county_admin_ids[assignment.team.village_id[:6]],
                    decided_at=now,
                )
            )
        Leave.objects.bulk_create(leaves, batch_size=2000)
        self.counts["请假/轮休"] = len(leaves)

    # -- reports -------------------------------------------------------------------------------
    def report_status(self, month: datetime.date) -> str | None:
        """None means no report row at all (a team that never opened it)."""
        due = due_date_for(month)
        draw = self.rng.random()
        if month == month_start(self.today) or self.today <= due:
            return ReportStatus.DRAFT if draw < 0.6 or month == month_start(self.today) else ReportStatus.SUBMITTED
        if add_months(month, 1) == month_start(self.today) or self.today <= add_months(due, 1):
            # The month just past due: most approved, some still in review, some late.
            if draw < 0.78:
                return ReportStatus.APPROVED
            if draw < 0.88:
                return ReportStatus.SUBMITTED
            if draw < 0.92:
                return ReportStatus.RETURNED
            return ReportStatus.DRAFT if draw < 0.96 else None
        if draw < 0.965:
            return ReportStatus.APPROVED
        if draw < 0.98:
            return ReportStatus.SUBMITTED
        if draw < 0.99:
            return ReportStatus.RETURNED
        return None

    def reports(self) -> None:
        indicators = list(Indicator.objects.order_by("sort_order", "code"))
        months = []
        month = self.batch.start_date
        while month <= month_start(self.today):
            months.append(month)
            month = add_months(month, 1)
        tz = timezone.get_current_timezone()
        reports: list[MonthlyReport] = []
        values: list[tuple[int, dict[int, Decimal | None]]] = []  # (report index, values)
        for team in self.team_list:
            activity = math.exp(self.rng.gauss(0, 0.35))
            stocks = {
                ind.pk: MONTHLY_MEAN.get(ind.code, 1) * math.exp(self.rng.gauss(0, 0.5))
                for ind in indicators
                if ind.time_aggregation == TimeAggregation.LATEST
            }
            for month in months:
                status = self.report_status(month)
                if status is None:
                    continue
                due = due_date_for(month)
                report = MonthlyReport(team=team, month=month, status=status, due_date=due)
                if status != ReportStatus.DRAFT:
                    late = self.rng.random() < 0.08
                    day = due + datetime.timedelta(days=self.rng.randint(1, 9) if late else -self.rng.randint(0, 4))
                    submitted = datetime.datetime.combine(
                        day, datetime.time(self.rng.randint(9, 21), self.rng.randint(0, 59)), tz
                    )
                    report.submitted_at = min(submitted, timezone.now())
                    report.submitted_by = self.leader_users[team.pk]
                    report.summary = self.rng.choice(SUMMARIES)
                    report.problems = "群众居住分散，部分入户走访需步行。" if self.rng.random() < 0.3 else ""
                    report.next_plan = "继续开展政策宣讲和入户走访。"
                if status in (ReportStatus.APPROVED, ReportStatus.RETURNED):
                    report.reviewed_at = min(
                        report.submitted_at + datetime.timedelta(days=self.rng.randint(1, 6)), timezone.now()
                    )
                    report.reviewed_by_id = self.county_admin_ids[team.village_id[:6]]
                if status == ReportStatus.RETURNED:
                    report.review_comment = self.rng.choice(RETURN_COMMENTS)
                    report.version = 3
                filled = 1.0 if status != ReportStatus.DRAFT else self.rng.choice((0.0, 0.0, 0.3, 0.7))
                month_values = {}
                for ind in indicators:
                    if self.rng.random() >= filled:
                        continue
                    month_values[ind.pk] = self.value(ind, activity, stocks)
                if ind_total := next((i for i in indicators if i.code == "D09"), None):
                    part = next((i for i in indicators if i.code == "D10"), None)
                    if part and part.pk in month_values and month_values.get(ind_total.pk) is not None:
                        month_values[part.pk] = min(month_values[part.pk], month_values[ind_total.pk])
                reports.append(report)
                values.append((len(reports) - 1, month_values))
        MonthlyReport.objects.bulk_create(reports, batch_size=5000)
        rows = (
            (reports[index].pk, indicator_id, value, "")
            for index, month_values in values
            for indicator_id, value in month_values.items()
        )
        value_count = bulk_insert(ReportValue._meta.db_table, ("report_id", "indicator_id", "value", "note"), rows)
        self.counts["月报"] = len(reports)
        self.counts["月报数值"] = value_count
        for status in ReportStatus:
            self.counts[f"月报·{status.label}"] = sum(report.status == status for report in reports)

    def value(self, indicator: Indicator, activity: float, stocks: dict[int, float]) -> Decimal:
        if indicator.pk in stocks:
            stocks[indicator.pk] *= 1 + self.rng.choice((0, 0, 0, -0.04, 0.03))
            mean = stocks[indicator.pk]
            raw = mean
        else:
            mean = MONTHLY_MEAN.get(indicator.code, 1) * activity
            raw = max(0.0, self.rng.gauss(mean, math.sqrt(mean) if mean >= 1 else 0.8)) if mean > 0.02 else 0.0
            if mean < 1:
                raw = float(self.rng.random() < mean) * max(1, round(raw))
        if indicator.value_type == ValueType.MONEY:
            return Decimal(round(raw, -1)).quantize(Decimal("0.01"))
        if indicator.value_type == ValueType.DECIMAL:
            return Decimal(round(raw * 2) / 2).quantize(Decimal("0.01"))
        return Decimal(round(raw))

    def activities(self) -> None:
        types = list(ActivityType.objects.filter(is_active=True).order_by("sort_order"))
        if not types:
            return
        this_month = month_start(self.today)
        rows = []
        for team in self.team_list:
            for month in (add_months(this_month, -1), this_month):
                last_day = self.today.day if month == this_month else 28
                for _ in range(self.rng.randint(1, 4)):
                    activity_type = self.rng.choice(types)
                    rows.append(
                        Activity(
                            team=team,
                            date=month.replace(day=self.rng.randint(1, max(1, last_day))),
                            activity_type=activity_type,
                            title=f"{activity_type.name}（{team.village.name}）",
                            participants=self.rng.randint(3, 80),
                            households=self.rng.randint(0, 30),
                            created_by=self.leader_users[team.pk],
                        )
                    )
        Activity.objects.bulk_create(rows, batch_size=5000)
        self.counts["工作日志"] = len(rows)


def seed_demo(
    *, today: datetime.date | None = None, area_prefix: str = REGION_CODE, log: Callable[[str], None] = print
) -> SeedResult:
    """Build the demo region on a database that has the geography and indicators but no teams.

    `area_prefix` limits the teams to one subtree (tests use a county to stay fast); users and units
    of the whole region are still created.
    """
    if not Area.objects.villages().exists() or not Indicator.objects.exists():
        raise RuntimeError("请先导入行政区划和统计指标：manage.py import_areas && manage.py import_indicators")
    if WorkTeam.objects.exists():
        raise RuntimeError("数据库中已有工作队数据，演示数据只能写入空库。")
    started = time.monotonic()
    seeder = _Seeder(today=today or timezone.localdate(), area_prefix=area_prefix, log=log)
    with transaction.atomic():
        for step, label in (
            (seeder.villages, "村居户数、人口和边境村标记"),
            (seeder.units, "派驻单位"),
            (seeder.teams, "批次和工作队"),
            (seeder.cadres, "驻村干部和任职"),
            (seeder.users, "用户和角色"),
            (seeder.leaves, "请假/轮休"),
            (seeder.reports, "月报和数值"),
            (seeder.activities, "工作日志"),
        ):
            step_started = time.monotonic()
            step()
            log(f"  {label}：{time.monotonic() - step_started:.1f} 秒")
    if connection.vendor == "postgresql":
        # Fresh statistics: without them the planner takes the bulk-loaded tables for empty ones.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return SeedResult(counts=seeder.counts, users=seeder.demo_users, seconds=time.monotonic() - started)


def demo_users() -> list[DemoUser]:
    """The demo accounts that exist in this database, for printing at start-up."""
    rows = (
        UserRole.objects.filter(user__username__in=DEMO_USERNAMES)
        .select_related("user", "area", "unit", "team")
        .order_by("user__id")
    )
    return [DemoUser(row.user.username, row.get_role_display(), str(row.area or row.unit or row.team)) for row in rows]
