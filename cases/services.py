"""Use cases of the case workflow: filing, each person's step, the dispatch flow, and the
system's own steps (deadline escalation, overdue marking). Each checks the policy, computes
deadlines, and moves the case through cases/workflow.py in one transaction.

Callers pass the case as they read it (its `version` is what compare-and-set checks) or, for
tasks, an id; errors are ValidationError (bad input, per field), PermissionDenied,
InvalidTransition, ConcurrentCaseUpdate and CooperatingDispatchesOpen. Each person's step checks
the policy and the status first (policies.check_case_step / check_dispatch_step: 403 or 409,
a lost race always 409) and only then the input (400).
"""

import math
import uuid
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from cases import limits, policies, routing, workflow
from cases.calendar import WorkCalendar, deadline
from cases.exceptions import ConcurrentCaseUpdate, CooperatingDispatchesOpen, InvalidTransition
from cases.models import (
    CalendarDay,
    Callback,
    Case,
    CaseEvent,
    Category,
    Dispatch,
    RoutingRule,
    Supervision,
    Urgency,
)
from cases.photos import check_photo, store_photo
from grid import geo
from grid.jurisdiction import covers
from grid.memo import Memo
from grid.models import Area, Department

Level = Area.Level
S = Case.Status
DUPLICATE_RADIUS_M = 50
DUPLICATE_WINDOW = timedelta(hours=72)
# The most recent candidates in the box looked at, and the nearest of them kept: a flood of
# reports at one spot (a burst pipe) must not make each new one read them all.
DUPLICATE_SCAN = 200
DUPLICATE_LIMIT = 20
REOPEN_WINDOW = timedelta(days=15)


# Deadlines


def _load_rules() -> dict[int, list[routing.Rule]]:
    by_category = defaultdict(list)
    rules = RoutingRule.objects.filter(is_active=True).select_related("area")
    for r in rules:
        by_category[r.category_id].append(
            routing.Rule(
                category_id=r.category_id,
                urgency=r.urgency,
                area_path=r.area.path if r.area_id else "",
                start_level=r.start_level,
                notify_all_levels=r.notify_all_levels,
                time_factor=r.time_factor,
            )
        )
    return dict(by_category)


# Read on every filing and every step with a deadline; edited a few times a year
# (grid/memo.py). A rule names its area by path, so an area's edit reloads them too.
RULES = Memo("routing-rules", _load_rules, models=(RoutingRule, Area))
CALENDAR = Memo("work-calendar", WorkCalendar.load, models=(CalendarDay,))


def _rules_for(category: Category) -> list[routing.Rule]:
    return RULES.get().get(category.pk, [])


def _calendar() -> WorkCalendar:
    return CALENDAR.get()


def decide_route(category: Category, urgency: str, grid: Area) -> routing.RoutingDecision:
    return routing.route(
        category_id=category.pk,
        category_start_level=category.start_level,
        urgency=urgency,
        grid_path=grid.path,
        rules=_rules_for(category),
    )


def stage_deadline(case: Case, stage: str, *, level: int, start: datetime) -> datetime:
    """When the `stage` ("accept" or "handle") of `case` at `level` is due, from `start`."""
    decision = decide_route(case.category, case.urgency, case.grid)
    hours = routing.stage_hours(case.category.time_limits, level, stage, decision.time_factor)
    return deadline(start, hours, calendar=_calendar(), natural=decision.natural_clock)


def _holder_id(case: Case, level: int) -> int:
    return routing.holder_at(level, case.grid.path)


# Filing


def case_number(now: datetime, district_code: str, sequence: int) -> str:
    """Year + district code + sequence; the sequence is the row id, so no counter is locked."""
    return f"{timezone.localtime(now):%Y}{district_code}{sequence:08d}"


def report_case(
    *,
    reporter,
    category: Category,
    title: str,
    description: str = "",
    urgency: str = "normal",
    source: str = Case.Source.PATROL,
    lng: float | None = None,
    lat: float | None = None,
    grid: Area | None = None,
    address: str = "",
    client_id: uuid.UUID | None = None,
    photos=(),
    buildings=(),
    households=(),
    persons=(),
    now: datetime | None = None,
    external: bool = False,
    hotline_number: str = "",
    hotline_due_at: datetime | None = None,
) -> tuple[Case, bool]:
    """File a case. Returns (case, created): a client id seen before returns the first case and
    False, so a phone retrying an upload never makes a second case. A 12345 work order's number
    (`hotline_number`, with the hotline's deadline `hotline_due_at`) is such a key too.

    The grid is the one containing the GPS point, or the chosen one (a point given with it
    must lie in it: _grid_of_report); routing puts the case at its start level with the accept
    deadline of that level. The returned case holds what was written (its photos in
    `filed_photos`): the caller answers from it without reading it back.

    A filing is a handful of statements (tests/cases/test_filing_speed.py counts them): the
    rules, the calendar, the categories and the grids come from memory (RULES, CALENDAR,
    CATEGORIES, geo.SHAPES), the rollups count it later (rollups.record), and the worker's
    next round routes and notifies it with the others filed meanwhile (cases.tasks.route_new).

    `external`: the report comes from another system through a door of its own (an Open311 app,
    the hotline) that has checked the client's key. Its reporter is the client's user, who holds
    no post: it files in whichever grid of the district the location lies in, without the
    policy's can_file (which is about people's posts).
    """
    existing = _filed_before(client_id, hotline_number)
    if existing is not None:
        return existing, False
    try:
        return _file(
            reporter=reporter,
            category=category,
            title=title,
            description=description,
            urgency=urgency,
            source=source,
            lng=lng,
            lat=lat,
            grid=grid,
            address=address,
            client_id=client_id,
            photos=photos,
            relations={"buildings": buildings, "households": households, "persons": persons},
            now=now or timezone.now(),
            external=external,
            hotline_number=hotline_number,
            hotline_due_at=hotline_due_at,
        ), True
    except IntegrityError:
        # Two retries of one report raced past the lookup above: the first one wins.
        existing = _filed_before(client_id, hotline_number)
        if existing is None:
            raise
        return existing, False


