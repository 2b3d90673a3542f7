"""Forms of the team, cadre, assignment and leave pages.

Forms only collect and type-check input; the rules live in teams/services.py, whose ValidationErrors the
views attach to these forms (`zhucun.forms.add_service_errors`). Choice lists come from the user's scope: a
county admin is never offered a village, a unit's team or a cadre outside what they may see or change.
"""

from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone

from teams import selectors, services
from teams.choices import (
    CURRENT_ASSIGNMENT_STATUSES,
    ENDED_ASSIGNMENT_STATUSES,
    AssignmentRole,
    AssignmentStatus,
    Education,
    Gender,
    LeaveType,
    PoliticalStatus,
    UnitLevel,
)
from teams.models import Assignment, Batch, Cadre, DispatchingUnit, WorkTeam
from teams.validators import normalize_id_number, validate_id_number, validate_phone
from villages.choices import AreaLevel
from villages.models import Area
from zhucun.forms import DateInput, PageForm, narrow_choices
from zhucun.scope import Action

# Long pick lists are cut to what is near the user's choice; above this many rows a list asks to narrow first.
MAX_CHOICES = 300


def units_near(units: QuerySet[DispatchingUnit], county_code: str) -> QuerySet[DispatchingUnit]:
    """Units that plausibly send a team into a county: those of the county and its townships, and every unit
    above county level (区直, 地直, 中直, enterprises)."""
    above = Q(level__in=(UnitLevel.CENTRAL, UnitLevel.REGION, UnitLevel.PREFECTURE, UnitLevel.ENTERPRISE))
    if not county_code:
        return units.filter(above | Q(area__isnull=True))
    here = Q(area__pk__startswith=county_code) | Q(area__isnull=True)
    above_here = above & (Q(area_id__in=(county_code[:2], county_code[:4])) | ~Q(level=UnitLevel.PREFECTURE))
    return units.filter(here | above_here)


def _value(form: forms.Form, name: str) -> str:
    """The submitted (or initial) value of a field as text, before validation."""
    if form.is_bound:
        return str(form.data.get(name) or "")
    value = form.initial.get(name) or form.fields[name].initial
    if isinstance(value, Area):
        return value.code
    if hasattr(value, "pk"):
        return str(value.pk)
    return str(value or "")


def manageable_counties(user) -> QuerySet[Area]:
    return Area.objects.visible_to(user, Action.MANAGE).filter(level=AreaLevel.COUNTY).select_related("parent")


def county_label(area: Area) -> str:
    return f"{area.parent.name} {area.name}" if area.parent else area.name


# -- teams --------------------------------------------------------------------------------------------------


class TeamForm(PageForm):
    """Create or edit a team. `county` only narrows the village and unit lists; it is not saved."""

    county = forms.ModelChoiceField(
        queryset=Area.objects.none(),
        to_field_name="code",
        required=False,
        label="县（区）",
        help_text="先选择县（区），再选择村（居）和派驻单位。",
    )
    batch = forms.ModelChoiceField(queryset=Batch.objects.all(), label="批次", empty_label="请选择批次")
    village = forms.ModelChoiceField(queryset=Area.objects.none(), to_field_name="code", label="驻村（居）")
    unit = forms.ModelChoiceField(queryset=DispatchingUnit.objects.none(), label="派驻单位")
    name = forms.CharField(
        label="工作队名称", max_length=150, required=False, help_text="留空则为“派驻单位驻村（居）工作队”。"
    )
    start_date = forms.DateField(label="进驻日期", required=False, widget=DateInput, help_text="留空则为批次开始日期。")
    end_date = forms.DateField(label="撤离日期", required=False, widget=DateInput, help_text="留空表示随批次结束。")

    rows = (("county",), ("batch", "village"), ("unit",), ("name",), ("start_date", "end_date"))
    service_fields = services.TEAM_FIELDS

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        villages = Area.objects.visible_to(user, Action.MANAGE).villages().select_related("parent__parent")
        self.fields["village"].queryset = villages
        self.fields["village"].label_from_instance = lambda area: area.full_name
        self.fields["unit"].queryset = DispatchingUnit.objects.visible_to(user).filter(is_active=True)
        counties = manageable_counties(user)
        self.fields["county"].queryset = counties
        self.fields["county"].label_from_instance = county_label
        self.fields["county"].widget.attrs["data-refresh"] = "true"
        self.fields["county"].empty_label = "请选择县（区）"

        county_list = list(counties)
        village = _value(self, "village")
        county = _value(self, "county") or village[:6]
        if len(county_list) == 1:
            # One county: nothing to narrow by.
            county = county_list[0].code
            self.fields["county"].widget = forms.HiddenInput()
            self.initial["county"] = county
        if county and not any(area.code == county for area in county_list):
            county = ""
        village_rows = villages.filter(pk__startswith=county).order_by("code") if county else villages.none()
        narrow_choices(
            self.fields["village"],
            village_rows,
            keep=village,
            empty_label="请选择村（居）" if county else "请先选择县（区）",
        )
        narrow_choices(
            self.fields["unit"],
            units_near(self.fields["unit"].queryset, county),
            keep=_value(self, "unit"),
            empty_label="请选择派驻单位",
        )

    def service_data(self, *, changed_only: bool = False) -> dict:
        names = [name for name in self.service_fields if not changed_only or name in self.changed_data]
        return {name: self.cleaned_data[name] for name in names}


