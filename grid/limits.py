"""Hourly allowances of personal data per account: how many reveals (one person's full ID number
and phones) and personal exports (an area's persons in full) one account may make in an hour.
Settings: SANHUA_REVEALS_PER_HOUR and SANHUA_EXPORTS_PER_HOUR.

The count is the account's own rows of that action in the audit log (AuditEntry) of the last
sixty minutes, taken with the account's user row locked (SELECT … FOR UPDATE) in the transaction
that then writes the new row. So it is exact across gunicorn workers and hosts — two requests
of one account queue on the lock, and the second counts the first — it survives a restart or a
cache flush, and the allowance can never disagree with the audit log it is read from. A cache
counter with an atomic INCR would be as exact on Redis, but not on the laptop's file cache, and
would count clock hours rather than the last sixty minutes. (On SQLite the IMMEDIATE transactions
of settings.py serialise the writers the same way.)

Over the allowance nothing is revealed or exported: LimitReached (a 429 on the API). The first
refusal within an hour writes an AccessAlert and sends grid.signals.access_limit_reached, on
which cases/ notifies the supervisors: once, since the alert is looked for under the same lock.
"""

import math
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from grid.models import AccessAlert, AuditEntry
from grid.signals import access_limit_reached

WINDOW = timedelta(hours=1)


class LimitReached(Exception):
    """The account used up its allowance of `action` for the last hour; `retry_after` seconds
    from now it has one again."""

    def __init__(self, action: str, limit: int, retry_after: int):
        self.action, self.limit, self.retry_after = action, limit, retry_after
        minutes = max(1, math.ceil(retry_after / 60))
        if action == AuditEntry.Action.EXPORT:
            message = _(
                "You have made %(limit)s exports of personal data in the last hour, the most "
                "allowed. Try again in %(minutes)s minutes."
            )
        else:
            message = _(
                "You have revealed personal data %(limit)s times in the last hour, the most "
                "allowed. Try again in %(minutes)s minutes."
            )
        super().__init__(message % {"limit": limit, "minutes": minutes})


def allowance(action: str) -> int:
    """How many `action`s (reveal or export) one account may make in an hour."""
    if action == AuditEntry.Action.EXPORT:
        return settings.SANHUA_EXPORTS_PER_HOUR
    return settings.SANHUA_REVEALS_PER_HOUR


@contextmanager
def spend(actor, action: str):
    """`with spend(actor, action): write the audit entry` — runs the block (in a transaction,
    with the count exact) if `actor` has an `action` left this hour; otherwise raises
    LimitReached, having alerted the supervisors if this is the first refusal of the hour."""
    limit = allowance(action)
    with transaction.atomic():
        # The lock that makes the count exact: every spend of this account queues here. NO KEY:
        # rows that merely refer to the user (audit entries, case events) need not wait.
        get_user_model().objects.select_for_update(no_key=True).only("pk").get(pk=actor.pk)
        now = timezone.now()
        since = now - WINDOW
        recent = AuditEntry.objects.filter(actor=actor, action=action, at__gt=since)
        used = recent.count()
        if used < limit:
            yield
            return
        # One slot frees when the (used - limit + 1)-th oldest entry leaves the window.
        freed_at = recent.order_by("at").values_list("at", flat=True)[used - limit] + WINDOW
        refusal = LimitReached(action, limit, math.ceil((freed_at - now).total_seconds()))
        if not AccessAlert.objects.filter(actor=actor, action=action, at__gt=since).exists():
            alert = AccessAlert.objects.create(actor=actor, action=action, limit=limit)
            access_limit_reached.send(sender=AccessAlert, alert=alert)
    raise refusal
