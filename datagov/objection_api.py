"""API of the objections (数据异议), under /api/datagov/objections/: list, create, retrieve, and
the steps `resolve` (correct the record through the registry) and `reject` (with a reason).

Thin: input serializers check shape, datagov/objections.py checks the rules and writes. Every
queryset is scoped to the caller's jurisdiction (out of scope is 404); a step is checked in the
API's one order: 404, 403 (not the record's community), 409 (already resolved: code
`invalid_transition`, with the objection's `status` and no `allowed_actions`), then 400.
"""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from datagov import objections
from datagov.models import Objection
from datagov.objection_forms import CorrectionForm, ObjectionFilterSet
from governance.rest import error_response
from grid.api.scoping import DetailInScopeMixin
from grid.jurisdiction import JurisdictionScopedMixin

CONFLICT = OpenApiResponse(description=gettext_lazy("The objection was resolved already"))


class ObjectionSerializer(serializers.ModelSerializer):
    dataset = serializers.CharField(source="dataset_key", read_only=True)
    record_id = serializers.IntegerField(read_only=True)
    grid = serializers.SlugRelatedField(slug_field="code", read_only=True)
    fields = serializers.ListField(source="field_names", child=serializers.CharField())
    raised_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    resolved_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    allowed_actions = serializers.SerializerMethodField()

    class Meta:
        model = Objection
        fields = [
            "id",
            "record_type",
            "record_id",
            "dataset",
            "grid",
            "kind",
            "fields",
            "text",
            "status",
            "raised_by",
            "raised_at",
            "resolved_by",
            "resolved_at",
            "resolution",
            "audit_entry",
            "life_event",
            "allowed_actions",
        ]

    def get_allowed_actions(self, objection) -> list[str]:
        if objection.status != Objection.Status.OPEN:
            return []
        paths = self.context.get("resolver_paths", ())
        if objections.can_resolve(self.context["request"].user, objection, paths):
            return ["resolve", "reject"]
        return []


class ObjectionCreateInput(serializers.Serializer):
    record_type = serializers.ChoiceField(choices=Objection.RecordType.choices)
    record_id = serializers.IntegerField(min_value=1)
    kind = serializers.CharField(max_length=30)
    fields = serializers.ListField(
        child=serializers.CharField(max_length=60), required=False, max_length=20
    )
    text = serializers.CharField(allow_blank=True, max_length=2000)


class ObjectionResolveInput(serializers.Serializer):
    correction = serializers.ChoiceField(
        choices=[objections.UPDATE, objections.MOVE_OUT, objections.DEATH],
        default=objections.UPDATE,
    )
    changes = serializers.DictField(
        required=False,
        help_text=gettext_lazy("Field → corrected value, for the correction “update”."),
    )
    on = serializers.DateField(required=False, allow_null=True)
    resolution = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class ObjectionRejectInput(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, max_length=2000)


def _parse(serializer_class, request) -> dict:
    data = serializer_class(data=request.data)
    data.is_valid(raise_exception=True)
    return dict(data.validated_data)


class ObjectionViewSet(
    DetailInScopeMixin,
    JurisdictionScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Objections (数据异议) against registry records in the caller's jurisdiction."""

    jurisdiction_path = "grid__path"
    permission_classes = [IsAuthenticated]
    serializer_class = ObjectionSerializer
    queryset = Objection.objects.select_related("grid", "raised_by", "resolved_by").order_by("-id")
    filter_backends = [DjangoFilterBackend]
    filterset_class = ObjectionFilterSet

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if self.action == "list":
            context["resolver_paths"] = objections.resolver_paths(self.request.user)
        else:
            context["resolver_paths"] = objections.ASK
        return context

    def handle_exception(self, exc):
        if isinstance(exc, objections.ObjectionClosed):
            label = Objection.Status(exc.status).label
            return error_response(
                status.HTTP_409_CONFLICT,
                _("The objection is already closed (%(status)s).") % {"status": label},
                "invalid_transition",
                status=exc.status,
                allowed_actions=[],
            )
        return super().handle_exception(exc)

    def _answer(self, objection, status_code=status.HTTP_200_OK) -> Response:
        objection = self.get_queryset().get(pk=objection.pk)
        return Response(self.get_serializer(objection).data, status=status_code)

    @extend_schema(request=ObjectionCreateInput, responses={201: ObjectionSerializer})
    def create(self, request):
        """Raise an objection against a record you can read (a person, household, house or
        building); 404 for a record outside your jurisdiction."""
        data = _parse(ObjectionCreateInput, request)
        record = objections.visible_record(request.user, data["record_type"], data["record_id"])
        objection = objections.raise_objection(
            actor=request.user,
            record=record,
            kind=data["kind"],
            text=data["text"],
            fields=data.get("fields", []),
        )
        return self._answer(objection, status.HTTP_201_CREATED)

    def _check_step(self, objection) -> None:
        if not objections.can_resolve(self.request.user, objection):
            raise PermissionDenied(
                _("Only the staff of the record's community resolve objections.")
            )
        if objection.status != Objection.Status.OPEN:
            raise objections.ObjectionClosed(objection.status)

    @extend_schema(
        request=ObjectionResolveInput, responses={200: ObjectionSerializer, 409: CONFLICT}
    )
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        """Correct the record through the registry (its history records the change) and close
        the objection as corrected: `update` with `changes`, or for a person `move_out` or
        `death` (on `on`)."""
        objection = self.get_object()
        self._check_step(objection)
        data = _parse(ObjectionResolveInput, request)
        changes = {}
        if data["correction"] == objections.UPDATE:
            changes = self._changes(objection, data.get("changes") or {})
        objections.resolve_by_correction(
            objection,
            actor=request.user,
            correction=data["correction"],
            changes=changes,
            on=data.get("on"),
            resolution=data.get("resolution", ""),
        )
        return self._answer(objection)

    def _changes(self, objection, given: dict) -> dict:
        """The values read as the page's form reads them; a field that cannot be corrected is
        named in the errors."""
        allowed = objections.correctable_fields(objection.record_type)
        errors = {
            f"changes.{name}": [_("This field cannot be changed here.")]
            for name in given
            if name not in allowed
        }
        if errors:
            raise ApiValidationError(errors)
        form = CorrectionForm(
            {"correction": objections.UPDATE, **given}, record_type=objection.record_type
        )
        if not form.is_valid():
            raise ApiValidationError(
                {f"changes.{name}": problems for name, problems in form.errors.items()}
            )
        return form.changes()

    @extend_schema(
        request=ObjectionRejectInput, responses={200: ObjectionSerializer, 409: CONFLICT}
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """Close the objection without changing the record; `reason` is required."""
        objection = self.get_object()
        self._check_step(objection)
        data = _parse(ObjectionRejectInput, request)
        objections.reject(objection, actor=request.user, reason=data["reason"])
        return self._answer(objection)