def team_initial(team: WorkTeam) -> dict:
    return {
        "county": team.village_id[:6],
        "batch": team.batch_id,
        "village": team.village_id,
        "unit": team.unit_id,
        "name": team.name,
        "start_date": team.start_date,
        "end_date": team.end_date,
    }


# -- cadres -------------------------------------------------------------------------------------------------


class CadreForm(PageForm):
    """Register or edit a cadre. On edit the ID number (and, for those who may not see it, the phone) starts
    empty, so the page never holds the full number: left empty it stays as it is."""

    name = forms.CharField(label="姓名", max_length=50)
    gender = forms.ChoiceField(label="性别", choices=[("", "请选择"), *Gender.choices])
    ethnicity = forms.CharField(label="民族", max_length=20, initial="藏族")
    birth_date = forms.DateField(label="出生日期", required=False, widget=DateInput)
    id_number = forms.CharField(label="身份证号", max_length=18, validators=[validate_id_number])
    phone = forms.CharField(label="手机号码", max_length=11, required=False, validators=[validate_phone])
    political_status = forms.ChoiceField(
        label="政治面貌", choices=PoliticalStatus.choices, initial=PoliticalStatus.CPC_MEMBER
    )
    education = forms.ChoiceField(label="学历", choices=[("", "未填"), *Education.choices], required=False)
    # Not required here: the service gives a county admin's cadre their county, and asks the others to choose.
    area = forms.ModelChoiceField(
        queryset=Area.objects.none(), to_field_name="code", label="管理县（区）", required=False
    )
    home_unit = forms.ModelChoiceField(queryset=DispatchingUnit.objects.none(), label="所在单位")
    post = forms.CharField(label="职务", max_length=100, required=False)
    rank = forms.CharField(label="职级", max_length=50, required=False)

    rows = (
        ("name", "gender", "ethnicity"),
        ("id_number", "birth_date"),
        ("phone", "political_status", "education"),
        ("area",),
        ("home_unit",),
        ("post", "rank"),
    )
    service_fields = services.CADRE_FIELDS

    def __init__(self, *args, user, cadre: Cadre | None = None, show_phone: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.cadre = cadre
        self.keep_phone = cadre is not None and not show_phone
        counties = manageable_counties(user)
        self.fields["area"].queryset = counties
        self.fields["area"].label_from_instance = county_label
        self.fields["area"].widget.attrs["data-refresh"] = "true"
        self.fields["area"].empty_label = "请选择县（区）"
        self.fields["home_unit"].queryset = DispatchingUnit.objects.visible_to(user)
        self.fields["id_number"].widget.attrs.update(autocomplete="off", inputmode="text", spellcheck="false")
        self.fields["phone"].widget.attrs.update(inputmode="tel", autocomplete="off")
        if cadre is not None:
            self.fields["id_number"].required = False
            self.fields["id_number"].help_text = f"当前：{cadre.masked_id_number}。不修改请留空。"
            if self.keep_phone:
                self.fields["phone"].help_text = f"当前：{cadre.masked_phone or '未填'}。不修改请留空。"

        county_list = list(counties)
        if len(county_list) == 1 and not _value(self, "area"):
            self.initial["area"] = county_list[0].code
        narrow_choices(self.fields["area"], county_list, keep=_value(self, "area"), empty_label="请选择县（区）")
        narrow_choices(
            self.fields["home_unit"],
            units_near(self.fields["home_unit"].queryset, _value(self, "area")),
            keep=_value(self, "home_unit"),
            empty_label="请选择所在单位",
        )

    def clean_id_number(self) -> str:
        return normalize_id_number(self.cleaned_data["id_number"])

    def service_data(self) -> dict:
        data = {name: self.cleaned_data[name] for name in self.service_fields}
        if self.cadre is not None:
            if not data["id_number"]:
                del data["id_number"]
            if self.keep_phone and not data["phone"]:
                del data["phone"]
            data = {
                name: value
                for name, value in data.items()
                if name in ("id_number", "phone") or name in self.changed_data
            }
        return data


def cadre_initial(cadre: Cadre, *, show_phone: bool) -> dict:
    return {
        "name": cadre.name,
        "gender": cadre.gender,
        "ethnicity": cadre.ethnicity,
        "birth_date": cadre.birth_date,
        "id_number": "",
        "phone": cadre.phone if show_phone else "",
        "political_status": cadre.political_status,
        "education": cadre.education,
        "area": cadre.area_id,
        "home_unit": cadre.home_unit_id,
        "post": cadre.post,
        "rank": cadre.rank,
    }


# -- assignments --------------------------------------------------------------------------------------------


def cadre_choice_label(cadre: Cadre) -> str:
    """Names repeat (扎西, 卓玛 ...): add birth year, the masked ID and the unit so the right person is picked."""
    parts = [cadre.name]
    if cadre.birth_date:
        parts.append(f"{cadre.birth_date.year}年生")
    parts.append(cadre.masked_id_number)
    parts.append(cadre.home_unit.name)
    status = getattr(cadre, "current_role", None)
    if status:
        parts.append(f"本队{AssignmentRole(status).label}")
    return " · ".join(parts)


class CadreSearchMixin:
    """A `q` text box that narrows the cadre list shown (name, phone, or an exact ID number)."""

    def _cadre_rows(self, cadres: QuerySet[Cadre], *, team: WorkTeam, search: str) -> QuerySet[Cadre]:
        rows = cadres
        if search:
            rows = rows.filter(Q(name__icontains=search) | Q(phone=search) | Q(id_number=search.upper()))
        else:
            rows = rows.filter(area_id=team.village_id[:6])
        return rows.order_by("name", "pk")[:MAX_CHOICES]


class AssignmentCreateForm(CadreSearchMixin, PageForm):
    """Add a member: a visible cadre who is on no team now."""

    q = forms.CharField(
        label="查找干部",
        required=False,
        help_text="输入姓名、手机号或身份证号后按回车；不填则列出本县（区）未在队的干部。",
    )
    cadre = forms.ModelChoiceField(queryset=Cadre.objects.none(), label="干部")
    role = forms.ChoiceField(
        label="队内职务",
        choices=[(AssignmentRole.MEMBER, AssignmentRole.MEMBER.label), (AssignmentRole.FIRST_SECRETARY, "第一书记")],
        initial=AssignmentRole.MEMBER,
    )
    start_date = forms.DateField(label="到岗日期", required=False, widget=DateInput, help_text="留空则为今天。")

    rows = (("q",), ("cadre",), ("role", "start_date"))

    def __init__(self, *args, user, team: WorkTeam, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.input_type = "search"
        self.fields["q"].widget.attrs["data-refresh"] = "true"
        free = selectors.cadre_list(user=user).filter(current_team_id__isnull=True)
        self.fields["cadre"].queryset = free
        self.fields["cadre"].label_from_instance = cadre_choice_label
        rows = list(self._cadre_rows(free, team=team, search=_value(self, "q").strip()))
        self.no_choices = not rows
        narrow_choices(self.fields["cadre"], rows, keep=_value(self, "cadre"), empty_label="请选择干部")


class SetLeaderForm(CadreSearchMixin, PageForm):
    """The new 队长: a current member of the team, or a cadre who is on no team now."""

    q = forms.CharField(label="查找其他干部", required=False, help_text="要任命本队以外的干部时，输入姓名查找。")
    cadre = forms.ModelChoiceField(queryset=Cadre.objects.none(), label="新队长")

    rows = (("cadre",), ("q",))

    def __init__(self, *args, user, team: WorkTeam, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.input_type = "search"
        self.fields["q"].widget.attrs["data-refresh"] = "true"
        cadres = selectors.cadre_list(user=user)
        members = cadres.filter(current_team_id=team.pk).exclude(current_role=AssignmentRole.LEADER)
        free = cadres.filter(current_team_id__isnull=True)
        self.fields["cadre"].queryset = cadres.filter(
            Q(current_team_id=team.pk, current_role__in=(AssignmentRole.MEMBER, AssignmentRole.FIRST_SECRETARY))
            | Q(current_team_id__isnull=True)
        )
        self.fields["cadre"].label_from_instance = cadre_choice_label
        search = _value(self, "q").strip()
        rows = list(members.order_by("name", "pk"))
        if search:
            rows += list(self._cadre_rows(free, team=team, search=search))
        narrow_choices(self.fields["cadre"], rows, keep=_value(self, "cadre"), empty_label="请选择新队长")


class AssignmentEndForm(PageForm):
    status = forms.ChoiceField(
        label="结束方式",
        choices=[(status.value, status.label) for status in ENDED_ASSIGNMENT_STATUSES],
        widget=forms.RadioSelect,
        initial=AssignmentStatus.FINISHED,
    )
    end_date = forms.DateField(label="离岗日期", widget=DateInput, initial=timezone.localdate)

    rows = (("status", "end_date"),)


# -- leave --------------------------------------------------------------------------------------------------


def assignment_choice_label(assignment: Assignment) -> str:
    return f"{assignment.cadre.name}（{assignment.get_role_display()}，{assignment.get_status_display()}）"


class LeaveRequestForm(PageForm):
    """The team leader asks leave for a current member of a team they lead."""

    assignment = forms.ModelChoiceField(queryset=Assignment.objects.none(), label="队员")
    leave_type = forms.ChoiceField(label="类型", choices=LeaveType.choices, widget=forms.RadioSelect)
    start_date = forms.DateField(label="开始日期", widget=DateInput)
    end_date = forms.DateField(label="结束日期", widget=DateInput)
    reason = forms.CharField(label="事由", widget=forms.Textarea(attrs={"rows": 3}))

    rows = (("assignment", "leave_type"), ("start_date", "end_date"), ("reason",))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        assignments = (
            selectors.assignment_list(user=user, action=Action.REQUEST_LEAVE)
            .filter(status__in=CURRENT_ASSIGNMENT_STATUSES)
            .order_by("team_id", "role", "cadre__name")
        )
        self.fields["assignment"].queryset = assignments
        self.fields["assignment"].label_from_instance = assignment_choice_label
        self.fields["leave_type"].initial = LeaveType.LEAVE

    def clean(self):
        data = super().clean()
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", "结束日期不能早于开始日期。")
        return data


class LeaveDecideForm(PageForm):
    APPROVE, REFUSE = "approve", "refuse"

    decision = forms.ChoiceField(
        label="审批结果", choices=[(APPROVE, "同意"), (REFUSE, "不同意")], widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label="审批意见", required=False, widget=forms.Textarea(attrs={"rows": 3}), help_text="不同意时必须填写理由。"
    )

    rows = (("decision",), ("comment",))
