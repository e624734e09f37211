"""Party building in a real browser: the coverage page of linked households for community
staff, and the field app's linked households at 360 px, where a grid worker records a visit
without sideways scrolling. Screenshots: test-artifacts/screenshots/party-*.png."""

import pytest
from playwright.sync_api import expect

from party import services
from party.models import Visit
from tests.browser.conftest import fits_the_screen
from tests.party.conftest import admin_user, family, members, neighbour, tree  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def linked(members, family):  # noqa: F811
    return services.link_household(
        actor=None, member=members["head"], household=family["household"]
    )


def test_the_coverage_page_shows_each_grid_and_the_total(
    linked, home_grids, live_server, page, sign_in, screenshot
):
    sign_in(page.context, "community")

    page.goto(f"{live_server.url}/party/coverage/")

    expect(page.locator("[data-coverage] tbody tr")).to_have_count(4)
    expect(page.locator(f"tr[data-grid='{home_grids[0].pk}'] [data-rate]")).to_have_text("100.0%")
    expect(page.locator(f"tr[data-grid='{home_grids[1].pk}'] [data-rate]")).to_have_text("0.0%")
    expect(page.locator("[data-total] [data-rate]")).to_have_text("50.0%")
    expect(page.locator("h1")).to_have_text("党员联系户覆盖率")
    screenshot(page, "party-coverage")


def test_a_grid_worker_records_a_visit_on_the_phone(linked, live_server, page, sign_in, screenshot):
    sign_in(page.context, "grid1")
    page.set_viewport_size({"width": 360, "height": 740})

    page.goto(f"{live_server.url}/field/party/")
    item = page.locator(f"[data-link='{linked.pk}']")
    item.locator("summary", has_text="记录走访").click()
    item.locator("[data-record-visit] textarea").fill("老人身体很好")
    assert fits_the_screen(page)
    screenshot(page, "party-field-360")
    item.locator("[data-record-visit] button[type=submit]").click()

    expect(page.locator(".alert-success")).to_contain_text("走访已记录")
    assert Visit.objects.get(link=linked).notes == "老人身体很好"
    assert fits_the_screen(page)
