"""Celery entry points of the case workflow. Each takes ids, re-reads rows, calls one service
and is safe to run twice. The sweeper is the only clock: no deadline rides on a countdown or
an ETA message, so a lost message or a broker outage delays work but never loses it.
"""

import functools
import logging
from datetime import timedelta

from celery import shared_task
from celery.contrib.django.task import DjangoTask
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from cases import notifications, services
from cases.exceptions import ConcurrentCaseUpdate, InvalidTransition
from cases.models import Case, CaseEvent, Dispatch
from cases.workflow import OPEN_STAGES

log = logging.getLogger(__name__)
SWEEP_BATCH = 200
# One quick retry (a pooled connection gone stale after a Redis restart), then give up: the
# sweeper redoes the work from the rows. Celery's default policy, and even retry=False, keep
# a request waiting 0.6-6 s per message while Redis is down: a second or more per filing.
PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.1,
    "interval_max": 0.1,
}


class OnCommitTask(DjangoTask):
    """A task enqueued once the caller's transaction commits, without ever failing the caller.

    By then the rows are committed: a broker that cannot be reached must not turn a filed case
    into an error (the phone would retry), nor stop the other callbacks of the same commit.
    The message is simply not sent; the sweeper's catch-up redoes the work from the rows.
    """

    def delay_on_commit(self, *args, **kwargs) -> None:
        transaction.on_commit(functools.partial(self._publish, args, kwargs), robust=True)

    def apply_async_on_commit(self, args=None, kwargs=None, **options) -> None:
        transaction.on_commit(
            functools.partial(self._publish, args or (), kwargs or {}, **options), robust=True
        )

    def _publish(self, args, kwargs, **options) -> None:
        options.setdefault("retry_policy", PUBLISH_RETRY_POLICY)
        try:
            self.apply_async(args, kwargs, **options)
        except OperationalError as error:
            # Only ids go into the log line; `robust` logs anything unexpected with its trace.
            log.warning(
                "broker unreachable, %s%s not sent; the sweeper will catch up (%s)",
                self.name,
                tuple(args),
                error,
            )


# Tasks take **kwargs so that a message from a newer release with an extra argument still runs.


@shared_task(name="cases.route_case", base=OnCommitTask)
def route_case(case_id: int, **kwargs) -> None:
    """Post-filing work of a new case: duplicate check, then mark it routed."""
    services.route_filed_case(case_id)


@shared_task(name="cases.notify_event", base=OnCommitTask)
def notify_event(event_id: int, **kwargs) -> None:
    """Write the in-app notifications of one case event (one per recipient, at most once)."""
    notifications.notify(event_id)


def _due_ids(queryset, limit: int) -> list[int]:
    """Ids of due rows, locked so that two sweepers never take the same ones.

    PostgreSQL: FOR UPDATE SKIP LOCKED inside the caller's transaction. SQLite has no row locks;
    there each transaction takes the database's write lock at BEGIN (IMMEDIATE), so a second
    sweeper waits and then finds the rows no longer due, and the compare-and-set in the
    workflow is the last guard.
    """
    queryset = queryset.order_by("due_at").values_list("pk", flat=True)
    if connection.features.has_select_for_update_skip_locked:
        queryset = queryset.select_for_update(skip_locked=True, of=("self",))
    return list(queryset[:limit])


def sweep_cases(now=None, *, limit: int = SWEEP_BATCH) -> int:
    """Apply the deadline rule to one batch of cases whose stage deadline passed; returns how
    many were escalated or marked overdue."""
    now = now or timezone.now()
    done = 0
    with transaction.atomic():
        ids = _due_ids(Case.objects.filter(status__in=OPEN_STAGES, due_at__lte=now), limit)
        for case_id in ids:
            # Each case in its own savepoint: one failure must not undo the batch.
            try:
                with transaction.atomic():
                    if services.escalate_if_overdue(case_id, now=now):
                        done += 1
            except (ConcurrentCaseUpdate, InvalidTransition):
                # Someone acted on the case between our read and our write: their step stands,
                # and the deadline it set (if any) is judged by a later sweep.
                log.info("case %s changed under the sweeper; left to the next sweep", case_id)
            except Exception:
                log.exception("deadline rule failed for case %s", case_id)
    return done


def sweep_dispatches(now=None, *, limit: int = SWEEP_BATCH) -> int:
    """Flag one batch of open dispatches whose deadline passed; returns how many."""
    now = now or timezone.now()
    done = 0
    with transaction.atomic():
        open_dispatches = Dispatch.objects.filter(
            is_overdue=False,
            due_at__lte=now,
            status__in=[Dispatch.Status.PENDING, Dispatch.Status.SIGNED],
        )
        for dispatch_id in _due_ids(open_dispatches, limit):
            try:
                with transaction.atomic():
                    done += services.flag_dispatch_if_overdue(dispatch_id, now=now)
            except (ConcurrentCaseUpdate, InvalidTransition):
                log.info("case of dispatch %s changed under the sweeper; retried", dispatch_id)
            except Exception:
                log.exception("overdue flag failed for dispatch %s", dispatch_id)
    return done


def catch_up(now=None, *, limit: int = SWEEP_BATCH) -> int:
    """Redo post-commit work whose message may never have reached a worker: route cases not
    yet routed and notify events not yet notified (both idempotent), once they are older than
    SANHUA_CATCH_UP_SECONDS, so that work still in the queue is not done twice. Returns how
    many cases were routed and events notified."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.SANHUA_CATCH_UP_SECONDS)
    done = 0
    unrouted = Case.objects.filter(routed_at__isnull=True, reported_at__lte=stale)
    for case_id in unrouted.order_by("pk").values_list("pk", flat=True)[:limit]:
        try:
            done += services.route_filed_case(case_id)
        except Exception:
            log.exception("catch-up routing failed for case %s", case_id)
    unnotified = CaseEvent.objects.filter(notified_at__isnull=True, at__lte=stale)
    for event_id in unnotified.order_by("pk").values_list("pk", flat=True)[:limit]:
        try:
            notifications.notify(event_id)
            done += 1
        except Exception:
            log.exception("catch-up notification failed for event %s", event_id)
    return done


def _drain(step) -> int:
    """Run `step` batch after batch until one comes back short, so a backlog clears in one
    sweep. Every step moves what it did out of its own selection, so this ends."""
    total = 0
    while True:
        done = step()
        total += done
        if done < SWEEP_BATCH:
            return total


@shared_task(name="cases.sweep")
def sweep(**kwargs) -> dict:
    """The periodic sweeper (beat, every SANHUA_SWEEP_SECONDS): deadlines of cases and of
    dispatches, then catch-up of lost post-commit work, each in bounded batches."""
    totals = {
        "cases": _drain(sweep_cases),
        "dispatches": _drain(sweep_dispatches),
        "caught_up": _drain(catch_up),
    }
    if any(totals.values()):
        log.info("sweep: %s", totals)
    return totals
