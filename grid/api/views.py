"""API views for areas, departments and the signed-in user. Thin: parse, call a service or a
selector, shape the answer. Every queryset goes through JurisdictionScopedMixin."""

from django.core.exceptions import PermissionDenied
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from grid import geo, maps, policies, services
from grid.api import serializers as s
from grid.filtersets import AreaFilterSet, DepartmentFilterSet
from grid.jurisdiction import JurisdictionScopedMixin
from grid.models import Area, Department, Post

# The answer of areas/geojson, as the schema names it: a GeoJSON FeatureCollection (RFC 7946,
# WGS-84) whose features are the areas' boundaries.
GEOJSON_AREAS = {
    "type": "object",
    "properties": {
        "type": {"type": "string", "enum": ["FeatureCollection"]},
        "features": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "type": {"type": "string", "enum": ["Feature"]},
                    "id": {"type": "integer"},
                    "geometry": {
                        "type": "object",
                        "description": "A GeoJSON geometry (a Polygon or MultiPolygon), WGS-84.",
                        "properties": {
                            "type": {"type": "string"},
                            "coordinates": {"type": "array", "items": {}},
                        },
                        "required": ["type", "coordinates"],
                    },
                    "properties": {
                        "type": "object",
                        "properties": {
                            "id": {"type": "integer"},
                            "code": {"type": "string"},
                            "name": {"type": "string"},
                            "level": {"type": "integer"},
                            "parent": {"type": "integer", "nullable": True},
                        },
                        "required": ["id", "code", "name", "level", "parent"],
                    },
                },
                "required": ["type", "id", "geometry", "properties"],
            },
        },
    },
    "required": ["type", "features"],
}

GEOJSON_BUILDINGS = {
    "type": "object",
    "description": "A GeoJSON FeatureCollection of Points (WGS-84), one per located building.",
    "properties": {
        "type": {"type": "string", "enum": ["FeatureCollection"]},
        "truncated": {"type": "boolean", "description": "More buildings than one answer holds"},
        "features": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "type": {"type": "string", "enum": ["Feature"]},
                    "id": {"type": "integer"},
                    "geometry": {
                        "type": "object",
                        "properties": {
                            "type": {"type": "string", "enum": ["Point"]},
                            "coordinates": {"type": "array", "items": {"type": "number"}},
                        },
                        "required": ["type", "coordinates"],
                    },
                    "properties": {
                        "type": "object",
                        "properties": {
                            "number": {"type": "string"},
                            "name": {"type": "string"},
                            "floors": {"type": "integer"},
                            "grid": {"type": "integer"},
                        },
                        "required": ["number", "name", "floors", "grid"],
                    },
                },
                "required": ["type", "id", "geometry", "properties"],
            },
        },
    },
    "required": ["type", "features", "truncated"],
}
GEOJSON_ROADS = {
    "type": "object",
    "description": "A GeoJSON FeatureCollection of the roads' lines (WGS-84), as given.",
    "properties": {
        "type": {"type": "string", "enum": ["FeatureCollection"]},
        "features": {"type": "array", "items": {"type": "object"}},
    },
    "required": ["type", "features"],
}


