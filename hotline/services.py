"""The work orders' use cases: taking one in from the hotline (it becomes a case through
cases.services.report_case), the district's answers to it (签收, 退回, 延期申请), the answers
that go by themselves when the case closes (办结反馈) or its callback is recorded (满意度), and
the audited reveal of the caller.

Each answer is a Reply row and an outbox entry (hotline/outbound.py) in one transaction with the
step it reports. Errors: ValidationError (bad input, per field), PermissionDenied (the policy),
NotNow (the work order or its case has moved past the step: a 409).
"""

import logging
import re
from datetime import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Value
from django.db.models.functions import Length, StrIndex
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from cases import limits, services, workflow
from cases.models import Case, CaseEvent, CasePhoto, Urgency
from grid import geo
from grid import policies as grid_policies
from grid.idnumbers import mask_phone
from grid.models import Building
from grid.registry import reveal_fields
from hotline import outbound, policies
from hotline.models import CategoryMap, DeadlineChange, Reply, WorkOrder

log = logging.getLogger(__name__)

NUMBER = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,39}")
TITLE_FROM_CONTENT = 40  # characters of the content a work order without a title is named by
CALLER_FIELDS = ("caller_name", "caller_phone")
# The steps that close a case, after which the hotline hears the result (办结反馈).
CLOSING = {"verify_pass": "closed", "self_resolve": "closed", "reject": "not_registered"}
# The steps whose photos show the result (the department's report, the on-site check).
RESULT_STEPS = ("resolve", "self_resolve", "verify_pass")


class NotNow(Exception):
    """The step is not possible on the work order as it stands (a 409, with this message)."""


# Taking a work order in


def receive_work_order(*, client, number: str, **fields) -> tuple[WorkOrder, bool]:
    """File the work order `number` sent by `client` (a governance.ApiClient) as a case, or
    return the one it became before: (work order, created). A repeat of a number, racing or
    not, never makes a second case: the work order's number is unique, and so is the case's
    hotline_number, which report_case looks up again when it loses the race.

    `fields` are receive's: category_code, content, title, urgency, lng, lat, address,
    caller_name, caller_phone, due_at, return_by (see _file_work_order)."""
    existing = _work_order(number, client)
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            return _file_work_order(client=client, number=number, **fields)
    except IntegrityError:
        existing = _work_order(number, client)
        if existing is None:
            raise
        return existing, False


def _work_order(number: str, client) -> WorkOrder | None:
    work_order = WorkOrder.objects.select_related("case__grid").filter(number=number).first()
    if work_order is not None and work_order.client_id != client.pk:
        raise NotNow(_("Another client application sent a work order with this number."))
    return work_order


def _file_work_order(
    *,
    client,
    number: str,
    category_code: str,
    content: str,
    due_at: datetime,
    title: str = "",
    urgency: str = Urgency.NORMAL,
    lng: float | None = None,
    lat: float | None = None,
    address: str = "",
    caller_name: str = "",
    caller_phone: str = "",
    return_by: datetime | None = None,
) -> tuple[WorkOrder, bool]:
    now = timezone.now()
    errors = {}
    if not NUMBER.fullmatch(number or ""):
        errors["number"] = [_("Use 1–40 letters, digits, “-”, “_” or “.”.")]
    content = (content or "").strip()
    if not content:
        errors["content"] = [_("Say what the caller reported.")]
    mapping = CategoryMap.objects.select_related("category").filter(code=category_code).first()
    if mapping is None or not mapping.is_active:
        errors["category"] = [
            _("The hotline category “%(code)s” is not mapped to one of ours.")
            % {"code": category_code}
        ]
    if due_at <= now:
        errors["due_at"] = [_("The hotline's deadline has already passed.")]
    if return_by is not None and return_by > due_at:
        errors["return_by"] = [_("The return window cannot end after the deadline.")]
    grid, building, point_errors = _locate(lng, lat, address)
    errors.update(point_errors)
    if errors:
        raise ValidationError(errors)
    if building is not None and _point_of(building):
        lng, lat = building.lng, building.lat
    case, created = services.report_case(
        reporter=client.user,
        category=mapping.category,
        title=(title or "").strip() or _title_of(content),
        description=content,
        urgency=urgency,
        source=Case.Source.HOTLINE,
        lng=lng,
        lat=lat,
        grid=grid,
        address=address,
        buildings=[building] if building is not None else (),
        external=True,  # the client's key was checked at the door (hotline/api.py)
        hotline_number=number,
        hotline_due_at=due_at,
        now=now,
    )
    if not created:
        # Another request of the same number filed it first (report_case lost the race to it
        # and found its case): answer with that one's work order.
        return WorkOrder.objects.select_related("case__grid").get(case=case), False
    work_order = WorkOrder.objects.create(
        number=number,
        case=case,
        client=client,
        hotline_category=category_code,
        caller_name=caller_name.strip(),
        caller_phone=caller_phone.strip(),
        return_by=return_by,
        received_at=now,
    )
    # The code, the number and our case: nothing the caller said or is.
    log.info("hotline work order %s filed as case %s", number, case.number)
    return work_order, True