def _filed_before(client_id: uuid.UUID | None, hotline_number: str) -> Case | None:
    """The case a retry of a report names by its client id or work-order number, if any."""
    if client_id is not None:
        existing = Case.objects.filter(client_id=client_id).first()
        if existing is not None:
            return existing
    if hotline_number:
        return Case.objects.filter(hotline_number=hotline_number).first()
    return None


@transaction.atomic
def _file(
    *, reporter, category, grid, lng, lat, photos, relations, now, external, **fields
) -> Case:
    errors = limits.length_errors(
        title=fields["title"], description=fields["description"], address=fields["address"]
    )
    if not (fields["title"] or "").strip():
        errors["title"] = [_("Give the case a title.")]
    if fields["urgency"] not in Urgency.values:
        errors["urgency"] = [_("Unknown urgency.")]
    if fields["source"] not in Case.Source.values:
        errors["source"] = [_("Unknown source.")]
    if not category.is_active or category.parent_id is None:
        errors["category"] = [_("Choose an active subcategory.")]
    grid, location_errors = _grid_of_report(reporter, grid, lng, lat, external=external)
    errors.update(location_errors)
    if errors:
        raise ValidationError(errors)
    _check_photos(photos)
    if not external:
        policies.require(policies.can_file(reporter, grid))

    decision = decide_route(category, fields["urgency"], grid)
    case = Case(
        **fields,
        category=category,
        lng=lng,
        lat=lat,
        grid=grid,
        level=decision.start_level,
        holder=geo.area_by_id(routing.holder_at(decision.start_level, grid.path)),
        status=S.REPORTED,
        reporter=reporter,
        reported_at=now,
    )
    case.due_at = stage_deadline(case, "accept", level=case.level, start=now)
    # The number holds the row id: taken from the sequence first, the row is written once.
    case.pk = _next_case_id()
    case.number = case_number(now, grid.code[:6], case.pk) if case.pk else _placeholder()
    case.save(force_insert=True)
    if not case.number.isdecimal():  # no sequence to draw from (SQLite): number the row now
        case.number = case_number(now, grid.code[:6], case.pk)
        Case.objects.filter(pk=case.pk).update(number=case.number)
    for name, rows in relations.items():
        if rows:  # no statement at all for the usual report that links nothing
            link = getattr(Case, name).through
            column = getattr(Case, name).field.m2m_reverse_field_name()
            link.objects.bulk_create(
                link(case_id=case.pk, **{f"{column}_id": row.pk}) for row in dict.fromkeys(rows)
            )
    event = workflow.record_report(
        case,
        actor=reporter,
        now=now,
        data={"notify_all_levels": decision.notify_all_levels, "start_level": decision.start_level},
    )
    case.filed_photos = _attach(case, event, photos, reporter)
    # No message: the worker's next round (cases.tasks.route_new, every second) routes and
    # notifies every case filed meanwhile, as a set.
    return case


def _next_case_id() -> int | None:
    """The next id of cases_case from its sequence (PostgreSQL), or None where there is none."""
    if connection.vendor != "postgresql":
        return None
    table = Case._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id'))", [table])
        return cursor.fetchone()[0]


def _placeholder() -> str:
    # Unique, and fits the field (32 characters), until the row has its id.
    return f"new-{uuid.uuid4().hex[:28]}"


def _grid_of_report(
    reporter, grid: Area | None, lng, lat, *, external: bool = False
) -> tuple[Area | None, dict]:
    """The grid a report is filed in, and the errors of its location, per field.

    A point given with a chosen grid must lie in that grid, or within the edge tolerance of its
    boundary (grid/geo.py), else the location is refused saying where the point is. A point
    alone files in the grid it lies in, preferring one the reporter may file in where it lies
    on the edge of two; a point in a grid outside the reporter's area is refused on the
    location too (a 400 that says so, not the 403 of a step on someone else's case). The grid
    the point lies in is always named: grid names and boundaries are shared with everyone
    (普遍共享), and the worker needs to know whose grid it is to hand the report on. An
    `external` report (report_case) takes the first grid the point lies in.
    """
    if grid is None and (lng is None or lat is None):
        return None, {"grid": [_("Give the GPS location or choose a grid.")]}
    if grid is not None and grid.level != Level.GRID:
        return None, {"grid": [_("Choose a grid, not a larger area.")]}
    if lng is None or lat is None:
        return grid, {}
    if grid is not None:
        if geo.lies_in(grid, lng, lat):
            return grid, {}
        found = geo.grids_at(lng, lat)
        if not found:
            message = _("The location lies outside {grid} and every other grid of the district.")
        else:
            message = _("The location lies in {found}, not in {grid}.")
        found_name = found[0].name if found else ""
        return None, {"lng": [message.format(grid=grid.name, found=found_name)]}
    found = geo.grids_at(lng, lat)
    if not found:
        return None, {"lng": [_("The location lies outside every grid of the district.")]}
    for candidate in found:
        if external or policies.can_file(reporter, candidate):
            return candidate, {}
    if covers(reporter, found[0]):
        # The reporter sees the grid but may file nowhere (a supervisor): the policy's 403.
        return found[0], {}
    message = _("The location lies in {found}, outside your area.")
    return None, {"lng": [message.format(found=found[0].name)]}


