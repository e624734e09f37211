"""Celery entry points of the case workflow. Each takes ids, re-reads rows, calls one service
and is safe to run twice. The sweeper is the only clock: no deadline rides on a countdown or
an ETA message, so a lost message or a broker outage delays work but never loses it.
"""

import logging
import time
from datetime import timedelta
from functools import partial

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from cases import notifications, rollups, services
from cases.exceptions import ConcurrentCaseUpdate, InvalidTransition
from cases.models import Case, CaseEvent, Dispatch
from cases.workflow import OPEN_STAGES
from governance.oncommit import OnCommitTask

log = logging.getLogger(__name__)
SWEEP_BATCH = 200
# How long one sweep keeps draining each of its three backlogs: three times this plus a batch
# stays under CELERY_TASK_SOFT_TIME_LIMIT (4 minutes), and beat starts the next sweep anyway.
DRAIN_SECONDS = 45
# Tasks take **kwargs so that a message from a newer release with an extra argument still runs.


@shared_task(name="cases.route_case", base=OnCommitTask)
def route_case(case_id: int, **kwargs) -> None:
    """Post-filing work of one case: duplicate check and mark it routed, then the report's
    notifications. (Filing sends no message now: route_new does this for every new case; this
    task stays for messages sent by an earlier release and for redoing one case by hand.)"""
    services.route_filed_case(case_id)
    _notify_reports([case_id])


def _notify_reports(case_ids: list[int]) -> None:
    reports = CaseEvent.objects.filter(case_id__in=case_ids, version=1, notified_at__isnull=True)
    notifications.notify_many(list(reports.values_list("pk", flat=True)))


def route_new_cases(*, limit: int = SWEEP_BATCH) -> int:
    """Route one batch of new cases (duplicates, marked routed) in one transaction, then write
    their reports' notifications; returns how many were routed. A crash in between leaves
    them routed and unnotified: the catch-up notifies them."""
    routed = services.route_filed_cases(limit=limit)
    if routed:
        _notify_reports(routed)
    return len(routed)


@shared_task(name="cases.route_new")
def route_new(**kwargs) -> int:
    """The post-filing work of every case filed since the last round (beat, every
    SANHUA_ROUTE_SECONDS): filing sends no message, so a busy hour of filings costs the broker
    one message a second rather than one per filing."""
    return _drain(route_new_cases)


@shared_task(name="cases.fold_rollups")
def fold_rollups(**kwargs) -> int:
    """Count the steps on the rollup ledger (beat, every SANHUA_FOLD_SECONDS); returns how many
    ledger rows were folded."""
    return rollups.fold_all()


@shared_task(name="cases.notify_event", base=OnCommitTask)
def notify_event(event_id: int, **kwargs) -> None:
    """Write the in-app notifications of one case event (one per recipient, at most once)."""
    notifications.notify(event_id)


@shared_task(name="cases.notify_events", base=OnCommitTask)
def notify_events(event_ids: list[int], **kwargs) -> None:
    """notify_event for many events (a sweeper's batch) as one set, in one message."""
    notifications.notify_many(event_ids)


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


def sweep_cases(now=None, *, limit: int = SWEEP_BATCH, notify: bool = False) -> int:
    """Apply the deadline rule to one batch of cases whose stage deadline passed; returns how
    many were escalated or marked overdue.

    The batch is one set (services.apply_deadline_rules: one UPDATE, one INSERT of its events)
    in one savepoint. Should the set fail, the savepoint undoes it and the cases go one by one,
    each in its own savepoint, so that one bad case does not hold the others back. The
    batch's notifications go out in one message once it commits, or with `notify` (the
    periodic sweep) are written by this task at once (_notify_batch)."""
    return _sweep_batch(_escalate_batch, now, limit, notify)


def _sweep_batch(step, now, limit: int, notify: bool) -> int:
    """One batch of `step` (escalations or dispatch flags) in one transaction, its
    notifications sent by message at the commit or, with `notify`, written here after it."""
    now = now or timezone.now()
    with transaction.atomic(), services.sweep_batch(send=not notify) as events:
        done = step(now, limit)
    if notify:
        _notify_batch(events)
    return done


def _escalate_batch(now, limit: int) -> int:
    ids = _due_ids(Case.objects.filter(status__in=OPEN_STAGES, due_at__lte=now), limit)
    # Locked above (or, on SQLite, behind the write lock): read once for the whole batch.
    # A case missing from the read is no longer due: someone acted on it before we locked it.
    due = services.overdue_batch(ids, now)
    if not due:
        return 0
    try:
        with transaction.atomic():
            events = services.apply_deadline_rules(due, now=now)
    except SoftTimeLimitExceeded:
        raise  # the task's time is up: the batch is rolled back, a later sweep redoes it
    except Exception:
        log.exception("deadline rule failed for a batch of %s cases; one by one", len(due))
        return _sweep_cases_one_by_one([case.pk for case in due], now)
    lost = {case.pk for case in due} - {event.case_id for event in events}
    if lost:
        # Someone acted on these cases between our read and our write: their step stands,
        # and the deadline it set (if any) is judged by a later sweep.
        log.info("cases %s changed under the sweeper; left to the next sweep", sorted(lost))
    return len(events)


