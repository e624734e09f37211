"""Sending the outbox to a real receiver on loopback: signed deliveries it can verify (and
replays it refuses), order per case, backoff with jitter up to a cap, a subscription paused
after a day of failures (time moved, not slept) and its owner told, resume and redeliver."""

import time
from datetime import timedelta

import pytest
import requests
from django.utils import timezone

from cases import notifications, services
from cases.models import Notification
from tests.webhooks.conftest import SECRET
from tests.webhooks.test_outbox import notify_all
from webhooks import sending, signing
from webhooks.models import Delivery, Subscription

pytestmark = pytest.mark.django_db
URL_NOWHERE = "http://receiver.example/hook"


def drain(now=None) -> None:
    """Send until nothing more is due at `now`."""
    for _ in range(50):
        attempted, _delivered = sending.send_due(now)
        if not attempted:
            return
    raise AssertionError("the outbox never drained")


def test_a_delivery_is_posted_signed_and_the_receiver_verifies_it(file_case, subscribe, receiver):
    subscribe(receiver.url)
    case = file_case("0101")
    notify_all()

    assert sending.send_due() == (1, 1)

    delivery = Delivery.objects.get()
    assert receiver.refused == []
    [envelope] = receiver.received
    assert envelope == {
        "id": str(delivery.uuid),
        "type": "case.reported",
        "created_at": delivery.created_at.isoformat(),
        "data": delivery.payload,
    }
    assert envelope["data"]["case"]["number"] == case.number
    [(headers, _body)] = receiver.raw
    assert headers["Sanhua-Delivery"] == str(delivery.uuid)
    assert headers["Sanhua-Event"] == "case.reported"
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 1, 200)
    assert delivery.delivered_at is not None


def test_a_replayed_delivery_is_refused_once_its_timestamp_is_too_old(
    file_case, subscribe, receiver
):
    subscribe(receiver.url)
    file_case("0101")
    notify_all()
    drain()
    [(headers, body)] = receiver.raw
    again = {k: v for k, v in headers.items() if k.startswith("Sanhua") or k == "Content-Type"}

    # At once a copy passes the check; the receiver knows it by its id, which is the same.
    assert requests.post(receiver.url, data=body, headers=again, timeout=5).status_code == 200
    receiver.clock = lambda: time.time() + 301
    assert requests.post(receiver.url, data=body, headers=again, timeout=5).status_code == 400
    receiver.clock = time.time
    changed = body.replace(b"case.reported", b"case.closed")
    assert requests.post(receiver.url, data=changed, headers=again, timeout=5).status_code == 400
    assert receiver.refused == [headers["Sanhua-Signature"]] * 2
    assert receiver.ids()[0] == receiver.ids()[1]


def test_verify_takes_a_good_signature_and_refuses_old_changed_and_malformed_ones():
    body, now = b'{"id":"x"}', 1_800_000_000
    good = signing.header(SECRET, body, now)

    assert signing.verify(SECRET, good, body, now=now + 299) == now
    # A second v1 (a secret being changed) is fine as long as one matches.
    assert signing.verify(SECRET, "v1=00," + good, body, now=now) == now
    for value, payload, at in [
        (good, body, now + 301),
        (good, body, now - 301),
        (good, b'{"id":"y"}', now),
        (signing.header("other secret", body, now), body, now),
        ("t=abc,v1=00", body, now),
        ("", body, now),
    ]:
        with pytest.raises(signing.InvalidSignature):
            signing.verify(SECRET, value, payload, now=at)


def test_a_cases_deliveries_arrive_in_the_order_of_its_history(
    file_case, user, subscribe, receiver
):
    subscribe(receiver.url)
    first, _second = file_case("0501"), file_case("0501")
    notify_all()
    services.accept_case(first, actor=user("community"))
    services.escalate_case(first, actor=user("community"), reason="需街道协调")
    notify_all()
    refused_once = set()

    def answer(envelope):
        # The receiver fails the first case's report once.
        mine = envelope["data"]["case"]["id"] == first.pk and envelope["type"] == "case.reported"
        if mine and envelope["id"] not in refused_once:
            refused_once.add(envelope["id"])
            return 500
        return 200

    receiver.answer = answer
    assert sending.send_due() == (2, 1)  # the first case's report failed, the second's went
    later = timezone.now() + timedelta(hours=2)
    receiver.clock = later.timestamp  # the receiver's clock moves with ours
    drain(later)

    first_case = [e["type"] for e in receiver.received if e["data"]["case"]["id"] == first.pk]
    assert first_case == ["case.reported", "case.accepted", "case.escalated"]
    assert not Delivery.objects.exclude(status="delivered").exists()