def _attach(case: Case, event: CaseEvent, photos, user) -> list:
    return [store_photo(case=case, event=event, upload=upload, user=user) for upload in photos]


def _check_photos(photos, *, required: bool = False, message: str = "") -> None:
    """Refuse bad photos before anything is written, so a failed step leaves no trace."""
    if required and not photos:
        raise ValidationError({"photos": [message]})
    for upload in photos:
        check_photo(upload)


def possible_duplicates(case: Case) -> list[int]:
    """Ids of open cases of the same category within 50 m and 72 h before this one, nearest
    first (at most DUPLICATE_LIMIT).

    One query, bounded in SQL: the category and the time window (served by case_category_idx),
    the bounding box of the radius, a limit; then the exact distance of those few rows."""
    if case.lng is None or case.lat is None:
        return []
    # A degree of latitude is ~111 km; longitude shrinks with the cosine of the latitude.
    dlat = DUPLICATE_RADIUS_M / 111_000
    dlng = DUPLICATE_RADIUS_M / (111_000 * max(math.cos(math.radians(case.lat)), 0.01))
    candidates = (
        Case.objects.filter(
            category_id=case.category_id,
            reported_at__gte=case.reported_at - DUPLICATE_WINDOW,
            reported_at__lte=case.reported_at,
            lng__range=(case.lng - dlng, case.lng + dlng),
            lat__range=(case.lat - dlat, case.lat + dlat),
        )
        .exclude(pk=case.pk)
        .exclude(status__in=[S.CLOSED, S.REJECTED])
        .order_by("-reported_at")
        .values_list("pk", "lng", "lat")[:DUPLICATE_SCAN]
    )
    near = sorted(
        (distance, pk)
        for pk, lng, lat in candidates
        if (distance := _metres(case.lng, case.lat, lng, lat)) <= DUPLICATE_RADIUS_M
    )
    return [pk for _distance, pk in near[:DUPLICATE_LIMIT]]


def _metres(lng_a: float, lat_a: float, lng_b: float, lat_b: float) -> float:
    dy = (lat_a - lat_b) * 111_000
    dx = (lng_a - lng_b) * 111_000 * math.cos(math.radians((lat_a + lat_b) / 2))
    return math.hypot(dx, dy)


@transaction.atomic
def route_filed_case(case_id: int) -> bool:
    """The work after filing (safe to run twice): look for possible duplicates and mark the
    case routed. Returns False if it had already been done."""
    table = connection.ops.quote_name(Case._meta.db_table)
    with connection.cursor() as cursor:
        # Marked and read in one statement (RETURNING: PostgreSQL, and SQLite since 3.35).
        cursor.execute(
            f"UPDATE {table} SET routed_at = %s WHERE id = %s AND routed_at IS NULL"
            " RETURNING category_id, lng, lat, reported_at",
            [connection.ops.adapt_datetimefield_value(timezone.now()), case_id],
        )
        row = cursor.fetchone()
    if row is None:
        return False
    category_id, lng, lat, reported_at = row
    if reported_at.tzinfo is None:  # SQLite keeps UTC without saying so
        reported_at = reported_at.replace(tzinfo=UTC)
    case = Case(pk=case_id, category_id=category_id, lng=lng, lat=lat, reported_at=reported_at)
    _note_duplicates(case)
    return True


def _note_duplicates(case: Case) -> None:
    """Add the possible duplicates of `case` (with its location) to its report event."""
    duplicates = possible_duplicates(case)
    if duplicates:
        report = CaseEvent.objects.get(case_id=case.pk, action="report")
        # The report event is written once and only extended here, by this one-time step.
        report.data = {**report.data, "possible_duplicates": duplicates}
        CaseEvent.objects.filter(pk=report.pk).update(data=report.data)


@transaction.atomic
def route_filed_cases(*, limit: int) -> list[int]:
    """The work after filing for up to `limit` cases not yet routed, as a set: take them
    (FOR UPDATE SKIP LOCKED, so two workers never take the same), mark them routed in one
    UPDATE, and look for possible duplicates of those with a location (one bounded query
    each). Returns their ids; their reports' notifications are the caller's next step."""
    unrouted = Case.objects.filter(routed_at__isnull=True).order_by("pk")
    if connection.features.has_select_for_update_skip_locked:
        unrouted = unrouted.select_for_update(skip_locked=True)
    ids = list(unrouted.values_list("pk", flat=True)[:limit])
    if not ids:
        return []
    Case.objects.filter(pk__in=ids).update(routed_at=timezone.now())
    located = Case.objects.filter(pk__in=ids, lng__isnull=False, lat__isnull=False)
    for case in located.only("category_id", "lng", "lat", "reported_at"):
        _note_duplicates(case)
    return ids


# People's steps


def _may(actor, case: Case, step: str) -> None:
    """The policy and the status, before any input is read (policies.check_case_step)."""
    policies.check_case_step(actor, case, step)


