"""Celery entry point of the sender: beat runs it every SANHUA_WEBHOOK_SECONDS, and writing
deliveries nudges it once the transaction commits. Safe to run twice or at once on several
workers (the sender takes its rows with SKIP LOCKED); a lost message only waits for the next
beat, since the outbox holds every delivery."""

from celery import shared_task

from governance.oncommit import OnCommitTask
from webhooks import sending


@shared_task(name="webhooks.send_deliveries", base=OnCommitTask)
def send_deliveries(**kwargs) -> int:
    """Send the deliveries that are due, batch after batch; returns how many were attempted."""
    return sending.send_due_batches()


@shared_task(name="webhooks.purge_deliveries")
def purge_deliveries(**kwargs) -> int:
    """Delete deliveries delivered long ago (beat, hourly), in bounded batches."""
    total = 0
    while done := sending.purge_delivered():
        total += done
    return total
