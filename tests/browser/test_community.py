"""Community services in a real browser: a grid worker records a service request with no
network and it uploads exactly once when the network returns; a grid worker's day (whom to
visit → a visit that raises a need → the need is a service request → the community does it and
the resident's satisfaction is recorded); and the pages fit a 360 px phone."""

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from community.models import CareVisit, ServiceRequest
from tests.browser import test_field
from tests.browser.conftest import fits_the_screen
from tests.browser.test_field import REQUEUE, open_field_page
from tests.community import conftest as community_fixtures
from tests.grid import conftest as registry_fixtures

grid1_phone = test_field.grid1_phone
admin_user = registry_fixtures.admin_user
family = registry_fixtures.family
catalogue = community_fixtures.catalogue
elderly = community_fixtures.elderly

pytestmark = pytest.mark.django_db(transaction=True)
PHONE = {"width": 360, "height": 740}


def test_a_service_request_recorded_offline_uploads_once(
    grid1_phone, page, live_server, family, catalogue
):
    person = family["head"]
    page.set_viewport_size(PHONE)
    open_field_page(page, live_server, f"/field/care/requests/new/?person={person.pk}")
    expect(page.locator("#request-person")).to_contain_text("138****5678")

    grid1_phone.set_offline(True)
    page.select_option("#id_service", str(catalogue("elderly_allowance").pk))
    page.fill("#id_description", "老人行动不便，请上门代办高龄津贴")
    page.click("#request-form button[type=submit]")

    expect(page.locator("#queue-flash")).to_be_visible()
    expect(page.locator("#queue-list li[data-state='pending']")).to_have_count(1)
    assert not ServiceRequest.objects.exists()
    client_id = page.locator("#queue-list li[data-state='pending']").get_attribute("data-client-id")

    grid1_phone.set_offline(False)  # the queue uploads by itself when the network returns
    expect(page.locator("#queue-list li[data-state='sent']")).to_have_count(1)
    request = ServiceRequest.objects.get()
    assert str(request.client_id) == client_id
    assert (request.person, request.service.code) == (person, "elderly_allowance")

    # The answer was lost, say: the request goes out again and the server knows its client id.
    page.evaluate(REQUEUE, client_id)
    with page.expect_response(
        lambda r: r.url.endswith("/api/service-requests/") and r.request.method == "POST"
    ) as upload:
        page.reload()
    assert upload.value.status == 200
    assert ServiceRequest.objects.count() == 1


def test_a_grid_workers_day(grid1_phone, page, live_server, browser, sign_in, elderly, catalogue):
    page.set_viewport_size(PHONE)
    open_field_page(page, live_server, "/field/care/")
    due = page.locator(f"a[data-person='{elderly.pk}']")
    expect(due).to_contain_text("陈建华")
    expect(due).to_contain_text("独居老人")
    assert fits_the_screen(page)

    due.click()
    page.fill("#id_findings", "老人腿脚不便，养老资格认证快到期")
    page.select_option("#id_need_service", str(catalogue("pension_certification").pk))
    page.fill("#id_need_description", "请上门做养老资格认证")
    page.click("#visit-form button[type=submit]")

    page.wait_for_url(f"{live_server.url}/field/care/")
    expect(page.locator(f"a[data-person='{elderly.pk}']")).to_have_count(0)
    visit = CareVisit.objects.get()
    request = ServiceRequest.objects.get()
    assert (request.visit, request.person, request.channel) == (visit, elderly, "visit")

    office = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai")
    sign_in(office, "community")
    staff = office.new_page()
    staff.goto(f"{live_server.url}/field/care/requests/{request.pk}/")
    staff.click("details[data-action='accept'] summary")
    staff.click("details[data-action='accept'] button[type=submit]")
    expect(staff.locator("#request-status")).to_have_attribute("data-status", "in_progress")
    staff.click("details[data-action='complete'] summary")
    staff.fill("#id_complete-result", "已上门完成养老资格认证")
    staff.select_option("#id_complete-satisfaction", "5")
    staff.click("details[data-action='complete'] button[type=submit]")
    expect(staff.locator("#request-status")).to_have_attribute("data-status", "done")
    expect(staff.locator("#request-satisfaction")).to_have_text("5/5")
    office.close()

    request.refresh_from_db()
    assert (request.status, request.satisfaction) == ("done", 5)
    assert request.assignee == get_user_model().objects.get(username="community")


def test_no_community_field_page_scrolls_sideways(
    grid1_phone, page, live_server, elderly, catalogue, family
):
    from community import services

    request, _created = services.record_request(
        actor=get_user_model().objects.get(username="grid1"),
        service=catalogue("residence_permit"),
        person=family["head"],
        description="一段很长很长的说明：需要办理居住证，租赁合同在房东处，房东长期在外地，请社区协助联系",
    )
    page.set_viewport_size(PHONE)
    for path in [
        "/field/care/",
        f"/field/care/persons/{elderly.pk}/visit/",
        "/field/care/requests/",
        "/field/care/requests/new/",
        f"/field/care/requests/{request.pk}/",
    ]:
        page.goto(live_server.url + path)
        page.wait_for_load_state("networkidle")
        assert fits_the_screen(page), f"{path} scrolls sideways at 360 px"


def test_a_visit_recorded_offline_keeps_the_time_it_was_made(
    grid1_phone, page, live_server, elderly
):
    from django.utils import timezone

    page.set_viewport_size(PHONE)
    open_field_page(page, live_server, f"/field/care/persons/{elderly.pk}/visit/")
    grid1_phone.set_offline(True)
    page.fill("#id_findings", "独居老人身体良好")
    page.click("#visit-form button[type=submit]")
    expect(page.locator("#queue-flash")).to_be_visible()
    recorded = timezone.now()
    assert not CareVisit.objects.exists()

    page.wait_for_timeout(1500)
    grid1_phone.set_offline(False)
    expect(page.locator("#queue-list li[data-state='sent']")).to_have_count(1)

    visit = CareVisit.objects.get()
    assert visit.visited_at <= recorded
    assert visit.findings == "独居老人身体良好"