def required_reason(reason: str) -> str:
    """The reason a step needs, stripped; a 400 on `reason` when there is none or it is too long
    (the hotline's answers use it too)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Give a reason.")]})
    limits.check_lengths(reason=reason)
    return reason


@transaction.atomic
def accept_case(case: Case, *, actor, now: datetime | None = None) -> CaseEvent:
    _may(actor, case, "accept")
    now = now or timezone.now()
    due = stage_deadline(case, "handle", level=case.level, start=now)
    return workflow.apply(case, "accept", actor=actor, now=now, due_at=due)


@transaction.atomic
def reject_case(case: Case, *, actor, reason: str, duplicate_of: Case | None = None) -> CaseEvent:
    """Close a report as not registered (不予立案): invalid, or a duplicate of `duplicate_of`."""
    _may(actor, case, "reject")
    reason = required_reason(reason)
    if duplicate_of is not None and duplicate_of.pk == case.pk:
        raise ValidationError({"duplicate_of": [_("A case cannot duplicate itself.")]})
    extra = {"duplicate_of": duplicate_of} if duplicate_of else {}
    return workflow.apply(
        case,
        "reject",
        actor=actor,
        reason=reason,
        due_at=None,
        data={"duplicate_of": duplicate_of.pk} if duplicate_of else {},
        **extra,
    )


@transaction.atomic
def self_resolve_case(case: Case, *, actor, result: str, photos=()) -> CaseEvent:
    _may(actor, case, "self_resolve")
    limits.check_lengths(result=result)
    _check_photos(photos, required=True, message=_("Attach a photo of the result."))
    event = workflow.apply(
        case,
        "self_resolve",
        actor=actor,
        reason=result,
        due_at=None,
        resolution=result,
        resolved_at=timezone.now(),
    )
    _attach(case, event, photos, actor)
    return event


@transaction.atomic
def escalate_case(case: Case, *, actor, reason: str, now: datetime | None = None) -> CaseEvent:
    """Hand the case one level up (上报), where it waits to be accepted."""
    _may(actor, case, "escalate")
    reason = required_reason(reason)
    return _move(
        case, "escalate", routing.next_level_up(case.level), actor=actor, reason=reason, now=now
    )


@transaction.atomic
def return_case(
    case: Case, *, actor, reason: str, to_level: int | None = None, now: datetime | None = None
) -> CaseEvent:
    """Send the case down (退回/下派), one level or to `to_level`, no lower than its grid."""
    _may(actor, case, "return_down")
    reason = required_reason(reason)
    target = to_level or case.level + 1
    if not case.level < target <= Level.GRID:
        raise ValidationError({"to_level": [_("Choose a level below the current one.")]})
    return _move(case, "return_down", target, actor=actor, reason=reason, now=now)


def _move(
    case: Case, action: str, level: int | None, *, actor, reason: str, now: datetime | None
) -> CaseEvent:
    if level is None:
        raise InvalidTransition(action, case.status, [])
    now = now or timezone.now()
    due = stage_deadline(case, "accept", level=level, start=now)
    counters = {"escalation_count": F("escalation_count") + 1} if action != "return_down" else {}
    return workflow.apply(
        case,
        action,
        actor=actor,
        now=now,
        reason=reason,
        level=level,
        holder_id=_holder_id(case, level),
        due_at=due,
        is_overdue=False,
        **counters,
    )


@transaction.atomic
def resolve_case(case: Case, *, actor, result: str, photos=()) -> CaseEvent:
    """The holder handled the case itself (处置完成); it waits for on-site verification. A
    dispatched case resolves when its lead department reports done, not by this step."""
    _may(actor, case, "resolve")
    if not (result or "").strip():
        raise ValidationError({"result": [_("Describe what was done.")]})
    limits.check_lengths(result=result)
    _check_photos(photos)
    event = workflow.apply(
        case, "resolve", actor=actor, reason=result, due_at=None, resolution=result
    )
    _attach(case, event, photos, actor)
    return event


@transaction.atomic
def verify_case(case: Case, *, actor, passed: bool, note: str = "", photos=()) -> CaseEvent:
    """On-site verification (核查) by a grid worker of the case's grid, with a photo: a pass
    closes the case, a fail sends it back to its holder for rework (返工)."""
    _may(actor, case, "verify")
    limits.check_lengths(note=note)
    _check_photos(photos, required=True, message=_("Attach a photo taken on site."))
    if passed:
        event = workflow.apply(case, "verify_pass", actor=actor, reason=note, due_at=None)
    else:
        note = required_reason(note)
        now = timezone.now()
        due = stage_deadline(case, "handle", level=case.level, start=now)
        event = workflow.apply(
            case,
            "verify_fail",
            actor=actor,
            now=now,
            reason=note,
            due_at=due,
            rework_count=F("rework_count") + 1,
            resolved_at=None,
        )
        _cancel_dispatches(case, [Dispatch.Status.DONE])
    _attach(case, event, photos, actor)
    return event


@transaction.atomic
def suspend_case(case: Case, *, actor, reason: str, now: datetime | None = None) -> CaseEvent:
    """Stop the clock (挂账) with a reason; the time left is kept for resume, the case's and
    that of each open dispatch, so no department runs late while the case waits."""
    _may(actor, case, "suspend")
    reason = required_reason(reason)
    open_dispatches = _lock_open_dispatches(case.pk)  # before the case, as everywhere
    now = now or timezone.now()
    remaining = None
    if case.due_at is not None:
        remaining = _time_left(case, case.due_at, now)
    event = workflow.apply(
        case,
        "suspend",
        actor=actor,
        now=now,
        reason=reason,
        due_at=None,
        remaining_seconds=remaining,
    )
    for dispatch in open_dispatches:
        Dispatch.objects.filter(pk=dispatch.pk).update(
            remaining_seconds=_time_left(case, dispatch.due_at, now)
        )
    return event


def _natural_clock(case: Case) -> bool:
    """Whether the case's deadlines run on the natural clock (emergencies) or in working time:
    the time left at suspension is kept on the same clock."""
    return decide_route(case.category, case.urgency, case.grid).natural_clock


def _time_left(case: Case, due: datetime, now: datetime) -> int:
    """Seconds from `now` to `due` on the case's clock; 0 when it has passed."""
    if _natural_clock(case):
        return max(0, int((due - now).total_seconds()))
    return int(WorkCalendar.load().between(now, due))


