"""Boundaries and points without a GIS database: GeoJSON geometry checked and measured with
shapely, and the point → grid lookup (a bounding-box query, then an exact polygon test).

Coordinates are WGS-84 longitude/latitude, in GeoJSON order [lng, lat], as a phone's GPS gives
them. Boundaries traced on GCJ-02 maps must be converted before import.
"""

import math
from dataclasses import dataclass

import shapely
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry

from grid.memo import Memo
from grid.models import Area

BOUNDARY_TYPES = ("Polygon", "MultiPolygon")
# Metres per degree of latitude (and of longitude at the equator), near enough for distances of
# a few hundred metres.
METRES_PER_DEGREE = 111_320.0


@dataclass(frozen=True)
class BoundaryFacts:
    """What is stored beside a boundary so lookups need no geometry library in SQL."""

    centroid_lng: float
    centroid_lat: float
    min_lng: float
    min_lat: float
    max_lng: float
    max_lat: float


def parse_boundary(geometry: object) -> BaseGeometry:
    """Return the shapely shape of a GeoJSON Polygon/MultiPolygon, or raise ValidationError
    with a message that says what is wrong with it."""
    if not isinstance(geometry, dict):
        raise ValidationError(_("A boundary must be a GeoJSON geometry object."), code="invalid")
    kind = geometry.get("type")
    if kind not in BOUNDARY_TYPES:
        raise ValidationError(
            _("A boundary must be a Polygon or MultiPolygon, not %(kind)s.") % {"kind": kind},
            code="invalid_type",
        )
    try:
        geom = shape(geometry)
    except (KeyError, TypeError, ValueError, IndexError, AttributeError, shapely.GEOSException):
        raise ValidationError(
            _("The boundary's coordinates are malformed."), code="invalid_coordinates"
        ) from None
    if geom.is_empty:
        raise ValidationError(_("The boundary has no coordinates."), code="empty")
    min_lng, min_lat, max_lng, max_lat = geom.bounds
    if not (-180 <= min_lng <= max_lng <= 180 and -90 <= min_lat <= max_lat <= 90):
        raise ValidationError(
            _("Coordinates must be longitude, latitude in degrees (WGS-84)."),
            code="out_of_range",
        )
    if not geom.is_valid:
        raise ValidationError(
            _("The boundary is not a valid polygon: %(reason)s")
            % {"reason": shapely.is_valid_reason(geom)},
            code="invalid_polygon",
        )
    return geom


def boundary_facts(geom: BaseGeometry) -> BoundaryFacts:
    """Centroid and bounding box of a parsed boundary."""
    # A concave polygon's centroid can fall outside it; a map label should sit inside.
    centre = geom.centroid if geom.contains(geom.centroid) else geom.representative_point()
    min_lng, min_lat, max_lng, max_lat = geom.bounds
    return BoundaryFacts(centre.x, centre.y, min_lng, min_lat, max_lng, max_lat)


def parse_point(lng: object, lat: object) -> tuple[float, float]:
    """Validate a longitude/latitude pair; raise ValidationError per field."""
    errors = {}
    values = {}
    for field, raw, limit in (("lng", lng, 180), ("lat", lat, 90)):
        try:
            value = float(raw)
        except (TypeError, ValueError):
            errors[field] = _("Enter a number in degrees.")
            continue
        if not -limit <= value <= limit:
            errors[field] = _("Must be between -%(limit)s and %(limit)s degrees.") % {
                "limit": limit
            }
            continue
        values[field] = value
    if errors:
        raise ValidationError(errors)
    return values["lng"], values["lat"]


def areas_containing(lng: float, lat: float, *, queryset=None, level: int | None = None):
    """The areas (from `queryset`, default all) whose boundary covers the point, deepest first.

    A point on a shared edge belongs to both neighbours; callers that need one grid take the
    first, which is stable because the order is by level, then code.
    """
    candidates = (queryset if queryset is not None else Area.objects.all()).filter(
        min_lng__lte=lng, max_lng__gte=lng, min_lat__lte=lat, max_lat__gte=lat
    )
    if level is not None:
        candidates = candidates.filter(level=level)
    point = Point(lng, lat)
    return [a for a in candidates.order_by("-level", "code") if shape(a.boundary).covers(point)]


