import pytest
from django.core.exceptions import ValidationError

from grid import geo

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("geometry", "code"),
    [
        ("not a dict", "invalid"),
        ({"type": "Point", "coordinates": [113, 23]}, "invalid_type"),
        ({"type": "Polygon"}, "invalid_coordinates"),
        ({"type": "Polygon", "coordinates": [[1, 2]]}, "invalid_coordinates"),
        ({"type": "Polygon", "coordinates": []}, "empty"),
        (
            {"type": "Polygon", "coordinates": [[[0, 0], [200, 0], [200, 1], [0, 0]]]},
            "out_of_range",
        ),
        (
            {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]},
            "invalid_polygon",
        ),
    ],
)
def test_a_bad_boundary_is_refused_with_the_reason(geometry, code):
    with pytest.raises(ValidationError) as caught:
        geo.parse_boundary(geometry)

    assert caught.value.code == code


def test_a_multipolygon_is_a_valid_boundary():
    square = [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]
    other = [[[2, 2], [3, 2], [3, 3], [2, 3], [2, 2]]]

    shape = geo.parse_boundary({"type": "MultiPolygon", "coordinates": [square, other]})

    assert shape.area == 2


def test_the_label_point_of_a_concave_boundary_lies_inside_it():
    # A "U": its centroid falls in the gap between the arms.
    u_shape = geo.parse_boundary(
        {
            "type": "Polygon",
            "coordinates": [
                [[0, 0], [3, 0], [3, 3], [2, 3], [2, 1], [1, 1], [1, 3], [0, 3], [0, 0]]
            ],
        }
    )

    facts = geo.boundary_facts(u_shape)

    assert u_shape.contains(geo.Point(facts.centroid_lng, facts.centroid_lat))


def test_a_point_finds_the_grid_that_contains_it(home_grids):
    grid = home_grids[0]

    found = geo.grid_containing(grid.centroid_lng, grid.centroid_lat)

    assert found == grid


def test_a_point_outside_every_grid_finds_none(demo):
    assert geo.grid_containing(100.0, 30.0) is None


def test_a_point_on_a_shared_edge_always_finds_the_same_grid(home_grids):
    # Grids 1 and 2 of a community share their east/west edge.
    edge_lng = home_grids[0].max_lng
    lat = home_grids[0].centroid_lat

    first = geo.grid_containing(edge_lng, lat)
    second = geo.grid_containing(edge_lng, lat)

    assert first == second == home_grids[0]


@pytest.mark.parametrize(
    ("lng", "lat", "fields"),
    [("x", 23, {"lng"}), (113, "", {"lat"}), (181, -91, {"lng", "lat"})],
)
def test_a_bad_point_is_refused_per_field(lng, lat, fields):
    with pytest.raises(ValidationError) as caught:
        geo.parse_point(lng, lat)

    assert set(caught.value.message_dict) == fields
