"""Conventions every API endpoint shares: errors as 4xx in one shape, with a message per field
(translated: Chinese by default, English with Accept-Language: en); pagination is in
governance/pagination.py.

Kept apart from governance/api.py because DRF imports these while it loads its own views.
"""

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.metadata import SimpleMetadata
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from cases.exceptions import ConcurrentCaseUpdate, CooperatingDispatchesOpen, InvalidTransition
from governance.errors import error_body


class Metadata(SimpleMetadata):
    """OPTIONS answers. DRF's own fetches the row to describe a PUT, and fails (a 500) when the
    URL names no row, as on a viewset's list-level PUT action: there the PUT is left out."""

    def determine_actions(self, request, view):
        lookup = getattr(view, "lookup_url_kwarg", None) or getattr(view, "lookup_field", None)
        if lookup and lookup not in (getattr(view, "kwargs", None) or {}):
            view.get_object = _no_row
        return super().determine_actions(request, view)


def _no_row():
    raise exceptions.NotFound


def _status_label(value: str) -> str:
    from cases.models import Case, Dispatch
    from community.models import ServiceRequest

    for choices in (Case.Status, Dispatch.Status, ServiceRequest.Status):
        if value in choices.values:
            return str(choices(value).label)
    return value


def error_response(status_code: int, detail, code: str, errors=None, **extra) -> Response:
    return Response(error_body(detail, code, errors, **extra), status=status_code)


def field_errors(detail, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested errors ({"photos": {"0": ["…"]}}, lists of dicts for many=True) as one
    level of messages per field, the path dotted ("photos.0")."""
    if isinstance(detail, dict):
        found = {}
        for key, value in detail.items():
            found.update(field_errors(value, f"{prefix}.{key}" if prefix else str(key)))
        return found
    if isinstance(detail, list) and any(isinstance(item, dict | list) for item in detail):
        found = {}
        for index, item in enumerate(detail):
            found.update(field_errors(item, f"{prefix}.{index}" if prefix else str(index)))
        return found
    messages = detail if isinstance(detail, list) else [detail]
    return {prefix or api_settings.NON_FIELD_ERRORS_KEY: [str(m) for m in messages if m]}


def _code_of(exc: exceptions.APIException) -> str:
    codes = exc.get_codes()
    return codes if isinstance(codes, str) else exc.default_code


def exception_handler(exc, context):
    """DRF's handler, plus Django's ValidationError (raised by services) and its refusal of a
    body over the size limit as a 400, and the workflow's refusals as a 409: a step the current
    status does not allow (with the actions the caller may take now), or a stale version
    (someone else changed the row first). Every answer in the shape of error_response."""
    if isinstance(exc, InvalidTransition):
        detail = _("The step “%(action)s” is not allowed in the status “%(status)s”.") % {
            "action": exc.action,
            "status": _status_label(exc.status),
        }
        return error_response(
            status.HTTP_409_CONFLICT,
            detail,
            "invalid_transition",
            status=exc.status,
            allowed_actions=list(exc.allowed),
        )
    if isinstance(exc, CooperatingDispatchesOpen):
        return error_response(
            status.HTTP_409_CONFLICT,
            exc.message(),
            "cooperating_dispatches_open",
            open_dispatches=[
                {
                    "id": pk,
                    "department": name,
                    "status": value,
                    "status_label": _status_label(value),
                }
                for pk, name, value in exc.dispatches
            ],
        )
    if isinstance(exc, ConcurrentCaseUpdate):
        return stale_version_response(exc.expected_version, exc.current_version)
    if isinstance(exc, RequestDataTooBig):
        # Django refuses a body over DATA_UPLOAD_MAX_MEMORY_SIZE when DRF reads it; answered
        # here so the API's 400 is JSON like its others, not Django's HTML error page.
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        exc = exceptions.ParseError(
            _("The request body is too large (at most %(kb)s KB).") % {"kb": limit // 1024}
        )
    if isinstance(exc, TooManyFieldsSent):
        # A form body with more fields than DATA_UPLOAD_MAX_NUMBER_FIELDS: JSON, as above.
        exc = exceptions.ParseError(
            _("The request has too many fields (at most %(count)s).")
            % {"count": settings.DATA_UPLOAD_MAX_NUMBER_FIELDS}
        )
    if isinstance(exc, TooManyFilesSent):
        exc = exceptions.ParseError(
            _("The request has too many files (at most %(count)s).")
            % {"count": settings.DATA_UPLOAD_MAX_NUMBER_FILES}
        )
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            detail = exc.message_dict
        else:
            detail = {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(detail)
    # DRF's own translation of Django's two, done here so the code below sees DRF's classes.
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(*exc.args)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # not an API exception: Django's 500, as for any bug
    if isinstance(exc, exceptions.ValidationError) or not isinstance(exc.detail, str):
        errors = field_errors(exc.detail)
        messages = [message for found in errors.values() for message in found]
        # One message is the whole story; several are summed up, each under its field.
        detail = messages[0] if len(messages) == 1 else _("Some of the input is not valid.")
        code = "invalid" if isinstance(exc, exceptions.ValidationError) else exc.default_code
        body = error_response(response.status_code, detail, code, errors).data
    else:
        body = error_response(response.status_code, exc.detail, _code_of(exc)).data
    response.data = body
    return response


def stale_version_response(your_version: int, current_version: int | None, **extra) -> Response:
    """409: the client read an older version of the row than the one stored now."""
    return error_response(
        status.HTTP_409_CONFLICT,
        extra.pop("detail", None)
        or _("Someone changed this after you read it; reload and try again."),
        "stale_version",
        your_version=your_version,
        current_version=current_version,
        **extra,
    )
