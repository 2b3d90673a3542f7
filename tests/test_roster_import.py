"""The cadre roster import. The county admin of 堆龙德庆区 fills the template and uploads it: every row is checked, and
either all rows are imported (through the teams services, in one transaction) or none, with every error by row and
column on the page, in the API's 400 and in a copy of the workbook with the bad cells marked.

The county already has the 统计局 team in 南嘎居委会 (a 队长, a 第一书记, two 队员); 桑木居委会's team is new."""

import datetime
from io import BytesIO

import pytest
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from exports.models import RosterImport
from exports.roster import MAX_ROWS, roster_import, roster_template
from teams.choices import AssignmentRole
from teams.models import Assignment, Cadre, WorkTeam
from tests.factories import DispatchingUnitFactory, api, id_number
from villages.models import Area

pytestmark = pytest.mark.django_db
IMPORTS = "/api/v1/roster-imports/"
HEADERS = [
    "序号",
    "乡镇（街道）",
    "村（居）",
    "派驻单位",
    "姓名",
    "性别",
    "民族",
    "身份证号",
    "手机号码",
    "政治面貌",
    "学历",
    "所在单位",
    "职务",
    "职级",
    "队内职务",
    "到岗日期",
]


@pytest.fixture(autouse=True)
def _setting(settings, tmp_path, time_machine):
    settings.MEDIA_ROOT = tmp_path
    time_machine.move_to(datetime.datetime(2026, 1, 10, 10, 0, tzinfo=datetime.UTC), tick=False)


@pytest.fixture
def unit(db):
    return DispatchingUnitFactory(name="拉萨市人民医院")


@pytest.fixture
def sangmu(doilungdeqen) -> Area:
    """A village of 堆龙德庆区 with no team yet."""
    return Area.objects.filter(code__startswith="540103", level="village").exclude(code="540103001002").first()


def person(serial: int, *, male: bool = True) -> str:
    return id_number(area="540103", birth=datetime.date(1988, 3, 1), serial=800 + serial, male=male)


def row(village: str, name: str, serial: int, role: str = "队员", *, unit: str = "", male: bool = True, extra=None):
    values = {
        "村（居）": village,
        "派驻单位": unit,
        "姓名": name,
        "性别": "男" if male else "女",
        "身份证号": person(serial, male=male),
        "手机号码": f"139{serial:08d}",
        "队内职务": role,
    }
    values.update(extra or {})
    return values


def workbook_bytes(rows: list[dict], *, county=None, headers: list[str] | None = None) -> bytes:
    """The template (with its example row, which is not imported) filled with `rows` from row 3."""
    if headers is None:
        workbook = load_workbook(BytesIO(roster_template(county=county)))
        sheet = workbook["干部花名册"]
        headers = HEADERS
        first = 3
    else:
        workbook = Workbook()
        sheet = workbook.active
        for column, header in enumerate(headers, start=1):
            sheet.cell(1, column, header)
        first = 2
    for offset, values in enumerate(rows):
        for header, value in values.items():
            sheet.cell(first + offset, headers.index(header) + 1, value)
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(user, data: bytes, *, county="540103", batch=None):
    return roster_import(user=user, county=county, batch=batch, file_name="花名册.xlsx", data=data)


def messages(outcome) -> list[tuple]:
    return [(error.row, error.column, error.message) for error in outcome.errors]


# -- a good file ------------------------------------------------------------------------------------------------------


def test_it_imports_a_good_file_through_the_services(county_admin, nanga_team, sangmu, unit, batch):
    rows = [
        row(sangmu.name, "次仁多吉", 1, "队长", unit=unit.name, extra={"职务": "副主任医师", "到岗日期": "2026-01-15"}),
        row(sangmu.name, "央金", 2, "第一书记", male=False),
        row("南嘎居委会", "格桑旺堆", 3, extra={"乡镇（街道）": "东嘎街道", "学历": "大学本科"}),
    ]

    outcome = upload(county_admin, workbook_bytes(rows, county=nanga_team.village.parent.parent), batch=batch)

    assert outcome.ok, messages(outcome)
    record = outcome.record
    assert (record.status, record.rows, record.cadres_created, record.teams_created, record.assignments_created) == (
        "imported",
        3,
        3,
        1,
        3,
    )
    team = WorkTeam.objects.get(batch=batch, village=sangmu)
    assert team.unit == unit and team.name == f"拉萨市人民医院驻{sangmu.name}工作队"
    leader = Assignment.objects.get(team=team, role=AssignmentRole.LEADER)
    assert leader.cadre.name == "次仁多吉" and leader.start_date == datetime.date(2026, 1, 15)
    assert leader.cadre.post == "副主任医师" and leader.cadre.home_unit == unit
    assert leader.cadre.birth_date == datetime.date(1988, 3, 1)
    gesang = Cadre.objects.get(id_number=person(3))
    assert gesang.area_id == "540103" and gesang.education == "bachelor" and gesang.ethnicity == "藏族"
    assert gesang.assignments.get().team == nanga_team
    # The services wrote the change history in the importer's name.
    assert gesang.history.first().history_user == county_admin


