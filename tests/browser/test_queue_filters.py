"""The case queue's active filters in a real browser (Debian's chromium through Playwright):
a workbench tile's link opens the queue with its filter shown as a chip, changing another filter
in the form keeps the tile's filter (the count still the tile's), and the chip's × removes just
that filter. Screenshot: test-artifacts/screenshots/queue-filters-chip.png."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_workbench import as_user, tile  # noqa: F401 (fixture)
from tests.cases.workbench_steps import elsewhere_grid_of, play

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_tiles_filter_is_a_chip_and_survives_refiltering(
    as_user,  # noqa: F811
    live_server,
    home_grids,
    other_street,
    screenshot,
):
    cases = play(home_grids, elsewhere_grid_of(other_street))
    page = as_user("grid1")
    page.goto(f"{live_server.url}/")
    due_today = tile(page, "grid_worker", "due_today")
    count = int(due_today.get_attribute("data-count"))

    due_today.click()

    rows = page.locator("tr[data-case]")
    chip = page.locator("[data-active-filters] [data-filter-chip='due']")
    expect(chip).to_contain_text("截止时间：今日到期")
    expect(rows).to_have_count(count)
    screenshot(page, "queue-filters-chip")

    # Another filter, chosen in the form: the tile's stays applied.
    page.locator("#queue-filters select[name='category']").select_option("0101")
    page.locator("#queue-filters button[type='submit']").click()

    expect(page).to_have_url(re.compile(r"category=0101"))
    expect(page).to_have_url(re.compile(r"due=today"))
    expect(chip).to_be_visible()
    expect(page.locator("[data-filter-chip='category']")).to_be_visible()
    expect(rows).to_have_count(count)
    expect(page.locator(f"tr[data-case] >> text={cases['due_today'].number}")).to_be_visible()

    # Its × removes it alone: every open case of grid1's level in that category.
    chip.click()

    expect(chip).to_have_count(0)
    expect(page.locator("[data-filter-chip='category']")).to_be_visible()
    expect(page.locator("[data-filter-chip='holder_within']")).to_be_visible()
    expect(rows).to_have_count(5)
