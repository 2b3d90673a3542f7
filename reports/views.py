"""Pages of monthly reporting: the activity log, the indicator catalogue, the monthly report form, the county's
review queue and review page, the overdue list and the notification inbox.

Reads go through reports/selectors.py and the FilterSets shared with the API; every write goes through
reports/workflow.py (the report's transitions) or reports/services.py (activities, the catalogue, the inbox).
The pages hold no rule: they show the services' Chinese messages next to the fields they name, and keep what
the user typed on the page whenever a write is refused (a bad value, a stale version, another reviewer first).
"""

import datetime
from collections import OrderedDict
from dataclasses import dataclass, field
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.db.models import Case, IntegerField, When
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.generic import DetailView, TemplateView

from reports import selectors, services
from reports.choices import DUTY_TITLES, Category, ReportStatus, ValueType
from reports.deadlines import active_teams, overdue_reports
from reports.filtersets import (
    ActivityFilterSet,
    IndicatorFilterSet,
    MonthlyReportFilterSet,
    NotificationFilterSet,
    ReviewQueueFilterSet,
    parse_month,
)
from reports.forms import (
    ActivityForm,
    ConfirmForm,
    IndicatorForm,
    IndicatorRetireForm,
    activity_initial,
    indicator_initial,
    report_input,
    review_comments,
)
from reports.models import Activity, Indicator, MonthlyReport, ReportEvent
from reports.periods import add_months, due_date_for, month_start
from reports.workflow import (
    ReportConflict,
    activity_prefill,
    report_approve,
    report_approve_many,
    report_indicators,
    report_open,
    report_reopen,
    report_return,
    report_save,
    report_submit,
)
from teams.models import Batch, WorkTeam
from villages.choices import AreaLevel
from zhucun.mixins import ScopedObjectMixin
from zhucun.pages import (
    ActionRequiredMixin,
    Column,
    FilteredListView,
    ObjectServiceFormView,
    ServiceFormView,
    allowed,
    stable_order,
)
from zhucun.scope import Action, user_can

FORM_TEMPLATE = "reports/form_page.html"
# A team filter is a select while it stays short; above this the area drill-down narrows the list first.
MAX_TEAM_FILTER = 200
OVERDUE_MONTHS = 12
VALUE_CHANGES_SHOWN = 300


def month_label(month: datetime.date) -> str:
    return f"{month.year}年{month.month}月"


def person(user) -> str:
    if user is None:
        return "系统"
    return user.get_full_name() or user.get_username()


def number_text(value: Decimal | None, value_type: str = ValueType.DECIMAL) -> str:
    """A figure as the form shows it: 3, 1.5, 1500.50 (money keeps its cents); empty for no value."""
    if value is None:
        return ""
    if value_type == ValueType.MONEY:
        return f"{value:.2f}"
    if value == value.to_integral_value():
        return f"{value.to_integral_value():f}"
    return f"{value.normalize():f}"


def report_url(report: MonthlyReport) -> str:
    return reverse("reports:report", args=[report.pk])


def safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return fallback


def team_filter_choices(form: forms.Form, *, request, shown: list[str]) -> None:
    """`team` (a number in the FilterSet) as a select of the teams the user sees in the chosen area, when there
    are a few; hidden for a single team or a long list (the area drill-down comes first)."""
    if "team" not in form.fields:
        return
    teams = WorkTeam.objects.visible_to(request.user).select_related("village")
    area = request.GET.get("area", "")
    if area and "area" in shown:
        teams = teams.filter(village__pk__startswith=area)
    rows = list(teams.order_by("village_id")[: MAX_TEAM_FILTER + 1])
    selected = request.GET.get("team", "")
    if (len(rows) <= 1 or len(rows) > MAX_TEAM_FILTER) and not selected:
        if "team" in shown:
            shown.remove("team")
        return
    form.fields["team"].widget = forms.Select(
        choices=[("", "全部")] + [(team.pk, f"{team.village.name} · {team.name}") for team in rows],
        attrs={"data-autosubmit": "true"},
    )
    if "team" not in shown:
        shown.append("team")


# -- the activity log -----------------------------------------------------------------------------------------


