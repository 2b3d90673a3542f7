"""Pages for teams, cadres, assignments and leave.

Reads go through teams/selectors.py (scoped, annotated: a list page runs the same number of queries whatever
its length) and the FilterSets shared with the API; writes go through teams/services.py. Out of scope is 404
(`ScopedObjectMixin`), a forbidden action 403 (the mixin's `view_action` / `object_action`, and the services'
PermissionDenied). The list, history and form machinery is zhucun/pages.py's.
"""

from django.shortcuts import render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.generic import DetailView

from teams import selectors, services
from teams.choices import CURRENT_ASSIGNMENT_STATUSES, AssignmentRole, AssignmentStatus, LeaveStatus
from teams.filtersets import CadreFilterSet, LeaveFilterSet, WorkTeamFilterSet
from teams.forms import (
    AssignmentCreateForm,
    AssignmentEndForm,
    CadreForm,
    LeaveDecideForm,
    LeaveRequestForm,
    SetLeaderForm,
    TeamForm,
    cadre_initial,
    team_initial,
)
from teams.models import Assignment, Cadre, Leave, WorkTeam
from teams.validators import mask_id_number, mask_phone
from villages.choices import AreaLevel
from zhucun import pages
from zhucun.mixins import ScopedObjectMixin
from zhucun.pages import (
    PRIVATE_VALUES,
    Column,
    FilteredListView,
    HistoryEntry,
    HistoryLabel,
    HistorySource,
    allowed,
    history_entries,
)
from zhucun.scope import Action, user_can

# Change history masks personal data like every other page (revealing is only on the cadre's page), and names
# an assignment by its cadre.
PRIVATE_VALUES[(Cadre, "id_number")] = mask_id_number
PRIVATE_VALUES[(Cadre, "phone")] = mask_phone
pages.HISTORY_LABELS[Assignment] = HistoryLabel(lambda assignment: assignment.cadre.name, ("cadre",))

FORM_TEMPLATE = "teams/form_page.html"


class ServiceFormView(pages.ServiceFormView):
    """The teams app's form pages: its template, and back to the team list unless a page says otherwise."""

    template_name = FORM_TEMPLATE
    cancel_url_name = "teams:list"
    parent_label = "工作队"


class ObjectServiceFormView(pages.ObjectServiceFormView):
    template_name = FORM_TEMPLATE
    cancel_url_name = "teams:list"
    parent_label = "工作队"


# -- lists --------------------------------------------------------------------------------------------------


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
