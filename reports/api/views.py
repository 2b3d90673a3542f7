"""Viewsets of the reports API: activities, the catalogue (activity types, indicators), monthly reports with
their transitions, the county's review queue and the user's notifications.

Rows come from reports/selectors.py, called with the requesting user (they apply `visible_to`): out of scope is
404. Writes go through reports/services.py and reports/workflow.py: ScopedViewSet checks the action on the
object first (403), the service checks again and holds every rule (django ValidationError → 400).

Reports and concurrency: every report response carries `ETag: W/"report-<id>-v<version>"` (and `version` in the
body). PATCH and the transitions take `If-Match`; a stale one answers 412 with the current status and version and
changes nothing. Without If-Match, losing a race to another user (another reviewer, the county approving while
the leader saves) answers 409 with the same body.
"""

import re

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied as ApiPermissionDenied
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from reports import services, workflow
from reports.api.serializers import (
    ActivitySerializer,
    ActivityTypeSerializer,
    ApproveManyResultSerializer,
    ApproveManySerializer,
    IndicatorReorderSerializer,
    IndicatorRetireSerializer,
    IndicatorSerializer,
    MarkAllReadSerializer,
    MonthlyReportDetailSerializer,
    MonthlyReportSavedSerializer,
    MonthlyReportSerializer,
    NotificationSerializer,
    ReportApproveSerializer,
    ReportConflictSerializer,
    ReportOpenSerializer,
    ReportReopenSerializer,
    ReportReturnSerializer,
    ReportSaveSerializer,
    ReviewQueueSerializer,
)
from reports.filtersets import (
    ActivityFilterSet,
    IndicatorFilterSet,
    MonthlyReportFilterSet,
    NotificationFilterSet,
    ReviewQueueFilterSet,
)
from reports.models import Activity, ActivityType, Indicator, MonthlyReport, Notification
from reports.selectors import (
    activity_list,
    activity_type_list,
    indicator_list,
    notification_list,
    report_checks,
    report_list,
    review_queue,
    sole_team,
)
from reports.workflow import ReportConflict
from zhucun.mixins import ScopedViewSet, ServiceWriteMixin
from zhucun.scope import Action, user_can

FORBIDDEN = "您没有权限执行此操作。"


class UserActionMixin:
    """Collection actions (create, approve-many, reorder) have no object to check the scope on: `user_actions`
    names the action the user must hold somewhere, checked before the input is read (403)."""

    user_actions: dict[str, Action] = {}

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        needed = self.user_actions.get(self.action)
        if needed is not None and not user_can(request.user, needed):
            raise ApiPermissionDenied(FORBIDDEN)


class CatalogueMixin:
    """The catalogues carry no scope: everybody with a role reads them, region admins (ADMINISTER) write them;
    the object check is on the user, since the catalogue models have no `visible_to`."""

    pagination_class = None  # a few dozen rows, wanted whole by every report form

    def check_object_permissions(self, request, obj):
        APIView.check_object_permissions(self, request, obj)
        if not user_can(request.user, self.scope_action()):
            raise ApiPermissionDenied(FORBIDDEN)


# -- the catalogue --------------------------------------------------------------------------------------------