class ActivityListView(FilteredListView):
    template_name = "reports/activity_list.html"
    filterset_class = ActivityFilterSet
    title = "工作日志"
    search_placeholder = "标题或备注"
    columns = (
        Column("日期", "date"),
        Column("活动"),
        Column("参与人数", css="numeric"),
        Column("覆盖户数", css="numeric"),
        Column("地点"),
        Column("工作队", "village"),
        Column("记录人"),
    )

    def base_queryset(self):
        return selectors.activity_list(user=self.request.user)

    def get(self, request, *args, **kwargs):
        # A leader or member sees one team: no column repeating its name on every row of a phone's screen.
        self.one_team = selectors.sole_team(user=request.user, action=Action.VIEW) is not None
        if self.one_team:
            self.columns = tuple(column for column in self.columns if column.label != "工作队")
        return super().get(request, *args, **kwargs)

    def prepare_filter_form(self, form):
        super().prepare_filter_form(form)
        team_filter_choices(form, request=self.request, shown=self.shown_filters)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        activities = list(context["object_list"])
        changeable = set(
            Activity.objects.visible_to(self.request.user, Action.LOG_ACTIVITY)
            .filter(pk__in=[activity.pk for activity in activities])
            .values_list("pk", flat=True)
        )
        for activity in activities:
            activity.can_change = activity.pk in changeable and not activity.locked
            activity.author = person(activity.created_by) if activity.created_by_id else "—"
        context["can_log"] = user_can(self.request.user, Action.LOG_ACTIVITY)
        context["one_team"] = self.one_team
        return context


class ActivityFormMixin:
    model = Activity
    form_class = ActivityForm
    template_name = FORM_TEMPLATE
    cancel_url_name = "reports:activity_list"
    parent_label = "工作日志"
    view_action = Action.LOG_ACTIVITY

    def success_url_for(self, activity):
        return reverse("reports:activity_list")


class ActivityCreateView(ActivityFormMixin, ServiceFormView):
    title = "记录工作日志"
    submit_label = "保存"

    def perform(self, form):
        return services.activity_create(actor=self.request.user, team=form.cleaned_data["team"], **form.service_data())

    def success_message(self, activity):
        return f"已记录：{activity.date:%m月%d日} {activity.title}。"

    def get_context_data(self, **kwargs):
        form = kwargs.get("form") or self.get_form()
        intro = f"{form.team.name}" if getattr(form, "team", None) else ""
        return super().get_context_data(intro=intro, **kwargs)


class ActivityUpdateView(ActivityFormMixin, ObjectServiceFormView):
    # Whoever sees the activity learns that it may not change it (403); others do not find it (404).
    view_action = Action.VIEW
    object_action = Action.LOG_ACTIVITY
    title = "修改工作日志"
    context_object_name = "activity"

    def get_queryset(self):
        return selectors.activity_list(user=self.request.user)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "activity": self.object}

    def get_initial(self):
        return {**activity_initial(self.object), **super().get_initial()}

    def perform(self, form):
        return services.activity_update(
            actor=self.request.user, activity=self.object, **form.service_data(changed_only=True)
        )

    def success_message(self, activity):
        return f"已保存：{activity.date:%m月%d日} {activity.title}。"

    def get_context_data(self, **kwargs):
        locked = "该月月报已审核，工作日志已锁定，不能修改。" if self.object.locked else ""
        return super().get_context_data(intro=self.object.team.name, locked=locked, **kwargs)


class ActivityDeleteView(ActivityFormMixin, ObjectServiceFormView):
    form_class = ConfirmForm
    view_action = Action.VIEW
    object_action = Action.LOG_ACTIVITY
    title = "删除工作日志"
    submit_label = "确认删除"
    context_object_name = "activity"

    def get_queryset(self):
        return selectors.activity_list(user=self.request.user)

    def perform(self, form):
        services.activity_delete(actor=self.request.user, activity=self.object)
        return self.object

    def success_message(self, activity):
        return f"已删除：{activity.date:%m月%d日} {activity.title}。"

    def get_context_data(self, **kwargs):
        activity = self.object
        intro = f"{activity.team.name}，{activity.date:%Y-%m-%d}，{activity.activity_type.name}：{activity.title}。"
        return super().get_context_data(intro=intro, danger=True, **kwargs)


# -- the indicator catalogue (region admins) -----------------------------------------------------------------


def current_batch() -> Batch | None:
    """The batch working today, else the latest: what "retired" is measured against."""
    today = timezone.localdate()
    batches = Batch.objects.order_by("-number")
    return batches.filter(start_date__lte=today, end_date__gte=today).first() or batches.first()


