"""API views of cases, dispatches, categories and notifications.

Every case and dispatch queryset goes through JurisdictionScopedMixin: a case is seen by the
areas above its grid and by the departments it was dispatched to; anything else is a 404,
whatever the method. Each workflow step is `POST /api/cases/{id}/{action}/` (or
`/api/dispatches/{id}/{action}/`): check the step (policies.check_case_step /
check_dispatch_step) before the body is parsed, parse it, call the one service, answer with the
fresh case (or dispatch). So the answers come in one order: 403 (the policy says no), 409 (a
lost race: a stale `version`, or a step the user could take before someone else moved the case;
or a step the status does not allow), then 400 (bad input, per field). governance/rest.py turns
the exceptions into these answers.
"""

from django.db.models import Prefetch
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.response import Response

from cases import cards, notifications, policies, services
from cases.api import serializers as s
from cases.exceptions import InvalidTransition
from cases.filtersets import (
    CaseFilterSet,
    CategoryFilterSet,
    DispatchFilterSet,
    NotificationFilterSet,
    cases_visible_to,
)
from cases.models import (
    Callback,
    Case,
    CaseEvent,
    Category,
    Dispatch,
    Notification,
    Supervision,
)
from cases.photos import photo_response
from cases.prefetch import prefetch_existing, with_relation_flags
from governance.pagination import KeysetPagination
from grid.api.scoping import DetailInScopeMixin
from grid.jurisdiction import JurisdictionScopedMixin
from grid.models import Building, Household, Person


class CaseCursorPagination(KeysetPagination):
    """Newest report first."""

    ordering = ("-reported_at", "-id")
    max_page_size = 200


class DispatchCursorPagination(CaseCursorPagination):
    ordering = ("-dispatched_at", "-id")


class NotificationCursorPagination(CaseCursorPagination):
    ordering = ("-created_at", "-id")


def _parse(serializer_class, request) -> dict:
    data = serializer_class(data=request.data, context={"request": request})
    data.is_valid(raise_exception=True)
    return dict(data.validated_data)


def _read_version(request) -> int | None:
    """The version the client says it read, looked at before the body is validated (the policy
    comes first); one that is not a whole number is the serializer's to refuse, after."""
    raw = request.data.get("version") if hasattr(request.data, "get") else None
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().isdecimal():
        return int(raw)
    return None


class ScopedWorkflowViewSet(DetailInScopeMixin, JurisdictionScopedMixin, viewsets.GenericViewSet):
    filter_backends = [DjangoFilterBackend]


CASE_DETAIL_PREFETCH = [
    Prefetch("events", queryset=CaseEvent.objects.select_related("actor").order_by("version")),
    "photos",
    Prefetch(
        "dispatches",
        # "lead" sorts after "cooperating": descending puts the lead first.
        queryset=Dispatch.objects.select_related("department", "dispatched_by").order_by(
            "-role", "id"
        ),
    ),
    Prefetch("supervisions", queryset=Supervision.objects.select_related("by")),
    Prefetch("callbacks", queryset=Callback.objects.select_related("by")),
    # Only ids go out: the registry rows themselves are read through the registry API.
    Prefetch("buildings", queryset=Building.objects.only("id")),
    Prefetch("households", queryset=Household.objects.only("id")),
    Prefetch("persons", queryset=Person.objects.only("id")),
]


# The columns a list shows (s.CaseSerializer), and no others: a page of fifty cases read every
# column of the case, its category, both areas (with their boundaries) and the reporter's
# account. tests/cases/test_reads.py would see a column missing here as a query per row.
CASE_LIST_COLUMNS = [
    *("id", "number", "title", "urgency", "source", "status", "level", "address", "lng", "lat"),
    *("due_at", "is_overdue", "rework_count", "escalation_count", "urge_count", "reported_at"),
    *("closed_at", "version", "category", "grid", "holder", "reporter"),
    *("category__code", "category__name", "category__name_en"),
    *("grid__level", "grid__code", "grid__name", "holder__level", "holder__code", "holder__name"),
    *("reporter__username", "reporter__first_name", "reporter__last_name"),
]


