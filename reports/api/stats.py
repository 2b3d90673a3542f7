"""The statistics API under /api/v1/stats/: totals, breakdown, trend, units, completeness and the pickers' options.

Thin views: the query parameters are checked by a serializer, reports/stats.py resolves the cut (scope, defaults)
and reads the rollup store; the serializers below render its dataclasses. Figures are strings ("31234",
"1500.50"), exact. Every answer carries `freshness`: the oldest `computed_at` of the store rows it used and how
many rows that was; totals, areas, units and months carry the reports and teams they count.
"""

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from reports import stats
from reports.api.serializers import FigureField, MonthField
from reports.choices import DUTY_TITLES, Category
from reports.models import Figure
from reports.stats_cache import cached_answer
from teams.choices import UnitLevel

CUT_HELP = (
    "默认：本人所辖（最外层）地区、最近有统计数的月份所在的半年、全部批次、全部派驻单位。“全部批次”为各批次数之和。"
)
ERRORS = {
    400: OpenApiResponse(description="参数有误，或所选单位、单位层级不在您的范围内（按字段给出原因）"),
    403: OpenApiResponse(description="工作队角色无统计权限（完成情况：派驻单位联络员亦无权限）"),
    404: OpenApiResponse(description="地区不在您的范围内或不存在"),
}

# -- query parameters -------------------------------------------------------------------------------------------


class AreaParamsSerializer(serializers.Serializer):
    area = serializers.RegexField(
        r"^\d{2}(\d{2}(\d{2}(\d{3}(\d{3})?)?)?)?$",
        required=False,
        allow_blank=True,
        help_text="地区代码（2/4/6/9/12位），须在本人范围内；默认为本人所辖地区",
        error_messages={"invalid": "地区代码应为2、4、6、9或12位数字。"},
    )


class CutParamsSerializer(AreaParamsSerializer):
    kind = serializers.ChoiceField(
        choices=Figure.Kind.choices,
        required=False,
        allow_blank=True,
        help_text="周期类型：month 月度、quarter 季度、half 半年（默认）、year 年度、btd 本批次累计",
    )
    period = serializers.RegexField(
        r"^\d{4}-\d{2}$",
        required=False,
        allow_blank=True,
        help_text="周期的最后一个月 YYYY-MM（给出周期内任一月份即取其所在周期）；默认为最近有统计数的月份",
        error_messages={"invalid": "请按“年-月”填写月份，例如 2026-06。"},
    )
    batch = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, help_text="批次 id；不填为全部批次（各批次之和）"
    )
    unit = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        help_text="派驻单位 id（只统计到县级）；派驻单位联络员只能查本单位，默认即本单位",
    )
    unit_level = serializers.ChoiceField(
        choices=UnitLevel.choices, required=False, allow_blank=True, help_text="派驻单位层级（只统计到县级）"
    )

    def cut(self, user) -> stats.Cut:
        data = self.validated_data
        return stats.stats_cut(
            user=user,
            area=data.get("area") or None,
            kind=data.get("kind") or None,
            period=data.get("period") or None,
            batch=data.get("batch"),
            unit=data.get("unit"),
            unit_level=data.get("unit_level") or None,
        )


class RankedParamsSerializer(CutParamsSerializer):
    indicator = serializers.CharField(
        required=False, allow_blank=True, help_text="排名所依据的指标代码；默认为指标目录的第一项"
    )


class TrendParamsSerializer(CutParamsSerializer):
    indicator = serializers.CharField(required=False, allow_blank=True, help_text="指标代码；默认为指标目录的第一项")


class UnitsParamsSerializer(AreaParamsSerializer):
    kind = serializers.ChoiceField(
        choices=Figure.Kind.choices, required=False, allow_blank=True, help_text="周期类型，同 totals"
    )
    period = serializers.RegexField(
        r"^\d{4}-\d{2}$", required=False, allow_blank=True, help_text="周期的最后一个月 YYYY-MM，同 totals"
    )
    batch = serializers.IntegerField(required=False, allow_null=True, min_value=1, help_text="批次 id；不填为全部批次")
    indicator = serializers.CharField(required=False, allow_blank=True, help_text="排名所依据的指标代码")
    limit = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=5000, help_text="只返回排名前若干个单位；默认全部"
    )