class IndicatorListView(ActionRequiredMixin, FilteredListView):
    view_actions = (Action.ADMINISTER,)
    template_name = "reports/indicator_list.html"
    filterset_class = IndicatorFilterSet
    title = "指标目录"
    search_placeholder = "指标代码或名称"
    paginate_by = None

    def base_queryset(self):
        return selectors.indicator_list()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        batch = current_batch()
        groups: OrderedDict[str, dict] = OrderedDict()
        for indicator in context["object_list"]:
            until = indicator.active_until_batch
            indicator.retired = bool(until and batch and until.number < batch.number)
            group = groups.setdefault(
                indicator.category,
                {"title": category_title(indicator.category), "category": indicator.category, "rows": []},
            )
            group["rows"].append(indicator)
        for group in groups.values():
            rows = group["rows"]
            for index, indicator in enumerate(rows):
                indicator.can_move_up = index > 0
                indicator.can_move_down = index < len(rows) - 1
        context.update(groups=list(groups.values()), current_batch=batch, filtered=bool(self.request.GET))
        return context


def category_title(category: str) -> str:
    """ "政策讲解员 · 宣传教育": the region's name of the duty beside the category."""
    label = Category(category).label
    duty = DUTY_TITLES.get(category, "")
    return f"{duty} · {label}" if duty and duty != label else label


class IndicatorMoveView(ActionRequiredMixin, View):
    """Move an indicator one place up or down among those of its category (the report's order)."""

    view_actions = (Action.ADMINISTER,)
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        code, direction = request.POST.get("code", ""), request.POST.get("direction", "")
        order = list(Indicator.objects.order_by("sort_order", "code").values_list("code", "category"))
        position = next((index for index, (row_code, _) in enumerate(order) if row_code == code), None)
        if position is None or direction not in ("up", "down"):
            raise Http404("没有这个指标。")
        category = order[position][1]
        same = [index for index, (_, row_category) in enumerate(order) if row_category == category]
        here = same.index(position)
        target = here - 1 if direction == "up" else here + 1
        if 0 <= target < len(same):
            codes = [row_code for row_code, _ in order]
            other = same[target]
            codes[position], codes[other] = codes[other], codes[position]
            services.indicator_reorder(actor=request.user, codes=codes)
            messages.success(request, f"已调整“{code}”的顺序。")
        return redirect(f"{reverse('reports:indicator_list')}#indicator-{code}")


class IndicatorFormMixin:
    model = Indicator
    template_name = FORM_TEMPLATE
    cancel_url_name = "reports:indicator_list"
    parent_label = "指标目录"
    view_action = Action.ADMINISTER

    def success_url_for(self, indicator):
        return f"{reverse('reports:indicator_list')}#indicator-{indicator.code}"


class IndicatorCreateView(IndicatorFormMixin, ServiceFormView):
    form_class = IndicatorForm
    title = "新增指标"
    submit_label = "新增指标"

    def perform(self, form):
        return services.indicator_create(actor=self.request.user, **form.service_data())

    def success_message(self, indicator):
        return f"已新增指标 {indicator.code} {indicator.name}，排在最后；可在目录中调整顺序。"


class IndicatorObjectMixin(IndicatorFormMixin):
    # The catalogue is not scoped (every role reads it); changing it is for region admins (view_action).
    object_action = Action.VIEW
    slug_field = "code"
    slug_url_kwarg = "code"
    context_object_name = "indicator"

    def get_queryset(self):
        return selectors.indicator_list()


class IndicatorUpdateView(IndicatorObjectMixin, ObjectServiceFormView):
    form_class = IndicatorForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "indicator": self.object}

    def get_initial(self):
        return {**indicator_initial(self.object), **super().get_initial()}

    def perform(self, form):
        return services.indicator_update(
            actor=self.request.user, indicator=self.object, **form.service_data(changed_only=True)
        )

    def get_context_data(self, **kwargs):
        return super().get_context_data(title=f"编辑指标：{self.object.code} {self.object.name}", **kwargs)

    def success_message(self, indicator):
        return f"已保存指标 {indicator.code} {indicator.name}。"


class IndicatorRetireView(IndicatorObjectMixin, ObjectServiceFormView):
    form_class = IndicatorRetireForm
    submit_label = "停用"

    def get_initial(self):
        batch = self.object.active_until_batch or current_batch()
        return {"last_batch": batch.pk if batch else None, **super().get_initial()}

    def perform(self, form):
        return services.indicator_retire(
            actor=self.request.user, indicator=self.object, last_batch=form.cleaned_data["last_batch"]
        )

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            title=f"停用指标：{self.object.code} {self.object.name}",
            intro="停用后，所选批次之后的月报不再填报此指标；已经填报的数值仍保留在原月报中，可以查看和汇总。",
            **kwargs,
        )

    def success_message(self, indicator):
        return f"指标 {indicator.code} 填报至第{indicator.active_until_batch.number}批为止。"


