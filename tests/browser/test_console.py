"""The office console in a real browser (Debian's chromium through Playwright): the queue with
its filters, bulk accept and live refresh; the case page with its map, forms and errors; the
department inbox from signing to reporting done; the messages; and every console page fits a
1280 px screen and a 360 px phone without sideways scrolling."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from cases import notifications, services
from cases.models import Case, Category, Dispatch
from grid.models import Department
from tests.browser.conftest import fits_the_screen

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 360, "height": 740}
SCREEN = {"width": 1280, "height": 800}


def user(username: str):
    return get_user_model().objects.get(username=username)


def file(code: str, title: str, *, by: str = "grid1", grid=None, **more) -> Case:
    from grid.models import Post

    grid = grid or Post.objects.get(user__username=by).area
    case, _created = services.report_case(
        reporter=user(by),
        category=Category.objects.get(code=code),
        title=title,
        lng=grid.centroid_lng,
        lat=grid.centroid_lat,
        **more,
    )
    return case


def to_district(case: Case) -> Case:
    services.escalate_case(case, actor=user("community"), reason="需街道协调")
    services.escalate_case(case, actor=user("street"), reason="涉及区直部门")
    services.accept_case(case, actor=user("district"))
    return case


def make_jpeg(path) -> str:
    Image.new("RGB", (800, 600), (40, 120, 200)).save(path, "JPEG", quality=85)
    return str(path)


@pytest.fixture
def as_user(browser, browser_context_args, sign_in):
    """as_user("district") → a new page in a browser context signed in as that demo user."""
    contexts = []

    def open_page(username: str, viewport=SCREEN):
        context = browser.new_context(**{**browser_context_args, "viewport": viewport})
        contexts.append(context)
        sign_in(context, username)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def row(page, case: Case):
    return page.locator(f"tr[data-case='{case.pk}']")


# The queue


def test_the_community_filters_its_queue_and_accepts_two_cases_at_once(as_user, live_server, demo):
    bus_stop = file("0501", "公交站点设置不合理")
    road = file("0502", "道路破损")
    lights = file("0504", "路灯不亮")
    page = as_user("community")

    page.goto(f"{live_server.url}/console/cases/")
    expect(page.locator("tr[data-case]")).to_have_count(3)
    page.select_option("#id_category", "05")
    page.fill("#id_q", "道路")
    page.click("#queue-filters button[type=submit]")
    expect(page.locator("tr[data-case]")).to_have_count(1)
    expect(row(page, road)).to_be_visible()

    page.click("#queue-filters a[href='?view=held']")  # clear the filters
    expect(page.locator("tr[data-case]")).to_have_count(3)
    row(page, bus_stop).locator("input[name=cases]").check()
    row(page, lights).locator("input[name=cases]").check()
    page.click("[data-bulk-accept]")

    report = page.locator("#bulk-report")
    expect(report.locator("[data-bulk-result='ok']")).to_have_count(2)
    expect(report).to_contain_text(bus_stop.number)
    statuses = dict(Case.objects.values_list("title", "status"))
    assert statuses == {
        "公交站点设置不合理": "in_progress",
        "道路破损": "reported",
        "路灯不亮": "in_progress",
    }
    expect(row(page, bus_stop).locator("input[name=cases]")).to_have_count(0)
    expect(row(page, road).locator("input[name=cases]")).to_have_count(1)


def test_select_all_ticks_every_case_i_can_accept(as_user, live_server, demo):
    cases = [file("0501", f"公交站点{n}") for n in range(3)]
    page = as_user("community")

    page.goto(f"{live_server.url}/console/cases/")
    page.check("[data-select-all]")
    page.click("[data-bulk-accept]")

    expect(page.locator("#bulk-report [data-bulk-result='ok']")).to_have_count(3)
    assert {Case.objects.get(pk=c.pk).status for c in cases} == {"in_progress"}


def test_the_queue_refreshes_itself_when_a_case_arrives(as_user, live_server, demo):
    first = file("0501", "公交站点设置不合理")
    page = as_user("community")
    page.goto(f"{live_server.url}/console/cases/")
    expect(row(page, first)).to_be_visible()

    arrived = file("0502", "道路破损")

    # htmx polls the table every 15 s; no reload.
    expect(row(page, arrived)).to_be_visible(timeout=25_000)
    expect(page.locator("tr[data-case]")).to_have_count(2)


def test_the_queue_shows_red_for_a_case_past_its_deadline(as_user, live_server, demo):
    late = file("0501", "已逾期的事件")
    Case.objects.filter(pk=late.pk).update(due_at=timezone.now() - timedelta(hours=1))
    fresh = file("0502", "新事件")
    page = as_user("community")

    page.goto(f"{live_server.url}/console/cases/?sort=due")

    expect(row(page, late).locator("[data-light]")).to_have_attribute("data-light", "red")
    expect(row(page, fresh).locator("[data-light]")).to_have_attribute("data-light", "green")
    expect(page.locator("tr[data-case]").first).to_have_attribute("data-case", str(late.pk))


@pytest.mark.parametrize("viewport", [SCREEN, PHONE], ids=["1280px", "360px"])
def test_the_console_pages_fit_the_screen_without_sideways_scrolling(
    as_user, live_server, demo, viewport, screenshot
):
    long_title = (
        "一个标题很长很长的事件：小区东门外公交站台设置在花坛旁边，"
        "乘客上下车必须踩踏花坛，老人和残疾人无法上车"
    )
    case = to_district(file("0501", long_title, address="黄埔东路2号公交站台（花坛旁）"))
    services.dispatch_case(
        case, actor=user("district"), lead=Department.objects.get(name="区交通运输局")
    )
    for username, paths in [
        ("district", ["/console/cases/", f"/console/cases/{case.pk}/", "/console/inbox/"]),
        ("transport", ["/console/dispatches/", f"/console/cases/{case.pk}/"]),
    ]:
        page = as_user(username, viewport)
        for path in paths:
            page.goto(live_server.url + path)
            page.wait_for_load_state("networkidle")
            assert fits_the_screen(page), f"{path} scrolls sideways at {viewport['width']} px"
            name = path.strip("/").replace("/", "-").replace(str(case.pk), "case")
            screenshot(page, f"{name}-{username}-{viewport['width']}")


# The case page


def test_the_district_dispatches_with_the_searchable_department_picker(as_user, live_server, demo):
    case = to_district(file("0501", "公交站点设置不合理"))
    page = as_user("district")

    page.goto(f"{live_server.url}/console/cases/{case.pk}/")
    expect(page.locator("#case-map[data-ready='1'] canvas").first).to_be_visible()
    page.click("button[data-step='dispatch']")
    form = page.locator("form[data-step-form='dispatch']")
    expect(form).to_be_visible()
    # The category's suggestions come ticked; the search narrows the list as one types.
    expect(form.locator("select[name=lead] option:checked")).to_have_text("区交通运输局")
    picker = form.locator("[data-department-picker]")
    for name in ["区住房和城乡建设局", "区农业农村局（园林）", "黄埔交警大队"]:
        expect(picker.locator(f"[data-name='{name}'] input")).to_be_checked()
    picker.locator("[data-department-search]").fill("农业")
    expect(picker.locator(".form-check:visible")).to_have_count(1)
    picker.locator("[data-name='区农业农村局（园林）'] input").uncheck()
    picker.locator("[data-department-search]").fill("城管")
    expect(picker.locator(".form-check:visible")).to_have_count(0)
    picker.locator("[data-department-search]").fill("")
    picker.locator("[data-name='区城市管理和综合执法局'] input").check()
    form.locator("textarea[name=instructions]").fill("请交通局牵头，迁移站台")
    form.locator("[data-submit='dispatch']").click()

    expect(page.locator("[data-status]")).to_have_attribute("data-status", "dispatched")
    expect(page.locator("#dispatches [data-dispatch]")).to_have_count(4)
    roles = {d.department.name: d.role for d in Dispatch.objects.select_related("department")}
    assert roles == {
        "区交通运输局": "lead",
        "区住房和城乡建设局": "cooperating",
        "黄埔交警大队": "cooperating",
        "区城市管理和综合执法局": "cooperating",
    }
    expect(page.locator("[data-timeline] [data-event]").last).to_have_attribute(
        "data-event", "dispatch"
    )


def test_a_step_without_its_reason_shows_the_message_beside_the_field(as_user, live_server, demo):
    case = file("0501", "公交站点设置不合理")
    page = as_user("community")
    page.goto(f"{live_server.url}/console/cases/{case.pk}/")

    page.click("button[data-step='escalate']")
    page.locator("[data-submit='escalate']").click()

    form = page.locator("form[data-step-form='escalate']")
    expect(form).to_be_visible()  # shown again, open, with the message under the field
    expect(form.locator("[data-error-for='reason']")).not_to_be_empty()
    expect(form.locator("textarea[name=reason]")).to_have_class("form-control is-invalid")
    assert Case.objects.get(pk=case.pk).level == 3

    form.locator("textarea[name=reason]").fill("需街道协调")
    form.locator("[data-submit='escalate']").click()
    expect(page.locator("[data-holder]")).to_contain_text("黄埔街道")
    expect(page.locator("[data-no-actions]")).to_be_visible()


def test_a_step_someone_else_took_first_is_refused_and_shown_as_it_stands(
    as_user, live_server, demo
):
    case = file("0501", "公交站点设置不合理")
    page = as_user("community")
    page.goto(f"{live_server.url}/console/cases/{case.pk}/")

    services.accept_case(Case.objects.get(pk=case.pk), actor=user("community"))  # elsewhere
    page.click("button[data-step='escalate']")
    form = page.locator("form[data-step-form='escalate']")
    form.locator("textarea[name=reason]").fill("需街道协调")
    form.locator("[data-submit='escalate']").click()

    expect(page.locator("[data-alert]")).to_be_visible()
    expect(page.locator("[data-status]")).to_have_attribute("data-status", "in_progress")
    assert Case.objects.get(pk=case.pk).level == 3


def test_a_duplicate_is_rejected_by_picking_the_original_the_report_offers(
    as_user, live_server, demo
):
    original = file("0501", "公交站点设置不合理")
    repeat = file("0501", "公交站点设置不合理（又报）")
    services.route_filed_case(repeat.pk)
    page = as_user("community")
    page.goto(f"{live_server.url}/console/cases/{repeat.pk}/")

    page.click("button[data-step='reject']")
    form = page.locator("form[data-step-form='reject']")
    form.locator(f"[data-fill-duplicate='{original.number}']").click()
    expect(form.locator("input[name=duplicate_of]")).to_have_value(original.number)
    form.locator("textarea[name=reason]").fill("与前一条重复")
    form.locator("[data-submit='reject']").click()

    expect(page.locator("[data-status]")).to_have_attribute("data-status", "rejected")
    expect(page.locator("[data-duplicate-of]")).to_have_text(original.number)


def test_a_photo_opens_large_on_click(as_user, live_server, demo, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    with open(make_jpeg(tmp_path / "site.jpg"), "rb") as handle:
        upload = SimpleUploadedFile("site.jpg", handle.read(), content_type="image/jpeg")
    case = file("0501", "公交站点设置不合理", photos=[upload])
    page = as_user("community")
    page.goto(f"{live_server.url}/console/cases/{case.pk}/")

    thumbnail = page.locator("a[data-photo] img").first
    expect(thumbnail).to_be_visible()
    # Visible (laid out) comes before loaded: wait for the image itself, the 320 px thumbnail.
    page.wait_for_function(
        "(img) => img.complete && img.naturalWidth === 320", arg=thumbnail.element_handle()
    )
    thumbnail.click()

    full = page.locator("#photo-modal [data-photo-full]")
    expect(full).to_be_visible()
    page.wait_for_function("document.querySelector('#photo-modal img').naturalWidth === 800")


# The department inbox


def test_transport_signs_asks_for_time_the_district_approves_and_transport_reports_done(
    as_user, live_server, demo, tmp_path
):
    case = to_district(file("0501", "公交站点设置不合理"))
    services.dispatch_case(
        case, actor=user("district"), lead=Department.objects.get(name="区交通运输局")
    )
    lead = case.dispatches.get()
    transport = as_user("transport")
    transport.goto(f"{live_server.url}/console/dispatches/")
    card = transport.locator(f"[data-dispatch='{lead.pk}']")

    card.locator("button[data-dispatch-step='sign']").click()
    expect(card).to_have_attribute("data-dispatch-status", "signed")
    until = timezone.localtime(lead.due_at + timedelta(days=5)).strftime("%Y-%m-%dT%H:%M")
    card.locator("button[data-dispatch-step='request_extension']").click()
    card.locator("input[name=until]").fill(until)
    card.locator("textarea[name=reason]").fill("需采购站台材料")
    card.locator("[data-dispatch-submit='request_extension']").click()
    expect(card.locator("[data-extension-request]")).to_contain_text("需采购站台材料")

    district = as_user("district")
    district.goto(f"{live_server.url}/console/dispatches/")
    request = district.locator(f"#extension-requests [data-dispatch='{lead.pk}']")
    request.locator("button[data-dispatch-step='approve_extension']").click()
    request.locator("input[name=approve][value='1']").check()
    request.locator("[data-dispatch-submit='approve_extension']").click()
    expect(district.locator("#extension-requests")).to_have_count(0)
    lead.refresh_from_db()
    assert timezone.localtime(lead.due_at).strftime("%Y-%m-%dT%H:%M") == until

    transport.reload()
    card.locator("button[data-dispatch-step='report_done']").click()
    card.locator("textarea[name=result]").fill("站台已迁移至人行道内侧")
    card.locator("input[name=photos]").set_input_files(make_jpeg(tmp_path / "done.jpg"))
    card.locator("[data-dispatch-submit='report_done']").click()

    expect(transport.locator("[data-empty]")).to_be_visible()  # nothing left to do
    case.refresh_from_db()
    assert (case.status, case.resolution, case.photos.count()) == (
        "resolved",
        "站台已迁移至人行道内侧",
        1,
    )


def test_a_refusal_without_a_reason_is_shown_beside_the_field_in_the_inbox(
    as_user, live_server, demo
):
    case = to_district(file("0501", "公交站点设置不合理"))
    services.dispatch_case(
        case, actor=user("district"), lead=Department.objects.get(name="区交通运输局")
    )
    page = as_user("transport")
    page.goto(f"{live_server.url}/console/dispatches/")

    page.click("button[data-dispatch-step='refuse']")
    page.click("[data-dispatch-submit='refuse']")

    expect(
        page.locator("form[data-dispatch-form='refuse'] [data-error-for='reason']")
    ).to_be_visible()
    assert case.dispatches.get().status == "pending"


# Messages


def test_the_unread_badge_counts_messages_and_marking_them_read_clears_it(
    as_user, live_server, demo
):
    case = file("0501", "公交站点设置不合理")
    services.escalate_case(case, actor=user("community"), reason="需街道协调")
    for event in case.events.all():
        notifications.notify(event.pk)
    page = as_user("street")

    page.goto(f"{live_server.url}/console/cases/")
    expect(page.locator("[data-unread-badge] [data-unread]")).to_have_attribute("data-unread", "1")
    page.click("a[href='/console/inbox/']")
    expect(page.locator("[data-notification][data-read='0']")).to_have_count(1)
    page.click("[data-mark-read]")

    expect(page.locator("[data-notification][data-read='1']")).to_have_count(1)
    expect(page.locator("[data-unread-badge] [data-unread]")).to_have_count(0)
    page.click("[data-notification] a")
    expect(page.locator("[data-case-title]")).to_have_text("公交站点设置不合理")
