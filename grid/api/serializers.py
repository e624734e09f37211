"""Shapes of areas, departments and posts on the wire. Output serializers are `<Model>Serializer`;
inputs are `<Model><Action>Input` and only check shape: the rules live in grid/services.py."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from grid.jurisdiction import areas_visible_to
from grid.models import Area, Department, Post


@extend_schema_serializer(component_name="AreaReference")
class AreaBriefSerializer(serializers.ModelSerializer):
    """An area named in another row: its id, level, code and name."""

    class Meta:
        model = Area
        fields = ["id", "level", "code", "name"]


class AreaSerializer(serializers.ModelSerializer):
    level_display = serializers.CharField(source="get_level_display", read_only=True)
    centroid = serializers.SerializerMethodField()

    class Meta:
        model = Area
        fields = ["id", "level", "level_display", "code", "name", "parent", "path", "centroid"]

    def get_centroid(self, area) -> list[float] | None:
        if area.centroid_lng is None:
            return None
        return [area.centroid_lng, area.centroid_lat]


class AreaDetailSerializer(AreaSerializer):
    class Meta(AreaSerializer.Meta):
        fields = [*AreaSerializer.Meta.fields, "boundary", "created_at", "updated_at"]


@extend_schema_field(OpenApiTypes.INT)
class _VisibleAreaField(serializers.PrimaryKeyRelatedField):
    """An area id the requesting user can see; any other id reads as nonexistent."""

    def get_queryset(self):
        return areas_visible_to(self.context["request"].user)


class AreaCreateInput(serializers.Serializer):
    level = serializers.ChoiceField(choices=Area.Level.choices)
    code = serializers.CharField(max_length=20)
    name = serializers.CharField(max_length=100)
    parent = _VisibleAreaField(required=False, allow_null=True, default=None)
    boundary = serializers.JSONField(required=False, allow_null=True, default=None)


class AreaUpdateInput(serializers.Serializer):
    code = serializers.CharField(max_length=20, required=False)
    name = serializers.CharField(max_length=100, required=False)
    parent = _VisibleAreaField(required=False)
    boundary = serializers.JSONField(required=False, allow_null=True)


class BoundaryImportInput(serializers.Serializer):
    type = serializers.CharField()
    features = serializers.ListField(child=serializers.JSONField(), allow_empty=False)


class BoundaryImportSerializer(serializers.Serializer):
    created = serializers.ListField(child=serializers.CharField())
    updated = serializers.ListField(child=serializers.CharField())


class PointInput(serializers.Serializer):
    lng = serializers.FloatField(min_value=-180, max_value=180, help_text=_("Longitude, WGS-84"))
    lat = serializers.FloatField(min_value=-90, max_value=90, help_text=_("Latitude, WGS-84"))


@extend_schema_serializer(component_name="DepartmentReference")
class DepartmentBriefSerializer(serializers.Serializer):
    """A department named in another row: its id, code, name and short name."""

    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    short_name = serializers.CharField()


class DepartmentSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    area = AreaBriefSerializer(read_only=True)

    class Meta:
        model = Department
        fields = ["id", "code", "name", "short_name", "kind", "kind_display", "area", "is_active"]


class PostSerializer(serializers.ModelSerializer):
    role_display = serializers.CharField(source="get_role_display", read_only=True)
    area = AreaBriefSerializer(read_only=True, allow_null=True)  # a department's post has none
    department = DepartmentBriefSerializer(read_only=True, allow_null=True)  # an area's has none

    class Meta:
        model = Post
        fields = ["id", "role", "role_display", "area", "department"]


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField(source="get_full_name")
    is_superuser = serializers.BooleanField()
    posts = PostSerializer(many=True)
