"""The page machinery every app's browser pages share: scoped, filtered, sortable list pages; change-history
tables; and forms whose valid input goes to one service call.

Lists take a scoped selector and the model's FilterSet (bound with `request` so its choices are scoped); forms
put a service's ValidationError next to the fields it names (nothing typed is lost) and turn PermissionDenied
into 403. Apps set their own templates and cancel links; nothing here knows about one app's pages.
"""

import datetime
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.db.models import Model, QuerySet
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.generic import FormView, ListView
from django.views.generic.detail import SingleObjectMixin

from villages.choices import AreaLevel
from villages.models import Area
from zhucun.filters import area_drilldown, unit_filter_choices
from zhucun.forms import add_service_errors
from zhucun.mixins import ScopedObjectMixin
from zhucun.scope import Action, user_can

PAGE_SIZE = 50


def allowed(user, action: Action, obj: Model) -> bool:
    """Whether the user may take `action` on this object (buttons and sections of a page)."""
    return type(obj).objects.visible_to(user, action).filter(pk=obj.pk).exists()


class ActionRequiredMixin(LoginRequiredMixin):
    """A page for users who may take at least one of `view_actions` somewhere (403 otherwise); for pages whose
    rows are not one scoped model (a catalogue, an inbox) or that add their own scope (a list's selector)."""

    view_actions: tuple[Action, ...] = (Action.VIEW,)

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not any(user_can(request.user, action) for action in self.view_actions):
            raise PermissionDenied("您没有权限访问此页面。")
        return super().dispatch(request, *args, **kwargs)


# -- lists --------------------------------------------------------------------------------------------------


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


# -- change history -----------------------------------------------------------------------------------------

HISTORY_LIMIT = 200
HISTORY_TYPES = {"+": "新建", "~": "修改", "-": "删除"}
# Personal data in history tables is masked like everywhere else: the apps that own such fields register how
# (teams: the cadre's ID number and phone).
PRIVATE_VALUES: dict[tuple[type[Model], str], Callable[[str], str]] = {}


@dataclass(frozen=True)
class HistoryLabel:
    """How history names a row a foreign key points at, when str(row) is not what a reader expects."""

    label: Callable[[Model], str]
    select_related: tuple[str, ...] = ()


# By model; the apps register theirs (teams: an assignment is named by its cadre). Users and areas are core.
HISTORY_LABELS: dict[type[Model], HistoryLabel] = {
    Area: HistoryLabel(lambda area: area.full_name, ("parent__parent",)),
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
    user_model = get_user_model()
    for model, ids in keys.items():
        ids = {value for value in ids if value not in (None, "")}
        if not ids:
            continue
        rows = model._default_manager.filter(pk__in=ids)
        how = HISTORY_LABELS.get(model)
        if how and how.select_related:
            rows = rows.select_related(*how.select_related)
        for row in rows:
            if how:
                label = how.label(row)
            elif model is user_model:
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


# -- service forms ------------------------------------------------------------------------------------------


class ServiceFormView(ScopedObjectMixin, FormView):
    """A form whose valid input goes to one service call. The service's ValidationError lands on the form's
    fields (nothing typed is lost), PermissionDenied becomes 403; success is POST/redirect/GET with a message.

    A field marked `data-refresh` (a county select, a search box) re-renders the form with what was typed,
    without validating or saving (pages.js posts `_refresh`)."""

    view_action = Action.MANAGE
    template_name: str  # each app's form page
    cancel_url_name = ""  # where 取消 leads unless `cancel_url()` says more precisely
    title = ""
    parent_label = ""
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
        if not self.cancel_url_name:
            raise ImproperlyConfigured(f"{type(self).__name__} needs cancel_url_name or cancel_url().")
        return reverse(self.cancel_url_name)


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
