"""Open311 GeoReport v2 over our cases: the catalogue of services (our subcategories), filing a
request as a case through the same service as every other report (cases.services.report_case:
routing, duplicates, idempotency), the public view of a filed request, and the audited reveal
of the contact a request carries.

Errors are ValidationError keyed by the specification's parameter names (`service_code`,
`lat`, `long`, `attribute[depth]` …), so the door can say which parameter is wrong.
"""

import re
import uuid
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils.dateparse import parse_datetime
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from cases import limits
from cases.models import Case, CaseEvent, Category, Dispatch
from cases.services import report_case
from governance.models import ApiClient
from grid import geo
from grid.idnumbers import mask_phone
from grid.memo import Memo
from grid.models import Area, Building
from grid.registry import reveal_fields
from open311.formats import w3
from open311.models import Open311Request, ServiceAttribute

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# Our client ids are name-based UUIDs in a namespace of their own: a client's token maps to the
# same id on every retry, and never to another client's.
CLIENT_ID_NAMESPACE = uuid.UUID("9b1f7f3e-3c8a-5b8e-9a51-0e5d0c2f3110")
MAX_ATTRIBUTES = 50
STRING_LENGTH = 200  # an answer of datatype "string": one line
CLOSED_STATUSES = (Case.Status.CLOSED, Case.Status.REJECTED)


# The catalogue


@dataclass(frozen=True)
class Service:
    category: Category
    attributes: tuple[ServiceAttribute, ...] = field(default=())

    @property
    def code(self) -> str:
        return self.category.code

    @property
    def metadata(self) -> bool:
        return any(attribute.variable for attribute in self.attributes)


def _load_catalogue() -> dict[str, Service]:
    categories = Category.objects.filter(is_active=True, parent__isnull=False)
    attributes: dict[int, list[ServiceAttribute]] = {}
    for attribute in ServiceAttribute.objects.order_by("order", "code"):
        attributes.setdefault(attribute.category_id, []).append(attribute)
    return {
        category.code: Service(category, tuple(attributes.get(category.pk, ())))
        for category in categories.select_related("parent").order_by("code")
    }


# Every request names its service; categories and their attributes change a few times a year.
CATALOGUE = Memo("open311-catalogue", _load_catalogue, models=(Category, ServiceAttribute))


def _name(category: Category) -> str:
    """The category's name in the request's language (English where it has one)."""
    if (get_language() or "").startswith("en") and category.name_en:
        return category.name_en
    return category.name


def service_of(code: str) -> Service | None:
    return CATALOGUE.get().get(code)


def services_body() -> list[dict]:
    """GET services: every active subcategory, with its main class as the group."""
    return [
        {
            "service_code": service.code,
            "service_name": _name(service.category),
            "description": _name(service.category),
            "metadata": service.metadata,
            "type": "realtime",
            "keywords": ", ".join(
                dict.fromkeys(n for n in (service.category.name, service.category.name_en) if n)
            ),
            "group": _name(service.category.parent),
        }
        for service in CATALOGUE.get().values()
    ]


def definition_body(service: Service) -> dict:
    """GET services/{code}: the service's attributes, in their order."""
    return {
        "service_code": service.code,
        "attributes": [
            {
                "variable": attribute.variable,
                "code": attribute.code,
                "datatype": attribute.datatype,
                "required": attribute.required,
                "datatype_description": attribute.datatype_description or None,
                "order": attribute.order,
                "description": attribute.description,
                "values": [
                    {"key": value.get("key"), "name": value.get("name")}
                    for value in attribute.values
                ]
                if attribute.datatype in ServiceAttribute.LISTS
                else [],
            }
            for attribute in service.attributes
        ],
    }


def changeset() -> str:
    """When the catalogue last changed (for discovery): its latest attribute edit."""
    latest = ServiceAttribute.objects.order_by("-updated_at").values_list("updated_at", flat=True)
    moment = latest.first()
    return w3(moment) if moment else "2026-01-01T00:00:00+08:00"


def districts() -> dict[str, Area]:
    """The districts this door serves, by code (the GeoReport `jurisdiction_id`)."""
    areas = geo.SHAPES.get().areas.values()
    return {area.code: area for area in areas if area.level == Area.Level.DISTRICT}


