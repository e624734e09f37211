"""The catalogue's read API: /api/datagov/datasets/ and /api/datagov/datasets/{key}/ (any
signed-in user; the catalogue describes datasets and holds none of their rows)."""

from django.db.models import Prefetch
from rest_framework import serializers, viewsets
from rest_framework.permissions import IsAuthenticated

from datagov.models import ClassChange, Dataset, DatasetField


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
