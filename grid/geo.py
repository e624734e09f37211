"""Boundaries and points without a GIS database: GeoJSON geometry checked and measured with
shapely, and the point → grid lookup (a bounding-box query, then an exact polygon test).

Coordinates are WGS-84 longitude/latitude, in GeoJSON order [lng, lat], as a phone's GPS gives
them. Boundaries traced on GCJ-02 maps must be converted before import.
"""

from dataclasses import dataclass

import shapely
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry

from grid.models import Area

BOUNDARY_TYPES = ("Polygon", "MultiPolygon")


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
