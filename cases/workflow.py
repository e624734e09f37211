"""The case lifecycle: the only code that writes a case's status, level, holder and version,
and the only writer of CaseEvent rows (one per step, in the same transaction, which also counts
the step in the dashboards' rollups: cases/rollups.py).

    report ─▶ reported ──accept──▶ in_progress ──dispatch──▶ dispatched
               │ ▲                  │ ▲                         │ lead department reports done
               │ └── escalate, auto_escalate, return_down:      ▼
               │     the next holder gets it as `reported`    resolved ──verify_pass──▶ closed
               │                    └──── verify_fail (返工) ◀──┘                       │
               ├─reject──▶ rejected (不予立案)                      reopen (重办) ◀─────┘
               └─self_resolve (grid level, minor categories) ──▶ closed
    suspend: reported / in_progress / dispatched ─▶ suspended ─resume─▶ where it was (挂账)
    lead_refused: dispatched ─▶ in_progress (the dispatcher dispatches again)
    urge (督办), mark_overdue, callback (回访) and the dispatch_* steps keep the status.

While dispatched, each department's dispatch has its own steps (cases/models.py, Dispatch),
recorded in the case's history as dispatch_* steps. Cooperating departments (配合, 协办) report
to the case while it is dispatched; the lead's report done (主办反馈) resolves it:

    lead report_done ─▶ [cooperating dispatches still open? refused (409) naming them, unless
                         the lead gives a reason to go ahead]
                     ─▶ dispatch_close_with_case for each open one (closed_with_case, the
                        lead's reason; dispatch_overdue first if its deadline had passed)
                     ─▶ resolve

so once the case has moved on no dispatch is left owing work.

People's steps are checked in one order (cases/policies.py, check_case_step and
check_dispatch_step), whichever interface takes them: the policy first (403), where a step the
user could have taken on an earlier version of the case is a lost race (409); then the status
(409); then the input (400); then the compare-and-set below (409).

Every write is compare-and-set on `version` (UPDATE … WHERE id=… AND version=…) and the event
row is unique per (case, version), so two writers racing on one case cannot both succeed:
the loser gets ConcurrentCaseUpdate and nothing it did is kept.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases import rollups
from cases.exceptions import ConcurrentCaseUpdate, InvalidTransition
from cases.models import Case, CaseEvent

S = Case.Status
PREVIOUS = "<previous>"  # resume returns to the status the case had before suspension
OPEN_STAGES = (S.REPORTED, S.IN_PROGRESS)

# action -> {from_status: to_status}
TRANSITIONS: dict[str, dict[str, str]] = {
    "accept": {S.REPORTED: S.IN_PROGRESS},
    "reject": {S.REPORTED: S.REJECTED, S.IN_PROGRESS: S.REJECTED},
    "self_resolve": {S.REPORTED: S.CLOSED, S.IN_PROGRESS: S.CLOSED},
    "escalate": {S.REPORTED: S.REPORTED, S.IN_PROGRESS: S.REPORTED},
    "auto_escalate": {S.REPORTED: S.REPORTED, S.IN_PROGRESS: S.REPORTED},
    "return_down": {S.REPORTED: S.REPORTED, S.IN_PROGRESS: S.REPORTED},
    "dispatch": {S.IN_PROGRESS: S.DISPATCHED},
    "lead_refused": {S.DISPATCHED: S.IN_PROGRESS},
    "resolve": {S.IN_PROGRESS: S.RESOLVED, S.DISPATCHED: S.RESOLVED},
    "verify_pass": {S.RESOLVED: S.CLOSED},
    "verify_fail": {S.RESOLVED: S.IN_PROGRESS},
    "suspend": {S.REPORTED: S.SUSPENDED, S.IN_PROGRESS: S.SUSPENDED, S.DISPATCHED: S.SUSPENDED},
    "resume": {S.SUSPENDED: PREVIOUS},
    "urge": {s: s for s in (S.REPORTED, S.IN_PROGRESS, S.DISPATCHED, S.RESOLVED, S.SUSPENDED)},
    "mark_overdue": {s: s for s in (S.REPORTED, S.IN_PROGRESS, S.DISPATCHED)},
    "callback": {S.CLOSED: S.CLOSED},
    "reopen": {S.CLOSED: S.IN_PROGRESS},
    # Steps of a department's dispatch: recorded in the case's history, status unchanged.
    **{
        f"dispatch_{step}": {S.DISPATCHED: S.DISPATCHED}
        for step in (
            "sign",
            "refuse",
            "request_extension",
            "approve_extension",
            "report_done",
            "overdue",
            "close_with_case",
        )
    },
}
# Steps only the system takes (the sweeper, the dispatch workflow), never a person's button.
SYSTEM_ACTIONS = frozenset(
    {"auto_escalate", "mark_overdue", "lead_refused"}
    | {action for action in TRANSITIONS if action.startswith("dispatch_")}
)
ACTION_LABELS = {
    "report": _("Reported"),
    "accept": _("Accepted"),
    "reject": _("Not registered"),
    "self_resolve": _("Resolved on the spot"),
    "escalate": _("Escalated"),
    "auto_escalate": _("Escalated automatically (deadline passed)"),
    "return_down": _("Returned down"),
    "dispatch": _("Dispatched"),
    "lead_refused": _("Lead department refused; to be dispatched again"),
    "resolve": _("Resolved; waiting for verification"),
    "verify_pass": _("Verified and closed"),
    "verify_fail": _("Verification failed; rework"),
    "suspend": _("Suspended"),
    "resume": _("Resumed"),
    "urge": _("Urged (督办)"),
    "mark_overdue": _("Overdue at the district; supervised"),
    "callback": _("Resident callback"),
    "reopen": _("Reopened"),
    "dispatch_sign": _("Department signed"),
    "dispatch_refuse": _("Department refused the dispatch"),
    "dispatch_request_extension": _("Department asked for an extension"),
    "dispatch_approve_extension": _("Extension decided"),
    "dispatch_report_done": _("Department reported done"),
    "dispatch_overdue": _("Dispatch overdue"),
    "dispatch_close_with_case": _("Dispatch closed with the case"),
}
# The milestone timestamp each action writes; metrics read these.
MILESTONES = {
    "accept": "accepted_at",
    "dispatch": "dispatched_at",
    "resolve": "resolved_at",
    "verify_pass": "closed_at",
    "self_resolve": "closed_at",
    "reject": "closed_at",
}


def allowed_actions(status: str) -> list[str]:
    """Every action the table allows from `status` (people's and the system's)."""
    return [action for action, moves in TRANSITIONS.items() if status in moves]


def target_status(case: Case, action: str) -> str:
    moves = TRANSITIONS.get(action, {})
    if case.status not in moves:
        raise InvalidTransition(action, case.status, allowed_actions(case.status))
    target = moves[case.status]
    return case.status_before_suspension if target == PREVIOUS else target


@transaction.atomic
def apply(
    case: Case,
    action: str,
    *,
    actor=None,
    now: datetime | None = None,
    reason: str = "",
    level: int | None = None,
    holder_id: int | None = None,
    due_at: datetime | None | type[Ellipsis] = ...,
    data: dict | None = None,
    **fields,
) -> CaseEvent:
    """Move `case` by `action`, compare-and-set on the version the caller read, and record the
    event. `level`/`holder_id` hand the case to another area; `due_at` sets the stage deadline
    (None clears it; leave it out to keep it); other keyword arguments are further Case fields
    to write in the same UPDATE (counters as F() expressions are fine). Afterwards `case` holds
    what was written.

    Raises InvalidTransition if the table forbids the step and ConcurrentCaseUpdate if the case
    changed since it was read; in both cases nothing is written.
    """
    now = now or timezone.now()
    to_status = target_status(case, action)
    changes = dict(fields)
    changes["status"] = to_status
    if to_status == S.SUSPENDED and case.status != S.SUSPENDED:
        # Only the step into suspension records where to resume; an urge while suspended
        # keeps the status and must not overwrite it.
        changes["status_before_suspension"] = case.status
    if action == "resume":
        changes["status_before_suspension"] = ""
    if level is not None:
        changes["level"] = level
        changes["holder_id"] = holder_id
    if due_at is not ...:
        changes["due_at"] = due_at
    milestone = MILESTONES.get(action)
    if milestone:
        changes.setdefault(milestone, now)
    if to_status == S.CLOSED and case.status != S.CLOSED:
        changes.setdefault("closed_level", level or case.level)

    updated = Case.objects.filter(pk=case.pk, version=case.version).update(
        version=F("version") + 1, **changes
    )
    if updated != 1:
        current = Case.objects.filter(pk=case.pk).values_list("version", flat=True).first()
        raise ConcurrentCaseUpdate(case.version, current)

    from_status, from_level, from_holder_id = case.status, case.level, case.holder_id
    _written(case, changes)
    event = CaseEvent.objects.create(
        case=case,
        action=action,
        actor=actor if actor is not None and actor.is_authenticated else None,
        at=now,
        from_status=from_status,
        to_status=case.status,
        from_level=from_level,
        to_level=case.level,
        from_holder_id=from_holder_id,
        to_holder_id=case.holder_id,
        reason=reason,
        data=data or {},
        version=case.version,
    )
    rollups.record(event)
    _after_commit(event)
    return event


def _written(case: Case, changes: dict) -> None:
    """Bring `case` up to what its compare-and-set wrote: the version matched, so what the
    caller read is still the case's state; only values computed by the database are read back."""
    case.version += 1
    computed = []
    for name, value in changes.items():
        if hasattr(value, "resolve_expression"):
            computed.append(name)
        else:
            setattr(case, name, value)
    if computed:
        case.refresh_from_db(fields=computed)