def _title_of(content: str) -> str:
    first_line = content.splitlines()[0].strip()
    if len(first_line) <= TITLE_FROM_CONTENT:
        return first_line
    return first_line[: TITLE_FROM_CONTENT - 1] + "…"


def _locate(lng, lat, address: str) -> tuple:
    """(grid, building, errors): a point is filed where it lies (report_case finds its grid,
    and refuses one outside the district); without a point, the address must name a building of
    the registry, whose grid (and location) the case takes. Nothing is guessed: an address that
    matches no building, or buildings of more than one grid, is refused on `address`."""
    if (lng is None) != (lat is None):
        missing = "lat" if lat is None else "lng"
        return None, None, {missing: [_("Give both the longitude and the latitude, or neither.")]}
    if lng is not None:
        try:
            geo.parse_point(lng, lat)
        except ValidationError as exc:
            return None, None, exc.message_dict
        return None, None, {}
    address = (address or "").strip()
    if not address:
        return None, None, {"address": [_("Give the location (lng and lat) or an address.")]}
    buildings = _buildings_at(address)
    grids = {building.grid_id for building in buildings}
    if len(grids) == 1:
        return buildings[0].grid, buildings[0], {}
    if not grids:
        message = _("No building of the registry has this address; send the location (lng, lat).")
    else:
        message = _("This address matches buildings in several grids; send the location.")
    return None, None, {"address": [message]}


def _point_of(building: Building) -> bool:
    # The registry's point of a building, where it has one that lies in its own grid.
    return building.lng is not None and geo.lies_in(building.grid, building.lng, building.lat)


def _buildings_at(address: str) -> list[Building]:
    """The registry's buildings whose address is the one given, or, failing that, the longest
    building address the given one contains (a work order's address often adds the city and the
    floor: "广州市黄埔区大沙东路8号3楼" names the building at "大沙东路8号")."""
    exact = list(Building.objects.select_related("grid").filter(address=address)[:10])
    if exact:
        return exact
    contained = (
        Building.objects.select_related("grid")
        .annotate(at=StrIndex(Value(address), F("address")), length=Length("address"))
        .filter(at__gt=0, length__gte=4)
        .order_by("-length", "id")[:10]
    )
    found = list(contained)
    return [b for b in found if b.length == found[0].length] if found else []


# The district's answers


def _require(actor, work_order: WorkOrder) -> None:
    if not policies.can_answer(actor, work_order.case):
        raise PermissionDenied(_("Only the district's dispatchers answer the hotline."))


