"""The admin of webhooks: superusers register subscriptions (checked as the model checks them),
pause and resume them, read the delivery log and send deliveries again; nobody else sees them."""

import pytest
from django.contrib.auth import get_user_model

from grid.models import Department
from tests.webhooks.test_outbox import URL, notify_all
from webhooks.models import Delivery, Subscription

pytestmark = pytest.mark.django_db
ADD = "/admin/webhooks/subscription/add/"


@pytest.fixture
def superuser_client(client, user):
    client.force_login(user("admin"))
    return client


def _form(**more) -> dict:
    return {
        "name": "交通局系统", "url": URL, "secret": "s" * 64, "event_types": ["case.dispatched"],
        "owner": get_user_model().objects.get(username="admin").pk, **more,
    }  # fmt: skip


def test_a_superuser_registers_a_subscription(superuser_client):
    response = superuser_client.post(ADD, _form(event_types=["case.dispatched", "case.closed"]))

    assert response.status_code == 302
    subscription = Subscription.objects.get()
    assert subscription.event_types == ["case.dispatched", "case.closed"]
    assert subscription.status == "active"


@pytest.mark.parametrize(
    ("more", "field"),
    [
        ({"event_types": ["case.nothing"]}, "event_types"),
        ({"event_types": []}, "event_types"),
        ({"include_personal_data": "on"}, "include_personal_data"),
        ({"url": "ftp://receiver.example/"}, "url"),
        ({"secret": "short"}, "secret"),
    ],
)
def test_a_bad_subscription_is_refused_field_by_field(superuser_client, more, field):
    response = superuser_client.post(ADD, _form(**more))

    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert not Subscription.objects.exists()


def test_personal_data_is_allowed_for_a_department(superuser_client):
    police = Department.objects.get(name="黄埔交警大队")
    response = superuser_client.post(ADD, _form(include_personal_data="on", department=police.pk))

    assert response.status_code == 302
    assert Subscription.objects.get().include_personal_data


def test_the_delivery_log_shows_and_sends_again(superuser_client, subscribe, file_case):
    subscribe(URL)
    file_case("0101")
    notify_all()
    delivery = Delivery.objects.get()
    Delivery.objects.update(status="delivered", attempts=1, last_status_code=200)

    listed = superuser_client.get("/admin/webhooks/delivery/")
    shown = superuser_client.get(f"/admin/webhooks/delivery/{delivery.pk}/change/")
    sent = superuser_client.post(
        "/admin/webhooks/delivery/",
        {"action": "redeliver_selected", "_selected_action": [delivery.pk]},
    )

    assert listed.status_code == shown.status_code == 200
    assert str(delivery.uuid) in listed.content.decode()
    assert delivery.payload["case"]["number"] in shown.content.decode()
    assert sent.status_code == 302
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.delivered_at) == ("pending", 0, None)


def test_pausing_holds_the_deliveries_and_resuming_sends_them(
    superuser_client, subscribe, file_case
):
    subscription = subscribe(URL)
    file_case("0101")
    notify_all()
    changelist = "/admin/webhooks/subscription/"

    superuser_client.post(
        changelist, {"action": "pause_selected", "_selected_action": [subscription.pk]}
    )
    subscription.refresh_from_db()
    assert subscription.status == "paused"
    assert list(Delivery.objects.values_list("next_attempt_at", flat=True)) == [None]
    file_case("0101")
    notify_all()  # written while paused: held too
    assert list(Delivery.objects.values_list("next_attempt_at", flat=True)) == [None, None]

    superuser_client.post(
        changelist, {"action": "resume_selected", "_selected_action": [subscription.pk]}
    )
    subscription.refresh_from_db()
    assert (subscription.status, subscription.paused_at) == ("active", None)
    assert not Delivery.objects.filter(next_attempt_at__isnull=True).exists()


def test_only_superusers_see_webhooks(client, user, subscribe):
    subscribe(URL)
    staff = user("district")
    staff.is_staff = True
    staff.save()
    client.force_login(staff)

    for url in ("/admin/webhooks/subscription/", "/admin/webhooks/delivery/"):
        assert client.get(url).status_code == 403
