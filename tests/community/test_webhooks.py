"""Service requests' steps reach webhook subscribers (webhooks/service_requests.py): written
with the step, once, only for the types asked for, and without the resident's words."""

import pytest
from django.db import transaction

from community import services
from webhooks.models import Delivery, Subscription

pytestmark = pytest.mark.django_db


@pytest.fixture
def subscribed(user):
    subscription = Subscription(
        name="民政局系统",
        url="http://receiver.example/hook",
        secret="s" * 40,
        owner=user("admin"),
        event_types=["service_request.recorded", "service_request.done"],
    )
    subscription.full_clean()
    subscription.save()
    return subscription


def test_the_steps_asked_for_are_written_once_with_the_step(subscribed, record, user):
    request = record()
    staff = user("community")
    services.accept_request(request, actor=staff)
    services.complete_request(request, actor=staff, result="已代办", satisfaction=5)

    rows = list(Delivery.objects.order_by("pk"))
    assert [(row.subscription_id, row.event_type) for row in rows] == [
        (subscribed.pk, "service_request.recorded"),
        (subscribed.pk, "service_request.done"),
    ]
    done = rows[1].payload
    assert done["service_request"]["number"] == request.number
    assert done["service_request"]["status"] == "done"
    assert done["service_request"]["satisfaction"] == 5
    assert done["step"]["name"] == "complete"
    assert "腿脚不便" not in str(rows[0].payload) + str(done)


def test_a_step_rolled_back_leaves_no_delivery(subscribed, record, user):
    request = record()
    staff = user("community")
    services.accept_request(request, actor=staff)

    def complete_then_fail():
        with transaction.atomic():
            services.complete_request(request, actor=staff, result="已代办", satisfaction=5)
            raise RuntimeError("the caller's transaction fails after the step")

    with pytest.raises(RuntimeError):
        complete_then_fail()
    assert list(Delivery.objects.values_list("event_type", flat=True)) == [
        "service_request.recorded"
    ]