class CompletenessParamsSerializer(AreaParamsSerializer):
    month = serializers.RegexField(
        r"^\d{4}-\d{2}$",
        required=False,
        allow_blank=True,
        help_text="月份 YYYY-MM；默认为已过截止日的最近一个月（上月）",
        error_messages={"invalid": "请按“年-月”填写月份，例如 2026-06。"},
    )


# -- pieces of the answers --------------------------------------------------------------------------------------


class AreaRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    level = serializers.CharField(help_text="province / prefecture / county / township / village")
    level_display = serializers.CharField()


class PeriodSerializer(serializers.Serializer):
    kind = serializers.CharField()
    kind_display = serializers.CharField()
    start = MonthField(allow_null=True, help_text="首月；本批次累计且无数据时为空")
    end = MonthField(help_text="末月")
    label = serializers.CharField(help_text="例如“2026年上半年”")


class BatchRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.IntegerField()
    name = serializers.CharField()
    start_date = serializers.DateField()
    end_date = serializers.DateField()


class UnitRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    level = serializers.CharField()
    level_display = serializers.CharField()


class FreshnessSerializer(serializers.Serializer):
    computed_at = serializers.DateTimeField(allow_null=True, help_text="所用统计行中最早的计算时间；无数据时为空")
    rows = serializers.IntegerField(help_text="所用统计行数（全部批次时为各批次行数之和）")


class IndicatorRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    unit = serializers.CharField()
    category = serializers.CharField()
    value_type = serializers.CharField(help_text="integer / decimal / money")
    time_aggregation = serializers.CharField(help_text="sum：累计；latest：各队期内最新值之和")


class CutSerializer(serializers.Serializer):
    """What was asked, resolved: every answer starts with it."""

    area = AreaRefSerializer(source="cut.area")
    path = AreaRefSerializer(source="cut.path", many=True, help_text="从本人可见的最上级到该地区，用作面包屑")
    child_level = serializers.CharField(
        source="cut.child_level", allow_null=True, help_text="下一级的层级；村级或单位口径到县级时为空"
    )
    period = PeriodSerializer()
    latest_month = MonthField(source="cut.latest_month", allow_null=True, help_text="最近有统计数的月份")
    batch = BatchRefSerializer(source="cut.batch", allow_null=True, help_text="空为全部批次")
    unit = UnitRefSerializer(source="cut.unit", allow_null=True)
    unit_level = serializers.CharField(source="cut.unit_level", allow_null=True)
    unit_level_display = serializers.CharField(source="cut.unit_level_display", allow_null=True)
    freshness = FreshnessSerializer()


class IndicatorFigureSerializer(serializers.Serializer):
    code = serializers.CharField(source="info.code")
    name = serializers.CharField(source="info.name")
    unit = serializers.CharField(source="info.unit")
    value_type = serializers.CharField(source="info.value_type")
    time_aggregation = serializers.CharField(source="info.time_aggregation")
    value = FigureField(help_text="数值（字符串，精确）")
    reports = serializers.IntegerField(help_text="计入的月报数")


class CategoryFiguresSerializer(serializers.Serializer):
    category = serializers.CharField()
    label = serializers.CharField(help_text="类别，例如“宣传教育”")
    duty_title = serializers.CharField(help_text="职责，例如“政策讲解员”")
    indicators = IndicatorFigureSerializer(many=True)


class TotalsSerializer(CutSerializer):
    report_count = serializers.IntegerField(source="tally.report_count", help_text="计入的已审核月报数")
    team_count = serializers.IntegerField(source="tally.team_count", help_text="计入的工作队数")
    categories = CategoryFiguresSerializer(many=True)


@extend_schema_field(
    serializers.DictField(child=serializers.CharField(), help_text="各指标数值，按指标代码；数值为字符串")
)
class ValuesField(serializers.Field):
    """A tally's values by indicator code, for the indicators the answer lists (in its context)."""

    def __init__(self, **kwargs):
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, tally: stats.Tally):
        return {info.code: FigureField().to_representation(tally.value(info.id)) for info in self.context["indicators"]}


