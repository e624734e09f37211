"""Data governance in a real browser: a resident reads the open statistics on a phone (small
counts shown as "<5", nothing scrolls sideways but the tables inside their own box), and an
administrator changes a field's sharing class on the catalogue page and sees it in the history.
Screenshots: test-artifacts/screenshots/datagov-*.png."""

import pytest
from playwright.sync_api import expect

from datagov.models import PopulationCount
from grid.models import Area
from tests.browser.conftest import fits_the_screen

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_resident_reads_suppressed_statistics_on_a_phone(demo, live_server, page, screenshot):
    community = Area.objects.filter(level=Area.Level.COMMUNITY).order_by("code").first()
    PopulationCount.objects.bulk_create(
        [
            PopulationCount(grid=community.children.first(), population_type="registered",
                            age_band=band, persons=n)
            for band, n in ((18, 3), (60, 40))
        ]
    )  # fmt: skip
    page.set_viewport_size({"width": 360, "height": 740})

    page.goto(f"{live_server.url}/open-data/")

    table = page.locator("[data-table='population_by_age']")
    expect(table.locator("td", has_text="<5").first).to_be_visible()
    expect(table.locator("a", has_text="CSV")).to_have_attribute(
        "href", "/open-data/statistics.csv?table=population_by_age"
    )
    expect(page.locator("h1")).to_have_text("数据开放")
    assert fits_the_screen(page)
    screenshot(page, "datagov-open-data-360")


def test_an_administrator_changes_a_class_and_sees_it_in_the_history(
    demo, live_server, page, sign_in, screenshot
):
    sign_in(page.context, "admin")

    page.goto(f"{live_server.url}/datagov/")
    page.locator("[data-dataset='grid.person'] a").click()
    expect(page.locator("[data-field='religion'] [data-class]")).to_have_text("不共享")
    form = page.locator("[data-class-form]")
    form.locator("select[name=field]").select_option("education")
    form.locator("select[name=sharing_class]").select_option("none")
    form.locator("input[name=reason]").fill("按区数据资源管理办法收紧")
    form.locator("button[type=submit]").click()

    expect(page.locator(".alert-success")).to_contain_text("共享类别已变更")
    expect(page.locator("[data-field='education'] [data-class]")).to_have_text("不共享")
    expect(page.locator("[data-history]")).to_contain_text("按区数据资源管理办法收紧")
    screenshot(page, "datagov-dataset")
