from celery import shared_task

from datagov import catalogue, openstats


@shared_task(name="datagov.count_records")
def count_records() -> None:
    """Hourly: the population counts and every dataset's record count (safe to run twice), then
    the open statistics rebuilt under the new cache version they bumped."""
    catalogue.count_records()
    openstats.refresh()


@shared_task(name="datagov.refresh_open_statistics")
def refresh_open_statistics() -> int:
    """Ahead of the cache's expiry: this year's open tables rebuilt and cached."""
    return openstats.refresh()