def grid_containing(lng: float, lat: float) -> Area | None:
    """The grid whose boundary covers the point, or None when it lies outside every grid."""
    found = areas_containing(lng, lat, level=Area.Level.GRID)
    return found[0] if found else None


def edge_tolerance_m() -> float:
    """How far outside a grid's boundary a GPS point may lie and still count as in the grid.

    A phone's fix is good to 5–30 m in the open and worse between tall buildings, and grid
    boundaries run along streets, so a report made on the boundary street must not be refused
    because the fix landed a few metres across it (settings.SANHUA_GRID_EDGE_TOLERANCE_M).
    """
    return float(settings.SANHUA_GRID_EDGE_TOLERANCE_M)


def distance_m(area: Area, lng: float, lat: float) -> float | None:
    """Metres from the point to the area's boundary (0 inside it), or None if it has none.

    Measured on a local flat projection around the point: exact enough at the scale of a grid.
    """
    if not area.boundary:
        return None
    scale_lng = METRES_PER_DEGREE * max(math.cos(math.radians(lat)), 0.01)

    def to_metres(coords):
        return (coords - (lng, lat)) * (scale_lng, METRES_PER_DEGREE)

    return shapely.transform(shape(area.boundary), to_metres).distance(Point(0, 0))


def lies_in(area: Area, lng: float, lat: float, *, tolerance_m: float | None = None) -> bool:
    """Whether the point lies in the area or within the edge tolerance of its boundary. An area
    without a boundary cannot be checked and takes any point."""
    distance = distance_m(area, lng, lat)
    if distance is None:
        return True
    return distance <= (edge_tolerance_m() if tolerance_m is None else tolerance_m)


@dataclass(frozen=True)
class GridShapes:
    """Every grid with its shape, for the point → grid lookup from memory."""

    grids: tuple[tuple[Area, BaseGeometry | None], ...]
    areas: dict[int, Area]


def _load_shapes() -> GridShapes:
    areas = {area.pk: area for area in Area.objects.order_by("code")}
    grids = tuple(
        (area, shape(area.boundary) if area.boundary else None)
        for area in areas.values()
        if area.level == Area.Level.GRID
    )
    for _area, geometry in grids:
        if geometry is not None:
            shapely.prepare(geometry)
    return GridShapes(grids, areas)


# Every filing looks its point up among the grids; boundaries change a few times a year. A
# district holds a few thousand areas at most: their shapes take a few megabytes per process.
SHAPES = Memo("grid-shapes", _load_shapes, models=(Area,))


def area_by_id(area_id: int) -> Area:
    """An area from memory (SHAPES), read-only: the holder of a case being filed."""
    found = SHAPES.get().areas.get(area_id)
    return found if found is not None else Area.objects.get(pk=area_id)


def grids_at(lng: float, lat: float, *, tolerance_m: float | None = None) -> list[Area]:
    """The grids the point lies in, or within the edge tolerance of, nearest first (the ones
    covering it, in code order, then the others by distance)."""
    tolerance = edge_tolerance_m() if tolerance_m is None else tolerance_m
    # The bounding boxes grown by the tolerance (in degrees, generously) keep the exact test to
    # a handful of candidates.
    dlat = tolerance / METRES_PER_DEGREE
    dlng = tolerance / (METRES_PER_DEGREE * max(math.cos(math.radians(lat)), 0.01))
    point = Point(lng, lat)
    near = []
    for grid, geometry in SHAPES.get().grids:
        if geometry is None or not (
            grid.min_lng <= lng + dlng
            and grid.max_lng >= lng - dlng
            and grid.min_lat <= lat + dlat
            and grid.max_lat >= lat - dlat
        ):
            continue
        # Most points lie inside a grid: the prepared shape answers that without measuring.
        distance = 0.0 if geometry.covers(point) else distance_m(grid, lng, lat)
        if distance is not None and distance <= tolerance:
            near.append((distance, grid.code, grid))
    return [grid for _distance, _code, grid in sorted(near, key=lambda row: row[:2])]
