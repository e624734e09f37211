"""The workbench (工作台) and the grouped messages in a real browser (Debian's chromium through
Playwright): each post's workbench after a scripted day shows its numbers (screenshots of every
post's workbench at 1920×1080: test-artifacts/screenshots/workbench-<role>.png), a tile leads to
its filtered list, the numbers refresh themselves when the data changes, and the messages are
grouped by case and marked read all at once."""

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from cases import notifications, services
from cases.models import CaseEvent, Category
from grid.views import HomeView
from tests.browser.test_csp import RECORD_VIOLATIONS
from tests.cases.workbench_steps import EXPECTED, elsewhere_grid_of, play

pytestmark = pytest.mark.django_db(transaction=True)

FULL_HD = {"width": 1920, "height": 1080}
ROLE_USERS = {
    "grid_worker": "grid1",
    "community_staff": "community",
    "street_staff": "street",
    "district_dispatcher": "district",
    "department_staff": "transport",
    "supervisor": "supervisor",
}


def user(username: str):
    return get_user_model().objects.get(username=username)


@pytest.fixture
def as_user(browser, browser_context_args, sign_in):
    """as_user("district") → a new 1920×1080 page signed in as that demo user."""
    contexts = []

    def open_page(username: str):
        context = browser.new_context(**{**browser_context_args, "viewport": FULL_HD})
        contexts.append(context)
        sign_in(context, username)
        # Every Content-Security-Policy violation the page reports lands in window.__csp.
        context.add_init_script(RECORD_VIOLATIONS)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def tile(page, role: str, key: str):
    return page.locator(f"section[data-post='{role}'] [data-tile='{key}']")


def test_every_posts_workbench_shows_its_numbers_after_a_scripted_day(
    as_user, live_server, home_grids, other_street, screenshot
):
    play(home_grids, elsewhere_grid_of(other_street))

    for role, username in ROLE_USERS.items():
        page = as_user(username)
        page.goto(f"{live_server.url}/")
        expect(page.locator(f"section[data-post='{role}']")).to_be_visible()
        for key, count in EXPECTED[role].items():
            expect(tile(page, role, key)).to_have_attribute("data-count", str(count))
        expect(page.locator("[data-section='personal'] [data-tile='unread']")).to_be_visible()
        screenshot(page, f"workbench-{role}")

    # A tile leads to its list, filtered to exactly the rows it counts.
    page = as_user("grid1")
    page.goto(f"{live_server.url}/")
    tile(page, "grid_worker", "overdue").click()
    expect(page.locator("tr[data-case]")).to_have_count(1)
    page.goto(f"{live_server.url}/")
    tile(page, "grid_worker", "to_verify").click()
    expect(page.locator("tr[data-case]")).to_have_count(1)
    page = as_user("transport")
    page.goto(f"{live_server.url}/")
    tile(page, "department_staff", "to_sign").click()
    expect(page.locator("[data-dispatch]")).to_have_count(1)


def test_the_workbench_refreshes_its_numbers_without_reloading(
    as_user, live_server, home_grids, monkeypatch
):
    # The page polls every 30 s; two keep the test short, through the same htmx trigger.
    monkeypatch.setattr(HomeView, "poll_seconds", 2)
    page = as_user("community")
    page.goto(f"{live_server.url}/")
    to_accept = tile(page, "community_staff", "to_accept")
    expect(to_accept).to_have_attribute("data-count", "0")
    page.evaluate("window.__notReloaded = true")

    grid = home_grids[0]
    services.report_case(
        reporter=user("grid1"),
        category=Category.objects.get(code="0501"),
        title="公交站点设置不合理",
        lng=grid.centroid_lng,
        lat=grid.centroid_lat,
    )

    expect(to_accept).to_have_attribute("data-count", "1")
    assert page.evaluate("window.__notReloaded === true")
    assert page.evaluate("window.__csp") == []


def test_messages_are_grouped_by_case_and_all_marked_read(
    as_user, live_server, home_grids, screenshot
):
    grid = home_grids[0]
    cases = []
    for title in ("公交站点甲", "公交站点乙"):
        case, _created = services.report_case(
            reporter=user("grid1"),
            category=Category.objects.get(code="0501"),
            title=title,
            lng=grid.centroid_lng,
            lat=grid.centroid_lat,
        )
        services.escalate_case(case, actor=user("community"), reason="需街道协调")
        case.refresh_from_db()
        cases.append(case)
    services.urge_case(cases[0], actor=user("supervisor"), reason="群众反映强烈")
    notifications.notify_many(CaseEvent.objects.values_list("pk", flat=True))
    page = as_user("street")

    page.goto(f"{live_server.url}/")
    expect(page.locator("[data-unread-badge] [data-unread]")).to_have_attribute("data-unread", "3")
    page.click("a[href='/console/inbox/']")

    groups = page.locator("[data-group]")
    expect(groups).to_have_count(2)
    expect(groups.nth(0)).to_have_attribute("data-group", str(cases[0].pk))
    expect(groups.nth(0)).to_have_attribute("data-total", "2")
    expect(groups.nth(1)).to_have_attribute("data-group", str(cases[1].pk))
    earlier = groups.nth(0).locator("[data-earlier] [data-notification]")
    expect(earlier).to_be_hidden()
    groups.nth(0).locator("[data-earlier] summary").click()
    expect(earlier).to_be_visible()
    screenshot(page, "messages-grouped")
    # The kind filter submits itself (sanhua.js, no inline handler).
    page.select_option("select[name=kind]", "urged")
    expect(page.locator("[data-group]")).to_have_count(1)
    expect(page.locator("[data-notification]")).to_have_count(1)
    page.select_option("select[name=kind]", "")
    expect(page.locator("[data-group]")).to_have_count(2)

    page.click("[data-mark-all-read]")

    expect(page.locator("[data-notification][data-read='0']")).to_have_count(0)
    expect(page.locator("[data-notification][data-read='1']")).to_have_count(3)
    expect(page.locator("[data-unread-badge] [data-unread]")).to_have_count(0)
    assert notifications.unread_count(user("street")) == 0
    assert page.evaluate("window.__csp") == []
