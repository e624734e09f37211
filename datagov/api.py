"""The catalogue's read API: /api/datagov/datasets/ and /api/datagov/datasets/{key}/ (any
signed-in user; the catalogue describes datasets and holds none of their rows); sharing
requests and grants: /api/datagov/requests/ and /api/datagov/grants/ (docs/datagov.md)."""

from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.authentication import SessionAuthentication
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from datagov import sharing
from datagov.models import ClassChange, Dataset, DatasetField, Grant, SharingRequest
from governance.authentication import TokenAuthentication
from governance.clients import ApiKeyAuthentication, ClientRateThrottle
from governance.models import ApiClient
from governance.pagination import KeysetPagination
from governance.rest import error_response
from grid.api.fields import IdOrCodeField
from grid.jurisdiction import JurisdictionScopedMixin
from grid.models import Area, Department


class DatasetFieldSerializer(serializers.ModelSerializer):
    effective_class = serializers.CharField(read_only=True)

    class Meta:
        model = DatasetField
        fields = [
            "name",
            "label",
            "label_en",
            "meaning",
            "code_table",
            "standard",
            "sharing_class",
            "effective_class",
            "reason",
        ]


class ClassChangeSerializer(serializers.ModelSerializer):
    field = serializers.SlugRelatedField(slug_field="name", read_only=True, allow_null=True)
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = ClassChange
        fields = ["field", "actor", "from_class", "to_class", "reason", "at"]


class DatasetSerializer(serializers.ModelSerializer):
    owner_area = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    owner_department = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True
    )
    fields = DatasetFieldSerializer(many=True, read_only=True)

    class Meta:
        model = Dataset
        fields = [
            "key",
            "name",
            "name_en",
            "owner_area",
            "owner_department",
            "standard",
            "update_frequency",
            "sharing_class",
            "reason",
            "record_count",
            "counted_at",
            "fields",
        ]


class DatasetDetailSerializer(DatasetSerializer):
    changes = ClassChangeSerializer(many=True, read_only=True)

    class Meta(DatasetSerializer.Meta):
        fields = [*DatasetSerializer.Meta.fields, "changes"]


class DatasetViewSet(viewsets.ReadOnlyModelViewSet):
    """The resource catalogue (数据资源目录): datasets, their fields and sharing classes."""

    jurisdiction_exempt = "the catalogue describes datasets, it holds none of their rows"
    permission_classes = [IsAuthenticated]
    lookup_field = "key"
    lookup_value_regex = r"[a-z0-9_.]+"
    serializer_class = DatasetSerializer
    queryset = Dataset.objects.select_related("owner_area", "owner_department").prefetch_related(
        Prefetch(
            "fields",
            DatasetField.objects.select_related("dataset").order_by("position", "name"),
        )
    )

    def get_serializer_class(self):
        return DatasetDetailSerializer if self.action == "retrieve" else DatasetSerializer

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "retrieve":
            queryset = queryset.prefetch_related(
                Prefetch("changes", ClassChange.objects.select_related("field", "actor"))
            )
        return queryset


# Sharing requests and grants (共享需求): /api/datagov/requests/ and /api/datagov/grants/.
# Thin: the serializers parse, datagov/sharing.py decides and writes.


class PlaceSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class SharingRequestInSerializer(serializers.Serializer):
    department = IdOrCodeField(
        rows=lambda user: Department.objects.filter(
            pk__in=[d.pk for d in sharing.departments_of(user)]
        ),
        required=False,
        help_text="The requesting department (its id or code); by default the caller's only one. "
        "Not given when a system requests with its key.",
    )
    dataset = serializers.CharField(
        max_length=60, help_text="The dataset's key, e.g. grid.household"
    )
    fields = serializers.ListField(child=serializers.CharField(max_length=60), max_length=100)
    # Blank passes here so that the service names every problem at once.
    purpose = serializers.CharField(max_length=sharing.MAX_PURPOSE, allow_blank=True)
    area = IdOrCodeField(rows=lambda user: Area.objects.all())
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()


