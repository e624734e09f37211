"""The Huangpu bus-stop story of DOMAIN.md, end to end in a real browser, one browser context per
person: grid1 files the report with a photo on the field app's report page while her phone is
offline, and it uploads once when the network returns; the community and the street escalate it
on the console; the district accepts it and dispatches it to the transport bureau as lead with
the construction bureau, the parks bureau and the traffic police cooperating; transport signs
and reports done before the cooperating departments, with its reason to go ahead, so their
dispatches close with the case; grid1 verifies it on site in the field app; the supervisor sees
it closed.

Saves test-artifacts/screenshots/dispatcher-case-page.png: the district's case page at 1280 px.
"""

import pytest
from PIL import Image
from playwright.sync_api import expect

from cases.models import Case, Dispatch
from tests.browser.conftest import fits_the_screen, wait_until

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 360, "height": 740}
SCREEN = {"width": 1280, "height": 800}


def make_jpeg(path, colour) -> str:
    Image.new("RGB", (1600, 1200), colour).save(path, "JPEG", quality=85)
    return str(path)


def open_case_from_queue(page, live_server, case: Case):
    """Go to the queue, find the case there and open its page."""
    page.goto(f"{live_server.url}/console/cases/")
    page.locator(f"tr[data-case='{case.pk}'] .queue-case a").click()
    expect(page.locator("[data-case-title]")).to_have_text(case.title)


def take_step(page, action: str, **fields):
    """Open a step's form on the case page, fill it and send it."""
    page.click(f"button[data-step='{action}']")
    form = page.locator(f"form[data-step-form='{action}']")
    for name, value in fields.items():
        form.locator(f"[name={name}]").fill(value)
    form.locator(f"[data-submit='{action}']").click()


