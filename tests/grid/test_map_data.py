"""What the maps draw besides boundaries (grid/maps.py, grid/tiles.py): the registry's buildings
of an area as GeoJSON points, scoped like the area itself (out of scope: 404), capped, in a
fixed number of queries; the roads file; the basemap's settings on the pages and the tile
server's origins in the Content-Security-Policy."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from grid.models import Building
from grid.tiles import tile_origins, tile_subdomains

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def building(grid, number: str, *, located: bool = True) -> Building:
    return Building.objects.create(
        grid=grid,
        number=number,
        name=f"{number}栋",
        address=f"测试路{number}号",
        floors=7,
        lng=grid.centroid_lng if located else None,
        lat=grid.centroid_lat if located else None,
    )


def test_an_area_s_buildings_come_as_points_with_nothing_about_residents(login, home_grids):
    first = building(home_grids[0], "1")
    building(home_grids[0], "2", located=False)  # no location: nothing to draw

    response = login("grid1").get(f"/api/areas/{home_grids[0].pk}/buildings/")

    assert response.status_code == 200
    assert response.json() == {
        "type": "FeatureCollection",
        "truncated": False,
        "features": [
            {
                "type": "Feature",
                "id": first.pk,
                "geometry": {"type": "Point", "coordinates": [first.lng, first.lat]},
                "properties": {"number": "1", "name": "1栋", "floors": 7, "grid": home_grids[0].pk},
            }
        ],
    }
    assert "private" in response["Cache-Control"]
    assert "max-age=300" in response["Cache-Control"]


def test_a_community_s_buildings_cover_its_grids(login, home_community, home_grids):
    building(home_grids[0], "1")
    building(home_grids[1], "1")

    response = login("community").get(f"/api/areas/{home_community.pk}/buildings/")

    grids = [f["properties"]["grid"] for f in response.json()["features"]]
    assert grids == [home_grids[0].pk, home_grids[1].pk]


def test_another_grid_s_buildings_are_a_404(login, home_grids):
    building(home_grids[1], "1")

    response = login("grid1").get(f"/api/areas/{home_grids[1].pk}/buildings/")

    assert response.status_code == 404


def test_department_staff_see_no_area_s_buildings(login, home_grids):
    building(home_grids[0], "1")

    assert login("transport").get(f"/api/areas/{home_grids[0].pk}/buildings/").status_code == 404


def test_the_answer_is_capped_and_says_so(login, home_grids, settings):
    settings.SANHUA_MAP_BUILDINGS_MAX = 2
    for number in "123":
        building(home_grids[0], number)

    body = login("grid1").get(f"/api/areas/{home_grids[0].pk}/buildings/").json()

    assert [f["properties"]["number"] for f in body["features"]] == ["1", "2"]
    assert body["truncated"] is True


def test_buildings_are_read_in_a_fixed_number_of_queries(
    login, home_street, home_grids, django_assert_max_num_queries
):
    client = login("street")
    for grid in home_grids:
        for number in range(5):
            building(grid, str(number))

    # token, the user's posts (scope), the area, its buildings
    with django_assert_max_num_queries(5):
        response = client.get(f"/api/areas/{home_street.pk}/buildings/")

    assert len(response.json()["features"]) == 20


def test_roads_are_the_configured_file_or_none(login, settings, tmp_path):
    client = login("grid1")
    assert client.get("/api/areas/roads/").json() == {"type": "FeatureCollection", "features": []}

    roads = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": [[113.4, 23.1], [113.5, 23.1]]},
                "properties": {"name": "黄埔东路"},
            }
        ],
    }
    path = tmp_path / "roads.geojson"
    path.write_text(json.dumps(roads, ensure_ascii=False), encoding="utf-8")
    settings.SANHUA_MAP_ROADS = str(path)

    assert client.get("/api/areas/roads/").json() == roads


def test_a_broken_roads_file_draws_no_roads_rather_than_failing(login, settings, tmp_path):
    path = tmp_path / "roads.geojson"
    path.write_text("{not json", encoding="utf-8")
    settings.SANHUA_MAP_ROADS = str(path)

    response = login("grid1").get("/api/areas/roads/")

    assert response.status_code == 200
    assert response.json()["features"] == []


def test_pages_with_a_map_carry_the_basemap_settings(client, demo, settings):
    from django.contrib.auth import get_user_model

    settings.SANHUA_TILE_URL = "https://t{s}.tianditu.gov.cn/vec_w/wmts?tk=KEY&x={x}&y={y}&l={z}"
    settings.SANHUA_TILE_SUBDOMAINS = "01234567"
    settings.SANHUA_TILE_CRS = "wgs84"
    client.force_login(get_user_model().objects.get(username="grid1"))

    body = client.get("/field/report/").content.decode()

    assert 'id="sanhua-basemap"' in body
    assert "t{s}.tianditu.gov.cn" in body
    assert 'data-sanhua-map data-mode="field"' in body


def test_tile_origins_name_every_subdomain_of_the_tile_server():
    url = "https://t{s}.tianditu.gov.cn/vec_w/wmts?tk=KEY&x={x}&y={y}&l={z}"

    assert tile_origins([url], "012") == [
        "https://t0.tianditu.gov.cn",
        "https://t1.tianditu.gov.cn",
        "https://t2.tianditu.gov.cn",
    ]
    assert tile_origins(["http://10.1.2.3:8080/tiles/{z}/{x}/{y}.png", ""], "") == [
        "http://10.1.2.3:8080"
    ]
    assert tile_origins(["/static/tiles/{z}/{x}/{y}.png"], "") == []  # our own origin
    assert tile_subdomains("a1,a2") == ["a1", "a2"]
    assert tile_subdomains("") == ["a", "b", "c"]


def _settings_with(**env) -> subprocess.CompletedProcess:
    """The settings module read afresh in a new process with these environment variables."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SANHUA_"))}
    code = (
        "import django, json; django.setup(); from django.conf import settings; "
        "print(json.dumps(settings.CONTENT_SECURITY_POLICY['DIRECTIVES']['img-src']))"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "governance.settings", "DJANGO_DEBUG": "1", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_configured_tile_server_may_serve_images_and_nothing_else(tmp_path):
    result = _settings_with(
        SANHUA_VAR_DIR=str(tmp_path),
        SANHUA_TILE_URL="https://t{s}.tianditu.gov.cn/vec_w/wmts?tk=KEY&x={x}&y={y}&l={z}",
        SANHUA_TILE_SUBDOMAINS="01",
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1]) == [
        "'self'",
        "data:",
        "blob:",
        "https://t0.tianditu.gov.cn",
        "https://t1.tianditu.gov.cn",
    ]


def test_an_unknown_tile_datum_stops_the_start(tmp_path):
    result = _settings_with(SANHUA_VAR_DIR=str(tmp_path), SANHUA_TILE_CRS="bd09")

    assert result.returncode != 0
    assert "SANHUA_TILE_CRS" in result.stderr
