"""The hotline moves its deadline (延期审批: its answer to our 延期申请): the case carries the new
deadline, the change is kept with the old one and the reason, and only while the work order is
ours and open."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from cases.models import Case
from governance.clients import register
from governance.models import ApiClient
from hotline import services as hotline_services
from hotline.models import DeadlineChange, WorkOrder
from tests.hotline.conftest import URL

pytestmark = pytest.mark.django_db


@pytest.fixture
def work_order(post, order):
    body = order()
    assert post(body).status_code == 201
    return WorkOrder.objects.select_related("case").get(number=body["number"])


def move(work_order, key, body, lang="zh-hans"):
    return APIClient().post(
        f"{URL}{work_order.number}/deadline/",
        body,
        format="json",
        HTTP_X_API_KEY=key,
        HTTP_ACCEPT_LANGUAGE=lang,
    )


def test_the_hotline_grants_an_extension_and_the_case_carries_it(work_order, hotline, client, user):
    before = work_order.case.hotline_due_at
    later = before + timedelta(days=5)

    answer = move(work_order, hotline[1], {"due_at": later.isoformat(), "reason": "同意延期"})

    assert answer.status_code == 200, answer.json()
    assert Case.objects.get(pk=work_order.case_id).hotline_due_at == later
    change = DeadlineChange.objects.get(work_order=work_order)
    assert (change.due_at_before, change.due_at, change.reason) == (before, later, "同意延期")
    client.force_login(user("district"))
    page = client.get(f"/console/cases/{work_order.case_id}/").content.decode()
    assert "data-deadline-changes" in page
    assert "同意延期" in page


def test_a_deadline_in_the_past_is_refused(work_order, hotline):
    past = timezone.now() - timedelta(hours=1)

    chinese = move(work_order, hotline[1], {"due_at": past.isoformat()})
    english = move(work_order, hotline[1], {"due_at": past.isoformat()}, lang="en")

    assert (chinese.status_code, english.status_code) == (400, 400)
    assert "晚于现在" in chinese.json()["errors"]["due_at"][0]
    assert "future" in english.json()["errors"]["due_at"][0]
    assert not DeadlineChange.objects.exists()


def test_no_move_once_the_work_order_is_returned(work_order, hotline, user, sent):
    hotline_services.return_work_order(work_order, actor=user("district"), reason="属开发区管辖")
    later = timezone.now() + timedelta(days=9)

    assert move(work_order, hotline[1], {"due_at": later.isoformat()}).status_code == 409
    assert not DeadlineChange.objects.exists()


def test_another_client_cannot_move_it(work_order):
    key = register(ApiClient(name="另一条热线", kind=ApiClient.Kind.HOTLINE))
    later = timezone.now() + timedelta(days=9)

    assert move(work_order, key, {"due_at": later.isoformat()}).status_code == 404
    assert not DeadlineChange.objects.exists()
