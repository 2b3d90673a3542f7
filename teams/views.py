"""Pages for teams, cadres, assignments and leave.

Reads go through teams/selectors.py (scoped, annotated: a list page runs the same number of queries whatever
its length) and the FilterSets shared with the API; writes go through teams/services.py. Out of scope is 404
(`ScopedObjectMixin`), a forbidden action 403 (the mixin's `view_action` / `object_action`, and the services'
PermissionDenied). The villages app reuses the list and history machinery defined here.
"""

import datetime
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.db.models import Model, Q, QuerySet
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.generic import DetailView, FormView, ListView
from django.views.generic.detail import SingleObjectMixin

from teams import selectors, services
from teams.choices import CURRENT_ASSIGNMENT_STATUSES, AssignmentRole, AssignmentStatus, LeaveStatus, UnitLevel
from teams.filtersets import CadreFilterSet, LeaveFilterSet, WorkTeamFilterSet
from teams.forms import (
    AssignmentCreateForm,
    AssignmentEndForm,
    CadreForm,
    LeaveDecideForm,
    LeaveRequestForm,
    SetLeaderForm,
    TeamForm,
    add_service_errors,
    cadre_initial,
    team_initial,
)
from teams.models import Assignment, Cadre, Leave, WorkTeam
from teams.validators import mask_id_number, mask_phone
from villages.choices import AreaLevel
from villages.models import Area
from zhucun.filters import visible_areas
from zhucun.mixins import ScopedObjectMixin
from zhucun.scope import Action, user_can

PAGE_SIZE = 50
# Above this many units a filter offers only the units above county level until an area is chosen.
MAX_UNIT_CHOICES = 300
AREA_INDENT = {AreaLevel.PREFECTURE: 0, AreaLevel.COUNTY: 1, AreaLevel.TOWNSHIP: 2}


def allowed(user, action: Action, obj: Model) -> bool:
    """Whether the user may take `action` on this object (buttons and sections of a page)."""
    return type(obj).objects.visible_to(user, action).filter(pk=obj.pk).exists()


# -- lists --------------------------------------------------------------------------------------------------


def area_drilldown(field: forms.ModelChoiceField, *, request, selected: str, levels: tuple[str, ...]) -> bool:
    """Offer the top of the user's area scope, the level below it, and the chain and children of the chosen
    area, indented by level: prefecture → county → township without a 790-row select. False if nothing to offer.
    """
    visible = visible_areas(request).filter(level__in=levels)
    top = visible.exclude(parent__in=visible.values("code"))
    q = Q(pk__in=top.values("code")) | Q(parent__in=top.values("code"))
    if selected:
        chain = [selected[:length] for length in (2, 4, 6, 9) if length <= len(selected)]
        q |= Q(code__in=chain) | Q(parent__in=chain)
    areas = list(visible.filter(q).order_by("code"))
    if not areas:
        return False
    offset = min(AREA_INDENT.get(area.level, 0) for area in areas)
    field.widget.choices = [("", "全部地区")] + [
        (area.code, "\u3000" * (AREA_INDENT.get(area.level, 0) - offset) + area.name) for area in areas
    ]
    return True


def unit_filter_choices(field: forms.ModelChoiceField, *, request, area: str, selected: str) -> None:
    """The units that sent a team the user sees (in the chosen area): a county's few dozen, not all 1,812."""
    teams = WorkTeam.objects.visible_to(request.user)
    if area:
        teams = teams.filter(village__pk__startswith=area)
    units = field.queryset.filter(pk__in=teams.values("unit_id"))
    rows = list(units[: MAX_UNIT_CHOICES + 1])
    if len(rows) > MAX_UNIT_CHOICES:
        rows = list(units.exclude(level__in=(UnitLevel.COUNTY, UnitLevel.TOWNSHIP)))
        field.help_text = "选择地区后可按县、乡镇单位筛选。"
    if selected and not any(str(unit.pk) == selected for unit in rows):
        rows = list(field.queryset.filter(pk=selected)) + rows if selected.isdigit() else rows
    field.widget.choices = [("", "全部")] + [(unit.pk, unit.name) for unit in rows]


