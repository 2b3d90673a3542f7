"""The export page (a form per export, the user's recent jobs with their progress), downloads, and the roster import
pages. Thin: exports.params checks the parameters, exports.services queues and builds, exports.roster imports.

Progress bars are updated by static/exports/exports.js, which polls the API (/api/v1/exports/<id>/); the page works
without it (reload to see the state)."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views import View
from django.views.generic import TemplateView

from exports import selectors, services
from exports.choices import ExportKind, JobStatus
from exports.forms import EXPORT_FORMS, RosterUploadForm
from exports.models import ExportJob, RosterImport
from exports.roster import MAX_ROWS, MAX_UPLOAD_MB, import_counties, roster_import, roster_template
from exports.xlsx import XLSX_CONTENT_TYPE, content_disposition
from reports import stats
from zhucun.forms import add_service_errors
from zhucun.pages import ActionRequiredMixin
from zhucun.scope import Action, user_can

RECENT_JOBS = 20
KIND_HELP = {
    ExportKind.SUMMARY: (
        "按半年通报的格式：指标按六项职责分组为行，本地区合计和下一级各地区为列（可互换）。"
        "数据来自统计库，与统计页一致。"
    ),
    ExportKind.TEAM_DETAIL: "每个工作队一行、每个指标一列（只计已审核月报），可另按月份分表。数据量大，在后台生成。",
    ExportKind.ROSTER: "每条任职一行，含干部信息；身份证号、手机号码仅对有权查看的干部完整导出，每次导出都会记录。",
    ExportKind.COMPLETENESS: "本地区和下一级各地区的应报、已报、已审、逾期、未报，近12个月，以及未报送的工作队名单。",
}


def _file_response(content, *, file_name: str, ascii_name: str) -> HttpResponse:
    if isinstance(content, bytes):
        response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    else:
        response = FileResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition(file_name, ascii_name)
    # Exports may hold personal data: never kept by a shared cache or the browser's.
    response["Cache-Control"] = "private, no-store"
    return response


def job_file_response(job: ExportJob) -> HttpResponse:
    if not job.is_downloadable:
        raise Http404("文件尚未生成或已过期。")
    path = services.media_path(job.file.name)
    if not path.exists():
        raise Http404("文件已被清理，请重新导出。")
    return _file_response(path.open("rb"), file_name=job.file_name, ascii_name=path.name)


def may_export(user) -> bool:
    return user_can(user, Action.EXPORT)


def may_import(user) -> bool:
    return user_can(user, Action.MANAGE)


class ExportPageMixin(ActionRequiredMixin):
    view_actions = (Action.EXPORT, Action.MANAGE)


class ExportIndexView(ExportPageMixin, TemplateView):
    """导出: a form per export and the user's recent jobs."""

    template_name = "exports/index.html"

    def options(self) -> stats.StatsOptions | None:
        if not stats.stats_allowed(self.request.user):
            return None
        return stats.stats_options(user=self.request.user)

    def forms(self, *, bound_kind: str = "", data=None) -> dict:
        options = self.options()
        forms = {}
        for kind, form_class in EXPORT_FORMS.items():
            if kind == ExportKind.COMPLETENESS and not (options and options.completeness):
                continue
            bound = data if kind == bound_kind else None
            forms[kind] = form_class(bound, user=self.request.user, options=options)
        return forms

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        forms = kwargs.get("forms") or (self.forms() if may_export(user) else {})
        context.update(
            sections=[
                {
                    "kind": kind,
                    "label": ExportKind(kind).label,
                    "help": KIND_HELP[kind],
                    "form": form,
                    "direct": kind in services.DIRECT_KINDS,
                }
                for kind, form in forms.items()
            ],
            jobs=list(selectors.export_job_list(user=user)[:RECENT_JOBS]),
            may_export=may_export(user),
            may_import=may_import(user),
            running=(JobStatus.QUEUED, JobStatus.RUNNING),
            keep_hours=settings.ZHUCUN_EXPORT_KEEP_HOURS,
        )
        return context

    def post(self, request, *args, **kwargs):
        """Queue an export (or, with `direct`, build a small one and download it at once)."""
        if not may_export(request.user):
            raise PermissionDenied("您没有导出权限。")
        kind = request.POST.get("kind") or next(
            (key.split("-", 1)[0] for key in request.POST if key.endswith("-kind")), ""
        )
        if kind not in EXPORT_FORMS:
            raise Http404("没有这种导出。")
        forms = self.forms(bound_kind=kind, data=request.POST)
        form = forms.get(kind)
        if form is None:
            raise PermissionDenied("您不能导出报送完成情况。")
        if form.is_valid():
            data = {name: value for name, value in form.cleaned_data.items() if name != "kind"}
            try:
                if "direct" in request.POST:
                    content, export = services.export_build_now(user=request.user, kind=kind, data=data)
                    return _file_response(content, file_name=export.file_name, ascii_name=export.ascii_name)
                job = services.export_job_start(user=request.user, kind=kind, data=data)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, f"已提交导出：{job.title}。生成后可在下方“我的导出”中下载。")
                return redirect(f"{reverse('exports:index')}#job-{job.pk}")
        context = self.get_context_data(forms=forms, open_kind=kind)
        return self.render_to_response(context, status=400)