class RankedSerializer(serializers.Serializer):
    rank = serializers.IntegerField(help_text="按所选指标从高到低的名次（并列同名次）")
    value = FigureField(help_text="所选指标的数值")
    reports = serializers.IntegerField(help_text="所选指标计入的月报数")
    report_count = serializers.IntegerField(source="tally.report_count")
    team_count = serializers.IntegerField(source="tally.team_count")
    values = ValuesField(source="tally")


class AreaEntrySerializer(RankedSerializer):
    code = serializers.CharField(source="area.code")
    name = serializers.CharField(source="area.name")
    level = serializers.CharField(source="area.level")


class BreakdownSerializer(CutSerializer):
    indicator = IndicatorRefSerializer(allow_null=True, help_text="排名所依据的指标")
    indicators = IndicatorRefSerializer(many=True, help_text="values 中出现的指标，按目录顺序")
    report_count = serializers.IntegerField(source="total.report_count", help_text="本地区计入的已审核月报数")
    team_count = serializers.IntegerField(source="total.team_count")
    total = ValuesField(help_text="本地区合计，按指标代码")
    areas = AreaEntrySerializer(many=True, help_text="下一级各地区（无数据的为0），按所选指标排名")


class TrendPointSerializer(serializers.Serializer):
    month = MonthField()
    value = FigureField(help_text="该月数值；该月无统计数（未开始或无已审核月报）为空")
    reports = serializers.IntegerField()
    report_count = serializers.IntegerField()
    team_count = serializers.IntegerField()


class TrendSerializer(serializers.Serializer):
    area = AreaRefSerializer(source="cut.area")
    path = AreaRefSerializer(source="cut.path", many=True)
    batch = BatchRefSerializer(source="cut.batch", allow_null=True)
    unit = UnitRefSerializer(source="cut.unit", allow_null=True)
    unit_level = serializers.CharField(source="cut.unit_level", allow_null=True)
    latest_month = MonthField(source="cut.latest_month", allow_null=True)
    indicator = IndicatorRefSerializer()
    points = TrendPointSerializer(many=True, help_text="逐月数值：所选批次的各月，或最近12个月")
    freshness = FreshnessSerializer()


class UnitEntrySerializer(serializers.Serializer):
    """A unit carries the ranked indicator only: a region holds some 1,500 units, all indicators would be heavy."""

    rank = serializers.IntegerField(help_text="按所选指标从高到低的名次（并列同名次）")
    value = FigureField(help_text="所选指标的数值")
    reports = serializers.IntegerField(help_text="所选指标计入的月报数")
    report_count = serializers.IntegerField(source="tally.report_count")
    team_count = serializers.IntegerField(source="tally.team_count")
    id = serializers.IntegerField(source="unit.id")
    name = serializers.CharField(source="unit.name")
    level = serializers.CharField(source="unit.level")
    level_display = serializers.CharField(source="unit.level_display")


class UnitLevelEntrySerializer(RankedSerializer):
    level = serializers.CharField()
    label = serializers.CharField()


class UnitsSerializer(CutSerializer):
    indicator = IndicatorRefSerializer(allow_null=True)
    indicators = IndicatorRefSerializer(many=True)
    unit_total = serializers.IntegerField(help_text="该地区有统计数的派驻单位数（limit 之前）")
    units = UnitEntrySerializer(
        many=True, help_text="各派驻单位，按所选指标排名，只含所选指标（联络员只有本单位）；limit 限制条数"
    )
    levels = UnitLevelEntrySerializer(many=True, help_text="各单位层级，按所选指标排名（联络员为空）")


def _completeness_fields(prefix: str) -> dict[str, serializers.Field]:
    """The counts and rates of a CompletenessFigure found at `prefix` (flat in every row of the answer)."""
    help_texts = {
        "expected": "应报：当月在驻的工作队数",
        "submitted": "已报：已提交或已审核",
        "approved": "已审",
        "late": "逾期：截止后提交，或已过截止仍未提交",
        "missing": "未报",
    }
    # DRF refuses a `source` equal to the field's name: give one only when there is a prefix.
    sources = {name: {"source": f"{prefix}{name}"} if prefix else {} for name in (*help_texts, "rate", "approved_rate")}
    fields: dict[str, serializers.Field] = {
        name: serializers.IntegerField(help_text=text, **sources[name]) for name, text in help_texts.items()
    }
    fields["rate"] = serializers.DecimalField(
        max_digits=4,
        decimal_places=1,
        allow_null=True,
        help_text="已报率（%，一位小数）；应报为0时为空",
        **sources["rate"],
    )
    fields["approved_rate"] = serializers.DecimalField(
        max_digits=4, decimal_places=1, allow_null=True, help_text="已审率（%）", **sources["approved_rate"]
    )
    return fields


