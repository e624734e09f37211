"""Use cases of community services, the only writers of its rows: recording a service request
and each step on it, converting one into a case, the sweeper's overdue flag, care-visit
schedules and recording a visit (with the needs it raises).

Errors are ValidationError (bad input, per field), PermissionDenied, and the case workflow's
InvalidTransition and ConcurrentCaseUpdate (both answered 409), so every interface treats them
as it treats a case's. Each use case runs in one transaction: a refused step leaves nothing.
"""

import math
import uuid
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Min
from django.utils import timezone
from django.utils.translation import gettext as _

from cases import services as case_services
from cases.calendar import WORKDAY_SECONDS, WorkCalendar
from cases.exceptions import ConcurrentCaseUpdate, InvalidTransition
from cases.models import Case, Category
from cases.photos import MAX_PHOTOS_PER_STEP, check_photo, save_photo_files
from community import policies, workflow
from community.models import (
    CareVisit,
    CareVisitPhoto,
    Service,
    ServiceRequest,
    ServiceRequestEvent,
    ServiceRequestPhoto,
    VisitSchedule,
)
from grid.models import Area, Household, Person

S = ServiceRequest.Status
# A visit counts as checked in at the building when the phone's GPS point lies this close.
CHECK_IN_RADIUS_M = 150


# Deadlines


def request_deadline(service: Service, start: datetime, calendar: WorkCalendar | None = None):
    """The service's time limit (working days) after `start`, on the working-time calendar the
    cases' deadlines use (cases/calendar.py)."""
    calendar = calendar or WorkCalendar.load()
    return calendar.add(start, service.time_limit_days * WORKDAY_SECONDS)


# Photos: checked like a case's (cases/photos.py), kept beside their request or visit.


def _check_photos(photos) -> None:
    if len(photos) > MAX_PHOTOS_PER_STEP:
        raise ValidationError({"photos": [_("At most %(n)s photos.") % {"n": MAX_PHOTOS_PER_STEP}]})
    for upload in photos:
        check_photo(upload)


def _attach(request: ServiceRequest, event: ServiceRequestEvent, photos, user) -> None:
    for upload in photos:
        uploader = user if user is not None and user.is_authenticated else None
        save_photo_files(
            ServiceRequestPhoto(request=request, event=event, uploaded_by=uploader), upload
        )


# Service requests


def request_number(now: datetime, district_code: str, sequence: int) -> str:
    """ "FW" + year + district code + sequence (the row id: no counter to lock)."""
    return f"FW{timezone.localtime(now):%Y}{district_code}{sequence:08d}"


@transaction.atomic
def record_request(
    *,
    actor,
    service: Service,
    grid: Area | None = None,
    person: Person | None = None,
    household: Household | None = None,
    walk_in_name: str = "",
    walk_in_phone: str = "",
    description: str = "",
    address: str = "",
    channel: str = ServiceRequest.Channel.FIELD,
    appointment_at: datetime | None = None,
    client_id: uuid.UUID | None = None,
    visit: CareVisit | None = None,
    photos=(),
    now: datetime | None = None,
) -> tuple[ServiceRequest, bool]:
    """Record a resident's service need. Returns (request, created): a client id seen before
    returns the first request and False, so a phone retrying an upload never makes two.

    The request is for a registered person, a household or a walk-in (a name is enough); its
    grid is theirs, or the chosen one for a walk-in. The deadline is the service's time limit.
    """
    if client_id is not None:
        existing = ServiceRequest.objects.filter(client_id=client_id).first()
        if existing is not None:
            return existing, False
    now = now or timezone.now()
    walk_in_name, walk_in_phone = walk_in_name.strip(), walk_in_phone.strip()
    errors: dict[str, list[str]] = {}
    if not service.is_active:
        errors["service"] = [_("Choose a service of the catalogue.")]
    if channel not in ServiceRequest.Channel.values:
        errors["channel"] = [_("Unknown channel.")]
    if person is not None and household is None:
        household = person.household
    if person is not None and person.status != Person.Status.LIVING:
        errors["person"] = [_("This person no longer lives here.")]
    if person is not None and household is not None and person.household_id != household.pk:
        errors["household"] = [_("The person is not a member of this household.")]
    if person is None and household is None and not walk_in_name:
        errors["walk_in_name"] = [_("Choose a person or household, or give the walk-in's name.")]
    resident_grid = person.grid if person is not None else household.grid if household else None
    if resident_grid is not None:
        if grid is not None and grid.pk != resident_grid.pk:
            errors["grid"] = [_("The resident lives in another grid.")]
        grid = resident_grid
    elif grid is None:
        errors.setdefault("grid", [_("Choose the grid.")])
    elif grid.level != Area.Level.GRID:
        errors["grid"] = [_("Choose a grid, not a larger area.")]
    if appointment_at is not None and appointment_at < now - timedelta(days=1):
        errors["appointment_at"] = [_("The appointment cannot lie in the past.")]
    if errors:
        raise ValidationError(errors)
    _check_photos(photos)
    policies.require(
        policies.can_record(actor, grid), _("You may not record requests in this grid.")
    )

    request = ServiceRequest(
        number=f"new-{uuid.uuid4().hex[:28]}",
        client_id=client_id,
        service=service,
        channel=channel,
        grid=grid,
        person=person,
        household=household,
        walk_in_name="" if person or household else walk_in_name,
        walk_in_phone="" if person or household else walk_in_phone,
        description=description.strip(),
        address=address.strip(),
        appointment_at=appointment_at,
        visit=visit,
        recorded_by=actor,
        received_at=now,
        due_at=request_deadline(service, now),
    )
    try:
        with transaction.atomic():
            request.save()
    except IntegrityError:
        # Two retries of one upload raced past the lookup above: the first one wins.
        if client_id is not None and ServiceRequest.objects.filter(client_id=client_id).exists():
            return ServiceRequest.objects.get(client_id=client_id), False
        raise
    request.number = request_number(now, grid.code[:6], request.pk)
    ServiceRequest.objects.filter(pk=request.pk).update(number=request.number)
    event = workflow.record_new(request, actor=actor, now=now, data={"channel": channel})
    _attach(request, event, photos, actor)
    return request, True