def test_a_step_waits_for_an_earlier_step_whose_delivery_is_not_written_yet(
    file_case, user, subscribe, receiver
):
    subscribe(receiver.url)
    case = file_case("0501")
    services.accept_case(case, actor=user("community"))
    report, accept = case.events.order_by("version")
    notifications.notify_many([accept.pk])  # the accept's message came first

    assert sending.send_due() == (0, 0)
    notifications.notify_many([report.pk])
    drain()
    assert [e["type"] for e in receiver.received] == ["case.reported", "case.accepted"]


def test_failures_back_off_exponentially_up_to_the_cap(
    file_case, subscribe, receiver, settings, monkeypatch
):
    settings.SANHUA_WEBHOOK_BACKOFF_SECONDS = 10
    settings.SANHUA_WEBHOOK_BACKOFF_CAP_SECONDS = 40
    monkeypatch.setattr(sending.random, "random", lambda: 1.0)  # the top of each jitter range
    receiver.answer = 503
    subscribe(receiver.url)
    file_case("0101")
    notify_all()
    at = timezone.now()
    waits = []
    for _ in range(5):
        assert sending.send_due(at) == (1, 0)
        delivery = Delivery.objects.get()
        waits.append((delivery.next_attempt_at - at).total_seconds())
        at = delivery.next_attempt_at

    assert waits == [10, 20, 40, 40, 40]
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("failing", 5, 503)
    assert delivery.last_error == "HTTP 503"
    monkeypatch.setattr(sending.random, "random", lambda: 0.25)
    assert sending.retry_delay(3) == 10  # full jitter: anywhere from 0 to the bound


def test_a_receiver_that_cannot_be_reached_is_tried_once_per_round(file_case, subscribe, receiver):
    subscribe(receiver.url)
    for _ in range(3):
        file_case("0101")
    notify_all()
    receiver.stop()

    assert sending.send_due() == (1, 0)
    tried, *waiting = Delivery.objects.order_by("pk")
    assert (tried.attempts, tried.last_status_code) == (1, None)
    assert tried.last_error == "ConnectionError"
    assert [(d.attempts, d.next_attempt_at) for d in waiting] == [(0, tried.next_attempt_at)] * 2


def test_a_subscription_failing_for_a_day_is_paused_and_its_owner_told(
    file_case, subscribe, receiver, user
):
    subscription = subscribe(receiver.url, name="交通局系统")
    file_case("0101")
    notify_all()
    receiver.stop()
    start = timezone.now()

    sending.send_due(start)
    sending.send_due(start + timedelta(hours=12))
    subscription.refresh_from_db()
    assert (subscription.status, subscription.failing_since) == ("active", start)

    sending.send_due(start + timedelta(hours=24, seconds=1))
    subscription.refresh_from_db()
    assert subscription.status == "paused"
    assert subscription.paused_at == start + timedelta(hours=24, seconds=1)
    [notice] = Notification.objects.filter(user=user("admin"))
    assert "交通局系统" in notice.text
    assert sending.send_due(start + timedelta(days=3)) == (0, 0)  # paused: nothing is tried
    assert Delivery.objects.get().attempts == 3

    receiver.start()
    file_case("0101")
    notify_all()  # deliveries are still written while paused
    assert sending.resume(subscription) == 2
    drain()
    subscription.refresh_from_db()
    assert (subscription.status, subscription.failing_since) == ("active", None)
    assert len(receiver.received) == 2


def test_a_success_ends_the_failing_spell(file_case, subscribe, receiver):
    subscription = subscribe(receiver.url)
    file_case("0101")
    notify_all()
    receiver.answer = 500
    sending.send_due()
    assert Subscription.objects.get().failing_since is not None

    receiver.answer = 200
    later = timezone.now() + timedelta(hours=1)
    receiver.clock = later.timestamp  # the receiver's clock moves with ours
    drain(later)

    subscription.refresh_from_db()
    assert subscription.failing_since is None


def test_a_delivery_sent_again_keeps_its_id(file_case, subscribe, receiver):
    subscribe(receiver.url)
    file_case("0101")
    notify_all()
    drain()

    assert sending.redeliver(Delivery.objects.all()) == 1
    drain()

    first, again = receiver.ids()
    assert first == again == str(Delivery.objects.get().uuid)


def test_the_log_forgets_deliveries_delivered_long_ago_and_keeps_the_rest(
    file_case, subscribe, settings
):
    settings.SANHUA_WEBHOOK_KEEP_DAYS = 30
    subscribe(URL_NOWHERE)
    for _ in range(3):
        file_case("0101")
    notify_all()
    old, recent, waiting = Delivery.objects.order_by("pk")
    now = timezone.now()
    for delivery, age in ((old, 31), (recent, 29)):
        Delivery.objects.filter(pk=delivery.pk).update(
            status="delivered", delivered_at=now - timedelta(days=age)
        )
    Delivery.objects.filter(pk=waiting.pk).update(created_at=now - timedelta(days=90))

    assert sending.purge_delivered(now) == 1
    assert set(Delivery.objects.values_list("pk", flat=True)) == {recent.pk, waiting.pk}
