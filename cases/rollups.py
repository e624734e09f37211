"""Rollups (决策信息库): the counters dashboards read, kept current as cases move.

A case's contribution to the rollups is a pure function of its history (`contribution`): the
day it was reported, its chain of areas, its category, and what each of its steps did.

Counting happens after the step, not in it. When a step is recorded, cases/workflow.py calls
`record(event)` in the step's transaction, which appends the case to a ledger (RollupLedger):
one INSERT, no shared row locked, so a filing never waits for another one's rollup rows. The
fold (`fold`, every few seconds from Celery beat, and before any dashboard reads the rollups:
`fold_if_pending`) takes rows off the ledger and, for their cases, replaces each case's
previous contribution by the new one, adding the difference to the rows with one
INSERT … ON CONFLICT DO UPDATE per table (rows in key order, so two folds never wait on each
other in opposite orders). CaseRollupState keeps the last version counted: counting a case
twice changes nothing, and a fold counts every step recorded so far.

`rebuild()` (`manage.py rebuild_rollups`) recomputes every row from the case histories. Both
ways give the same rows: tests/cases/test_rollups.py proves it on random histories.

Which day, area and level each counter goes to, and what it counts, is in docs/metrics.md.
"""

import json
import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cached_property
from typing import NamedTuple

from django.core.cache import cache
from django.db import connection, models, transaction
from django.db.models import Q

from cases.calendar import SHANGHAI
from cases.models import (
    AreaRollup,
    Case,
    CaseEvent,
    CaseRollupState,
    DepartmentRollup,
    Dispatch,
    HandlingRollup,
    RollupLedger,
    WorkerRollup,
)
from grid.models import Area

log = logging.getLogger(__name__)

S = Case.Status
OPEN_STATUSES = frozenset({S.REPORTED, S.IN_PROGRESS, S.DISPATCHED, S.RESOLVED})
ESCALATIONS = frozenset({"escalate", "auto_escalate"})
# Steps that record a missed deadline: below the district the case moves up, at the district
# it is marked overdue; a department's dispatch has its own deadline.
MISSED_DEADLINES = frozenset({"auto_escalate", "mark_overdue", "dispatch_overdue"})
CLOSINGS = frozenset({"verify_pass", "self_resolve"})
REWORKS = frozenset({"verify_fail", "reopen"})
SATISFIED = 4  # a rating of 4 or 5 of 5 is satisfied (满意)


def local_day(moment: datetime) -> date:
    """The calendar day in Asia/Shanghai of an aware datetime."""
    return moment.astimezone(SHANGHAI).date()


