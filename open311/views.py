"""The Open311 GeoReport v2 door, under /open311/v2/ (docs/open311.md): thin views that parse
the specification's parameters, call open311/services.py and answer in the format the URL's
extension names, errors included ([{"code": 400, "description": "…"}] or <errors>).

Client applications are ours (governance.ApiClient, kind Open311): the specification carries the
key as `api_key` in the request; the X-Api-Key header is read too. A POST needs a key (403 without
a good one, as the specification says); the reads are public, and a key given with them is checked
all the same. Each client is held to its own rate (ClientRateThrottle), everyone else to a rate per
address (SANHUA_OPEN311_ADDRESS_RATE), wrong keys included: a flood of guessed keys is a 429.
"""

import math

from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import (
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic.detail import SingleObjectMixin
from rest_framework import exceptions, throttling
from rest_framework.authentication import BaseAuthentication
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from governance.clients import HEADER, ClientRateThrottle, client_for_key
from governance.forms import bootstrap_classes
from governance.models import ApiClient
from grid.jurisdiction import JurisdictionScopedMixin
from grid.limits import LimitReached
from grid.policies import can_reveal_personal_data
from grid.registry_views import RevealForm
from open311 import formats, services
from open311.models import Open311Request

MAX_TEXT = 4000  # the specification's bound on a description; ours is tighter (cases/limits.py)
MAX_IDS = 100  # service_request_id values in one GET requests
MAX_REQUESTS = 1000  # the specification's default query limit
SPAN_DAYS = 90
IDEMPOTENCY_HEADER = "HTTP_IDEMPOTENCY_KEY"
CONTROL_CHARACTERS = {chr(c) for c in range(32)} - {"\t", "\n", "\r"}


class KeyAuthentication(BaseAuthentication):
    """The client whose key the request carries (`api_key` in the body or the query, or the
    X-Api-Key header). Never refuses by itself: a missing or wrong key is the view's 403, after
    the throttles."""

    def authenticate(self, request):
        key = request.META.get(HEADER)
        if key is None and request.method == "POST":
            key = request.data.get("api_key")
        if key is None:
            key = request.query_params.get("api_key")
        request._open311_key_given = bool(key)
        client = client_for_key(key) if key else None
        if client is None or client.kind != ApiClient.Kind.OPEN311:
            return None
        return client.user, client


class AddressRateThrottle(throttling.SimpleRateThrottle):
    """Requests without a client's key, per address (SANHUA_OPEN311_ADDRESS_RATE, default
    300/min): the public reads, and attempts with missing or wrong keys."""

    scope = "open311_address"

    def get_rate(self):
        return getattr(settings, "SANHUA_OPEN311_ADDRESS_RATE", "300/min")

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class FormatNegotiation(BaseContentNegotiation):
    """The URL's extension names the format; an Accept header does not change it (nor refuse)."""

    def select_parser(self, request, parsers):
        for parser in parsers:
            if request.content_type.split(";")[0].strip() == parser.media_type:
                return parser
        return None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class Open311View(APIView):
    # GeoReport v2 is its own public contract (docs/open311.md), not part of /api/schema/.
    schema = None
    authentication_classes = [KeyAuthentication]
    permission_classes = []
    throttle_classes = []
    parser_classes = [FormParser, MultiPartParser]
    renderer_classes = [JSONRenderer]
    content_negotiation_class = FormatNegotiation
    key_required = False

    @property
    def fmt(self) -> str:
        return self.kwargs.get("fmt", "xml")

    def initial(self, request, *args, **kwargs):
        if self.fmt not in formats.FORMATS:
            raise exceptions.NotFound(_("Unknown format: use .xml or .json."))
        super().initial(request, *args, **kwargs)
        client = request.auth if isinstance(request.auth, ApiClient) else None
        throttle = ClientRateThrottle() if client else AddressRateThrottle()
        if not throttle.allow_request(request, self):
            self.throttled(request, throttle.wait())
        if client is None and (self.key_required or getattr(request, "_open311_key_given", False)):
            raise exceptions.PermissionDenied(
                _("Invalid api_key: ask the district for a key of an Open311 application.")
                if getattr(request, "_open311_key_given", False)
                else _("Give the api_key of your Open311 application.")
            )
        self.district = self._jurisdiction(request)

    def _jurisdiction(self, request):
        source = request.data if request.method == "POST" else request.query_params
        given = source.get("jurisdiction_id") or ""
        given = given.strip() if isinstance(given, str) else "?"
        if not given:
            return None
        district = services.districts().get(given)
        if district is None:
            raise exceptions.NotFound(
                _("Unknown jurisdiction_id “%(id)s”: this endpoint serves %(ids)s.")
                % {"id": given[:40], "ids": ", ".join(sorted(services.districts()))}
            )
        return district

    def handle_exception(self, exc):
        """Every refusal in the specification's shape, with a 4xx."""
        if isinstance(exc, exceptions.Throttled):
            wait = math.ceil(exc.wait or 60)
            return formats.error_response(
                self.fmt,
                429,
                [_("Too many requests; try again in %(seconds)d seconds.") % {"seconds": wait}],
                Retry_After=str(wait),
            )
        if isinstance(exc, DjangoValidationError):
            return formats.error_response(self.fmt, 400, _descriptions(exc))
        if isinstance(exc, (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent)):
            return formats.error_response(
                self.fmt, 400, [_("The request body is too large or has too many fields.")]
            )
        if isinstance(exc, SuspiciousOperation):  # e.g. a multipart body Django cannot read
            return formats.error_response(self.fmt, 400, [_("The request body is malformed.")])
        if isinstance(exc, Http404 | exceptions.NotFound):
            message = exc.detail if isinstance(exc, exceptions.NotFound) else _("Not found.")
            return formats.error_response(self.fmt, 404, [message])
        if isinstance(exc, exceptions.APIException):
            status = exc.status_code
            if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
                status = 403
            elif isinstance(exc, exceptions.UnsupportedMediaType):
                status = 400
                exc = exceptions.ParseError(
                    _(
                        "Send the request form-encoded (application/x-www-form-urlencoded) or "
                        "as multipart/form-data."
                    )
                )
            detail = exc.detail
            messages = detail if isinstance(detail, list) else [detail]
            return formats.error_response(self.fmt, status, [str(m) for m in messages])
        return super().handle_exception(exc)


def _descriptions(error: DjangoValidationError) -> list[str]:
    if not hasattr(error, "error_dict"):
        return error.messages
    return [
        f"{name}: {message}" if name != "__all__" else message
        for name, messages in error.message_dict.items()
        for message in messages
    ]


def _text(data, name: str, errors: dict) -> str:
    value = data.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        errors[name] = [_("Send this as text.")]
        return ""
    if CONTROL_CHARACTERS.intersection(value):
        errors[name] = [_("This text holds control characters.")]
        return ""
    if len(value) > MAX_TEXT:
        errors[name] = [_("Use at most %(count)s characters.") % {"count": MAX_TEXT}]
        return ""
    return value.strip()


def _number(data, name: str, limit: float, errors: dict) -> float | None:
    value = data.get(name)
    if value in (None, ""):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = None
    if number is None or not -limit <= number <= limit:
        errors[name] = [
            _("Enter a number between -%(limit)s and %(limit)s degrees.") % {"limit": limit}
        ]
        return None
    return number


class Discovery(Open311View):
    def get(self, request, fmt):
        url = request.build_absolute_uri("/open311/v2")
        changeset = services.changeset()
        contact = _("Ask the district's grid governance office (三化办) for help.")
        return formats.response(
            fmt,
            "discovery",
            {
                "changeset": changeset,
                "contact": contact,
                "key_service": _(
                    "An administrator of the district registers your application and gives you "
                    "its api_key (docs/open311.md)."
                ),
                "endpoints": [
                    {
                        "specification": services.SPECIFICATION,
                        "url": url,
                        "changeset": changeset,
                        "type": "production",
                        "formats": [formats.CONTENT_TYPES["xml"].split(";")[0], "application/json"],
                    }
                ],
            },
        )


class ServiceList(Open311View):
    def get(self, request, fmt):
        return formats.response(fmt, "services", services.services_body())


class ServiceDefinition(Open311View):
    def get(self, request, fmt, code):
        service = services.service_of(code)
        if service is None:
            raise exceptions.NotFound(_("Unknown service code “%(code)s”.") % {"code": code[:40]})
        return formats.response(fmt, "service_definition", services.definition_body(service))


class Requests(Open311View):
    """GET: requests filed through Open311, by the specification's filters. POST: file one."""

    @property
    def key_required(self) -> bool:
        return self.request.method == "POST"

    def get(self, request, fmt):
        rows = services.open311_requests()
        params = request.query_params
        ids = _list(params.get("service_request_id"))
        if ids:
            if len(ids) > MAX_IDS:
                message = _("Ask for at most %(count)s ids.") % {"count": MAX_IDS}
                raise DjangoValidationError({"service_request_id": [message]})
            rows = rows.filter(case__number__in=ids)
        else:
            rows = _filtered(rows, params)
        body = [services.request_body(row) for row in rows[:MAX_REQUESTS]]
        return formats.response(fmt, "service_requests", body)

    def post(self, request, fmt):
        submission = _submission(request, self.district)
        if services.service_of(submission.service_code) is None:
            raise exceptions.NotFound(
                _("Unknown service code “%(code)s”: see services.xml.")
                % {"code": submission.service_code[:40]}
            )
        filed, created = services.file_request(request.auth, submission)
        case = filed.case
        body = [
            {
                "service_request_id": case.number,
                "service_notice": _("Waiting for acceptance by %(holder)s.")
                % {"holder": case.holder.name}
                if created
                else None,
                "account_id": None,
            }
        ]
        return formats.response(fmt, "service_requests", body, status=201 if created else 200)


def _list(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def _filtered(rows, params):
    errors = {}
    codes = _list(params.get("service_code"))
    if codes:
        rows = rows.filter(case__category__code__in=codes[:MAX_IDS])
    statuses = _list(params.get("status"))
    unknown = set(statuses) - {"open", "closed"}
    if unknown:
        errors["status"] = [_("Use open, closed or both (comma delimited).")]
    elif statuses == ["open"]:
        rows = rows.exclude(case__status__in=services.CLOSED_STATUSES)
    elif statuses == ["closed"]:
        rows = rows.filter(case__status__in=services.CLOSED_STATUSES)
    dates = {}
    for name in ("start_date", "end_date"):
        value = params.get(name)
        if not value:
            continue
        try:
            moment = parse_datetime(value.strip())
        except ValueError:
            moment = None
        if moment is None:
            errors[name] = [_("Use the W3C format, e.g. 2024-05-01T00:00:00Z.")]
            continue
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        dates[name] = moment
    if errors:
        raise DjangoValidationError(errors)
    span = timezone.timedelta(days=SPAN_DAYS)
    end = dates.get("end_date") or (
        dates["start_date"] + span if "start_date" in dates else timezone.now()
    )
    start = dates.get("start_date") or end - span
    if end < start or end - start > span:
        raise DjangoValidationError(
            {
                "start_date": [
                    _("The range must run forwards and span at most %(days)s days.")
                    % {"days": SPAN_DAYS}
                ]
            }
        )
    return rows.filter(requested_at__gte=start, requested_at__lte=end)


def _submission(request, district) -> services.Submission:
    data, errors = request.data, {}
    code = _text(data, "service_code", errors)
    if not code and "service_code" not in errors:
        errors["service_code"] = [_("Give the service_code of a service (GET services).")]
    lat = _number(data, "lat", 90, errors)
    lng = _number(data, "long", 180, errors)
    if (lat is None) != (lng is None) and not errors.keys() & {"lat", "long"}:
        errors["lat" if lat is None else "long"] = [_("Give both lat and long.")]
    address_id = None
    raw_id = _text(data, "address_id", errors)
    if raw_id:
        if raw_id.isascii() and raw_id.isdecimal() and len(raw_id) < 18:
            address_id = int(raw_id)
        else:
            errors["address_id"] = [_("An address_id is a number.")]
    attributes = {}
    for name in data:
        match = services.ATTRIBUTE_PARAMETER.fullmatch(name)
        if match:
            values = data.getlist(name) if hasattr(data, "getlist") else [data[name]]
            attributes.setdefault(match.group(1), []).extend(
                _text({name: value}, name, errors) for value in values
            )
    if len(attributes) > services.MAX_ATTRIBUTES:
        errors["attribute"] = [_("Too many attributes.")]
    media = request.FILES.get("media")
    key = request.META.get(IDEMPOTENCY_HEADER) or _text(data, "idempotency_key", errors)
    if key and (len(key) > 100 or CONTROL_CHARACTERS.intersection(key)):
        errors["idempotency_key"] = [_("Use at most 100 printable characters.")]
    submission = services.Submission(
        service_code=code,
        description=_text(data, "description", errors),
        lat=lat,
        lng=lng,
        address_string=_text(data, "address_string", errors),
        address_id=address_id,
        media_url=_text(data, "media_url", errors),
        media=media,
        attributes=attributes,
        contact={
            name: value
            for name in Open311Request.CONTACT_FIELDS
            if (value := _text(data, name, errors))
        },
        idempotency_key=key.strip() if key else "",
        district=district,
    )
    if errors:
        raise DjangoValidationError(errors)
    return submission


class RequestDetail(Open311View):
    def get(self, request, fmt, request_id):
        row = services.open311_requests().filter(case__number=request_id[:40]).first()
        if row is None:
            raise exceptions.NotFound(
                _("No service request has the id “%(id)s”.") % {"id": request_id[:40]}
            )
        return formats.response(fmt, "service_requests", [services.request_body(row)])


class Token(Open311View):
    """Our services are realtime (POST answers the id at once); a token is the idempotency key
    an app sent with its request, so an app whose answer was lost can find the request."""

    def get(self, request, fmt, token):
        rows = Open311Request.objects.filter(idempotency_key=token[:100]).select_related("case")
        if isinstance(request.auth, ApiClient):
            rows = rows.filter(client=request.auth)
        found = [
            {"service_request_id": row.case.number, "token": row.idempotency_key}
            for row in rows[:10]
        ]
        if not found:
            raise exceptions.NotFound(_("No request was filed with this token."))
        return formats.response(fmt, "service_requests", found)


class Unknown(Open311View):
    def get(self, request, *args, **kwargs):
        raise exceptions.NotFound(_("No such Open311 resource; see discovery.xml."))

    post = get


class Contact(LoginRequiredMixin, JurisdictionScopedMixin, SingleObjectMixin, View):
    """The contact an app sent with a request, for the staff who see its case (scoped like the
    case: its grid's areas, and the departments it is dispatched to): masked; a POST with a
    purpose, when the registry's policy allows, shows it in full once, audited."""

    model = Open311Request
    queryset = Open311Request.objects.select_related("case__grid", "client")
    jurisdiction_path = "case__grid__path"
    jurisdiction_department = "case__dispatches__department"
    template_name = "open311/contact.html"

    def _render(self, row, *, status=200, **context):
        shown = context.pop("shown", None) or services.masked_contact(row)
        context.setdefault("form", bootstrap_form(RevealForm()))
        context["row"] = row
        context["can_reveal"] = can_reveal_personal_data(self.request.user, row.case.grid)
        context["fields"] = [
            (name, Open311Request._meta.get_field(name).verbose_name, shown[name])
            for name in Open311Request.CONTACT_FIELDS
        ]
        return render(self.request, self.template_name, context, status=status)

    def get(self, request, pk):
        return self._render(self.get_object())

    def post(self, request, pk):
        row = self.get_object()
        if not can_reveal_personal_data(request.user, row.case.grid):
            raise PermissionDenied(_("You may not see the full contact of this request."))
        form = bootstrap_form(RevealForm(request.POST))
        if not form.is_valid():
            return self._render(row, form=form, status=400)
        try:
            shown = services.reveal_contact(row, actor=request.user, **form.cleaned_data)
        except DjangoValidationError as error:
            form.add_error(None, error)
            return self._render(row, form=form, status=400)
        except LimitReached as exc:
            answer = self._render(row, limit_reached=str(exc), status=429)
            answer["Retry-After"] = str(exc.retry_after)
            return answer
        return self._render(row, shown=shown, revealed=True)


def bootstrap_form(form):
    bootstrap_classes(form.fields.values())
    return form
