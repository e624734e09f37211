"""A department's task card (任务卡): what a dispatch's department needs to do the work without
opening the case page — the case's description, its photos, where it is, the deadlines and
the history so far. One shape for the console's inbox (cases/console/dispatches.py) and the
API's dispatches (cases/api/serializers.py).

What a department sees of the history (`history`): every step of the case, by
whom only as a unit (the holding area, or the department a dispatch step concerns), never a
person's name; the reason of each step, except those a resident may have written (the
report, whose text is the description already shown, and the callback's comment). Reporters'
personal data (name, phone, the hotline caller) is never part of a card.

Reads only what the queryset prefetched (CARD_PREFETCH): a list of cards costs a fixed number
of queries whatever its length.
"""

from datetime import datetime

from django.db.models import Prefetch

from cases.models import Case, CaseEvent, CasePhoto, Dispatch
from cases.workflow import ACTION_LABELS
from grid.models import Area

# The steps whose reason a department does not read: a resident's words may be in it.
REASON_WITHHELD = frozenset({"report", "callback"})
LEVEL_LABELS = dict(Area.Level.choices)

# Relations of a Dispatch queryset a card reads.
CARD_SELECT = ["case__grid", "case__category", "case__holder", "department"]
CARD_PREFETCH = [
    Prefetch("case__photos", queryset=CasePhoto.objects.order_by("created_at", "id")),
    Prefetch(
        "case__events",
        queryset=CaseEvent.objects.select_related("to_holder")
        .only(
            "id",
            "case_id",
            "version",
            "action",
            "at",
            "to_status",
            "to_level",
            "to_holder__name",
            "reason",
            "data",
        )
        .order_by("version"),
    ),
    Prefetch(
        "case__dispatches",
        queryset=Dispatch.objects.select_related("department").only(
            "id", "case_id", "role", "status", "due_at", "department__id", "department__name"
        ),
        to_attr="card_dispatches",
    ),
]


def with_cards(queryset):
    """`queryset` of dispatches with everything their cards read."""
    return queryset.select_related(*CARD_SELECT).prefetch_related(*CARD_PREFETCH)


def location(case: Case) -> dict:
    """Where the case is: the reported point (or, when none was given, the grid's centre,
    `exact` false), the grid and the address."""
    grid = case.grid
    exact = case.lng is not None and case.lat is not None
    lng, lat = (case.lng, case.lat) if exact else (grid.centroid_lng, grid.centroid_lat)
    return {
        "lng": lng,
        "lat": lat,
        "exact": exact,
        "grid": {"id": grid.pk, "code": grid.code, "name": grid.name},
        "address": case.address,
    }


def _dispatches_of(case: Case) -> list[Dispatch]:
    dispatches = getattr(case, "card_dispatches", None)
    if dispatches is None:  # read without CARD_PREFETCH: a single card
        dispatches = list(case.dispatches.select_related("department"))
    return dispatches


def case_due_at(case: Case) -> datetime | None:
    """When the case is due: its stage's deadline, or while it is dispatched (the stage clock
    then runs on the dispatches) the open lead dispatch's, whose report resolves the case."""
    if case.due_at is not None:
        return case.due_at
    lead = next(
        (
            d
            for d in _dispatches_of(case)
            if d.role == Dispatch.Role.LEAD and d.status in Dispatch.OPEN_STATUSES
        ),
        None,
    )
    return lead.due_at if lead else None


def deadlines(dispatch: Dispatch, now: datetime) -> dict:
    """The dispatch's due time and the case's (case_due_at), and the seconds left on the
    dispatch: negative once it is late, frozen while the case is suspended, null when the
    dispatch is no longer open."""
    case = dispatch.case
    if dispatch.status not in Dispatch.OPEN_STATUSES:
        remaining = None
    elif dispatch.remaining_seconds is not None:
        remaining = dispatch.remaining_seconds
    else:
        remaining = int((dispatch.due_at - now).total_seconds())
    return {
        "dispatch_due_at": dispatch.due_at,
        "case_due_at": case_due_at(case),
        "remaining_seconds": remaining,
        "is_overdue": dispatch.is_overdue or (remaining is not None and remaining < 0),
        "paused": dispatch.remaining_seconds is not None,
    }


def history(case: Case) -> list[dict]:
    """The case's steps so far as a department may read them (see the module docstring)."""
    departments = {d.department_id: d.department.name for d in _dispatches_of(case)}
    rows = []
    for event in case.events.all():
        department = (event.data or {}).get("department")
        rows.append(
            {
                "at": event.at,
                "action": event.action,
                "label": str(ACTION_LABELS.get(event.action, event.action)),
                "status": event.to_status,
                "status_label": str(Case.Status(event.to_status).label),
                "level_label": str(LEVEL_LABELS.get(event.to_level, "")),
                "unit": departments.get(department) or event.to_holder.name,
                "reason": "" if event.action in REASON_WITHHELD else event.reason,
            }
        )
    return rows


def photos(case: Case) -> list[CasePhoto]:
    return list(case.photos.all())
