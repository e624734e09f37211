"""API of community services: the catalogue, service requests and their steps, visit schedules
(who is due a visit) and care visits.

Every request, schedule and visit queryset goes through JurisdictionScopedMixin (the row's grid
lies in one of the caller's areas; anything else is a 404, whatever the method). Each step is
`POST /api/service-requests/{id}/{action}/`: parse, refuse a stale `version`, call one service,
answer with the fresh request. Errors become 400 (per field), 403 (policy), 409 (status or
stale version) in governance/rest.py, as for cases.
"""

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from cases.api.views import (
    CaseCursorPagination,
    PhotoActionsMixin,
    ScopedWorkflowViewSet,
    _parse,
)
from cases.exceptions import ConcurrentCaseUpdate, InvalidTransition
from community import policies, services
from community.api import serializers as s
from community.filtersets import (
    CareVisitFilterSet,
    ServiceRequestFilterSet,
    VisitScheduleFilterSet,
    requests_visible_to,
    visits_visible_to,
)
from community.models import (
    CareVisit,
    Service,
    ServiceRequest,
    ServiceRequestEvent,
    VisitSchedule,
)

# Their bodies are the schema's Error and Conflict, as everywhere (governance/schema.py).
ERRORS = {
    400: OpenApiResponse(description=gettext_lazy("Bad input, a message per field")),
    403: OpenApiResponse(description=gettext_lazy("The policy does not allow this step")),
    404: OpenApiResponse(description=gettext_lazy("No such row in your jurisdiction")),
}
CONFLICT = {
    409: OpenApiResponse(
        description=gettext_lazy("Not allowed in the current status, or a stale version")
    )
}


def _check_version(row, version: int | None) -> None:
    """A client that says which version it read is refused (409) if the row moved on since;
    the workflow's compare-and-set covers the race between this read and the write."""
    if version is not None and version != row.version:
        raise ConcurrentCaseUpdate(version, row.version)


class RequestCursorPagination(CaseCursorPagination):
    ordering = ("-received_at", "-id")


class VisitCursorPagination(CaseCursorPagination):
    ordering = ("-visited_at", "-id")


class ScheduleCursorPagination(CaseCursorPagination):
    ordering = ("next_visit_on", "id")


class ServiceViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The service catalogue (社区服务目录): small reference data, one unpaginated list."""

    jurisdiction_exempt = "the service catalogue is public reference data"
    queryset = Service.objects.select_related("department")
    serializer_class = s.ServiceSerializer
    pagination_class = None

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.request.query_params.get("is_active") == "true":
            queryset = queryset.filter(is_active=True)
        return queryset


REQUEST_DETAIL_PREFETCH = [
    Prefetch(
        "events",
        queryset=ServiceRequestEvent.objects.select_related("actor").order_by("version"),
    ),
    "photos",
]


def _step_schema(request_class, summary: str):
    return extend_schema(
        summary=summary,
        request={"application/json": request_class, "multipart/form-data": request_class},
        responses={200: s.ServiceRequestDetailSerializer, **ERRORS, **CONFLICT},
    )


class ServiceRequestViewSet(
    PhotoActionsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedWorkflowViewSet
):
    """Residents' service requests (居民服务需求) in the caller's areas, and those of the
    services the caller's department owns."""

    missing_photo = gettext_lazy("No such photo of this request.")

    jurisdiction_path = "grid__path"
    jurisdiction_department = "service__department"
    queryset = ServiceRequest.objects.select_related(
        "service",
        "grid",
        "person__house__building",
        "household",
        "assignee",
        "recorded_by",
        "case",
    )
    filterset_class = ServiceRequestFilterSet
    pagination_class = RequestCursorPagination

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "retrieve":
            queryset = queryset.prefetch_related(*REQUEST_DETAIL_PREFETCH)
        return queryset

    def get_serializer_class(self):
        return (
            s.ServiceRequestSerializer
            if self.action == "list"
            else s.ServiceRequestDetailSerializer
        )

    def _detail(self, request_id: int, *, status_code=status.HTTP_200_OK) -> Response:
        row = super().get_queryset().prefetch_related(*REQUEST_DETAIL_PREFETCH).get(pk=request_id)
        serializer = s.ServiceRequestDetailSerializer(row, context=self.get_serializer_context())
        return Response(serializer.data, status=status_code)

    @extend_schema(
        request={
            "application/json": s.ServiceRequestInput,
            "multipart/form-data": s.ServiceRequestInput,
        },
        responses={
            201: s.ServiceRequestDetailSerializer,
            200: s.ServiceRequestDetailSerializer,
            **ERRORS,
        },
    )
    def create(self, request):
        """Record a service request. A repeat with a client id seen before answers 200 with
        the first request and writes nothing; the first answer is 201."""
        data = _parse(s.ServiceRequestInput, request)
        row, created = services.record_request(actor=request.user, **data)
        if not created and not requests_visible_to(request.user).filter(pk=row.pk).exists():
            raise ValidationError(
                {"client_id": [_("This client id belongs to another request; make a new one.")]}
            )
        return self._detail(row.pk, status_code=201 if created else 200)

    def _act(self, request, input_class, service) -> Response:
        row = self.get_object()
        data = _parse(input_class, request)
        _check_version(row, data.pop("version", None))
        try:
            service(row, actor=request.user, **data)
        except InvalidTransition as exc:
            current = super().get_queryset().get(pk=row.pk)
            exc.allowed = policies.request_actions_for(request.user, current)
            exc.status = current.status
            raise
        return self._detail(row.pk)

    @_step_schema(s.AssignInput, "accept (受理)")
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        """Take the request on; the caller handles it unless an assignee is named."""
        return self._act(request, s.AssignInput, services.accept_request)

    @_step_schema(s.AssignInput, "assign (指派/预约)")
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        """Name who handles it and when they meet the resident."""
        return self._act(request, s.AssignInput, services.assign_request)

    @_step_schema(s.CompleteInput, "complete (办结)")
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        """Done: the result, photos of the documents handed over, the satisfaction if asked."""
        return self._act(request, s.CompleteInput, services.complete_request)

    @_step_schema(s.DeclineInput, "decline (不予办理)")
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        """Not handled, with the reason told to the resident."""
        return self._act(request, s.DeclineInput, services.decline_request)

    @_step_schema(s.RateInput, "rate (满意度)")
    @action(detail=True, methods=["post"])
    def rate(self, request, pk=None):
        """The resident's satisfaction with a finished request, 1 to 5, once."""
        return self._act(request, s.RateInput, services.rate_request)

    @_step_schema(s.ConvertInput, "convert (转为事件)")
    @action(detail=True, methods=["post"])
    def convert(self, request, pk=None):
        """The request is a problem (a hazard, a dispute): file it as a case, linked both ways."""
        return self._act(request, s.ConvertInput, services.convert_request)


