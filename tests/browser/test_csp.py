"""The Content-Security-Policy in a real browser: the main pages (console queue, case page with
its map and dispatch form, field app, dashboards, the registry import page, the API docs) load
and work under it, and the browser reports no violation — no inline script or handler, no style
sheet, image or fetch from elsewhere. Violations are caught both as the page's
`securitypolicyviolation` events and as chromium's console messages."""

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from cases import services
from cases.models import Case, Category
from grid.models import ImportJob, Post

pytestmark = pytest.mark.django_db(transaction=True)

# Playwright's init scripts run outside the page's policy, before any of the page's own.
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__csp.push(event.violatedDirective + " " + (event.blockedURI || "inline") + " " +
    (event.sourceFile || "") + ":" + event.lineNumber);
});
"""


def _file_case() -> Case:
    grid1 = get_user_model().objects.get(username="grid1")
    grid = Post.objects.get(user=grid1).area
    case, _created = services.report_case(
        reporter=grid1,
        category=Category.objects.get(code="0501"),
        title="公交站台破损",
        lng=grid.centroid_lng,
        lat=grid.centroid_lat,
    )
    return case


@pytest.fixture
def visit(browser, browser_context_args, sign_in, live_server):
    """visit("district", "/console/cases/") → the loaded page, and every CSP violation the
    browser reported while loading it (and while the test goes on using it)."""
    contexts = []

    def open_page(username: str, path: str):
        context = browser.new_context(**browser_context_args)
        contexts.append(context)
        sign_in(context, username)
        context.add_init_script(RECORD_VIOLATIONS)
        page = context.new_page()
        messages = []
        page.on(
            "console",
            lambda message: (
                messages.append(message.text) if "Content Security Policy" in message.text else None
            ),
        )
        page.goto(live_server.url + path)
        page.wait_for_load_state("networkidle")
        return page, lambda: "\n".join(messages + page.evaluate("window.__csp"))

    yield open_page
    for context in contexts:
        context.close()


def test_the_console_queue_and_the_case_page_raise_no_csp_violation(visit):
    case = _file_case()

    page, violations = visit("community", "/console/cases/?view=area")
    expect(page.locator(f"[data-case='{case.pk}']").first).to_be_visible()
    page.select_option("select[name=language]", "en")  # submitted by our script, not inline
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert not violations(), violations()

    page, violations = visit("street", f"/console/cases/{case.pk}/")
    expect(page.locator("#case-map[data-ready='1'] canvas").first).to_be_visible()
    assert not violations(), violations()


def test_the_dispatch_forms_department_search_works_without_inline_code(visit):
    case = _file_case()
    users = get_user_model().objects
    services.escalate_case(case, actor=users.get(username="community"), reason="需街道协调")
    services.escalate_case(case, actor=users.get(username="street"), reason="涉及区直部门")
    services.accept_case(case, actor=users.get(username="district"))

    page, violations = visit("district", f"/console/cases/{case.pk}/")
    page.click("button[data-step='dispatch']")
    picker = page.locator("form[data-step-form='dispatch'] [data-department-picker]")
    picker.locator("[data-department-search]").fill("农业")
    expect(picker.locator(".form-check:visible")).to_have_count(1)
    picker.locator("[data-department-search]").fill("")
    expect(picker.locator(".form-check:visible")).not_to_have_count(1)
    assert not violations(), violations()


@pytest.mark.parametrize("path", ["/field/report/", "/field/tasks/", "/field/visits/"])
def test_the_field_app_raises_no_csp_violation(visit, home_grids, path):
    page, violations = visit("grid1", path)
    expect(page.locator(".field-tabs")).to_be_visible()
    assert not violations(), violations()


@pytest.mark.parametrize(
    "path", ["/dashboard/", "/dashboard/wall/", "/dashboard/population/", "/dashboard/report/"]
)
def test_the_dashboards_raise_no_csp_violation(visit, path):
    page, violations = visit("supervisor", path)
    if path == "/dashboard/":
        expect(page.locator("#area-map[data-ready='1'] canvas").first).to_be_visible()
        expect(page.locator("#trend-chart canvas").first).to_be_visible()
    assert not violations(), violations()


def test_a_running_import_page_polls_its_progress_without_inline_code(visit, home_grids):
    admin = get_user_model().objects.get(username="admin")
    job = ImportJob.objects.create(uploader=admin, area=home_grids[0], status="running")

    page, violations = visit("admin", f"/registry/imports/{job.pk}/")
    with page.expect_response(lambda r: f"/registry/imports/{job.pk}/progress/" in r.url):
        pass
    assert not violations(), violations()


def test_the_api_docs_work_under_the_policy(visit):
    page, violations = visit("admin", "/api/docs/")
    expect(page.locator(".opblock").first).to_be_visible()
    # A tag's heading: past about 130 operations Swagger UI draws the list virtually (only the
    # tags in view, without the .opblock-tag-section wrapper), so the heading is what is sure.
    expect(page.locator(".opblock-tag").first).to_be_visible()
    assert not violations(), violations()
