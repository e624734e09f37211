"""Sending the outbox: due deliveries taken with FOR UPDATE SKIP LOCKED (several workers never
take the same row), POSTed signed, and their outcome recorded.

    pending ──2xx──▶ delivered
       │  ▲
       ▼  │ (retried at next_attempt_at: exponential backoff with full jitter, up to a cap)
     failing ──2xx──▶ delivered

A delivery is taken only when it is due, its subscription is active, and no earlier delivery
of the same case to the same subscription is undelivered (nor an earlier step of the case still
unnotified, whose delivery is not even written yet): receivers get a case's events in order.
Taking a row leases it (next_attempt_at moves SANHUA_WEBHOOK_LEASE_SECONDS ahead) and commits,
so no transaction stays open while a receiver is slow; a worker that dies mid-POST leaves the
row to be taken again when the lease ends (delivered at least once: receivers de-duplicate by
the delivery id).

A subscription whose every attempt has failed for SANHUA_WEBHOOK_PAUSE_HOURS is paused and its
owner notified; its deliveries keep being written and wait until an administrator resumes it.
"""

import json
import logging
import random
import time
from datetime import datetime, timedelta

import requests
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cases import notifications
from cases.models import CaseEvent
from webhooks import signing
from webhooks.models import Delivery, Subscription
from webhooks.subscriptions import SUBSCRIPTIONS

log = logging.getLogger(__name__)
BATCH = 20
# How long one task keeps taking batches: well within Celery's soft time limit (4 minutes),
# with a batch's worst case (every POST timing out) on top.
DRAIN_SECONDS = 45
CONNECT_TIMEOUT = 3.0
USER_AGENT = "Sanhua-Webhooks/1"
OUTCOME_FIELDS = [
    "status", "attempts", "next_attempt_at", "last_attempt_at", "last_status_code",
    "last_error", "delivered_at",
]  # fmt: skip


def retry_delay(attempts: int) -> float:
    """Seconds before the next attempt after `attempts` failed ones: anywhere from 0 to
    min(cap, base × 2^(attempts-1)) ("full jitter"), so receivers coming back are not met by
    every sender at once."""
    base = settings.SANHUA_WEBHOOK_BACKOFF_SECONDS
    cap = settings.SANHUA_WEBHOOK_BACKOFF_CAP_SECONDS
    return random.random() * min(cap, base * 2 ** min(max(attempts - 1, 0), 40))