def _restart_clock(case: Case, now: datetime, seconds: int) -> datetime:
    """The deadline `seconds` from `now` on the case's clock."""
    if _natural_clock(case):
        return now + timedelta(seconds=seconds)
    return WorkCalendar.load().add(now, seconds)


@transaction.atomic
def resume_case(case: Case, *, actor, now: datetime | None = None) -> CaseEvent:
    _may(actor, case, "resume")
    now = now or timezone.now()
    due = None
    if case.remaining_seconds is not None:
        due = _restart_clock(case, now, case.remaining_seconds)
    event = workflow.apply(case, "resume", actor=actor, now=now, due_at=due, remaining_seconds=None)
    paused = Dispatch.objects.filter(case=case, remaining_seconds__isnull=False)
    for dispatch in paused:
        Dispatch.objects.filter(pk=dispatch.pk).update(
            due_at=_restart_clock(case, now, dispatch.remaining_seconds), remaining_seconds=None
        )
    return event


@transaction.atomic
def urge_case(case: Case, *, actor, reason: str) -> CaseEvent:
    """A supervision notice (督办): recorded, counted and sent to the holder; no status change."""
    _may(actor, case, "urge")
    reason = required_reason(reason)
    event = workflow.apply(case, "urge", actor=actor, reason=reason, urge_count=F("urge_count") + 1)
    Supervision.objects.create(case=case, by=actor, reason=reason, level=case.level)
    return event


@transaction.atomic
def callback_case(
    case: Case, *, actor, satisfaction: int, comment: str = "", reopen_if_unsatisfied: bool = False
) -> CaseEvent:
    """Record a resident's rating (回访). An unsatisfied rating (1–2) within the reopen window
    may reopen the case (重办) when asked to."""
    _may(actor, case, "callback")
    if not isinstance(satisfaction, int) or not 1 <= satisfaction <= 5:
        raise ValidationError({"satisfaction": [_("Rate from 1 to 5.")]})
    limits.check_lengths(comment=comment)
    event = workflow.apply(
        case,
        "callback",
        actor=actor,
        reason=comment,
        satisfaction=satisfaction,
        data={"satisfaction": satisfaction},
    )
    Callback.objects.create(case=case, by=actor, satisfaction=satisfaction, comment=comment)
    if reopen_if_unsatisfied and satisfaction <= 2:
        reopen_case(case, actor=actor, reason=comment or _("The resident was not satisfied."))
    return event


@transaction.atomic
def reopen_case(case: Case, *, actor, reason: str) -> CaseEvent:
    _may(actor, case, "reopen")
    reason = required_reason(reason)
    if case.closed_at and timezone.now() - case.closed_at > REOPEN_WINDOW:
        raise ValidationError({"reason": [_("The case closed too long ago to reopen it.")]})
    now = timezone.now()
    due = stage_deadline(case, "handle", level=case.level, start=now)
    event = workflow.apply(
        case,
        "reopen",
        actor=actor,
        now=now,
        reason=reason,
        due_at=due,
        closed_at=None,
        closed_level=None,
        resolved_at=None,
        rework_count=F("rework_count") + 1,
    )
    # As after a failed verification, the work reported done is to be redone: the case may be
    # dispatched again, and only one lead dispatch may be active.
    _cancel_dispatches(case, [Dispatch.Status.DONE])
    return event


# Dispatch to departments


@transaction.atomic
def dispatch_case(
    case: Case,
    *,
    actor,
    lead: Department,
    cooperating=(),
    instructions: str = "",
    due_at: datetime | None = None,
    now: datetime | None = None,
) -> CaseEvent:
    """Send the case to one lead department and any cooperating ones (派遣), each with its own
    deadline; the case's own clock stops until the lead reports done."""
    _may(actor, case, "dispatch")
    limits.check_lengths(instructions=instructions)
    now = now or timezone.now()
    cooperating = [d for d in cooperating if d.pk != lead.pk]
    inactive = [d.name for d in [lead, *cooperating] if not d.is_active]
    if inactive:
        raise ValidationError(
            {"lead": [_("Inactive department: %(names)s") % {"names": ", ".join(inactive)}]}
        )
    if due_at is not None and due_at <= now:
        raise ValidationError({"due_at": [_("The deadline must be in the future.")]})
    due = due_at or WorkCalendar.load().add(now, routing.DEFAULT_DISPATCH_HOURS * 3600)
    event = workflow.apply(
        case,
        "dispatch",
        actor=actor,
        now=now,
        due_at=None,
        reason=instructions,
        data={"lead": lead.pk, "cooperating": [d.pk for d in cooperating]},
    )
    Dispatch.objects.bulk_create(
        [
            Dispatch(
                case=case,
                department=department,
                role=role,
                due_at=due,
                instructions=instructions,
                dispatched_by=actor,
                dispatched_at=now,
            )
            for department, role in [(lead, Dispatch.Role.LEAD)]
            + [(d, Dispatch.Role.COOPERATING) for d in cooperating]
        ]
    )
    return event


