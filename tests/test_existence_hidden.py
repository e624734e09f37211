"""A case, a dispatch or a photo outside the caller's jurisdiction cannot be told from one that
does not exist: every route that takes a case id, a dispatch id or a photo id (the API, the
office console, the field app) answers both with the same 404 — the same body, the same headers
— after the same queries (so no extra query, and no extra time, gives the row away); and no
media URL serves a photo's file.
"""

import re

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient
from shapely.geometry import shape

from cases import services
from cases.console_views import CASE_STEPS, DISPATCH_STEPS
from cases.field_views import ACTIONS as FIELD_ACTIONS
from cases.models import Case, CasePhoto, Category, Dispatch
from tests import test_jurisdiction_coverage as coverage
from tests.grid import conftest as registry_fixtures

pytestmark = pytest.mark.django_db

admin_user = registry_fixtures.admin_user
neighbour = registry_fixtures.neighbour

MODELS = (Case, Dispatch, CasePhoto)
ROUTES = [
    (route, pattern)
    for route, pattern in coverage.DETAIL_ROUTES
    if coverage._model_of(coverage._view_class(pattern)) in MODELS
]
# Far beyond any row a test makes.
MISSING = 987_654_321


def _methods(pattern) -> list[str]:
    """The methods the route answers (a DRF action's own, or the view's get/post), and
    OPTIONS, which every route answers too (HEAD is GET without the body)."""
    actions = getattr(pattern.callback, "actions", None)
    if actions:
        own = sorted(method.upper() for method in actions)
    else:
        view = coverage._view_class(pattern)
        own = [method.upper() for method in ("get", "post") if hasattr(view, method)]
    return [*own, "OPTIONS"]


# The steps a route names in its path: each is tried, so no step's view may look anything up
# before the scoped row.
STEPS = {
    "console-case-step": sorted(CASE_STEPS),
    "console-dispatch-step": sorted(DISPATCH_STEPS),
    "field-task-action": sorted(FIELD_ACTIONS),
}


def _with_steps(route: str, name: str) -> list[str]:
    if name not in STEPS:
        return [route]
    return [route.replace("<slug:action>", step) for step in STEPS[name]]


CALLS = [
    (concrete, pattern, method)
    for route, pattern in ROUTES
    for concrete in _with_steps(route, pattern.name)
    for method in _methods(pattern)
]


def _call(client, method: str, url: str):
    """The answer and the queries it took, with the ids in the SQL made alike."""
    with CaptureQueriesContext(connection) as queries:
        response = client.generic(method, url)
    return response, queries


def _same_sql(queries, ids) -> list[str]:
    sql = [query["sql"] for query in queries.captured_queries]
    pattern = re.compile(r"\b(" + "|".join(str(i) for i in ids) + r")\b")
    # The clock moves between the two requests.
    now = re.compile(r"'[^']*'::timestamptz|'\d{4}-\d\d-\d\d[ T][^']*'")
    return [now.sub("<now>", pattern.sub("<id>", statement)) for statement in sql]


# Headers that say when the answer was made (never_cache's Expires), not what it is about.
CLOCK_HEADERS = {"Expires", "Date", "Last-Modified"}


def _headers(response) -> dict:
    return {name: value for name, value in response.items() if name not in CLOCK_HEADERS}


def _as(username: str, client_class=APIClient):
    client = client_class()
    client.force_login(get_user_model().objects.get(username=username))
    return client


@pytest.mark.parametrize("username", ["grid1", "police"])
@pytest.mark.parametrize(
    ("route", "pattern", "method"), CALLS, ids=[f"{m} {r}" for r, _p, m in CALLS]
)
def test_out_of_scope_and_missing_get_the_same_404(
    home_grids, other_street, neighbour, route, pattern, method, username
):
    samples = coverage._out_of_scope_samples(home_grids, other_street, neighbour)
    out_of_scope = coverage._sample_url(route, pattern, samples)
    missing = coverage._sample_url(
        route,
        pattern,
        {Case: Case(pk=MISSING), Dispatch: Dispatch(pk=MISSING), CasePhoto: CasePhoto(pk=MISSING)},
    )
    ids = {samples[model].pk for model in MODELS} | {MISSING}
    # grid1 works another grid; police is a department the sample was not dispatched to.
    client = _as(username)
    client.get("/api/me/")  # a session's first request reads more (the user, the language)

    hidden, hidden_queries = _call(client, method, out_of_scope)
    absent, absent_queries = _call(client, method, missing)

    assert hidden.status_code == absent.status_code
    assert hidden.status_code == 404 or method == "OPTIONS"
    assert hidden.content == absent.content
    assert _headers(hidden) == _headers(absent)
    assert _same_sql(hidden_queries, ids) == _same_sql(absent_queries, ids)


