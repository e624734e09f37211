from celery import shared_task

from datagov import catalogue


@shared_task(name="datagov.count_records")
def count_records() -> None:
    """Hourly: the population counts and every dataset's record count (safe to run twice)."""
    catalogue.count_records()
