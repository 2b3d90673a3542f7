"""The exports API: /api/v1/exports/ (start an export, list one's own, poll one's progress, download it) and
/api/v1/roster-imports/ (upload a roster → 201 with the counts, or 400 with every error by row and column; the
template; the marked copy of a refused workbook).

Jobs are the requester's own; an admin whose area covers a job's area may read and download it too (404 for anyone
else, as for every object outside one's scope). Starting needs the right to export (403 for team roles); the
parameters are checked against the user's scope (400 by field)."""

from django.core.exceptions import PermissionDenied
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from exports import selectors, services
from exports.api.serializers import (
    ExportJobSerializer,
    ExportStartSerializer,
    RosterImportSerializer,
    RosterUploadSerializer,
)
from exports.choices import JobStatus
from exports.models import ExportJob, RosterImport
from exports.roster import (
    MAX_ROWS,
    MAX_UPLOAD_BYTES,
    MAX_UPLOAD_MB,
    TOO_BIG,
    import_counties,
    roster_import,
    roster_template,
)
from exports.views import _file_response, job_file_response, marked_file_response
from exports.xlsx import XLSX_CONTENT_TYPE
from zhucun.scope import Action, user_can

XLSX = {(200, XLSX_CONTENT_TYPE): OpenApiTypes.BINARY}
NOT_FOUND = OpenApiResponse(description="不是本人的任务（或本人管理地区之外），或不存在")


class ExportJobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """导出任务."""

    queryset = ExportJob.objects.none()
    serializer_class = ExportJobSerializer
    lookup_value_regex = r"\d+"
    filter_backends = []

    def get_queryset(self):
        return selectors.export_job_list(user=self.request.user)

    def get_object(self):
        return selectors.export_job_for(user=self.request.user, pk=int(self.kwargs["pk"]))

    @extend_schema(summary="本人的导出任务（最新的在前）", tags=["exports"])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        summary="导出任务的状态和进度", responses={200: ExportJobSerializer, 404: NOT_FOUND}, tags=["exports"]
    )
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        summary="开始导出（后台任务）",
        description="参数按所选导出类型取用，其余忽略；返回任务（status、progress），完成后用 download_url 下载。",
        request=ExportStartSerializer,
        responses={
            201: ExportJobSerializer,
            400: OpenApiResponse(description="参数有误或超出本人范围（按字段给出原因）"),
            403: OpenApiResponse(description="没有导出权限"),
        },
        tags=["exports"],
    )
    def create(self, request, *args, **kwargs):
        params = ExportStartSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = dict(params.validated_data)
        kind = data.pop("kind")
        job = services.export_job_start(user=request.user, kind=kind, data=data)
        job.refresh_from_db()
        return Response(ExportJobSerializer(job).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="下载导出文件",
        responses={
            **XLSX,
            404: NOT_FOUND,
            409: OpenApiResponse(description="文件尚未生成，或导出失败"),
            410: OpenApiResponse(description="文件已过保留期"),
        },
        tags=["exports"],
    )
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        job = self.get_object()
        if job.status == JobStatus.EXPIRED:
            return Response({"detail": "文件已过保留期，请重新导出。"}, status=status.HTTP_410_GONE)
        if not job.is_downloadable:
            message = job.error or "文件尚未生成，请稍后再试。"
            return Response({"detail": message, "status": job.status}, status=status.HTTP_409_CONFLICT)
        response = job_file_response(job)
        services.export_job_downloaded(user=request.user, job=job)
        return response


class RosterImportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """干部花名册导入（县级管理员）."""

    queryset = RosterImport.objects.none()
    serializer_class = RosterImportSerializer
    parser_classes = [MultiPartParser, FormParser]
    lookup_value_regex = r"\d+"
    filter_backends = []

    def get_queryset(self):
        return selectors.roster_import_list(user=self.request.user)

    def get_object(self):
        return selectors.roster_import_for(user=self.request.user, pk=int(self.kwargs["pk"]))

    def _require_manage(self) -> None:
        if not user_can(self.request.user, Action.MANAGE):
            raise PermissionDenied("只有管理员可以导入干部花名册。")

    @extend_schema(summary="本人的花名册导入记录", tags=["roster-imports"])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        summary="一次导入的结果", responses={200: RosterImportSerializer, 404: NOT_FOUND}, tags=["roster-imports"]
    )
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        summary="上传并导入干部花名册",
        description=(
            "全部行无误才导入（一个事务），否则一行都不导入：400 的 errors 逐行逐列列出全部错误，"
            f"marked_file_url 为标注了错误单元格的工作簿。文件不超过{MAX_UPLOAD_MB} MB、{MAX_ROWS:,}行。"
        ),
        request={"multipart/form-data": RosterUploadSerializer},
        responses={
            201: RosterImportSerializer,
            # Two shapes (found by fuzzing: the schema promised only the first): the rejected import's record,
            # or the field errors of a bad request ({"file": [...]}).
            400: OpenApiResponse(
                response=OpenApiTypes.OBJECT,
                description="文件有错误：导入记录（同 201，errors 逐行逐列列出）；请求参数有误：{字段: [错误信息]}",
            ),
            403: OpenApiResponse(description="不是管理员，或该县不在本人管理范围内"),
        },
        tags=["roster-imports"],
    )
    def create(self, request, *args, **kwargs):
        self._require_manage()
        upload_params = RosterUploadSerializer(data=request.data)
        upload_params.is_valid(raise_exception=True)
        data = upload_params.validated_data
        upload = data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            return Response({"file": [TOO_BIG]}, status=status.HTTP_400_BAD_REQUEST)
        county = data.get("county") or ""
        if not county:
            counties = import_counties(request.user)
            if len(counties) != 1:
                return Response({"county": ["请填写县级代码。"]}, status=status.HTTP_400_BAD_REQUEST)
            county = counties[0].code
        outcome = roster_import(
            user=request.user, county=county, batch=data.get("batch"), file_name=upload.name, data=upload.read()
        )
        body = RosterImportSerializer(outcome.record).data
        return Response(body, status=status.HTTP_201_CREATED if outcome.ok else status.HTTP_400_BAD_REQUEST)

    @extend_schema(
        summary="下载导入模板",
        parameters=[OpenApiParameter("county", str, description="县级代码：附该县村（居）及代码；可不填")],
        responses={**XLSX, 403: OpenApiResponse(description="不是管理员"), 404: NOT_FOUND},
        tags=["roster-imports"],
    )
    @action(detail=False, methods=["get"])
    def template(self, request):
        self._require_manage()
        counties = {area.code: area for area in import_counties(request.user)}
        code = request.query_params.get("county", "")
        county = counties.get(code) if code else (next(iter(counties.values())) if len(counties) == 1 else None)
        if code and county is None:
            return Response({"detail": "该县（区）不在您的管理范围内。"}, status=status.HTTP_404_NOT_FOUND)
        suffix = f"-{county.code}" if county else ""
        return _file_response(
            roster_template(county=county),
            file_name=f"驻村干部花名册导入模板{f'_{county.name}' if county else ''}.xlsx",
            ascii_name=f"zhucun-roster-template{suffix}.xlsx",
        )

    @extend_schema(summary="下载标注了错误的工作簿", responses={**XLSX, 404: NOT_FOUND}, tags=["roster-imports"])
    @action(detail=True, methods=["get"])
    def marked(self, request, pk=None):
        return marked_file_response(self.get_object())