def _filter_widgets(form: forms.Form) -> None:
    """ "全部" as the empty choice, date pickers for dates, and selects that submit on change (pages.js)."""
    for bound_field in form:
        widget = bound_field.field.widget
        if isinstance(bound_field.field, forms.DateField):
            widget.input_type = "date"
        if isinstance(widget, forms.NullBooleanSelect):
            widget.choices = [("unknown", "全部"), ("true", "是"), ("false", "否")]
        elif isinstance(bound_field.field, forms.ModelChoiceField):
            bound_field.field.empty_label = "全部"
        elif isinstance(bound_field.field, forms.ChoiceField):
            widget.choices = [("", "全部") if value == "" else (value, label) for value, label in widget.choices]
        if isinstance(widget, forms.Select):
            widget.attrs["data-autosubmit"] = "true"


def stable_order(queryset: QuerySet) -> QuerySet:
    """The chosen order (or the model's: Django drops Meta.ordering from GROUP BY queries such as the annotated
    selectors), with the primary key last so that rows with equal sort values do not hop between pages."""
    ordering = list(queryset.query.order_by) or list(queryset.model._meta.ordering)
    if not {"pk", "-pk", queryset.model._meta.pk.name} & set(ordering):
        ordering.append("pk")
    return queryset.order_by(*ordering)


@dataclass
class Column:
    label: str
    key: str = ""  # the FilterSet's ordering name; empty if the column does not sort
    css: str = ""


class FilteredListView(LoginRequiredMixin, ListView):
    """A list page: a scoped selector, the model's FilterSet (bound with `request` so its choices are scoped),
    sortable headers through the FilterSet's `ordering`, and 50 rows a page whose links keep the filters.
    A filter value outside the user's scope (e.g. another county's `?area=`) is a form error and no rows."""

    filterset_class: type
    columns: tuple[Column, ...] = ()
    paginate_by = PAGE_SIZE
    area_levels: tuple[str, ...] = (AreaLevel.PREFECTURE, AreaLevel.COUNTY, AreaLevel.TOWNSHIP)
    hidden_filters: tuple[str, ...] = ("ordering",)
    search_placeholder = ""
    title = ""

    def base_queryset(self) -> QuerySet:
        raise NotImplementedError

    def get_queryset(self):
        base = self.base_queryset()
        self.filterset = self.filterset_class(self.request.GET or None, queryset=base, request=self.request)
        self.prepare_filter_form(self.filterset.form)
        if self.filterset.is_bound and not self.filterset.is_valid():
            return base.none()
        return stable_order(self.filterset.qs)

    def prepare_filter_form(self, form: forms.Form) -> None:
        _filter_widgets(form)
        self.shown_filters = [name for name in form.fields if name not in self.hidden_filters]
        if "q" in form.fields:
            form.fields["q"].widget.input_type = "search"
            form.fields["q"].widget.attrs["placeholder"] = self.search_placeholder
        if "area" in form.fields:
            selected = self.request.GET.get("area", "")
            levels = self.area_levels
            if not area_drilldown(form.fields["area"], request=self.request, selected=selected, levels=levels):
                self.shown_filters.remove("area")
        if "unit" in form.fields:
            unit_filter_choices(
                form.fields["unit"],
                request=self.request,
                area=self.request.GET.get("area", "") if "area" in self.shown_filters else "",
                selected=self.request.GET.get("unit", ""),
            )

    def header(self) -> list[dict]:
        current = self.request.GET.get("ordering", "")
        columns = []
        for column in self.columns:
            state = "asc" if current == column.key else "desc" if current == f"-{column.key}" else ""
            columns.append(
                {
                    "label": column.label,
                    "key": column.key,
                    "css": column.css,
                    "state": state,
                    "next": f"-{column.key}" if state == "asc" else column.key,
                }
            )
        return columns

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = self.filterset.form
        main = [name for name in self.shown_filters if name == "q"]
        more = [name for name in self.shown_filters if name != "q"]
        context.update(
            title=self.title,
            filterset=self.filterset,
            filter_form=form,
            search_fields=[form[name] for name in main],
            filter_fields=[form[name] for name in more],
            hidden_filters=[
                (name, self.request.GET[name]) for name in self.hidden_filters if self.request.GET.get(name)
            ],
            filters_active=any(self.request.GET.get(name) for name in more),
            columns=self.header(),
        )
        return context


