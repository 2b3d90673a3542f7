"""The area tree: the real Tibet import, its idempotency, the subtree-is-a-prefix rule and its constraints."""

from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from reports.models import ActivityType, Indicator
from villages.choices import AreaLevel, VillageKind
from villages.models import Area
from villages.services import ImportResult, area_import_csv

TIBET_AREAS = 6371
HEADER = "code,name,level,parent_code\n"


def snapshot() -> list[tuple]:
    return list(Area.objects.order_by("code").values_list("code", "name", "level", "parent_id", "kind", "is_border"))


def write_csv(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "divisions.csv"
    path.write_text(HEADER + body, encoding="utf-8")
    return path


@pytest.mark.django_db
def test_it_loads_the_whole_region_down_to_every_village():
    counts = {level: Area.objects.filter(level=level).count() for level in AreaLevel.values}

    assert counts == {
        AreaLevel.PROVINCE: 1,
        AreaLevel.PREFECTURE: 7,
        AreaLevel.COUNTY: 78,
        AreaLevel.TOWNSHIP: 705,
        AreaLevel.VILLAGE: 5580,
    }
    assert Area.objects.count() == TIBET_AREAS


@pytest.mark.django_db
def test_it_changes_nothing_on_a_second_import():
    before = snapshot()

    result = area_import_csv()

    assert result == ImportResult(created=0, updated=0, unchanged=TIBET_AREAS)
    assert str(result) == "新增 0，更新 0，未变 6371"
    assert snapshot() == before


@pytest.mark.django_db
def test_it_restores_a_renamed_area_but_keeps_the_flags_the_admins_maintain(naipu):
    """The file owns names and the tree; border flags, households and population belong to the admins."""
    Area.objects.filter(code=naipu.code).update(name="耐普新村", is_border=True, households=128, population=560)

    result = area_import_csv()

    assert result == ImportResult(created=0, updated=1, unchanged=TIBET_AREAS - 1)
    naipu.refresh_from_db()
    assert naipu.name == "耐普村"
    assert (naipu.is_border, naipu.households, naipu.population) == (True, 128, 560)


@pytest.mark.django_db
def test_it_places_the_named_villages_under_their_real_parents(nanga, naipu):
    assert (nanga.name, nanga.level, nanga.parent_id, nanga.kind) == (
        "南嘎居委会",
        AreaLevel.VILLAGE,
        "540103001",
        VillageKind.RESIDENTS_COMMITTEE,
    )
    assert nanga.get_kind_display() == "居委会"
    assert [nanga.parent.name, nanga.parent.parent.name, nanga.parent.parent.parent.name] == [
        "东嘎街道",
        "堆龙德庆区",
        "拉萨市",
    ]
    assert (naipu.name, naipu.parent_id, naipu.kind) == ("耐普村", "540622202", VillageKind.VILLAGE_COMMITTEE)
    assert naipu.get_kind_display() == "村委会"
    assert naipu.parent.parent.name == "比如县"
    assert (naipu.county_code, naipu.prefecture_code) == ("540622", "5406")


@pytest.mark.django_db
def test_it_gives_every_area_but_the_region_a_parent_one_level_up():
    parent_levels = dict(
        Area.objects.exclude(level=AreaLevel.PROVINCE).values_list("level", "parent__level").distinct()
    )

    assert parent_levels == {
        AreaLevel.PREFECTURE: AreaLevel.PROVINCE,
        AreaLevel.COUNTY: AreaLevel.PREFECTURE,
        AreaLevel.TOWNSHIP: AreaLevel.COUNTY,
        AreaLevel.VILLAGE: AreaLevel.TOWNSHIP,
    }
    assert list(Area.objects.filter(parent__isnull=True).values_list("code", flat=True)) == ["54"]


@pytest.mark.django_db
def test_it_finds_a_county_subtree_by_its_code_prefix(doilungdeqen):
    children: dict[str, list[str]] = {}
    for code, parent in Area.objects.values_list("code", "parent_id"):
        children.setdefault(parent, []).append(code)
    descendants, todo = {doilungdeqen.code}, [doilungdeqen.code]
    while todo:
        for child in children.get(todo.pop(), []):
            descendants.add(child)
            todo.append(child)

    subtree = set(Area.objects.within("540103").values_list("code", flat=True))

    assert subtree == descendants
    assert "540103001002" in subtree
    assert "540102" not in subtree
    assert Area.objects.within("540103").filter(level=AreaLevel.COUNTY).get() == doilungdeqen
    assert (
        Area.objects.within("540103").villages().count()
        == Area.objects.filter(level=AreaLevel.VILLAGE, parent__parent=doilungdeqen).count()
    )


@pytest.mark.django_db
def test_it_adds_the_new_rows_of_a_file_and_leaves_the_rest_alone(tmp_path):
    path = write_csv(
        tmp_path,
        "54,西藏自治区,province,\n5401,拉萨市,prefecture,54\n540199,测试新区,county,5401\n"
        "540199001,测试街道,township,540199\n540199001001,测试社区,village,540199001\n",
    )

    result = area_import_csv(path=path)

    assert result == ImportResult(created=3, updated=0, unchanged=2)
    assert Area.objects.count() == TIBET_AREAS + 3
    village = Area.objects.get(code="540199001001")
    assert (village.parent_id, village.kind) == ("540199001", VillageKind.RESIDENTS_COMMITTEE)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("541,测试地区,prefecture,54", "第3行：代码“541”与层级不符"),
        ("54010,测试县,county,5401", "第3行：代码“54010”与层级不符"),
        ("540299,测试县,county,5401", "第3行：代码“540299”不以上级代码“5401”开头"),
        ("540199001001,测试村,village,", "第3行：代码“540199001001”不以上级代码“”开头"),
        ("540199,测试县,city,5401", "第3行：层级“city”无效"),
        ("548801,测试县,county,5488", "上级代码不存在：5488"),
    ],
    ids=["short-code", "code-between-levels", "not-under-parent", "no-parent", "unknown-level", "missing-parent"],
)
def test_it_refuses_a_file_with_a_bad_row_and_writes_nothing(tmp_path, row, message):
    before = snapshot()
    # A good new row before the bad one: it must not be written either.
    path = write_csv(tmp_path, f"5499,测试地区,prefecture,54\n{row}\n54,西藏自治区,province,\n")

    with pytest.raises(ValidationError) as caught:
        area_import_csv(path=path)

    assert message in caught.value.messages
    assert snapshot() == before
    assert not Area.objects.filter(code="5499").exists()


