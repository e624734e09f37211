"""The field app in a real browser (Debian's chromium through Playwright): grid1 files a report
with a photo while offline and it syncs exactly once when the network returns, verifies a case
on site with a photo, and every field page fits a 360 px phone and a 1280 px screen."""

import pytest
from django.contrib.auth import get_user_model
from PIL import Image
from playwright.sync_api import expect

from cases import services
from cases.models import Case, Category
from tests.browser.conftest import fits_the_screen, wait_until
from tests.grid import conftest as registry_fixtures

# A family registered in grid1's grid (tests/grid/conftest.py).
admin_user = registry_fixtures.admin_user
family = registry_fixtures.family

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 360, "height": 740}
SCREEN = {"width": 1280, "height": 800}

# Puts a report of the outbox back to "pending", as if the answer to its upload had been lost
# on the way back to the phone.
REQUEUE = """async (clientId) => {
  const store = idbKeyval.createStore("sanhua-field", "outbox");
  const report = await idbKeyval.get(clientId, store);
  report.state = "pending";
  await idbKeyval.set(clientId, report, store);
}"""


def make_jpeg(path, size=(2400, 1800)):
    """A photo as a phone camera makes it: larger than the app uploads."""
    Image.new("RGB", size, (180, 90, 40)).save(path, "JPEG", quality=92)
    return str(path)


def users():
    return get_user_model().objects


@pytest.fixture
def grid1_phone(context, live_server, sign_in, home_grids):
    """The browser context as grid1's phone: signed in, standing in the middle of the grid."""
    grid = home_grids[0]
    context.grant_permissions(["geolocation"], origin=live_server.url)
    context.set_geolocation(
        {"longitude": grid.centroid_lng, "latitude": grid.centroid_lat, "accuracy": 12}
    )
    sign_in(context, "grid1")
    return context


def open_field_page(page, live_server, path):
    page.goto(live_server.url + path)
    # The service worker takes the page over once it has cached the app shell.
    assert wait_until(page, "navigator.serviceWorker.controller !== null")


def test_grid1_files_a_report_with_a_photo_offline_and_it_syncs_once(
    grid1_phone, page, live_server, home_grids, tmp_path
):
    open_field_page(page, live_server, "/field/report/")
    expect(page.locator("#grid-status")).to_contain_text(home_grids[0].name)
    expect(page.locator("#category-list button[data-code='0101']")).to_be_visible()

    grid1_phone.set_offline(True)
    page.fill("#category-search", "垃圾")
    page.click("#category-list button[data-code='0101']")
    page.fill("#report-title", "楼道口暴露垃圾")
    page.fill("#report-description", "3号楼楼道口堆放生活垃圾，影响通行。")
    page.click("label[for=urgency-urgent]")
    page.set_input_files("#photo-camera", make_jpeg(tmp_path / "site.jpg"))
    expect(page.locator("#photo-grid img")).to_have_count(1)
    page.click("#report-submit")

    expect(page.locator("#outbox-pending")).to_have_text("1")
    expect(page.locator("#outbox-sent")).to_have_text("0")
    assert not Case.objects.exists()

    page.reload()  # no network: the service worker serves the page and its files
    assert page.evaluate("navigator.onLine") is False
    expect(page.locator("#outbox-pending")).to_have_text("1")
    queued = page.locator("#outbox-list li[data-state='pending']")
    expect(queued).to_contain_text("楼道口暴露垃圾")
    client_id = queued.get_attribute("data-client-id")
    assert not Case.objects.exists()
    page.goto(f"{live_server.url}/field/tasks/999999/")  # never opened here: no copy to show
    expect(page.locator("#offline-page")).to_be_visible()
    page.go_back()
    expect(page.locator("#outbox-pending")).to_have_text("1")

    grid1_phone.set_offline(False)  # the outbox uploads by itself when the network returns
    expect(page.locator("#outbox-sent")).to_have_text("1")
    expect(page.locator("#outbox-pending")).to_have_text("0")

    case = Case.objects.get()
    assert str(case.client_id) == client_id
    assert (case.title, case.category.code, case.urgency, case.grid) == (
        "楼道口暴露垃圾",
        "0101",
        "urgent",
        home_grids[0],
    )
    assert case.description == "3号楼楼道口堆放生活垃圾，影响通行。"
    assert abs(case.lng - home_grids[0].centroid_lng) < 1e-5
    photo = case.photos.get()
    with Image.open(photo.image.path) as image:
        assert (image.format, image.size) == ("JPEG", (1600, 1200))  # compressed on the phone
    expect(page.locator("#outbox-list li[data-state='sent']")).to_contain_text(case.number)

    # The answer was lost, say: the report goes out again and the server knows its client id.
    page.evaluate(REQUEUE, client_id)
    with page.expect_response(
        lambda r: r.url.endswith("/api/cases/") and r.request.method == "POST"
    ) as upload:
        page.click("#sync-button")
    assert upload.value.status == 200
    expect(page.locator("#outbox-pending")).to_have_text("0")
    expect(page.locator("#outbox-sent")).to_have_text("1")
    assert Case.objects.count() == 1
    assert Case.objects.get().photos.count() == 1


