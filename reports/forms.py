"""Forms of the activity log, the indicator catalogue, the monthly report and the county's review.

Forms only collect and type-check input; the rules live in reports/services.py and reports/workflow.py, whose
ValidationErrors the views put next to the fields they name. The monthly report's values are not Django
fields: a report has one input per indicator of its batch, read from the POST by indicator code
(`report_input`) and handed to report_save as typed, so that nothing the leader typed is lost.
"""

from dataclasses import dataclass, field

from django import forms
from django.utils import timezone

from reports.choices import Category, TimeAggregation, ValueType
from reports.models import Activity, ActivityType, Indicator
from reports.workflow import NARRATIVE_FIELDS
from teams.models import Batch, WorkTeam
from villages.models import Area
from zhucun.forms import DateInput, PageForm, narrow_choices
from zhucun.scope import Action

VALUE_PREFIX = "value-"
NOTE_PREFIX = "note-"
COMMENT_PREFIX = "comment-"
# A leader or member logs for one or two teams; only operators (superusers) could reach thousands.
MAX_TEAM_CHOICES = 300


def _selected(form: forms.Form, name: str) -> str:
    """The submitted (or initial) value of a field as text, before validation."""
    if form.is_bound:
        return str(form.data.get(name) or "")
    value = form.initial.get(name) or form.fields[name].initial
    return str(getattr(value, "pk", value) or "")


# -- the activity log ---------------------------------------------------------------------------------------


def team_label(team: WorkTeam) -> str:
    return f"{team.village.name} · {team.name}"


class ActivityForm(PageForm):
    """Log (or correct) one activity from a phone: the team is chosen for a leader or member of one team, the
    date is today, the place is the team's village; the title may stay empty (it becomes the type's name)."""

    team = forms.ModelChoiceField(queryset=WorkTeam.objects.none(), label="工作队", empty_label="请选择工作队")
    date = forms.DateField(label="日期", widget=DateInput, initial=timezone.localdate)
    activity_type = forms.ModelChoiceField(
        queryset=ActivityType.objects.none(), label="活动类型", empty_label="请选择活动类型"
    )
    title = forms.CharField(label="标题", max_length=200, required=False, help_text="留空则以活动类型为标题。")
    village = forms.ModelChoiceField(
        queryset=Area.objects.none(), to_field_name="code", label="地点（村居）", required=False
    )
    participants = forms.IntegerField(label="参与人数", min_value=0, required=False)
    households = forms.IntegerField(label="覆盖户数", min_value=0, required=False)
    notes = forms.CharField(label="备注", required=False, widget=forms.Textarea(attrs={"rows": 3}))

    rows = (
        ("team",),
        ("date", "activity_type"),
        ("title",),
        ("village",),
        ("participants", "households"),
        ("notes",),
    )
    service_fields = ("date", "activity_type", "title", "village", "participants", "households", "notes")

    def __init__(self, *args, user, activity: Activity | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.activity = activity
        teams = WorkTeam.objects.visible_to(user, Action.LOG_ACTIVITY).select_related("village").order_by("village_id")
        self.fields["team"].queryset = teams
        self.fields["team"].label_from_instance = team_label
        types = ActivityType.objects.filter(is_active=True)
        if activity is not None:
            types = ActivityType.objects.filter(pk=activity.activity_type_id) | types
        self.fields["activity_type"].queryset = types.order_by("sort_order", "name")
        for name in ("participants", "households"):
            self.fields[name].widget.attrs.update(inputmode="numeric", min="0", placeholder="0")
        self.fields["title"].widget.attrs["placeholder"] = "例如：入户宣讲惠民政策"

        if activity is not None:
            # An activity stays with its team (the service refuses to move it): show the team, do not ask.
            self.fields["team"].disabled = True
            self.fields["team"].widget = forms.HiddenInput()
            self.initial["team"] = activity.team_id
            team = activity.team
        else:
            team_list = list(teams[:2])
            if len(team_list) == 1:
                self.fields["team"].widget = forms.HiddenInput()
                self.initial.setdefault("team", team_list[0].pk)
                team = team_list[0]
            else:
                self.fields["team"].widget.attrs["data-refresh"] = "true"
                chosen = _selected(self, "team")
                team = teams.filter(pk=chosen).first() if chosen.isdigit() else None
                narrow_choices(self.fields["team"], teams[:MAX_TEAM_CHOICES], keep=chosen, empty_label="请选择工作队")
        self.team = team
        villages = Area.objects.villages()
        self.fields["village"].queryset = villages
        if team is not None:
            # The team's township: where its work takes place, a few dozen villages rather than 5,580.
            nearby = villages.filter(parent_id=team.village.parent_id).order_by("code")
            self.initial.setdefault("village", team.village_id)
            narrow_choices(self.fields["village"], nearby, keep=_selected(self, "village"), empty_label="本村（居）")
        else:
            narrow_choices(self.fields["village"], [], keep=_selected(self, "village"), empty_label="先选择工作队")

    def service_data(self, *, changed_only: bool = False) -> dict:
        data = {name: self.cleaned_data[name] for name in self.service_fields}
        for name in ("participants", "households"):
            data[name] = data[name] or 0
        if not data["title"].strip() and data["activity_type"] is not None:
            data["title"] = data["activity_type"].name
        if changed_only:
            data = {name: value for name, value in data.items() if name in self.changed_data or name == "title"}
        return data


def activity_initial(activity: Activity) -> dict:
    return {
        "team": activity.team_id,
        "date": activity.date,
        "activity_type": activity.activity_type_id,
        "title": activity.title,
        "village": activity.village_id or activity.team.village_id,
        "participants": activity.participants,
        "households": activity.households,
        "notes": activity.notes,
    }


class ConfirmForm(PageForm):
    """A form without fields: the POST of a confirmation page (deleting an activity)."""

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)