@pytest.mark.django_db
def test_it_reports_every_bad_row_at_once(tmp_path):
    path = write_csv(
        tmp_path, "54,西藏自治区,province,\n541,甲,prefecture,54\n540299,乙,county,5401\n54,丙,province,\n"
    )

    with pytest.raises(ValidationError) as caught:
        area_import_csv(path=path)

    assert caught.value.messages == [
        "第3行：代码“541”与层级不符",
        "第4行：代码“540299”不以上级代码“5401”开头",
        "第5行：代码“54”重复",
        "上级代码不存在：5401",
    ]


@pytest.mark.django_db
def test_it_refuses_a_code_whose_length_does_not_fit_the_level(region, violates):
    with violates("area_code_length_matches_level"):
        Area.objects.create(code="5499", name="测试村", level=AreaLevel.VILLAGE, parent=region)
    with violates("area_code_length_matches_level"):
        Area.objects.create(code="549", name="测试地区", level=AreaLevel.PREFECTURE, parent=region)

    Area.objects.create(code="5499", name="测试地区", level=AreaLevel.PREFECTURE, parent=region)

    assert Area.objects.get(code="5499").parent == region


@pytest.mark.django_db
def test_it_refuses_a_child_whose_code_does_not_start_with_its_parents(lhasa, violates):
    with violates("area_parent_is_prefix"):
        Area.objects.create(code="540299", name="测试县", level=AreaLevel.COUNTY, parent=lhasa)
    with violates("area_parent_is_prefix"):
        Area.objects.create(code="540299", name="测试县", level=AreaLevel.COUNTY, parent_id="5403")

    Area.objects.create(code="540199", name="测试县", level=AreaLevel.COUNTY, parent=lhasa)

    assert Area.objects.within("5401").filter(code="540199").exists()
    assert not Area.objects.filter(code="540299").exists()


@pytest.mark.django_db
def test_it_refuses_an_area_below_the_region_without_a_parent(violates):
    with violates("area_parent_is_prefix"):
        Area.objects.create(code="5499", name="无上级地区", level=AreaLevel.PREFECTURE)


@pytest.mark.django_db
def test_it_refuses_a_village_kind_or_border_flag_above_village_level(lhasa, violates):
    with violates("area_kind_only_for_villages"):
        Area.objects.create(code="540199", name="测试县", level=AreaLevel.COUNTY, parent=lhasa, kind="village")
    with violates("area_kind_only_for_villages"):
        Area.objects.create(code="540199", name="测试县", level=AreaLevel.COUNTY, parent=lhasa, is_border=True)

    assert not Area.objects.filter(code="540199").exists()


@pytest.mark.django_db
def test_it_explains_a_code_of_the_wrong_length_in_chinese_on_validation(region):
    area = Area(code="5499", name="测试村", level=AreaLevel.VILLAGE, parent=region, kind=VillageKind.VILLAGE_COMMITTEE)

    with pytest.raises(ValidationError) as caught:
        area.full_clean()

    assert "区划代码位数与层级不符（省2位、地4位、县6位、乡9位、村12位）。" in caught.value.messages


@pytest.mark.django_db
def test_it_explains_a_child_outside_its_parents_code_in_chinese_on_validation(lhasa):
    area = Area(code="540299", name="测试县", level=AreaLevel.COUNTY, parent=lhasa)

    with pytest.raises(ValidationError) as caught:
        area.full_clean()

    assert "下级区划代码必须以上级代码开头（只有省级区划没有上级）。" in caught.value.messages


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("run", ["first", "second"])
def test_it_has_the_whole_geography_in_every_transactional_test(run):
    """Guards the conftest: a transactional test commits and Django flushes every table after it, so the
    second run only passes if the geography was put back in between."""
    assert Area.objects.count() == TIBET_AREAS
    assert Indicator.objects.count() == 51
    assert ActivityType.objects.count() == 17
    Area.objects.filter(code="540622202218").update(households=100)  # committed: the flush must clean it up

    assert Area.objects.get(code="540622202218").households == 100
    assert not Area.objects.filter(households__isnull=False).exclude(code="540622202218").exists()


def test_it_hands_the_geography_back_to_tests_that_ask_for_it_explicitly(geography_transactional):
    assert geography_transactional.code == "54"
    assert Area.objects.within("540622").villages().exists()
