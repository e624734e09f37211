import pytest
from rest_framework.test import APIClient

from grid.demo import _rectangle
from grid.models import Area

pytestmark = pytest.mark.django_db


def test_a_demo_login_gets_a_token(demo):
    response = APIClient().post(
        "/api/auth/token/", {"username": "grid1", "password": "demo-pass"}, format="json"
    )

    assert response.status_code == 200
    assert len(response.json()["token"]) == 64


def test_a_wrong_password_gets_a_400_with_a_message(demo):
    response = APIClient().post(
        "/api/auth/token/", {"username": "grid1", "password": "nope"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["errors"]["non_field_errors"]


def test_anonymous_requests_are_refused(demo):
    response = APIClient().get("/api/areas/")

    assert response.status_code == 401


def test_me_tells_who_i_am_and_my_posts(login, home_grids):
    response = login("grid1").get("/api/me/")

    body = response.json()
    assert body["username"] == "grid1"
    assert body["name"] == "王秀英"
    assert [(p["role"], p["area"]["id"]) for p in body["posts"]] == [
        ("grid_worker", home_grids[0].pk)
    ]


def test_a_grid_worker_lists_only_their_grid(login, home_grids):
    response = login("grid1").get("/api/areas/")

    assert [a["id"] for a in response.json()["results"]] == [home_grids[0].pk]


@pytest.mark.parametrize("target", ["other_grid", "community", "street", "district", "far_grid"])
def test_a_grid_worker_gets_404_outside_their_grid(
    login, home_grids, home_community, target, other_street
):
    area = {
        "other_grid": home_grids[1],
        "community": home_community,
        "street": home_community.parent,
        "district": home_community.parent.parent,
        "far_grid": Area.objects.filter(path__startswith=other_street.path, level=4).first(),
    }[target]

    response = login("grid1").get(f"/api/areas/{area.pk}/")

    assert response.status_code == 404


def test_a_grid_worker_reads_their_own_grid_with_its_boundary(login, home_grids):
    response = login("grid1").get(f"/api/areas/{home_grids[0].pk}/")

    assert response.status_code == 200
    assert response.json()["boundary"]["type"] == "Polygon"


def test_the_supervisor_sees_the_whole_district(login, demo):
    response = login("supervisor").get("/api/areas/", {"page_size": 500})

    assert len(response.json()["results"]) == Area.objects.count()


def test_areas_filter_by_level_and_parent(login, home_community):
    client = login("supervisor")

    grids = client.get("/api/areas/", {"level": 4, "parent": home_community.pk}).json()

    assert [a["parent"] for a in grids["results"]] == [home_community.pk] * 4


def test_areas_filter_by_subtree(login, home_street):
    response = login("supervisor").get("/api/areas/", {"within": home_street.pk, "page_size": 500})

    expected = Area.objects.filter(path__startswith=home_street.path).count()
    assert len(response.json()["results"]) == expected


def test_within_an_area_outside_the_jurisdiction_is_refused(login, other_street):
    response = login("street").get("/api/areas/", {"within": other_street.pk})

    assert response.status_code == 400
    assert "within" in response.json()["errors"]


def test_areas_filter_by_a_contained_point(login, home_grids):
    grid = home_grids[0]

    response = login("supervisor").get(
        "/api/areas/", {"contains_point": f"{grid.centroid_lng},{grid.centroid_lat}"}
    )

    levels = [a["level"] for a in response.json()["results"]]
    assert sorted(levels) == [1, 2, 3, 4]
    assert grid.pk in [a["id"] for a in response.json()["results"]]


@pytest.mark.parametrize("value", ["113.4", "a,b", "200,23"])
def test_a_malformed_point_filter_is_a_400_on_that_field(login, demo, value):
    response = login("supervisor").get("/api/areas/", {"contains_point": value})

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["contains_point"]


def test_locate_finds_the_grid_of_a_gps_point(login, home_grids):
    grid = home_grids[0]

    response = login("grid1").get(
        "/api/areas/locate/", {"lng": grid.centroid_lng, "lat": grid.centroid_lat}
    )

    assert response.status_code == 200
    assert response.json()["id"] == grid.pk


def test_a_point_outside_every_grid_is_a_404_with_a_message(login, demo):
    response = login("supervisor").get(
        "/api/areas/locate/", {"lng": 100, "lat": 30}, HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 404
    assert response.json()["detail"] == "The point lies outside every grid you can see."


def test_a_point_in_another_grid_is_not_found_for_a_grid_worker(login, home_grids):
    other = home_grids[1]

    response = login("grid1").get(
        "/api/areas/locate/", {"lng": other.centroid_lng, "lat": other.centroid_lat}
    )

    assert response.status_code == 404


def test_locate_needs_numbers_in_range(login, demo):
    response = login("supervisor").get("/api/areas/locate/", {"lng": "east", "lat": 95})

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"lng", "lat"}


def test_geojson_gives_a_feature_collection_of_visible_areas(login, home_community):
    response = login("community").get("/api/areas/geojson/", {"level": 4})

    body = response.json()
    assert body["type"] == "FeatureCollection"
    assert len(body["features"]) == 4
    assert {f["properties"]["name"] for f in body["features"]} == {
        a.name for a in home_community.children.all()
    }


def _new_grid(under, **overrides):
    return {
        "level": 4,
        "code": f"{under.code}07",
        "name": "新建网格",
        "parent": under.pk,
        "boundary": _rectangle(113.4, 23.1, 113.41, 23.11),
        **overrides,
    }


def test_an_administrator_creates_a_grid(login, home_community):
    response = login("admin").post("/api/areas/", _new_grid(home_community), format="json")

    assert response.status_code == 201
    created = Area.objects.get(code=f"{home_community.code}07")
    assert created.path == f"{home_community.path}{created.pk}/"
    assert response.json()["centroid"] == [pytest.approx(113.405), pytest.approx(23.105)]


def test_a_grid_worker_may_not_change_the_hierarchy(login, home_grids):
    # Even in their own grid's community, which they cannot see: unknown parent first.
    response = login("grid1").post("/api/areas/", _new_grid(home_grids[0].parent), format="json")

    assert response.status_code == 400
    assert "parent" in response.json()["errors"]


def test_community_staff_may_not_create_areas(login, home_community):
    response = login("community").post("/api/areas/", _new_grid(home_community), format="json")

    assert response.status_code == 403
    assert not Area.objects.filter(code=f"{home_community.code}07").exists()


def test_malformed_geojson_is_a_400_on_the_boundary_field(login, home_community):
    payload = _new_grid(home_community, boundary={"type": "Polygon", "coordinates": "nope"})

    response = login("admin").post("/api/areas/", payload, format="json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["boundary"]
    assert not Area.objects.filter(code=payload["code"]).exists()


def test_an_unknown_parent_is_a_400_on_the_parent_field(login, home_community):
    response = login("admin").post(
        "/api/areas/", _new_grid(home_community, parent=999999), format="json"
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["parent"]


def test_a_duplicate_code_is_a_400_on_the_code_field(login, home_community, home_grids):
    response = login("admin").post(
        "/api/areas/", _new_grid(home_community, code=home_grids[0].code), format="json"
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["code"]


def test_messages_are_chinese_by_default_and_english_on_request(login, home_community, home_grids):
    client = login("admin")
    payload = _new_grid(home_community, code=home_grids[0].code)

    chinese = client.post("/api/areas/", payload, format="json").json()["errors"]["code"][0]
    english = client.post("/api/areas/", payload, format="json", HTTP_ACCEPT_LANGUAGE="en")
    english = english.json()["errors"]["code"][0]

    assert chinese == "该编码的区域已存在。"
    assert english == "An area with this code already exists."


def test_an_administrator_renames_an_area(login, home_grids):
    response = login("admin").patch(
        f"/api/areas/{home_grids[0].pk}/", {"name": "花园一网格"}, format="json"
    )

    assert response.status_code == 200
    home_grids[0].refresh_from_db()
    assert home_grids[0].name == "花园一网格"


def test_importing_boundaries_reports_bad_features_by_index(login, home_grids):
    collection = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"code": home_grids[0].code},
                "geometry": _rectangle(113, 23, 113.1, 23.1),
            },
            {
                "type": "Feature",
                "properties": {"code": home_grids[1].code},
                "geometry": {"type": "Polygon", "coordinates": [[0]]},
            },
        ],
    }

    response = login("admin").post("/api/areas/import-boundaries/", collection, format="json")

    assert response.status_code == 400
    # The feature's index and its field, as a dotted path.
    assert list(response.json()["errors"]) == ["features.1.boundary"]


def test_importing_a_non_collection_is_a_400(login, demo):
    response = login("admin").post(
        "/api/areas/import-boundaries/", {"type": "Feature", "features": [{}]}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["type"]


def test_departments_are_listed_for_the_district(login, demo):
    names = [
        d["name"]
        for d in login("district").get("/api/departments/", {"page_size": 100}).json()["results"]
    ]

    assert "区交通运输局" in names
    assert "黄埔交警大队" in names


def test_a_grid_worker_sees_no_departments(login, demo):
    assert login("grid1").get("/api/departments/").json()["results"] == []
