"""Done when: a hotline work order goes in, is worked, and its 签收, 办结反馈 and satisfaction
come back to the fake hotline, a real HTTP server on loopback that verifies each delivery's
signature as docs/webhooks.md tells receivers to, and fetches the result's photo with its key."""

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from cases import services
from cases.models import Case
from hotline import outbound
from hotline.models import WorkOrder
from tests.hotline.conftest import CALLER
from tests.webhooks.test_outbox import notify_all
from tests.webhooks.test_sending import drain

pytestmark = pytest.mark.django_db


def test_a_work_order_goes_in_is_worked_and_its_answers_come_back(
    post,
    order,
    hotline,
    subscribe,
    receiver,
    user,
    photo,
    client,  # noqa: F811
):
    subscribe(receiver.url, name="12345", event_types=list(outbound.EVENT_TYPES))
    body = order()

    # In: the hotline sends the work order; a retry changes nothing.
    assert post(body).status_code == 201
    assert post(body).status_code == 200
    work_order = WorkOrder.objects.get(number=body["number"])
    # The district signs for it on the case's page.
    client.force_login(get_user_model().objects.get(username="district"))
    assert client.post(f"/console/hotline/{work_order.case_id}/sign/").status_code == 302
    # Worked: the grid worker accepts it, resolves it on the spot with a photo, and calls the
    # resident back.
    case = Case.objects.select_related("category", "grid", "holder").get(pk=work_order.case_id)
    services.accept_case(case, actor=user("grid1"))
    services.self_resolve_case(
        case, actor=user("grid1"), result="已清运垃圾并加设垃圾桶", photos=[photo()]
    )
    services.callback_case(case, actor=user("grid1"), satisfaction=5, comment="很满意")

    notify_all()
    drain()

    assert receiver.refused == []
    assert [envelope["type"] for envelope in receiver.received] == [
        "hotline.signed",
        "hotline.feedback",
        "hotline.satisfaction",
    ]
    signed, feedback, satisfaction = (envelope["data"] for envelope in receiver.received)
    assert {signed["work_order"], feedback["work_order"], satisfaction["work_order"]} == {
        body["number"]
    }
    assert (feedback["outcome"], feedback["result"]) == ("closed", "已清运垃圾并加设垃圾桶")
    assert (satisfaction["satisfaction"], satisfaction["comment"]) == (5, "很满意")
    # The hotline fetches the result's photo with its key; nobody else can.
    (link,) = feedback["photos"]
    fetched = APIClient().get(link, HTTP_X_API_KEY=hotline[1])
    assert (fetched.status_code, fetched["Content-Type"]) == (200, "image/jpeg")
    assert APIClient().get(link).status_code == 401
    # Nothing of the caller went out.
    for _headers, raw in receiver.raw:
        assert CALLER["phone"].encode() not in raw
        assert CALLER["name"].encode() not in raw