DISPATCH_MOVES: dict[str, dict[str, str]] = {
    "sign": {Dispatch.Status.PENDING: Dispatch.Status.SIGNED},
    "refuse": {Dispatch.Status.PENDING: Dispatch.Status.REFUSED},
    "request_extension": {
        Dispatch.Status.PENDING: Dispatch.Status.PENDING,
        Dispatch.Status.SIGNED: Dispatch.Status.SIGNED,
    },
    "approve_extension": {
        Dispatch.Status.PENDING: Dispatch.Status.PENDING,
        Dispatch.Status.SIGNED: Dispatch.Status.SIGNED,
    },
    "report_done": {Dispatch.Status.SIGNED: Dispatch.Status.DONE},
}


def dispatch_actions(status: str) -> list[str]:
    return [a for a, moves in DISPATCH_MOVES.items() if status in moves]


def _may_on_dispatch(actor, dispatch: Dispatch, step: str) -> None:
    """The policy and the status, before any input is read (policies.check_dispatch_step)."""
    policies.check_dispatch_step(actor, dispatch, step)


def _lock_open_dispatches(case_id: int) -> list[Dispatch]:
    """The case's open dispatches, locked in id order. Dispatch rows are always locked before
    their case's row (a step on a dispatch updates the dispatch, then records the step on the
    case; the sweeper locks a batch of due dispatches first): a step that changes several
    dispatches of a case takes them here first, so no two steps wait on each other in
    opposite orders."""
    return list(
        Dispatch.objects.select_for_update(of=("self",))
        .select_related("department")
        .filter(case_id=case_id, status__in=Dispatch.OPEN_STATUSES)
        .order_by("pk")
    )


def _dispatch_step(dispatch: Dispatch, action: str, actor, *, now=None, reason="", **fields):
    """Compare-and-set a dispatch's status and record the step as an event of its case. The
    caller has checked the policy and the status (_may_on_dispatch) on the dispatch as it read
    it; if the dispatch or its case moved on since, nothing is written (409)."""
    case = Case.objects.only("status").get(pk=dispatch.case_id)
    if case.status != S.DISPATCHED:
        raise InvalidTransition(action, case.status, [])
    moves = DISPATCH_MOVES[action]
    if dispatch.status not in moves:
        raise InvalidTransition(action, dispatch.status, dispatch_actions(dispatch.status))
    now = now or timezone.now()
    updated = Dispatch.objects.filter(
        pk=dispatch.pk, version=dispatch.version, status=dispatch.status
    ).update(status=moves[dispatch.status], version=F("version") + 1, **fields)
    if updated != 1:
        current = Dispatch.objects.filter(pk=dispatch.pk).values_list("version", flat=True).first()
        raise ConcurrentCaseUpdate(dispatch.version, current)
    dispatch.refresh_from_db()
    _record_dispatch_step(dispatch, action, actor, now, reason)
    return dispatch


def _record_dispatch_step(dispatch: Dispatch, action: str, actor, now, reason: str, **data) -> None:
    # A dispatch step leaves the case's status alone but belongs in its history, as the next
    # case version like any other step, so the history has no gaps.
    case = Case.objects.get(pk=dispatch.case_id)
    data = {
        "dispatch": dispatch.pk,
        "department": dispatch.department_id,
        "role": dispatch.role,
        **data,
    }
    workflow.apply(case, f"dispatch_{action}", actor=actor, now=now, reason=reason, data=data)


def _cancel_dispatches(case: Case, statuses) -> None:
    # A new version, so that a step on one of them read before cannot compare-and-set after.
    Dispatch.objects.filter(case=case, status__in=statuses).update(
        status=Dispatch.Status.CANCELLED, version=F("version") + 1
    )


@transaction.atomic
def sign_dispatch(dispatch: Dispatch, *, actor) -> Dispatch:
    _may_on_dispatch(actor, dispatch, "sign")
    return _dispatch_step(dispatch, "sign", actor, signed_at=timezone.now())


@transaction.atomic
def refuse_dispatch(dispatch: Dispatch, *, actor, reason: str) -> Dispatch:
    """A department refuses a wrong dispatch (退单) with a reason. A refused lead sends the
    case back to the dispatcher's queue to be dispatched again."""
    _may_on_dispatch(actor, dispatch, "refuse")
    reason = required_reason(reason)
    if dispatch.role == Dispatch.Role.LEAD:
        _lock_open_dispatches(dispatch.case_id)  # all of them are cancelled below
    dispatch = _dispatch_step(dispatch, "refuse", actor, reason=reason, refusal_reason=reason)
    if dispatch.role == Dispatch.Role.LEAD:
        case = Case.objects.get(pk=dispatch.case_id)
        _cancel_dispatches(case, Dispatch.OPEN_STATUSES)
        due = stage_deadline(case, "handle", level=case.level, start=timezone.now())
        workflow.apply(case, "lead_refused", actor=None, reason=reason, due_at=due)
    return dispatch


@transaction.atomic
def request_extension(dispatch: Dispatch, *, actor, until: datetime, reason: str) -> Dispatch:
    _may_on_dispatch(actor, dispatch, "request_extension")
    reason = required_reason(reason)
    if until <= dispatch.due_at:
        raise ValidationError({"until": [_("Ask for a date after the current deadline.")]})
    return _dispatch_step(
        dispatch,
        "request_extension",
        actor,
        reason=reason,
        extension_until=until,
        extension_reason=reason,
    )


@transaction.atomic
def approve_extension(dispatch: Dispatch, *, actor, approve: bool = True) -> Dispatch:
    """The dispatching level decides a requested extension. With none requested (or already
    decided by someone else) the step is not possible: a 409, like any step the state rules
    out."""
    _may_on_dispatch(actor, dispatch, "approve_extension")
    fields = {"extension_until": None}
    if approve:
        fields.update(due_at=dispatch.extension_until, is_overdue=False)
    return _dispatch_step(
        dispatch,
        "approve_extension",
        actor,
        reason="approved" if approve else "declined",
        **fields,
    )