# Filing


@dataclass
class Submission:
    """A POST requests as the door parsed it: text as sent, numbers as numbers."""

    service_code: str
    description: str = ""
    lat: float | None = None
    lng: float | None = None
    address_string: str = ""
    address_id: int | None = None
    media_url: str = ""
    media: object = None  # an uploaded photo
    attributes: dict[str, list[str]] = field(default_factory=dict)
    contact: dict[str, str] = field(default_factory=dict)
    idempotency_key: str = ""
    district: Area | None = None


CONTACT_LIMITS = {
    field_name: Open311Request._meta.get_field(field_name).max_length
    for field_name in Open311Request.CONTACT_FIELDS
}
# Where report_case's field errors are named in Open311's parameters.
PARAMETERS = {
    "lng": "long",
    "lat": "lat",
    "grid": "address_string",
    "photos": "media",
    "category": "service_code",
    "title": "description",
}


def client_id_for(client: ApiClient, key: str) -> uuid.UUID:
    """The case's client id for the app's own key: the same on every retry of that request."""
    return uuid.uuid5(CLIENT_ID_NAMESPACE, f"{client.pk}:{key}")


def file_request(client: ApiClient, submission: Submission) -> tuple[Open311Request, bool]:
    """File a request as a case of source Open311, reported by the client's user. Returns
    (request, created); a retry with the same idempotency key returns the first request.
    Nothing is written unless all of it is (the case, its photo and the request's row)."""
    service = service_of(submission.service_code)
    if service is None:
        raise ValidationError(
            {
                "service_code": [
                    _("Unknown service code “%(code)s”.")
                    % {"code": _short(submission.service_code)}
                ]
            }
        )
    errors: dict[str, list[str]] = {}
    answers = _check_attributes(service, submission.attributes, errors)
    _check_contact(submission, errors)
    description = _description(submission.description, service, answers)
    errors.update(limits.length_errors(description=description))
    grid, lng, lat, buildings = _location(submission, errors)
    if errors:
        raise ValidationError(errors)
    key = submission.idempotency_key
    title = _title(submission.description) or _name(service.category)
    with transaction.atomic():
        try:
            case, created = report_case(
                reporter=client.user,
                category=service.category,
                title=title,
                description=description,
                source=Case.Source.OPEN311,
                lng=lng,
                lat=lat,
                grid=grid,
                address=submission.address_string[: limits.ADDRESS],
                client_id=client_id_for(client, key) if key else None,
                photos=[submission.media] if submission.media is not None else [],
                buildings=buildings,
                external=True,
            )
        except ValidationError as error:
            raise _as_parameters(error) from None
        if not created:
            return Open311Request.objects.select_related("case").get(case=case), False
        district = submission.district
        if district is not None and not case.grid.path.startswith(district.path):
            raise ValidationError(
                {"jurisdiction_id": [_("The location lies outside this jurisdiction.")]}
            )
        request = Open311Request.objects.create(
            case=case,
            client=client,
            requested_at=case.reported_at,
            idempotency_key=key,
            media_url=submission.media_url,
            attributes=answers,
            **submission.contact,
        )
    return request, True


def _short(text: str) -> str:
    return text if len(text) <= 40 else text[:40] + "…"


def _as_parameters(error: ValidationError) -> ValidationError:
    if not hasattr(error, "error_dict"):
        return error
    return ValidationError(
        {PARAMETERS.get(name, name): messages for name, messages in error.message_dict.items()}
    )


def _title(description: str) -> str:
    first_line = description.strip().splitlines()[0].strip() if description.strip() else ""
    if len(first_line) > limits.TITLE:
        return first_line[: limits.TITLE - 1] + "…"
    return first_line


def _description(text: str, service: Service, answers: dict) -> str:
    """The case's description: the resident's, then the answers to the service's questions
    (the people handling the case read them there)."""
    lines = []
    for attribute in service.attributes:
        if attribute.code not in answers:
            continue
        answer = answers[attribute.code]
        names = {str(v.get("key")): str(v.get("name")) for v in attribute.values}
        shown = (
            [names.get(value, value) for value in answer]
            if isinstance(answer, list)
            else [names.get(answer, answer)]
        )
        lines.append(f"{attribute.description}: {', '.join(shown)}")
    return "\n\n".join(part for part in (text.strip(), "\n".join(lines)) if part)