def test_a_report_the_server_refuses_comes_back_as_a_draft_with_the_reason(
    grid1_phone, page, live_server, home_grids
):
    grid1_phone.set_geolocation({"longitude": 100.0, "latitude": 10.0, "accuracy": 10})
    open_field_page(page, live_server, "/field/report/")
    page.select_option("#report-grid", "")  # from the location, which lies outside the district
    page.click("#category-list button[data-code='0101']")
    page.fill("#report-title", "区外的位置")
    expect(page.locator("#location-status")).to_contain_text("10.00000")

    page.click("#report-submit")

    expect(page.locator("#outbox-draft")).to_have_text("1")
    expect(page.locator("#outbox-pending")).to_have_text("0")
    page.click("#outbox-list [data-edit]")
    expect(page.locator("[data-error-for='lng']")).not_to_be_empty()
    assert not Case.objects.exists()


def test_grid1_verifies_a_resolved_case_on_site_with_a_photo(
    grid1_phone, page, live_server, home_grids, tmp_path
):
    grid = home_grids[0]
    case, _created = services.report_case(
        reporter=users().get(username="grid1"),
        category=Category.objects.get(code="0102"),
        title="渣土堆积",
        lng=grid.centroid_lng,
        lat=grid.centroid_lat,
    )
    services.accept_case(case, actor=users().get(username="grid1"))
    services.resolve_case(case, actor=users().get(username="grid1"), result="已清运")

    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/field/tasks/")
    page.click(f"#verify [data-case='{case.pk}']")
    verify = page.locator("details[data-action='verify']")  # the one step here: open already
    verify.locator("input[name='verify-passed'][value='1']").check()
    verify.locator("textarea[name='verify-note']").fill("现场已清理干净")
    verify.locator("input[name='verify-photos']").set_input_files(make_jpeg(tmp_path / "check.jpg"))
    expect(verify.locator(".js-compress-note")).not_to_be_empty()
    verify.locator("button[type=submit]").click()

    expect(page.locator("#case-status")).to_have_attribute("data-status", "closed")
    case.refresh_from_db()
    event = case.events.last()
    assert (case.status, event.action, event.reason) == ("closed", "verify_pass", "现场已清理干净")
    with Image.open(event.photos.get().image.path) as image:
        assert image.size == (1600, 1200)


def test_the_report_form_at_360_px(grid1_phone, page, live_server, screenshot):
    page.set_viewport_size(PHONE)
    open_field_page(page, live_server, "/field/report/")
    expect(page.locator("#category-list button[data-code='0101']")).to_be_visible()
    expect(page.locator("#location-status")).to_contain_text("±")

    # As tall as the form, so the fixed tab bar sits at the bottom of the picture.
    page.set_viewport_size(
        {"width": 360, "height": page.evaluate("document.documentElement.scrollHeight")}
    )
    screenshot(page, "field-report-360")

    assert fits_the_screen(page)


@pytest.mark.parametrize("viewport", [PHONE, SCREEN], ids=["360px", "1280px"])
def test_no_field_page_scrolls_sideways(
    grid1_phone, page, live_server, home_grids, viewport, family
):
    case, _created = services.report_case(
        reporter=users().get(username="grid1"),
        category=Category.objects.get(code="0101"),
        title="一个标题很长很长的事件：小区东门外人行道上长期堆放大量装修垃圾和废旧家具，影响通行",
        grid=home_grids[0],
    )
    page.set_viewport_size(viewport)
    pages = [
        "/field/report/",
        "/field/tasks/",
        f"/field/tasks/{case.pk}/",
        "/field/visits/",
        f"/field/visits/persons/{family['head'].pk}/",
        "/field/inbox/",
    ]

    for path in pages:
        page.goto(live_server.url + path)
        page.wait_for_load_state("networkidle")
        assert fits_the_screen(page), f"{path} scrolls sideways at {viewport['width']} px"