class ActivityTypeViewSet(CatalogueMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """活动类型 and the indicators each pre-fills. Read-only: region admins keep them in the Django admin."""

    queryset = ActivityType.objects.all()
    serializer_class = ActivityTypeSerializer

    def get_queryset(self):
        return activity_type_list() if user_can(self.request.user, Action.VIEW) else ActivityType.objects.none()


class IndicatorViewSet(
    ServiceWriteMixin,
    UserActionMixin,
    CatalogueMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    ScopedViewSet,
):
    """统计指标, by code, retired ones included (`?batch=` gives a batch's). Region admins add, change, retire and
    reorder them; nothing is deleted, so old reports stay readable."""

    queryset = Indicator.objects.all()
    serializer_class = IndicatorSerializer
    filterset_class = IndicatorFilterSet
    lookup_field = "code"
    action_permissions = {
        "update": Action.ADMINISTER,
        "partial_update": Action.ADMINISTER,
        "retire": Action.ADMINISTER,
    }
    user_actions = {"create": Action.ADMINISTER, "reorder": Action.ADMINISTER}

    def get_queryset(self):
        return indicator_list() if user_can(self.request.user, Action.VIEW) else Indicator.objects.none()

    create_service = staticmethod(services.indicator_create)
    update_service = staticmethod(services.indicator_update)
    update_argument = "indicator"

    @extend_schema(request=IndicatorRetireSerializer, responses=IndicatorSerializer, summary="停用指标")
    @action(detail=True, methods=["post"])
    def retire(self, request, code=None):
        """Stop asking for the indicator after `last_batch`; its values stay in old reports."""
        indicator = self.get_object()
        form = IndicatorRetireSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        services.indicator_retire(actor=request.user, indicator=indicator, **form.validated_data)
        return Response(self.get_serializer(self.get_queryset().get(pk=indicator.pk)).data)

    @extend_schema(request=IndicatorReorderSerializer, responses=IndicatorSerializer(many=True), summary="调整指标顺序")
    @action(detail=False, methods=["post"])
    def reorder(self, request):
        """Put the given codes first, in that order; answers the whole catalogue in its new order."""
        form = IndicatorReorderSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        services.indicator_reorder(actor=request.user, **form.validated_data)
        return Response(self.get_serializer(self.get_queryset(), many=True).data)


# -- activities -----------------------------------------------------------------------------------------------


class ActivityViewSet(
    UserActionMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    ScopedViewSet,
):
    """工作日志. The team's leader and members log, change and delete them until the month's report is
    approved (then 400). A user logging for one team only may leave `team` out."""

    queryset = Activity.objects.all()
    serializer_class = ActivitySerializer
    filterset_class = ActivityFilterSet
    action_permissions = {
        "update": Action.LOG_ACTIVITY,
        "partial_update": Action.LOG_ACTIVITY,
        "destroy": Action.LOG_ACTIVITY,
    }
    user_actions = {"create": Action.LOG_ACTIVITY}

    def get_queryset(self):
        return activity_list(user=self.request.user)

    def perform_create(self, serializer):
        fields = dict(serializer.validated_data)
        team = fields.pop("team", None) or sole_team(user=self.request.user, action=Action.LOG_ACTIVITY)
        if team is None:
            raise ApiValidationError({"team": ["请选择工作队。"]})
        activity = services.activity_create(actor=self.request.user, team=team, **fields)
        serializer.instance = self.get_queryset().get(pk=activity.pk)

    def perform_update(self, serializer):
        activity = services.activity_update(
            actor=self.request.user, activity=serializer.instance, **serializer.validated_data
        )
        serializer.instance = self.get_queryset().get(pk=activity.pk)

    def perform_destroy(self, instance):
        services.activity_delete(actor=self.request.user, activity=instance)


# -- monthly reports ------------------------------------------------------------------------------------------

_ETAG = re.compile(r'(?:W/)?"report-(\d+)-v(\d+)"')

IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description='上次读取时的 ETag（W/"report-<id>-v<version>"）；月报已被他人更新时返回 412，不做任何修改',
)
ETAG = OpenApiParameter(
    "ETag",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=[200, 201, 409, 412],
    description='月报当前版本：W/"report-<id>-v<version>"',
)
CONFLICT_RESPONSES = {
    409: OpenApiResponse(ReportConflictSerializer, description="月报已被他人更新（未带 If-Match）"),
    412: OpenApiResponse(ReportConflictSerializer, description="If-Match 与当前版本不符"),
}


def report_etag(report: MonthlyReport) -> str:
    return f'W/"report-{report.pk}-v{report.version}"'


def conflict_body(report: MonthlyReport, message: str) -> dict:
    return {
        "id": report.pk,
        "detail": message,
        "status": report.status,
        "status_display": report.get_status_display(),
        "version": report.version,
    }