class SharingRequestSerializer(serializers.ModelSerializer):
    department = PlaceSerializer(allow_null=True, read_only=True)
    client = serializers.CharField(source="client.name", allow_null=True, read_only=True)
    dataset = serializers.CharField(source="dataset.key", read_only=True)
    fields = serializers.SerializerMethodField(method_name="field_names")
    area = PlaceSerializer(read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    decided_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    grant = serializers.SerializerMethodField()

    class Meta:
        model = SharingRequest
        fields = [
            "id", "department", "client", "dataset", "fields", "purpose", "area", "starts_on",
            "ends_on", "status", "status_label", "submitted_at", "decided_by", "decided_at",
            "reason", "grant",
        ]  # fmt: skip

    def field_names(self, request) -> list[str]:
        return sorted(f.name for f in request.fields.all())

    def get_grant(self, request) -> int | None:
        grant = (
            getattr(request, "grant", None) if request.status in ("approved", "narrowed") else None
        )
        return grant.pk if grant else None


class DecisionSerializer(serializers.Serializer):
    fields = serializers.ListField(
        child=serializers.CharField(max_length=60), max_length=100, required=False,
        help_text="The fields granted (default: all requested)",
    )  # fmt: skip
    area = IdOrCodeField(rows=lambda user: Area.objects.all(), required=False)
    starts_on = serializers.DateField(required=False)
    ends_on = serializers.DateField(required=False)
    reason = serializers.CharField(max_length=sharing.MAX_REASON, required=False, allow_blank=True)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=sharing.MAX_REASON, allow_blank=True)


class GrantSerializer(serializers.ModelSerializer):
    department = PlaceSerializer(allow_null=True, read_only=True)
    client = serializers.CharField(source="client.name", allow_null=True, read_only=True)
    dataset = serializers.CharField(source="dataset.key", read_only=True)
    fields = serializers.SerializerMethodField(method_name="field_names")
    area = PlaceSerializer(read_only=True)
    state = serializers.SerializerMethodField()

    class Meta:
        model = Grant
        fields = [
            "id", "request", "department", "client", "dataset", "fields", "area", "valid_from",
            "valid_until", "state", "issued_at", "revoked_at", "revoke_reason",
        ]  # fmt: skip

    def field_names(self, grant) -> list[str]:
        return [f.name for f in sharing.shown_fields(grant)]

    def get_state(self, grant) -> str:
        return sharing.state(grant)


class SharingScoped(JurisdictionScopedMixin):
    """Requests and grants: scoped by datagov.sharing's selectors (their department's, their
    own, those of their areas); anything else is a 404."""

    authentication_classes = [
        TokenAuthentication,
        SessionAuthentication,
        ApiKeyAuthentication,
    ]
    throttle_classes = [ClientRateThrottle]

    def http_method_not_allowed(self, request, *args, **kwargs):
        # As the registry's: a detail URL answers 404 for a row out of reach before it says
        # which methods it allows, so no method confirms that an id exists.
        if self.lookup_field in kwargs:
            self.get_object()
        return super().http_method_not_allowed(request, *args, **kwargs)


def _conflict(exc: sharing.StaleDecision) -> Response:
    return error_response(status.HTTP_409_CONFLICT, str(exc), "stale_decision")