def _notify_batch(event_ids: list[int]) -> None:
    """Write the notifications of a batch just committed, in the sweeper's own task, rather
    than send them in a message (workflow.batch): while a backlog is swept every worker process
    is busy sweeping, and the message would wait behind the sweep. Should this fail (or the
    worker die first), the catch-up writes them."""
    if not event_ids:
        return
    try:
        notifications.notify_many(event_ids)
    except SoftTimeLimitExceeded:
        raise
    except Exception:
        log.exception("notifications of a sweep batch failed; left to the catch-up")


def _sweep_cases_one_by_one(ids: list[int], now) -> int:
    """The deadline rule case by case, each in its own savepoint, within the caller's batch."""
    done = 0
    # Read again: the failed set may have left its marks on the cases it had read.
    cases = services.overdue_cases(now).in_bulk(ids)
    for case_id in ids:
        if case_id not in cases:
            continue
        try:
            with transaction.atomic():
                services.apply_deadline_rule(cases[case_id], now=now)
            done += 1
        except (ConcurrentCaseUpdate, InvalidTransition):
            log.info("case %s changed under the sweeper; left to the next sweep", case_id)
        except SoftTimeLimitExceeded:
            raise
        except Exception:
            log.exception("deadline rule failed for case %s", case_id)
    return done


def sweep_dispatches(now=None, *, limit: int = SWEEP_BATCH, notify: bool = False) -> int:
    """Flag one batch of open dispatches whose deadline passed; returns how many. As one set
    (services.flag_overdue_dispatches) in one savepoint, or one by one should the set fail;
    `notify` as for sweep_cases."""
    return _sweep_batch(_flag_batch, now, limit, notify)


def _flag_batch(now, limit: int) -> int:
    open_dispatches = Dispatch.objects.filter(
        is_overdue=False,
        remaining_seconds__isnull=True,
        due_at__lte=now,
        status__in=Dispatch.OPEN_STATUSES,
    )
    ids = _due_ids(open_dispatches, limit)
    if not ids:
        return 0
    try:
        with transaction.atomic():
            return services.flag_overdue_dispatches(ids, now=now)
    except SoftTimeLimitExceeded:
        raise
    except ConcurrentCaseUpdate:
        log.info("a case changed under the sweeper's %s dispatches; one by one", len(ids))
    except Exception:
        log.exception("overdue flags failed for a batch of %s dispatches; one by one", len(ids))
    done = 0
    for dispatch_id in ids:
        try:
            with transaction.atomic():
                done += services.flag_dispatch_if_overdue(dispatch_id, now=now)
        except (ConcurrentCaseUpdate, InvalidTransition):
            log.info("case of dispatch %s changed under the sweeper; retried", dispatch_id)
        except SoftTimeLimitExceeded:
            raise
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
    event_ids = list(unnotified.order_by("pk").values_list("pk", flat=True)[:limit])
    if event_ids:
        try:
            notifications.notify_many(event_ids)
            done += len(event_ids)
        except Exception:
            log.exception("catch-up notification failed for %s events; one by one", len(event_ids))
            for event_id in event_ids:
                try:
                    notifications.notify(event_id)
                    done += 1
                except Exception:
                    log.exception("catch-up notification failed for event %s", event_id)
    return done


def _drain(step) -> int:
    """Run `step` batch after batch until one comes back short, so a backlog clears in one
    sweep, or until DRAIN_SECONDS have passed: the rest is left to the next sweep, so the task
    ends well within Celery's time limit. Every step moves what it did out of its own
    selection, so this ends."""
    total = 0
    stop = time.monotonic() + DRAIN_SECONDS
    while True:
        done = step()
        total += done
        if done < SWEEP_BATCH or time.monotonic() > stop:
            return total


@shared_task(name="cases.sweep")
def sweep(**kwargs) -> dict:
    """The periodic sweeper (beat, every SANHUA_SWEEP_SECONDS): deadlines of cases and of
    dispatches, then catch-up of lost post-commit work, each in bounded batches."""
    totals = {
        "cases": _drain(partial(sweep_cases, notify=True)),
        "dispatches": _drain(partial(sweep_dispatches, notify=True)),
        "caught_up": _drain(catch_up),
    }
    if any(totals.values()):
        log.info("sweep: %s", totals)
    return totals
