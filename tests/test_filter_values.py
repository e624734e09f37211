"""Cross-cutting: every filter parameter of every list, in the API and on the pages, answered
with odd values — LIKE and format metacharacters (`%`, `_`, `\\`), quotes, a NUL byte, a very
long string, a character outside the BMP, path tricks, numbers far out of range, the same
parameter twice — as a role that can see the list. Each answer is 200 or 400 (or the 404 the
API documents for an area, row or cursor named in the query that the caller cannot see);
never a 500.

The API's parameters are read from its own schema, so a new filter is walked as soon as it is
declared; the pages' are those of their FilterSets and forms, plus the few a view reads itself
(PAGES). A new list page fails test_every_list_page_is_walked until it is added to PAGES.
"""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from cases.console.inbox import InboxFilterSet
from cases.console_views import QueueFilterSet
from cases.dashboard_views import DashboardFilter, MonthFilter
from community.filtersets import ServiceRequestFilterSet
from datagov.access_views import AccessFilterSet
from datagov.objection_forms import ObjectionFilterSet
from grid.filtersets import AreaFilterSet
from grid.registry_filtersets import BuildingFilterSet, PersonFilterSet

pytestmark = pytest.mark.django_db

ODD_VALUES = [
    "%",
    "_",
    "\\",
    "'\"",
    "\x00",
    "a\x00b",
    "%00",
    "%s%d%(x)s{0}{x}",
    "x" * 5000,
    "𠀀",
    "../../etc/passwd",
    "-1",
    "-" + "9" * 30,
    "9" * 30,
    "1e400",
    "NaN",
    "2026-02-30",
    "113.4,23.1,5",
]
# Pages render a whole page per answer: the values that found faults, the rest are the API's
# (the same FilterSets).
PAGE_VALUES = ["%", "_\\'\"", "\x00", "%s{0}", "x" * 5000, "𠀀", "-1", "9" * 30, "NaN"]
ALLOWED = {200, 400, 404}


def _fields(*classes) -> list[str]:
    names = []
    for cls in classes:
        fields = getattr(cls, "base_filters", None) or getattr(cls, "base_fields", {})
        names += [name for name in fields if name not in names]
    return names


# Page → (who can see it, its query parameters). Besides their FilterSets and forms: page and
# after/before (pagination), view and sort (the queue), show and state (the department inbox),
# unit (dashboards),
# building/household/person (the report form, preset from the visit pages).
PAGES = {
    "/areas/": ("admin", [*_fields(AreaFilterSet), "page"]),
    "/registry/": ("admin", [*_fields(PersonFilterSet), "after"]),
    "/registry/buildings/": ("admin", [*_fields(BuildingFilterSet), "after"]),
    "/registry/imports/": ("admin", ["page"]),
    "/registry/exports/": ("admin", ["page"]),
    "/console/cases/": ("district", [*_fields(QueueFilterSet), "view", "page", "after"]),
    "/console/cases/export/": ("district", [*_fields(QueueFilterSet), "view", "format"]),
    "/console/dispatches/": ("transport", ["show", "state"]),
    "/console/inbox/": ("district", [*_fields(InboxFilterSet), "after"]),
    "/field/report/": ("grid1", ["building", "household", "person"]),
    "/field/tasks/": ("grid1", []),
    "/field/visits/": ("grid1", ["q", "after"]),
    "/field/inbox/": ("grid1", ["before"]),
    "/dashboard/": ("supervisor", [*_fields(DashboardFilter), "unit"]),
    "/dashboard/wall/": ("supervisor", ["unit"]),
    "/dashboard/report/": ("supervisor", [*_fields(MonthFilter), "unit"]),
    "/dashboard/population/": ("supervisor", ["unit"]),
    "/console/community/requests/": ("community", [*_fields(ServiceRequestFilterSet), "page"]),
    "/console/community/requests/new/": ("community", ["person"]),
    "/console/community/visits/": ("community", ["area"]),
    "/field/care/": ("grid1", []),
    "/field/care/requests/": ("grid1", []),
    "/field/care/requests/new/": ("grid1", ["person"]),
    "/field/party/": ("grid1", []),
    "/party/": ("community", []),
    "/party/coverage/": ("community", []),
    "/datagov/": ("community", []),
    "/datagov/objections/": ("community", [*_fields(ObjectionFilterSet), "page"]),
    "/open-data/": ("community", ["table", "year"]),
    "/datagov/requests/": ("transport", []),
    "/datagov/requests/new/": ("transport", ["dataset"]),
    "/datagov/access/": ("supervisor", [*_fields(AccessFilterSet), "before"]),
    "/datagov/access/export.csv": ("supervisor", _fields(AccessFilterSet)),
}
# Page routes without a path parameter that are no list: what they are instead.
NOT_LISTS = {
    "": "the front page",
    "field/": "a redirect to the field app's first page",
    "field/offline/": "the page shown with no network",
    "sw.js": "the service worker script",
    "manifest.webmanifest": "the web app manifest",
    "accounts/login/": "signing in",
    "accounts/logout/": "signing out",
    "i18n/setlang/": "language switch",
    "health/": "liveness probe",
    "console/cases/accept/": "bulk accept (POST)",
    "console/inbox/read/": "mark read (POST)",
    "console/inbox/unread/": "the unread badge, no parameters",
    "field/inbox/read/": "mark read (POST)",
    "open311/^v2/": "Open311's 404 for an unknown resource (its lists: tests/open311/)",
    "datagov/objections/raise/": "raising an objection (POST)",
}