def test_the_bus_stop_story_runs_end_to_end_in_the_browser(
    browser,
    browser_context_args,
    sign_in,
    live_server,
    demo,
    home_grids,
    home_community,
    home_street,
    screenshot,
    tmp_path,
):
    grid = home_grids[0]
    contexts = []

    def person(username: str, viewport=SCREEN, **options):
        context = browser.new_context(**{**browser_context_args, "viewport": viewport, **options})
        contexts.append(context)
        sign_in(context, username)
        return context.new_page()

    try:
        # grid1, on her phone by the bus stop with no signal, files the report with a photo.
        phone = person(
            "grid1",
            PHONE,
            geolocation={"longitude": grid.centroid_lng, "latitude": grid.centroid_lat},
            permissions=["geolocation"],
        )
        phone.goto(f"{live_server.url}/field/report/")
        assert wait_until(phone, "navigator.serviceWorker.controller !== null")
        expect(phone.locator("#grid-status")).to_contain_text(grid.name)
        phone.context.set_offline(True)
        phone.fill("#category-search", "公交")
        phone.click("#category-list button[data-code='0501']")
        phone.fill("#report-title", "公交站点设置不合理")
        phone.fill(
            "#report-description", "站台紧贴花坛，乘客须踩踏花坛上下车，老人和残疾人无法上车。"
        )
        phone.set_input_files("#photo-camera", make_jpeg(tmp_path / "stop.jpg", (90, 140, 60)))
        expect(phone.locator("#photo-grid img")).to_have_count(1)
        phone.click("#report-submit")
        expect(phone.locator("#outbox-pending")).to_have_text("1")
        assert not Case.objects.exists()
        phone.context.set_offline(False)  # back in signal: the outbox uploads by itself
        expect(phone.locator("#outbox-sent")).to_have_text("1")
        expect(phone.locator("#outbox-pending")).to_have_text("0")
        phone.click("#sync-button")  # syncing again finds nothing left to upload: still one case
        expect(phone.locator("#outbox-sent")).to_have_text("1")
        case = Case.objects.get()
        assert (case.level, case.holder, case.photos.count()) == (3, home_community, 1)

        # The community cannot solve it: up to the street.
        community = person("community")
        open_case_from_queue(community, live_server, case)
        take_step(community, "escalate", reason="站台迁移需街道协调交通、园林部门")
        expect(community.locator("[data-holder]")).to_contain_text(home_street.name)

        # Nor can the street: up to the district.
        street = person("street")
        open_case_from_queue(street, live_server, case)
        take_step(street, "escalate", reason="涉及多个区直部门，报区三化办")
        expect(street.locator("[data-holder]")).to_contain_text("黄埔区")

        # The district accepts it and dispatches it: transport leads, three cooperate.
        district = person("district")
        open_case_from_queue(district, live_server, case)
        district.click("button[data-step='accept']")
        expect(district.locator("[data-status]")).to_have_attribute("data-status", "in_progress")
        district.click("button[data-step='dispatch']")
        form = district.locator("form[data-step-form='dispatch']")
        expect(form.locator("select[name=lead] option:checked")).to_have_text("区交通运输局")
        picker = form.locator("[data-department-picker]")
        for name in ["区住房和城乡建设局", "区农业农村局（园林）", "黄埔交警大队"]:
            expect(picker.locator(f"[data-name='{name}'] input")).to_be_checked()
        form.locator("textarea[name=instructions]").fill(
            "交通局牵头迁移站台；建设局、园林部门、交警大队配合。"
        )
        expect(district.locator("#case-map[data-ready='1'] canvas").first).to_be_visible()
        screenshot(district, "dispatcher-case-page")
        assert fits_the_screen(district)
        form.locator("[data-submit='dispatch']").click()
        expect(district.locator("[data-status]")).to_have_attribute("data-status", "dispatched")
        expect(district.locator("#dispatches [data-dispatch]")).to_have_count(4)
        screenshot(district, "dispatcher-case-page-dispatched")

        # Transport signs for the work and reports it done with a photo.
        transport = person("transport")
        transport.goto(f"{live_server.url}/console/dispatches/")
        lead = case.dispatches.get(role=Dispatch.Role.LEAD)
        card = transport.locator(f"[data-dispatch='{lead.pk}']")
        card.locator("button[data-dispatch-step='sign']").click()
        expect(card).to_have_attribute("data-dispatch-status", "signed")
        card.locator("button[data-dispatch-step='report_done']").click()
        card.locator("textarea[name=result]").fill("站台已迁移至人行道内侧，花坛已修复")
        # The cooperating departments have not reported: the lead says why it goes ahead.
        expect(card.locator(".form-text", has_text="区住房和城乡建设局")).to_be_visible()
        card.locator("textarea[name=go_ahead_reason]").fill("交通局已一并完成花坛修复和交通疏导")
        card.locator("input[name=photos]").set_input_files(
            make_jpeg(tmp_path / "moved.jpg", (60, 90, 160))
        )
        card.locator("[data-dispatch-submit='report_done']").click()
        expect(transport.locator(f"[data-dispatch='{lead.pk}']")).to_have_count(0)
        case.refresh_from_db()
        assert case.status == Case.Status.RESOLVED

        # grid1 checks on site and passes it, with a photo, in the field app.
        phone.goto(f"{live_server.url}/field/tasks/")
        phone.click(f"#verify [data-case='{case.pk}']")
        verify = phone.locator("details[data-action='verify']")
        if not verify.evaluate("details => details.open"):  # the only step here comes open
            verify.locator("summary").click()
        verify.locator("input[name='verify-passed'][value='1']").check()
        verify.locator("textarea[name='verify-note']").fill("现场核查：站台已迁移，通行正常")
        verify.locator("input[name='verify-photos']").set_input_files(
            make_jpeg(tmp_path / "check.jpg", (150, 150, 150))
        )
        expect(verify.locator(".js-compress-note")).not_to_be_empty()
        verify.locator("button[type=submit]").click()
        expect(phone.locator("#case-status")).to_have_attribute("data-status", "closed")

        # The supervisor sees it closed, with its whole history.
        supervisor = person("supervisor")
        supervisor.goto(f"{live_server.url}/console/cases/")
        row = supervisor.locator(f"tr[data-case='{case.pk}']")
        expect(row.locator(".badge.status-closed")).to_be_visible()
        row.locator(".queue-case a").click()
        expect(supervisor.locator("[data-status]")).to_have_attribute("data-status", "closed")
        expect(supervisor.locator("[data-timeline] [data-event]")).to_have_count(12)
    finally:
        for context in contexts:
            context.close()

    case.refresh_from_db()
    assert (case.status, case.level, case.photos.count()) == (Case.Status.CLOSED, 1, 3)
    assert [e.action for e in case.events.all()] == [
        "report",
        "escalate",
        "escalate",
        "accept",
        "dispatch",
        "dispatch_sign",
        "dispatch_report_done",
        *["dispatch_close_with_case"] * 3,
        "resolve",
        "verify_pass",
    ]
    assert [(e.actor.username if e.actor else None) for e in case.events.all()] == [
        "grid1",
        "community",
        "street",
        "district",
        "district",
        "transport",
        "transport",
        *["transport"] * 3,
        "transport",
        "grid1",
    ]
    assert sorted(
        (d.department.name, d.role) for d in case.dispatches.select_related("department")
    ) == sorted(
        [
            ("区交通运输局", "lead"),
            ("区住房和城乡建设局", "cooperating"),
            ("区农业农村局（园林）", "cooperating"),
            ("黄埔交警大队", "cooperating"),
        ]
    )
    assert sorted(case.dispatches.values_list("role", "status")) == [
        *[("cooperating", "closed_with_case")] * 3,
        ("lead", "done"),
    ]
