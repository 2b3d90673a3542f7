"""What the data generator writes: units, batches, teams, cadres, users, monthly reports and their values.

Everything comes from seeded random streams (one per purpose and batch), so the same arguments build the same
rows. Names, units and the unit mix follow the demo (zhucun/demo.py); values follow its per-indicator means,
drawn so that every report passes the report checks (no errors, no warnings that would need a note): sums
scatter around the team's own mean, "latest" stocks drift by a few percent a month, a "其中" part never
exceeds its total.

Rows carry explicit ids (taken past the table's current maximum) so that children point at their parents
without reading them back; the loader streams them with COPY on PostgreSQL.
"""

import datetime
import math
import random
import time
import zoneinfo
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection

from benchmarks._load import Loader, next_id
from reports.choices import ReportStatus, TimeAggregation, ValueType
from reports.models import Indicator, MonthlyReport, ReportValue
from reports.periods import add_months, due_date_for
from teams.choices import AssignmentRole, AssignmentStatus, Education, Gender, PoliticalStatus, UnitLevel
from teams.fields import encrypt, id_number_hash
from teams.models import Assignment, Batch, Cadre, DispatchingUnit, WorkTeam
from teams.validators import id_number_check_char
from villages.choices import AreaLevel
from villages.models import Area
from zhucun import demo
from zhucun.choices import Role
from zhucun.models import UserRole

SEED = 20261130
# The last batch is 第N批 of 2025-11-01 … 2026-10-31 (the tests' 第十批); earlier ones precede it year by year
# (第五批 then starts in November 2020, not 2015 as in Tibet's history: the dates only need to be consecutive).
LAST_BATCH_START = datetime.date(2025, 11, 1)
REGION_TEAMS = 5_500
COUNTRY_TEAMS = 200_000
RECURRING_CADRES = 0.05  # share of a later batch's 队员 who served in an earlier batch of the same county
PROGRESS_SECONDS = 15

# Prefecture-level rows of the national table that are not places (municipalities' districts and so on).
PLACEHOLDER_NAMES = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}
OTHER_ETHNICITIES = ("壮族", "回族", "满族", "维吾尔族", "苗族", "彝族", "土家族", "蒙古族", "藏族", "布依族")

CADRE_COLUMNS = (
    "id", "name", "gender", "ethnicity", "birth_date", "id_number", "phone", "political_status", "education", "post",
    "rank", "user_id", "home_unit_id", "area_id", "id_number_hash",
)  # fmt: skip
# Value kinds of the hot loop.
_ZERO, _SMALL, _INTEGER, _DECIMAL, _MONEY, _STOCK = range(6)


@dataclass
class TeamPlan:
    id: int
    village: str
    unit_id: int
    leader_user_id: int | None = None