# -- the indicator catalogue --------------------------------------------------------------------------------


def batch_label(batch: Batch) -> str:
    return f"第{batch.number}批（{batch.start_date:%Y年%m月}起）"


class IndicatorForm(PageForm):
    code = forms.CharField(label="指标代码", max_length=20, help_text="如 P07；已有月报使用后不能修改。")
    name = forms.CharField(label="指标名称", max_length=200)
    unit = forms.CharField(label="计量单位", max_length=20)
    category = forms.ChoiceField(label="类别", choices=Category.choices)
    value_type = forms.ChoiceField(label="数值类型", choices=ValueType.choices, initial=ValueType.INTEGER)
    time_aggregation = forms.ChoiceField(
        label="时间汇总方式",
        choices=TimeAggregation.choices,
        initial=TimeAggregation.SUM,
        help_text="“累计”用于次数、人次等；“取最新值”用于户数等存量。",
    )
    part_of = forms.ModelChoiceField(
        queryset=Indicator.objects.none(),
        label="所属总数指标",
        required=False,
        empty_label="无（不是“其中”项）",
        help_text="“其中”类指标的数值不得超过所属总数指标。",
    )
    active_from_batch = forms.ModelChoiceField(
        queryset=Batch.objects.order_by("number"), label="启用批次", required=False, empty_label="一直启用"
    )
    active_until_batch = forms.ModelChoiceField(
        queryset=Batch.objects.order_by("number"), label="停用批次", required=False, empty_label="未停用"
    )

    rows = (
        ("code", "category"),
        ("name",),
        ("unit", "value_type", "time_aggregation"),
        ("part_of",),
        ("active_from_batch", "active_until_batch"),
    )
    service_fields = (
        "code",
        "name",
        "unit",
        "category",
        "value_type",
        "time_aggregation",
        "part_of",
        "active_from_batch",
        "active_until_batch",
    )

    def __init__(self, *args, user=None, indicator: Indicator | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        totals = Indicator.objects.order_by("sort_order", "code")
        if indicator is not None:
            totals = totals.exclude(pk=indicator.pk)
        self.fields["part_of"].queryset = totals
        self.fields["part_of"].label_from_instance = lambda row: f"{row.code} {row.name}"
        for name in ("active_from_batch", "active_until_batch"):
            self.fields[name].label_from_instance = batch_label
        self.fields["code"].widget.attrs.update(autocomplete="off", spellcheck="false")

    def service_data(self, *, changed_only: bool = False) -> dict:
        return {
            name: self.cleaned_data[name]
            for name in self.service_fields
            if not changed_only or name in self.changed_data
        }


def indicator_initial(indicator: Indicator) -> dict:
    return {
        "code": indicator.code,
        "name": indicator.name,
        "unit": indicator.unit,
        "category": indicator.category,
        "value_type": indicator.value_type,
        "time_aggregation": indicator.time_aggregation,
        "part_of": indicator.part_of_id,
        "active_from_batch": indicator.active_from_batch_id,
        "active_until_batch": indicator.active_until_batch_id,
    }


class IndicatorRetireForm(PageForm):
    last_batch = forms.ModelChoiceField(
        queryset=Batch.objects.order_by("-number"),
        label="最后使用的批次",
        empty_label="请选择批次",
        help_text="该批次之后的月报不再填报此指标；已填报的数值仍可查看。",
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["last_batch"].label_from_instance = batch_label


# -- the monthly report ---------------------------------------------------------------------------------------


@dataclass
class ReportInput:
    """What the leader typed on the report page, as report_save takes it: values and notes by indicator
    code (raw text), the narrative, and the version the page was rendered from."""

    values: dict[str, str] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    narrative: dict[str, str] = field(default_factory=dict)
    version: int | None = None


def report_input(data, *, codes: list[str]) -> ReportInput:
    """Read the report page's POST. Only the report's own indicators are read; an absent input is left as
    it is (report_save leaves codes it is not given alone)."""
    typed = ReportInput()
    for code in codes:
        if f"{VALUE_PREFIX}{code}" in data:
            typed.values[code] = data[f"{VALUE_PREFIX}{code}"]
        if f"{NOTE_PREFIX}{code}" in data:
            typed.notes[code] = data[f"{NOTE_PREFIX}{code}"]
    typed.narrative = {name: data[name] for name in NARRATIVE_FIELDS if name in data}
    version = str(data.get("version", "")).strip()
    typed.version = int(version) if version.isdigit() else None
    return typed


def review_comments(data, *, codes: list[str]) -> dict[str, str]:
    """The county's per-value comments of a return, by indicator code (empty ones dropped)."""
    comments = {}
    for code in codes:
        text = str(data.get(f"{COMMENT_PREFIX}{code}", "")).strip()
        if text:
            comments[code] = text
    return comments
