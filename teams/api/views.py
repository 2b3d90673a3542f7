"""Viewsets of the teams API.

Rows come from the selectors in teams/selectors.py, called with the requesting user (they apply `visible_to`),
so lists, details (404 outside scope) and actions share the selectors' joins and annotations. The declared
`queryset` names the model for the router and the schema; should a `get_queryset` ever be dropped,
ScopedViewSet still scopes it. Writes go through teams/services.py: ScopedViewSet checks the action on the
object first (403), the service checks again and holds every rule (django ValidationError → 400).
"""

from axes.helpers import get_client_ip_address
from drf_spectacular.utils import extend_schema
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied as ApiPermissionDenied
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from teams import services
from teams.api.serializers import (
    AssignmentEndSerializer,
    AssignmentSerializer,
    BatchSerializer,
    CadreSerializer,
    DispatchingUnitSerializer,
    IdNumberSerializer,
    LeaveDecisionSerializer,
    LeaveSerializer,
    PersonalDataAccessSerializer,
    TeamSetLeaderSerializer,
    WorkTeamSerializer,
)
from teams.filtersets import (
    AssignmentFilterSet,
    CadreFilterSet,
    DispatchingUnitFilterSet,
    LeaveFilterSet,
    WorkTeamFilterSet,
)
from teams.models import Assignment, Batch, Cadre, DispatchingUnit, Leave, WorkTeam
from teams.selectors import (
    assignment_list,
    cadre_list,
    can_read_access_log,
    leave_list,
    personal_data_access_log,
    team_list,
    unit_list,
)
from zhucun.mixins import ScopedViewSet, ServiceWriteMixin
from zhucun.scope import Action, user_can


