"""Reference data held in each process's memory and dropped everywhere when it is edited.

Filing a case reads the routing rules, the work calendar, the categories and the grids' shapes;
the sweeper reads the rules and the calendar for every batch. They change a few times a year
(an admin edits a rule, a holiday, a boundary), so each gunicorn worker and Celery process keeps
them in memory (a `Memo`) and reloads them only when their version changed. The version lives in
the shared cache (Redis, or the file cache of a laptop install), so an edit made in one process
is seen by every other within CHECK_SECONDS: a process asks the cache at most once a second
per memo, rather than once per read (a filing reads four memos, some twice).

The version is bumped by the models' save and delete signals once the editing transaction
commits (a process reloading earlier would find the old rows). Until then, the editing
transaction itself reads the rows afresh and keeps nothing, so it sees its own edit and a
rollback leaves no trace. Writers that bypass the signals (bulk_create, update(), raw SQL,
fixtures) call `changed()` themselves. The shared cache is only a messenger: while it cannot
be reached, every read goes to the database, and a copy is never kept longer than MAX_AGE (an
edit whose message was lost is seen within minutes).
"""

import logging
import threading
import time
import uuid
from collections.abc import Callable
from typing import Generic, TypeVar

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models.signals import post_delete, post_save

T = TypeVar("T")
_memos: dict[str, "Memo"] = {}
log = logging.getLogger(__name__)
MAX_AGE = 300  # seconds
# How long a process trusts the version it last read. An edit reaches the other processes within
# this time; the editing process drops its own copy at once.
CHECK_SECONDS = 1.0


class Memo(Generic[T]):
    """The value `load()` returns, kept per process and reloaded when the shared version moves.
    Edits of `models` (saved or deleted through the ORM) move the version."""

    def __init__(self, name: str, load: Callable[[], T], *, models=()):
        self.name = name
        self.key = f"memo-version:{name}"
        self._load = load
        self._lock = threading.Lock()
        self._version: str | None = None
        self._value: T | None = None
        self._loaded_at = self._checked_at = 0.0
        _memos[name] = self
        for model in models:
            post_save.connect(self._edited, sender=model, weak=False)
            post_delete.connect(self._edited, sender=model, weak=False)

    def get(self) -> T:
        if self._edited_here():
            return self._load()
        now = time.monotonic()
        if self._version is not None and now - self._checked_at < CHECK_SECONDS:
            return self._value
        # The version first, then the rows: rows read after an edit committed are at least as
        # new as the version they are kept under.
        try:
            version = cache.get(self.key)
            if version is None:
                cache.add(self.key, uuid.uuid4().hex, timeout=None)
                version = cache.get(self.key)
        except Exception as error:  # the cache is down: no version to trust
            log.warning("memo %s: shared cache unreachable (%s); read afresh", self.name, error)
            return self._load()
        if version is not None and version == self._version and now - self._loaded_at < MAX_AGE:
            self._checked_at = now
            return self._value
        value = self._load()
        with self._lock:
            self._version, self._value = version, value
            self._loaded_at = self._checked_at = now
        return value

    def changed(self) -> None:
        """Tell every process that the rows changed: at once when no transaction is open,
        otherwise when it commits (and until then this transaction reads them afresh)."""
        if not connection.in_atomic_block:
            self._bump()
            return
        if not self._edited_here():
            transaction.on_commit(self._bump)

    def forget(self) -> None:
        """Drop this process's copy (tests that empty the database)."""
        with self._lock:
            self._version, self._value = None, None

    def _bump(self) -> None:
        self.forget()
        try:
            cache.set(self.key, uuid.uuid4().hex, timeout=None)
        except Exception as error:
            log.warning(
                "memo %s: shared cache unreachable (%s); others see the edit within %s s",
                self.name,
                error,
                MAX_AGE,
            )

    def _edited(self, sender, **kwargs) -> None:
        if kwargs.get("raw"):
            return  # loaddata: its caller says changed() once at the end
        self.changed()

    def _edited_here(self) -> bool:
        # Django drops the open transaction's callbacks when it rolls back, so a bump still
        # pending means: edited in the transaction that is open now.
        return connection.in_atomic_block and any(
            func == self._bump for _sids, func, _robust in connection.run_on_commit
        )


def forget_all() -> None:
    """Drop every process copy (tests that empty the database or load fixtures)."""
    for memo in _memos.values():
        memo.forget()


def changed_all() -> None:
    """Every memo's rows changed (a bulk load of reference data)."""
    for memo in _memos.values():
        memo.changed()