PHOTO_CALLS = [(r, p) for r, p in coverage.PHOTO_ROUTES if coverage._model_of(
    coverage._view_class(p)) is Case]  # fmt: skip


@pytest.mark.parametrize(("route", "pattern"), PHOTO_CALLS, ids=[r for r, _p in PHOTO_CALLS])
def test_a_photo_of_another_case_and_a_missing_photo_get_the_same_404(
    home_grids, other_street, neighbour, route, pattern
):
    # grid2's own case, with grid1's case's photo (out of scope) or no photo at all.
    samples = coverage._out_of_scope_samples(home_grids, other_street, neighbour)
    own = samples[Case]
    mine = _grid1_case(home_grids)
    mine_photo = coverage.store_photo(
        case=mine, event=None, upload=coverage.make_photo(), user=None
    )
    client = _as("grid2")
    client.get("/api/me/")

    def url(photo):
        return coverage._sample_url(route, pattern, {Case: own, CasePhoto: photo})

    ids = {own.pk, mine.pk, mine_photo.pk, MISSING}
    hidden, hidden_queries = _call(client, "GET", url(mine_photo))
    absent, absent_queries = _call(client, "GET", url(CasePhoto(pk=MISSING)))

    assert hidden.status_code == absent.status_code == 404
    assert hidden.content == absent.content
    assert _headers(hidden) == _headers(absent)
    assert _same_sql(hidden_queries, ids) == _same_sql(absent_queries, ids)


def _grid1_case(home_grids) -> Case:
    case, _created = services.report_case(
        reporter=get_user_model().objects.get(username="grid1"),
        category=Category.objects.get(code="0101"),
        title="暴露垃圾",
        grid=home_grids[0],
    )
    return case


def test_a_duplicate_named_outside_my_area_is_refused_like_a_missing_one(
    home_grids, other_street, neighbour
):
    hidden = coverage._out_of_scope_samples(home_grids, other_street, neighbour)[Case]
    mine = _grid1_case(home_grids)
    client = _as("grid1")

    def reject(duplicate_of):
        return client.post(
            f"/api/cases/{mine.pk}/reject/",
            {"reason": "重复", "duplicate_of": duplicate_of},
            format="json",
        )

    assert reject(hidden.pk).status_code == reject(MISSING).status_code == 400
    assert reject(hidden.pk).json()["errors"]["duplicate_of"] == [
        message.replace(str(MISSING), str(hidden.pk))
        for message in reject(MISSING).json()["errors"]["duplicate_of"]
    ]


def test_the_console_refuses_a_duplicate_number_outside_my_area_like_a_missing_one(
    home_grids, other_street, neighbour
):
    hidden = coverage._out_of_scope_samples(home_grids, other_street, neighbour)[Case]
    mine = _grid1_case(home_grids)
    client = _as("grid1", Client)

    def reject(number):
        response = client.post(
            f"/console/cases/{mine.pk}/reject/",
            {"version": mine.version, "reason": "重复", "duplicate_of": number},
        )
        errors = re.findall(r'data-error-for="duplicate_of">([^<]*)<', response.content.decode())
        return response.status_code, errors

    missing_number = hidden.number[:-8] + f"{MISSING % 10**8:08d}"
    assert reject(hidden.number) == reject(missing_number)
    assert reject(hidden.number)[0] == 400
    assert reject(hidden.number)[1] != []


