"""API of registry imports: POST a CSV/XLSX file to start a job, GET a job for its progress and
report. Thin: grid/imports.py checks the permission, stores the file and enqueues the task.

Jobs are scoped like the pages: the jobs of areas in the caller's jurisdiction, and the caller's
own uploads; any other job is a 404.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from grid import imports
from grid.api.serializers import AreaBriefSerializer
from grid.jurisdiction import JurisdictionScopedMixin
from grid.models import Area, ImportJob


@extend_schema_field(OpenApiTypes.STR)
class PlainChoiceField(serializers.ChoiceField):
    """A choice documented as a plain string listing its values: as an enum, its schema name
    ("kind", "status") would collide with other models' choices of the same name."""

    def __init__(self, choices, **kwargs):
        kwargs.setdefault("help_text", "One of: " + ", ".join(value for value, _label in choices))
        super().__init__(choices, **kwargs)


class RowErrorSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    field = serializers.CharField()
    column = serializers.CharField(required=False)
    sheet = serializers.CharField(required=False)
    message = serializers.CharField()


class ImportJobSerializer(serializers.ModelSerializer):
    area = AreaBriefSerializer(read_only=True)
    # Null when the uploading user was removed.
    uploader = serializers.CharField(source="uploader.get_username", default=None, allow_null=True)
    kind = PlainChoiceField(ImportJob.Kind.choices, read_only=True)
    mode = PlainChoiceField(ImportJob.Mode.choices, read_only=True)
    status = PlainChoiceField(ImportJob.Status.choices, read_only=True)
    processed_rows = serializers.SerializerMethodField()
    created = serializers.DictField(child=serializers.IntegerField())
    errors = RowErrorSerializer(many=True)

    class Meta:
        model = ImportJob
        fields = [
            "id", "area", "uploader", "file_name", "kind", "mode", "status", "total_rows",
            "processed_rows", "written_rows", "bad_rows", "created", "errors", "created_at",
            "started_at", "finished_at",
        ]  # fmt: skip

    def get_processed_rows(self, job) -> int:
        return imports.job_progress(job)["processed"]


class ImportJobInput(serializers.Serializer):
    file = serializers.FileField()
    area = serializers.PrimaryKeyRelatedField(queryset=Area.objects.none())
    kind = PlainChoiceField(ImportJob.Kind.choices, default=ImportJob.Kind.AUTO)
    mode = PlainChoiceField(ImportJob.Mode.choices, default=ImportJob.Mode.ALL_OR_NOTHING)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")  # none when the schema is generated
        if request is not None:
            self.fields["area"].queryset = imports.areas_open_to_import(request.user)


class ImportJobViewSet(
    JurisdictionScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Registry import jobs: upload a file (multipart), then follow the job until it finishes."""

    jurisdiction_path = "area__path"
    queryset = ImportJob.objects.select_related("area", "uploader")
    serializer_class = ImportJobSerializer
    parser_classes = [MultiPartParser, FormParser]
    filterset_fields = ["status", "area"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        # The jurisdiction, plus the caller's own uploads (their post may have changed since).
        own = ImportJob.objects.filter(uploader=self.request.user)
        return super().get_queryset() | own.select_related("area", "uploader")

    @extend_schema(request=ImportJobInput, responses={201: ImportJobSerializer})
    def create(self, request):
        data = ImportJobInput(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        job = imports.start_import(
            actor=request.user,
            upload=data.validated_data["file"],
            area=data.validated_data["area"],
            mode=data.validated_data["mode"],
            kind=data.validated_data["kind"],
        )
        return Response(ImportJobSerializer(job).data, status=status.HTTP_201_CREATED)