class _ReadOnly(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    pass


class _CreateNeedsRole:
    """A user who may not create such rows anywhere gets 403 before the body is read (not a 400 about a related
    id they cannot see, which would answer a question about scope the user should not get to ask)."""

    create_action = Action.MANAGE
    create_refusal = "您没有权限执行此操作。"

    def create(self, request, *args, **kwargs):
        if not user_can(request.user, self.create_action):
            raise ApiPermissionDenied(self.create_refusal)
        return super().create(request, *args, **kwargs)


class DispatchingUnitViewSet(_ReadOnly):
    """派驻单位. Read-only: region admins keep the catalogue in the Django admin."""

    queryset = DispatchingUnit.objects.all()
    serializer_class = DispatchingUnitSerializer
    filterset_class = DispatchingUnitFilterSet

    def get_queryset(self):
        return unit_list(user=self.request.user)


class BatchViewSet(_ReadOnly):
    """批次: a catalogue every user with a role reads. Read-only: region admins keep it in the Django admin."""

    queryset = Batch.objects.all()
    serializer_class = BatchSerializer

    def get_queryset(self):
        # Batches carry no scope; a user without any role still sees nothing.
        return Batch.objects.all() if user_can(self.request.user, Action.VIEW) else Batch.objects.none()


class WorkTeamViewSet(
    _CreateNeedsRole,
    ServiceWriteMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    ScopedViewSet,
):
    """驻村工作队 with leader and member counts. County (and prefecture, region) admins create and change teams in
    their area; a team can never be moved out of it."""

    queryset = WorkTeam.objects.all()
    serializer_class = WorkTeamSerializer
    filterset_class = WorkTeamFilterSet

    def get_queryset(self):
        return team_list(user=self.request.user)

    create_service = staticmethod(services.team_create)
    update_service = staticmethod(services.team_update)
    update_argument = "team"

    @extend_schema(request=TeamSetLeaderSerializer, responses=WorkTeamSerializer, summary="设置或更换队长")
    @action(detail=True, methods=["post"], url_path="set-leader")
    def set_leader(self, request, pk=None):
        """The cadre becomes the team's 队长; the previous 队长 stays on as a 队员."""
        team = self.get_object()
        form = TeamSetLeaderSerializer(data=request.data, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        services.team_set_leader(actor=request.user, team=team, cadre=form.validated_data["cadre"])
        return Response(self.get_serializer(self.get_queryset().get(pk=team.pk)).data)


class CadreViewSet(
    _CreateNeedsRole,
    ServiceWriteMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    ScopedViewSet,
):
    """驻村干部. ID numbers are masked in every response but reveal-id-number's, which is recorded."""

    queryset = Cadre.objects.all()
    serializer_class = CadreSerializer
    filterset_class = CadreFilterSet
    action_permissions = {"reveal_id_number": Action.SEE_ID_NUMBER}

    def get_queryset(self):
        return cadre_list(user=self.request.user)

    create_service = staticmethod(services.cadre_create)
    update_service = staticmethod(services.cadre_update)
    update_argument = "cadre"

    @extend_schema(request=None, responses=IdNumberSerializer, summary="查看完整身份证号（留痕）")
    @action(detail=True, methods=["post"], url_path="reveal-id-number")
    def reveal_id_number(self, request, pk=None):
        """The full ID number, for the county admin managing the cadre and region admins; recorded."""
        cadre = self.get_object()
        number = services.cadre_reveal_id_number(
            actor=request.user, cadre=cadre, ip_address=get_client_ip_address(request._request)
        )
        return Response({"id_number": number}, headers={"Cache-Control": "no-store"})

    @extend_schema(responses=PersonalDataAccessSerializer(many=True), summary="个人信息访问记录（审计）")
    @action(detail=False, methods=["get"], url_path="access-log", filterset_class=None, pagination_class=None)
    def access_log(self, request):
        """Reveals of full ID numbers and exports with personal data, newest first (auditors and region admins,
        within their area; kept at least 6 months, never deleted by the app). `?limit=` (≤ 1000, default 200)."""
        if not can_read_access_log(request.user):
            raise ApiPermissionDenied("只有审计/督查人员和自治区管理员可以查看个人信息访问记录。")
        try:
            limit = min(max(int(request.query_params.get("limit", 200)), 1), 1000)
        except ValueError:
            raise ValidationError({"limit": "请填写1到1000之间的整数。"}) from None
        rows = personal_data_access_log(user=request.user)[:limit]
        return Response(PersonalDataAccessSerializer(rows, many=True).data, headers={"Cache-Control": "no-store"})


class AssignmentViewSet(
    _CreateNeedsRole,
    ServiceWriteMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    ScopedViewSet,
):
    """驻村任职: send a cadre to a team, record the end (期满/召回). Roles change through set-leader."""

    queryset = Assignment.objects.all()
    serializer_class = AssignmentSerializer
    filterset_class = AssignmentFilterSet

    def get_queryset(self):
        return assignment_list(user=self.request.user)

    create_service = staticmethod(services.assignment_create)

    @extend_schema(request=AssignmentEndSerializer, responses=AssignmentSerializer, summary="结束任职（期满/召回）")
    @action(detail=True, methods=["post"])
    def end(self, request, pk=None):
        assignment = self.get_object()
        form = AssignmentEndSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        services.assignment_end(actor=request.user, assignment=assignment, **form.validated_data)
        return Response(self.get_serializer(self.get_queryset().get(pk=assignment.pk)).data)


class LeaveViewSet(
    ServiceWriteMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    ScopedViewSet,
):
    """请假/轮休: the team leader requests, the county decides, the requester may cancel before it starts."""

    queryset = Leave.objects.all()
    serializer_class = LeaveSerializer
    filterset_class = LeaveFilterSet
    action_permissions = {
        "approve": Action.DECIDE_LEAVE,
        "refuse": Action.DECIDE_LEAVE,
        # The requester or a county that decides leave there may cancel: the service knows who.
        "cancel": Action.VIEW,
    }

    def get_queryset(self):
        return leave_list(user=self.request.user)

    create_service = staticmethod(services.leave_request)

    def _decided(self, leave: Leave) -> Response:
        return Response(self.get_serializer(self.get_queryset().get(pk=leave.pk)).data)

    @extend_schema(request=LeaveDecisionSerializer, responses=LeaveSerializer, summary="批准")
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        leave = self.get_object()
        form = LeaveDecisionSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        return self._decided(services.leave_approve(actor=request.user, leave=leave, **form.validated_data))

    @extend_schema(request=LeaveDecisionSerializer, responses=LeaveSerializer, summary="不同意（须填写理由）")
    @action(detail=True, methods=["post"])
    def refuse(self, request, pk=None):
        leave = self.get_object()
        form = LeaveDecisionSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        return self._decided(services.leave_refuse(actor=request.user, leave=leave, **form.validated_data))

    @extend_schema(request=None, responses=LeaveSerializer, summary="撤销（尚未开始的请假）")
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return self._decided(services.leave_cancel(actor=request.user, leave=self.get_object()))
