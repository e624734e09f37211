"""Tasks sent once the caller's transaction commits, shared by every app's tasks.py."""

import logging

from celery.contrib.django.task import DjangoTask
from django.db import transaction
from kombu.exceptions import OperationalError

log = logging.getLogger(__name__)

# One quick retry (a pooled connection gone stale after a Redis restart), then give up: a
# catch-up task redoes the work from the rows. Celery's default policy, and even retry=False, keep
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
    The message is simply not sent; a catch-up task redoes the work from the rows (cases.sweep
    for routing and notifications, grid.catch_up_imports for imports).
    """

    def delay_on_commit(self, *args, **kwargs) -> None:
        self.apply_async_on_commit(args, kwargs)

    def apply_async_on_commit(self, args=None, kwargs=None, **options) -> None:
        # A closure, not functools.partial: Django logs a failed robust callback by its
        # __qualname__, and a partial has none (the log line itself then raised, a 500).
        def publish() -> None:
            self._publish(args or (), kwargs or {}, **options)

        transaction.on_commit(publish, robust=True)

    def _publish(self, args, kwargs, **options) -> None:
        options.setdefault("retry_policy", PUBLISH_RETRY_POLICY)
        try:
            self.apply_async(args, kwargs, **options)
        except OperationalError as error:
            # Only ids go into the log line; `robust` logs anything unexpected with its trace.
            log.warning(
                "broker unreachable, %s%s not sent; its catch-up will redo it (%s)",
                self.name,
                tuple(args),
                error,
            )
