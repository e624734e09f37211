"""The queue's export (cases/console/export.py): the queue's filters and jurisdiction, a CSV
Excel reads as UTF-8, an XLSX with the same rows, no personal data, constant queries, a cap."""

import csv
import io

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from cases import services
from cases.console import export

pytestmark = pytest.mark.django_db

EXPORT = "/console/cases/export/"
REPORTER_NAME = "王秀英"  # grid1's full name in the demo: a person's name, never exported
PHONE = "13812345678"


@pytest.fixture
def signed_in(demo):
    def make(username: str) -> Client:
        client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
        client.force_login(get_user_model().objects.get(username=username))
        return client

    return make


@pytest.fixture
def road_cases(file_case):
    """Two road cases and a noise case in grid1's grid, described with a resident's phone."""
    description = f"张阿姨反映，电话{PHONE}"
    return [
        file_case("0101", title="路面破损一", description=description, address="12号301室"),
        file_case("0101", title="路面破损二", description=description),
        file_case("0501", title="公交站点设置不合理", description=description),
    ]


def read_csv(response) -> list[list[str]]:
    """The CSV's cells as Excel shows them: a leading tab keeps a long number (the case number)
    text in Excel rather than 2.02644E+17 (grid/exports.py), and is not part of the value."""
    body = b"".join(response.streaming_content)
    assert body.startswith("\ufeff".encode())
    rows = csv.reader(io.StringIO(body.decode("utf-8-sig")))
    return [[cell.removeprefix("\t") for cell in row] for row in rows]


def test_csv_has_a_bom_chinese_headers_and_only_the_filtered_rows(signed_in, road_cases):
    response = signed_in("community").get(EXPORT, {"format": "csv", "view": "area", "q": "路面"})

    assert response.status_code == 200
    assert response.streaming  # StreamingHttpResponse: written as it is read
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="cases-')
    table = read_csv(response)
    assert table[0][:4] == ["事件编号", "标题", "类别", "状态"]
    assert "牵头部门" in table[0]
    assert "满意度" in table[0]
    assert "超期" in table[0]
    assert sorted(row[1] for row in table[1:]) == ["路面破损一", "路面破损二"]
    numbers = {case.number for case in road_cases[:2]}
    assert {row[0] for row in table[1:]} == numbers


def test_the_export_carries_no_personal_data(signed_in, road_cases):
    response = signed_in("community").get(EXPORT, {"format": "csv", "view": "area"})

    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert len(list(csv.reader(io.StringIO(body)))) == 4
    for personal in (REPORTER_NAME, PHONE, "张阿姨", "301室"):
        assert personal not in body


def test_xlsx_opens_with_openpyxl_and_has_the_csv_rows(signed_in, road_cases):
    client = signed_in("community")
    query = {"view": "area", "category": "0101"}

    table = read_csv(client.get(EXPORT, {**query, "format": "csv"}))
    response = client.get(EXPORT, {**query, "format": "xlsx"})

    assert response.status_code == 200
    assert response["Content-Type"] == export.XLSX_TYPE
    book = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
    sheet = book.worksheets[0]
    cells = [
        ["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)
    ]
    assert cells == table
    assert len(cells) == 3


def test_times_are_shanghai_local_and_the_case_filters_apply(signed_in, road_cases, user):
    services.accept_case(road_cases[0], actor=user("grid1"))
    case = road_cases[0]
    case.refresh_from_db()

    response = signed_in("community").get(
        EXPORT, {"format": "csv", "view": "area", "status": "in_progress"}
    )

    header, *rows = read_csv(response)
    assert [row[0] for row in rows] == [case.number]
    row = dict(zip(header, rows[0], strict=True))
    local = case.accepted_at.astimezone(export.timezone.get_current_timezone())
    assert row["签收时间"] == local.strftime("%Y-%m-%d %H:%M")
    assert row["状态"] == "办理中"
    assert row["超期"] == "否"


def test_the_export_shows_only_what_the_user_may_see(signed_in, road_cases, make_user, demo):
    # The other street's worker sees none of 黄埔花园社区's cases, whatever the query says.
    from grid.models import Area, Post

    other_street = demo.children.exclude(pk=road_cases[0].grid.parent.parent_id).first()
    make_user("elsewhere", role=Post.Role.STREET_STAFF, area=other_street)
    assert Area.objects.filter(pk=other_street.pk).exists()

    response = signed_in("elsewhere").get(EXPORT, {"format": "csv", "view": "area"})

    assert read_csv(response)[1:] == []
    home = read_csv(signed_in("street").get(EXPORT, {"format": "csv", "view": "area"}))
    assert len(home) == 4


def _queries_for(client, query) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(EXPORT, query)
        b"".join(response.streaming_content)
    return len(captured)


def test_the_number_of_queries_does_not_grow_with_the_rows(signed_in, road_cases, file_case):
    client = signed_in("community")
    query = {"format": "csv", "view": "area"}
    few = _queries_for(client, query)
    for number in range(6):
        file_case("0101", title=f"更多路面破损{number}")

    many = _queries_for(client, query)

    assert many == few
    assert many <= 12


def test_more_rows_than_the_cap_are_refused_with_a_message(signed_in, road_cases, monkeypatch):
    monkeypatch.setattr(export, "MAX_ROWS", 2)

    response = signed_in("community").get(
        EXPORT, {"format": "xlsx", "view": "area", "urgency": "normal"}
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "一次最多导出 2 件" in page
    assert 'href="/console/cases/?view=area&amp;urgency=normal"' in page


def test_an_unknown_format_or_a_bad_filter_is_refused_with_the_reason(signed_in, road_cases):
    client = signed_in("community")

    unknown = client.get(EXPORT, {"format": "pdf", "view": "area"})
    bad_filter = client.get(EXPORT, {"format": "csv", "reported_from": "昨天"})

    assert unknown.status_code == 400
    assert "请选择 CSV 或 Excel" in unknown.content.decode()
    assert bad_filter.status_code == 400
    page = bad_filter.content.decode()
    assert "请先更正筛选条件" in page
    assert 'data-error-for="reported_from">上报时间起：' in page


def test_the_queue_offers_both_downloads_with_its_query(signed_in, road_cases):
    page = signed_in("community").get("/console/cases/", {"view": "area", "q": "路面"})

    html = page.content.decode()
    assert 'href="/console/cases/export/?format=csv&amp;view=area&amp;q=' in html
    assert 'href="/console/cases/export/?format=xlsx&amp;view=area&amp;q=' in html


def test_an_english_reader_gets_english_headers_and_labels_in_every_row(demo, road_cases):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(get_user_model().objects.get(username="community"))

    header, *rows = read_csv(client.get(EXPORT, {"format": "csv", "view": "area"}))

    assert header[:4] == ["case number", "title", "category", "status"]
    assert {row[3] for row in rows} == {"Waiting for acceptance"}
    assert {row[13] for row in rows} == {"No"}
