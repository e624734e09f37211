import pytest
from django.core.exceptions import ValidationError
from django.utils.translation import override as translation

from grid import services
from grid.demo import _rectangle
from grid.models import Area, Post

pytestmark = pytest.mark.django_db


def test_a_new_area_gets_the_path_of_its_parent_plus_its_own_id(home_community):
    grid = services.create_area(
        level=Area.Level.GRID, code=f"{home_community.code}09", name="新网格", parent=home_community
    )

    assert grid.path == f"{home_community.path}{grid.pk}/"
    assert home_community.contains(grid)


def test_boundary_facts_are_stored_beside_the_boundary(home_community):
    grid = services.create_area(
        level=Area.Level.GRID,
        code=f"{home_community.code}09",
        name="新网格",
        parent=home_community,
        boundary=_rectangle(113.0, 23.0, 113.2, 23.1),
    )

    assert (grid.min_lng, grid.min_lat, grid.max_lng, grid.max_lat) == (113.0, 23.0, 113.2, 23.1)
    assert grid.centroid_lng == pytest.approx(113.1)
    assert grid.centroid_lat == pytest.approx(23.05)


@pytest.mark.parametrize(
    ("code_suffix", "message"),
    [
        ("1", "2 to 4 digits"),
        ("12345", "2 to 4 digits"),
        ("0a", "digits only"),
        ("０１", "digits only"),  # full-width digits are digits to str.isdigit, not in a code
    ],
)
def test_a_grid_code_must_extend_its_community_code_by_two_to_four_digits(
    home_community, code_suffix, message
):
    with pytest.raises(ValidationError) as caught, translation("en"):
        services.create_area(
            level=Area.Level.GRID,
            code=f"{home_community.code}{code_suffix}",
            name="新网格",
            parent=home_community,
        )

    assert list(caught.value.message_dict) == ["code"]
    assert message in caught.value.message_dict["code"][0]


def test_a_code_that_does_not_begin_with_the_parents_code_is_refused(home_community):
    with pytest.raises(ValidationError) as caught:
        services.create_area(
            level=Area.Level.GRID, code="44011299900101", name="新网格", parent=home_community
        )

    assert list(caught.value.message_dict) == ["code"]


def test_a_duplicate_code_is_refused_and_nothing_is_written(home_community, home_grids):
    before = Area.objects.count()

    with pytest.raises(ValidationError) as caught:
        services.create_area(
            level=Area.Level.GRID, code=home_grids[0].code, name="重复", parent=home_community
        )

    assert list(caught.value.message_dict) == ["code"]
    assert Area.objects.count() == before


def test_a_parent_must_be_exactly_one_level_up(home_street):
    with pytest.raises(ValidationError) as caught:
        services.create_area(
            level=Area.Level.GRID, code=f"{home_street.code}99901", name="网格", parent=home_street
        )

    assert list(caught.value.message_dict) == ["parent"]


def test_a_district_has_no_parent_and_every_other_level_has_one(demo):
    with pytest.raises(ValidationError) as caught:
        services.create_area(level=Area.Level.STREET, code="440199001", name="孤街道")

    assert list(caught.value.message_dict) == ["parent"]


def test_several_bad_fields_are_reported_together(home_community):
    with pytest.raises(ValidationError) as caught:
        services.create_area(
            level=Area.Level.GRID,
            code="x",
            name=" ",
            parent=home_community,
            boundary={"type": "Point", "coordinates": [1, 2]},
        )

    assert set(caught.value.message_dict) == {"code", "name", "boundary"}


def test_moving_a_community_moves_its_whole_subtree(home_community, other_street):
    new_code = f"{other_street.code}099"

    services.update_area(home_community, parent=other_street, code=new_code)

    home_community.refresh_from_db()
    assert home_community.path == f"{other_street.path}{home_community.pk}/"
    grids = list(home_community.children.all())
    assert len(grids) == 4
    assert all(grid.path == f"{home_community.path}{grid.pk}/" for grid in grids)


def test_an_area_cannot_move_below_itself(home_street, home_community):
    with pytest.raises(ValidationError):
        services.update_area(home_street, parent=home_community)


def _feature(code, geometry, **properties):
    return {"type": "Feature", "properties": {"code": code, **properties}, "geometry": geometry}


def test_import_sets_boundaries_and_creates_new_areas(home_community, home_grids):
    collection = {
        "type": "FeatureCollection",
        "features": [
            _feature(home_grids[0].code, _rectangle(113.0, 23.0, 113.1, 23.1)),
            _feature(
                f"{home_community.code}05",
                _rectangle(113.1, 23.0, 113.2, 23.1),
                name="第5网格",
                level=4,
                parent_code=home_community.code,
            ),
        ],
    }

    report = services.import_boundaries(collection)

    assert report.ok
    assert report.updated == [home_grids[0].code]
    assert report.created == [f"{home_community.code}05"]
    home_grids[0].refresh_from_db()
    assert home_grids[0].max_lng == 113.1
    assert Area.objects.get(code=f"{home_community.code}05").parent == home_community


def test_import_reports_every_bad_feature_and_writes_nothing(home_grids):
    good = _feature(home_grids[0].code, _rectangle(113.0, 23.0, 113.1, 23.1))
    bowtie = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
    collection = {
        "type": "FeatureCollection",
        "features": [
            good,
            _feature(home_grids[1].code, bowtie),
            _feature(home_grids[2].code, {"type": "Polygon", "coordinates": [[1, 2]]}),
            _feature("999", _rectangle(0, 0, 1, 1), name="x", level=4, parent_code="123"),
            {"type": "Feature", "properties": {}, "geometry": None},
            "not a feature",
        ],
    }
    before = home_grids[0].boundary

    report = services.import_boundaries(collection)

    assert not report.ok
    assert sorted(report.errors) == [1, 2, 3, 4, 5]
    assert "boundary" in report.errors[1]
    assert "boundary" in report.errors[2]
    assert "parent_code" in report.errors[3]
    assert "code" in report.errors[4]
    assert report.created == report.updated == []
    home_grids[0].refresh_from_db()
    assert home_grids[0].boundary == before


def test_import_refuses_what_is_not_a_feature_collection(demo):
    with pytest.raises(ValidationError) as caught:
        services.import_boundaries({"type": "Feature"})

    assert list(caught.value.message_dict) == ["type"]


def test_a_grid_worker_post_must_be_at_a_grid(make_user, home_community):
    user = make_user("someone")

    with pytest.raises(ValidationError) as caught:
        services.assign_post(user, role=Post.Role.GRID_WORKER, area=home_community)

    assert list(caught.value.message_dict) == ["area"]


def test_assigning_the_same_post_twice_keeps_one(make_user, home_grids):
    user = make_user("someone")

    services.assign_post(user, role=Post.Role.GRID_WORKER, area=home_grids[0])
    services.assign_post(user, role=Post.Role.GRID_WORKER, area=home_grids[0])

    assert Post.objects.filter(user=user).count() == 1
