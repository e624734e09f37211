"""Conventions every API endpoint shares: pagination, and errors as 4xx with a message per field
(translated: Chinese by default, English with Accept-Language: en).

Kept apart from governance/api.py because DRF imports these while it loads its own views.
"""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.metadata import SimpleMetadata
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from cases.exceptions import ConcurrentCaseUpdate, CooperatingDispatchesOpen, InvalidTransition


class StandardPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


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


def exception_handler(exc, context):
    """DRF's handler, plus Django's ValidationError (raised by services) and its refusal of a
    body over the size limit as a 400, and the workflow's refusals as a 409: a step the current
    status does not allow (with the actions the caller may take now), or a stale version
    (someone else changed the row first)."""
    if isinstance(exc, InvalidTransition):
        detail = _("The step “%(action)s” is not allowed in the status “%(status)s”.") % {
            "action": exc.action,
            "status": _status_label(exc.status),
        }
        body = {
            "detail": detail,
            "code": "invalid_transition",
            "status": exc.status,
            "allowed_actions": list(exc.allowed),
        }
        return Response(body, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, CooperatingDispatchesOpen):
        body = {
            "detail": exc.message(),
            "code": "cooperating_dispatches_open",
            "open_dispatches": [
                {
                    "id": pk,
                    "department": name,
                    "status": value,
                    "status_label": _status_label(value),
                }
                for pk, name, value in exc.dispatches
            ],
        }
        return Response(body, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, ConcurrentCaseUpdate):
        body = {
            "detail": _("Someone changed this after you read it; reload and try again."),
            "code": "stale_version",
            "your_version": exc.expected_version,
            "current_version": exc.current_version,
        }
        return Response(body, status=status.HTTP_409_CONFLICT)
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
    return drf_exception_handler(exc, context)
