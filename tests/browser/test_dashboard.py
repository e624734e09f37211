"""The supervisor dashboard, the command centre's wall screen, the monthly report and the
population statistics in a real browser, with a month of demo cases and a demo registry;
screenshots go to test-artifacts/screenshots/dashboard-*.png."""

import importlib
from datetime import date, datetime

import pytest
from django.apps import apps
from playwright.sync_api import expect

from cases.calendar import SHANGHAI
from grid import population
from tests.browser.conftest import fits_the_screen
from tests.cases.histories import Clock, busy_district, fixed_history, march

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def month_of_cases(monkeypatch, demo, home_grids, other_community):
    """March 2026 in the demo district; the server's clock then stands at 31 March, 18:00."""
    clock = Clock(monkeypatch, march(1, 8))
    fixed_history(clock, home_grids, other_community.children.order_by("code").first())
    busy_district(clock, cases=120)
    clock.set(march(31, 18))
    return clock


def test_the_supervisor_dashboard_draws_its_tiles_charts_map_and_ranking(
    month_of_cases, live_server, page, sign_in, screenshot
):
    sign_in(page.context, "supervisor")

    page.goto(f"{live_server.url}/dashboard/")

    expect(page.locator("#area-map[data-ready='1'] canvas").first).to_be_visible()
    expect(page.locator("#trend-chart canvas").first).to_be_visible()
    expect(page.locator("[data-tile=received] [data-value]")).not_to_have_text("0")
    expect(page.locator("[data-ranking] tbody tr")).to_have_count(6)  # the six streets
    page.wait_for_timeout(500)  # let the charts finish their entry animation
    screenshot(page, "dashboard-supervisor")

    page.locator("[data-ranking] tbody tr a").first.click()  # drill down into a street
    expect(page.locator("h1")).to_contain_text("街道")
    expect(page.locator("#area-map[data-ready='1'] canvas").first).to_be_visible()


def test_the_wall_screen_fills_itself_from_the_api(
    month_of_cases, live_server, page, sign_in, screenshot
):
    sign_in(page.context, "supervisor")
    page.set_viewport_size({"width": 1920, "height": 1080})

    page.goto(f"{live_server.url}/dashboard/wall/")

    expect(page.locator("#wall-map[data-ready='1'] canvas").first).to_be_visible()
    expect(page.locator("[data-levels] tr")).to_have_count(4)
    expect(page.locator("[data-ranking] tr")).to_have_count(6)
    expect(page.locator("[data-overdue-list] li").first).to_be_visible()
    expect(page.locator("[data-status]")).not_to_have_class("wall-alert")
    page.wait_for_timeout(500)
    assert fits_the_screen(page)
    screenshot(page, "dashboard-wall")


@pytest.fixture
def demo_registry(demo):
    """3,000 people across the demo grids. An earlier transactional test may have emptied the
    code tables and care tags a migration loads, so they are loaded again first."""
    importlib.import_module("grid.migrations.0003_code_tables").load(apps, None)
    population.seed_population(persons=3000, today=date(2026, 3, 31))


def test_the_monthly_report_and_the_population_statistics_of_the_district(
    month_of_cases, demo_registry, demo, live_server, page, sign_in, screenshot
):
    month_of_cases.set(datetime(2026, 4, 2, 9, tzinfo=SHANGHAI))
    sign_in(page.context, "supervisor")
    page.goto(f"{live_server.url}/dashboard/")

    page.locator("[data-dashboard-links] a[href^='/dashboard/report/']").click()

    expect(page.locator("h1")).to_contain_text(demo.name)
    expect(page.locator("h1")).to_contain_text("2026年3月")  # the last complete month
    expect(page.locator("[data-ranking] tbody tr")).to_have_count(6)  # the six streets
    expect(page.locator("[data-measure=received] td").first).not_to_have_text("0")
    expect(page.locator("[data-print]")).to_be_visible()
    page.emulate_media(media="print")
    expect(page.locator("nav.navbar")).to_be_hidden()
    expect(page.locator("[data-print]")).to_be_hidden()
    page.emulate_media(media="screen")
    for width in (360, 1280):
        page.set_viewport_size({"width": width, "height": 800})
        assert fits_the_screen(page), width
    screenshot(page, "dashboard-monthly-report")

    page.goto(f"{live_server.url}/dashboard/")
    page.locator("[data-dashboard-links] a[href^='/dashboard/population/']").click()

    expect(page.locator("h1")).to_contain_text(demo.name)
    expect(page.locator("[data-tile=total] [data-value]")).to_have_text("3000")
    expect(page.locator("[data-population-table] tbody tr")).to_have_count(2 * 6)  # two tables
    for chart in ("age", "sex", "population", "care", "children"):
        expect(page.locator(f"#{chart}-chart[data-ready='1'] canvas").first).to_be_visible()
    for width in (360, 1280):
        page.set_viewport_size({"width": width, "height": 800})
        assert fits_the_screen(page), width
    page.wait_for_timeout(500)  # let the charts finish their entry animation
    screenshot(page, "dashboard-population")
