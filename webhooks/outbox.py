"""Producing deliveries: the outbox rows of every event a subscription matches, written in the
transaction that produces the event, in one INSERT … ON CONFLICT DO NOTHING per batch.

Case steps arrive through cases/extensions.py: notify_many hands over the steps it marks
notified, in its transaction, so each step is written to the outbox exactly once (a re-run finds
it notified; the catch-up notifies any step missed) and filing itself does no more work. Other
apps send their own event types (registered with webhooks.events.register_event_types) with
enqueue(), in their caller's transaction.

The subscriptions come from each process's memory (webhooks/subscriptions.py): a batch no
subscription wants costs no query at all. A paused subscription's deliveries are written held
(no next attempt) and wait for its resume out of the sender's way.
"""

import uuid
from collections import defaultdict
from collections.abc import Sequence
from typing import NamedTuple

from django.db.models import OuterRef, Subquery
from django.utils import timezone

from cases.models import Case, CaseEvent, Dispatch
from grid.models import Area
from webhooks import events, sending
from webhooks.models import Delivery
from webhooks.subscriptions import targets_for

# Rows per INSERT statement (14 parameters each).
_ROWS_PER_STATEMENT = 2_000


# Case steps


def write_step_deliveries(steps: Sequence) -> int:
    """The consumer of case steps (cases/extensions.py): write the deliveries of `steps`
    (cases.notifications.Step) for every subscription they match, in the caller's transaction.
    A constant number of statements whatever the batch: the events read with their case (one
    query), the dispatches of their cases when departments matter (one), one insert. Returns
    how many rows were offered to the insert."""
    typed = [
        (step, events.STEP_TYPES[step.action]) for step in steps if step.action in events.STEP_TYPES
    ]
    targets = targets_for(event_type for _step, event_type in typed)
    if not targets:
        return 0
    wanted = set().union(*(t.event_types for t in targets))
    typed = [(step, event_type) for step, event_type in typed if event_type in wanted]
    read = (
        CaseEvent.objects.filter(pk__in=[step.pk for step, _type in typed])
        .select_related("case__category", "case__grid", "case__reporter", "to_holder", "actor")
        .in_bulk()
    )
    need_dispatches = any(t.department_id is not None for t in targets) or any(
        step.action.startswith("dispatch") for step, _type in typed
    )
    dispatched = _dispatches_of({step.case_id for step, _type in typed}) if need_dispatches else {}
    now = timezone.now()
    rows = []
    for step, event_type in typed:
        event = read.get(step.pk)
        if event is None:
            continue
        departments = _departments_of(event, dispatched.get(event.case_id, []))
        payloads = {}
        for target in targets:
            if not target.wants(event_type, step.grid_path, departments):
                continue
            if target.personal not in payloads:
                payloads[target.personal] = step_payload(
                    event, departments, personal=target.personal
                )
            rows.append(
                Delivery(
                    subscription_id=target.pk,
                    event_type=event_type,
                    event_key=f"case_event:{event.pk}",
                    case_id=event.case_id,
                    position=2 * event.pk,
                    payload=payloads[target.personal],
                    next_attempt_at=None if target.paused else now,
                    created_at=now,
                )
            )
    return _write(rows)


class _Dispatched(NamedTuple):
    department_id: int
    code: str
    role: str
    at: object


def _dispatches_of(case_ids) -> dict[int, list[_Dispatched]]:
    found = defaultdict(list)
    rows = Dispatch.objects.filter(case_id__in=case_ids).order_by("pk")
    for case_id, *row in rows.values_list(
        "case_id", "department_id", "department__code", "role", "dispatched_at"
    ):
        found[case_id].append(_Dispatched(*row))
    return found


def _departments_of(event: CaseEvent, dispatched: list[_Dispatched]) -> dict[int, dict]:
    """The departments an event concerns, as {id: {"id", "code", "role"}}: a dispatch step's
    own departments; for any other step, those the case was dispatched to by then (their staff
    see the case from its dispatch on)."""
    codes = {d.department_id: d.code for d in dispatched}

    def one(department_id, role) -> dict:
        return {"id": department_id, "code": codes.get(department_id, ""), "role": role}

    data = event.data or {}
    if event.action == "dispatch":
        found = {data["lead"]: one(data["lead"], "lead")} if "lead" in data else {}
        for department_id in data.get("cooperating", []):
            found[department_id] = one(department_id, "cooperating")
        return found
    if event.action.startswith("dispatch_") and "department" in data:
        return {data["department"]: one(data["department"], data.get("role", ""))}
    return {d.department_id: one(d.department_id, d.role) for d in dispatched if d.at <= event.at}


def _area(area: Area) -> dict:
    return {"id": area.pk, "code": area.code, "name": area.name}