def _routes(resolver: URLResolver, prefix: str = ""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from _routes(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern)


def _queries(parameters: list[str], values: list[str]):
    for name in parameters:
        for value in values:
            yield {name: value}
        yield {name: ["%", "1"]}  # the parameter twice


def _api_lists() -> dict[str, list[str]]:
    """Every list of the API (a GET without a path parameter) and its query parameters, from
    the schema the API serves (built without touching the database)."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    lists = {}
    for path, operations in schema["paths"].items():
        get = operations.get("get")
        if get is None or "{" in path:
            continue
        names = [p["name"] for p in get.get("parameters", []) if p["in"] == "query"]
        if names:
            lists[path] = names
    return lists


API_LISTS = _api_lists()


def test_every_list_page_is_walked():
    routes = {
        route
        for route in _routes(get_resolver())
        if not route.startswith(("api/", "admin/")) and "<" not in route
    }
    assert routes - set(NOT_LISTS) == {page.lstrip("/") for page in PAGES}


def test_the_api_lists_are_found_in_the_schema():
    assert "category" in API_LISTS["/api/cases/"]
    assert "parent" in API_LISTS["/api/categories/"]
    assert len(API_LISTS) >= 15


def _walk(client, url: str, parameters: list[str], values: list[str]) -> list[tuple]:
    wrong = []
    for query in _queries(parameters, values):
        response = client.get(url, query)
        if response.status_code not in ALLOWED:
            wrong.append((url, query if len(str(query)) < 80 else "…", response.status_code))
    return wrong


@pytest.mark.parametrize("path", list(API_LISTS))
def test_no_filter_value_on_an_api_list_is_a_server_error(login, path):
    client = login("admin")
    client.raise_request_exception = False
    # The caller sees the list (locate answers 400 without its required point).
    assert client.get(path).status_code in (200, 400), path
    wrong = _walk(client, path, API_LISTS[path], ODD_VALUES)
    assert not wrong, "\n".join(map(str, wrong))


@pytest.mark.parametrize("page", list(PAGES))
def test_no_filter_value_on_a_page_is_a_server_error(demo, page):
    username, parameters = PAGES[page]
    client = Client(raise_request_exception=False)
    client.force_login(get_user_model().objects.get(username=username))
    assert client.get(page).status_code == 200, page
    wrong = _walk(client, page, parameters, PAGE_VALUES)
    assert not wrong, "\n".join(map(str, wrong))


def test_an_anonymous_caller_gets_no_server_error_either(demo):
    client = APIClient(raise_request_exception=False)
    for value in ("%", "\x00", "𠀀"):
        assert client.get("/api/cases/", {"category": value}).status_code == 401