@extend_schema_view(
    list=extend_schema(summary="月报列表"),
    retrieve=extend_schema(summary="月报详情（含各指标数值、流转记录、数值变更）", parameters=[ETAG]),
)
class MonthlyReportViewSet(UserActionMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """月报. The team leader opens (POST), saves (PATCH) and submits; the county approves, returns with comments
    or reopens an approved one with a reason. Transitions are explicit actions; nothing is deleted."""

    queryset = MonthlyReport.objects.all()
    serializer_class = MonthlyReportSerializer
    filterset_class = MonthlyReportFilterSet
    action_permissions = {
        "partial_update": Action.SUBMIT_REPORT,
        "submit": Action.SUBMIT_REPORT,
        "approve": Action.REVIEW_REPORT,
        "return_": Action.REVIEW_REPORT,
        "reopen": Action.REVIEW_REPORT,
    }
    user_actions = {"create": Action.SUBMIT_REPORT, "approve_many": Action.REVIEW_REPORT}

    def get_queryset(self):
        return report_list(user=self.request.user)

    def get_serializer_class(self):
        return MonthlyReportSerializer if self.action == "list" else MonthlyReportDetailSerializer

    # -- concurrency

    def handle_exception(self, exc):
        if isinstance(exc, ReportConflict):
            precondition = "If-Match" in self.request.headers
            return Response(
                conflict_body(exc.report, str(exc)),
                status=status.HTTP_412_PRECONDITION_FAILED if precondition else status.HTTP_409_CONFLICT,
                headers={"ETag": report_etag(exc.report)},
            )
        return super().handle_exception(exc)

    def expected_version(self, report: MonthlyReport) -> int | None:
        """The version If-Match names, when it names the current one; a stale or foreign ETag is a conflict
        (412) before anything is read from the body. No If-Match, or `*`: None (no condition)."""
        header = self.request.headers.get("If-Match")
        if header is None:
            return None
        tags = [tag.strip() for tag in header.split(",")]
        if "*" in tags:
            return None
        for tag in tags:
            match = _ETAG.fullmatch(tag)
            if match and int(match[1]) == report.pk and int(match[2]) == report.version:
                return report.version
        raise ReportConflict(report)

    def report_response(self, pk: int, *, status_code: int = 200, serializer_class=None, **context) -> Response:
        report = self.get_queryset().select_related("submitted_by", "reviewed_by").get(pk=pk)
        serializer_class = serializer_class or MonthlyReportDetailSerializer
        serializer = serializer_class(report, context={**self.get_serializer_context(), **context})
        return Response(serializer.data, status=status_code, headers={"ETag": report_etag(report)})

    # -- reading

    def retrieve(self, request, pk=None):
        return self.report_response(self.get_object().pk)

    # -- the team leader

    @extend_schema(
        request=ReportOpenSerializer,
        responses={200: MonthlyReportDetailSerializer, 201: MonthlyReportDetailSerializer},
        parameters=[ETAG],
        summary="打开月报（不存在时新建草稿并按工作日志预填）",
    )
    def create(self, request):
        """The team's report for the month: 201 with a new draft pre-filled from the activity log, or 200 with
        the one that exists."""
        form = ReportOpenSerializer(data=request.data, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        team = form.validated_data.get("team") or sole_team(user=request.user, action=Action.SUBMIT_REPORT)
        if team is None:
            raise ApiValidationError({"team": ["请选择工作队。"]})
        month = form.validated_data["month"]
        existed = self.get_queryset().filter(team=team, month=month).exists()
        report = workflow.report_open(actor=request.user, team=team, month=month)
        return self.report_response(report.pk, status_code=200 if existed else 201)

    @extend_schema(
        request=ReportSaveSerializer,
        responses={200: MonthlyReportSavedSerializer, **CONFLICT_RESPONSES},
        parameters=[IF_MATCH, ETAG],
        summary="保存草稿",
    )
    def partial_update(self, request, pk=None):
        """Save what was typed: valid values are stored, the rest is kept as typed and listed in `input_errors`
        (nothing is lost). Codes left out of `values` / `notes` keep their values. 400 once approved."""
        report = self.get_object()
        expected = self.expected_version(report)
        form = ReportSaveSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        result = workflow.report_save(
            actor=request.user,
            report=report,
            values=data.get("values"),
            notes=data.get("notes"),
            narrative={name: data[name] for name in workflow.NARRATIVE_FIELDS if name in data},
            expected_version=expected,
        )
        return self.report_response(
            report.pk, serializer_class=MonthlyReportSavedSerializer, input_errors=result.errors
        )

    @extend_schema(
        request=None,
        responses={200: MonthlyReportDetailSerializer, **CONFLICT_RESPONSES},
        parameters=[IF_MATCH, ETAG],
        summary="提交",
    )
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """Submit for review: 400 with the problems by indicator code (errors, warnings without a note, input
        that is not a number) and `summary` when the 本月工作小结 is empty."""
        report = self.get_object()
        workflow.report_submit(actor=request.user, report=report, expected_version=self.expected_version(report))
        return self.report_response(report.pk)

    # -- the county

    @extend_schema(
        request=ReportApproveSerializer,
        responses={200: MonthlyReportDetailSerializer, **CONFLICT_RESPONSES},
        parameters=[IF_MATCH, ETAG],
        summary="审核通过",
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self.review_step(request, ReportApproveSerializer, workflow.report_approve)

    @extend_schema(
        request=ReportReturnSerializer,
        responses={200: MonthlyReportDetailSerializer, **CONFLICT_RESPONSES},
        parameters=[IF_MATCH, ETAG],
        summary="退回修改",
    )
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_(self, request, pk=None):
        """Send it back with a reason: overall (`comment`) and/or on values (`value_comments`: code → text)."""
        return self.review_step(request, ReportReturnSerializer, workflow.report_return)

    @extend_schema(
        request=ReportReopenSerializer,
        responses={200: MonthlyReportDetailSerializer, **CONFLICT_RESPONSES},
        parameters=[IF_MATCH, ETAG],
        summary="重新打开已审核的月报（须填写理由）",
    )
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        return self.review_step(request, ReportReopenSerializer, workflow.report_reopen)

    def review_step(self, request, serializer_class, step):
        """The county's transitions: the object (404/403), If-Match (412), the body (400), the workflow step."""
        report = self.get_object()
        expected = self.expected_version(report)
        form = serializer_class(data=request.data)
        form.is_valid(raise_exception=True)
        step(actor=request.user, report=report, expected_version=expected, **form.validated_data)
        return self.report_response(report.pk)

    @extend_schema(request=ApproveManySerializer, responses=ApproveManyResultSerializer, summary="批量审核通过")
    @action(detail=False, methods=["post"], url_path="approve-many")
    def approve_many(self, request):
        """Approve several submitted reports, each on its own: one taken by another reviewer (or not submitted)
        is listed under `conflicts` and does not stop the others."""
        form = ApproveManySerializer(data=request.data)
        form.is_valid(raise_exception=True)
        ids = list(dict.fromkeys(form.validated_data["ids"]))
        visible = set(self.get_queryset().filter(pk__in=ids).values_list("pk", flat=True))
        reviewable = {
            report.pk: report
            for report in report_list(user=request.user, action=Action.REVIEW_REPORT).filter(pk__in=ids)
        }
        approved, conflicts = workflow.report_approve_many(
            actor=request.user, reports=[reviewable[pk] for pk in ids if pk in reviewable]
        )
        return Response(
            {
                "approved": [report.pk for report in approved],
                "conflicts": [conflict_body(conflict.report, str(conflict)) for conflict in conflicts],
                "forbidden": [pk for pk in ids if pk in visible and pk not in reviewable],
                "not_found": [pk for pk in ids if pk not in visible],
            }
        )


class ReviewQueueViewSet(UserActionMixin, mixins.ListModelMixin, ScopedViewSet):
    """审核队列: the reports this user reviews, 已提交 ones by default, the longest-waiting first, each with its
    township, late flag and the number of indicators with warnings. For county (prefecture, region) admins."""

    queryset = MonthlyReport.objects.all()
    serializer_class = ReviewQueueSerializer
    filterset_class = ReviewQueueFilterSet
    user_actions = {"list": Action.REVIEW_REPORT}

    def get_queryset(self):
        return review_queue(user=self.request.user)

    @extend_schema(summary="待审核月报")
    def list(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        checks = report_checks(page)
        for report in page:
            report.warning_count = len(checks[report.pk].warnings)
            report.error_count = len(checks[report.pk].errors)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


# -- notifications --------------------------------------------------------------------------------------------


class NotificationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """通知: the user's own inbox only (`?unread=true` for the unread ones), newest first."""

    queryset = Notification.objects.all()
    serializer_class = NotificationSerializer
    filterset_class = NotificationFilterSet
    # The queryset holds only the user's own notifications: seeing one is enough to mark it read.
    action_permissions = {"mark_read": Action.VIEW}

    def get_queryset(self):
        return notification_list(user=self.request.user)

    @extend_schema(request=None, responses=NotificationSerializer, summary="标记为已读")
    @action(detail=True, methods=["post"], url_path="mark-read")
    def mark_read(self, request, pk=None):
        notification = services.notification_mark_read(user=request.user, notification=self.get_object())
        return Response(self.get_serializer(notification).data)

    @extend_schema(request=None, responses=MarkAllReadSerializer, summary="全部标记为已读")
    @action(detail=False, methods=["post"], url_path="mark-all-read")
    def mark_all_read(self, request):
        return Response({"marked": services.notification_mark_all_read(user=request.user)})
