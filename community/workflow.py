"""The service-request lifecycle: the only code that writes a request's status and version, and
the only writer of ServiceRequestEvent rows (one per step, in the same transaction).

    record ─▶ pending (待受理) ──accept──▶ in_progress (办理中) ──complete──▶ done (已办结)
               │                          │  └─ assign (assignee, appointment) keeps the status
               ├─────────decline──────────┴─▶ declined (不予办理, with a reason)
               └─────────convert──────────┴─▶ converted (转为事件: a case is filed, linked)
    rate (satisfaction 1–5): done ─▶ done · mark_overdue (the sweeper): open ─▶ same status

Every write is compare-and-set on `version` and the event row is unique per (request,
version): of two people completing one request at once, one wins and the other gets
ConcurrentCaseUpdate (a 409), with nothing it did kept. The exceptions are the case
workflow's, so every interface answers them the same way.
"""

from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from cases.exceptions import ConcurrentCaseUpdate, InvalidTransition
from community.models import ServiceRequest, ServiceRequestEvent

S = ServiceRequest.Status
OPEN = (S.PENDING, S.IN_PROGRESS)

# action -> {from_status: to_status}
TRANSITIONS: dict[str, dict[str, str]] = {
    "accept": {S.PENDING: S.IN_PROGRESS},
    "assign": {S.PENDING: S.PENDING, S.IN_PROGRESS: S.IN_PROGRESS},
    "complete": {S.IN_PROGRESS: S.DONE},
    "decline": {S.PENDING: S.DECLINED, S.IN_PROGRESS: S.DECLINED},
    "convert": {S.PENDING: S.CONVERTED, S.IN_PROGRESS: S.CONVERTED},
    "rate": {S.DONE: S.DONE},
    "mark_overdue": {S.PENDING: S.PENDING, S.IN_PROGRESS: S.IN_PROGRESS},
}
SYSTEM_ACTIONS = frozenset({"mark_overdue"})
ACTION_LABELS = {
    "record": _("Recorded"),
    "accept": _("Accepted"),
    "assign": _("Assigned"),
    "complete": pgettext_lazy("service request", "Done"),
    "decline": _("Declined"),
    "convert": _("Converted to a case"),
    "rate": _("Satisfaction recorded"),
    "mark_overdue": _("Overdue"),
}
MILESTONES = {
    "accept": "accepted_at",
    "complete": "closed_at",
    "decline": "closed_at",
    "convert": "closed_at",
}


def allowed_actions(status: str) -> list[str]:
    return [action for action, moves in TRANSITIONS.items() if status in moves]


@transaction.atomic
def apply(
    request: ServiceRequest,
    action: str,
    *,
    actor=None,
    now: datetime | None = None,
    reason: str = "",
    data: dict | None = None,
    **fields,
) -> ServiceRequestEvent:
    """Move `request` by `action`, compare-and-set on the version the caller read, and record
    the event; other keyword arguments are fields written in the same UPDATE. Raises
    InvalidTransition or ConcurrentCaseUpdate, and then nothing is written."""
    now = now or timezone.now()
    moves = TRANSITIONS.get(action, {})
    if request.status not in moves:
        raise InvalidTransition(action, request.status, allowed_actions(request.status))
    changes = dict(fields)
    changes["status"] = moves[request.status]
    milestone = MILESTONES.get(action)
    if milestone:
        changes.setdefault(milestone, now)
    updated = ServiceRequest.objects.filter(pk=request.pk, version=request.version).update(
        version=F("version") + 1, **changes
    )
    if updated != 1:
        current = (
            ServiceRequest.objects.filter(pk=request.pk).values_list("version", flat=True).first()
        )
        raise ConcurrentCaseUpdate(request.version, current)
    from_status = request.status
    request.version += 1
    for name, value in changes.items():
        setattr(request, name, value)
    return ServiceRequestEvent.objects.create(
        request=request,
        action=action,
        actor=actor if actor is not None and actor.is_authenticated else None,
        at=now,
        from_status=from_status,
        to_status=request.status,
        reason=reason,
        data=data or {},
        version=request.version,
    )


def record_new(request: ServiceRequest, *, actor, now: datetime, data=None) -> ServiceRequestEvent:
    """The first event of a request just inserted (version 1) by services.record_request."""
    return ServiceRequestEvent.objects.create(
        request=request,
        action="record",
        actor=actor if actor is not None and actor.is_authenticated else None,
        at=now,
        from_status="",
        to_status=request.status,
        data=data or {},
        version=request.version,
    )