CompletenessFigureSerializer = type("CompletenessFigureSerializer", (serializers.Serializer,), _completeness_fields(""))
CompletenessAreaSerializer = type(
    "CompletenessAreaSerializer",
    (serializers.Serializer,),
    {
        "code": serializers.CharField(source="area.code"),
        "name": serializers.CharField(source="area.name"),
        "level": serializers.CharField(source="area.level"),
        **_completeness_fields("figure."),
    },
)
CompletenessMonthSerializer = type(
    "CompletenessMonthSerializer",
    (serializers.Serializer,),
    {"month": MonthField(), **_completeness_fields("figure.")},
)


class CompletenessSerializer(serializers.Serializer):
    area = AreaRefSerializer()
    path = AreaRefSerializer(many=True)
    month = MonthField()
    child_level = serializers.CharField(allow_null=True, help_text="下一级的层级；村级时为空")
    figure = CompletenessFigureSerializer(help_text="该地区该月")
    areas = CompletenessAreaSerializer(many=True, help_text="下一级各地区该月，按代码顺序")
    months = CompletenessMonthSerializer(many=True, help_text="该地区截至该月的最近12个月")
    freshness = FreshnessSerializer()


class OptionSerializer(serializers.Serializer):
    value = serializers.CharField()
    label = serializers.CharField()


class CategoryOptionSerializer(OptionSerializer):
    duty_title = serializers.CharField()


class OptionsSerializer(serializers.Serializer):
    roots = AreaRefSerializer(many=True, help_text="本人可查看的最上级地区")
    default_area = AreaRefSerializer()
    path = AreaRefSerializer(many=True)
    batches = BatchRefSerializer(many=True)
    months = serializers.ListField(child=MonthField(), help_text="有统计数的月份")
    latest_month = MonthField(allow_null=True)
    default_kind = serializers.CharField()
    kinds = OptionSerializer(many=True)
    unit_levels = OptionSerializer(many=True, help_text="可选的派驻单位层级（联络员为空）")
    units = UnitRefSerializer(many=True, help_text="联络员的本单位；其他用户为空（在单位对比中选择）")
    categories = CategoryOptionSerializer(many=True)
    indicators = IndicatorRefSerializer(many=True)
    completeness = serializers.BooleanField(help_text="是否可查看报送完成情况")


# -- views --------------------------------------------------------------------------------------------------------


def _params(serializer_class, request) -> serializers.Serializer:
    params = serializer_class(data=request.query_params)
    params.is_valid(raise_exception=True)
    return params


def _answer(endpoint: str, request, serializer_class, compute) -> Response:
    """The answer, from the cache when this scope asked the same of the same store today (reports/stats_cache.py).
    The scope is checked first (a user without statistics gets 403 whatever is cached); the parameters are checked
    by `compute` (`_params`), only when the answer is not kept: an invalid one raises and nothing is kept."""
    scope = stats.stats_scope(request.user)
    query = request.query_params
    asked = {name: query.get(name) for name in getattr(serializer_class, "_declared_fields", ()) if query.get(name)}
    return Response(cached_answer(endpoint, scope, asked, compute))


class StatsTotalsView(APIView):
    """All indicators of one area, period, batch choice and unit cut, grouped by the six duties."""

    @extend_schema(
        summary="统计总数（按类别分组的全部指标）",
        description=CUT_HELP,
        parameters=[CutParamsSerializer],
        responses={200: TotalsSerializer, **ERRORS},
        tags=["stats"],
    )
    def get(self, request):
        def compute():
            cut = _params(CutParamsSerializer, request).cut(request.user)
            return TotalsSerializer(stats.stats_totals(cut=cut)).data

        return _answer("totals", request, CutParamsSerializer, compute)