def _step(request, action, actor, **kwargs) -> ServiceRequestEvent:
    policies.require(policies.CHECKS[action](actor, request))
    return workflow.apply(request, action, actor=actor, **kwargs)


def _reason(text: str, field: str = "reason", message: str = "") -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError({field: [message or _("Give a reason.")]})
    return text


def _check_assignee(assignee, request: ServiceRequest) -> None:
    from grid.jurisdiction import covers

    if assignee is not None and not (assignee.is_active and covers(assignee, request.grid)):
        raise ValidationError({"assignee": [_("The assignee must work in the request's area.")]})


@transaction.atomic
def accept_request(
    request: ServiceRequest, *, actor, assignee=None, appointment_at: datetime | None = None
) -> ServiceRequestEvent:
    """Take the request on (受理); the handler is the assignee unless another is named."""
    _check_assignee(assignee, request)
    fields = {"assignee": assignee or actor}
    if appointment_at is not None:
        fields["appointment_at"] = appointment_at
    return _step(request, "accept", actor, data={"assignee": fields["assignee"].pk}, **fields)


@transaction.atomic
def assign_request(
    request: ServiceRequest, *, actor, assignee=None, appointment_at: datetime | None = None
) -> ServiceRequestEvent:
    """Name who handles it and when they meet the resident (预约)."""
    if assignee is None and appointment_at is None:
        raise ValidationError({"assignee": [_("Name an assignee or an appointment.")]})
    _check_assignee(assignee, request)
    fields = {}
    if assignee is not None:
        fields["assignee"] = assignee
    if appointment_at is not None:
        fields["appointment_at"] = appointment_at
    data = {
        "assignee": assignee.pk if assignee else None,
        "appointment_at": appointment_at.isoformat() if appointment_at else None,
    }
    return _step(request, "assign", actor, data=data, **fields)


@transaction.atomic
def complete_request(
    request: ServiceRequest,
    *,
    actor,
    result: str,
    satisfaction: int | None = None,
    photos=(),
) -> ServiceRequestEvent:
    """Done (已办结): what was done, photos of the documents handed over, and the resident's
    satisfaction if asked on the spot."""
    result = _reason(result, "result", _("Describe what was done."))
    if satisfaction is not None and not 1 <= satisfaction <= 5:
        raise ValidationError({"satisfaction": [_("Rate from 1 to 5.")]})
    _check_photos(photos)
    fields = {"result": result, "is_overdue": request.is_overdue}
    if satisfaction is not None:
        fields["satisfaction"] = satisfaction
    event = _step(
        request, "complete", actor, reason=result, data={"satisfaction": satisfaction}, **fields
    )
    _attach(request, event, photos, actor)
    return event


@transaction.atomic
def decline_request(request: ServiceRequest, *, actor, reason: str) -> ServiceRequestEvent:
    """Not handled (不予办理), with the reason told to the resident."""
    reason = _reason(reason)
    return _step(request, "decline", actor, reason=reason, decline_reason=reason)


