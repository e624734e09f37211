"""The supervisor dashboard's periods and charts in a real browser: it opens on the last 30
days, each preset sets its days, a custom range is taken from the date inputs, wrong dates are
a 400 with the error beside the field, a unit with too few cases gets the note instead of a
grade, and the charts name every category and cut no label at 390 px and at 1920 px.
Screenshot: test-artifacts/screenshots/dashboard-30d.png (1920×1080)."""

import re

import pytest
from playwright.sync_api import expect

from grid.models import Area
from tests.browser.conftest import fits_the_screen
from tests.cases.histories import Clock, busy_district, fixed_history, march

pytestmark = pytest.mark.django_db(transaction=True)

# The server's clock stands at Tuesday 31 March 2026, 18:00 (Asia/Shanghai).
PRESETS = {
    "week": ("2026-03-30", "2026-03-31"),
    "month": ("2026-03-01", "2026-03-31"),
    "last_month": ("2026-02-01", "2026-02-28"),
    "quarter": ("2026-01-01", "2026-03-31"),
    "year": ("2026-01-01", "2026-03-31"),
    "30d": ("2026-03-02", "2026-03-31"),
}
# Every label of the category donut: drawn, not hidden, and inside the chart.
DONUT_LABELS = """() => {
  const chart = echarts.getInstanceByDom(document.getElementById("category-chart"));
  const data = chart.getModel().getSeriesByIndex(0).getData();
  const width = chart.getWidth(), height = chart.getHeight(), labels = [];
  for (let i = 0; i < data.count(); i++) {
    const text = data.getItemGraphicEl(i).getTextContent();
    const rect = text.getBoundingRect().clone();
    rect.applyTransform(text.getComputedTransform());
    labels.push({
      name: data.getName(i), shown: !text.ignore && !text.invisible,
      inside: rect.x >= 0 && rect.y >= 0 && rect.x + rect.width <= width + 0.5
        && rect.y + rect.height <= height + 0.5,
    });
  }
  return labels;
}"""


@pytest.fixture
def month_of_cases(monkeypatch, demo, home_grids, other_community):
    clock = Clock(monkeypatch, march(1, 8))
    fixed_history(clock, home_grids, other_community.children.order_by("code").first())
    busy_district(clock, cases=120)
    clock.set(march(31, 18))
    return clock


def inputs(page) -> tuple[str, str]:
    return page.locator("#id_start").input_value(), page.locator("#id_end").input_value()


def test_the_dashboard_opens_on_30_days_and_each_preset_sets_its_days(
    month_of_cases, live_server, page, sign_in, screenshot
):
    sign_in(page.context, "supervisor")
    page.set_viewport_size({"width": 1920, "height": 1080})

    page.goto(f"{live_server.url}/dashboard/")

    expect(page.locator("[data-preset='30d']")).to_have_attribute("aria-current", "true")
    assert inputs(page) == PRESETS["30d"]
    expect(page.locator("#category-chart canvas").first).to_be_visible()
    page.wait_for_timeout(1000)  # let the charts finish their entry animation
    screenshot(page, "dashboard-30d")

    for name, days in PRESETS.items():
        page.locator(f"[data-preset='{name}']").click()
        expect(page.locator(f"[data-preset='{name}']")).to_have_attribute("aria-current", "true")
        assert inputs(page) == days, name

    page.locator("#id_start").fill("2026-03-10")
    page.locator("#id_end").fill("2026-03-20")
    page.locator("[data-dashboard-filter] button[type=submit]").click()
    expect(page.locator("[data-preset='custom']")).to_have_attribute("aria-current", "true")
    assert inputs(page) == ("2026-03-10", "2026-03-20")


def test_wrong_dates_are_a_400_with_the_message_beside_the_field(
    month_of_cases, live_server, page, sign_in
):
    sign_in(page.context, "supervisor")

    response = page.goto(
        f"{live_server.url}/dashboard/?period=custom&start=2026-03-20&end=2026-03-01"
    )

    assert response.status == 400
    expect(page.locator("[data-field-error=end]")).to_be_visible()
    assert inputs(page) == ("2026-03-20", "2026-03-01")  # kept as typed, to be corrected


def test_a_unit_with_too_few_cases_gets_the_note_not_a_colour(
    month_of_cases, live_server, page, sign_in, home_grids
):
    sign_in(page.context, "supervisor")

    page.goto(f"{live_server.url}/dashboard/?unit={home_grids[1].pk}")

    note = page.locator("[data-score] [data-too-few]")
    expect(note).to_be_visible()
    expect(note).to_have_text(re.compile(r"这段时间的案件太少（\d+ 件），不足以评分"))
    expect(page.locator("[data-score] .badge")).to_have_count(0)


@pytest.mark.parametrize("width", [390, 1920])
def test_the_charts_name_every_category_and_cut_no_label(
    month_of_cases, live_server, page, sign_in, width
):
    sign_in(page.context, "supervisor")
    page.set_viewport_size({"width": width, "height": 1000})
    district = Area.objects.get(level=Area.Level.DISTRICT)

    page.goto(f"{live_server.url}/dashboard/?unit={district.pk}&period=month")

    expect(page.locator("#category-chart canvas").first).to_be_visible()
    page.wait_for_timeout(1500)  # the labels are laid out once the entry animation ends
    labels = page.evaluate(DONUT_LABELS)
    names = page.evaluate(
        "JSON.parse(document.getElementById('category-data').textContent).rows.map(r => r.name)"
    )
    assert [label["name"] for label in labels] == names
    assert len(names) > 3
    assert all(label["shown"] and label["inside"] for label in labels), labels
    option = page.evaluate(
        "echarts.getInstanceByDom(document.getElementById('trend-chart')).getOption().grid[0]"
    )
    assert option["containLabel"] is True
    assert fits_the_screen(page)
