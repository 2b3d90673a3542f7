"""The export page's forms (one per export) and the roster upload form. They only offer choices within the user's
scope and collect the input; exports.params checks it (the same check the API runs) and the view puts its errors
next to the fields."""

import datetime

from django import forms

from exports.choices import ExportKind, Layout
from exports.params import area_choices
from exports.roster import MAX_ROWS, MAX_UPLOAD_MB, default_batch, import_counties
from reports import stats
from reports.models import Figure
from teams.choices import UnitLevel
from teams.models import Batch
from zhucun.forms import PageForm


def _month_choices(months: list[datetime.date]) -> list[tuple[str, str]]:
    return [(f"{month:%Y-%m}", f"{month.year}年{month.month}月") for month in reversed(months)]


class ExportForm(PageForm):
    """The fields every export shares; `kind` says which one (a hidden field)."""

    kind_value: str = ""
    kind = forms.CharField(widget=forms.HiddenInput)
    area = forms.ChoiceField(label="地区", required=False)
    batch = forms.ChoiceField(label="批次", required=False)

    def __init__(self, *args, user, options: stats.StatsOptions | None, **kwargs):
        kwargs.setdefault("prefix", self.kind_value)
        super().__init__(*args, **kwargs)
        self.fields["kind"].initial = self.kind_value
        self.fields["area"].choices = area_choices(user)
        batches = options.batches if options else list(Batch.objects.order_by("-number"))
        self.fields["batch"].choices = [("", "全部批次")] + [(str(batch.pk), batch.name) for batch in batches]
        if "unit_level" in self.fields:
            levels = options.unit_levels if options else []
            if levels:
                self.fields["unit_level"].choices = [("", "全部派驻单位")] + [
                    (level, f"{UnitLevel(level).label}单位") for level in levels
                ]
            else:
                del self.fields["unit_level"]
        if "unit" in self.fields:
            units = options.units if options else []
            if units:
                self.fields["unit"].choices = [(str(unit.id), unit.name) for unit in units]
            else:
                del self.fields["unit"]
        for name in ("period", "month"):
            if name in self.fields and options is not None:
                self.fields[name].choices = _month_choices(options.months) or [
                    (f"{datetime.date.today():%Y-%m}", "本月")
                ]
                if options.latest_month:
                    self.fields[name].initial = f"{options.latest_month:%Y-%m}"


def _period_fields() -> dict[str, forms.Field]:
    return {
        "period_kind": forms.ChoiceField(
            label="周期类型", choices=Figure.Kind.choices, initial=stats.DEFAULT_KIND, required=False
        ),
        "period": forms.ChoiceField(label="周期（含该月的周期）", required=False, help_text="本批次累计时不用选择"),
    }


class SummaryExportForm(ExportForm):
    kind_value = ExportKind.SUMMARY
    period_kind, period = _period_fields().values()
    unit_level = forms.ChoiceField(label="派驻单位层级", required=False)
    unit = forms.ChoiceField(label="派驻单位", required=False)
    layout = forms.ChoiceField(
        label="表格方向", choices=Layout.choices, initial=Layout.INDICATORS_AS_ROWS, widget=forms.RadioSelect
    )
    rows = (("area", "batch"), ("period_kind", "period"), ("unit_level", "unit"), ("layout",))


class TeamDetailExportForm(ExportForm):
    kind_value = ExportKind.TEAM_DETAIL
    period_kind, period = _period_fields().values()
    unit_level = forms.ChoiceField(label="派驻单位层级", required=False)
    unit = forms.ChoiceField(label="派驻单位", required=False)
    monthly_sheets = forms.BooleanField(label="另按月份分工作表", required=False)
    rows = (("area", "batch"), ("period_kind", "period"), ("unit_level", "unit"), ("monthly_sheets",))


class RosterExportForm(ExportForm):
    kind_value = ExportKind.ROSTER
    unit_level = forms.ChoiceField(label="派驻单位层级", required=False)
    unit = forms.ChoiceField(label="派驻单位", required=False)
    current_only = forms.BooleanField(label="只导出在任干部", required=False, initial=True)
    rows = (("area", "batch"), ("unit_level", "unit"), ("current_only",))


class CompletenessExportForm(ExportForm):
    kind_value = ExportKind.COMPLETENESS
    month = forms.ChoiceField(label="月份", required=False)
    rows = (("area", "month"),)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Completeness is counted by area, for every batch at once.
        del self.fields["batch"]


EXPORT_FORMS = {
    ExportKind.SUMMARY: SummaryExportForm,
    ExportKind.TEAM_DETAIL: TeamDetailExportForm,
    ExportKind.ROSTER: RosterExportForm,
    ExportKind.COMPLETENESS: CompletenessExportForm,
}


class RosterUploadForm(PageForm):
    county = forms.ChoiceField(label="县（区）")
    batch = forms.ChoiceField(label="批次")
    file = forms.FileField(
        label="花名册文件",
        help_text=f"用导入模板填写的 .xlsx 文件，不超过{MAX_UPLOAD_MB} MB、{MAX_ROWS:,}行。",
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}),
    )
    rows = (("county", "batch"), ("file",))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        counties = import_counties(user)
        self.fields["county"].choices = [(area.code, area.name) for area in counties]
        if len(counties) == 1:
            self.fields["county"].initial = counties[0].code
        self.fields["batch"].choices = [(str(batch.pk), batch.name) for batch in Batch.objects.order_by("-number")]
        current = default_batch()
        if current is not None:
            self.fields["batch"].initial = str(current.pk)