# -- bad files: nothing imported, every error by row and column ------------------------------------------------------


def test_it_imports_nothing_when_one_row_among_many_is_bad_and_marks_it(county_admin, nanga_team, sangmu, unit, batch):
    rows = [row(sangmu.name, "次仁", 1, "队长", unit=unit.name)]
    rows += [row(sangmu.name, f"队员{index}", 10 + index) for index in range(30)]
    rows[17]["身份证号"] = rows[17]["身份证号"][:-1] + ("0" if rows[17]["身份证号"][-1] != "0" else "1")
    cadres, teams = Cadre.objects.count(), WorkTeam.objects.count()

    outcome = upload(county_admin, workbook_bytes(rows), batch=batch)

    assert messages(outcome) == [(20, "身份证号", "身份证号校验位错误，请核对。")]
    assert (Cadre.objects.count(), WorkTeam.objects.count()) == (cadres, teams)
    record = outcome.record
    assert record.status == "rejected" and record.rows == 31 and record.cadres_created == 0
    with record.marked_file.open("rb") as file:
        marked = load_workbook(BytesIO(file.read()))["干部花名册"]
    cell = marked.cell(20, HEADERS.index("身份证号") + 1)
    assert cell.fill.fgColor.rgb.endswith("FFC7CE")
    assert "校验位" in cell.comment.text
    assert marked.cell(19, HEADERS.index("身份证号") + 1).comment is None


def test_it_lists_every_error_of_every_row(county_admin, nanga_team, sangmu, batch):
    rows = [
        {"村（居）": "不存在村", "姓名": "", "性别": "男女", "身份证号": "123", "队内职务": "组长", "手机号码": "123"},
        row(sangmu.name, "扎西", 1, unit="没有这个单位", extra={"到岗日期": "2027-05-01", "政治面貌": "党员"}),
    ]

    outcome = upload(county_admin, workbook_bytes(rows), batch=batch)

    assert messages(outcome) == [
        (3, "村（居）", "堆龙德庆区没有名为“不存在村”的村（居）。"),
        (3, "姓名", "请填写姓名。"),
        (3, "性别", "性别应为“男”或“女”。"),
        (3, "身份证号", "身份证号应为18位，前17位为数字，最后一位为数字或X。"),
        (3, "手机号码", "手机号码应为以1开头的11位数字。"),
        (3, "队内职务", "队内职务应为“队长”“第一书记”或“队员”。"),
        (4, "派驻单位", "没有名为“没有这个单位”的派驻单位，请按系统中的单位名称填写。"),
        (4, "政治面貌", "政治面貌应为：中共党员、中共预备党员、共青团员、民主党派、群众。"),
        (4, "队内职务", "该村（居）将新建工作队，须有一名队长。"),
        (4, "到岗日期", "到岗日期应在第十批期间（2025-11-01至2026-10-31）。"),
    ]


def test_it_refuses_duplicates_within_the_file_and_against_the_database(county_admin, nanga_team, batch):
    registered = nanga_team.assignments.first().cadre
    rows = [row("南嘎居委会", "格桑旺堆", 1), row("南嘎居委会", "格桑旺堆", 1), row("南嘎居委会", "达瓦", 2)]
    rows[2]["身份证号"] = registered.id_number
    rows[2]["性别"] = registered.get_gender_display()

    outcome = upload(county_admin, workbook_bytes(rows), batch=batch)

    assert messages(outcome) == [
        (4, "身份证号", "身份证号与第3行重复。"),
        (5, "身份证号", "该身份证号已登记。干部跨批次再次选派时，请在工作队页面选派已有干部，不要重复导入。"),
    ]


def test_it_refuses_villages_of_another_county(county_admin, nanga_team, naipu, batch):
    outcome = upload(county_admin, workbook_bytes([row(naipu.code, "扎西", 1)]), batch=batch)

    assert messages(outcome) == [
        (3, "村（居）", "代码540622202218不是堆龙德庆区的村（居），只能导入本县（区）的干部。")
    ]