def body_of(delivery: Delivery) -> bytes:
    """The JSON POSTed for `delivery`: the same bytes on every attempt."""
    envelope = {
        "id": str(delivery.uuid),
        "type": delivery.event_type,
        "created_at": delivery.created_at.isoformat(),
        "data": delivery.payload,
    }
    return json.dumps(envelope, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def send_due_batches() -> int:
    """send_due batch after batch until none is due, a batch delivers nothing (the receivers
    are down: the next round comes soon enough) or DRAIN_SECONDS have passed."""
    stop_at = time.monotonic() + DRAIN_SECONDS
    total = 0
    while True:
        attempted, delivered = send_due(stop_at=stop_at)
        total += attempted
        if not delivered or time.monotonic() > stop_at:
            return total


def send_due(now: datetime | None = None, *, limit: int = BATCH, stop_at=None) -> tuple[int, int]:
    """Take up to `limit` due deliveries, POST each, record the outcomes; returns (attempted,
    delivered). `now` fixes the clock (tests move time rather than sleep); `stop_at` (a
    time.monotonic() value) leaves the rest of the batch to the next round once passed."""
    clock = (lambda: now) if now is not None else timezone.now
    batch = _take(clock(), limit)
    if not batch:
        return 0, 0
    unreachable: dict[int, datetime] = {}
    attempted = []
    with requests.Session() as session:
        session.trust_env = False  # no proxy, .netrc or CA bundle from the environment
        session.verify = settings.SANHUA_WEBHOOK_CA_BUNDLE or True
        for delivery in batch:
            subscription = delivery.subscription
            if subscription.pk in unreachable or (stop_at and time.monotonic() > stop_at):
                # Not tried: due again when its receiver's next try is (or at once).
                delivery.next_attempt_at = unreachable.get(subscription.pk, clock())
                continue
            at = clock()
            code, error, reachable = _post(session, delivery, at)
            _record(delivery, at, code, error)
            attempted.append(delivery)
            if not reachable:
                unreachable[subscription.pk] = delivery.next_attempt_at
    with transaction.atomic():
        Delivery.objects.bulk_update(batch, OUTCOME_FIELDS)
        _keep_health(attempted, clock())
    delivered = sum(d.status == Delivery.Status.DELIVERED for d in attempted)
    return len(attempted), delivered


def purge_delivered(now: datetime | None = None, *, limit: int = 10_000) -> int:
    """Delete up to `limit` deliveries delivered more than SANHUA_WEBHOOK_KEEP_DAYS ago (the
    log keeps what is recent; undelivered ones are never deleted); returns how many."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.SANHUA_WEBHOOK_KEEP_DAYS)
    old = Delivery.objects.filter(status=Delivery.Status.DELIVERED, delivered_at__lt=cutoff)
    ids = list(old.order_by().values_list("pk", flat=True)[:limit])
    return Delivery.objects.filter(pk__in=ids).delete()[0] if ids else 0


def _take(now: datetime, limit: int) -> list[Delivery]:
    """Lease up to `limit` deliveries that may be sent now and commit the lease."""
    quote = connection.ops.quote_name
    deliveries = quote(Delivery._meta.db_table)
    subscriptions = quote(Subscription._meta.db_table)
    case_events = quote(CaseEvent._meta.db_table)
    lock = (
        " FOR UPDATE OF d SKIP LOCKED"
        if connection.features.has_select_for_update_skip_locked
        else ""
    )
    delivered = Delivery.Status.DELIVERED
    sql = (
        f"SELECT d.id FROM {deliveries} d JOIN {subscriptions} s ON s.id = d.subscription_id"
        " WHERE d.status <> %s AND d.next_attempt_at <= %s AND s.status = %s"
        # An earlier delivery of this case to this subscription is still open: wait for it.
        f" AND NOT EXISTS (SELECT 1 FROM {deliveries} o WHERE o.subscription_id ="
        " d.subscription_id AND o.case_id = d.case_id AND o.status <> %s AND (o.position <"
        " d.position OR (o.position = d.position AND o.id < d.id)))"
        # An earlier step of the case is not notified yet, so its delivery is not written yet.
        f" AND NOT EXISTS (SELECT 1 FROM {case_events} e WHERE e.case_id = d.case_id"
        " AND 2 * e.id < d.position AND e.notified_at IS NULL)"
        f" ORDER BY d.next_attempt_at, d.id LIMIT %s{lock}"
    )
    params = [
        delivered, connection.ops.adapt_datetimefield_value(now), Subscription.Status.ACTIVE,
        delivered, limit,
    ]  # fmt: skip
    lease = timedelta(seconds=settings.SANHUA_WEBHOOK_LEASE_SECONDS)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            ids = [pk for (pk,) in cursor.fetchall()]
        if not ids:
            return []
        Delivery.objects.filter(pk__in=ids).update(next_attempt_at=now + lease)
        return list(
            Delivery.objects.filter(pk__in=ids).select_related("subscription").order_by("pk")
        )


def _post(session, delivery: Delivery, at: datetime) -> tuple[int | None, str, bool]:
    """POST `delivery`; returns (response code, error, whether the receiver answered at all).
    Errors name the exception's kind only: its text may repeat the URL and what it holds."""
    body = body_of(delivery)
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "Sanhua-Delivery": str(delivery.uuid),
        "Sanhua-Event": delivery.event_type,
        "Sanhua-Signature": signing.header(delivery.subscription.secret, body, int(at.timestamp())),
    }
    timeout = (CONNECT_TIMEOUT, settings.SANHUA_WEBHOOK_TIMEOUT_SECONDS)
    try:
        # stream: the status line is all we read; a receiver's large answer is never fetched.
        with session.post(
            delivery.subscription.url,
            data=body,
            headers=headers,
            timeout=timeout,
            allow_redirects=False,
            stream=True,
        ) as response:
            code = response.status_code
    except (requests.ConnectionError, requests.Timeout) as error:
        return None, type(error).__name__, False
    except requests.RequestException as error:
        return None, type(error).__name__, True
    return code, "" if 200 <= code < 300 else f"HTTP {code}", True


