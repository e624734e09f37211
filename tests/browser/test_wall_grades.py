"""The wall screen's ranking in a real browser (Debian's chromium through Playwright): a unit
with too few cases in the last 30 days to grade (cases/periods.py) is grey with the mark 案件太少,
never red or green; the others keep their light. Screenshot:
test-artifacts/screenshots/wall-too-few.png."""

from datetime import date

import pytest
from playwright.sync_api import expect

from cases import periods, reports
from cases.metrics import Period
from grid.models import Area
from tests.browser.test_dashboard import month_of_cases  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_walls_ranking_greys_the_units_with_too_few_cases(
    month_of_cases,  # noqa: F811
    live_server,
    page,
    sign_in,
    screenshot,
    demo,
    monkeypatch,
):
    # The wall ranks the district's streets over the last 30 days (to 31 March). The bar is set
    # at the busiest street's count, so that it alone is graded and the others are too few.
    areas = Area.objects.filter(path__startswith=demo.path)
    last_30_days = Period(date(2026, 3, 2), date(2026, 3, 31))
    received = {
        row["name"]: row["received"]
        for row in reports.area_ranking(areas, Area.Level.STREET, last_30_days).rows
    }
    bar = max(received.values())
    monkeypatch.setattr(periods, "MIN_CASES_TO_GRADE", bar)
    too_few = {name for name, count in received.items() if count < bar}
    assert too_few
    assert too_few != set(received)
    sign_in(page.context, "supervisor")
    page.set_viewport_size({"width": 1920, "height": 1080})

    page.goto(f"{live_server.url}/dashboard/wall/")

    rows = page.locator("[data-ranking] tr")
    expect(rows).to_have_count(len(received))
    grey = page.locator("[data-ranking] tr[data-too-few]")
    expect(grey).to_have_count(len(too_few))
    for index in range(len(too_few)):
        row = grey.nth(index)
        expect(row.locator("td").nth(2)).to_contain_text("案件太少")
        expect(row.locator("td").nth(2)).to_have_class("text-end wall-too-few")
        assert row.locator("td").nth(1).inner_text() in too_few
        assert "这段时间的案件太少" in row.get_attribute("title")
    graded = page.locator("[data-ranking] tr:not([data-too-few]) td:nth-child(3)")
    expect(graded).to_have_count(len(received) - len(too_few))
    for index in range(len(received) - len(too_few)):
        assert "wall-grade-" in graded.nth(index).get_attribute("class")
    screenshot(page, "wall-too-few")
