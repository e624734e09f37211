"""The queue's export in a real browser: the community filters its queue, clicks 导出 CSV and
导出 Excel, and the files hold exactly the rows the filters list, with Chinese headers, a
byte-order mark on the CSV and no personal data."""

import csv
import io

import openpyxl
import pytest
from playwright.sync_api import expect

from cases.models import Case
from tests.browser.test_console import as_user, file  # noqa: F401 (as_user is a fixture)

pytestmark = pytest.mark.django_db(transaction=True)

PHONE_IN_TEXT = "13912345678"


def download(page, selector: str) -> bytes:
    with page.expect_download() as started:
        page.click(selector)
    return open(started.value.path(), "rb").read()


def test_the_community_exports_its_filtered_queue_as_csv_and_excel(as_user, live_server, demo):  # noqa: F811, E501
    description = f"李大爷反映，电话{PHONE_IN_TEXT}"
    road = file("0502", "道路破损", description=description)
    file("0502", "人行道破损", description=description)
    file("0501", "公交站点设置不合理", description=description)
    page = as_user("community")
    page.goto(f"{live_server.url}/console/cases/")
    expect(page.locator("tr[data-case]")).to_have_count(3)

    page.select_option("#id_category", "05")
    page.fill("#id_q", "道路")
    page.click("#queue-filters button[type=submit]")
    expect(page.locator("tr[data-case]")).to_have_count(1)
    href = page.locator("[data-export='csv']").get_attribute("href")
    assert href.startswith("/console/cases/export/?format=csv&")
    assert "category=05" in href
    assert "q=%E9%81%93%E8%B7%AF" in href  # 道路: the buttons carry the queue's query

    body = download(page, "[data-export='csv']")
    assert body.startswith("\ufeff".encode())
    text = body.decode("utf-8-sig")
    header, *rows = [
        [cell.removeprefix("\t") for cell in row] for row in csv.reader(io.StringIO(text))
    ]
    assert header[:4] == ["事件编号", "标题", "类别", "状态"]
    assert [(row[0], row[1]) for row in rows] == [(road.number, "道路破损")]
    for personal in ("王秀英", "李大爷", PHONE_IN_TEXT):
        assert personal not in text

    book = openpyxl.load_workbook(io.BytesIO(download(page, "[data-export='xlsx']")))
    sheet = [
        ["" if value is None else str(value) for value in line]
        for line in book.worksheets[0].iter_rows(values_only=True)
    ]
    assert sheet == [header, *rows]
    assert Case.objects.count() == 3