@transaction.atomic
def report_dispatch_done(
    dispatch: Dispatch, *, actor, result: str, photos=(), go_ahead_reason: str = ""
) -> Dispatch:
    """A department reports its part done (反馈). Cooperating departments report to the case
    while it is dispatched; the lead's report resolves it (主办办结).

    While cooperating dispatches are still open the lead's report is refused
    (CooperatingDispatchesOpen, a 409 naming them) unless the lead gives `go_ahead_reason`;
    then each of them is closed with the case (closed_with_case, with that reason) before the
    case resolves, so no department is left owing work on a case that has moved on. One whose
    own deadline had already passed is first flagged overdue, as the sweeper would have: it is
    scored late; the others are not scored (docs/metrics.md)."""
    _may_on_dispatch(actor, dispatch, "report_done")
    if not (result or "").strip():
        raise ValidationError({"result": [_("Describe what was done.")]})
    limits.check_lengths(result=result, go_ahead_reason=go_ahead_reason)
    _check_photos(photos)
    go_ahead_reason = (go_ahead_reason or "").strip()
    is_lead = dispatch.role == Dispatch.Role.LEAD
    still_open = []
    if is_lead:
        # Read under lock: a cooperating report committed meanwhile is no longer open.
        still_open = [d for d in _lock_open_dispatches(dispatch.case_id) if d.pk != dispatch.pk]
        if still_open and not go_ahead_reason:
            raise CooperatingDispatchesOpen(still_open)
    now = timezone.now()
    dispatch = _dispatch_step(
        dispatch, "report_done", actor, now=now, reason=result, result=result, done_at=now
    )
    if is_lead:
        for other in still_open:
            _close_with_case(other, actor=actor, now=now, reason=go_ahead_reason)
        case = Case.objects.get(pk=dispatch.case_id)
        event = workflow.apply(
            case, "resolve", actor=actor, now=now, reason=result, resolution=result, due_at=None
        )
        _attach(case, event, photos, actor)
    return dispatch


def _close_with_case(dispatch: Dispatch, *, actor, now: datetime, reason: str) -> None:
    """Close a cooperating dispatch still open when its case resolves (locked by the caller)."""
    late = dispatch.is_overdue or dispatch.due_at <= now
    if late and not dispatch.is_overdue:
        Dispatch.objects.filter(pk=dispatch.pk).update(is_overdue=True)
        _record_dispatch_step(dispatch, "overdue", None, now, "")
    Dispatch.objects.filter(pk=dispatch.pk).update(
        status=Dispatch.Status.CLOSED_WITH_CASE,
        version=F("version") + 1,
        closed_at=now,
        closure_reason=reason,
    )
    _record_dispatch_step(dispatch, "close_with_case", actor, now, reason, late=late)


# The system's steps (run by the sweeper)


@contextmanager
def sweep_batch(*, send: bool = True) -> Iterator[list[int]]:
    """One batch of the sweeper's steps, inside the caller's transaction: the steps are counted
    in the rollups and notified together at the end (workflow.batch, whose list of the events'
    ids it yields; `send` as there). The routing rules and the work calendar come from each
    process's memory (RULES, CALENDAR)."""
    with workflow.batch(send=send) as events:
        yield events


def overdue_cases(now: datetime):
    """Open cases whose stage deadline has passed, with what the deadline rule reads."""
    return Case.objects.select_related("category", "grid").filter(
        status__in=workflow.OPEN_STAGES, due_at__lte=now
    )


# What the deadline rule and workflow.apply_many read of a case.
_DEADLINE_FIELDS = (
    "version", "status", "status_before_suspension", "level", "holder_id", "escalation_count",
    "urgency", "category_id", "grid_id", "due_at", "is_overdue",
)  # fmt: skip


def overdue_batch(ids, now: datetime) -> list[Case]:
    """The cases of `ids` (in that order) whose stage deadline has passed, with what
    apply_deadline_rules reads and no more: each category and grid is read once for the batch
    and shared by its cases, rather than joined to every case (a grid's row holds its boundary,
    which would be read and decoded once per case)."""
    cases = (
        Case.objects.filter(pk__in=ids, status__in=workflow.OPEN_STAGES, due_at__lte=now)
        .only(*_DEADLINE_FIELDS)
        .in_bulk()
    )
    categories = Category.objects.in_bulk({case.category_id for case in cases.values()})
    grids = Area.objects.only("path").in_bulk({case.grid_id for case in cases.values()})
    found = []
    for case_id in ids:
        if case_id in cases:
            case = cases[case_id]
            case.category, case.grid = categories[case.category_id], grids[case.grid_id]
            found.append(case)
    return found


@transaction.atomic
def escalate_if_overdue(case_id: int, *, now: datetime | None = None) -> str | None:
    """Apply the deadline rule to one case, if its stage deadline has passed; safe to run
    twice: a case whose deadline is no longer past (it moved on, or another worker got there
    first) is left alone. Returns the action taken."""
    now = now or timezone.now()
    case = overdue_cases(now).filter(pk=case_id).first()
    return apply_deadline_rule(case, now=now) if case is not None else None