def _check_attributes(service: Service, raw: dict[str, list[str]], errors: dict) -> dict:
    """The answers to the service's questions, by code; problems go into `errors`."""
    known = {attribute.code: attribute for attribute in service.attributes if attribute.variable}
    answers = {}
    for code in raw:
        if code not in known:
            errors[f"attribute[{_short(code)}]"] = [
                _("This service has no attribute “%(code)s”.") % {"code": _short(code)}
            ]
    for code, attribute in known.items():
        values = [value.strip() for value in raw.get(code, []) if value.strip()]
        name = f"attribute[{code}]"
        if not values:
            if attribute.required:
                errors[name] = [_("This attribute is required.")]
            continue
        problem = _attribute_problem(attribute, values)
        if problem:
            errors[name] = [problem]
            continue
        multiple = attribute.datatype == ServiceAttribute.Datatype.MULTIVALUELIST
        answers[code] = list(dict.fromkeys(values)) if multiple else values[0]
    return answers


def _attribute_problem(attribute: ServiceAttribute, values: list[str]) -> str | None:
    D = ServiceAttribute.Datatype
    if attribute.datatype != D.MULTIVALUELIST and len(values) > 1:
        return _("Give one value.")
    value = values[0]
    if attribute.datatype in ServiceAttribute.LISTS:
        keys = {str(choice.get("key")) for choice in attribute.values}
        if any(v not in keys for v in values):
            return _("Choose from the values of the service definition.")
    elif attribute.datatype == D.NUMBER:
        try:
            number = Decimal(value)
        except InvalidOperation:
            return _("Enter a number.")
        if not number.is_finite():
            return _("Enter a number.")
    elif attribute.datatype == D.DATETIME:
        try:
            parsed = parse_datetime(value)
        except ValueError:
            parsed = None
        if parsed is None:
            return _("Enter a date and time (ISO 8601, e.g. 2024-05-01T09:30:00+08:00).")
    elif attribute.datatype == D.STRING and ("\n" in value or len(value) > STRING_LENGTH):
        return _("Enter one line of at most %(count)s characters.") % {"count": STRING_LENGTH}
    elif attribute.datatype == D.TEXT and len(value) > limits.DESCRIPTION:
        return _("Use at most %(count)s characters.") % {"count": limits.DESCRIPTION}
    return None


def _check_contact(submission: Submission, errors: dict) -> None:
    for name, value in submission.contact.items():
        if len(value) > CONTACT_LIMITS[name]:
            errors[name] = [
                _("Use at most %(count)s characters.") % {"count": CONTACT_LIMITS[name]}
            ]
    email = submission.contact.get("email")
    if email and "email" not in errors:
        try:
            EmailValidator()(email)
        except ValidationError:
            errors["email"] = [_("Enter a valid email address.")]
    if submission.media_url:
        try:
            URLValidator(schemes=["http", "https"])(submission.media_url)
            if len(submission.media_url) > 1000:
                raise ValidationError("too long")
        except ValidationError:
            errors["media_url"] = [_("Give an http or https URL of at most 1000 characters.")]


def _location(submission: Submission, errors: dict):
    """(grid, lng, lat, buildings) of the request: a point is filed where it lies (the grid is
    found by report_case); an address is matched to a building of the registry, whose grid
    (and point, where it has one) the case takes."""
    if submission.lat is not None and submission.lng is not None:
        return None, submission.lng, submission.lat, ()
    building = None
    if submission.address_id is not None:
        building = Building.objects.select_related("grid").filter(pk=submission.address_id).first()
        if building is None:
            errors["address_id"] = [_("No building of the district has this address_id.")]
    elif submission.address_string:
        text = " ".join(submission.address_string.split())
        found = list(Building.objects.select_related("grid").filter(address__iexact=text)[:20])
        grids = {b.grid_id for b in found}
        if not found:
            errors["address_string"] = [
                _(
                    "No building of the district has this address; send lat and long, or an "
                    "address exactly as the district's registry writes it."
                )
            ]
        elif len(grids) > 1:
            errors["address_string"] = [
                _("Several buildings in different grids have this address; send lat and long.")
            ]
        else:
            building = found[0]
    else:
        errors["lat"] = [_("Give lat and long, or an address_string or address_id.")]
    if building is None:
        return None, None, None, ()
    located = building.lng is not None and building.lat is not None
    if located and geo.lies_in(building.grid, building.lng, building.lat):
        return building.grid, building.lng, building.lat, (building,)
    return building.grid, None, None, (building,)