def _step_schema(request_class, summary: str, example: dict | None = None, *, files=False):
    """A step's schema; one that requires photos (`files`) takes multipart/form-data only."""
    media = ["multipart/form-data"] if files else ["application/json", "multipart/form-data"]
    return extend_schema(
        summary=summary,
        request=dict.fromkeys(media, request_class),
        examples=[OpenApiExample(summary, value=example, request_only=True)] if example else [],
        responses={
            200: s.CaseDetailSerializer,
            400: OpenApiResponse(description=gettext_lazy("Bad input, a message per field")),
            403: OpenApiResponse(
                description=gettext_lazy("The policy does not allow you this step")
            ),
            404: OpenApiResponse(description=gettext_lazy("No such case in your jurisdiction")),
            409: OpenApiResponse(
                description=gettext_lazy("Not allowed in the current status, or a stale version")
            ),
        },
    )


class PhotoNegotiation(BaseContentNegotiation):
    """A photo goes out as its own file whatever the client accepts; only an error is rendered,
    as JSON. Without this a client accepting just image/* would get 406 before the scope check."""

    def select_parser(self, request, parsers):
        return parsers[0]

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def _photo_schema(summary: str):
    return extend_schema(
        summary=summary,
        parameters=[OpenApiParameter("photo_id", int, OpenApiParameter.PATH)],
        responses={
            (200, "image/*"): OpenApiResponse(
                OpenApiTypes.BINARY, description=gettext_lazy("The image file")
            ),
        },
    )


class PhotoActionsMixin:
    """`photos/{photo_id}/` and `photos/{photo_id}/thumbnail/` of a row with `photos` (cases
    here, service requests in community): the file, to those who see the row; the thumbnail
    where it has one. Another row's photo, or none, is the same 404."""

    missing_photo = ""  # each viewset says whose photo is missing

    def _photo(self, photo_id: str):
        row = self.get_object()
        photo = row.photos.filter(pk=int(photo_id)).first() if photo_id.isdecimal() else None
        if photo is None:
            raise NotFound(self.missing_photo)
        return photo

    @_photo_schema(gettext_lazy("A photo (the file)"))
    @action(
        detail=True,
        url_path=r"photos/(?P<photo_id>[^/.]+)",
        url_name="photo",
        content_negotiation_class=PhotoNegotiation,
    )
    def photo(self, request, pk=None, photo_id=None):
        return photo_response(self._photo(photo_id))

    @_photo_schema(gettext_lazy("A photo, small (its thumbnail, or the photo)"))
    @action(
        detail=True,
        url_path=r"photos/(?P<photo_id>[^/.]+)/thumbnail",
        url_name="photo-thumbnail",
        content_negotiation_class=PhotoNegotiation,
    )
    def photo_thumbnail(self, request, pk=None, photo_id=None):
        return photo_response(self._photo(photo_id), thumbnail=True)