class AreaViewSet(
    JurisdictionScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """The district → street → community → grid hierarchy, as far as the user's posts reach."""

    jurisdiction_path = "path"
    queryset = Area.objects.all()
    filterset_class = AreaFilterSet
    ordering_fields = ["code", "name", "level"]
    ordering = ["code"]

    def get_serializer_class(self):
        return s.AreaDetailSerializer if self.action == "retrieve" else s.AreaSerializer

    @extend_schema(request=s.AreaCreateInput, responses={201: s.AreaDetailSerializer})
    def create(self, request):
        data = s.AreaCreateInput(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        if not policies.can_manage_areas(request.user, data.validated_data["parent"]):
            raise PermissionDenied(_("Only administrators may change the hierarchy."))
        area = services.create_area(**data.validated_data)
        return Response(s.AreaDetailSerializer(area).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.AreaUpdateInput, responses=s.AreaDetailSerializer)
    def partial_update(self, request, pk=None):
        area = self.get_object()
        data = s.AreaUpdateInput(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        if not policies.can_manage_areas(request.user, area.parent):
            raise PermissionDenied(_("Only administrators may change the hierarchy."))
        area = services.update_area(area, **data.validated_data)
        return Response(s.AreaDetailSerializer(area).data)

    @extend_schema(
        parameters=[
            OpenApiParameter("lng", float, required=True),
            OpenApiParameter("lat", float, required=True),
        ],
        responses={
            200: s.AreaDetailSerializer,
            404: OpenApiResponse(
                description=gettext_lazy("The point lies outside every grid you can see.")
            ),
        },
    )
    @action(detail=False, methods=["get"])
    def locate(self, request):
        """The grid that contains a GPS point (WGS-84), among the grids the user can see."""
        point = s.PointInput(data=request.query_params)
        point.is_valid(raise_exception=True)
        found = geo.areas_containing(
            point.validated_data["lng"],
            point.validated_data["lat"],
            queryset=self.get_queryset(),
            level=Area.Level.GRID,
        )
        if not found:
            raise NotFound(_("The point lies outside every grid you can see."))
        return Response(s.AreaDetailSerializer(found[0]).data)

    @extend_schema(responses={200: GEOJSON_AREAS})
    @action(detail=False, methods=["get"])
    def geojson(self, request):
        """The filtered areas as a GeoJSON FeatureCollection, for maps drawn without tiles."""
        areas = self.filter_queryset(self.get_queryset()).exclude(boundary=None)
        features = [
            {
                "type": "Feature",
                "id": area.pk,
                "geometry": area.boundary,
                "properties": {
                    "id": area.pk,
                    "code": area.code,
                    "name": area.name,
                    "level": area.level,
                    "parent": area.parent_id,
                },
            }
            for area in areas.only("id", "code", "name", "level", "parent_id", "boundary")
        ]
        return Response({"type": "FeatureCollection", "features": features})

    @extend_schema(responses={200: GEOJSON_BUILDINGS})
    @action(detail=True, methods=["get"])
    def buildings(self, request, pk=None):
        """The located buildings of the area and its subtree as GeoJSON points, for the offline
        basemap (number, name, floors, grid: nothing about who lives there)."""
        area = self.get_object()
        response = Response(maps.buildings_geojson(area))
        # Buildings change rarely; a map panned back and forth asks once per few minutes.
        patch_cache_control(response, private=True, max_age=300)
        return response

    @extend_schema(responses={200: GEOJSON_ROADS})
    @action(detail=False, methods=["get"])
    def roads(self, request):
        """The district's roads (SANHUA_MAP_ROADS) as GeoJSON lines for the offline basemap;
        an empty collection when none were given. Public geography, the same for everyone."""
        response = Response(maps.roads_geojson() or {"type": "FeatureCollection", "features": []})
        patch_cache_control(response, private=True, max_age=3600)
        return response

    @extend_schema(request=s.BoundaryImportInput, responses=s.BoundaryImportSerializer)
    @action(detail=False, methods=["post"], url_path="import-boundaries")
    def import_boundaries(self, request):
        """Set or create area boundaries from a GeoJSON FeatureCollection, all or nothing."""
        if not policies.can_manage_areas(request.user):
            raise PermissionDenied(_("Only a superuser may import boundaries."))
        report = services.import_boundaries(request.data)
        if not report.ok:
            raise ValidationError({"features": report.errors})
        return Response(s.BoundaryImportSerializer(report).data)


class DepartmentViewSet(JurisdictionScopedMixin, viewsets.ReadOnlyModelViewSet):
    """Departments in the user's areas, and the user's own department."""

    jurisdiction_path = "area__path"
    jurisdiction_department = "pk"
    queryset = Department.objects.select_related("area")
    serializer_class = s.DepartmentSerializer
    filterset_class = DepartmentFilterSet
    ordering = ["code"]


class MeView(APIView):
    """Who am I: the signed-in user and their posts."""

    # The user's own record needs no area scope: it is the request's identity.
    jurisdiction_exempt = "the signed-in user's own record"

    @extend_schema(responses=s.MeSerializer)
    def get(self, request):
        user = request.user
        posts = Post.objects.filter(user=user, is_active=True).select_related("area", "department")
        return Response(
            s.MeSerializer(
                {
                    "id": user.pk,
                    "username": user.get_username(),
                    "get_full_name": user.get_full_name(),
                    "is_superuser": user.is_superuser,
                    "posts": posts,
                }
            ).data
        )