class ExportDownloadView(ExportPageMixin, View):
    """A finished job's file: its requester, or an admin of its area (404 for anybody else)."""

    def get(self, request, pk: int):
        job = selectors.export_job_for(user=request.user, pk=pk)
        response = job_file_response(job)
        services.export_job_downloaded(user=request.user, job=job)
        return response


# -- the roster import ------------------------------------------------------------------------------------------------


class RosterImportMixin(ActionRequiredMixin):
    view_actions = (Action.MANAGE,)


class RosterImportView(RosterImportMixin, TemplateView):
    """导入干部花名册: the template, the upload, the user's recent imports."""

    template_name = "exports/roster_import.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = kwargs.get("form") or RosterUploadForm(user=self.request.user)
        counties = import_counties(self.request.user)
        context.update(
            form=form,
            counties=counties,
            imports=list(selectors.roster_import_list(user=self.request.user)[:10]),
            max_rows_text=f"{MAX_ROWS:,}",
            max_mb=MAX_UPLOAD_MB,
        )
        return context

    def post(self, request, *args, **kwargs):
        form = RosterUploadForm(request.POST, request.FILES, user=request.user)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        upload = form.cleaned_data["file"]
        data = upload.read(MAX_UPLOAD_MB * 1024 * 1024 + 1)
        try:
            outcome = roster_import(
                user=request.user,
                county=form.cleaned_data["county"],
                batch=int(form.cleaned_data["batch"]),
                file_name=upload.name,
                data=data,
            )
        except ValidationError as error:
            add_service_errors(form, error)
            return self.render_to_response(self.get_context_data(form=form), status=400)
        if outcome.ok:
            record = outcome.record
            messages.success(
                request,
                f"导入成功：{record.rows}行，新增干部{record.cadres_created}人、任职{record.assignments_created}条"
                f"{f'、新建工作队{record.teams_created}个' if record.teams_created else ''}。",
            )
        return redirect("exports:roster_import_result", pk=outcome.record.pk)


class RosterImportResultView(RosterImportMixin, TemplateView):
    """One import: what was imported, or every error by row and column with the marked workbook."""

    template_name = "exports/roster_import_result.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        record = selectors.roster_import_for(user=self.request.user, pk=kwargs["pk"])
        context.update(record=record, errors=record.errors)
        return context


class RosterTemplateView(RosterImportMixin, View):
    def get(self, request):
        counties = {area.code: area for area in import_counties(request.user)}
        code = request.GET.get("county") or (next(iter(counties)) if len(counties) == 1 else "")
        county = counties.get(code)
        if code and county is None:
            raise Http404("该县（区）不在您的管理范围内。")
        name = f"驻村干部花名册导入模板{f'_{county.name}' if county else ''}.xlsx"
        return _file_response(
            roster_template(county=county),
            file_name=name,
            ascii_name=f"zhucun-roster-template{f'-{county.code}' if county else ''}.xlsx",
        )


class RosterMarkedView(RosterImportMixin, View):
    """The refused workbook with its bad cells marked."""

    def get(self, request, pk: int):
        record = selectors.roster_import_for(user=request.user, pk=pk)
        return marked_file_response(record)


def marked_file_response(record: RosterImport) -> HttpResponse:
    if not record.marked_file:
        raise Http404("没有标注错误的工作簿，或已过保留期。")
    path = services.media_path(record.marked_file.name)
    if not path.exists():
        raise Http404("文件已被清理。")
    stem = record.file_name.rsplit(".", 1)[0]
    return _file_response(path.open("rb"), file_name=f"{stem}_错误标注.xlsx", ascii_name=path.name)
