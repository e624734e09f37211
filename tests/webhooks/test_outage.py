"""Webhooks under faults, with a real worker (and its beat) on a redis-server of the test's own:
the receiver is down while cases are filed and worked, the broker is stopped while deliveries
are failing and more steps are taken, then both come back. Every event reaches the receiver at
least once, each case's events first arrive in the order of its history, and none is lost: the
outbox and the case events held everything while messages could not be sent."""

import threading

import pytest

from cases import services
from cases.models import CaseEvent
from tests.live import LiveWorker, RedisServer, publishing_to, running
from tests.webhooks.conftest import Receiver
from webhooks.models import Delivery

pytestmark = pytest.mark.django_db(transaction=True)
CASES = 8


def test_every_event_reaches_a_receiver_that_was_down_across_a_broker_restart(
    tmp_path, file_case, user, subscribe
):
    receiver = Receiver()  # down: nothing listens on its port yet
    subscribe(receiver.url)  # before the worker starts, so that it reads it at once
    community = user("community")
    server = RedisServer(tmp_path)
    server.start()
    worker = LiveWorker(
        tmp_path,
        server.url,
        SANHUA_CATCH_UP_SECONDS="1",
        SANHUA_ROUTE_SECONDS="0.5",
        SANHUA_WEBHOOK_SECONDS="0.5",
        SANHUA_WEBHOOK_BACKOFF_SECONDS="0.5",
        SANHUA_WEBHOOK_BACKOFF_CAP_SECONDS="2",
    )
    try:
        with publishing_to(worker), running(worker):
            cases = [file_case("0501") for _ in range(CASES)]
            for case in cases:
                services.accept_case(case, actor=community)
            worker.wait_until(
                lambda: Delivery.objects.filter(attempts__gte=2).exists(),
                "attempts failing again and again while the receiver is down",
            )
            server.stop()  # the broker goes down while deliveries are failing
            for case in cases[: CASES // 2]:
                services.escalate_case(case, actor=community, reason="需街道协调")
            failed_once: set[str] = set()

            def answer(envelope) -> int:
                # Back up, the receiver still fails each acceptance once: the escalation behind
                # it must wait for the retry.
                if envelope["type"] == "case.accepted" and envelope["id"] not in failed_once:
                    failed_once.add(envelope["id"])
                    return 503
                return 200

            receiver.answer = answer
            receiver.start()
            server.start()
            for case in cases[CASES // 2 :]:
                services.escalate_case(case, actor=community, reason="需街道协调")
            worker.wait_until(
                lambda: Delivery.objects.filter(status="delivered").count() == 3 * CASES,
                "every event delivered",
                timeout=120,
            )
    finally:
        server.stop()
        receiver.stop()

    assert not CaseEvent.objects.filter(notified_at__isnull=True).exists()
    assert Delivery.objects.count() == CaseEvent.objects.count() == 3 * CASES
    assert receiver.refused == []
    assert len(failed_once) == CASES
    first_seen: dict[str, dict] = {}
    for envelope in receiver.received:
        first_seen.setdefault(envelope["id"], envelope)
    assert set(first_seen) == {str(u) for u in Delivery.objects.values_list("uuid", flat=True)}
    for case in cases:
        arrived = [e["data"]["step"]["version"] for e in first_seen.values()
                   if e["data"]["case"]["id"] == case.pk]  # fmt: skip
        assert arrived == [1, 2, 3], case.pk


def test_a_delivery_in_flight_when_its_worker_is_killed_is_sent_again_by_the_next(
    tmp_path, file_case, subscribe
):
    """kill -9 while the receiver is still answering: the delivery's lease runs out and the next
    worker sends it again, with the same id (the receiver may see it twice, never not at all)."""
    arrived, release = threading.Event(), threading.Event()

    def answer(envelope) -> int:
        if not arrived.is_set():
            arrived.set()
            release.wait(30)  # slow: the worker is killed while it waits for this answer
        return 200

    receiver = Receiver()
    receiver.answer = answer
    receiver.start()
    subscribe(receiver.url)
    server = RedisServer(tmp_path)
    server.start()
    env = {
        "SANHUA_ROUTE_SECONDS": "0.5",
        "SANHUA_WEBHOOK_SECONDS": "0.5",
        "SANHUA_WEBHOOK_LEASE_SECONDS": "3",
        "SANHUA_WEBHOOK_TIMEOUT_SECONDS": "20",
    }
    try:
        with running(LiveWorker(tmp_path, server.url, **env)) as first:
            file_case("0101")
            first.wait_until(arrived.is_set, "the delivery reaching the receiver")
            first.kill()
        release.set()
        with running(LiveWorker(tmp_path, server.url, **env)) as second:
            second.wait_until(
                lambda: Delivery.objects.filter(status="delivered").exists(),
                "the delivery sent again",
            )
    finally:
        server.stop()
        receiver.stop()

    delivery = Delivery.objects.get()
    sent = [headers["Sanhua-Delivery"] for headers, _body in receiver.raw]
    assert sent == [str(delivery.uuid)] * 2
    assert delivery.attempts == 1  # the killed worker's attempt was never recorded