# -- the monthly report -----------------------------------------------------------------------------------------


@dataclass
class FormRow:
    """One indicator's line on the report page."""

    indicator: Indicator
    text: str  # what the input shows: typed, kept raw, stored, or pre-filled from the activity log
    from_log: bool  # the shown figure is the activity log's
    log_total: str  # the activity log's figure when the shown one differs from it
    last_month: str
    average: str
    errors: list[str]
    warnings: list[str]
    note: str
    needs_note: bool
    review_comment: str
    retired: bool

    @property
    def code(self) -> str:
        return self.indicator.code

    @property
    def inputmode(self) -> str:
        return "numeric" if self.indicator.value_type == ValueType.INTEGER else "decimal"

    @property
    def css(self) -> str:
        return "has-error" if self.errors else "has-warning" if self.warnings else ""


@dataclass
class RowGroup:
    title: str
    rows: list[FormRow] = field(default_factory=list)


def _merge(*lists: list[str]) -> list[str]:
    merged: list[str] = []
    for messages_ in lists:
        merged += [message for message in messages_ if message not in merged]
    return merged


def report_rows(
    report: MonthlyReport,
    *,
    editable: bool,
    typed=None,
    submit_errors: dict[str, list[str]] | None = None,
) -> list[RowGroup]:
    """The report's indicators grouped by duty, each against the team's history, with the checks' messages,
    the activity log's figure, and (after a refused write) what the user typed."""
    sheet = selectors.report_sheet(report)
    prefill = activity_prefill(team=report.team, month=report.month)
    submit_errors = submit_errors or {}
    groups: OrderedDict[str, RowGroup] = OrderedDict()
    for line in sheet:
        indicator = line.indicator
        value_type = indicator.value_type
        logged = prefill.get(indicator.pk)
        logged_text = number_text(logged, value_type) if logged is not None else ""
        if typed is not None and indicator.code in typed.values:
            text = typed.values[indicator.code]
        elif line.input is not None:
            text = line.input
        elif line.value is not None:
            text = number_text(line.value, value_type)
        elif editable and logged is not None:
            text = logged_text  # pre-filled: saving stores it, the leader can correct it first
        else:
            text = ""
        note = typed.notes.get(indicator.code, line.note) if typed is not None else line.note
        errors = _merge(line.input_errors, line.errors, submit_errors.get(indicator.code, []))
        from_log = logged is not None and text.strip() == logged_text
        row = FormRow(
            indicator=indicator,
            text=text,
            from_log=from_log,
            log_total="" if from_log or logged is None else logged_text,
            last_month=number_text(line.last_month, value_type),
            average=number_text(line.average, value_type) if line.average is not None else "",
            errors=errors,
            warnings=line.warnings,
            note=note,
            needs_note=bool(line.warnings or note.strip() or any("说明" in error for error in errors)),
            review_comment=line.review_comment,
            retired=line.retired,
        )
        groups.setdefault(indicator.category, RowGroup(title=category_title(indicator.category))).rows.append(row)
    return list(groups.values())


def report_history(report: MonthlyReport) -> dict:
    """The transitions (who, when, why, the county's value comments) and every value change, newest first."""
    events = list(selectors.report_events(report))
    changes = list(selectors.report_value_changes(report))
    changes.reverse()
    value_types = {}
    shown = []
    for change in changes[:VALUE_CHANGES_SHOWN]:
        value_type = value_types.setdefault(change.indicator_id, change.indicator.value_type)
        shown.append(
            {
                "at": change.event.at,
                "who": person(change.event.actor),
                "kind": change.event.get_kind_display(),
                "indicator": change.indicator,
                "old": number_text(change.old_value, value_type) or "（空）",
                "new": number_text(change.new_value, value_type) or "（空）",
                "note_changed": change.old_note != change.new_note,
                "new_note": change.new_note,
            }
        )
    for event in events:
        event.who = person(event.actor)
    events.reverse()
    return {"events": events, "changes": shown, "more_changes": max(len(changes) - VALUE_CHANGES_SHOWN, 0)}


def last_review(report: MonthlyReport, events: list[ReportEvent]) -> ReportEvent | None:
    """The return or reopen whose reasons the team is answering now."""
    if report.status != ReportStatus.RETURNED:
        return None
    kinds = (ReportEvent.Kind.RETURNED, ReportEvent.Kind.REOPENED)
    return next((event for event in events if event.kind in kinds), None)