@transaction.atomic
def rate_request(
    request: ServiceRequest, *, actor, satisfaction: int, comment: str = ""
) -> ServiceRequestEvent:
    """The resident's satisfaction (1–5) with a finished request, asked once."""
    if not isinstance(satisfaction, int) or not 1 <= satisfaction <= 5:
        raise ValidationError({"satisfaction": [_("Rate from 1 to 5.")]})
    if request.satisfaction is not None:
        raise ValidationError({"satisfaction": [_("The satisfaction was already recorded.")]})
    return _step(
        request,
        "rate",
        actor,
        reason=comment.strip(),
        data={"satisfaction": satisfaction},
        satisfaction=satisfaction,
    )


@transaction.atomic
def convert_request(
    request: ServiceRequest,
    *,
    actor,
    category: Category,
    title: str,
    description: str = "",
    urgency: str = "normal",
) -> Case:
    """A request that turns out to be a problem (a hazard, a dispute) becomes a case in one
    step: the case is filed through the cases' own filing service in the request's grid, for
    the same resident, and the two are linked both ways (request.case, case.service_requests).
    """
    policies.require(policies.can_convert(actor, request))
    if request.status not in workflow.TRANSITIONS["convert"]:
        raise InvalidTransition("convert", request.status, workflow.allowed_actions(request.status))
    text = description.strip() or request.description
    origin = _("From service request %(number)s") % {"number": request.number}
    case, _created = case_services.report_case(
        reporter=actor,
        category=category,
        title=title,
        description=f"{text}\n\n{origin}",
        urgency=urgency,
        source=Case.Source.RESIDENT,
        grid=request.grid,
        address=request.address,
        households=[request.household] if request.household_id else [],
        persons=[request.person] if request.person_id else [],
    )
    workflow.apply(
        request,
        "convert",
        actor=actor,
        reason=title,
        data={"case": case.pk, "case_number": case.number},
        case=case,
    )
    return case


# The sweeper's step


def overdue_requests(now: datetime):
    return ServiceRequest.objects.filter(
        status__in=workflow.OPEN, due_at__lte=now, is_overdue=False
    )


@transaction.atomic
def flag_request_if_overdue(request_id: int, *, now: datetime | None = None) -> bool:
    """Mark an open request overdue once its deadline passed (the light turns red and it counts
    in the dashboards); safe to run twice: a request no longer due is left alone."""
    now = now or timezone.now()
    request = overdue_requests(now).filter(pk=request_id).first()
    if request is None:
        return False
    try:
        workflow.apply(request, "mark_overdue", now=now, is_overdue=True)
    except ConcurrentCaseUpdate:
        return False  # someone moved it on meanwhile; the next sweep looks again
    return True


# Care visits


def _plan_days():
    """Person → the shortest visit interval of their care tags, for the living tagged ones."""
    return (
        Person.objects.filter(status=Person.Status.LIVING, care_tags__visit_plan__isnull=False)
        .values("pk", "grid_id")
        .annotate(every=Min("care_tags__visit_plan__every_days"))
    )


@transaction.atomic
def refresh_schedules(*, today: date | None = None, grids=None) -> dict[str, int]:
    """Give every living person with a planned care tag a visit schedule (due today when new),
    keep its interval and grid in step with the tags, and drop the schedules of people who no
    longer need visits. Safe to run any number of times (the sweeper does, every few minutes)."""
    today = today or timezone.localdate()
    wanted = _plan_days()
    if grids is not None:
        wanted = wanted.filter(grid__in=grids)
    wanted = {row["pk"]: (row["grid_id"], row["every"]) for row in wanted}
    existing = VisitSchedule.objects.all()
    if grids is not None:
        existing = existing.filter(grid__in=grids)
    have = {s.person_id: s for s in existing}
    new = [
        VisitSchedule(person_id=pk, grid_id=grid_id, every_days=every, next_visit_on=today)
        for pk, (grid_id, every) in wanted.items()
        if pk not in have
    ]
    VisitSchedule.objects.bulk_create(new, ignore_conflicts=True)
    changed = 0
    for pk, schedule in have.items():
        if pk not in wanted:
            continue
        grid_id, every = wanted[pk]
        if (schedule.grid_id, schedule.every_days) != (grid_id, every):
            next_on = schedule.next_visit_on
            if schedule.last_visited_at is not None:
                next_on = timezone.localtime(schedule.last_visited_at).date() + timedelta(every)
            changed += VisitSchedule.objects.filter(pk=schedule.pk).update(
                grid_id=grid_id, every_days=every, next_visit_on=next_on, version=F("version") + 1
            )
    gone = [s.pk for pk, s in have.items() if pk not in wanted]
    VisitSchedule.objects.filter(pk__in=gone).delete()
    return {"created": len(new), "changed": changed, "dropped": len(gone)}