def _record(delivery: Delivery, at: datetime, code: int | None, error: str) -> None:
    delivery.attempts += 1
    delivery.last_attempt_at = at
    delivery.last_status_code = code
    delivery.last_error = error[:300]
    if not error:
        delivery.status = Delivery.Status.DELIVERED
        delivery.delivered_at = at
        delivery.next_attempt_at = at
    else:
        delivery.status = Delivery.Status.FAILING
        delivery.next_attempt_at = at + timedelta(seconds=retry_delay(delivery.attempts))


def _keep_health(attempted: list[Delivery], now: datetime) -> None:
    """A subscription that delivered anything is healthy again; one whose attempts all failed
    is failing since its first failure, and paused (its owner told) after a day of it."""
    succeeded = {d.subscription_id for d in attempted if d.status == Delivery.Status.DELIVERED}
    failed = {d.subscription_id for d in attempted} - succeeded
    if succeeded:
        Subscription.objects.filter(pk__in=succeeded, failing_since__isnull=False).update(
            failing_since=None
        )
    if not failed:
        return
    Subscription.objects.filter(pk__in=failed, failing_since__isnull=True).update(failing_since=now)
    cutoff = now - timedelta(hours=settings.SANHUA_WEBHOOK_PAUSE_HOURS)
    last_error = {d.subscription_id: d.last_error for d in attempted}
    to_pause = (
        Subscription.objects.select_for_update()
        .filter(pk__in=failed, status=Subscription.Status.ACTIVE, failing_since__lte=cutoff)
        .order_by("pk")
    )
    for subscription in to_pause:
        pause(
            subscription, reason=_failing_reason(subscription, last_error[subscription.pk]), now=now
        )


def _failing_reason(subscription: Subscription, error: str) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return _("Every delivery has failed since %(since)s (last: %(error)s).") % {
            "since": timezone.localtime(subscription.failing_since).strftime("%Y-%m-%d %H:%M"),
            "error": error,
        }


@transaction.atomic
def pause(subscription: Subscription, *, reason: str, now: datetime | None = None) -> bool:
    """Stop sending to `subscription` (its deliveries keep being written) and tell its owner.
    False if it was not active."""
    now = now or timezone.now()
    paused = Subscription.objects.filter(
        pk=subscription.pk, status=Subscription.Status.ACTIVE
    ).update(status=Subscription.Status.PAUSED, paused_at=now, paused_reason=reason[:200])
    if not paused:
        return False
    # Held: no next attempt, so the sender's scan of due rows never meets them while paused;
    # deliveries written from now on are held too.
    _undelivered(subscription).update(next_attempt_at=None)
    SUBSCRIPTIONS.changed()
    with translation.override(settings.LANGUAGE_CODE):
        text = _("Webhook “%(name)s” is paused: %(reason)s Resume it in the admin once fixed.") % {
            "name": subscription.name,
            "reason": reason,
        }
    notifications.notify_users([subscription.owner_id], text)
    log.warning("webhook subscription %s paused", subscription.pk)
    return True


def resume(subscription: Subscription, *, now: datetime | None = None) -> int:
    """Send to `subscription` again, its waiting deliveries at once; returns how many wait."""
    now = now or timezone.now()
    with transaction.atomic():
        Subscription.objects.filter(pk=subscription.pk).update(
            status=Subscription.Status.ACTIVE, paused_at=None, paused_reason="", failing_since=None
        )
        count = _undelivered(subscription).update(next_attempt_at=now)
        SUBSCRIPTIONS.changed()
    nudge()
    return count


def _undelivered(subscription: Subscription):
    return Delivery.objects.filter(subscription=subscription).exclude(
        status=Delivery.Status.DELIVERED
    )


def redeliver(deliveries, *, now: datetime | None = None) -> int:
    """Send these deliveries again (delivered or not), with their own ids, at once; returns
    how many. Receivers that saw one already know it by its id."""
    now = now or timezone.now()
    with transaction.atomic():
        count = Delivery.objects.filter(pk__in=[d.pk for d in deliveries]).update(
            status=Delivery.Status.PENDING, next_attempt_at=now, delivered_at=None, attempts=0
        )
    nudge()
    return count


def nudge() -> None:
    """Have the sender run once the caller's transaction commits (beat runs it anyway)."""
    from webhooks.tasks import send_deliveries

    send_deliveries.apply_async_on_commit(expires=10)
