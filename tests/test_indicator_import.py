"""The indicator catalogue and the activity types: the default import, its idempotency and region admins' edits."""

from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from reports.choices import ActivitySource, Category, TimeAggregation, ValueType
from reports.models import ActivityType, ActivityTypeIndicator, Indicator
from reports.services import CatalogueImportResult, activity_type_import_csv, indicator_import_csv

INDICATORS = 51
ACTIVITY_TYPES = 17
MAPPINGS = 20


def catalogue() -> list[tuple]:
    return list(
        Indicator.objects.order_by("code").values_list(
            "code", "name", "unit", "category", "value_type", "time_aggregation", "part_of__code", "sort_order"
        )
    )


@pytest.mark.django_db
def test_it_loads_the_51_indicators_of_the_half_year_bulletin():
    assert Indicator.objects.count() == INDICATORS
    assert Indicator.objects.filter(part_of__isnull=False).get().code == "D10"
    assert Indicator.objects.get(code="D10").part_of == Indicator.objects.get(code="D09")
    assert list(Indicator.objects.get(code="D09").parts.values_list("code", flat=True)) == ["D10"]


@pytest.mark.django_db
def test_it_maps_the_categories_and_types_of_the_file():
    p02, f04, e04, d01 = (Indicator.objects.get(code=code) for code in ("P02", "F04", "E04", "D01"))

    assert (p02.name, p02.unit, p02.category, p02.get_category_display()) == (
        "组织召开宣讲大会",
        "场次",
        Category.PROPAGANDA,
        "宣传教育",
    )
    assert (f04.time_aggregation, f04.get_time_aggregation_display()) == (TimeAggregation.LATEST, "取最新值")
    assert (e04.value_type, e04.get_value_type_display()) == (ValueType.MONEY, "金额（元）")
    assert d01.value_type == ValueType.DECIMAL
    labels = {indicator.get_category_display() for indicator in Indicator.objects.all()}
    assert labels == {"宣传教育", "基层党建", "发展致富", "民生服务", "惠农政策", "精准扶贫", "稳定团结"}
    assert set(Indicator.objects.filter(time_aggregation=TimeAggregation.LATEST).values_list("code", flat=True)) == {
        "F04",
        "F05",
        "F06",
        "F07",
        "F08",
        "F09",
        "T03",
    }


@pytest.mark.django_db
def test_it_orders_the_catalogue_as_the_file_does():
    codes = list(Indicator.objects.values_list("code", flat=True))

    assert codes[:3] == ["P01", "P02", "P03"]
    assert codes[-1] == "T04"
    assert list(Indicator.objects.values_list("sort_order", flat=True)) == list(range(10, 10 * INDICATORS + 1, 10))


@pytest.mark.django_db
def test_it_creates_nothing_on_a_second_import():
    before = catalogue()

    result = indicator_import_csv()

    assert result == CatalogueImportResult(created=0, updated=0, unchanged=INDICATORS, differing=0)
    assert catalogue() == before


@pytest.mark.django_db
def test_it_keeps_a_region_admins_edits_unless_told_to_overwrite():
    Indicator.objects.filter(code="P02").update(name="召开宣讲大会", sort_order=5)
    Indicator.objects.filter(code="D10").update(part_of=None)

    kept = indicator_import_csv()

    assert kept == CatalogueImportResult(created=0, updated=0, unchanged=INDICATORS - 2, differing=2)
    assert "另有 2 项与文件不同但已保留（用 --overwrite 覆盖）" in str(kept)
    p02 = Indicator.objects.get(code="P02")
    assert (p02.name, p02.sort_order) == ("召开宣讲大会", 5)
    assert Indicator.objects.get(code="D10").part_of is None

    restored = indicator_import_csv(overwrite=True)

    assert restored == CatalogueImportResult(created=0, updated=2, unchanged=INDICATORS - 2, differing=0)
    p02.refresh_from_db()
    # The name comes back from the file; the order is the admins' own and stays.
    assert (p02.name, p02.sort_order) == ("组织召开宣讲大会", 5)
    assert Indicator.objects.get(code="D10").part_of.code == "D09"


