"""Wherever the API takes an area, a department or a category, it takes its id or its code
(grid/lookups.py): filing, dispatching, the metrics' query, the lists' filters. And every list
pages the same way: follow `next` until it is null."""

import pytest

from cases.models import Category
from grid.lookups import by_id_or_code, id_or_code
from grid.models import Area, Department
from tests.cases import conftest as case_fixtures
from tests.cases import histories

pytestmark = pytest.mark.django_db

clock = histories.clock
history = histories.history
file_case, user, category = case_fixtures.file_case, case_fixtures.user, case_fixtures.category
MARCH = {"start": "2026-03-01", "end": "2026-03-31"}


def body(response, status=200) -> dict:
    assert response.status_code == status, response.content.decode()
    return response.json()


def test_a_number_is_an_id_and_a_string_a_code_first_then_an_id():
    assert id_or_code(7) == (None, 7)
    assert id_or_code("10") == ("10", 10)
    assert id_or_code(" JT ") == ("JT", None)
    odd = (True, None, "", 0, -3, 2**64, "x" * 65, "a\x00b")
    assert [id_or_code(v) for v in odd] == [(None, None)] * len(odd)


def test_a_code_that_looks_like_an_id_names_the_row_with_that_code(demo):
    main_class = Category.objects.get(code="10")
    assert by_id_or_code(Category.objects.all(), "10") == main_class
    assert by_id_or_code(Category.objects.all(), main_class.pk) == main_class


def test_filing_takes_the_grid_by_id_or_by_code(login, home_grids):
    grid1, grid = login("grid1"), home_grids[0]
    by_id, by_code = (
        body(grid1.post("/api/cases/", {"category": "0501", "title": "t", "grid": value}), 201)
        for value in (grid.pk, grid.code)
    )
    assert by_id["grid"] == by_code["grid"] == {
        "id": grid.pk, "level": Area.Level.GRID, "code": grid.code, "name": grid.name
    }  # fmt: skip
    refused = body(
        grid1.post("/api/cases/", {"category": "0501", "title": "t", "grid": "nowhere"}), 400
    )
    assert list(refused["errors"]) == ["grid"]


def test_the_metrics_take_unit_department_and_category_by_id_or_by_code(
    history, login, home_community
):
    district = login("district")
    bus_stops = Category.objects.get(code="0501")
    transport = Department.objects.get(name="区交通运输局")
    for by_id, by_code in [
        ({"unit": home_community.pk}, {"unit": home_community.code}),
        ({"department": transport.pk}, {"department": transport.code}),
        ({"category": bus_stops.pk}, {"category": "0501"}),
    ]:
        assert body(district.get("/api/metrics/summary/", {**by_id, **MARCH})) == body(
            district.get("/api/metrics/summary/", {**by_code, **MARCH})
        )
    unknown = body(district.get("/api/metrics/summary/", {"category": "9999"}), 400)
    assert list(unknown["errors"]) == ["category"]
    outside = login("grid1").get("/api/metrics/summary/", {"unit": home_community.code})
    assert body(outside, 404)["code"] == "not_found"


def test_the_list_filters_take_areas_and_departments_by_id_or_by_code(file_case, login):
    community = file_case().grid.parent
    district = login("district")
    by_id = body(district.get("/api/cases/", {"within": community.pk}))["results"]
    by_code = body(district.get("/api/cases/", {"within": community.code}))["results"]
    assert [c["id"] for c in by_id] == [c["id"] for c in by_code] != []
    areas = body(district.get("/api/areas/", {"parent": community.code}))["results"]
    assert {a["id"] for a in areas} == set(community.children.values_list("pk", flat=True))
    nowhere = body(district.get("/api/dispatches/", {"department": "NOPE"}), 400)
    assert list(nowhere["errors"]) == ["department"]


@pytest.mark.parametrize(
    ("url", "query"),
    [
        ("/api/areas/", {}),
        ("/api/areas/", {"ordering": "-name"}),
        ("/api/departments/", {}),
        ("/api/party/coverage/", {}),
    ],
)
def test_every_list_pages_by_cursor_follow_next_until_null(login, url, query):
    client = login("district")
    everything = body(client.get(url, {**query, "page_size": 500}))
    assert (everything["next"], "count" in everything) == (None, False)
    seen, page = [], body(client.get(url, {**query, "page_size": 3}))
    while True:
        seen += page["results"]
        if page["next"] is None:
            break
        page = body(client.get(page["next"]))
    assert seen == everything["results"]
    assert len(seen) > 3