class CaseViewSet(
    PhotoActionsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedWorkflowViewSet
):
    """Cases (网格事件) in the user's areas and those dispatched to the user's department."""

    missing_photo = gettext_lazy("No such photo of this case.")

    jurisdiction_path = "grid__path"
    jurisdiction_department = "dispatches__department"
    queryset = Case.objects.select_related("category", "grid", "holder", "reporter")
    filterset_class = CaseFilterSet
    pagination_class = CaseCursorPagination

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "list":
            queryset = queryset.only(*CASE_LIST_COLUMNS)
        elif self.action == "retrieve":
            queryset = with_relation_flags(queryset, CASE_DETAIL_PREFETCH)
        return queryset

    def retrieve(self, request, pk=None):
        case = self.get_object()
        prefetch_existing(case, CASE_DETAIL_PREFETCH)
        return Response(self.get_serializer(case).data)

    def get_serializer_class(self):
        return s.CaseSerializer if self.action == "list" else s.CaseDetailSerializer

    def _detail(self, case_id: int, *, status_code=status.HTTP_200_OK) -> Response:
        case = super().get_queryset().prefetch_related(*CASE_DETAIL_PREFETCH).get(pk=case_id)
        return Response(
            s.CaseDetailSerializer(case, context=self.get_serializer_context()).data,
            status=status_code,
        )

    @extend_schema(
        request={
            "application/json": s.CaseReportInput,
            "multipart/form-data": s.CaseReportInput,
        },
        responses={201: s.CaseFiledSerializer, 200: s.CaseFiledSerializer},
        examples=[
            OpenApiExample(
                gettext_lazy("A report at a GPS point (photos: send multipart/form-data)"),
                value={
                    "category": "0501",
                    "title": "公交站点设置不合理",
                    "description": "乘客上车需踩踏花坛，老人和残疾人无法上车。",
                    "lng": 113.4553,
                    "lat": 23.1841,
                    "client_id": "7d4a9a52-5f0e-4a55-9a57-0c2e8b1f6a01",
                },
                request_only=True,
            )
        ],
    )
    def create(self, request):
        """File a case (上报). The answer is the case as written (the list's fields, its photos
        and its links; GET its `links.self` for the history). A repeat with a client id seen
        before answers 200 with the first case and writes nothing; the first answer is 201."""
        data = _parse(s.CaseReportInput, request)
        case, created = services.report_case(reporter=request.user, **data)
        if not created:
            if not cases_visible_to(request.user).filter(pk=case.pk).exists():
                # Someone else's client id: say nothing about their case.
                raise ValidationError(
                    {"client_id": [_("This client id belongs to another report; make a new one.")]}
                )
            case = super().get_queryset().get(pk=case.pk)
        return Response(
            s.filed_case_body(case, request),
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    def _act(self, request, step: str, input_class, service) -> Response:
        """Run one workflow step on the case: check it (policy, lost race, status), parse,
        call the service, answer with the fresh case. A 409 for the status lists what the user
        may do now."""
        case = self.get_object()
        try:
            policies.check_case_step(request.user, case, step, read_version=_read_version(request))
            data = _parse(input_class, request)
            data.pop("version", None)
            service(case, actor=request.user, **data)
        except InvalidTransition as exc:
            current = super().get_queryset().get(pk=case.pk)
            exc.allowed = policies.step_names(policies.case_actions_for(request.user, current))
            exc.status = current.status
            raise
        return self._detail(case.pk)

    @_step_schema(s.StepInput, "accept (签收)")
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        """The holder takes the case on; the handling deadline starts."""
        return self._act(request, "accept", s.StepInput, services.accept_case)

    @_step_schema(s.RejectInput, "reject (不予立案)", {"reason": "重复上报", "duplicate_of": 41})
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """Close the report as not registered: invalid, or a duplicate of `duplicate_of`."""
        return self._act(request, "reject", s.RejectInput, services.reject_case)

    @_step_schema(s.SelfResolveInput, "self_resolve (当场处置)", files=True)
    @action(detail=True, methods=["post"])
    def self_resolve(self, request, pk=None):
        """A grid worker resolved a minor case on the spot (with a photo of the result)."""
        return self._act(request, "self_resolve", s.SelfResolveInput, services.self_resolve_case)

    @_step_schema(s.ReasonInput, "escalate (上报)", {"reason": "需街道协调", "version": 1})
    @action(detail=True, methods=["post"])
    def escalate(self, request, pk=None):
        """Hand the case one level up, with a reason."""
        return self._act(request, "escalate", s.ReasonInput, services.escalate_case)

    @_step_schema(s.ReturnDownInput, "return_down (退回)")
    @action(detail=True, methods=["post"])
    def return_down(self, request, pk=None):
        """Send the case down one level (or to `to_level`), with a reason."""
        return self._act(request, "return_down", s.ReturnDownInput, services.return_case)

    # Not named `dispatch`: that would shadow APIView.dispatch, the entry of every request.
    @_step_schema(
        s.DispatchInput,
        "dispatch (派遣)",
        {
            "lead": "440112-JT",
            "cooperating": ["440112-JS", "440112-JJ"],
            "instructions": "调整站点位置",
            "version": 4,
        },
    )
    @action(detail=True, methods=["post"], url_path="dispatch", url_name="dispatch")
    def dispatch_case(self, request, pk=None):
        """Send the case to one lead department and any cooperating ones."""
        return self._act(request, "dispatch", s.DispatchInput, services.dispatch_case)

    @_step_schema(s.ResultInput, "resolve (处置完成)", {"result": "已清理", "version": 2})
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        """The holder handled the case itself; it waits for on-site verification."""
        return self._act(request, "resolve", s.ResultInput, services.resolve_case)

    @_step_schema(s.VerifyInput, "verify (核查)", files=True)
    @action(detail=True, methods=["post"])
    def verify(self, request, pk=None):
        """On-site check by a grid worker of the case's grid, with a photo: passed closes the
        case, failed sends it back for rework (a note is required)."""
        return self._act(request, "verify", s.VerifyInput, services.verify_case)

    @_step_schema(s.ReasonInput, "suspend (挂账)")
    @action(detail=True, methods=["post"])
    def suspend(self, request, pk=None):
        """Stop the clock, with a reason."""
        return self._act(request, "suspend", s.ReasonInput, services.suspend_case)

    @_step_schema(s.StepInput, "resume")
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        """Restart the clock; the case returns to where it was."""
        return self._act(request, "resume", s.StepInput, services.resume_case)

    @_step_schema(s.ReasonInput, "urge (督办)")
    @action(detail=True, methods=["post"])
    def urge(self, request, pk=None):
        """A supervision notice to the holder; the status does not change."""
        return self._act(request, "urge", s.ReasonInput, services.urge_case)

    @_step_schema(s.CallbackInput, "callback (回访)", {"satisfaction": 5, "comment": "居民很满意"})
    @action(detail=True, methods=["post"])
    def callback(self, request, pk=None):
        """A resident's rating of a closed case, 1 to 5."""
        return self._act(request, "callback", s.CallbackInput, services.callback_case)

    @_step_schema(s.ReasonInput, "reopen (重办)")
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        """Reopen a closed case for rework, with a reason."""
        return self._act(request, "reopen", s.ReasonInput, services.reopen_case)


def _dispatch_schema(request_class, summary: str, example: dict | None = None):
    return extend_schema(
        summary=summary,
        request={"application/json": request_class, "multipart/form-data": request_class},
        examples=[OpenApiExample(summary, value=example, request_only=True)] if example else [],
        responses={200: s.DispatchWithCaseSerializer},
    )


class DispatchViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedWorkflowViewSet):
    """Work dispatched to departments: a department's staff see their department's; the areas
    above a case's grid see its dispatches."""

    jurisdiction_path = "case__grid__path"
    jurisdiction_department = "department"
    # With the task card's relations (cases/cards.py): a page costs the same queries
    # whatever its length.
    queryset = cards.with_cards(
        Dispatch.objects.select_related("case__holder", "case__category", "dispatched_by")
    )
    serializer_class = s.DispatchWithCaseSerializer
    filterset_class = DispatchFilterSet
    pagination_class = DispatchCursorPagination

    def _act(self, request, step: str, input_class, service) -> Response:
        """A step on the dispatch, checked in the same order as a step on a case."""
        dispatch = self.get_object()
        try:
            policies.check_dispatch_step(
                request.user, dispatch, step, read_version=_read_version(request)
            )
            data = _parse(input_class, request)
            data.pop("version", None)
            service(dispatch, actor=request.user, **data)
        except InvalidTransition as exc:
            exc.allowed = policies.dispatch_actions_for(request.user, self.get_object())
            raise
        return Response(self.get_serializer(self.get_object()).data)

    @_dispatch_schema(s.StepInput, "sign (签收)")
    @action(detail=True, methods=["post"])
    def sign(self, request, pk=None):
        """The department signs for the work."""
        return self._act(request, "sign", s.StepInput, services.sign_dispatch)

    @_dispatch_schema(s.ReasonInput, "refuse (退单)", {"reason": "不属于本部门职责", "version": 1})
    @action(detail=True, methods=["post"])
    def refuse(self, request, pk=None):
        """The department refuses a wrong dispatch, with a reason; a refused lead sends the
        case back to its dispatcher."""
        return self._act(request, "refuse", s.ReasonInput, services.refuse_dispatch)

    @_dispatch_schema(s.ExtensionInput, "request_extension (申请延期)")
    @action(detail=True, methods=["post"])
    def request_extension(self, request, pk=None):
        """Ask for a later deadline, with a reason."""
        return self._act(request, "request_extension", s.ExtensionInput, services.request_extension)

    @_dispatch_schema(s.ExtensionDecisionInput, "approve_extension (审批延期)")
    @action(detail=True, methods=["post"])
    def approve_extension(self, request, pk=None):
        """The dispatching level approves (or declines) a requested extension."""
        return self._act(
            request, "approve_extension", s.ExtensionDecisionInput, services.approve_extension
        )

    @_dispatch_schema(s.DoneInput, "report_done (反馈)", {"result": "站台已迁移至人行道外侧"})
    @action(detail=True, methods=["post"])
    def report_done(self, request, pk=None):
        """The department reports its part done; the lead's report resolves the case. While
        cooperating departments have not reported, the lead's report is a 409
        (`cooperating_dispatches_open`, naming them) unless it gives `go_ahead_reason`: then
        their dispatches are closed with the case (`closed_with_case`)."""
        return self._act(request, "report_done", s.DoneInput, services.report_dispatch_done)


class CategoryViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The category tree (事件分类), whole: main classes and their subclasses, with routing
    defaults. Small reference data, so one unpaginated list."""

    jurisdiction_exempt = "the category table is public reference data"
    queryset = Category.objects.select_related("parent", "lead_department").prefetch_related(
        "cooperating_departments"
    )
    serializer_class = s.CategorySerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = CategoryFilterSet
    pagination_class = None


class NotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The signed-in user's own inbox, newest first."""

    jurisdiction_exempt = "the signed-in user's own inbox: rows are filtered to request.user"
    queryset = Notification.objects.select_related("case", "event")
    serializer_class = s.NotificationSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = NotificationFilterSet
    pagination_class = NotificationCursorPagination

    def get_queryset(self):
        return super().get_queryset().filter(user=self.request.user)

    @extend_schema(
        responses=inline_serializer("UnreadCount", {"unread": serializers.IntegerField()})
    )
    @action(detail=False, methods=["get"], url_path="unread-count")
    def unread_count(self, request):
        return Response({"unread": notifications.unread_count(request.user)})

    @extend_schema(
        request=s.MarkReadInput,
        responses=inline_serializer(
            "MarkedRead",
            {"marked": serializers.IntegerField(), "unread": serializers.IntegerField()},
        ),
    )
    @action(detail=False, methods=["post"], url_path="mark-read")
    def mark_read(self, request):
        """Mark the given notifications (or all) as read; others' ids are ignored."""
        data = _parse(s.MarkReadInput, request)
        marked = notifications.mark_read(request.user, None if data["all"] else data["ids"])
        return Response({"marked": marked, "unread": notifications.unread_count(request.user)})
