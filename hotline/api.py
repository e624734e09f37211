"""The hotline's door: POST /api/hotline/work-orders/ takes a work order (docs/hotline.md gives
the JSON), GET …/work-orders/{number}/ answers where it stands, and …/photos/ serves the photos
of its result, to the client application (kind "hotline") that sent it and to no one else.

Thin: the serializer checks the shape of the body, hotline.services.receive_work_order does
the rest; errors are the API's (a message per field, in the request's language).
"""

from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from cases import limits
from cases.models import Case, Urgency
from cases.photos import photo_response
from governance.clients import ApiKeyAuthentication, ClientRateThrottle
from governance.models import ApiClient
from hotline import services
from hotline.models import WorkOrder


class IsHotline(permissions.BasePermission):
    """Called with the key of a client application of kind "hotline"."""

    message = gettext_lazy("Only the 12345 hotline's client application may call this.")

    def has_permission(self, request, view):
        client = request.auth
        return isinstance(client, ApiClient) and client.kind == ApiClient.Kind.HOTLINE


class CallerSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=60, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True)


class WorkOrderInSerializer(serializers.Serializer):
    number = serializers.CharField(max_length=40, help_text="The hotline's work-order number.")
    category = serializers.CharField(max_length=40, help_text="The hotline's category code.")
    title = serializers.CharField(max_length=limits.TITLE, required=False, allow_blank=True)
    content = serializers.CharField(max_length=limits.DESCRIPTION)
    urgency = serializers.ChoiceField(choices=Urgency.choices, required=False)
    lng = serializers.FloatField(required=False, allow_null=True)
    lat = serializers.FloatField(required=False, allow_null=True)
    address = serializers.CharField(max_length=limits.ADDRESS, required=False, allow_blank=True)
    caller = CallerSerializer(required=False)
    due_at = serializers.DateTimeField(help_text="The hotline's deadline.")
    return_by = serializers.DateTimeField(
        required=False, allow_null=True, help_text="Until when the order may be returned."
    )

    def service_arguments(self) -> dict:
        data = dict(self.validated_data)
        caller = data.pop("caller", {})
        data["category_code"] = data.pop("category")
        data["caller_name"] = caller.get("name", "")
        data["caller_phone"] = caller.get("phone", "")
        return data


class WorkOrderOutSerializer(serializers.Serializer):
    number = serializers.CharField()
    case = serializers.CharField(source="case.number", help_text="Our case number.")
    status = serializers.ChoiceField(source="case.status", choices=Case.Status.choices)
    status_label = serializers.CharField(source="case.get_status_display")
    grid = serializers.CharField(source="case.grid.name")
    due_at = serializers.DateTimeField(source="case.hotline_due_at")
    received_at = serializers.DateTimeField()
    signed_at = serializers.DateTimeField(allow_null=True)
    returned_at = serializers.DateTimeField(allow_null=True)
    created = serializers.BooleanField(help_text="False: a repeat of a number already received.")


class HotlineView(APIView):
    jurisdiction_exempt = (
        "the hotline's client application, by its key: only the work orders it sent"
    )
    authentication_classes = [ApiKeyAuthentication]
    permission_classes = [IsHotline]
    throttle_classes = [ClientRateThrottle]

    def work_order(self, number: str) -> WorkOrder:
        work_order = (
            WorkOrder.objects.select_related("case__grid")
            .filter(number=number, client=self.request.auth)
            .first()
        )
        if work_order is None:
            raise Http404(_("No such work order."))
        return work_order


def _answer(work_order: WorkOrder, created: bool, code: int) -> Response:
    work_order.created = created
    return Response(WorkOrderOutSerializer(work_order).data, status=code)


class WorkOrderListView(HotlineView):
    @extend_schema(
        request=WorkOrderInSerializer,
        responses={201: WorkOrderOutSerializer, 200: WorkOrderOutSerializer},
        summary="Receive a 12345 work order (idempotent by its number)",
    )
    def post(self, request):
        serializer = WorkOrderInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            work_order, created = services.receive_work_order(
                client=request.auth, **serializer.service_arguments()
            )
        except services.NotNow as exc:
            return Response({"detail": str(exc), "code": "conflict"}, status=409)
        return _answer(work_order, created, status.HTTP_201_CREATED if created else 200)


class WorkOrderDetailView(HotlineView):
    @extend_schema(responses=WorkOrderOutSerializer, summary="Where a work order stands")
    def get(self, request, number: str):
        return _answer(self.work_order(number), False, 200)


class DeadlineSerializer(serializers.Serializer):
    due_at = serializers.DateTimeField(help_text="The hotline's new deadline.")
    reason = serializers.CharField(max_length=limits.REASON, required=False, allow_blank=True)


class WorkOrderDeadlineView(HotlineView):
    @extend_schema(
        request=DeadlineSerializer,
        responses=WorkOrderOutSerializer,
        summary="The hotline moves its deadline (its answer to an extension request)",
    )
    def post(self, request, number: str):
        work_order = self.work_order(number)
        serializer = DeadlineSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            services.move_deadline(work_order, **serializer.validated_data)
        except services.NotNow as exc:
            return Response({"detail": str(exc), "code": "conflict"}, status=409)
        work_order.case.refresh_from_db(fields=["hotline_due_at"])
        return _answer(work_order, False, 200)


class PhotoSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.CharField()


class WorkOrderPhotosView(HotlineView):
    @extend_schema(responses=PhotoSerializer(many=True), summary="The photos of the result")
    def get(self, request, number: str):
        work_order = self.work_order(number)
        photos = services.result_photos(work_order.case)
        return Response([{"id": p.pk, "url": services.photo_link(work_order, p)} for p in photos])


class WorkOrderPhotoView(HotlineView):
    @extend_schema(
        responses={(200, "image/jpeg"): OpenApiTypes.BINARY}, summary="One photo of the result"
    )
    def get(self, request, number: str, pk: int):
        work_order = self.work_order(number)
        photo = services.result_photos(work_order.case).filter(pk=pk).first()
        if photo is None:
            raise Http404(_("No such photo."))
        return photo_response(photo)