class ReportOpenView(ScopedObjectMixin, View):
    """/reports/teams/<team>/<YYYY-MM>/: the team's report of that month; the leader's first visit opens the
    draft (pre-filled from the activity log), as the monthly job would have on the 1st."""

    def get(self, request, team_id: int, month: str):
        day = parse_month(month)
        if day is None:
            raise Http404("月份格式应为 YYYY-MM。")
        team = get_object_or_404(WorkTeam.objects.visible_to(request.user), pk=team_id)
        report = MonthlyReport.objects.visible_to(request.user).filter(team=team, month=day).first()
        if report is None:
            try:
                report = report_open(actor=request.user, team=team, month=day)
            except ValidationError as error:
                raise Http404(" ".join(error.messages)) from None
        return redirect(report_url(report))


SAVED_SESSION_KEY = "reports-saved"


class ReportView(ScopedObjectMixin, DetailView):
    """The monthly report of one team: the leader fills, saves and submits it here; everybody else who sees
    the report reads it (with its history). Nothing typed is lost: invalid input is kept (draft_input),
    refused writes render the page again with the typed input, and report_form.js keeps a copy in the
    browser until the server has it."""

    model = MonthlyReport
    template_name = "reports/report_form.html"
    context_object_name = "report"

    def get_queryset(self):
        return selectors.report_list(user=self.request.user).select_related("submitted_by", "reviewed_by")

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        saved = request.session.pop(SAVED_SESSION_KEY, None) == self.object.pk
        return self.render_page(saved=saved)

    def render_page(self, *, typed=None, submit_errors=None, problem: str = "", saved: bool = False, status=200):
        report, user = self.object, self.request.user
        actions = selectors.report_allowed_actions(user=user, report=report)
        editable = "save" in actions
        submit_errors = dict(submit_errors or {})
        narrative_errors = {
            name: submit_errors.pop(name) for name in ("summary", "problems", "next_plan") if name in submit_errors
        }
        history = report_history(report)
        narrative = {
            name: (typed.narrative.get(name, getattr(report, name)) if typed is not None else getattr(report, name))
            for name in ("summary", "problems", "next_plan")
        }
        groups = report_rows(report, editable=editable, typed=typed, submit_errors=submit_errors)
        codes = {row.code for group in groups for row in group.rows}
        other_errors = [message for code, errors in submit_errors.items() if code not in codes for message in errors]
        context = {
            "report": report,
            "team": report.team,
            "month_label": month_label(report.month),
            "groups": groups,
            "flagged": [row for group in groups for row in group.rows if row.errors],
            "editable": editable,
            "can_review": allowed(user, Action.REVIEW_REPORT, report),
            "narrative": narrative,
            "narrative_errors": narrative_errors,
            "other_errors": other_errors,
            "problem": problem,
            "saved": saved,
            "version": report.version,
            "history": history,
            "review": last_review(report, history["events"]),
            "is_late": report.is_late,
        }
        return render(self.request, self.template_name, context, status=status)

    def post(self, request, *args, **kwargs):
        self.object = report = self.get_object()
        codes = [indicator.code for indicator in report_indicators(report)]
        typed = report_input(request.POST, codes=codes)
        submitting = request.POST.get("action") == "submit"
        try:
            result = report_save(
                actor=request.user,
                report=report,
                values=typed.values,
                notes=typed.notes,
                narrative=typed.narrative,
                expected_version=typed.version,
            )
        except ReportConflict as conflict:
            self.object = conflict.report
            return self.render_page(typed=typed, problem=str(conflict), status=409)
        except ValidationError as error:
            # Not editable any more (submitted or approved meanwhile): say so, and keep the typed input visible.
            self.object = MonthlyReport.objects.select_related("team__batch").get(pk=report.pk)
            return self.render_page(typed=typed, problem=" ".join(error.messages), status=409)
        self.object = result.report
        if not submitting:
            request.session[SAVED_SESSION_KEY] = report.pk
            if result.errors:
                messages.warning(request, f"草稿已保存；有 {len(result.errors)} 项输入无效，已原样保留，请按提示更正。")
            else:
                messages.success(request, "草稿已保存。")
            return redirect(report_url(report))
        if result.errors:
            problem = f"有 {len(result.errors)} 项输入无效，未能提交；草稿已保存，请按提示更正后再提交。"
            return self.render_page(typed=typed, problem=problem, saved=True)
        try:
            report_submit(actor=request.user, report=result.report, expected_version=result.report.version)
        except ValidationError as error:
            errors = error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
            problem = "还不能提交：请按提示更正标出的项目（草稿已保存）。"
            return self.render_page(typed=typed, submit_errors=errors, problem=problem, saved=True)
        except ReportConflict as conflict:
            self.object = conflict.report
            return self.render_page(typed=typed, problem=str(conflict), status=409)
        request.session[SAVED_SESSION_KEY] = report.pk
        messages.success(request, f"{month_label(report.month)}月报已提交，等待县（区）审核。")
        return redirect(report_url(report))


