"""The district's answers to the hotline from a case's page (签收, 退回 within the return window,
延期申请), and the caller: masked on the page, revealed only by an audited request."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from cases.models import Case
from grid.models import AuditEntry
from hotline import outbound
from hotline.models import Reply, WorkOrder
from tests.hotline.conftest import CALLER
from webhooks.models import Delivery

pytestmark = pytest.mark.django_db


@pytest.fixture
def work_order(post, order):
    """A work order received now, returnable for two hours, as a case held by grid1's grid."""
    body = order()
    assert post(body).status_code == 201
    return WorkOrder.objects.select_related("case").get(number=body["number"])


@pytest.fixture
def console(client):
    """console("district") → Django's test client signed in as that demo user."""

    def sign_in(username: str):
        client.force_login(get_user_model().objects.get(username=username))
        return client

    return sign_in


def url(work_order, action: str) -> str:
    return f"/console/hotline/{work_order.case_id}/{action}/"


def test_the_case_page_shows_the_work_order_with_the_caller_masked(console, work_order):
    page = console("district").get(f"/console/cases/{work_order.case_id}/")

    html = page.content.decode()
    assert page.status_code == 200
    assert "data-hotline-panel" in html
    assert work_order.number in html
    assert "138****5678" in html
    assert "李**" in html
    assert CALLER["phone"] not in html
    assert CALLER["name"] not in html
    for action in ("sign", "return", "extension"):
        assert f'data-hotline-step="{action}"' in html


def test_a_case_of_no_work_order_shows_no_panel(console, file_case):
    case = file_case()

    page = console("district").get(f"/console/cases/{case.pk}/")

    assert page.status_code == 200
    assert "data-hotline-panel" not in page.content.decode()


def test_only_the_district_is_offered_the_answers(console, work_order):
    html = console("grid1").get(f"/console/cases/{work_order.case_id}/").content.decode()

    assert "data-hotline-panel" in html
    assert "data-hotline-step" not in html


def test_the_district_signs_for_the_work_order_once(console, work_order, sent):
    browser = console("district")

    first = browser.post(url(work_order, "sign"))
    again = browser.post(url(work_order, "sign"))

    assert first.status_code == 302
    assert again.status_code == 409
    work_order.refresh_from_db()
    assert work_order.signed_at is not None
    assert Reply.objects.filter(work_order=work_order, kind="signed").count() == 1
    ((event_type, payload, case_id, _key),) = sent
    assert (event_type, case_id) == ("hotline.signed", work_order.case_id)
    assert payload == {
        "work_order": work_order.number,
        "case": work_order.case.number,
        "at": work_order.signed_at.isoformat(),
    }


def test_a_grid_worker_may_not_answer_the_hotline(console, work_order, sent):
    answer = console("grid1").post(url(work_order, "sign"))

    assert answer.status_code == 403
    assert sent == []
    assert WorkOrder.objects.get(pk=work_order.pk).signed_at is None


def test_a_case_outside_my_area_is_not_found(console, work_order, sent):
    assert console("grid2").post(url(work_order, "sign")).status_code == 404
    assert console("grid2").post(url(work_order, "reveal"), {"purpose": "case"}).status_code == 404


def test_a_return_within_the_window_closes_our_case_as_not_ours(console, work_order, sent):
    answer = console("district").post(url(work_order, "return"), {"reason": "属开发区管辖"})

    assert answer.status_code == 302
    case = Case.objects.get(pk=work_order.case_id)
    assert case.status == "rejected"
    assert case.events.last().reason == "已退回12345热线：属开发区管辖"
    assert WorkOrder.objects.get(pk=work_order.pk).returned_at is not None
    ((event_type, payload, _case, _key),) = sent
    assert event_type == "hotline.returned"
    assert payload["reason"] == "属开发区管辖"


def test_a_return_needs_a_reason(console, work_order, sent):
    answer = console("district").post(url(work_order, "return"), {"reason": " "})

    assert answer.status_code == 400
    assert 'data-error-for="reason"' in answer.content.decode()
    assert Case.objects.get(pk=work_order.case_id).status == "reported"
    assert sent == []


def test_no_return_once_the_window_has_closed(console, work_order, sent):
    WorkOrder.objects.filter(pk=work_order.pk).update(
        return_by=timezone.now() - timedelta(minutes=1)
    )

    answer = console("district").post(url(work_order, "return"), {"reason": "属开发区管辖"})

    assert answer.status_code == 409
    assert "截止" in answer.content.decode()
    assert Case.objects.get(pk=work_order.case_id).status == "reported"
    assert not Reply.objects.exists()
    assert sent == []