class SharingRequestViewSet(SharingScoped, viewsets.ReadOnlyModelViewSet):
    """共享需求: a department (or a system, with its key) requests fields of an 按需共享 dataset;
    the owner of the area approves, narrows or refuses."""

    serializer_class = SharingRequestSerializer
    queryset = SharingRequest.objects.all()

    def get_queryset(self):
        return (
            sharing.requests_visible_to(self.request.user)
            .select_related("department", "client", "dataset", "area", "decided_by", "grant")
            .prefetch_related("fields")
            .order_by("-id")
        )

    @extend_schema(request=SharingRequestInSerializer, responses={201: SharingRequestSerializer})
    def create(self, request):
        client = request.auth if isinstance(request.auth, ApiClient) else None
        data = SharingRequestInSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        given = data.validated_data
        department = given.get("department")
        if department is None and client is None:
            mine = sharing.departments_of(request.user)
            department = mine[0] if len(mine) == 1 else None
        made = sharing.submit(
            actor=request.user,
            dataset=Dataset.objects.filter(key=given["dataset"]).first(),
            field_names=given["fields"],
            purpose=given["purpose"],
            area=given["area"],
            starts_on=given["starts_on"],
            ends_on=given["ends_on"],
            department=department,
            client=client,
        )
        return Response(
            self.get_serializer(self.get_queryset().get(pk=made.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=DecisionSerializer, responses={200: SharingRequestSerializer})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Approve as asked, or narrowed (fewer fields, a smaller area, a shorter period: with
        a reason). 409 when it was decided meanwhile."""
        row = self.get_object()
        data = DecisionSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        given = data.validated_data
        try:
            sharing.approve(
                row, actor=request.user, field_names=given.get("fields"),
                area=given.get("area"), starts_on=given.get("starts_on"),
                ends_on=given.get("ends_on"), reason=given.get("reason", ""),
            )  # fmt: skip
        except sharing.StaleDecision as exc:
            return _conflict(exc)
        return Response(self.get_serializer(self.get_queryset().get(pk=row.pk)).data)

    @extend_schema(request=ReasonSerializer, responses={200: SharingRequestSerializer})
    @action(detail=True, methods=["post"])
    def refuse(self, request, pk=None):
        row = self.get_object()
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            sharing.refuse(row, actor=request.user, reason=data.validated_data["reason"])
        except sharing.StaleDecision as exc:
            return _conflict(exc)
        return Response(self.get_serializer(self.get_queryset().get(pk=row.pk)).data)

    @extend_schema(request=None, responses={200: SharingRequestSerializer})
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        row = self.get_object()
        try:
            sharing.withdraw(row, actor=request.user)
        except sharing.StaleDecision as exc:
            return _conflict(exc)
        return Response(self.get_serializer(self.get_queryset().get(pk=row.pk)).data)


class GrantRecordsPagination(KeysetPagination):
    ordering = ("id",)


class GrantViewSet(SharingScoped, viewsets.ReadOnlyModelViewSet):
    """Grants issued on approved requests; `records` reads the granted fields under one."""

    serializer_class = GrantSerializer
    queryset = Grant.objects.all()

    def get_queryset(self):
        return (
            sharing.grants_visible_to(self.request.user)
            .select_related("department", "client", "dataset", "area", "request")
            .prefetch_related(Prefetch("fields", DatasetField.objects.order_by("position", "name")))
            .order_by("-id")
        )

    @extend_schema(request=ReasonSerializer, responses={200: GrantSerializer})
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        grant = self.get_object()
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            sharing.revoke(grant, actor=request.user, reason=data.validated_data["reason"])
        except sharing.StaleDecision as exc:
            return _conflict(exc)
        return Response(self.get_serializer(self.get_queryset().get(pk=grant.pk)).data)

    @extend_schema(
        parameters=[
            OpenApiParameter("cursor", str, description="The `next` or `previous` link's cursor"),
            OpenApiParameter("page_size", int, description="Rows a page (at most 500)"),
        ],
        responses={
            200: {
                "type": "object",
                "properties": {
                    "next": {"type": "string", "format": "uri", "nullable": True},
                    "previous": {"type": "string", "format": "uri", "nullable": True},
                    "results": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {"id": {"type": "integer"}},
                            "additionalProperties": True,
                        },
                    },
                },
                "required": ["next", "previous", "results"],
            }
        },
        summary="The granted fields of the dataset's rows in the grant's area (audited)",
    )
    @action(detail=True, methods=["get"], pagination_class=GrantRecordsPagination)
    def records(self, request, pk=None):
        """Cursor pages of `{id, <granted field>: value, …}`: only the granted fields, only
        rows in the grant's area, only while the grant is valid and for its grantee (403
        otherwise); every record read is an audit entry naming the grant."""
        grant = self.get_object()
        sharing.check_readable(grant, request.user)
        fields = sharing.shown_fields(grant)
        model_fields = sharing.model_fields(grant, fields)
        paginator = GrantRecordsPagination()
        page = paginator.paginate_queryset(
            sharing.page_queryset(grant, model_fields), request, view=self
        )
        sharing.audit_reads(grant, actor=request.user, records=page, fields=fields)
        return paginator.get_paginated_response(
            [sharing.values(record, model_fields) for record in page]
        )