@pytest.mark.django_db
def test_it_keeps_an_indicator_the_region_admins_added(tmp_path):
    Indicator.objects.create(code="T05", name="护边巡逻", unit="次", category=Category.STABILITY, sort_order=600)

    result = indicator_import_csv()

    assert result.created == 0
    assert Indicator.objects.get(code="T05").name == "护边巡逻"
    assert Indicator.objects.count() == INDICATORS + 1


@pytest.mark.django_db
def test_it_appends_new_indicators_of_a_file_after_the_existing_ones(tmp_path):
    path = tmp_path / "indicators.csv"
    path.write_text(
        "code,category,name,unit,value_type,time_aggregation,part_of\n"
        "P02,宣传教育,组织召开宣讲大会,场次,integer,sum,\n"
        "T05,稳定团结,护边巡逻,次,integer,sum,\n"
        "T06,稳定团结,其中:联合巡逻,次,integer,sum,T05\n",
        encoding="utf-8",
    )

    result = indicator_import_csv(path=path)

    assert result == CatalogueImportResult(created=2, updated=0, unchanged=1, differing=0)
    t05, t06 = Indicator.objects.get(code="T05"), Indicator.objects.get(code="T06")
    assert (t05.category, t05.sort_order) == (Category.STABILITY, 10 * INDICATORS + 10)
    assert (t06.part_of, t06.sort_order) == (t05, 10 * INDICATORS + 20)


@pytest.mark.django_db
def test_it_refuses_a_bad_catalogue_file_and_writes_nothing(tmp_path):
    path = tmp_path / "indicators.csv"
    path.write_text(
        "code,category,name,unit,value_type,time_aggregation,part_of\n"
        "T05,稳定团结,护边巡逻,次,integer,sum,\n"
        "T06,维稳,联合巡逻,次,count,daily,T09\n"
        "T07,稳定团结,,次,integer,sum,T07\n",
        encoding="utf-8",
    )
    before = catalogue()

    with pytest.raises(ValidationError) as caught:
        indicator_import_csv(path=path)

    assert caught.value.messages == [
        "第3行：类别“维稳”无效",
        "第3行：数值类型“count”无效",
        "第3行：汇总方式“daily”无效",
        "第3行：所属总数指标“T09”无效",
        "第4行：代码和名称不能为空",
        "第4行：所属总数指标“T07”无效",
    ]
    assert catalogue() == before


@pytest.mark.django_db
def test_it_loads_the_activity_types_with_the_indicators_they_fill():
    mappings = set(
        ActivityTypeIndicator.objects.filter(activity_type__name="宣讲会").values_list("indicator__code", "source")
    )

    assert mappings == {("P02", ActivitySource.COUNT), ("P06", ActivitySource.PARTICIPANTS)}
    assert ActivityType.objects.count() == ACTIVITY_TYPES
    assert ActivityTypeIndicator.objects.count() == MAPPINGS
    assert list(ActivityType.objects.values_list("name", flat=True)[:2]) == ["入户走访", "宣讲会"]
    assert not ActivityType.objects.get(name="结对认亲").mappings.exists()
    visits = ActivityType.objects.get(name="走访慰问困难群众").mappings.get()
    assert (visits.indicator.code, visits.source) == ("S04", ActivitySource.HOUSEHOLDS)


@pytest.mark.django_db
def test_it_adds_no_activity_type_twice_and_keeps_the_admins_mappings():
    talks = ActivityType.objects.get(name="宣讲会")
    talks.mappings.filter(indicator__code="P06").update(source=ActivitySource.HOUSEHOLDS)

    result = activity_type_import_csv()

    assert result.created == 0
    assert ActivityType.objects.count() == ACTIVITY_TYPES
    assert ActivityTypeIndicator.objects.count() == MAPPINGS
    assert talks.mappings.get(indicator__code="P06").source == ActivitySource.HOUSEHOLDS


@pytest.mark.django_db
def test_it_refuses_activity_types_that_name_a_missing_indicator(tmp_path):
    path: Path = tmp_path / "activity_types.csv"
    path.write_text("name,indicator,source\n护边巡逻,T09,count\n宣讲会,P02,minutes\n", encoding="utf-8")

    with pytest.raises(ValidationError) as caught:
        activity_type_import_csv(path=path)

    assert caught.value.messages == [
        "第2行：指标“T09”不存在或取值方式“count”无效",
        "第3行：指标“P02”不存在或取值方式“minutes”无效",
    ]
    assert not ActivityType.objects.filter(name="护边巡逻").exists()