# Reading


def open311_requests():
    """Every request filed through Open311, with what its public answer shows, in one query:
    the case, its category, its holder, its lead department and its last change."""
    last_change = CaseEvent.objects.filter(case_id=OuterRef("case_id")).order_by("-at")
    lead = (
        Dispatch.objects.filter(case_id=OuterRef("case_id"), role=Dispatch.Role.LEAD)
        .exclude(status=Dispatch.Status.CANCELLED)
        .order_by("-dispatched_at", "-pk")
    )
    return Open311Request.objects.select_related("case__category", "case__holder").annotate(
        updated_at=Subquery(last_change.values("at")[:1]),
        lead_department=Subquery(lead.values("department__name")[:1]),
    )


def request_body(request: Open311Request) -> dict:
    """A request as GET requests answers it: the case's public facts, never the contact."""
    case = request.case
    closed = case.status in CLOSED_STATUSES
    lead = getattr(request, "lead_department", None)
    agency = lead if lead and case.status == Case.Status.DISPATCHED else case.holder.name
    return {
        "service_request_id": case.number,
        "status": "closed" if closed else "open",
        "status_notes": str(Case.Status(case.status).label),
        "service_name": _name(case.category),
        "service_code": case.category.code,
        "description": case.description,
        "agency_responsible": agency,
        "service_notice": None,
        "requested_datetime": w3(request.requested_at),
        "updated_datetime": w3(getattr(request, "updated_at", None) or request.requested_at),
        "expected_datetime": None if closed else w3(case.final_due_at or case.due_at),
        "address": case.address or None,
        "address_id": None,
        "zipcode": None,
        "lat": case.lat,
        "long": case.lng,
        "media_url": request.media_url or None,
    }


# The contact: masked, or revealed with a purpose and audited


def _mask_text(value: str) -> str:
    """Keep a quarter at most of a text (its ends), hide the rest."""
    if not value:
        return ""
    keep = min(2, len(value) // 4)
    return value[:keep] + "*" * (len(value) - 2 * keep) + value[len(value) - keep :]


def _mask_name(value: str) -> str:
    """The first character of a name of two or more, nothing of a name of one."""
    return value[:1] + "*" * (len(value) - 1) if len(value) > 1 else "*" * len(value)


def _mask_email(value: str) -> str:
    local, at, domain = value.partition("@")
    if not at:
        return _mask_text(value)
    return (local[:1] + "***" if local else "") + "@" + domain


def masked_contact(request: Open311Request) -> dict[str, str]:
    """The contact as everyone sees it by default."""
    return {
        "email": _mask_email(request.email),
        "first_name": _mask_name(request.first_name),
        "last_name": _mask_name(request.last_name),
        "phone": mask_phone(request.phone),
        "device_id": _mask_text(request.device_id),
        "account_id": _mask_text(request.account_id),
    }


def reveal_contact(
    request: Open311Request, *, actor, purpose: str, reason: str = ""
) -> dict[str, str]:
    """The full contact, for a caller the policy allows (open311.views checks it), with a purpose
    and a reason as the registry's reveals: always audited, and counted in the same hourly
    allowance (grid/limits.py raises LimitReached beyond it)."""
    return reveal_fields(
        request, Open311Request.CONTACT_FIELDS, actor=actor, purpose=purpose, reason=reason
    )


ATTRIBUTE_PARAMETER = re.compile(r"attribute\[([^\[\]]{1,64})\](\[\])?")