class ReportReviewView(ScopedObjectMixin, DetailView):
    """The county reviews one report: every value against the team's history, warnings highlighted; approve,
    return (overall and per-value comments) or reopen an approved one with a reason."""

    model = MonthlyReport
    template_name = "reports/review.html"
    context_object_name = "report"
    view_action = Action.REVIEW_REPORT
    object_action = Action.REVIEW_REPORT

    def get_queryset(self):
        return selectors.report_list(user=self.request.user).select_related("submitted_by", "reviewed_by")

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        return self.render_page()

    def render_page(self, *, data=None, errors=None, problem: str = "", status: int = 200):
        report = self.object
        data = data or {}
        errors = errors or {}
        codes = [indicator.code for indicator in report_indicators(report)]
        comments = review_comments(data, codes=codes)
        groups = report_rows(report, editable=False)
        flagged = [row for group in groups for row in group.rows if row.warnings or row.errors]
        for group in groups:
            for row in group.rows:
                row.comment_text = comments.get(row.code, "")
                row.comment_errors = errors.get(row.code, [])
        history = report_history(report)
        context = {
            "report": report,
            "team": report.team,
            "month_label": month_label(report.month),
            "groups": groups,
            "warning_count": len(flagged),
            "first_warning": flagged[0].code if flagged else "",
            "history": history,
            "review": last_review(report, history["events"]),
            "comment": data.get("comment", ""),
            "reason": data.get("reason", ""),
            "errors": errors,
            "general_errors": [
                message for name, items in errors.items() if name not in ("comment", "reason") for message in items
            ],
            "problem": problem,
            "is_late": report.is_late,
            "version": report.version,
            "queue_url": reverse("reports:review_queue"),
        }
        return render(self.request, self.template_name, context, status=status)

    def post(self, request, *args, **kwargs):
        self.object = report = self.get_object()
        decision = request.POST.get("decision", "")
        version = request.POST.get("version", "")
        expected = int(version) if version.isdigit() else None
        comment = request.POST.get("comment", "")
        label = f"{report.team.name}{month_label(report.month)}月报"
        try:
            if decision == "approve":
                report_approve(actor=request.user, report=report, expected_version=expected, comment=comment)
                messages.success(request, f"已审核通过：{label}。")
                return redirect(reverse("reports:review_queue"))
            if decision == "return":
                codes = [indicator.code for indicator in report_indicators(report)]
                report_return(
                    actor=request.user,
                    report=report,
                    comment=comment,
                    value_comments=review_comments(request.POST, codes=codes),
                    expected_version=expected,
                )
                messages.success(request, f"已退回：{label}，退回意见随月报送回工作队。")
                return redirect(reverse("reports:review_queue"))
            if decision == "reopen":
                report_reopen(
                    actor=request.user, report=report, reason=request.POST.get("reason", ""), expected_version=expected
                )
                messages.success(request, f"已重新打开：{label}，工作队可以修改后重新提交。")
                return redirect(reverse("reports:review", args=[report.pk]))
        except ValidationError as error:
            errors = error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
            return self.render_page(data=request.POST, errors=errors, problem="请按提示填写。", status=400)
        except ReportConflict as conflict:
            self.object = conflict.report
            return self.render_page(data=request.POST, problem=str(conflict), status=409)
        raise Http404("未知的审核操作。")


# -- lists of reports ------------------------------------------------------------------------------------------


