"""Real-browser tests: Playwright drives Debian's chromium (/usr/bin/chromium, never a
downloaded browser) against the live test server. Screenshots go to test-artifacts/screenshots/.
"""

import os
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from playwright.sync_api import expect

# Playwright's sync API runs an event loop in the test thread; the ORM calls the tests make
# around it are still plain synchronous ones.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("SANHUA_CHROMIUM", "/usr/bin/chromium")
# On two cores with two test workers and the live server, a form post that stores and thumbnails
# a photo can take longer than Playwright's default 5 s; a wait that ends early is no finding.
expect.set_options(timeout=20_000)
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
# Horizontal overflow of the page itself: what would make a phone scroll sideways.
FITS = "document.documentElement.scrollWidth <= window.innerWidth"


def wait_until(page, expression: str, timeout: float = 20.0) -> bool:
    """Poll a JavaScript expression until it is true (True) or `timeout` seconds pass (False).
    Not page.wait_for_function: its polling evaluates the expression as a string inside the
    page, which the Content-Security-Policy refuses (no eval); page.evaluate goes through the
    browser's debugging protocol, which the policy does not govern."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            return False
        page.wait_for_timeout(100)
    return True


def fits_the_screen(page) -> bool:
    """True when the page is no wider than the window, waiting up to 5 s for it to settle: charts
    redraw on the window's resize event, which reaches the page a moment after a viewport change,
    so an immediate reading can still see the old width."""
    return wait_until(page, FITS, timeout=5.0)


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium fonts-wqy-microhei")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--disable-sync",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {
        **browser_context_args,
        "locale": "zh-CN",
        "timezone_id": "Asia/Shanghai",
        "viewport": {"width": 1280, "height": 800},
        # Bootstrap's collapse animates a form open for 0.35 s inside an overflow-hidden box; a
        # click on its submit button during that time lands on the form behind it and nothing is
        # sent (seen in CI). With reduced motion Bootstrap opens it at once, as for users who ask.
        "reduced_motion": "reduce",
    }


@pytest.fixture
def screenshot():
    """screenshot(page, "name") → saves test-artifacts/screenshots/name.png (full page)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def sign_in(live_server, demo):
    """sign_in(context, "grid1") → the browser context carries that demo user's session."""

    def enter(context, username: str):
        client = Client()
        client.force_login(get_user_model().objects.get(username=username))
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])
        return context

    return enter
