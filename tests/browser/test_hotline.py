"""The 12345 work order panel of a case's page in a real browser: the caller masked, then shown
for a purpose; the district signs for the order and returns it; the panel fits a phone."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from cases.models import Category
from governance.clients import register
from governance.models import ApiClient
from hotline import services
from hotline.models import CategoryMap
from tests.browser.conftest import fits_the_screen
from tests.browser.test_console import PHONE, as_user  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db(transaction=True)


def work_order(grid):
    client = ApiClient(name="12345热线", kind=ApiClient.Kind.HOTLINE)
    register(client)
    CategoryMap.objects.create(code="HL-0101", category=Category.objects.get(code="0101"))
    now = timezone.now()
    order, _created = services.receive_work_order(
        client=client,
        number="GZ12345-0001",
        category_code="HL-0101",
        content="小区门口垃圾堆积多日",
        lng=grid.centroid_lng,
        lat=grid.centroid_lat,
        caller_name="李秀兰",
        caller_phone="13812345678",
        due_at=now + timedelta(days=3),
        return_by=now + timedelta(hours=2),
    )
    return order


def test_the_district_reveals_the_caller_signs_and_returns_the_work_order(
    as_user,  # noqa: F811 (the fixture imported above)
    live_server,
    home_grids,
):
    order = work_order(home_grids[0])
    page = as_user("district")
    page.goto(f"{live_server.url}/console/cases/{order.case_id}/")

    panel = page.locator("[data-hotline-panel]")
    expect(panel.locator("[data-work-order]")).to_have_text("GZ12345-0001")
    expect(panel.locator("[data-caller]")).to_have_text("李** · 138****5678")

    panel.locator("summary", has_text="查看来电人完整信息").click()
    panel.locator("select[name=purpose]").select_option("case")
    panel.locator("[data-reveal-form] button[type=submit]").click()
    expect(page.locator("[data-caller][data-revealed]")).to_have_text("李秀兰 · 13812345678")

    page.goto(f"{live_server.url}/console/cases/{order.case_id}/")
    expect(page.locator("[data-caller]")).to_have_text("李** · 138****5678")
    page.locator("button[data-hotline-step=sign]").click()
    expect(page.locator("[data-reply=signed]")).to_be_visible()

    page.locator("summary[data-hotline-step=return]").click()
    form = page.locator("form[data-hotline-form=return]")
    form.locator("textarea[name=reason]").fill("属开发区管辖")
    form.locator("button[type=submit]").click()
    expect(page.locator("[data-reply=returned]")).to_contain_text("属开发区管辖")
    expect(page.locator("[data-status]")).to_have_attribute("data-status", "rejected")
    expect(page.locator("[data-hotline-step]")).to_have_count(0)


def test_the_panel_fits_a_phone(as_user, live_server, home_grids):  # noqa: F811
    order = work_order(home_grids[0])
    page = as_user("district", viewport=PHONE)
    page.goto(f"{live_server.url}/console/cases/{order.case_id}/")

    expect(page.locator("[data-hotline-panel]")).to_be_visible()
    assert fits_the_screen(page)