class ReportListView(FilteredListView):
    template_name = "reports/report_list.html"
    filterset_class = MonthlyReportFilterSet
    title = "月报"
    columns = (
        Column("月份", "month"),
        Column("工作队", "village"),
        Column("状态", "status"),
        Column("截止", "due_date"),
        Column("提交时间", "submitted_at"),
    )

    def base_queryset(self):
        return selectors.report_list(user=self.request.user).order_by("-month", "team__village_id")

    def get(self, request, *args, **kwargs):
        self.one_team = selectors.sole_team(user=request.user, action=Action.VIEW) is not None
        if self.one_team:
            self.columns = tuple(column for column in self.columns if column.label != "工作队")
        return super().get(request, *args, **kwargs)

    def prepare_filter_form(self, form):
        super().prepare_filter_form(form)
        team_filter_choices(form, request=self.request, shown=self.shown_filters)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        reports = list(context["object_list"])
        reviewable = set(
            MonthlyReport.objects.visible_to(user, Action.REVIEW_REPORT)
            .filter(pk__in=[report.pk for report in reports])
            .values_list("pk", flat=True)
        )
        for report in reports:
            report.month_label = month_label(report.month)
            report.reviewable = report.pk in reviewable
            report.url = reverse("reports:review" if report.reviewable else "reports:report", args=[report.pk])
        context["shortcuts"] = report_shortcuts(user)
        context["one_team"] = self.one_team
        return context


def report_shortcuts(user) -> list[dict]:
    """For a team leader of one team: this month's and last month's report, one tap away."""
    team = selectors.sole_team(user=user, action=Action.SUBMIT_REPORT)
    if team is None:
        return []
    this_month = month_start(timezone.localdate())
    months = [month for month in (this_month, add_months(this_month, -1)) if month >= month_start(team.start_date)]
    statuses = dict(MonthlyReport.objects.filter(team=team, month__in=months).values_list("month", "status"))
    shortcuts = []
    for month in months:
        status = statuses.get(month)
        editable = status in (None, ReportStatus.DRAFT, ReportStatus.RETURNED)
        shortcuts.append(
            {
                "label": f"{'填写' if editable else '查看'}{month_label(month)}月报",
                "url": reverse("reports:report_month", args=[team.pk, f"{month:%Y-%m}"]),
                "primary": editable,
            }
        )
    return shortcuts


class ReviewQueueView(ActionRequiredMixin, FilteredListView):
    """Reports waiting for the county (by default those submitted), with how many warnings each carries."""

    view_actions = (Action.REVIEW_REPORT,)
    template_name = "reports/review_queue.html"
    filterset_class = ReviewQueueFilterSet
    title = "月报审核"
    hidden_filters = ("ordering", "team", "batch")
    area_levels = (AreaLevel.PREFECTURE, AreaLevel.COUNTY, AreaLevel.TOWNSHIP)
    columns = (
        Column("工作队", "village"),
        Column("月份", "month"),
        Column("提交时间", "submitted_at"),
        Column("迟报"),
        Column("提示", css="numeric"),
        Column("状态", "status"),
    )

    def base_queryset(self):
        return selectors.review_queue(user=self.request.user)

    def get_queryset(self):
        # The queue's FilterSet shows 已提交 unless asked otherwise, so it is always bound; "all" stands for
        # every status (an empty value would be left out of the URL by pages.js and mean 已提交 again).
        data = self.request.GET.copy()
        if data.get("status") == "all":
            data["status"] = ""
        base = self.base_queryset()
        self.filterset = self.filterset_class(data, queryset=base, request=self.request)
        self.prepare_filter_form(self.filterset.form)
        if not self.filterset.is_valid():
            return base.none()
        return stable_order(self.filterset.qs)

    def prepare_filter_form(self, form):
        super().prepare_filter_form(form)
        form.fields["status"].widget.choices = [("all", "全部"), *ReportStatus.choices]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        reports = list(context["object_list"])
        checks = selectors.report_checks(reports)
        for report in reports:
            check = checks.get(report.pk)
            report.warning_count = len(check.warnings) if check else 0
            report.error_count = len(check.errors) if check else 0
            report.month_label = month_label(report.month)
        context.update(
            approvable=any(report.status == ReportStatus.SUBMITTED for report in reports),
            here=self.request.get_full_path(),
            filters_active=context["filters_active"] or self.request.GET.get("status", "") not in ("", "submitted"),
        )
        return context