def record_report(case: Case, *, actor, now: datetime, data: dict | None = None) -> CaseEvent:
    """The first event of a case just inserted (version 1), in cases/services.report_case's
    transaction. Its notifications are written once the case is routed (cases.tasks.route_new),
    with those of the other cases filed meanwhile, rather than by a message of their own."""
    event = CaseEvent.objects.create(
        case=case,
        action="report",
        actor=actor if actor is not None and actor.is_authenticated else None,
        at=now,
        from_status="",
        to_status=case.status,
        from_level=None,
        to_level=case.level,
        from_holder=None,
        to_holder=case.holder,
        data=data or {},
        version=case.version,
    )
    rollups.record(event)
    return event


def _after_commit(event: CaseEvent) -> None:
    # Notifications go out only once the step is committed; if the broker is down the step
    # still stands and the sweeper's catch-up sends them (cases/tasks.py).
    batched = _batched_events.get()
    if batched is not None:
        batched.append(event.pk)
        return
    from cases.tasks import notify_event

    notify_event.delay_on_commit(event.pk)


# Inside a batch() block: the events whose notifications wait for the end of the block.
_batched_events: ContextVar[list[int] | None] = ContextVar("batched_events", default=None)


@contextmanager
def batch() -> Iterator[None]:
    """Many steps in one transaction (the sweeper's batches): at the end of the block they are
    counted in the rollups together (rollups.deferred) and their notifications go out in one
    message once the transaction commits. If the block fails, neither happens. The id of a
    step undone with its savepoint is sent too and finds no event: nothing is notified."""
    if _batched_events.get() is not None:
        yield
        return
    events: list[int] = []
    token = _batched_events.set(events)
    try:
        with rollups.deferred():
            yield
    finally:
        _batched_events.reset(token)
    if events:
        from cases.tasks import notify_events

        notify_events.delay_on_commit(events)