def test_it_refuses_another_countys_roster_altogether(county_admin, batch):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        upload(county_admin, workbook_bytes([row("耐普村", "扎西", 1)]), county="540622", batch=batch)


def test_it_keeps_one_leader_and_one_first_secretary_per_team(county_admin, nanga_team, sangmu, unit, batch):
    rows = [
        row("南嘎居委会", "扎西", 1, "队长"),  # 南嘎 has its 队长
        row(sangmu.name, "次仁", 2, "队长", unit=unit.name),
        row(sangmu.name, "达瓦", 3, "队长"),
        row(sangmu.name, "央金", 4, "第一书记", male=False),
        row(sangmu.name, "卓玛", 5, "第一书记", male=False),
    ]

    outcome = upload(county_admin, workbook_bytes(rows), batch=batch)

    assert messages(outcome) == [
        (3, "队内职务", "该工作队已有在任队长，不能再导入队长。"),
        (5, "队内职务", "同一工作队只能有一名队长（已在第4行）。"),
        (7, "队内职务", "同一工作队只能有一名第一书记（已在第6行）。"),
    ]


def test_it_checks_gender_against_the_id_number(county_admin, nanga_team, batch):
    wrong = row("南嘎居委会", "卓玛", 1)
    wrong["性别"] = "女"  # the number says male

    outcome = upload(county_admin, workbook_bytes([wrong]), batch=batch)

    assert messages(outcome) == [(3, "性别", "性别与身份证号不符（第17位奇数为男、偶数为女）。")]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "文件是空的。"),
        (b"name,id\n\xe6\x89\x8e\xe8\xa5\xbf,1\n", "无法读取该文件：请上传由模板填写的 Excel 工作簿（.xlsx）。"),
        (b"%PDF-1.4 not a workbook", "无法读取该文件：请上传由模板填写的 Excel 工作簿（.xlsx）。"),
    ],
)
def test_it_refuses_a_file_that_is_not_a_workbook(county_admin, batch, data, message):
    outcome = upload(county_admin, data, batch=batch)

    assert messages(outcome) == [(None, None, message)]
    assert not outcome.record.marked_file


def test_it_refuses_a_template_without_rows(county_admin, batch):
    outcome = upload(county_admin, roster_template(), batch=batch)

    assert messages(outcome) == [(None, None, "文件中没有数据行。")]


def test_it_refuses_wrong_headers(county_admin, batch):
    data = workbook_bytes([{"名字": "扎西", "身份证": "540103"}], headers=["名字", "身份证", "性别"])

    outcome = upload(county_admin, data, batch=batch)

    assert messages(outcome) == [
        (1, "名字", "无法识别的表头“名字”，请使用导入模板。"),
        (1, "身份证", "无法识别的表头“身份证”，请使用导入模板。"),
        (1, None, "缺少必填列：村（居）、姓名、身份证号、队内职务。请使用导入模板。"),
    ]


def test_it_refuses_a_file_above_the_row_limit(county_admin, nanga_team, batch):
    rows = [row("南嘎居委会", f"干部{index}", index) for index in range(MAX_ROWS + 1)]
    cadres = Cadre.objects.count()

    outcome = upload(county_admin, workbook_bytes(rows), batch=batch)

    assert messages(outcome) == [(None, None, "数据超过1,000行，请分批导入（每次最多1,000行）。")]
    assert Cadre.objects.count() == cadres


# -- the API ----------------------------------------------------------------------------------------------------------


def test_it_answers_201_with_the_counts(county_admin, nanga_team, batch):
    data = workbook_bytes([row("南嘎居委会", "格桑旺堆", 1)])
    file = BytesIO(data)
    file.name = "花名册.xlsx"

    response = api(county_admin).post(IMPORTS, {"file": file, "batch": batch.pk}, format="multipart")

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["rows"], body["cadres_created"], body["assignments_created"]) == ("imported", 1, 1, 1)
    assert body["errors"] == [] and body["county"] == "540103"


