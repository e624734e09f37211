"""What the maps draw besides the areas' boundaries (static/maps/sanhua-map.js): the basemap's
settings for the pages, the registry's buildings as points and the district's roads for the
offline basemap.

Coordinates are WGS-84 [lng, lat] (grid/geo.py); when the tiles are GCJ-02 the browser shifts
our shapes onto them, never the stored data.
"""

import json
from functools import cache
from pathlib import Path

from django.conf import settings
from django.db.models import QuerySet
from django.urls import reverse

from grid.models import Area, Building
from grid.tiles import tile_subdomains


def basemap_config() -> dict:
    """The basemap as sanhua-map.js reads it: a tile layer when one is configured, otherwise
    the offline basemap (tiles None)."""
    tiles = None
    if settings.SANHUA_TILE_URL:
        tiles = {
            "url": settings.SANHUA_TILE_URL,
            "labels_url": settings.SANHUA_TILE_LABELS_URL,
            "subdomains": tile_subdomains(settings.SANHUA_TILE_SUBDOMAINS),
            "attribution": settings.SANHUA_TILE_ATTRIBUTION,
            "max_zoom": settings.SANHUA_TILE_MAX_ZOOM,
        }
    return {
        "tiles": tiles,
        "crs": settings.SANHUA_TILE_CRS,
        "roads": bool(settings.SANHUA_MAP_ROADS),
        "urls": {
            "areas": reverse("area-geojson"),
            # The buildings of area 0: the map puts the area's id in place of the 0.
            "buildings": reverse("area-buildings", args=[0]),
            "roads": reverse("area-roads"),
        },
    }


def basemap(request) -> dict:
    """Context processor: `basemap` for the pages that draw a map (templates/maps/_assets.html
    puts it in the page as json_script)."""
    return {"basemap": basemap_config()}


def areas_geojson(areas) -> dict:
    """Areas already read (with their boundaries) as a FeatureCollection for a map's
    data-source: id and name, no query."""
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": area.pk,
                "geometry": area.boundary,
                "properties": {"id": area.pk, "name": area.name},
            }
            for area in areas
            if area.boundary
        ],
    }


def building_points(buildings) -> dict:
    """Buildings already read as a FeatureCollection of points (the located ones), no query."""
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": b.pk,
                "geometry": {"type": "Point", "coordinates": [b.lng, b.lat]},
                "properties": {"number": b.number, "name": b.name, "floors": b.floors},
            }
            for b in buildings
            if b.lng is not None and b.lat is not None
        ],
        "truncated": False,
    }


def buildings_geojson(area: Area) -> dict:
    """The buildings of the area's subtree that have a location, as GeoJSON points (number,
    name, floors and grid: no household or person), at most SANHUA_MAP_BUILDINGS_MAX of them;
    `truncated` says when there were more."""
    limit = settings.SANHUA_MAP_BUILDINGS_MAX
    rows = list(
        _located(Building.objects.filter(grid__path__startswith=area.path))
        .order_by("grid_id", "number")
        .values_list("id", "number", "name", "floors", "grid_id", "lng", "lat")[: limit + 1]
    )
    features = [
        {
            "type": "Feature",
            "id": pk,
            "geometry": {"type": "Point", "coordinates": [lng, lat]},
            "properties": {"number": number, "name": name, "floors": floors, "grid": grid},
        }
        for pk, number, name, floors, grid, lng, lat in rows[:limit]
    ]
    return {"type": "FeatureCollection", "features": features, "truncated": len(rows) > limit}


def _located(buildings: QuerySet[Building]) -> QuerySet[Building]:
    return buildings.exclude(lng=None).exclude(lat=None)


def roads_geojson() -> dict | None:
    """The roads file of SANHUA_MAP_ROADS as parsed GeoJSON, or None when there is none. Read
    once per file version (its modification time) and process."""
    if not settings.SANHUA_MAP_ROADS:
        return None
    path = Path(settings.SANHUA_MAP_ROADS)
    try:
        return _read_roads(str(path), path.stat().st_mtime)
    except (OSError, ValueError):
        return None


@cache
def _read_roads(path: str, mtime: float) -> dict:
    with open(path, encoding="utf-8") as handle:
        data = json.load(handle)
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise ValueError("not a FeatureCollection")
    return data