class Generator:
    """One run of the generator over the areas under `area_prefix` ("" for every province)."""

    def __init__(self, *, loader: Loader, area_prefix: str, seed: int, password_hash: str, log: Callable[[str], None]):
        self.loader = loader
        self.area_prefix = area_prefix
        self.seed = seed
        self.password_hash = password_hash
        self.log = log
        self.tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
        self.joined = datetime.datetime.combine(LAST_BATCH_START, datetime.time(9), self.tz)
        self.id_numbers: set[str] = set(Cadre.objects.values_list("id_number", flat=True))
        self.phones: set[str] = set(Cadre.objects.values_list("phone", flat=True))
        self.usernames: set[str] = set()
        self.cadre_pools: dict[str, list[int]] = {}  # county → cadres of earlier batches who may serve again
        self.normal = self._normal_table()
        self._geography()

    def rng(self, purpose: str) -> random.Random:
        return random.Random(f"{self.seed}:{purpose}")

    def _normal_table(self) -> list[float]:
        """65,536 standard normal deviates: the hot loop picks one with getrandbits(16), a C call, instead of
        calling random.gauss (Python code) 33 million times."""
        rng = self.rng("normal")
        return [rng.gauss(0.0, 1.0) for _ in range(1 << 16)]

    # -- geography ---------------------------------------------------------------------------------------------

    def _geography(self) -> None:
        areas = Area.objects.within(self.area_prefix).order_by("code").values_list("code", "name", "level")
        self.names: dict[str, str] = {}
        self.by_level: dict[str, list[str]] = {level: [] for level in AreaLevel.values}
        for code, name, level in areas.iterator(chunk_size=20_000):
            self.by_level[level].append(code)
            self.names[code] = name
        self.villages = self.by_level[AreaLevel.VILLAGE]
        if not self.villages:
            raise RuntimeError(f"区划“{self.area_prefix or '全国'}”下没有村居，请先导入行政区划。")

    def villages_fill(self) -> int:
        """Households, population and the border flag of villages that have none yet (as the demo does)."""
        empty = set(
            Area.objects.villages()
            .within(self.area_prefix)
            .filter(households__isnull=True)
            .values_list("code", flat=True)
        )
        if not empty:
            return 0
        rng = self.rng("villages")
        rows = []
        for code in self.villages:
            households = rng.randint(40, 420)
            population = int(households * rng.uniform(3.6, 5.2))
            border = code[:6] in demo.BORDER_COUNTIES and rng.random() < 0.56
            if code in empty:
                rows.append((code, households, population, border))
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE TEMPORARY TABLE gen_village (code varchar(12) PRIMARY KEY, households integer, "
                "population integer, is_border boolean)"
            )
            self.loader.rows("gen_village", ("code", "households", "population", "is_border"), rows)
            table = Area._meta.db_table
            cursor.execute(
                f"UPDATE {table} SET households = g.households, population = g.population, is_border = g.is_border "
                f"FROM gen_village g WHERE {table}.code = g.code"
            )
            cursor.execute("DROP TABLE gen_village")
        self.loader.counts.pop("gen_village", None)
        return len(rows)

    # -- dispatching units -------------------------------------------------------------------------------------

    def units(self) -> int:
        """The demo's units for Tibet (named units, 区直/中直/企业, 16 departments per prefecture, 12 per county,
        every township's government); other provinces get the same shape under their own names."""
        rng = self.rng("units")
        existing = dict(DispatchingUnit.objects.values_list("name", "id"))
        next_unit = next_id(DispatchingUnit._meta.db_table)
        rows = []
        by_name: dict[str, int] = dict(existing)
        self.units_by_area: dict[str, list[int]] = {}
        self.top_units: dict[str, list[int]] = {}
        self.unit_names: dict[int, str] = {v: k for k, v in existing.items()}
        self.unit_areas: dict[int, str] = dict(DispatchingUnit.objects.values_list("id", "area_id"))

        def add(name: str, level: str, area: str, *, parent: str | None = None, top: bool = False) -> None:
            nonlocal next_unit
            if name in by_name and name not in existing and self.unit_areas[by_name[name]] != area:
                name = f"{name}（{area}）"  # two places of the same name under different parents
            if name not in by_name:
                by_name[name] = next_unit
                self.unit_names[next_unit] = name
                self.unit_areas[next_unit] = area
                contact = self.person(rng, tibetan=area.startswith(demo.REGION_CODE))[0]
                rows.append((next_unit, name, level, by_name.get(parent), area, contact, self.phone(rng), True))
                next_unit += 1
            unit_id = by_name[name]
            if top:
                self.top_units.setdefault(area[:2], []).append(unit_id)
            else:
                self.units_by_area.setdefault(area, []).append(unit_id)

        for province in self.by_level[AreaLevel.PROVINCE]:
            if province == demo.REGION_CODE:
                for name, level, area, parent in demo.NAMED_UNITS:
                    top = level in (UnitLevel.REGION, UnitLevel.CENTRAL, UnitLevel.ENTERPRISE)
                    add(name, level, area, parent=parent, top=top)
                for names, level in (
                    (demo.REGION_UNITS, UnitLevel.REGION),
                    (demo.CENTRAL_UNITS, UnitLevel.CENTRAL),
                    (demo.ENTERPRISE_UNITS, UnitLevel.ENTERPRISE),
                ):
                    for name in names:
                        add(name, level, province, top=True)
            else:
                for name in demo.REGION_UNITS:
                    if name.startswith("自治区"):
                        add(self.names[province] + name.removeprefix("自治区"), UnitLevel.REGION, province, top=True)
        for code in self.by_level[AreaLevel.PREFECTURE]:
            prefix = "" if code.startswith(demo.REGION_CODE) else self.names[code[:2]]
            for department in demo.PREFECTURE_DEPARTMENTS:
                add(f"{prefix}{self.place(code)}{department}", UnitLevel.PREFECTURE, code)
        for code in self.by_level[AreaLevel.COUNTY]:
            for department in demo.COUNTY_DEPARTMENTS:
                add(f"{self.place(code[:4])}{self.names[code]}{department}", UnitLevel.COUNTY, code)
        for code in self.by_level[AreaLevel.TOWNSHIP]:
            add(f"{self.names[code[:6]]}{self.names[code]}人民政府", UnitLevel.TOWNSHIP, code)
        self.by_unit_name = by_name
        return self.loader.rows(
            DispatchingUnit._meta.db_table,
            ("id", "name", "level", "parent_id", "area_id", "contact_name", "contact_phone", "is_active"),
            rows,
        )

    def place(self, code: str) -> str:
        """An area's name for a unit's name: 北京市 for its prefecture-level "市辖区"."""
        name = self.names[code]
        return self.names[code[:2]] if name in PLACEHOLDER_NAMES and len(code) > 2 else name

    def unit_for(self, rng: random.Random, village: str) -> int:
        """Tibet's 2022 mix, as in the demo: 10% region and central units, 16% prefecture, the rest county and
        township; 南嘎 keeps the demo's 自治区党委组织部."""
        if village == demo.NANGA_CODE:
            return self.by_unit_name["自治区党委组织部"]
        draw = rng.random()
        if draw < 0.10 and village[:2] in self.top_units:
            return rng.choice(self.top_units[village[:2]])
        if draw < 0.263:
            return rng.choice(self.units_by_area[village[:4]])
        if draw < 0.70:
            return rng.choice(self.units_by_area[village[:6]])
        return self.units_by_area[village[:9]][0]

    # -- people ------------------------------------------------------------------------------------------------

    def person(self, rng: random.Random, *, tibetan: bool) -> tuple[str, str, str]:
        """(name, gender, ethnicity): in Tibet mostly Tibetan, as in the demo; elsewhere mostly Han."""
        gender = Gender.MALE if rng.random() < 0.68 else Gender.FEMALE
        draw = rng.random()
        if tibetan and draw < 0.70:
            first = rng.choice(demo.TIBETAN_MALE if gender == Gender.MALE else demo.TIBETAN_FEMALE)
            second = rng.choice(demo.TIBETAN_SECOND)
            return (first + second if first != second else first + "次仁"), gender, "藏族"
        surname = rng.choice(demo.HAN_SURNAMES)
        given = "".join(rng.choice(demo.HAN_GIVEN) for _ in range(rng.choice((1, 2, 2))))
        ethnicity = "汉族" if draw < (0.98 if tibetan else 0.92) else rng.choice(OTHER_ETHNICITIES)
        return surname + given, gender, ethnicity

    def id_number(self, rng: random.Random, *, county: str, birth: datetime.date, gender: str) -> str:
        """A valid GB 11643 number, unique in the database: the 17th digit is odd for men, even for women."""
        sequence = rng.randrange(0, 500) * 2 + (1 if gender == Gender.MALE else 0)
        for _ in range(500):
            first17 = f"{county}{birth:%Y%m%d}{sequence % 1000:03d}"
            number = first17 + id_number_check_char(first17)
            if number not in self.id_numbers:
                self.id_numbers.add(number)
                return number
            sequence += 2
        raise RuntimeError(f"{county} {birth} 的身份证顺序码已用尽。")

    def phone(self, rng: random.Random) -> str:
        while True:
            number = f"1{rng.choice('35789')}{rng.randrange(10**9):09d}"
            if number not in self.phones:
                self.phones.add(number)
                return number

    # -- batches -----------------------------------------------------------------------------------------------

    def batches(self, count: int) -> list[Batch]:
        taken = set(Batch.objects.filter(number__lte=count).values_list("number", flat=True))
        if taken:
            raise RuntimeError(f"数据库中已有第{sorted(taken)}批，生成器只写入新批次。")
        batches = []
        for number in range(1, count + 1):
            start = LAST_BATCH_START.replace(year=LAST_BATCH_START.year - (count - number))
            end = add_months(start, 12) - datetime.timedelta(days=1)
            batches.append(Batch.objects.create(number=number, start_date=start, end_date=end))
        return batches

    # -- users -------------------------------------------------------------------------------------------------

    def _user_rows(self, users: list[tuple[str, str, bool]]) -> tuple[list[tuple], dict[str, int]]:
        """(username, first name, superuser) → auth_user rows with explicit ids; existing usernames are skipped."""
        User = get_user_model()
        table = User._meta.db_table
        if not self.usernames:
            self.usernames = set(User.objects.values_list("username", flat=True))
        start = next_id(table)
        rows, ids = [], {}
        for username, first_name, superuser in users:
            if username in self.usernames:
                continue
            self.usernames.add(username)
            ids[username] = start + len(rows)
            rows.append(
                (
                    ids[username],
                    self.password_hash,
                    None,
                    superuser,
                    username,
                    first_name,
                    "",
                    "",
                    superuser,
                    True,
                    self.joined,
                )
            )
        return rows, ids

    def _write_users(self, rows: list[tuple]) -> int:
        table = get_user_model()._meta.db_table
        columns = ("id", "password", "last_login", "is_superuser", "username", "first_name", "last_name", "email")
        columns += ("is_staff", "is_active", "date_joined")
        return self.loader.rows(table, columns, rows)

    def _write_roles(self, roles: list[tuple]) -> int:
        """(user id, role, area, unit, team) rows."""
        return self.loader.rows(UserRole._meta.db_table, ("user_id", "role", "area_id", "unit_id", "team_id"), roles)

    def admin_users(self) -> int:
        """The demo's named accounts (region_admin, lhasa_admin, duilong_admin, biru_admin, auditor, unit_liaison)
        where their places exist, and an admin for every prefecture and county (prefecture_<code>,
        county_<code>); outside Tibet province_<code> for each province. All share the demo password."""
        provinces = self.by_level[AreaLevel.PROVINCE]
        whole = "自治区驻村办" if provinces == [demo.REGION_CODE] else "驻村办（全部省区）"
        named = [("region_admin", whole, True), ("auditor", "审计（全部只读）", False)]
        roles: list[tuple[str, str, str | None, int | None]] = []
        roles += [("region_admin", Role.REGION_ADMIN, code, None) for code in provinces]
        roles += [("auditor", Role.AUDITOR, code, None) for code in provinces]
        stories = {
            demo.LHASA_CODE: ("lhasa_admin", Role.PREFECTURE_ADMIN),
            demo.DUILONG_CODE: ("duilong_admin", Role.COUNTY_ADMIN),
            demo.BIRU_CODE: ("biru_admin", Role.COUNTY_ADMIN),
        }
        for code in provinces:
            if code != demo.REGION_CODE:
                named.append((f"province_{code}", self.names[code], False))
                roles.append((f"province_{code}", Role.REGION_ADMIN, code, None))
        for level, kind, role in (
            (AreaLevel.PREFECTURE, "prefecture", Role.PREFECTURE_ADMIN),
            (AreaLevel.COUNTY, "county", Role.COUNTY_ADMIN),
        ):
            for code in self.by_level[level]:
                username = stories[code][0] if code in stories else f"{kind}_{code}"
                named.append((username, self.names[code], False))
                roles.append((username, role, code, None))
        liaison_unit = self.by_unit_name.get("自治区党委组织部")
        if liaison_unit and demo.REGION_CODE in provinces:
            named.append(("unit_liaison", "自治区党委组织部", False))
            roles.append(("unit_liaison", Role.UNIT_LIAISON, None, liaison_unit))
        rows, ids = self._user_rows(named)
        written = self._write_users(rows)
        self._write_roles([(ids[u], role, area, unit, None) for u, role, area, unit in roles if u in ids])
        self.county_admins = {code: ids.get(f"county_{code}") for code in self.by_level[AreaLevel.COUNTY]}
        for code, (username, _role) in stories.items():
            if code[:6] in self.county_admins and username in ids:
                self.county_admins[code] = ids[username]
        return written

    # -- teams, cadres, assignments ----------------------------------------------------------------------------

    def teams(self, batch: Batch, *, count: int, latest: bool) -> list[TeamPlan]:
        """`count` teams over the villages (南嘎 always among them, for the demo's stories), then, for the latest
        batch, a leader account per team (leader_<village>; nanga_leader and nanga_member in 南嘎)."""
        rng = self.rng(f"teams:{batch.number}")
        villages = self.villages
        if count < len(villages):
            chosen = set(rng.sample(villages, count))
            if demo.NANGA_CODE in self.names and demo.NANGA_CODE not in chosen:
                chosen.discard(min(chosen))
                chosen.add(demo.NANGA_CODE)
            villages = sorted(chosen)
        start = next_id(WorkTeam._meta.db_table)
        plans = [
            TeamPlan(start + index, village, self.unit_for(rng, village)) for index, village in enumerate(villages)
        ]
        self.loader.rows(
            WorkTeam._meta.db_table,
            ("id", "name", "start_date", "end_date", "batch_id", "unit_id", "village_id"),
            (
                (
                    plan.id,
                    WorkTeam.default_name(
                        unit_name=self.unit_names[plan.unit_id], village_name=self.names[plan.village]
                    ),
                    batch.start_date,
                    None,
                    batch.pk,
                    plan.unit_id,
                    plan.village,
                )
                for plan in plans
            ),
        )
        if latest:
            users = [
                ("nanga_leader" if plan.village == demo.NANGA_CODE else f"leader_{plan.village}", "", False)
                for plan in plans
            ]
            if any(plan.village == demo.NANGA_CODE for plan in plans):
                users.append(("nanga_member", "", False))
            rows, ids = self._user_rows(users)
            self._pending_users = rows
            self._user_ids = ids
            for plan in plans:
                plan.leader_user_id = ids.get(
                    "nanga_leader" if plan.village == demo.NANGA_CODE else f"leader_{plan.village}"
                )
        return plans

    def cadres(self, batch: Batch, plans: list[TeamPlan], *, latest: bool, current: bool) -> tuple[int, int]:
        """Four cadres a team (队长, 第一书记, two 队员) with assignments for the batch; ended batches' assignments
        are 期满 on the batch's last day. A few 队员 served before in the same county (cadres recur)."""
        rng = self.rng(f"cadres:{batch.number}")
        cadre_table = Cadre._meta.db_table
        start_id = next_id(cadre_table)
        cadre_rows, assignment_rows = [], []
        status = AssignmentStatus.ON_POST if current else AssignmentStatus.FINISHED
        end = None if current else batch.end_date
        pools = self.cadre_pools
        first_names: dict[int, str] = {}
        for plan in plans:
            county = plan.village[:6]
            unit_area = self.unit_areas.get(plan.unit_id) or ""
            tibetan = plan.village.startswith(demo.REGION_CODE)
            for slot, role in enumerate(
                (AssignmentRole.LEADER, AssignmentRole.FIRST_SECRETARY, AssignmentRole.MEMBER, AssignmentRole.MEMBER)
            ):
                pool = pools.get(county)
                recurring = pool and plan.village != demo.NANGA_CODE and rng.random() < RECURRING_CADRES
                if role == AssignmentRole.MEMBER and recurring:
                    cadre_id = pool.pop(rng.randrange(len(pool)))
                    assignment_rows.append((role, batch.start_date, end, status, cadre_id, plan.id))
                    continue
                kind = "leader" if slot < 2 else "member"
                name, gender, ethnicity = self.person(rng, tibetan=tibetan)
                birth = datetime.date(rng.randint(1968, 1999), rng.randint(1, 12), rng.randint(1, 28))
                if tibetan and ethnicity == "汉族" and rng.random() < 0.5:
                    birthplace = rng.choice(demo.INLAND_COUNTIES)
                else:
                    birthplace = unit_area if len(unit_area) >= 6 else county
                cadre_id = start_id + len(cadre_rows)
                user_id = None
                if latest and slot == 0:
                    user_id = plan.leader_user_id
                    first_names[user_id] = name
                elif latest and slot == 2 and plan.village == demo.NANGA_CODE:
                    user_id = self._user_ids.get("nanga_member")
                    first_names[user_id] = name
                political = (
                    PoliticalStatus.CPC_MEMBER
                    if kind == "leader" or rng.random() < 0.8
                    else rng.choice((PoliticalStatus.CYL_MEMBER, PoliticalStatus.MASSES))
                )
                cadre_rows.append(
                    (
                        cadre_id,
                        name,
                        gender,
                        ethnicity,
                        birth,
                        # Stored as the app stores it (teams/fields.py): encrypted, with its keyed hash last.
                        encrypt(id_number := self.id_number(rng, county=birthplace[:6], birth=birth, gender=gender)),
                        self.phone(rng),
                        political,
                        rng.choice((Education.BACHELOR, Education.BACHELOR, Education.COLLEGE, Education.POSTGRADUATE)),
                        rng.choice(demo.POSTS[kind]),
                        rng.choice(demo.RANKS[kind]),
                        user_id,
                        plan.unit_id,
                        county,
                        id_number_hash(id_number),
                    )
                )
                assignment_rows.append((role, batch.start_date, end, status, cadre_id, plan.id))
        if latest:
            rows = [(*row[:5], first_names.get(row[0], row[5]), *row[6:]) for row in self._pending_users]
            self._write_users(rows)
            roles = [
                (user_id, Role.TEAM_LEADER, None, None, plan.id)
                for plan in plans
                if (user_id := plan.leader_user_id) is not None
            ]
            nanga = next((plan for plan in plans if plan.village == demo.NANGA_CODE), None)
            if nanga and self._user_ids.get("nanga_member"):
                roles.append((self._user_ids["nanga_member"], Role.TEAM_MEMBER, None, None, nanga.id))
            self._write_roles(roles)
        written = self.loader.rows(
            cadre_table,
            CADRE_COLUMNS,
            cadre_rows,
        )
        self.loader.rows(
            Assignment._meta.db_table,
            ("role", "start_date", "end_date", "status", "cadre_id", "team_id"),
            assignment_rows,
        )
        # The new cadres of this batch may serve again in a later one (in the same county).
        for row in cadre_rows:
            pools.setdefault(row[13], []).append(row[0])
        return written, len(assignment_rows)

    # -- reports and values ------------------------------------------------------------------------------------

    def reports(self, batch: Batch, plans: list[TeamPlan], *, first_id: int, months: int) -> int:
        """An approved report per team and month, ids from `first_id` on (team by team, month by month):
        submitted around the due date (8% late), reviewed by the county admin a few days later."""
        rng = self.rng(f"reports:{batch.number}")
        table = MonthlyReport._meta.db_table
        month_list = [add_months(batch.start_date, index) for index in range(months)]
        dues = [due_date_for(month) for month in month_list]
        opened = [datetime.datetime.combine(add_months(month, 1), datetime.time(0, 5), self.tz) for month in month_list]
        tz = self.tz

        def rows() -> Iterator[tuple]:
            report_id = first_id
            for plan in plans:
                reviewer = self.county_admins.get(plan.village[:6])
                for index in range(months):
                    due = dues[index]
                    late = rng.random() < 0.08
                    day = due + datetime.timedelta(days=rng.randint(1, 9) if late else -rng.randint(0, 4))
                    submitted = datetime.datetime.combine(
                        day, datetime.time(rng.randint(9, 21), rng.randint(0, 59)), tz
                    )
                    reviewed = submitted + datetime.timedelta(days=rng.randint(1, 6), hours=rng.randint(0, 5))
                    yield (
                        report_id,
                        month_list[index],
                        ReportStatus.APPROVED.value,
                        due,
                        rng.choice(demo.SUMMARIES),
                        "群众居住分散，部分入户走访需步行。" if rng.random() < 0.3 else "",
                        "继续开展政策宣讲和入户走访。",
                        submitted,
                        reviewed,
                        "",
                        3,  # created, submitted, approved
                        opened[index],
                        reviewed,
                        reviewer,
                        plan.leader_user_id,
                        plan.id,
                        "{}",
                    )
                    report_id += 1

        columns = ("id", "month", "status", "due_date", "summary", "problems", "next_plan", "submitted_at")
        columns += ("reviewed_at", "review_comment", "version", "created_at", "updated_at", "reviewed_by_id")
        columns += ("submitted_by_id", "team_id", "draft_input")
        return self.loader.rows(table, columns, rows())

    def value_specs(self, batch: Batch) -> list[tuple[int, int, float, int]]:
        """(indicator id, kind, mean per team and month, index of the "其中" total or -1) of the batch's indicators."""
        indicators = list(Indicator.objects.active_in(batch).order_by("sort_order", "code"))
        position = {indicator.pk: index for index, indicator in enumerate(indicators)}
        specs = []
        for indicator in indicators:
            mean = demo.MONTHLY_MEAN.get(indicator.code)
            total = position.get(indicator.part_of_id, -1) if indicator.part_of_id else -1
            if mean is None:
                total_code = indicators[total].code if total >= 0 else None
                mean = 0.6 * demo.MONTHLY_MEAN.get(total_code, 1) if total_code else 1.0
            if indicator.time_aggregation == TimeAggregation.LATEST:
                kind = _STOCK
            elif indicator.value_type == ValueType.MONEY:
                kind = _MONEY
            elif indicator.value_type == ValueType.DECIMAL:
                kind = _DECIMAL
            else:
                kind = _INTEGER
            specs.append((indicator.pk, kind, float(mean), total))
        return specs

    def value_chunks(
        self, batch: Batch, plans: list[TeamPlan], *, first_report: int, months: int, specs: list[tuple]
    ) -> Iterator[str]:
        """COPY text of the batch's report values, a chunk per 50 teams. The hot loop of the generator: about
        0.5 µs a value."""
        rng = self.rng(f"values:{batch.number}")
        bits, uniform, normal, exp, sqrt = rng.getrandbits, rng.random, self.normal, math.exp, math.sqrt
        drift = (0.0, 0.0, 0.0, -0.04, 0.03)
        parts = [(index, total) for index, (_id, _kind, _mean, total) in enumerate(specs) if total >= 0]
        ids = [f"\t{spec[0]}\t" for spec in specs]
        report_id = first_report
        started = last_log = time.monotonic()
        lines: list[str] = []
        for done, _plan in enumerate(plans, start=1):
            activity = exp(0.35 * normal[bits(16)])
            team = []  # (kind, mean, sd) for this team
            stocks = {}
            for index, (_id, kind, mean, _total) in enumerate(specs):
                if kind == _STOCK:
                    stocks[index] = max(0, int(mean * exp(0.5 * normal[bits(16)]) + 0.5))
                    team.append((_STOCK, 0.0, 0.0))
                    continue
                scaled = mean * activity
                if scaled <= 0.02:
                    team.append((_ZERO, 0.0, 0.0))
                elif scaled < 1:
                    team.append((_SMALL, scaled, 0.0))
                else:
                    team.append((kind, scaled, sqrt(scaled)))
            for _month in range(months):
                numbers = []
                append = numbers.append
                for index, (kind, mean, sd) in enumerate(team):
                    if kind == _INTEGER:
                        x = mean + sd * normal[bits(16)]
                        append(int(x + 0.5) if x > 0 else 0)
                    elif kind == _STOCK:
                        stock = stocks[index]
                        change = drift[bits(16) % 5]
                        if change:
                            stock += int(stock * change)  # at most 4%: never the 50% change that warns
                            stocks[index] = stock
                        append(stock)
                    elif kind == _SMALL:
                        append(1 if uniform() < mean else 0)
                    elif kind == _MONEY:
                        x = mean + sd * normal[bits(16)]
                        append(int(x / 10 + 0.5) * 10 if x > 0 else 0)
                    elif kind == _DECIMAL:
                        x = mean + sd * normal[bits(16)]
                        append(int(x * 2 + 0.5) / 2 if x > 0 else 0)
                    else:
                        append(0)
                for index, total in parts:
                    if numbers[index] > numbers[total]:
                        numbers[index] = numbers[total]
                prefix = str(report_id)
                lines.append("".join([f"{prefix}{ids[i]}{number}\t\n" for i, number in enumerate(numbers)]))
                report_id += 1
            if done % 50 == 0:
                yield "".join(lines)
                lines.clear()
                now = time.monotonic()
                if now - last_log >= PROGRESS_SECONDS:
                    last_log = now
                    rows = done * months * len(specs)
                    self.log(f"    数值：{done:,}/{len(plans):,} 队，{rows:,} 行，{now - started:.0f} 秒")
        yield "".join(lines)

    def values(self, batch: Batch, plans: list[TeamPlan], *, first_report: int, months: int) -> int:
        specs = self.value_specs(batch)
        chunks = self.value_chunks(batch, plans, first_report=first_report, months=months, specs=specs)
        return self.loader.text(
            ReportValue._meta.db_table,
            ("report_id", "indicator_id", "value", "note"),
            chunks,
            count=len(plans) * months * len(specs),
        )