def _reply(
    work_order: WorkOrder, kind: str, event_type: str, *, actor, now, key=None, **data
) -> Reply:
    payload = {
        "work_order": work_order.number,
        "case": work_order.case.number,
        "at": now.isoformat(),
        **data,
    }
    reply = Reply.objects.create(work_order=work_order, kind=kind, at=now, by=actor, data=payload)
    outbound.send(event_type, payload, case=work_order.case, key=key)
    return reply


@transaction.atomic
def sign_work_order(work_order: WorkOrder, *, actor) -> Reply:
    """签收: the district tells the hotline it has the work order in hand. Once."""
    _require(actor, work_order)
    now = timezone.now()
    signed = WorkOrder.objects.filter(
        pk=work_order.pk, signed_at__isnull=True, returned_at__isnull=True
    ).update(signed_at=now)
    if not signed:
        raise NotNow(_("This work order has already been signed for or returned."))
    work_order.signed_at = now
    return _reply(work_order, Reply.Kind.SIGNED, outbound.SIGNED, actor=actor, now=now)


@transaction.atomic
def return_work_order(work_order: WorkOrder, *, actor, reason: str) -> Reply:
    """退回: not our jurisdiction. Only until the hotline's return window (`return_by`) closes,
    and only while our case is still waiting or being handled here (not yet dispatched): the
    case is closed as not registered (不予立案) with the reason, and the hotline takes the
    order back."""
    _require(actor, work_order)
    reason = services.required_reason(reason)
    now = timezone.now()
    if work_order.return_by is None:
        raise NotNow(_("The hotline gave no return window for this work order."))
    if now > work_order.return_by:
        raise NotNow(
            _("The hotline's return window closed at %(time)s.")
            % {"time": timezone.localtime(work_order.return_by).strftime("%Y-%m-%d %H:%M")}
        )
    locked = (
        WorkOrder.objects.select_for_update()
        .filter(pk=work_order.pk, returned_at__isnull=True)
        .first()
    )
    if locked is None:
        raise NotNow(_("This work order has already been returned."))
    case = Case.objects.select_related("category", "grid").get(pk=work_order.case_id)
    workflow.apply(
        case,
        "reject",
        actor=actor,
        now=now,
        reason=_("Returned to the 12345 hotline: %(reason)s") % {"reason": reason},
        due_at=None,
        data={"hotline_returned": True},
    )
    WorkOrder.objects.filter(pk=work_order.pk).update(returned_at=now)
    work_order.returned_at, work_order.case = now, case
    return _reply(
        work_order, Reply.Kind.RETURNED, outbound.RETURNED, actor=actor, now=now, reason=reason
    )


@transaction.atomic
def request_extension(work_order: WorkOrder, *, actor, until: datetime, reason: str) -> Reply:
    """延期申请: ask the hotline to move its deadline to `until`. The deadline is the hotline's
    to move (it stays as it is until then)."""
    _require(actor, work_order)
    reason = services.required_reason(reason)
    case = work_order.case
    if work_order.returned_at is not None or not case.is_open:
        raise NotNow(_("The case is no longer open."))
    current = case.hotline_due_at
    if until is None or (current is not None and until <= current) or until <= timezone.now():
        raise ValidationError({"until": [_("Ask for a date after the current deadline.")]})
    return _reply(
        work_order,
        Reply.Kind.EXTENSION_REQUESTED,
        outbound.EXTENSION_REQUESTED,
        actor=actor,
        now=timezone.now(),
        until=until.isoformat(),
        reason=reason,
    )


@transaction.atomic
def move_deadline(work_order: WorkOrder, *, due_at: datetime, reason: str = "") -> DeadlineChange:
    """The hotline moves its deadline (延期审批: its answer to our 延期申请, or a change of its
    own), while the work order is ours and open; recorded as a DeadlineChange."""
    reason = (reason or "").strip()
    limits.check_lengths(reason=reason)
    if due_at <= timezone.now():
        raise ValidationError({"due_at": [_("The new deadline must be in the future.")]})
    # Locked, so that two moves at once are recorded in the order they were written.
    case = (
        Case.objects.select_for_update().only("status", "hotline_due_at").get(pk=work_order.case_id)
    )
    if work_order.returned_at is not None or not case.is_open:
        raise NotNow(_("The case is no longer open."))
    change = DeadlineChange.objects.create(
        work_order=work_order,
        due_at_before=case.hotline_due_at,
        due_at=due_at,
        reason=reason,
        at=timezone.now(),
    )
    Case.objects.filter(pk=case.pk).update(hotline_due_at=due_at)
    return change