class ReviewApproveManyView(ActionRequiredMixin, View):
    """批量审核通过: each report in its own transaction; those another reviewer took first are named."""

    view_actions = (Action.REVIEW_REPORT,)
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        back = safe_next(request, reverse("reports:review_queue"))
        ids = [int(pk) for pk in request.POST.getlist("report") if pk.isdigit()]
        if not ids:
            messages.warning(request, "请先勾选要审核通过的月报。")
            return redirect(back)
        reports = list(
            MonthlyReport.objects.visible_to(request.user, Action.REVIEW_REPORT)
            .filter(pk__in=ids)
            .select_related("team")
            .order_by("submitted_at", "pk")
        )
        if not reports:
            messages.warning(request, "所选月报不在您的审核范围内。")
            return redirect(back)
        approved, conflicts = report_approve_many(actor=request.user, reports=reports)
        if approved:
            messages.success(request, f"已审核通过 {len(approved)} 份月报。")
        for conflict in conflicts:
            taken = conflict.report
            messages.warning(
                request,
                f"{taken.team.name}{month_label(taken.month)}月报未审核：已被他人处理"
                f"（当前状态：{taken.get_status_display()}）。",
            )
        return redirect(back)


@dataclass
class OverdueRow:
    team: WorkTeam
    report: MonthlyReport | None
    due_date: datetime.date

    @property
    def status_label(self) -> str:
        if self.report is None:
            return "未填报"
        return "草稿未提交" if self.report.status == ReportStatus.DRAFT else "已退回未重新提交"


class OverdueView(ActionRequiredMixin, TemplateView):
    """Per county, the active teams whose report of a past-due month is missing, a draft, or returned and
    not resubmitted (reports.deadlines)."""

    view_actions = (Action.REVIEW_REPORT, Action.VIEW_HISTORY)
    template_name = "reports/overdue.html"

    def due_months(self, today: datetime.date) -> list[datetime.date]:
        month = month_start(today)
        months = []
        for _ in range(OVERDUE_MONTHS + 1):
            if due_date_for(month) < today:
                months.append(month)
            month = add_months(month, -1)
        return months[:OVERDUE_MONTHS]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        today = timezone.localdate()
        months = self.due_months(today)
        chosen = parse_month(self.request.GET.get("month", ""))
        month = chosen if chosen in months else months[0]
        teams = list(
            active_teams(month=month)
            .visible_to(self.request.user)
            .select_related("village__parent__parent", "unit")
            .order_by("village_id")
        )
        team_ids = [team.pk for team in teams]
        late = {
            report.team_id: report for report in overdue_reports(today=today).filter(month=month, team__in=team_ids)
        }
        delivered = set(
            MonthlyReport.objects.filter(month=month, team__in=team_ids)
            .exclude(pk__in=[report.pk for report in late.values()])
            .values_list("team_id", flat=True)
        )
        counties: OrderedDict[str, dict] = OrderedDict()
        for team in teams:
            report = late.get(team.pk)
            if report is None and (team.pk in delivered or due_date_for(month) >= today):
                continue
            county = team.village.parent.parent
            entry = counties.setdefault(county.code, {"county": county, "rows": []})
            entry["rows"].append(
                OverdueRow(team=team, report=report, due_date=report.due_date if report else due_date_for(month))
            )
        context.update(
            title="逾期月报",
            month=month,
            month_label=month_label(month),
            month_choices=[(f"{m:%Y-%m}", month_label(m)) for m in months],
            selected=f"{month:%Y-%m}",
            counties=list(counties.values()),
            total=sum(len(entry["rows"]) for entry in counties.values()),
            active_count=len(teams),
        )
        return context


# -- the notification inbox ------------------------------------------------------------------------------------


class NotificationListView(FilteredListView):
    template_name = "reports/notifications.html"
    filterset_class = NotificationFilterSet
    title = "通知"

    def base_queryset(self):
        unread_first = Case(When(read_at__isnull=True, then=0), default=1, output_field=IntegerField())
        return selectors.notification_list(user=self.request.user).order_by(unread_first, "-created_at", "-pk")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["unread_count"] = (
            selectors.notification_list(user=self.request.user).filter(read_at__isnull=True).count()
        )
        return context


class NotificationReadView(LoginRequiredMixin, View):
    """Mark one of the user's own notifications read (POST); with `open`, go on to what it is about."""

    http_method_names = ["post"]

    def post(self, request, pk: int):
        notification = get_object_or_404(selectors.notification_list(user=request.user), pk=pk)
        services.notification_mark_read(user=request.user, notification=notification)
        target = notification.url
        if (
            request.POST.get("open")
            and target
            and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()})
        ):
            return redirect(target)
        return redirect(safe_next(request, reverse("reports:notifications")))


class NotificationReadAllView(NotificationReadView):
    def post(self, request):
        count = services.notification_mark_all_read(user=request.user)
        messages.success(request, f"已将 {count} 条通知标为已读。" if count else "没有未读通知。")
        return redirect(reverse("reports:notifications"))
