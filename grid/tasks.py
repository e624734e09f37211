"""Background work of the grid app, run by Celery workers. Tasks take ids and call a service."""

from celery import shared_task
from django.conf import settings
from django.utils import translation

from grid import imports

# An import writes in one transaction; give a large file time to finish before the limits
# (the soft one marks the job failed, nothing written).
IMPORT_SOFT_TIME_LIMIT = 60 * 60
IMPORT_TIME_LIMIT = IMPORT_SOFT_TIME_LIMIT + 60


@shared_task(
    name="grid.run_import",
    soft_time_limit=IMPORT_SOFT_TIME_LIMIT,
    time_limit=IMPORT_TIME_LIMIT,
)
def run_import(job_id: int, language: str | None = None) -> None:
    """Run an uploaded import job, its report in `language` (default: the site's); a job
    already finished is not run again."""
    with translation.override(language or settings.LANGUAGE_CODE):
        imports.run_job(job_id)
