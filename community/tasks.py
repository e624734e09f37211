"""Celery entry points of community services: the periodic sweep (beat, every minute) flags
open requests whose deadline passed and keeps visit schedules in step with the care tags.
Safe to run twice; each request is flagged in its own savepoint."""

import logging

from celery import shared_task
from django.db import connection, transaction
from django.utils import timezone

from community import services

log = logging.getLogger(__name__)
SWEEP_BATCH = 200


def sweep_requests(now=None, *, limit: int = SWEEP_BATCH) -> int:
    """Flag one batch of overdue open requests; returns how many were flagged."""
    now = now or timezone.now()
    done = 0
    with transaction.atomic():
        ids = services.overdue_requests(now).order_by("due_at").values_list("pk", flat=True)
        if connection.features.has_select_for_update_skip_locked:
            ids = ids.select_for_update(skip_locked=True, of=("self",))
        for request_id in list(ids[:limit]):
            if services.flag_request_if_overdue(request_id, now=now):
                done += 1
    return done


@shared_task(name="community.sweep")
def sweep(**kwargs) -> dict:
    flagged = 0
    while True:
        batch = sweep_requests()
        flagged += batch
        if batch < SWEEP_BATCH:
            break
    schedules = services.refresh_schedules()
    if flagged:
        log.info("community sweep: %s requests overdue", flagged)
    return {"flagged": flagged, **schedules}
