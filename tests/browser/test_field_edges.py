"""The field app's edges in a real browser: the connection line and the grid line follow the
network both ways, the form is clean after a report is sent, a refused location reads in
Chinese, dates read "12月5日 14:03", and 我的任务 opened offline says how old its copy is and
lists the reports this phone filed since."""

import re

import pytest
from playwright.sync_api import expect

from cases.models import Case
from tests.browser.conftest import wait_until
from tests.browser.test_field import make_jpeg, open_field_page

pytestmark = pytest.mark.django_db(transaction=True)

CHINESE_DATE = re.compile(r"\d{1,2}月\d{1,2}日 \d{2}:\d{2}")


@pytest.fixture
def grid1_phone(context, live_server, sign_in, home_grids):
    grid = home_grids[0]
    context.grant_permissions(["geolocation"], origin=live_server.url)
    context.set_geolocation(
        {"longitude": grid.centroid_lng, "latitude": grid.centroid_lat, "accuracy": 12}
    )
    sign_in(context, "grid1")
    return context


def test_the_connection_and_grid_lines_follow_the_network_both_ways(
    grid1_phone, page, live_server, home_grids
):
    open_field_page(page, live_server, "/field/report/")
    connection = page.locator("#connection")
    expect(connection).to_have_text("在线")
    expect(page.locator("#grid-status")).to_contain_text(home_grids[0].name)

    grid1_phone.set_offline(True)
    expect(connection).to_have_text("离线")
    expect(connection).to_have_attribute("data-state", "offline")
    page.click("#locate-again")  # the GPS answers offline; the grid waits for the network
    expect(page.locator("#grid-status")).to_have_text("当前离线：上传时将根据位置确定网格。")

    grid1_phone.set_offline(False)
    expect(connection).to_have_text("在线")
    expect(connection).to_have_attribute("data-state", "online")
    expect(page.locator("#grid-status")).to_have_text(f"网格：{home_grids[0].name}")


def test_the_form_is_clean_after_a_report_is_sent(grid1_phone, page, live_server, tmp_path):
    open_field_page(page, live_server, "/field/report/")
    hint = page.locator("#photo-note").inner_text()
    page.fill("#category-search", "垃圾")
    expect(page.locator("#category-list button[data-code='0501']")).to_have_count(0)
    page.click("#category-list button[data-code='0101']")
    page.fill("#report-title", "路边垃圾堆放")
    page.set_input_files("#photo-camera", make_jpeg(tmp_path / "site.jpg"))
    expect(page.locator("#photo-note")).to_contain_text("已准备 1 张照片")

    page.click("#report-submit")
    expect(page.locator("#outbox-sent")).to_have_text("1")

    assert Case.objects.get().title == "路边垃圾堆放"
    expect(page.locator("#report-title")).to_have_value("")
    expect(page.locator("#category-search")).to_have_value("")
    expect(page.locator("#category-chosen")).to_be_hidden()
    # The whole list again, not the one the last search narrowed.
    expect(page.locator("#category-list button[data-code='0501']")).to_have_count(1)
    expect(page.locator("#photo-note")).to_have_text(hint)
    expect(page.locator("#photo-grid img")).to_have_count(0)
    # Dates the Chinese way: the outbox's line and the last synchronisation.
    expect(page.locator("#outbox-list li[data-state='sent']")).to_contain_text(CHINESE_DATE)
    expect(page.locator("#sync-status")).to_contain_text(CHINESE_DATE)
    assert "/" not in page.locator("#outbox-list li[data-state='sent'] .small").inner_text()


def test_a_refused_location_is_explained_in_chinese(context, page, live_server, sign_in):
    context.clear_permissions()  # the user said no to the location prompt
    sign_in(context, "grid1")

    page.goto(live_server.url + "/field/report/")

    status = page.locator("#location-status")
    expect(status).to_have_text("未允许本网站获取位置：请在浏览器设置中允许定位，或手动选择网格。")
    assert "denied" not in status.inner_text().lower()


def test_my_tasks_offline_shows_the_copy_time_and_what_waits_to_be_sent(
    grid1_phone, page, live_server
):
    open_field_page(page, live_server, "/field/tasks/")
    expect(page.locator("#tasks-copy")).to_be_hidden()  # the news, not a copy
    page.goto(live_server.url + "/field/report/")
    expect(page.locator("#category-list button[data-code='0101']")).to_be_visible()

    grid1_phone.set_offline(True)
    page.click("#category-list button[data-code='0101']")
    page.fill("#report-title", "井盖缺失")
    page.click("#report-submit")
    expect(page.locator("#outbox-pending")).to_have_text("1")
    page.goto(live_server.url + "/field/tasks/")

    copy = page.locator("#tasks-copy")
    expect(copy).to_be_visible()
    expect(copy).to_have_text(re.compile(r"^离线副本，更新于 \d{1,2}月\d{1,2}日 \d{2}:\d{2}$"))
    queued = page.locator("#tasks-outbox [data-state='pending']")
    expect(queued).to_contain_text("井盖缺失")
    expect(queued).to_contain_text("待发送")
    assert wait_until(page, "!navigator.onLine")
