"""Indicator catalogue pages (指标目录): the region admin adds, edits, retires and reorders indicators; everybody
else (the county admin of 堆龙德庆区, the leader of the team in 南嘎居委会, the auditor, the outsider) is refused."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from reports.models import Indicator
from tests.factories import BatchFactory, MonthlyReportFactory, ReportValueFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _early_march(time_machine, batch):
    time_machine.move_to(datetime.datetime(2026, 3, 3, 10, 0, tzinfo=datetime.UTC), tick=False)


def html(response) -> str:
    return response.content.decode()


def order(*codes: str) -> list[str]:
    rows = Indicator.objects.filter(code__in=codes).order_by("sort_order", "code")
    return list(rows.values_list("code", flat=True))


def test_it_lists_the_catalogue_by_duty_with_its_retired_indicators_marked(client, region_admin, batch):
    ninth = BatchFactory(number=9)
    Indicator.objects.filter(code="H06").update(active_until_batch=ninth)
    client.force_login(region_admin)

    page = html(client.get(reverse("reports:indicator_list")))

    for title in ("政策讲解员 · 宣传教育", "群众贴心人 · 惠农政策", "稳定团结"):
        assert title in page
    row = page.split('id="indicator-H06"')[1].split("</tr>")[0]
    assert "已停用" in row and "至第9批" in row
    assert "已停用" not in page.split('id="indicator-H05"')[1].split("</tr>")[0]
    d10 = page.split('id="indicator-D10"')[1].split("</tr>")[0]
    assert "D09" in d10 and "名" in d10
    assert "金额（元）" in page.split('id="indicator-E04"')[1].split("</tr>")[0]
    assert "取最新值" in page.split('id="indicator-F04"')[1].split("</tr>")[0]


def test_it_keeps_the_catalogue_pages_for_region_admins(
    client, county_admin, nanga_leader, auditor, outsider, region_admin
):
    urls = [
        reverse("reports:indicator_list"),
        reverse("reports:indicator_create"),
        reverse("reports:indicator_update", args=["P01"]),
        reverse("reports:indicator_retire", args=["P01"]),
    ]
    for user in (county_admin, nanga_leader, auditor, outsider):
        client.force_login(user)
        for url in urls:
            assert client.get(url).status_code == 403, (user, url)
        assert client.post(reverse("reports:indicator_move"), {"code": "P02", "direction": "up"}).status_code == 403
        response = client.post(reverse("reports:indicator_create"), {"code": "Z01", "name": "x", "unit": "次"})
        assert response.status_code == 403
    assert order("P01", "P02") == ["P01", "P02"] and not Indicator.objects.filter(code="Z01").exists()
    client.force_login(region_admin)
    for url in urls:
        assert client.get(url).status_code == 200, url


def test_it_adds_an_indicator_at_the_end(client, region_admin):
    client.force_login(region_admin)
    last = Indicator.objects.order_by("-sort_order").first()

    response = client.post(
        reverse("reports:indicator_create"),
        {
            "code": "T05",
            "category": "stability",
            "name": "护边巡逻",
            "unit": "次",
            "value_type": "integer",
            "time_aggregation": "sum",
            "part_of": "",
            "active_from_batch": "",
            "active_until_batch": "",
        },
    )

    assert response.status_code == 302 and response["Location"].endswith("#indicator-T05")
    indicator = Indicator.objects.get(code="T05")
    assert (indicator.name, indicator.category, indicator.sort_order) == ("护边巡逻", "stability", last.sort_order + 10)


def test_it_refuses_an_indicator_that_is_part_of_itself_and_keeps_the_input(client, region_admin):
    client.force_login(region_admin)
    d09 = Indicator.objects.get(code="D09")

    response = client.post(
        reverse("reports:indicator_update", args=["D09"]),
        {
            "code": "D09",
            "category": d09.category,
            "name": "新名称",
            "unit": d09.unit,
            "value_type": d09.value_type,
            "time_aggregation": d09.time_aggregation,
            "part_of": Indicator.objects.get(code="D10").pk,
        },
    )

    assert response.status_code == 200
    assert "“其中”关系不能互相包含。" in html(response) and 'value="新名称"' in html(response)
    assert Indicator.objects.get(code="D09").name == d09.name


def test_it_keeps_the_code_of_an_indicator_in_use(client, region_admin, nanga_team):
    ReportValueFactory(
        report=MonthlyReportFactory(team=nanga_team), indicator=Indicator.objects.get(code="P01"), value=Decimal(3)
    )
    p01 = Indicator.objects.get(code="P01")
    client.force_login(region_admin)

    response = client.post(
        reverse("reports:indicator_update", args=["P01"]),
        {
            "code": "P01A",
            "category": p01.category,
            "name": "入户宣传（户次）",
            "unit": p01.unit,
            "value_type": p01.value_type,
            "time_aggregation": p01.time_aggregation,
        },
    )

    page = html(response)
    assert "已有月报使用该指标，不能修改代码" in page.split('name="code"')[1].split("</div>")[0]
    assert Indicator.objects.filter(code="P01", name="入户宣传").exists()

    response = client.post(
        reverse("reports:indicator_update", args=["P01"]),
        {
            "code": "P01",
            "category": p01.category,
            "name": "入户宣传（户次）",
            "unit": p01.unit,
            "value_type": p01.value_type,
            "time_aggregation": p01.time_aggregation,
        },
    )
    assert response.status_code == 302
    assert Indicator.objects.get(code="P01").name == "入户宣传（户次）"


def test_it_retires_an_indicator_after_a_chosen_batch(client, region_admin, batch):
    eleventh = BatchFactory(number=11)
    client.force_login(region_admin)
    page = html(client.get(reverse("reports:indicator_retire", args=["H06"])))
    assert f'<option value="{batch.pk}" selected>' in page

    response = client.post(reverse("reports:indicator_retire", args=["H06"]), {"last_batch": batch.pk})

    assert response.status_code == 302
    assert Indicator.objects.get(code="H06").active_until_batch == batch
    listing = html(client.get(reverse("reports:indicator_list")))
    row = listing.split('id="indicator-H06"')[1].split("</tr>")[0]
    assert "至第10批" in row and "已停用" not in row  # still asked for in the current batch
    assert eleventh.number == 11


def test_it_moves_an_indicator_within_its_duty(client, region_admin):
    client.force_login(region_admin)

    response = client.post(reverse("reports:indicator_move"), {"code": "P02", "direction": "up"})

    assert response.status_code == 302 and response["Location"].endswith("#indicator-P02")
    assert order("P01", "P02", "P03") == ["P02", "P01", "P03"]
    client.post(reverse("reports:indicator_move"), {"code": "P02", "direction": "down"})
    assert order("P01", "P02", "P03") == ["P01", "P02", "P03"]
    # The first of a duty stays first: it does not jump into the duty above.
    client.post(reverse("reports:indicator_move"), {"code": "D01", "direction": "up"})
    assert order("P06", "D01") == ["P06", "D01"]
    page = html(client.get(reverse("reports:indicator_list")))
    assert 'aria-label="上移 P01" disabled' in page


def test_it_answers_404_to_an_unknown_indicator(client, region_admin):
    client.force_login(region_admin)

    assert client.get(reverse("reports:indicator_update", args=["NOPE"])).status_code == 404
    assert client.post(reverse("reports:indicator_move"), {"code": "NOPE", "direction": "up"}).status_code == 404