def test_it_answers_400_with_every_error_and_the_marked_workbook(county_admin, nanga_team, batch):
    file = BytesIO(workbook_bytes([row("南嘎居委会", "格桑旺堆", 1), row("南嘎居委会", "", 2)]))
    file.name = "花名册.xlsx"
    client = api(county_admin)

    response = client.post(IMPORTS, {"file": file, "batch": batch.pk}, format="multipart")

    assert response.status_code == 400
    body = response.json()
    assert body["errors"] == [{"row": 4, "column": "姓名", "message": "请填写姓名。"}]
    assert not Cadre.objects.filter(name="格桑旺堆").exists()
    marked = client.get(body["marked_file_url"])
    assert marked.status_code == 200
    content = b"".join(marked.streaming_content)
    assert load_workbook(BytesIO(content))["干部花名册"]["E4"].comment.text == "请填写姓名。"
    assert client.get(f"{IMPORTS}{body['id']}/").json()["status"] == "rejected"


def test_it_refuses_an_upload_above_5_mb(county_admin, batch):
    file = BytesIO(b"0" * (5 * 1024 * 1024 + 1))
    file.name = "big.xlsx"

    response = api(county_admin).post(IMPORTS, {"file": file}, format="multipart")

    assert response.status_code == 400
    assert response.json() == {"file": ["文件超过5 MB，请分批导入。"]}


def test_it_keeps_imports_from_auditors_and_other_counties(auditor, county_admin, outsider, nanga_team, batch):
    file = BytesIO(workbook_bytes([row("南嘎居委会", "格桑旺堆", 1)]))
    file.name = "x.xlsx"

    assert api(auditor).post(IMPORTS, {"file": file}, format="multipart").status_code == 403
    file.seek(0)
    other = api(county_admin).post(IMPORTS, {"file": file, "county": "540622"}, format="multipart")
    assert other.status_code == 403
    record = upload(county_admin, workbook_bytes([row("南嘎居委会", "", 1)]), batch=batch).record
    assert api(outsider).get(f"{IMPORTS}{record.pk}/").status_code == 404
    assert api(outsider).get(f"{IMPORTS}{record.pk}/marked/").status_code == 404


def test_it_serves_the_template_with_lists_and_an_example_row(county_admin):
    response = api(county_admin).get(f"{IMPORTS}template/")

    assert response.status_code == 200
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    workbook = load_workbook(BytesIO(response.content))
    sheet = workbook["干部花名册"]
    assert [cell.value for cell in sheet[1]] == HEADERS
    assert sheet["A2"].value == "示例"
    validations = sheet.data_validations.dataValidation
    lists = {str(validation.sqref).split(":")[0]: validation.formula1 for validation in validations}
    assert lists["F2"] == '"男,女"'
    assert lists["O2"] == '"第一书记,队长,队员"'
    assert sheet["H3"].number_format == "@"  # ID numbers typed as text keep their digits
    villages = workbook["本县村居"]
    assert ("东嘎街道", "南嘎居委会", "540103001002") in set(villages.iter_rows(min_row=2, values_only=True))
    assert api(county_admin).get(f"{IMPORTS}template/", {"county": "540622"}).status_code == 404


# -- the pages -------------------------------------------------------------------------------------------------------


def test_it_imports_from_the_page_and_shows_the_result(client, county_admin, nanga_team, batch):
    client.force_login(county_admin)
    file = BytesIO(workbook_bytes([row("南嘎居委会", "格桑旺堆", 1)]))
    file.name = "花名册.xlsx"

    response = client.post(
        reverse("exports:roster_import"), {"county": "540103", "batch": batch.pk, "file": file}, follow=True
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "导入成功：1行，新增干部1人、任职1条。" in html
    assert "已导入1行" in html


def test_it_shows_every_error_by_row_and_column_on_the_page(client, county_admin, nanga_team, batch):
    client.force_login(county_admin)
    file = BytesIO(workbook_bytes([row("南嘎居委会", "格桑旺堆", 1), row("南嘎居委会", "格桑旺堆", 1)]))
    file.name = "花名册.xlsx"

    response = client.post(
        reverse("exports:roster_import"), {"county": "540103", "batch": batch.pk, "file": file}, follow=True
    )

    html = response.content.decode()
    record = RosterImport.objects.get()
    assert "未导入：发现1处错误" in html
    cells = '<td class="numeric">4</td><td class="nowrap">身份证号</td><td class="wrap">身份证号与第3行重复。</td>'
    assert cells in html
    assert reverse("exports:roster_marked", args=[record.pk]) in html
    assert not Cadre.objects.filter(name="格桑旺堆").exists()


def test_it_keeps_the_import_page_from_auditors(client, auditor):
    client.force_login(auditor)

    assert client.get(reverse("exports:roster_import")).status_code == 403
