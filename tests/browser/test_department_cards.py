"""A department's task cards in a real browser: the inbox shows the case's description, a row
of photo thumbnails that open full size, the place (the mini-map element and its text), the
deadlines and the history; at 1280 px and on a 360 px phone without sideways scrolling.
Screenshot: test-artifacts/screenshots/department-card.png."""

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from playwright.sync_api import expect

from cases import services
from cases.models import Case, Category
from grid.models import Department, Post
from tests.browser.conftest import fits_the_screen

pytestmark = pytest.mark.django_db(transaction=True)

DESCRIPTION = "公交站台设置不合理：乘客需踩踏花坛上车，老人和残疾人无法乘车。"
ADDRESS = "黄埔花园社区大沙东路公交站"


def user(username: str):
    return get_user_model().objects.get(username=username)


def jpeg(name: str, size, colour) -> SimpleUploadedFile:
    from io import BytesIO

    buffer = BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG", quality=85)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


@pytest.fixture
def bus_stop_case(demo) -> Case:
    """The seed's bus-stop story up to the dispatch: filed in grid1's grid with two photos,
    accepted by the district, dispatched to 区交通运输局 with 区住房和城乡建设局 cooperating."""
    grid = Post.objects.get(user__username="grid1").area
    case, _created = services.report_case(
        reporter=user("grid1"),
        category=Category.objects.get(code="0802"),
        title="公交站台设置不合理",
        description=DESCRIPTION,
        address=ADDRESS,
        lng=grid.centroid_lng,
        lat=grid.centroid_lat,
        photos=[
            jpeg("a.jpg", (800, 600), (40, 120, 200)),
            jpeg("b.jpg", (800, 600), (200, 90, 40)),
        ],
    )
    services.accept_case(case, actor=user("district"))
    services.dispatch_case(
        case,
        actor=user("district"),
        lead=Department.objects.get(name="区交通运输局"),
        cooperating=[Department.objects.get(name="区住房和城乡建设局")],
        instructions="请牵头迁移站台，建设局、园林配合",
    )
    case.refresh_from_db()
    return case


def test_a_departments_card_shows_the_case_and_its_photos_open_full_size(
    bus_stop_case, browser, browser_context_args, sign_in, live_server, screenshot
):
    context = browser.new_context(
        **{**browser_context_args, "viewport": {"width": 1280, "height": 900}}
    )
    sign_in(context, "transport")
    page = context.new_page()

    page.goto(f"{live_server.url}/console/dispatches/")

    card = page.locator("[data-card]")
    expect(card).to_have_count(1)
    expect(card.locator("[data-card-description]")).to_have_text(DESCRIPTION)
    expect(card.locator("[data-remaining]")).to_contain_text("剩余")
    # The small map is drawn with the grid's boundary and the pin, though a department may
    # not read areas through the API: the card carries them.
    mini = card.locator("[data-sanhua-map][data-mode=mini]")
    expect(mini).to_have_attribute("data-ready", "1")
    # Shapes are drawn on a canvas: the layer, not the DOM, says the grid is there.
    assert mini.evaluate("(el) => el.sanhuaMap.layers.areas.getLayers().length") == 1
    expect(mini.locator(".sanhua-pin")).to_have_count(1)
    place = card.locator("[data-card-location]")
    expect(place).to_contain_text(bus_stop_case.grid.name)
    expect(place).to_contain_text(ADDRESS)
    card.locator("[data-card-history] summary").click()
    expect(card.locator("[data-card-history] li")).to_have_count(3)
    expect(card.locator("[data-card-history]")).to_contain_text("黄埔区")
    expect(card.locator("[data-card-history]")).not_to_contain_text("王秀英")  # the reporter

    thumbnails = card.locator("[data-card-photos] a[data-photo] img")
    expect(thumbnails).to_have_count(2)
    for index in range(2):
        # Loaded, and the 320 px thumbnail rather than the photo.
        page.wait_for_function(
            "(img) => img.complete && img.naturalWidth === 320",
            arg=thumbnails.nth(index).element_handle(),
        )
    screenshot(page, "department-card")

    thumbnails.nth(1).click()
    full = page.locator("#photo-modal [data-photo-full]")
    expect(full).to_be_visible()
    second = bus_stop_case.photos.order_by("created_at", "id")[1]
    expect(full).to_have_attribute("src", f"/console/photos/{second.pk}/")
    page.wait_for_function("document.querySelector('#photo-modal img').naturalWidth === 800")
    context.close()


def test_the_card_fits_a_phone(bus_stop_case, browser, browser_context_args, sign_in, live_server):
    context = browser.new_context(
        **{**browser_context_args, "viewport": {"width": 360, "height": 740}}
    )
    sign_in(context, "transport")
    page = context.new_page()

    page.goto(f"{live_server.url}/console/dispatches/")

    expect(page.locator("[data-card-photos] img").first).to_be_visible()
    assert fits_the_screen(page)
    context.close()