class TeamListView(FilteredListView):
    template_name = "teams/team_list.html"
    filterset_class = WorkTeamFilterSet
    title = "驻村工作队"
    search_placeholder = "村（居）、工作队或派驻单位名称"
    columns = (
        Column("村（居）", "village"),
        Column("工作队", "name"),
        Column("批次", "batch"),
        Column("派驻单位", "unit"),
        Column("队长"),
        Column("在岗 / 在队", css="numeric"),
    )

    def base_queryset(self):
        return selectors.team_list(user=self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        for team in context["object_list"]:
            team.below_half = team_below_half(team)
        context["can_create"] = user_can(self.request.user, Action.MANAGE)
        return context


class CadreListView(FilteredListView):
    template_name = "teams/cadre_list.html"
    filterset_class = CadreFilterSet
    title = "驻村干部"
    search_placeholder = "姓名、手机号或完整身份证号"
    area_levels = (AreaLevel.PREFECTURE, AreaLevel.COUNTY)
    columns = (
        Column("姓名", "name"),
        Column("性别"),
        Column("民族"),
        Column("出生日期", "birth_date"),
        Column("身份证号"),
        Column("手机号码"),
        Column("所在单位", "unit"),
        Column("管理县（区）"),
        Column("当前工作队"),
        Column("状态"),
    )

    def base_queryset(self):
        return selectors.cadre_list(user=self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        cadres = list(context["object_list"])
        # One query for the page, not one per row: whose phone this user may read in full.
        open_phone = set(
            Cadre.objects.visible_to(self.request.user, Action.SEE_ID_NUMBER)
            .filter(pk__in=[cadre.pk for cadre in cadres])
            .values_list("pk", flat=True)
        )
        for cadre in cadres:
            cadre.phone_display = cadre.phone if cadre.pk in open_phone else cadre.masked_phone
            # With the first and last four digits shown, a full birth date would give the ID number away.
            cadre.birth_display = birth_display(cadre, full=cadre.pk in open_phone)
            cadre.current_role_label = AssignmentRole(cadre.current_role).label if cadre.current_role else ""
            cadre.current_status_label = status_label(cadre.current_status)
        context["can_create"] = user_can(self.request.user, Action.MANAGE)
        return context


class LeaveListView(FilteredListView):
    template_name = "teams/leave_list.html"
    filterset_class = LeaveFilterSet
    title = "请假与轮休"
    hidden_filters = ("ordering", "team")
    columns = (
        Column("干部"),
        Column("工作队"),
        Column("类型"),
        Column("开始", "start_date"),
        Column("结束"),
        Column("事由"),
        Column("审批状态"),
        Column("申请", "requested_at"),
        Column("审批"),
    )

    def base_queryset(self):
        return selectors.leave_list(user=self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        leaves = list(context["object_list"])
        decidable = set(
            selectors.pending_leave(user=self.request.user)
            .filter(pk__in=[leave.pk for leave in leaves])
            .values_list("pk", flat=True)
        )
        for leave in leaves:
            leave.can_decide = leave.pk in decidable
        context["can_request"] = user_can(self.request.user, Action.REQUEST_LEAVE)
        return context


def birth_display(cadre: Cadre, *, full: bool) -> str:
    if cadre.birth_date is None:
        return ""
    return f"{cadre.birth_date:%Y-%m-%d}" if full else f"{cadre.birth_date:%Y}年"


def status_label(status: str | None) -> str:
    return AssignmentStatus(status).label if status else ""


def team_below_half(team: WorkTeam) -> bool:
    """SPEC.md: a team must keep at least half its members on post (a warning, not a block)."""
    return team.member_count > 0 and team.on_post_count * 2 < team.member_count


# -- change history -----------------------------------------------------------------------------------------

HISTORY_LIMIT = 200
HISTORY_TYPES = {"+": "新建", "~": "修改", "-": "删除"}
# Personal data in history tables is masked like everywhere else; revealing is only on the cadre's page.
PRIVATE_VALUES: dict[tuple[type[Model], str], Callable[[str], str]] = {
    (Cadre, "id_number"): mask_id_number,
    (Cadre, "phone"): mask_phone,
}


@dataclass
class HistoryChange:
    field: str
    old: str  # empty when there is nothing to compare with (a new object): only `new` is shown
    new: str


@dataclass
class HistoryEntry:
    when: datetime.datetime
    who: str
    subject: str
    kind: str
    changes: list[HistoryChange] = field(default_factory=list)


@dataclass
class HistorySource:
    """Historical records of one model, and how to name the object a record is about."""

    records: QuerySet
    subject: str  # e.g. "任职"
    subject_field: str = ""  # a foreign key whose label completes the subject: "任职：扎西"
    hide_fields: tuple[str, ...] = ()  # fields the page already says (an assignment's team on the team's page)


def _label_map(keys: dict[type[Model], set]) -> dict[tuple[type[Model], object], str]:
    """Names for the foreign keys found in history: one query per related model."""
    labels: dict[tuple[type[Model], object], str] = {}
    for model, ids in keys.items():
        ids = {value for value in ids if value not in (None, "")}
        if not ids:
            continue
        rows = model._default_manager.filter(pk__in=ids)
        if model is Area:
            rows = rows.select_related("parent__parent")
        if model is Assignment:
            rows = rows.select_related("cadre")
        for row in rows:
            if model is Area:
                label = row.full_name
            elif model is Assignment:
                label = row.cadre.name
            elif model is get_user_model():
                label = row.get_full_name() or row.get_username()
            else:
                label = str(row)
            labels[(model, row.pk)] = label
    return labels


def _display(model: type[Model], name: str, value, labels) -> str:
    if value in (None, ""):
        return "（空）"
    private = PRIVATE_VALUES.get((model, name))
    if private:
        return private(str(value))
    model_field = model._meta.get_field(name)
    if model_field.is_relation:
        return labels.get((model_field.related_model, value), str(value))
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def history_entries(sources: Iterable[HistorySource], *, limit: int = HISTORY_LIMIT) -> list[HistoryEntry]:
    """Who changed what, when, field by field (old → new), newest first, across the given models' records.
    Each record is compared with the previous record of the same object (simple-history's diff_against)."""
    pending: list[tuple] = []
    keys: dict[type[Model], set] = defaultdict(set)
    for source in sources:
        previous: dict[object, Model] = {}
        for record in source.records.select_related("history_user").order_by("history_date", "history_id"):
            model = record.instance_type
            object_id = getattr(record, model._meta.pk.attname)
            before = previous.get(object_id)
            previous[object_id] = record
            if record.history_type == "~" and before is not None:
                changes = [(change.field, change.old, change.new) for change in record.diff_against(before).changes]
                if not changes:
                    continue
                kind = HISTORY_TYPES["~"]
            elif record.history_type == "-":
                changes, kind = [], HISTORY_TYPES["-"]
            else:
                # A new object, or the first record kept of an older one (rows loaded in bulk have no history):
                # nothing to compare with, so show the values it then had.
                changes = [
                    (tracked.name, None, tracked.value_from_object(record))
                    for tracked in record.tracked_fields
                    if tracked.editable
                    and not tracked.primary_key
                    and tracked.name not in (source.subject_field, *source.hide_fields)
                    and tracked.value_from_object(record) not in (None, "")
                ]
                kind = HISTORY_TYPES["+"] if record.history_type == "+" else "修改（此前无记录）"
            for name, old_value, new_value in changes:
                model_field = model._meta.get_field(name)
                if model_field.is_relation:
                    keys[model_field.related_model].update((old_value, new_value))
            if source.subject_field:
                subject_field = model._meta.get_field(source.subject_field)
                keys[subject_field.related_model].add(getattr(record, subject_field.attname))
            pending.append((record, model, source, kind, changes))
    labels = _label_map(keys)
    entries = []
    for record, model, source, kind, changes in pending:
        subject = source.subject
        if source.subject_field:
            subject_field = model._meta.get_field(source.subject_field)
            name = labels.get((subject_field.related_model, getattr(record, subject_field.attname)), "")
            subject = f"{subject}：{name}" if name else subject
        user = record.history_user
        entries.append(
            HistoryEntry(
                when=record.history_date,
                who=(user.get_full_name() or user.get_username()) if user else "系统",
                subject=subject,
                kind=kind,
                changes=[
                    HistoryChange(
                        field=str(model._meta.get_field(name).verbose_name),
                        old=_display(model, name, old_value, labels) if kind == HISTORY_TYPES["~"] else "",
                        new=_display(model, name, new_value, labels),
                    )
                    for name, old_value, new_value in changes
                ],
            )
        )
    entries.sort(key=lambda entry: entry.when, reverse=True)
    return entries[:limit]


# -- detail pages -------------------------------------------------------------------------------------------


class TeamDetailView(ScopedObjectMixin, DetailView):
    model = WorkTeam
    template_name = "teams/team_detail.html"
    context_object_name = "team"

    def get_queryset(self):
        return selectors.team_list(user=self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        team, user = self.object, self.request.user
        assignments = list(
            selectors.assignment_list(user=user).filter(team=team).order_by("role", "start_date", "cadre__name")
        )
        open_phone = set(
            Cadre.objects.visible_to(user, Action.SEE_ID_NUMBER)
            .filter(pk__in=[assignment.cadre_id for assignment in assignments])
            .values_list("pk", flat=True)
        )
        for assignment in assignments:
            cadre = assignment.cadre
            cadre.phone_display = cadre.phone if cadre.pk in open_phone else cadre.masked_phone
            # With the first and last four digits shown, a full birth date would give the ID number away.
            cadre.birth_display = birth_display(cadre, full=cadre.pk in open_phone)
        can_history = allowed(user, Action.VIEW_HISTORY, team)
        context.update(
            members=[assignment for assignment in assignments if assignment.status in CURRENT_ASSIGNMENT_STATUSES],
            former_members=[
                assignment for assignment in assignments if assignment.status not in CURRENT_ASSIGNMENT_STATUSES
            ],
            leaves=list(selectors.leave_list(user=user).filter(assignment__team=team).order_by("-start_date")[:50]),
            below_half=team_below_half(team),
            can_manage=allowed(user, Action.MANAGE, team),
            can_request_leave=allowed(user, Action.REQUEST_LEAVE, team),
            can_view_history=can_history,
            history=team_history(team) if can_history else [],
        )
        return context


def team_history(team: WorkTeam) -> list[HistoryEntry]:
    return history_entries(
        [
            HistorySource(WorkTeam.history.filter(id=team.pk), "工作队"),
            HistorySource(Assignment.history.filter(team_id=team.pk), "任职", "cadre", hide_fields=("team",)),
            HistorySource(Leave.history.filter(assignment__team_id=team.pk), "请假", "assignment"),
        ]
    )


class CadreDetailView(ScopedObjectMixin, DetailView):
    """The cadre's record with the ID number masked; those who may see it press a button (a POST, recorded)
    and get this page once more with the full number, which is never put in a URL or a redirect."""

    model = Cadre
    template_name = "teams/cadre_detail.html"
    context_object_name = "cadre"

    def get_queryset(self):
        return selectors.cadre_list(user=self.request.user).select_related("user")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        cadre, user = self.object, self.request.user
        can_see = services.can_see_id_number(user, cadre)
        can_history = allowed(user, Action.VIEW_HISTORY, cadre)
        assignments = list(
            selectors.assignment_list(user=user).filter(cadre=cadre).order_by("-team__batch__number", "-start_date")
        )
        context.update(
            can_see_id_number=can_see,
            phone_display=cadre.phone if can_see else cadre.masked_phone,
            assignments=assignments,
            can_manage=allowed(user, Action.MANAGE, cadre),
            can_view_history=can_history,
            history=cadre_history(cadre, assignments) if can_history else [],
            current_role_label=AssignmentRole(cadre.current_role).label if cadre.current_role else "",
            current_status_label=status_label(cadre.current_status),
        )
        return context


def cadre_history(cadre: Cadre, assignments: list[Assignment]) -> list[HistoryEntry]:
    return history_entries(
        [
            HistorySource(Cadre.history.filter(id=cadre.pk), "干部档案"),
            HistorySource(
                Assignment.history.filter(id__in=[assignment.pk for assignment in assignments]),
                "任职",
                "team",
                hide_fields=("cadre",),
            ),
        ]
    )


@method_decorator(never_cache, name="dispatch")
class CadreRevealIdView(CadreDetailView):
    """POST only: records the disclosure (services.cadre_reveal_id_number) and renders the cadre's page with
    the full number this one time; not cached."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        full = services.cadre_reveal_id_number(
            actor=request.user, cadre=self.object, ip_address=request.META.get("REMOTE_ADDR")
        )
        context = self.get_context_data(object=self.object, revealed_id_number=full)
        return render(request, self.template_name, context)


# -- forms --------------------------------------------------------------------------------------------------


class ServiceFormView(ScopedObjectMixin, FormView):
    """A form whose valid input goes to one service call. The service's ValidationError lands on the form's
    fields (nothing typed is lost), PermissionDenied becomes 403; success is POST/redirect/GET with a message.

    A field marked `data-refresh` (a county select, a search box) re-renders the form with what was typed,
    without validating or saving (pages.js posts `_refresh`)."""

    view_action = Action.MANAGE
    template_name = "teams/form_page.html"
    title = ""
    parent_label = "工作队"
    submit_label = "保存"
    prefill_fields: tuple[str, ...] = ()

    def get_initial(self):
        initial = super().get_initial()
        for name in self.prefill_fields:
            if self.request.GET.get(name):
                initial[name] = self.request.GET[name]
        return initial

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["user"] = self.request.user
        return kwargs

    def post(self, request, *args, **kwargs):
        if request.POST.get("_refresh"):
            kwargs = self.get_form_kwargs()
            kwargs.pop("data", None)
            kwargs.pop("files", None)
            skip = ("csrfmiddlewaretoken", "_refresh")
            typed = {key: value for key, value in request.POST.items() if key not in skip}
            kwargs["initial"] = {**kwargs.get("initial", {}), **typed}
            return self.render_to_response(self.get_context_data(form=self.get_form_class()(**kwargs)))
        return super().post(request, *args, **kwargs)

    def perform(self, form) -> Model:
        raise NotImplementedError

    def success_message(self, result) -> str:
        return "已保存。"

    def success_url_for(self, result) -> str:
        raise NotImplementedError

    def form_valid(self, form):
        try:
            result = self.perform(form)
        except ValidationError as error:
            add_service_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, self.success_message(result))
        return redirect(self.success_url_for(result))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("title", self.title)
        context.setdefault("submit_label", self.submit_label)
        context.setdefault("cancel_url", self.cancel_url())
        context.setdefault("parent_label", self.parent_label)
        return context

    def cancel_url(self) -> str:
        return reverse("teams:list")


class ObjectServiceFormView(ServiceFormView, SingleObjectMixin):
    """A ServiceFormView about one object: out of scope 404, `object_action` not allowed on it 403.
    SingleObjectMixin comes last so that ScopedObjectMixin's get_queryset and get_object win."""

    object_action = Action.MANAGE

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        return super().post(request, *args, **kwargs)


class TeamCreateView(ServiceFormView):
    model = WorkTeam
    form_class = TeamForm
    title = "新建工作队"
    submit_label = "创建工作队"

    def perform(self, form):
        return services.team_create(actor=self.request.user, **form.service_data())

    def success_message(self, team):
        return f"已创建工作队“{team.name}”。"

    def success_url_for(self, team):
        return reverse("teams:detail", args=[team.pk])


class TeamUpdateView(ObjectServiceFormView):
    model = WorkTeam
    form_class = TeamForm
    context_object_name = "team"

    def get_queryset(self):
        return WorkTeam.objects.visible_to(self.request.user).select_related("village")

    def get_initial(self):
        return {**team_initial(self.object), **super().get_initial()}

    def perform(self, form):
        return services.team_update(actor=self.request.user, team=self.object, **form.service_data(changed_only=True))

    def get_context_data(self, **kwargs):
        return super().get_context_data(title="编辑工作队", parent_label=self.object.name, **kwargs)

    def success_message(self, team):
        return f"已保存工作队“{team.name}”。"

    def success_url_for(self, team):
        return reverse("teams:detail", args=[team.pk])

    def cancel_url(self):
        return reverse("teams:detail", args=[self.object.pk])


class TeamSetLeaderView(ObjectServiceFormView):
    model = WorkTeam
    form_class = SetLeaderForm
    submit_label = "确定更换"
    context_object_name = "team"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "team": self.object}

    def perform(self, form):
        return services.team_set_leader(actor=self.request.user, team=self.object, cadre=form.cleaned_data["cadre"])

    def get_context_data(self, **kwargs):
        leader = self.object.assignments.filter(
            role=AssignmentRole.LEADER, status__in=CURRENT_ASSIGNMENT_STATUSES
        ).select_related("cadre")
        current = leader.first()
        intro = f"现任队长：{current.cadre.name}。更换后，原队长转为队员。" if current else "本队目前没有队长。"
        return super().get_context_data(title="更换队长", parent_label=self.object.name, intro=intro, **kwargs)

    def success_message(self, assignment):
        return f"{assignment.cadre.name}已任{assignment.team.name}队长。"

    def success_url_for(self, assignment):
        return reverse("teams:detail", args=[assignment.team_id])

    def cancel_url(self):
        return reverse("teams:detail", args=[self.object.pk])


class AssignmentCreateView(ObjectServiceFormView):
    """Add a member to a team: a cadre on no team now, or a new cadre registered first."""

    model = WorkTeam
    form_class = AssignmentCreateForm
    submit_label = "加入工作队"
    prefill_fields = ("cadre",)
    context_object_name = "team"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "team": self.object}

    def perform(self, form):
        data = form.cleaned_data
        return services.assignment_create(
            actor=self.request.user,
            team=self.object,
            cadre=data["cadre"],
            role=data["role"],
            start_date=data["start_date"],
        )

    def get_context_data(self, **kwargs):
        new_cadre = f"{reverse('teams:cadre_create')}?team={self.object.pk}"
        return super().get_context_data(
            title="添加队员", parent_label=self.object.name, new_cadre_url=new_cadre, **kwargs
        )

    def success_message(self, assignment):
        return f"{assignment.cadre.name}已加入{assignment.team.name}。"

    def success_url_for(self, assignment):
        return reverse("teams:detail", args=[assignment.team_id])

    def cancel_url(self):
        return reverse("teams:detail", args=[self.object.pk])


class AssignmentEndView(ObjectServiceFormView):
    """Record the end of an assignment: 期满 or 召回, with the last day."""

    model = Assignment
    form_class = AssignmentEndForm
    submit_label = "确认结束任职"
    context_object_name = "assignment"

    def get_queryset(self):
        return Assignment.objects.visible_to(self.request.user).select_related("cadre", "team")

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs.pop("user")
        return kwargs

    def perform(self, form):
        return services.assignment_end(actor=self.request.user, assignment=self.object, **form.cleaned_data)

    def get_context_data(self, **kwargs):
        assignment = self.object
        title = f"结束任职：{assignment.cadre.name}（{assignment.get_role_display()}）"
        intro = f"{assignment.team.name}，{assignment.start_date:%Y-%m-%d}到岗，当前{assignment.get_status_display()}。"
        return super().get_context_data(title=title, parent_label=assignment.team.name, intro=intro, **kwargs)

    def success_message(self, assignment):
        return f"已记录{assignment.cadre.name}{assignment.get_status_display()}离队（{assignment.end_date:%Y-%m-%d}）。"

    def success_url_for(self, assignment):
        return reverse("teams:detail", args=[assignment.team_id])

    def cancel_url(self):
        return reverse("teams:detail", args=[self.object.team_id])


class CadreCreateView(ServiceFormView):
    """Register a cadre. Coming from a team's "add member" page (`?team=`), go back there with the cadre chosen."""

    model = Cadre
    form_class = CadreForm
    title = "登记驻村干部"
    parent_label = "驻村干部"
    submit_label = "登记"

    def perform(self, form):
        return services.cadre_create(actor=self.request.user, **form.service_data())

    def success_message(self, cadre):
        return f"已登记驻村干部{cadre.name}。"

    def success_url_for(self, cadre):
        team = self.request.GET.get("team", "")
        if team.isdigit():
            return f"{reverse('teams:assignment_create', args=[int(team)])}?cadre={cadre.pk}"
        return reverse("teams:cadre_detail", args=[cadre.pk])

    def cancel_url(self):
        return reverse("teams:cadre_list")


class CadreUpdateView(ObjectServiceFormView):
    model = Cadre
    form_class = CadreForm
    parent_label = "驻村干部"
    context_object_name = "cadre"

    def get_queryset(self):
        return Cadre.objects.visible_to(self.request.user)

    def show_phone(self) -> bool:
        return services.can_see_id_number(self.request.user, self.object)

    def get_initial(self):
        return {**cadre_initial(self.object, show_phone=self.show_phone()), **super().get_initial()}

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "cadre": self.object, "show_phone": self.show_phone()}

    def perform(self, form):
        return services.cadre_update(actor=self.request.user, cadre=self.object, **form.service_data())

    def get_context_data(self, **kwargs):
        return super().get_context_data(title="编辑驻村干部", parent_label=self.object.name, **kwargs)

    def success_message(self, cadre):
        return f"已保存驻村干部{cadre.name}的信息。"

    def success_url_for(self, cadre):
        return reverse("teams:cadre_detail", args=[cadre.pk])

    def cancel_url(self):
        return reverse("teams:cadre_detail", args=[self.object.pk])


class LeaveCreateView(ServiceFormView):
    """The team leader asks leave (请假/轮休) for a member; the county decides."""

    model = Leave
    form_class = LeaveRequestForm
    view_action = Action.REQUEST_LEAVE
    title = "申请请假/轮休"
    parent_label = "请假与轮休"
    submit_label = "提交申请"
    prefill_fields = ("assignment",)

    def perform(self, form):
        return services.leave_request(actor=self.request.user, **form.cleaned_data)

    def get_context_data(self, **kwargs):
        intro = "申请提交后由县（区）审批；批准后该队员在请假期间显示为“请假”或“轮休”。"
        return super().get_context_data(intro=intro, **kwargs)

    def success_message(self, leave):
        return f"已提交{leave.assignment.cadre.name}的{leave.get_leave_type_display()}申请，等待审批。"

    def success_url_for(self, leave):
        return reverse("teams:detail", args=[leave.assignment.team_id])

    def cancel_url(self):
        return reverse("teams:leave_list")


class LeaveDecideView(ObjectServiceFormView):
    """The county approves or refuses; a refusal needs a reason."""

    model = Leave
    form_class = LeaveDecideForm
    view_action = Action.DECIDE_LEAVE
    object_action = Action.DECIDE_LEAVE
    template_name = "teams/leave_decide.html"
    parent_label = "请假与轮休"
    submit_label = "提交审批"
    context_object_name = "leave"

    def get_queryset(self):
        return selectors.leave_list(user=self.request.user)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs.pop("user")
        return kwargs

    def perform(self, form):
        data = form.cleaned_data
        if data["decision"] == LeaveDecideForm.APPROVE:
            return services.leave_approve(actor=self.request.user, leave=self.object, comment=data["comment"])
        return services.leave_refuse(actor=self.request.user, leave=self.object, comment=data["comment"])

    def get_context_data(self, **kwargs):
        leave = self.object
        return super().get_context_data(
            title=f"审批：{leave.assignment.cadre.name}的{leave.get_leave_type_display()}申请",
            pending=leave.status == LeaveStatus.PENDING,
            **kwargs,
        )

    def success_message(self, leave):
        decision = leave.get_status_display().removeprefix("已")
        return f"已{decision}{leave.assignment.cadre.name}的{leave.get_leave_type_display()}申请。"

    def success_url_for(self, leave):
        return reverse("teams:leave_list")

    def cancel_url(self):
        return reverse("teams:leave_list")