def handling_hours(seconds: int) -> int:
    """A handling time as the histogram keeps it: whole hours below 72 h, whole days (in hours)
    from 72 h, and 720 for 30 days or more."""
    hours = seconds // 3600
    if hours < 72:
        return hours
    return min(hours // 24 * 24, 720)


# The tables and how rows are written


@dataclass(frozen=True)
class Table:
    """A rollup model, its key columns, and (derived) its counter columns."""

    name: str
    model: type[models.Model]
    key: tuple[str, ...]

    @cached_property
    def counters(self) -> tuple[str, ...]:
        return tuple(
            f.column
            for f in self.model._meta.concrete_fields
            if not f.primary_key and f.column not in self.key
        )


AREA = Table("area", AreaRollup, ("day", "area_id", "category_id", "level"))
HANDLING = Table("handling", HandlingRollup, ("day", "area_id", "category_id", "hours"))
DEPARTMENT = Table("department", DepartmentRollup, ("day", "department_id", "category_id"))
WORKER = Table("worker", WorkerRollup, ("day", "user_id", "grid_id"))
TABLES = {t.name: t for t in (AREA, HANDLING, DEPARTMENT, WORKER)}

# A contribution: (table name, key values, counter) → amount. Only non-zero amounts are kept.
Contribution = dict[tuple[str, tuple, str], int]


def _rows(amounts: Contribution) -> dict[str, dict[tuple, dict[str, int]]]:
    """Group a contribution by table and row key."""
    rows: dict[str, dict[tuple, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
    for (table, key, counter), amount in amounts.items():
        if amount:
            rows[table][key][counter] = amount
    return rows


def _batches(items: Iterable, size: int) -> Iterator[list]:
    chunk = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def add(amounts: Contribution) -> None:
    """Add `amounts` to the rollup rows, creating missing rows and deleting rows whose counters
    all came back to zero (so the rows are exactly those a rebuild makes)."""
    qn = connection.ops.quote_name
    for name, rows in sorted(_rows(amounts).items()):
        table = TABLES[name]
        db_table = table.model._meta.db_table
        columns = table.key + table.counters
        per_row = "(" + ", ".join(["%s"] * len(columns)) + ")"
        updates = ", ".join(
            f"{qn(c)} = {qn(db_table)}.{qn(c)} + EXCLUDED.{qn(c)}" for c in table.counters
        )
        size = max(1, (connection.features.max_query_params or 2000) // len(columns))
        keys = sorted(rows)
        with connection.cursor() as cursor:
            for batch in _batches(keys, size):
                values = []
                for key in batch:
                    values.extend(_db_value(v) for v in key)
                    values.extend(rows[key].get(c, 0) for c in table.counters)
                cursor.execute(
                    f"INSERT INTO {qn(db_table)} ({', '.join(qn(c) for c in columns)}) "
                    f"VALUES {', '.join([per_row] * len(batch))} "
                    f"ON CONFLICT ({', '.join(qn(c) for c in table.key)}) DO UPDATE SET {updates}",
                    values,
                )
        shrunk = [key for key in keys if any(amount < 0 for amount in rows[key].values())]
        if shrunk:
            emptied = Q(pk__in=[])
            for key in shrunk:
                emptied |= Q(**dict(zip(table.key, key, strict=True)))
            table.model.objects.filter(emptied).filter(**dict.fromkeys(table.counters, 0)).delete()


def _db_value(value):
    if isinstance(value, date):
        return connection.ops.adapt_datefield_value(value)
    return value


# A case's history and what it contributes


class Step(NamedTuple):
    """What the rollups need of one CaseEvent."""

    version: int
    action: str
    at: datetime
    from_level: int | None
    to_level: int
    to_status: str
    actor_id: int | None
    data: dict


STEP_FIELDS = ("version", "action", "at", "from_level", "to_level", "to_status", "actor_id", "data")


@dataclass(frozen=True)
class Facts:
    """What never changes about a case: its category, its grid, the chain of areas above the
    grid (district first), and the day each of its dispatches was sent (by dispatch id)."""

    category_id: int
    grid_id: int
    chain: tuple[int, ...]
    dispatch_days: dict[int, date] = field(default_factory=dict)

    @classmethod
    def of(cls, category_id: int, grid_id: int, grid_path: str, dispatch_days=None) -> "Facts":
        chain = tuple(int(p) for p in grid_path.strip("/").split("/"))
        return cls(category_id, grid_id, chain, dispatch_days or {})


def contribution(facts: Facts, steps: Iterable[Step]) -> Contribution:
    """What a case with this history adds to the rollups (docs/metrics.md defines each
    counter). Pure: the same history always gives the same contribution."""
    steps = list(steps)
    if not steps or steps[0].action != "report":
        return {}
    out: Contribution = defaultdict(int)
    report = steps[0]
    day = local_day(report.at)

    def area(counter: str, level: int, amount: int = 1) -> None:
        for area_id in facts.chain:
            out[("area", (day, area_id, facts.category_id, level), counter)] += amount

    def worker(user_id: int | None, counter: str) -> None:
        if user_id is not None:
            out[("worker", (day, user_id, facts.grid_id), counter)] += 1

    def department(day_: date, department_id: int, counter: str) -> None:
        out[("department", (day_, department_id, facts.category_id), counter)] += 1

    area("received", report.to_level)
    worker(report.actor_id, "reported")
    accepted_at_level = first_miss = first_urge = None
    reworked = overdue_flag = False
    closing: Step | None = None
    # Per dispatch id: whether it reported done, and whether it was flagged overdue.
    done: dict[int, bool] = {}
    flagged: set[int] = set()
    departments: dict[int, int] = {}
    for step in steps[1:]:
        action, level = step.action, step.from_level
        if action in ("accept", "self_resolve") and accepted_at_level is None:
            accepted_at_level = level
        if action in ESCALATIONS:
            area("escalated_out", level)
            area("escalated_in", step.to_level)
            if action == "auto_escalate":
                area("auto_escalated_out", level)
        if action in ESCALATIONS or action == "return_down":
            overdue_flag = False  # the new holder starts with a fresh deadline
        if action == "return_down":
            area("returned_down", level)
        if action in MISSED_DEADLINES:
            area("deadline_misses", level)
            first_miss = level if first_miss is None else first_miss
        if action == "mark_overdue":
            overdue_flag = True
        if action == "urge":
            area("urges", level)
            first_urge = level if first_urge is None else first_urge
        if action == "callback":
            area("callbacks", level)
            if step.data.get("satisfaction", 0) >= SATISFIED:
                area("satisfied", level)
        if action in REWORKS:
            reworked = True
        if action in CLOSINGS:
            closing = step
            if action == "self_resolve":
                worker(step.actor_id, "self_resolved")
        if action == "reopen":
            closing = None
        if action in ("verify_pass", "verify_fail"):
            worker(step.actor_id, "verified")
        if action == "dispatch":
            sent = local_day(step.at)
            for department_id in [step.data["lead"], *step.data.get("cooperating", [])]:
                department(sent, department_id, "dispatched")
            department(sent, step.data["lead"], "led")
        if action.startswith("dispatch_"):
            dispatch_id, department_id = step.data["dispatch"], step.data["department"]
            sent = facts.dispatch_days[dispatch_id]
            if action == "dispatch_sign":
                department(sent, department_id, "signed")
            elif action == "dispatch_refuse":
                department(sent, department_id, "refused")
            elif action == "dispatch_request_extension":
                department(sent, department_id, "extension_requests")
            elif action == "dispatch_overdue" and dispatch_id not in flagged:
                flagged.add(dispatch_id)
                department(sent, department_id, "overdue")
            elif action == "dispatch_close_with_case":
                # Closed with its case: scored only if its own deadline had passed by then
                # (flagged overdue, or recorded late); otherwise it is left out of the rates.
                if dispatch_id not in flagged and not step.data.get("late"):
                    department(sent, department_id, "closed_with_case")
            elif action == "dispatch_report_done":
                done[dispatch_id] = True
                department(sent, department_id, "done")
                if dispatch_id not in flagged:
                    department(sent, department_id, "done_on_time")
            departments[dispatch_id] = department_id
        if action in REWORKS:
            # A failed check or a reopening cancels the work reported done: each such dispatch
            # is reworked.
            for dispatch_id in [d for d, is_done in done.items() if is_done]:
                department(facts.dispatch_days[dispatch_id], departments[dispatch_id], "reworked")
                done[dispatch_id] = False

    last = steps[-1]
    status, level = last.to_status, last.to_level
    if accepted_at_level is not None:
        area("accepted", accepted_at_level)
    if status == S.REJECTED:
        area("rejected", level)
        worker(report.actor_id, "rejected")
    if status == S.CLOSED and closing is not None:
        closed_level = closing.to_level
        area("closed", closed_level)
        if first_miss is None:
            area("closed_on_time", closed_level)
        if reworked:
            area("reworked", closed_level)
        seconds = max(0, int((closing.at - report.at).total_seconds()))
        area("handling_seconds", closed_level, seconds)
        for area_id in facts.chain:
            key = (day, area_id, facts.category_id, handling_hours(seconds))
            out[("handling", key, "closed")] += 1
    if status == S.SUSPENDED:
        area("suspended", level)
    if status in OPEN_STATUSES:
        area("open", level)
        if overdue_flag:
            area("overdue_open", level)
    if first_miss is not None:
        area("overdue", first_miss)
    if first_urge is not None:
        area("urged", first_urge)
    return {key: amount for key, amount in out.items() if amount}


def difference(new: Contribution, old: Contribution) -> Contribution:
    keys = set(new) | set(old)
    changes = {key: new.get(key, 0) - old.get(key, 0) for key in keys}
    return {key: amount for key, amount in changes.items() if amount}


# Keeping the rollups current


def _dispatch_days(queryset) -> dict[int, dict[int, date]]:
    """Case id → dispatch id → the day it was sent, for the dispatches in `queryset`."""
    days: dict[int, dict[int, date]] = defaultdict(dict)
    for pk, case_id, sent in queryset.values_list("pk", "case_id", "dispatched_at"):
        days[case_id][pk] = local_day(sent)
    return days


def record(event: CaseEvent) -> None:
    """Have `event` (and any earlier step of its case not yet counted) counted in the rollups:
    called by cases/workflow.py in the transaction that records the step. It appends the case
    to the ledger, which the fold counts after the commit; inside a `deferred()` block the
    append waits for the end of the block."""
    record_cases([event.case_id])


def record_cases(case_ids) -> None:
    """record() for many cases at once (bulk writers, e.g. the sweeper's set-based batches):
    one INSERT into the ledger."""
    pending = _pending.get()
    if pending is not None:
        pending.update(case_ids)
        return
    _append(case_ids)


def _append(case_ids) -> None:
    ids = sorted(set(case_ids))
    if not ids:
        return
    RollupLedger.objects.bulk_create([RollupLedger(case_id=case_id) for case_id in ids])
    # Readers fold what is pending before they read (fold_if_pending). A reader in this
    # process (this very transaction, say) learns it from a flag; the others from the shared
    # cache, once the rows are committed and they can see them.
    global _appended_here
    _appended_here = True
    transaction.on_commit(_mark_pending)


def _mark_pending() -> None:
    try:
        cache.set(PENDING_KEY, 1, timeout=None)
    except Exception as error:
        # The step stands; the periodic fold counts it within seconds.
        log.warning("rollups: shared cache unreachable (%s); the periodic fold counts it", error)


# The cases whose steps a deferred() block will append at its end (None: append at once).
_pending: ContextVar[set[int] | None] = ContextVar("rollups_pending", default=None)


@contextmanager
def deferred() -> Iterator[None]:
    """Append the cases whose steps are recorded inside this block at its end, in one INSERT,
    in the caller's transaction (the sweeper's batches). If the block fails nothing is
    appended (its transaction is rolled back); a step whose savepoint was rolled back is
    simply found counted already, or not found. Nested blocks append at the end of the
    outermost one."""
    if _pending.get() is not None:
        yield
        return
    pending: set[int] = set()
    token = _pending.set(pending)
    try:
        yield
    finally:
        _pending.reset(token)
    _append(pending)


# Set (in the shared cache) while the ledger may hold rows; cleared by the fold that takes them.
PENDING_KEY = "rollups:pending"
# This process appended rows since its last fold_if_pending.
_appended_here = False
FOLD_BATCH = 5000


def fold(*, limit: int = FOLD_BATCH) -> int:
    """Count the cases of up to `limit` ledger rows in the rollups, in one transaction: the
    rows are taken off the ledger (FOR UPDATE SKIP LOCKED, so two folds never take the same
    ones) and their cases counted (_count: one write per table, idempotent). Returns how many
    rows were taken. The periodic task (cases.tasks.fold_rollups) runs it every few seconds;
    filing and the steps never wait on a rollup row's lock."""
    qn = connection.ops.quote_name
    table = qn(RollupLedger._meta.db_table)
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"DELETE FROM {table} WHERE id IN (SELECT id FROM {table} ORDER BY id LIMIT %s"
                " FOR UPDATE SKIP LOCKED) RETURNING case_id",
                [limit],
            )
            taken = [row[0] for row in cursor.fetchall()]
        else:  # SQLite: the transaction holds the database's write lock
            cursor.execute(f"SELECT id, case_id FROM {table} ORDER BY id LIMIT %s", [limit])
            rows = cursor.fetchall()
            if rows:
                cursor.execute(f"DELETE FROM {table} WHERE id <= %s", [rows[-1][0]])
            taken = [case_id for _id, case_id in rows]
        _count(dict.fromkeys(taken))
    return len(taken)


def fold_all() -> int:
    """Fold until the ledger is empty (what was appended meanwhile too); returns the rows."""
    total = 0
    while done := fold():
        total += done
        if done < FOLD_BATCH:
            break
    return total


def fold_if_pending() -> None:
    """Before the rollups are read: fold what the ledger holds, if anything, so a dashboard
    shows every committed step (and, in the reader's own transaction, its own). One cache
    read when nothing is pending."""
    global _appended_here
    try:
        if not (_appended_here or cache.get(PENDING_KEY)):
            return
        # Cleared first: a step appended while this fold runs marks it again.
        _appended_here = False
        cache.delete(PENDING_KEY)
    except Exception as error:
        log.warning("rollups: shared cache unreachable (%s); folding anyway", error)
    fold_all()


def _count(upto: dict[int, int | None]) -> None:
    """Count the steps of these cases not counted yet, up to the given version (None: every
    step recorded), in one write per table. Each case's CaseRollupState row is locked first,
    in case order, so a case is never counted twice by two transactions."""
    ids = sorted(upto)
    if not ids:
        return
    counted = dict(
        CaseRollupState.objects.select_for_update()
        .filter(case_id__in=ids)
        .order_by("case_id")
        .values_list("case_id", "version")
    )
    histories: dict[int, list[Step]] = defaultdict(list)
    events = CaseEvent.objects.filter(case_id__in=ids).order_by("case_id", "version")
    for case_id, *step in events.values_list("case_id", *STEP_FIELDS):
        if upto[case_id] is None or step[0] <= upto[case_id]:
            histories[case_id].append(Step(*step))
    behind = [
        case_id
        for case_id in ids
        if histories[case_id] and histories[case_id][-1].version > counted.get(case_id, 0)
    ]
    if not behind:
        return
    cases = Case.objects.filter(pk__in=behind).values_list(
        "pk", "category_id", "grid_id", "grid__path"
    )
    with_dispatches = [
        case_id
        for case_id in behind
        if any(step.action.startswith("dispatch_") for step in histories[case_id])
    ]
    days = _dispatch_days(Dispatch.objects.filter(case_id__in=with_dispatches))
    total: Contribution = defaultdict(int)
    for case_id, category_id, grid_id, grid_path in cases:
        facts = Facts.of(category_id, grid_id, grid_path, days.get(case_id))
        steps = histories[case_id]
        old = [step for step in steps if step.version <= counted.get(case_id, 0)]
        for key, amount in difference(contribution(facts, steps), contribution(facts, old)).items():
            total[key] += amount
    add(total)
    # A case counted for the first time gets its row by a plain INSERT: should another
    # transaction have counted it meanwhile, the unique key fails this one rather than let
    # both count it.
    CaseRollupState.objects.bulk_create(
        CaseRollupState(case_id=case_id, version=histories[case_id][-1].version)
        for case_id in behind
        if case_id not in counted
    )
    CaseRollupState.objects.bulk_update(
        [
            CaseRollupState(case_id=case_id, version=histories[case_id][-1].version)
            for case_id in behind
            if case_id in counted
        ],
        ["version"],
    )


def _lock_out_steps() -> None:
    # While the rollups are rebuilt, a step's record() must wait (it would count against rows
    # about to be replaced): it locks its CaseRollupState row first, which this lock forbids
    # until the rebuild commits. SQLite: the rebuild's transaction holds the write lock anyway.
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(CaseRollupState._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")


@transaction.atomic
def rebuild(*, batch: int = 10_000, progress=None) -> int:
    """Empty the rollups and recompute them from every case's history, in one transaction
    (`progress(n)` is told each time `batch` more cases are counted). Returns the number of
    cases counted. Case steps taken meanwhile wait for it to finish; the dashboards read the
    old rows until it commits.

    The histories are read in one pass in the order the cases were reported, so a day's rows
    (the day a case was reported is in every key but the departments') are complete once a
    later day's cases come: they are written then, by COPY on PostgreSQL, and memory holds a
    few days at a time. A case whose report event lies on an earlier day than its reported_at
    (only possible for rows written outside the workflow) adds to rows already written, with
    add(), at the end. The departments' rows, keyed by the day of each dispatch, are written
    at the end too: there are few of them."""
    _lock_out_steps()
    # The ledger's cases are counted by the rebuild (steps appended later stay on it).
    models_emptied = (AreaRollup, HandlingRollup, DepartmentRollup, WorkerRollup, CaseRollupState)
    for model in (*models_emptied, RollupLedger):
        model.objects.all().delete()
    counted = 0
    written_before: date = date.min  # every day before this one has its rows written
    pending: dict[str, dict[tuple, dict[str, int]]] = {name: {} for name in TABLES}
    late: Contribution = defaultdict(int)
    shared: dict[tuple[int, int], Facts] = {}
    for chunk in _batches(_histories(), batch):
        with_dispatches = [
            case_id
            for case_id, *_facts, steps in chunk
            if any(step.action.startswith("dispatch_") for step in steps)
        ]
        days = _dispatch_days(Dispatch.objects.filter(case_id__in=with_dispatches))
        for case_id, category_id, grid_id, grid_path, _reported, steps in chunk:
            if case_id in days:
                facts = Facts.of(category_id, grid_id, grid_path, days[case_id])
            else:  # the same for every case of this category and grid
                facts = shared.get((category_id, grid_id))
                if facts is None:
                    facts = shared[(category_id, grid_id)] = Facts.of(
                        category_id, grid_id, grid_path
                    )
            for (name, key, counter), amount in contribution(facts, steps).items():
                if name != DEPARTMENT.name and key[0] < written_before:
                    late[(name, key, counter)] += amount
                    continue
                counters = pending[name].setdefault(key, {})
                counters[counter] = counters.get(counter, 0) + amount
        # Cases come in the order they were reported: no later one is reported before this day.
        written_before = local_day(chunk[-1][4])
        for name in (AREA.name, HANDLING.name, WORKER.name):
            done = {key: row for key, row in pending[name].items() if key[0] < written_before}
            _insert_rows(TABLES[name], done)
            for key in done:
                del pending[name][key]
        _insert(
            CaseRollupState._meta.db_table,
            ("case_id", "version"),
            [(case_id, steps[-1].version) for case_id, *_facts, steps in chunk if steps],
        )
        counted += len(chunk)
        if progress is not None:
            progress(len(chunk))
    for name, rows in pending.items():
        _insert_rows(TABLES[name], rows)
    add(late)
    if connection.vendor == "postgresql":
        # Every row was replaced: let the dashboards' queries be planned on the new figures at
        # once rather than after autovacuum's next look (if it is on at all).
        qn = connection.ops.quote_name
        tables = ", ".join(qn(t.model._meta.db_table) for t in TABLES.values())
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {tables}, {qn(CaseRollupState._meta.db_table)}")
    return counted


def _histories() -> Iterator[tuple[int, int, int, str, datetime, list[Step]]]:
    """Every case as (id, category id, grid id, grid path, reported at, steps), in the order
    the cases were reported, streamed from one query."""
    qn = connection.ops.quote_name
    cases, areas, events = (qn(model._meta.db_table) for model in (Case, Area, CaseEvent))
    sql = (
        "SELECT c.id, c.category_id, c.grid_id, g.path, c.reported_at, e.version, e.action,"
        " e.at, e.from_level, e.to_level, e.to_status, e.actor_id, e.data"
        f" FROM {cases} c JOIN {areas} g ON g.id = c.grid_id"
        f" LEFT JOIN {events} e ON e.case_id = c.id ORDER BY c.reported_at, c.id, e.version"
    )
    case = None
    with connection.chunked_cursor() as cursor:
        if connection.vendor == "postgresql":
            # psycopg's own loader, in C, rather than the one Django registers for its time
            # zone, in Python, which would take longer than the rest of the reading.
            from psycopg.types.datetime import TimestamptzLoader

            cursor.cursor.adapters.register_loader("timestamptz", TimestamptzLoader)
        cursor.execute(sql)
        while rows := cursor.fetchmany(5000):
            for case_id, category_id, grid_id, path, reported, version, action, at, *rest in rows:
                if case is None or case[0] != case_id:
                    if case is not None:
                        yield case
                    case = (case_id, category_id, grid_id, path, _aware(reported), [])
                if version is not None:
                    *levels_status_actor, data = rest
                    # Most steps carry no data: skip the parser for those.
                    data = {} if data == "{}" else json.loads(data)
                    case[5].append(Step(version, action, _aware(at), *levels_status_actor, data))
    if case is not None:
        yield case


def _aware(moment: datetime) -> datetime:
    # SQLite keeps UTC without saying so.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _insert_rows(table: Table, rows: dict[tuple, dict[str, int]]) -> None:
    """Insert rollup rows whose keys are not in the table yet."""
    position = {counter: n for n, counter in enumerate(table.counters, start=len(table.key))}
    values = []
    for key, row in rows.items():
        value = [*key, *[0] * len(table.counters)]
        for counter, amount in row.items():
            value[position[counter]] = amount
        values.append(value)
    _insert(table.model._meta.db_table, table.key + table.counters, values)


def _insert(db_table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Insert `rows` into a table: COPY on PostgreSQL, executemany elsewhere."""
    if not rows:
        return
    qn = connection.ops.quote_name
    names = ", ".join(qn(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.copy(f"COPY {qn(db_table)} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            cursor.executemany(
                f"INSERT INTO {qn(db_table)} ({names}) VALUES ({', '.join(['%s'] * len(columns))})",
                [[_db_value(v) for v in row] for row in rows],
            )