def test_no_return_without_a_window(console, post, order, sent):
    body = order(return_by=None)
    post(body)
    work_order = WorkOrder.objects.get(number=body["number"])

    answer = console("district").post(url(work_order, "return"), {"reason": "属开发区管辖"})

    assert answer.status_code == 409
    assert sent == []


def test_the_return_is_not_offered_once_the_window_has_closed(console, work_order):
    WorkOrder.objects.filter(pk=work_order.pk).update(
        return_by=timezone.now() - timedelta(minutes=1)
    )

    html = console("district").get(f"/console/cases/{work_order.case_id}/").content.decode()

    assert 'data-hotline-step="return"' not in html
    assert 'data-hotline-step="extension"' in html


def test_an_extension_asks_the_hotline_for_a_later_deadline(console, work_order, sent):
    until = timezone.localtime(work_order.case.hotline_due_at + timedelta(days=2))

    answer = console("district").post(
        url(work_order, "extension"),
        {"until": until.strftime("%Y-%m-%dT%H:%M"), "reason": "需协调多个部门"},
    )

    assert answer.status_code == 302
    ((event_type, payload, _case, _key),) = sent
    assert event_type == "hotline.extension_requested"
    assert payload["reason"] == "需协调多个部门"
    assert payload["until"] == until.replace(second=0, microsecond=0).isoformat()
    # The deadline is the hotline's to move.
    assert Case.objects.get(pk=work_order.case_id).hotline_due_at == work_order.case.hotline_due_at


def test_an_extension_must_be_later_than_the_deadline(console, work_order, sent):
    until = timezone.localtime(work_order.case.hotline_due_at - timedelta(hours=1))

    answer = console("district").post(
        url(work_order, "extension"),
        {"until": until.strftime("%Y-%m-%dT%H:%M"), "reason": "需协调"},
    )

    assert answer.status_code == 400
    assert 'data-error-for="until"' in answer.content.decode()
    assert sent == []


# The caller


def test_the_district_reveals_the_caller_with_a_purpose_audited(console, work_order):
    answer = console("district").post(url(work_order, "reveal"), {"purpose": "case"})

    html = answer.content.decode()
    assert answer.status_code == 200
    assert CALLER["phone"] in html
    assert CALLER["name"] in html
    assert "no-store" in answer["Cache-Control"]
    entry = AuditEntry.objects.get(model="WorkOrder", object_id=work_order.pk)
    assert (entry.actor.username, entry.action, entry.detail) == ("district", "reveal", "case")
    assert entry.fields == "caller_name,caller_phone"
    assert CALLER["phone"] not in f"{entry.fields} {entry.detail}"


def test_a_reveal_for_another_purpose_needs_words(console, work_order):
    answer = console("district").post(url(work_order, "reveal"), {"purpose": "other"})

    assert answer.status_code == 400
    assert CALLER["phone"] not in answer.content.decode()
    assert not AuditEntry.objects.filter(model="WorkOrder").exists()


def test_a_supervisor_sees_the_case_but_not_the_caller(console, work_order):
    answer = console("supervisor").post(url(work_order, "reveal"), {"purpose": "case"})

    assert answer.status_code == 403
    assert CALLER["phone"] not in answer.content.decode()
    assert not AuditEntry.objects.filter(model="WorkOrder").exists()


def test_reveals_count_against_the_hourly_allowance(console, work_order, settings):
    settings.SANHUA_REVEALS_PER_HOUR = 1
    browser = console("district")

    first = browser.post(url(work_order, "reveal"), {"purpose": "case"})
    second = browser.post(url(work_order, "reveal"), {"purpose": "case"})

    assert (first.status_code, second.status_code) == (200, 429)
    assert int(second["Retry-After"]) > 0
    assert CALLER["phone"] not in second.content.decode()


def test_an_answer_goes_to_the_outbox_with_its_step_and_a_refused_one_writes_nothing(
    console, work_order, subscribe, receiver
):
    subscribe(receiver.url, name="12345", event_types=list(outbound.EVENT_TYPES))
    WorkOrder.objects.filter(pk=work_order.pk).update(
        return_by=timezone.now() - timedelta(minutes=1)
    )
    browser = console("district")

    assert browser.post(url(work_order, "return"), {"reason": "属开发区管辖"}).status_code == 409
    assert not Delivery.objects.exists()
    assert browser.post(url(work_order, "sign")).status_code == 302
    (delivery,) = Delivery.objects.all()
    assert (delivery.event_type, delivery.case_id) == ("hotline.signed", work_order.case_id)
    assert delivery.payload["work_order"] == work_order.number