# The answers that go by themselves


def steps_recorded(steps) -> None:
    """The consumer of case steps (cases/extensions.py), in the transaction that marks them
    notified, once the step itself has committed (so the photos of a closing step are stored):
    the hotline hears the result when a case of a work order closes, or is closed as not
    registered other than by our return, and the resident's satisfaction when a callback of it
    is recorded. Steps of no interest cost no query."""
    wanted = [
        s
        for s in steps
        if s.source == Case.Source.HOTLINE and (s.action in CLOSING or s.action == "callback")
    ]
    if not wanted:
        return
    work_orders = WorkOrder.objects.select_related("case__grid").in_bulk(
        {s.case_id for s in wanted}, field_name="case_id"
    )
    wanted = [s for s in wanted if s.case_id in work_orders]
    events = CaseEvent.objects.in_bulk([s.pk for s in wanted])
    for step in wanted:
        event = events.get(step.pk)
        if event is not None and not (event.data or {}).get("hotline_returned"):
            _answer_step(work_orders[step.case_id], event)


def _answer_step(work_order: WorkOrder, event: CaseEvent) -> None:
    case = work_order.case
    key = f"case_event:{event.pk}"
    if event.action == "callback":
        _reply(
            work_order,
            Reply.Kind.SATISFACTION,
            outbound.SATISFACTION,
            actor=None,
            now=event.at,
            key=key,
            satisfaction=(event.data or {}).get("satisfaction"),
            comment=event.reason,
        )
        return
    outcome = CLOSING[event.action]
    _reply(
        work_order,
        Reply.Kind.FEEDBACK,
        outbound.FEEDBACK,
        actor=None,
        now=event.at,
        key=key,
        outcome=outcome,
        result=(case.resolution if outcome == "closed" else "") or event.reason,
        photos=[photo_link(work_order, photo) for photo in result_photos(case)],
    )


def result_photos(case: Case):
    """The photos of the case's result: its resolution, and its on-site check."""
    return CasePhoto.objects.filter(case=case, event__action__in=RESULT_STEPS).order_by("id")


def photo_link(work_order: WorkOrder, photo: CasePhoto) -> str:
    """Where the hotline fetches a photo of the result, with its key (hotline/api.py)."""
    path = reverse("hotline-photo", args=[work_order.number, photo.pk])
    return settings.SANHUA_PUBLIC_URL.rstrip("/") + path


# The caller


def mask_name(name: str) -> str:
    """The caller's name as everyone sees it: its first character ("张**")."""
    name = (name or "").strip()
    return name[:1] + "*" * (len(name) - 1) if name else ""


def masked_caller(work_order: WorkOrder) -> dict[str, str]:
    return {
        "caller_name": mask_name(work_order.caller_name),
        "caller_phone": mask_phone(work_order.caller_phone),
    }


def reveal_caller(work_order: WorkOrder, *, actor, purpose: str, reason: str = "") -> dict:
    """The caller's name and phone in full, for whoever may reveal the personal data of the
    case's grid, with a purpose (and words for "other"); audited, within the account's hourly
    allowance of reveals (grid/limits.py: LimitReached beyond)."""
    if not grid_policies.can_reveal_personal_data(actor, work_order.case.grid):
        raise PermissionDenied(_("You may not see the caller's details."))
    return reveal_fields(work_order, CALLER_FIELDS, actor=actor, purpose=purpose, reason=reason)