def _metres(lng1, lat1, lng2, lat2) -> float:
    dy = (lat1 - lat2) * 111_000
    dx = (lng1 - lng2) * 111_000 * math.cos(math.radians((lat1 + lat2) / 2))
    return math.hypot(dx, dy)


def check_in(person: Person, lng: float | None, lat: float | None) -> tuple[int | None, bool]:
    """The distance (m) of a GPS point from the person's building, and whether it counts as a
    check-in there."""
    building = person.house.building if person.house_id else None
    if lng is None or lat is None or building is None or building.lng is None:
        return None, False
    metres = _metres(lng, lat, building.lng, building.lat)
    return round(metres), metres <= CHECK_IN_RADIUS_M


@transaction.atomic
def record_visit(
    *,
    actor,
    person: Person,
    findings: str,
    visited_at: datetime | None = None,
    lng: float | None = None,
    lat: float | None = None,
    schedule_version: int | None = None,
    need_service: Service | None = None,
    need_description: str = "",
    client_id: uuid.UUID | None = None,
    photos=(),
) -> tuple[CareVisit, bool]:
    """Record a care visit (走访) and move the person's next visit date on by their interval.
    A need raised at the visit (`need_service`) becomes a service request in the same step.

    `schedule_version` is the schedule the worker saw: if another visit was recorded since,
    the schedule's compare-and-set fails and nothing is written (ConcurrentCaseUpdate, a 409).
    A client id seen before returns the first visit and False."""
    if client_id is not None:
        existing = CareVisit.objects.filter(client_id=client_id).first()
        if existing is not None:
            return existing, False
    now = timezone.now()
    visited_at = visited_at or now
    errors: dict[str, list[str]] = {}
    findings = (findings or "").strip()
    if not findings:
        errors["findings"] = [_("Say what you found.")]
    if visited_at > now + timedelta(minutes=5):
        errors["visited_at"] = [_("The visit cannot lie in the future.")]
    elif visited_at < now - timedelta(days=30):
        errors["visited_at"] = [_("Record visits within 30 days.")]
    if person.status != Person.Status.LIVING:
        errors["person"] = [_("This person no longer lives here.")]
    if (lng is None) != (lat is None):
        errors["lng"] = [_("Give both longitude and latitude, or neither.")]
    if need_service is not None and not need_service.is_active:
        errors["need_service"] = [_("Choose a service of the catalogue.")]
    if errors:
        raise ValidationError(errors)
    _check_photos(photos)
    policies.require(policies.can_visit(actor, person), _("You may not visit this person."))

    schedule = VisitSchedule.objects.filter(person=person).first()
    due_on = schedule.next_visit_on if schedule else None
    if schedule is not None:
        if schedule_version is not None and schedule_version != schedule.version:
            raise ConcurrentCaseUpdate(schedule_version, schedule.version)
        next_on = timezone.localtime(visited_at).date() + timedelta(days=schedule.every_days)
        updated = VisitSchedule.objects.filter(pk=schedule.pk, version=schedule.version).update(
            next_visit_on=next_on, last_visited_at=visited_at, version=F("version") + 1
        )
        if updated != 1:
            raise ConcurrentCaseUpdate(schedule.version)
    distance, checked_in = check_in(person, lng, lat)
    visit = CareVisit(
        client_id=client_id,
        person=person,
        grid=person.grid,
        visitor=actor,
        visited_at=visited_at,
        lng=lng,
        lat=lat,
        distance_m=distance,
        checked_in=checked_in,
        findings=findings,
        due_on=due_on,
    )
    try:
        with transaction.atomic():
            visit.save()
    except IntegrityError:
        if client_id is not None and CareVisit.objects.filter(client_id=client_id).exists():
            transaction.set_rollback(True)
            return CareVisit.objects.get(client_id=client_id), False
        raise
    for upload in photos:
        save_photo_files(CareVisitPhoto(visit=visit, uploaded_by=actor), upload)
    if need_service is not None:
        record_request(
            actor=actor,
            service=need_service,
            person=person,
            description=need_description or findings,
            channel=ServiceRequest.Channel.VISIT,
            visit=visit,
            now=now,
        )
    return visit, True
