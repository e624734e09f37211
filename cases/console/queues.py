"""The conditions the console's lists and the workbench share, so that a number on the
workbench (cases/console/workbench.py) and the rows behind its link are one and the same
condition: cases past their deadline, cases due today, dispatches by the state of their work."""

from datetime import datetime, time, timedelta

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy

from cases.models import Case, Dispatch

S = Case.Status
DUE_TODAY = "today"


def local_day_start(day) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def late_cases(now: datetime) -> Q:
    """Cases whose deadline has passed: flagged overdue, past their stage's deadline while
    waiting or in progress, or dispatched with an open dispatch past its own."""
    return (
        Q(is_overdue=True)
        | Q(status__in=[S.REPORTED, S.IN_PROGRESS], due_at__lt=now)
        | Q(
            status=S.DISPATCHED,
            pk__in=Dispatch.objects.filter(
                Q(is_overdue=True) | Q(due_at__lt=now),
                status__in=Dispatch.OPEN_STATUSES,
            ).values("case_id"),
        )
    )


def due_today(now: datetime) -> Q:
    """Cases not late yet whose stage's deadline falls before the end of the local day."""
    tomorrow = local_day_start(timezone.localdate(now) + timedelta(days=1))
    return Q(due_at__lt=tomorrow) & ~late_cases(now)


# The department inbox's ?state= (DispatchInboxView): which of my open dispatches to show.
class DispatchState:
    TO_SIGN = "to_sign"
    DUE_TODAY = "due_today"
    OVERDUE = "overdue"
    EXTENSION = "extension"
    CHOICES = {
        TO_SIGN: gettext_lazy("Waiting for signature"),
        DUE_TODAY: gettext_lazy("Due today"),
        OVERDUE: gettext_lazy("Overdue"),
        EXTENSION: gettext_lazy("Extension requested"),
    }


def dispatch_state(value: str, now: datetime) -> Q:
    """Open dispatches (of a case still dispatched) in the state `value` names; any other value
    narrows nothing."""
    late = Q(is_overdue=True) | Q(due_at__lt=now)
    tomorrow = local_day_start(timezone.localdate(now) + timedelta(days=1))
    conditions = {
        DispatchState.TO_SIGN: Q(status=Dispatch.Status.PENDING),
        DispatchState.DUE_TODAY: Q(due_at__lt=tomorrow) & ~late,
        DispatchState.OVERDUE: late,
        DispatchState.EXTENSION: Q(extension_until__isnull=False),
    }
    if value not in conditions:
        return Q()
    return Q(status__in=Dispatch.OPEN_STATUSES, case__status=S.DISPATCHED) & conditions[value]
