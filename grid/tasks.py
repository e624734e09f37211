"""Background work of the grid app, run by Celery workers. Tasks take ids and call a service."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone, translation

from governance.oncommit import OnCommitTask
from grid import imports
from grid.models import ImportJob

# An import writes in one transaction; give a large file time to finish before the limits
# (the soft one marks the job failed, nothing written).
IMPORT_SOFT_TIME_LIMIT = 60 * 60
IMPORT_TIME_LIMIT = IMPORT_SOFT_TIME_LIMIT + 60
# A job waiting behind a long import is sent again at most this often, so that its copies do
# not pile up in the queue (each would wait on the job's lock once it runs).
RESEND_EVERY_SECONDS = 10 * 60


@shared_task(
    name="grid.run_import",
    base=OnCommitTask,
    soft_time_limit=IMPORT_SOFT_TIME_LIMIT,
    time_limit=IMPORT_TIME_LIMIT,
)
def run_import(job_id: int, language: str | None = None) -> None:
    """Run an uploaded import job, its report in `language` (default: the site's); a job
    already finished is not run again."""
    with translation.override(language or settings.LANGUAGE_CODE):
        imports.run_job(job_id)


@shared_task(name="grid.catch_up_imports")
def catch_up_imports(now=None) -> int:
    """Send again the jobs still waiting SANHUA_CATCH_UP_SECONDS after their upload: their
    message was lost, or the broker was down when it was due. Returns how many were sent.

    A job whose message is only late runs once all the same: run_job does a finished job's
    work never again. The report is then in the site's language, the uploader's being unknown.
    """
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.SANHUA_CATCH_UP_SECONDS)
    waiting = list(
        ImportJob.objects.filter(status=ImportJob.Status.PENDING, created_at__lte=stale)
        .order_by("pk")
        .values_list("pk", "created_at")
    )
    sent = 0
    for job_id, created_at in waiting:
        # The upload moment in the key: a recreated database reuses ids, never both.
        key = f"sanhua:import-resent:{job_id}:{created_at.timestamp()}"
        if cache.add(key, 1, timeout=RESEND_EVERY_SECONDS):
            run_import.delay(job_id)
            sent += 1
    return sent