class StatsBreakdownView(APIView):
    """The same figures for each area one level down (region → prefectures → counties → townships → villages),
    ranked by one indicator; every child area is listed, with zeros where no team reported."""

    @extend_schema(
        summary="下一级地区分解与排名",
        description=CUT_HELP + "按派驻单位或单位层级统计时只分解到县级。",
        parameters=[RankedParamsSerializer],
        responses={200: BreakdownSerializer, **ERRORS},
        tags=["stats"],
    )
    def get(self, request):
        def compute():
            params = _params(RankedParamsSerializer, request)
            breakdown = stats.stats_breakdown(
                cut=params.cut(request.user), indicator=params.validated_data.get("indicator")
            )
            return BreakdownSerializer(breakdown, context={"indicators": breakdown.indicators}).data

        return _answer("breakdown", request, RankedParamsSerializer, compute)


class StatsTrendView(APIView):
    """One indicator month by month: over the chosen batch, or the last 12 months up to the latest month with
    figures (or up to `period` with kind=month)."""

    @extend_schema(
        summary="指标逐月趋势",
        description=CUT_HELP,
        parameters=[TrendParamsSerializer],
        responses={200: TrendSerializer, **ERRORS},
        tags=["stats"],
    )
    def get(self, request):
        def compute():
            params = _params(TrendParamsSerializer, request)
            trend = stats.stats_trend(cut=params.cut(request.user), indicator=params.validated_data.get("indicator"))
            return TrendSerializer(trend).data

        return _answer("trend", request, TrendParamsSerializer, compute)


class StatsUnitsView(APIView):
    """Dispatching units, and unit levels, side by side within an area (down to county level)."""

    @extend_schema(
        summary="派驻单位对比",
        description=CUT_HELP + "只统计到县级；派驻单位联络员只看到本单位。",
        parameters=[UnitsParamsSerializer],
        responses={200: UnitsSerializer, **ERRORS},
        tags=["stats"],
    )
    def get(self, request):
        def compute():
            data = _params(UnitsParamsSerializer, request).validated_data
            cut = stats.stats_cut(
                user=request.user,
                area=data.get("area") or None,
                kind=data.get("kind") or None,
                period=data.get("period") or None,
                batch=data.get("batch"),
            )
            comparison = stats.stats_units(cut=cut, indicator=data.get("indicator"), limit=data.get("limit"))
            return UnitsSerializer(comparison, context={"indicators": comparison.indicators}).data

        return _answer("units", request, UnitsParamsSerializer, compute)


class StatsCompletenessView(APIView):
    """Reporting completeness of an area in a month, each area one level down, and the area's last 12 months."""

    @extend_schema(
        summary="报送完成情况",
        parameters=[CompletenessParamsSerializer],
        responses={200: CompletenessSerializer, **ERRORS},
        tags=["stats"],
    )
    def get(self, request):
        def compute():
            data = _params(CompletenessParamsSerializer, request).validated_data
            report = stats.stats_completeness(
                user=request.user, area=data.get("area") or None, month=data.get("month") or None
            )
            return CompletenessSerializer(report).data

        return _answer("completeness", request, CompletenessParamsSerializer, compute)


class StatsOptionsView(APIView):
    """What the dashboard's pickers offer this user."""

    @extend_schema(
        summary="统计页的选项（地区、批次、月份、单位层级、指标）",
        responses={200: OptionsSerializer, 403: ERRORS[403]},
        tags=["stats"],
    )
    def get(self, request):
        return _answer("options", request, None, lambda: self.options(request.user))

    @staticmethod
    def options(user) -> dict:
        options = stats.stats_options(user=user)
        data = {
            **options.__dict__,
            "kinds": [{"value": value, "label": label} for value, label in Figure.Kind.choices],
            "unit_levels": [{"value": level, "label": UnitLevel(level).label} for level in options.unit_levels],
            "categories": [
                {"value": category.value, "label": category.label, "duty_title": DUTY_TITLES[category]}
                for category in Category
            ],
        }
        return OptionsSerializer(data).data