def test_bulk_accept_names_a_case_outside_my_area_like_a_missing_one(
    home_grids, other_street, neighbour
):
    hidden = coverage._out_of_scope_samples(home_grids, other_street, neighbour)[Case]
    client = _as("grid1", Client)

    client.post("/console/cases/accept/", {"cases": [f"{hidden.pk}:1", f"{MISSING}:1"]})

    report = client.session["bulk_report"]
    assert [entry["message"] for entry in report] == [report[1]["message"]] * 2
    assert {tuple(sorted(entry)) for entry in report} == {tuple(sorted(report[1]))}


def test_no_media_url_serves_a_photos_file(home_grids, other_street, neighbour):
    photo = coverage._out_of_scope_samples(home_grids, other_street, neighbour)[CasePhoto]
    client = _as("grid2")  # who may see the photo through the pages

    for name in (photo.image.name, photo.thumbnail.name):
        stored = client.get(f"/media/{name}")
        invented = client.get(f"/media/{name.rsplit('/', 1)[0]}/{'0' * 32}.jpg")
        assert stored.status_code == invented.status_code == 404
        assert stored.content == invented.content


def test_every_kind_of_route_is_walked():
    names = {pattern.name for _route, pattern, _method in CALLS}
    walked = {route for route, _pattern, _method in CALLS}
    assert "console/cases/<int:pk>/escalate/" in walked
    assert "console/dispatches/<int:pk>/refuse/" in walked
    assert "field/tasks/<int:pk>/verify/" in walked
    assert {"case-detail", "case-escalate", "dispatch-detail", "dispatch-refuse"} <= names
    assert {"console-case", "console-case-step", "console-photo", "console-dispatch-step"} <= names
    assert {"field-task", "field-task-photo", "field-task-action"} <= names


# Another case named on a case the reader sees: the original of a duplicate, or the possible
# duplicates found nearby (which may lie across the grid's boundary).


def _on_shared_edge(grid_a, grid_b) -> dict:
    edge = shape(grid_a.boundary).intersection(shape(grid_b.boundary))
    middle = edge.interpolate(0.5, normalized=True)
    return {"lng": middle.x, "lat": middle.y}


def _filed_on_the_edge(home_grids):
    """A case of grid2's, then one of grid1's at the same spot on their shared edge (so routing
    finds grid2's as a possible duplicate of grid1's), rejected as a duplicate of it."""
    users = get_user_model().objects
    point = _on_shared_edge(home_grids[0], home_grids[1])
    theirs, _created = services.report_case(
        reporter=users.get(username="grid2"),
        category=Category.objects.get(code="0101"),
        title="垃圾堆放",
        **point,
    )
    mine, _created = services.report_case(
        reporter=users.get(username="grid1"),
        category=Category.objects.get(code="0101"),
        title="垃圾堆放",
        **point,
    )
    assert (theirs.grid, mine.grid) == (home_grids[1], home_grids[0])
    services.route_filed_case(mine.pk)
    services.reject_case(
        mine, actor=users.get(username="admin"), reason="重复上报", duplicate_of=theirs
    )
    return mine, theirs


def test_my_case_does_not_name_a_case_outside_my_area_on_the_api(home_grids):
    mine, theirs = _filed_on_the_edge(home_grids)

    body = _as("grid1").get(f"/api/cases/{mine.pk}/").json()
    seen_by_community = _as("community").get(f"/api/cases/{mine.pk}/").json()

    assert body["duplicate_of"] is None
    assert all(
        event["data"].get("duplicate_of") is None
        and event["data"].get("possible_duplicates", []) == []
        for event in body["events"]
    )
    assert theirs.number not in str(body)
    # Who sees both still sees the link.
    assert seen_by_community["duplicate_of"] == theirs.pk
    report = next(e for e in seen_by_community["events"] if e["action"] == "report")
    assert report["data"]["possible_duplicates"] == [theirs.pk]


def test_my_case_page_does_not_name_a_case_outside_my_area(home_grids):
    mine, theirs = _filed_on_the_edge(home_grids)

    page = _as("grid1", Client).get(f"/console/cases/{mine.pk}/").content.decode()
    field_page = _as("grid1", Client).get(f"/field/tasks/{mine.pk}/").content.decode()
    community_page = _as("community", Client).get(f"/console/cases/{mine.pk}/").content.decode()

    assert theirs.number not in page
    assert f"/console/cases/{theirs.pk}/" not in page
    assert theirs.number not in field_page
    assert theirs.number in community_page
