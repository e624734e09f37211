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
the loser gets ConcurrentCaseUpdate and nothing it did is kept. `apply_many` takes the same
steps for many cases as one set (the sweeper's batches): the same table and the same rows,
one compare-and-set UPDATE … FROM (VALUES …) and one insert of the events.
"""

import json
from collections import defaultdict, deque
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from types import SimpleNamespace
from typing import NamedTuple

from django.db import connection, transaction
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
    changes = _changes(case, action, now, level=level, holder_id=holder_id, due_at=due_at, **fields)
    updated = Case.objects.filter(pk=case.pk, version=case.version).update(
        version=F("version") + 1, **changes
    )
    if updated != 1:
        current = Case.objects.filter(pk=case.pk).values_list("version", flat=True).first()
        raise ConcurrentCaseUpdate(case.version, current)

    before = _Position(case.status, case.level, case.holder_id)
    _written(case, changes)
    event = CaseEvent.objects.create(
        case=case,
        **_event_fields(case, action, before, actor=actor, now=now, reason=reason, data=data),
    )
    rollups.record(event)
    _after_commit(event)
    return event


def _changes(
    case, action: str, now: datetime, *, level=None, holder_id=None, due_at=..., **fields
) -> dict:
    """The Case fields `action` writes from the state `case` is in (apply's keyword arguments);
    InvalidTransition if the table forbids the step."""
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
    return changes


class _Position(NamedTuple):
    """Where a case was before a step: what its event records as from_*."""

    status: str
    level: int | None
    holder_id: int | None


def _event_fields(case, action: str, before: _Position, *, actor, now, reason, data) -> dict:
    """The fields of the CaseEvent of `action` but its case, `case` being as the step left it."""
    return {
        "action": action,
        "actor": actor if actor is not None and actor.is_authenticated else None,
        "at": now,
        "from_status": before.status,
        "to_status": case.status,
        "from_level": before.level,
        "to_level": case.level,
        "from_holder_id": before.holder_id,
        "to_holder_id": case.holder_id,
        "reason": reason,
        "data": data or {},
        "version": case.version,
    }


@dataclass
class Move:
    """One step of apply_many: a case as the caller read it, the action, and what apply() would
    take for it (`fields`: further Case fields, plain values only)."""

    case: Case
    action: str
    level: int | None = None
    holder_id: int | None = None
    due_at: datetime | None | type[Ellipsis] = ...
    reason: str = ""
    data: dict | None = None
    fields: dict = field(default_factory=dict)


def apply_many(
    moves: Sequence[Move], *, actor=None, now: datetime | None = None
) -> list[CaseEvent]:
    """apply() for many cases as one set. The transition table judges every step first (an
    InvalidTransition is raised before anything is written); then one compare-and-set UPDATE …
    FROM (VALUES …) moves the cases (one statement per set of columns written, in practice one
    per action), one INSERT records the events, and one call counts them in the rollups.
    Several moves of one case are its successive steps, in order, each its own version.

    A case whose version changed since it was read is left as it is, none of its steps
    recorded: the events returned (in the order of `moves`) are those of the cases moved, and
    only those cases are updated in memory. The writes take no savepoint of their own: a
    failure while writing undoes the caller's transaction or savepoint (the sweeper has one per
    batch), so the set is written whole or not at all."""
    now = now or timezone.now()
    actor = actor if actor is not None and actor.is_authenticated else None
    plans: dict[int, _Plan] = {}
    for move in moves:
        if move.case.pk not in plans:
            plans[move.case.pk] = _Plan(move.case)
        plans[move.case.pk].step(move, actor_id=actor.pk if actor else None, now=now)
    by_columns: dict[tuple[str, ...], list[_Plan]] = defaultdict(list)
    for plan in plans.values():
        by_columns[tuple(sorted(plan.changes))].append(plan)
    moved: set[int] = set()
    with transaction.atomic(savepoint=False):
        for columns, group in by_columns.items():
            moved.update(_compare_and_set_many(columns, group))
        steps = [plans[m.case.pk].steps.popleft() for m in moves if m.case.pk in moved]
        events = _insert_events(steps)
        rollups.record_cases(sorted(moved))
        _after_commit_many(events)
    for case_id in moved:
        plans[case_id].written()
    for event in events:
        CaseEvent.case.field.set_cached_value(event, plans[event.case_id].case)
        if actor is not None:
            CaseEvent.actor.field.set_cached_value(event, actor)
    return events


class _Plan:
    """The steps apply_many takes on one case, worked out before anything is written: what they
    change together, and the event row of each (as a dict of columns)."""

    def __init__(self, case: Case):
        self.case = case
        # The case as each step leaves it; the case itself changes only once it is written.
        self.state = SimpleNamespace(
            status=case.status,
            status_before_suspension=case.status_before_suspension,
            level=case.level,
            holder_id=case.holder_id,
            version=case.version,
        )
        self.changes: dict = {}
        self.steps: deque[dict] = deque()

    def step(self, move: Move, *, actor_id, now: datetime) -> None:
        changes = _changes(
            self.state,
            move.action,
            now,
            level=move.level,
            holder_id=move.holder_id,
            due_at=move.due_at,
            **move.fields,
        )
        if any(hasattr(value, "resolve_expression") for value in changes.values()):
            raise TypeError("apply_many writes plain values, not expressions")
        before = _Position(self.state.status, self.state.level, self.state.holder_id)
        vars(self.state).update(changes)
        self.state.version += 1
        self.changes.update(changes)
        row = _event_fields(
            self.state, move.action, before, actor=None, now=now, reason=move.reason,
            data=move.data,
        )  # fmt: skip
        del row["actor"]
        self.steps.append({"case_id": self.case.pk, "actor_id": actor_id, **row})

    def written(self) -> None:
        """Bring the case up to what was written (plain values: nothing to read back)."""
        for name, value in self.changes.items():
            setattr(self.case, name, value)
        self.case.version = self.state.version


_EVENT_COLUMNS = [f for f in CaseEvent._meta.concrete_fields if not f.primary_key]


def _insert_events(steps: list[dict]) -> list[CaseEvent]:
    """One INSERT of the events of `steps` (their columns by attname); the events, saved."""
    if not steps:
        return []
    table = connection.ops.quote_name(CaseEvent._meta.db_table)
    names = ", ".join(connection.ops.quote_name(f.column) for f in _EVENT_COLUMNS)
    rows = [[step.get(f.attname) for f in _EVENT_COLUMNS] for step in steps]
    relation, params = _relation(_EVENT_COLUMNS, rows)
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH v ({names}) AS ({relation}) INSERT INTO {table} ({names})"
            f' SELECT {names} FROM v RETURNING "id", "case_id", "version"',
            params,
        )
        # Matched by (case, version), which is unique, whatever order the rows come back in.
        ids = {(case_id, version): pk for pk, case_id, version in cursor.fetchall()}
    events = []
    for step, row in zip(steps, rows, strict=True):
        event = CaseEvent(ids[step["case_id"], step["version"]], *row)
        event._state.adding, event._state.db = False, connection.alias
        events.append(event)
    return events


def _compare_and_set_many(columns: tuple[str, ...], plans: list[_Plan]) -> list[int]:
    """One UPDATE … FROM (VALUES …) writing `columns` and the new version of each planned case
    whose version is still the one read; returns the ids of the cases written."""
    quote = connection.ops.quote_name
    version = Case._meta.get_field("version")
    fields = [Case._meta.pk, version, version, *(Case._meta.get_field(name) for name in columns)]
    names = ['"id"', '"old_version"', '"new_version"', *(quote(f.column) for f in fields[3:])]
    rows = [
        [plan.case.pk, plan.case.version, plan.state.version, *(plan.changes[n] for n in columns)]
        for plan in plans
    ]
    relation, params = _relation(fields, rows)
    table = quote(Case._meta.db_table)
    assignments = ", ".join(['"version" = v."new_version"', *(f"{n} = v.{n}" for n in names[3:])])
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH v ({', '.join(names)}) AS ({relation})"
            f" UPDATE {table} SET {assignments} FROM v"
            f' WHERE {table}."id" = v."id" AND {table}."version" = v."old_version"'
            f' RETURNING {table}."id"',
            params,
        )
        return [case_id for (case_id,) in cursor.fetchall()]


def _relation(fields: list, rows: list[list]) -> tuple[str, list]:
    """`rows` (values of `fields`, in order) as a relation to select from, and its parameters.
    PostgreSQL: one array per column, unnested: a short statement whatever the number of rows,
    which the driver and the server parse alike every time (a VALUES list of thousands of
    placeholders costs more to parse than to run). Elsewhere: a VALUES list."""
    columns = [
        list(map(_db_value(f), column))
        for f, column in zip(fields, zip(*rows, strict=True), strict=True)
    ]
    if connection.vendor == "postgresql":
        # As Django's own bulk inserts do: the array type without its length (varchar[]).
        types = [f.db_type(connection).split("(")[0] for f in fields]
        return "SELECT * FROM unnest(" + ", ".join(f"(%s)::{t}[]" for t in types) + ")", columns
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    return "VALUES " + ", ".join([row] * len(rows)), [
        value for row_ in zip(*columns, strict=True) for value in row_
    ]


def _db_value(model_field):
    """A function turning a value of `model_field` into what the database driver takes: plain
    values as they are, times and JSON as the backend wants them."""
    kind = model_field.get_internal_type()
    if kind == "DateTimeField":
        return connection.ops.adapt_datetimefield_value
    if kind == "JSONField":
        return lambda value: json.dumps(value, cls=model_field.encoder)
    if kind in _PLAIN or model_field.is_relation:
        return lambda value: value
    return lambda value: model_field.get_db_prep_save(value, connection)


_PLAIN = {
    "AutoField", "BigAutoField", "IntegerField", "BigIntegerField", "SmallIntegerField",
    "PositiveIntegerField", "PositiveSmallIntegerField", "PositiveBigIntegerField",
    "CharField", "TextField", "BooleanField",
}  # fmt: skip


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


def _after_commit_many(events: list[CaseEvent]) -> None:
    # As _after_commit, with one message for the whole set.
    if not events:
        return
    batched = _batched_events.get()
    if batched is not None:
        batched.extend(event.pk for event in events)
        return
    from cases.tasks import notify_events

    notify_events.delay_on_commit([event.pk for event in events])


# Inside a batch() block: the events whose notifications wait for the end of the block.
_batched_events: ContextVar[list[int] | None] = ContextVar("batched_events", default=None)


@contextmanager
def batch(*, send: bool = True) -> Iterator[list[int]]:
    """Many steps in one transaction (the sweeper's batches): at the end of the block they are
    counted in the rollups together (rollups.deferred) and their notifications go out in one
    message once the transaction commits. If the block fails, neither happens. The id of a
    step undone with its savepoint is sent too and finds no event: nothing is notified.
    Yields the list that collects the events' ids (a nested block, the outer block's).

    send=False: no message; the caller writes the notifications itself once the transaction
    has committed (notifications.notify_many of the ids yielded), and the sweeper's catch-up
    writes them should it never get there."""
    outer = _batched_events.get()
    if outer is not None:
        yield outer
        return
    events: list[int] = []
    token = _batched_events.set(events)
    try:
        with rollups.deferred():
            yield events
    finally:
        _batched_events.reset(token)
    if events and send:
        from cases.tasks import notify_events

        notify_events.delay_on_commit(events)