def _person(user) -> dict | None:
    if user is None:
        return None
    return {"id": user.pk, "name": user.get_full_name() or user.get_username()}


def step_payload(event: CaseEvent, departments: dict[int, dict], *, personal: bool) -> dict:
    """What a delivery of a case step says (docs/webhooks.md). Without `personal`: codes,
    states, areas and times only, no free text a person wrote and no one's name: texts and
    people come only to a department's subscription allowed them."""
    case = event.case
    data = event.data or {}
    body = {
        "case": {
            "id": case.pk,
            "number": case.number,
            "category": {"code": case.category.code, "name": case.category.name},
            "urgency": case.urgency,
            "source": case.source,
            "status": event.to_status,
            "level": event.to_level,
            "holder": _area(event.to_holder),
            "grid": _area(case.grid),
            "hotline_number": case.hotline_number or None,
        },
        "step": {
            "id": event.pk,
            "name": event.action,
            "version": event.version,
            "at": event.at.isoformat(),
            "from_status": event.from_status or None,
            "from_level": event.from_level,
        },
    }
    if event.action == "dispatch":
        body["departments"] = list(departments.values())
    elif event.action.startswith("dispatch_") and "dispatch" in data:
        department = next(iter(departments.values()), None)
        body["dispatch"] = {
            "id": data["dispatch"],
            "role": data.get("role", ""),
            "department": {k: department[k] for k in ("id", "code")} if department else None,
        }
    if event.action == "callback" and "satisfaction" in data:
        body["step"]["satisfaction"] = data["satisfaction"]
    if data.get("duplicate_of"):
        body["step"]["duplicate_of"] = data["duplicate_of"]
    if personal:
        body["case"].update(
            title=case.title,
            description=case.description,
            address=case.address,
            lng=case.lng,
            lat=case.lat,
            reporter=_person(case.reporter),
        )
        body["step"].update(reason=event.reason, actor=_person(event.actor))
    return body


# Other apps' events


def enqueue(
    event_type: str,
    payload: dict,
    *,
    case_id: int | None = None,
    area_id: int | None = None,
    department_id: int | None = None,
    personal: dict | None = None,
    key: str | None = None,
) -> int:
    """Write the deliveries of one event of another app (a type it registered) for every
    subscription it matches, in the caller's transaction; returns how many rows were offered.

    `payload` must hold no personal data; `personal` is added to it (its keys over the
    payload's) only for a department's subscription allowed personal data. The event lies in
    `area_id` (or, if not given, the grid of `case_id`; a subscription for an area hears of it
    only if it lies there) and concerns `department_id` (a subscription for a department hears
    only of events concerning it). Deliveries of one case are sent in order, after those of the
    case's steps so far. `key` names the event among those of its type (at most 100
    characters): an event enqueued twice with one key is written once; without a key every
    call is a new event."""
    if event_type not in events.EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type!r}: register it first")
    if key is not None and not 0 < len(key) <= 100:
        raise ValueError("an event key is 1 to 100 characters")
    targets = [t for t in targets_for([event_type]) if t.department_id in (None, department_id)]
    if not targets:
        return 0
    path, position = None, 0
    if case_id is not None:
        latest = CaseEvent.objects.filter(case_id=OuterRef("pk")).order_by("-pk").values("pk")[:1]
        found = (
            Case.objects.filter(pk=case_id)
            .annotate(latest=Subquery(latest))
            .values_list("grid__path", "latest")
            .first()
        )
        if found is None:
            raise ValueError(f"no case {case_id}")
        # Just after the case's latest step (2 × its id), before any later one.
        path, position = found[0], 2 * (found[1] or 0) + 1
    if area_id is not None and any(t.area_id is not None for t in targets):
        path = Area.objects.filter(pk=area_id).values_list("path", flat=True).first()
    departments = {department_id} if department_id is not None else set()
    event_key = f"{event_type}:{key or uuid.uuid4().hex}"
    now = timezone.now()
    rows = [
        Delivery(
            subscription_id=target.pk,
            event_type=event_type,
            event_key=event_key,
            case_id=case_id,
            position=position,
            payload={**payload, **(personal or {})} if target.personal else payload,
            next_attempt_at=None if target.paused else now,
            created_at=now,
        )
        for target in targets
        if target.wants(event_type, path, departments)
    ]
    return _write(rows)


def _write(rows: list[Delivery]) -> int:
    """Insert deliveries, skipping those already written (the unique (subscription, event)),
    and have the sender run once the transaction commits."""
    if not rows:
        return 0
    Delivery.objects.bulk_create(rows, ignore_conflicts=True, batch_size=_ROWS_PER_STATEMENT)
    sending.nudge()
    return len(rows)
