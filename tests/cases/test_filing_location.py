"""Where a report is filed: a GPS point given with a grid must lie in that grid (or within the
edge tolerance of its boundary), else the location is refused saying where the point lies; a
point alone files in a grid the reporter may file in, or is refused on the location."""

import math

import pytest
from django.conf import settings
from shapely.geometry import LineString, shape

from cases import services
from cases.models import Case

pytestmark = pytest.mark.django_db

METRES_PER_DEGREE = 111_320


def beyond_edge(grid, towards, metres: float) -> dict:
    """A point `metres` outside `grid`'s boundary on the way from its centre to the centre of
    the neighbouring grid `towards`."""
    start = (grid.centroid_lng, grid.centroid_lat)
    end = (towards.centroid_lng, towards.centroid_lat)
    crossing = shape(grid.boundary).boundary.intersection(LineString([start, end]))
    scale_lng = METRES_PER_DEGREE * math.cos(math.radians(crossing.y))
    east = (end[0] - start[0]) * scale_lng
    north = (end[1] - start[1]) * METRES_PER_DEGREE
    length = math.hypot(east, north)
    return {
        "lng": crossing.x + east / length * metres / scale_lng,
        "lat": crossing.y + north / length * metres / METRES_PER_DEGREE,
    }


def report(client, **fields):
    body = {"category": "0101", "title": "暴露垃圾", **fields}
    return client.post("/api/cases/", body, format="json", HTTP_ACCEPT_LANGUAGE="en")


def test_a_named_grid_with_a_point_in_another_country_is_refused_on_the_location(login, home_grids):
    response = report(login("grid1"), grid=home_grids[0].pk, lat=-33.9, lng=-70.6)

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "lng": [
            f"The location lies outside {home_grids[0].name} and every other grid of the district."
        ]
    }
    assert not Case.objects.exists()


def test_a_point_in_another_grid_of_my_area_says_which_grid_it_lies_in(login, home_grids):
    grid1, grid2 = home_grids[:2]
    point = {"lng": grid2.centroid_lng, "lat": grid2.centroid_lat}

    response = report(login("community"), grid=grid1.pk, **point)

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "lng": [f"The location lies in {grid2.name}, not in {grid1.name}."]
    }
    assert not Case.objects.exists()


def test_the_location_message_is_in_chinese_by_default(login, home_grids):
    grid1, grid2 = home_grids[:2]

    response = login("community").post(
        "/api/cases/",
        {"category": "0101", "title": "暴露垃圾", "grid": grid1.pk,
         "lng": grid2.centroid_lng, "lat": grid2.centroid_lat},
        format="json",
    )  # fmt: skip

    assert response.status_code == 400
    assert response.json()["errors"] == {"lng": [f"该位置位于{grid2.name}，不在{grid1.name}内。"]}


def test_a_point_in_another_workers_grid_is_refused_on_the_location_not_forbidden(
    login, home_grids
):
    grid1, grid2 = home_grids[:2]
    point = {"lng": grid2.centroid_lng, "lat": grid2.centroid_lat}

    with_grid = report(login("grid1"), grid=grid1.pk, **point)
    point_only = report(login("grid1"), **point)

    assert with_grid.status_code == 400
    assert with_grid.json()["errors"] == {
        "lng": [f"The location lies in {grid2.name}, not in {grid1.name}."]
    }
    assert point_only.status_code == 400
    assert point_only.json()["errors"] == {
        "lng": [f"The location lies in {grid2.name}, outside your area."]
    }
    assert not Case.objects.exists()


def test_a_point_just_across_the_edge_counts_as_in_the_grid_and_further_does_not(login, home_grids):
    grid1, grid2 = home_grids[:2]
    tolerance = settings.SANHUA_GRID_EDGE_TOLERANCE_M

    near = report(login("community"), grid=grid1.pk, **beyond_edge(grid1, grid2, tolerance / 2))
    far = report(login("community"), grid=grid1.pk, **beyond_edge(grid1, grid2, tolerance * 2))

    assert near.status_code == 201, near.content
    assert near.json()["grid"]["id"] == grid1.pk
    assert far.status_code == 400
    assert far.json()["errors"] == {
        "lng": [f"The location lies in {grid2.name}, not in {grid1.name}."]
    }


def test_the_edge_tolerance_is_a_setting(login, home_grids, settings):
    grid1, grid2 = home_grids[:2]
    settings.SANHUA_GRID_EDGE_TOLERANCE_M = 0

    response = report(login("community"), grid=grid1.pk, **beyond_edge(grid1, grid2, 5))

    assert response.status_code == 400


def test_a_point_on_the_edge_of_two_grids_files_in_the_reporters_grid(login, home_grids):
    grid1, grid2 = home_grids[:2]
    on_edge = beyond_edge(grid1, grid2, 0)

    by_grid1 = report(login("grid1"), **on_edge)
    by_grid2 = report(login("grid2"), **on_edge)

    assert by_grid1.status_code == 201, by_grid1.content
    assert by_grid2.status_code == 201, by_grid2.content
    assert by_grid1.json()["grid"]["id"] == grid1.pk
    assert by_grid2.json()["grid"]["id"] == grid2.pk


def test_the_service_refuses_a_grid_and_point_that_disagree(user, category, home_grids):
    grid1, grid2 = home_grids[:2]

    with pytest.raises(services.ValidationError) as refused:
        services.report_case(
            reporter=user("admin"),
            category=category("0101"),
            title="巡查发现",
            grid=grid1,
            lng=grid2.centroid_lng,
            lat=grid2.centroid_lat,
        )

    assert list(refused.value.message_dict) == ["lng"]
    assert not Case.objects.exists()


def test_a_grid_without_a_boundary_takes_the_point_given_with_it(user, category, home_grids):
    grid1, grid2 = home_grids[:2]
    type(grid1).objects.filter(pk=grid1.pk).update(boundary=None)
    grid1.refresh_from_db()

    case, _created = services.report_case(
        reporter=user("admin"),
        category=category("0101"),
        title="巡查发现",
        grid=grid1,
        lng=grid2.centroid_lng,
        lat=grid2.centroid_lat,
    )

    assert case.grid == grid1


def test_a_category_with_a_nul_character_is_a_400_not_a_server_error(login, home_grids):
    grid = home_grids[0]

    response = report(login("grid1"), grid=grid.pk, category="05\x0001")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["category"]
    assert not Case.objects.exists()
