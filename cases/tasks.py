"""Celery entry points of the case workflow. Each takes ids, re-reads rows, calls one service
and is safe to run twice. The sweeper is the only clock: no deadline rides on a countdown or
an ETA message, so a lost message or a broker outage delays work but never loses it.
"""

import logging

from celery import shared_task
from django.db import connection, transaction
from django.utils import timezone

from cases import notifications, services
from cases.models import Case, CaseEvent, Dispatch
from cases.workflow import OPEN_STAGES

log = logging.getLogger(__name__)
SWEEP_BATCH = 200


@shared_task(name="cases.route_case")
def route_case(case_id: int) -> None:
    """Post-filing work of a new case: duplicate check, then mark it routed."""
    services.route_filed_case(case_id)


@shared_task(name="cases.notify_event")
def notify_event(event_id: int) -> None:
    """Write the in-app notifications of one case event (one per recipient, at most once)."""
    notifications.notify(event_id)


def _due_ids(queryset, now, limit):
    """Ids of due rows, locked so that two sweepers never take the same ones.

    PostgreSQL: FOR UPDATE SKIP LOCKED inside the caller's transaction. SQLite has no row locks
    (one writer at a time anyway); there the compare-and-set in the workflow is the guard.
    """
    queryset = queryset.order_by("due_at").values_list("pk", flat=True)
    if connection.features.has_select_for_update_skip_locked:
        queryset = queryset.select_for_update(skip_locked=True, of=("self",))
    return list(queryset[:limit])


def sweep_cases(now=None, *, limit: int = SWEEP_BATCH) -> int:
    """Apply the deadline rule to one batch of cases whose stage deadline passed."""
    now = now or timezone.now()
    done = 0
    with transaction.atomic():
        ids = _due_ids(Case.objects.filter(status__in=OPEN_STAGES, due_at__lte=now), now, limit)
        for case_id in ids:
            # Each case in its own savepoint: one failure must not undo the batch.
            try:
                with transaction.atomic():
                    if services.escalate_if_overdue(case_id, now=now):
                        done += 1
            except Exception:
                log.exception("deadline rule failed for case %s", case_id)
    return done


def sweep_dispatches(now=None, *, limit: int = SWEEP_BATCH) -> int:
    now = now or timezone.now()
    done = 0
    with transaction.atomic():
        open_dispatches = Dispatch.objects.filter(
            is_overdue=False,
            due_at__lte=now,
            status__in=[Dispatch.Status.PENDING, Dispatch.Status.SIGNED],
        )
        for dispatch_id in _due_ids(open_dispatches, now, limit):
            try:
                with transaction.atomic():
                    done += services.flag_dispatch_if_overdue(dispatch_id, now=now)
            except Exception:
                log.exception("overdue flag failed for dispatch %s", dispatch_id)
    return done


def catch_up(now=None, *, limit: int = SWEEP_BATCH) -> int:
    """Redo post-commit work whose message may never have reached the broker: route cases not
    yet routed and notify events not yet notified (both idempotent)."""
    now = now or timezone.now()
    stale = now - notifications.CATCH_UP_AFTER
    count = 0
    for case_id in Case.objects.filter(routed_at__isnull=True, reported_at__lte=stale).values_list(
        "pk", flat=True
    )[:limit]:
        services.route_filed_case(case_id)
        count += 1
    for event_id in CaseEvent.objects.filter(notified_at__isnull=True, at__lte=stale).values_list(
        "pk", flat=True
    )[:limit]:
        notifications.notify(event_id)
        count += 1
    return count


@shared_task(name="cases.sweep")
def sweep() -> dict:
    """The periodic sweeper (beat, every 30 s): deadlines in bounded batches, then catch-up.
    Batches repeat until a batch comes back short, so a backlog drains in one run."""
    totals = {"cases": 0, "dispatches": 0, "caught_up": 0}
    while True:
        moved = sweep_cases()
        totals["cases"] += moved
        if moved < SWEEP_BATCH:
            break
    totals["dispatches"] = sweep_dispatches()
    totals["caught_up"] = catch_up()
    if any(totals.values()):
        log.info("sweep: %s", totals)
    return totals
