"""Stock phrases (常用语) in a real browser: the admin adds one; on the case page the community
picks it above the escalation's reason, it fills the reason, the user edits it, and the step
records the edited text; a department picks a refusal phrase in its inbox likewise."""

import pytest
from playwright.sync_api import expect

from cases import services
from cases.models import CaseEvent, Dispatch, StockPhrase
from grid.models import Department
from tests.browser.test_console import as_user, file, to_district, user  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)

PHRASE = "需街道牵头，协调城管和交警联合处置。"


def test_the_admin_adds_a_phrase_and_the_community_picks_and_edits_it(
    as_user,  # noqa: F811
    live_server,
    demo,
):
    case = file("0501", "公交站点设置不合理")
    admin = as_user("admin")
    admin.goto(f"{live_server.url}/admin/cases/stockphrase/add/")
    admin.select_option("#id_action", "escalate")
    admin.fill("#id_text", PHRASE)
    admin.fill("#id_order", "1")
    admin.click("input[name=_save]")
    expect(admin.locator(".messagelist")).to_be_visible()
    assert StockPhrase.objects.filter(text=PHRASE, action="escalate").exists()

    page = as_user("community")
    page.goto(f"{live_server.url}/console/cases/{case.pk}/")
    page.click("button[data-step='escalate']")
    form = page.locator("form[data-step-form='escalate']")
    picker = form.locator("select[data-phrases-for]")
    expect(picker).to_be_visible()  # shown by phrases.js; hidden without it
    picker.select_option(PHRASE)
    reason = form.locator("textarea[name=reason]")
    expect(reason).to_have_value(PHRASE)
    expect(reason).to_be_editable()
    reason.press("End")
    reason.type("公交站台已影响老人上下车。")
    form.locator("[data-submit='escalate']").click()

    expect(page.locator("[data-holder]")).to_contain_text("黄埔街道")
    event = CaseEvent.objects.filter(case=case).latest("version")
    assert (event.action, event.reason) == ("escalate", PHRASE + "公交站台已影响老人上下车。")


def test_a_department_picks_a_refusal_phrase_in_its_inbox(as_user, live_server, demo):  # noqa: F811
    StockPhrase.objects.create(action="refuse", text="不属于本部门职责，请改派区建设局。", order=0)
    case = to_district(file("0501", "公交站点设置不合理"))
    services.dispatch_case(
        case, actor=user("district"), lead=Department.objects.get(name="区交通运输局")
    )
    dispatch = case.dispatches.get()
    page = as_user("transport")
    page.goto(f"{live_server.url}/console/dispatches/")

    page.click(f"[data-dispatch='{dispatch.pk}'] button[data-dispatch-step='refuse']")
    form = page.locator(f"[data-dispatch='{dispatch.pk}'] form[data-dispatch-form='refuse']")
    form.locator("select[data-phrases-for]").select_option("不属于本部门职责，请改派区建设局。")
    expect(form.locator("textarea[name=reason]")).to_have_value(
        "不属于本部门职责，请改派区建设局。"
    )
    form.locator("[data-dispatch-submit='refuse']").click()

    expect(page.locator(f"[data-dispatch='{dispatch.pk}']")).to_have_count(0)
    dispatch.refresh_from_db()
    assert dispatch.status == Dispatch.Status.REFUSED
    assert dispatch.refusal_reason == "不属于本部门职责，请改派区建设局。"