def apply_deadline_rule(case: Case, *, now: datetime) -> str:
    """The deadline rule for `case`, read (from overdue_cases) in the caller's transaction:
    below the district it goes one level up with a new deadline; at the district it is marked
    overdue, supervised (督办) and notified. Returns the action taken; ConcurrentCaseUpdate if
    the case moved on since it was read. The caller's transaction or savepoint keeps the step
    and the supervision together (the sweeper has one per case already)."""
    above = routing.next_level_up(case.level)
    if above is not None:
        due = stage_deadline(case, "accept", level=above, start=now)
        workflow.apply(
            case,
            "auto_escalate",
            now=now,
            level=above,
            holder_id=_holder_id(case, above),
            due_at=due,
            reason=_("The deadline at this level passed."),
            # The compare-and-set on the version guarantees the count read is the current one.
            escalation_count=case.escalation_count + 1,
        )
        return "auto_escalate"
    workflow.apply(
        case,
        "mark_overdue",
        now=now,
        due_at=None,
        is_overdue=True,
        reason=_("The district's deadline passed."),
    )
    Supervision.objects.create(
        case=case, reason=_("Overdue at the district."), is_automatic=True, level=case.level
    )
    return "mark_overdue"


def apply_deadline_rules(cases: list[Case], *, now: datetime) -> list[CaseEvent]:
    """apply_deadline_rule for many cases read (overdue_batch) in the caller's transaction,
    as one set (workflow.apply_many): each one's step and new deadline are worked out as
    apply_deadline_rule does, then written together, with one insert of the supervisions (督办)
    of the cases marked overdue at the district. Returns the events recorded; a case that moved
    on since it was read is left out (its step is judged by a later sweep). No savepoint of its
    own: the caller's keeps the set together."""
    escalated = _("The deadline at this level passed.")
    overdue = _("The district's deadline passed.")
    # Cases of one category, urgency and grid moving to one level get the same holder and
    # deadline (all start now): worked out once each.
    handed_to: dict[tuple, tuple[int, datetime]] = {}
    moves = []
    for case in cases:
        above = routing.next_level_up(case.level)
        if above is not None:
            key = (case.category_id, case.urgency, case.grid_id, above)
            if key not in handed_to:
                due = stage_deadline(case, "accept", level=above, start=now)
                handed_to[key] = (_holder_id(case, above), due)
            holder_id, due = handed_to[key]
            move = workflow.Move(
                case,
                "auto_escalate",
                level=above,
                holder_id=holder_id,
                due_at=due,
                reason=escalated,
                # The compare-and-set on the version guarantees the count read is the current one.
                fields={"escalation_count": case.escalation_count + 1},
            )
        else:
            move = workflow.Move(
                case, "mark_overdue", due_at=None, reason=overdue, fields={"is_overdue": True}
            )
        moves.append(move)
    with transaction.atomic(savepoint=False):
        events = workflow.apply_many(moves, now=now)
        supervised = [event for event in events if event.action == "mark_overdue"]
        if supervised:
            reason = _("Overdue at the district.")
            Supervision.objects.bulk_create(
                Supervision(case_id=e.case_id, reason=reason, is_automatic=True, level=e.to_level)
                for e in supervised
            )
    return events


@transaction.atomic
def flag_dispatch_if_overdue(dispatch_id: int, *, now: datetime | None = None) -> bool:
    """Mark a dispatch overdue once its deadline passed while still open and running (not
    paused with its suspended case); safe to run twice."""
    now = now or timezone.now()
    running = Dispatch.objects.filter(is_overdue=False, remaining_seconds__isnull=True)
    dispatch = (
        running.filter(pk=dispatch_id, due_at__lte=now, status__in=Dispatch.OPEN_STATUSES)
        .select_related("case")
        .first()
    )
    if dispatch is None:
        return False
    # The same conditions again in the UPDATE: a suspension or a closing committed since the
    # read wins.
    if not running.filter(pk=dispatch.pk, status__in=Dispatch.OPEN_STATUSES).update(
        is_overdue=True
    ):
        return False
    if dispatch.case.status == S.DISPATCHED:
        _record_dispatch_step(dispatch, "overdue", None, now, "")
    return True


@transaction.atomic(savepoint=False)
def flag_overdue_dispatches(dispatch_ids: list[int], *, now: datetime) -> int:
    """flag_dispatch_if_overdue for many dispatches (the sweeper's batch, locked by it), as one
    set: one UPDATE flags those still open, running and past their deadline, and their steps
    are recorded in their cases' histories with workflow.apply_many (a case with two of them
    gets two steps). Returns how many were flagged. Should a case have moved on since it was
    read, ConcurrentCaseUpdate: the caller's savepoint undoes the set, and it goes one by one."""
    position = {pk: n for n, pk in enumerate(dispatch_ids)}
    running = Dispatch.objects.filter(
        pk__in=dispatch_ids,
        is_overdue=False,
        remaining_seconds__isnull=True,
        status__in=Dispatch.OPEN_STATUSES,
    )
    due = sorted(
        running.filter(due_at__lte=now).values_list("pk", "case_id", "department_id", "role"),
        key=lambda row: position[row[0]],
    )
    if not due:
        return 0
    if running.filter(pk__in=[row[0] for row in due]).update(is_overdue=True) != len(due):
        raise ConcurrentCaseUpdate(None, None)  # not while the caller holds the rows' locks
    cases = Case.objects.filter(pk__in={row[1] for row in due}, status=S.DISPATCHED).in_bulk()
    moves = [
        workflow.Move(
            cases[case_id],
            "dispatch_overdue",
            data={"dispatch": pk, "department": department_id, "role": role},
        )
        for pk, case_id, department_id, role in due
        if case_id in cases
    ]
    events = workflow.apply_many(moves, now=now)
    if len(events) != len(moves):
        raise ConcurrentCaseUpdate(None, None)
    return len(due)