class VisitScheduleViewSet(mixins.ListModelMixin, ScopedWorkflowViewSet):
    """Visit schedules of the people with care tags; `?due=today` lists who is due or overdue,
    in walking order (building, unit, room)."""

    jurisdiction_path = "grid__path"
    queryset = VisitSchedule.objects.select_related("person__house__building", "grid")
    serializer_class = s.VisitScheduleSerializer
    filterset_class = VisitScheduleFilterSet
    pagination_class = ScheduleCursorPagination

    def get_queryset(self):
        return super().get_queryset().prefetch_related("person__care_tags")

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "today": timezone.localdate()}

    def paginate_queryset(self, queryset):
        # The walking order of ?due= is not a keyset order: that list is bounded instead.
        if self.request.query_params.get("due"):
            return None
        return super().paginate_queryset(queryset)

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if self.request.query_params.get("due"):
            return queryset[:500]
        return queryset


class CareVisitViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedWorkflowViewSet):
    """Care visits (走访) in the caller's areas."""

    jurisdiction_path = "grid__path"
    queryset = CareVisit.objects.select_related("person__house__building", "grid", "visitor")
    serializer_class = s.CareVisitSerializer
    filterset_class = CareVisitFilterSet
    pagination_class = VisitCursorPagination

    def get_queryset(self):
        return super().get_queryset().prefetch_related("service_requests")

    @extend_schema(
        request={"application/json": s.CareVisitInput, "multipart/form-data": s.CareVisitInput},
        responses={201: s.CareVisitSerializer, 200: s.CareVisitSerializer, **ERRORS, **CONFLICT},
    )
    def create(self, request):
        """Record a visit; the person's next visit date moves on. A need raised becomes a
        service request. A repeat with a client id seen before answers 200 with the first."""
        data = _parse(s.CareVisitInput, request)
        visit, created = services.record_visit(actor=request.user, **data)
        if not created and not visits_visible_to(request.user).filter(pk=visit.pk).exists():
            raise ValidationError(
                {"client_id": [_("This client id belongs to another visit; make a new one.")]}
            )
        row = self.get_queryset().get(pk=visit.pk)
        return Response(
            self.get_serializer(row).data, status=201 if created else status.HTTP_200_OK
        )
