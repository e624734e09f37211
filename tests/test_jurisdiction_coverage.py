"""Cross-cutting: every registered route is either public by design or scoped by jurisdiction,
and a detail route answers 404 for a row outside the caller's jurisdiction while the same URL
reaches the row for a caller inside it. Photos, which may show residents and their homes, are
served only so: each photo route shows the file in scope and 404s outside it.

A new route or model makes these tests fail until it is scoped (or declared public here with a
reason) and has an out-of-scope sample below.
"""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from rest_framework.test import APIClient

from cases import services as case_services
from cases.models import Case, CasePhoto, Category, Dispatch
from cases.photos import store_photo
from community import services as community_services
from community.demo import build_catalogue
from community.models import (
    CareVisit,
    CareVisitPhoto,
    Service,
    ServiceRequest,
    ServiceRequestPhoto,
)
from datagov import objections, sharing
from datagov.models import Dataset, Grant, Objection, SharingRequest
from governance.clients import register
from governance.models import ApiClient, ApiToken
from grid.admin import ScopedAdminMixin
from grid.jurisdiction import JurisdictionScopedMixin
from grid.models import Area, Building, Department, House, Household, ImportJob, Person
from open311.models import Open311Request
from party import services as party_services
from party.models import Activity, HouseholdLink, Member, Organisation, Visit
from tests.cases.conftest import make_photo
from tests.grid import conftest as registry_fixtures

pytestmark = pytest.mark.django_db

# The registry's out-of-scope samples come from the fixtures of tests/grid/.
admin_user = registry_fixtures.admin_user
neighbour = registry_fixtures.neighbour

# Route names anyone may open, and why.
PUBLIC = {
    "home": "the front page; shows the visitor only a login button",
    "login": "signing in",
    "logout": "signing out",
    "set_language": "language switch",
    "health": "liveness probe, no data",
    "api-token": "exchanging a password for a token",
    "api-schema": "the API's description, no data",
    "api-docs": "Swagger UI over the schema",
    "api-redoc": "the old Redoc address, a redirect to the Swagger UI",
    "field-sw": "the field app's service worker script; browsers fetch it without a session",
    "field-manifest": "the web app manifest; browsers fetch it without credentials",
    # Open311 GeoReport v2 (docs/open311.md): public by the specification; what it shows of a
    # case is public by design (no contact, no person), and filing needs a client's key.
    "open311-discovery": "Open311: where the endpoint is",
    "open311-services": "Open311: the category table",
    "open311-service": "Open311: a category's questions",
    "open311-requests": "Open311: requests filed through Open311, their public facts",
    "open311-request": "Open311: one such request",
    "open311-token": "Open311: the id of a request filed with a token",
    "open311-unknown": "Open311: a 404 in the specification's shape",
    # Open statistics (docs/datagov.md): aggregates of 普遍共享 data only, small cells suppressed.
    "open-data": "open statistics: the public page",
    "open-data-statistics": "open statistics: one table as JSON or CSV",
}


def _walk(resolver: URLResolver, prefix: str = ""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if entry.app_name == "admin":
                continue  # The admin is checked through its ModelAdmins below.
            yield from _walk(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def _view_class(pattern: URLPattern):
    callback = pattern.callback
    return getattr(callback, "cls", None) or getattr(callback, "view_class", None)


ROUTES = [
    (route, pattern)
    for route, pattern in _walk(get_resolver())
    if not route.startswith(("static/", "media/"))
]


def _model_of(view_class):
    queryset = getattr(view_class, "queryset", None)
    if queryset is not None:
        return queryset.model
    return getattr(view_class, "model", None)


def _url(route: str, pk: int | None = None, ids: dict[str, int] | None = None) -> str:
    """A concrete URL for a route pattern: `pk` for its id, `ids` for other named ids, a
    harmless value elsewhere."""
    url = re.sub(r"\^|\$|\\", "", route)
    for name, value in {"pk": pk or 1, **(ids or {})}.items():
        url = re.sub(rf"<(?:int:)?{name}>|\(\?P<{name}>[^)]*\)", str(value), url)
    url = re.sub(r"<[^>]+>|\(\?P<[^>]+>[^)]*\)", "x", url)
    return "/" + url.replace("//", "/")


@pytest.mark.parametrize(("route", "pattern"), ROUTES, ids=[r for r, _ in ROUTES])
def test_every_route_is_public_by_design_or_scoped(route, pattern):
    if pattern.name in PUBLIC:
        return
    view_class = _view_class(pattern)

    assert view_class is not None, f"{route}: a function view cannot be checked; use a class"
    assert (
        issubclass(view_class, JurisdictionScopedMixin)
        or getattr(view_class, "jurisdiction_exempt", None)
        or view_class.__name__ == "APIRootView"
    ), f"{route} ({view_class.__name__}) is not scoped"


@pytest.mark.parametrize(("route", "pattern"), ROUTES, ids=[r for r, _ in ROUTES])
def test_every_non_public_route_refuses_anonymous_visitors(demo, route, pattern):
    if pattern.name in PUBLIC:
        return

    response = APIClient().get(_url(route))

    # 401/403 for the API; the pages redirect to the login form.
    assert response.status_code in (401, 403, 302), f"{route}: {response.status_code}"
    if response.status_code == 302:
        assert response["Location"].startswith("/accounts/login/")


def _case_samples(home_grids):
    """A case in grid2's grid, dispatched by the district to 区交通运输局, its dispatch and a
    photo of it."""
    users = get_user_model().objects
    case, _created = case_services.report_case(
        reporter=users.get(username="grid2"),
        category=Category.objects.get(code="0802"),  # starts at the district
        title="危险化学品隐患",
        grid=home_grids[1],
    )
    case_services.accept_case(case, actor=users.get(username="district"))
    case_services.dispatch_case(
        case,
        actor=users.get(username="district"),
        lead=Department.objects.get(name="区交通运输局"),
    )
    photo = store_photo(case=case, event=None, upload=make_photo(), user=None)
    return {Case: case, Dispatch: case.dispatches.get(), CasePhoto: photo}


def _party_samples(home_grids, neighbour):
    """A party organisation of grid2's grid, its member (the neighbour), their linked household,
    a visit to it and an activity."""
    organisation = party_services.create_organisation(
        actor=None, kind=Organisation.Kind.COMMITTEE, name="第2网格党委", area=home_grids[1]
    )
    member = party_services.admit_member(
        actor=None, person=neighbour["person"], organisation=organisation,
        status=Member.Status.FULL, joined_on=date(1980, 7, 1),
    )  # fmt: skip
    link = party_services.link_household(
        actor=None, member=member, household=neighbour["household"]
    )
    visit = party_services.record_visit(actor=None, link=link, notes="走访")
    activity = party_services.record_activity(
        actor=None, organisation=organisation, kind=Activity.Kind.VOLUNTEER, title="志愿服务",
        held_on=date(2026, 1, 5), hours=Decimal("2"), attendees=[member],
    )  # fmt: skip
    return {
        Organisation: organisation,
        Member: member,
        HouseholdLink: link,
        Visit: visit,
        Activity: activity,
    }


def _community_samples(neighbour):
    """A service request for grid2's neighbour with a photo of its documents, and a care visit
    to her."""
    grid2 = get_user_model().objects.get(username="grid2")
    build_catalogue()
    request, _created = community_services.record_request(
        actor=grid2,
        service=Service.objects.get(code="social_insurance"),
        person=neighbour["person"],
        photos=[make_photo()],
    )
    visit, _created = community_services.record_visit(
        actor=grid2, person=neighbour["person"], findings="身体良好", photos=[make_photo()]
    )
    return {
        ServiceRequest: request,
        ServiceRequestPhoto: request.photos.get(),
        CareVisit: visit,
        CareVisitPhoto: visit.photos.get(),
    }


def _out_of_scope_samples(home_grids, other_street, neighbour):
    """For each model behind a detail route: a row grid1 must not see."""
    return {
        **_community_samples(neighbour),
        Area: home_grids[1],
        Department: Department.objects.get(name="区交通运输局"),
        **_case_samples(home_grids),
        Building: neighbour["building"],
        House: neighbour["house"],
        Household: neighbour["household"],
        Person: neighbour["person"],
        ApiToken: ApiToken.objects.create(get_user_model().objects.get(username="grid2"))[0],
        ImportJob: ImportJob.objects.create(
            area=home_grids[1],
            uploader=get_user_model().objects.get(username="grid2"),
            file_name="grid2.csv",
        ),
        **_party_samples(home_grids, neighbour),
        Open311Request: _open311_sample(home_grids),
        Objection: objections.raise_objection(
            actor=get_user_model().objects.get(username="grid2"),
            record=neighbour["person"],
            kind="wrong_address",
            text="门牌号有误",
        ),
        **_sharing_samples(home_grids),
    }


def _sharing_samples(home_grids):
    """The transport bureau's request for the households of grid2's grid, and its grant
    (datagov/sharing.py): seen by grid2's worker (their area), not by grid1's."""
    users = get_user_model().objects
    today = timezone.localdate()
    request = sharing.submit(
        actor=users.get(username="transport"), dataset=Dataset.objects.get(key="grid.household"),
        field_names=["number"], purpose="调研", area=home_grids[1], starts_on=today,
        ends_on=today, department=Department.objects.get(name="区交通运输局"),
    )  # fmt: skip
    grant = sharing.approve(request, actor=users.get(username="admin"))
    return {SharingRequest: request, Grant: grant}


def _open311_sample(home_grids):
    """A request an Open311 app filed in grid2's grid (open311/: its contact page)."""
    app = ApiClient(name="随手拍", kind=ApiClient.Kind.OPEN311)
    register(app)
    case, _created = case_services.report_case(
        reporter=app.user,
        category=Category.objects.get(code="0101"),
        title="垃圾",
        grid=home_grids[1],
        source=Case.Source.OPEN311,
        external=True,
    )
    return Open311Request.objects.create(
        case=case, client=app, requested_at=case.reported_at, phone="13812345678"
    )


DETAIL_ROUTES = [
    (route, pattern)
    for route, pattern in ROUTES
    if "pk" in route and pattern.name not in PUBLIC and _model_of(_view_class(pattern))
]
# Routes that name a photo of the case besides the case, in the path or the query.
PHOTO_ROUTES = [(r, p) for r, p in DETAIL_ROUTES if "photo" in p.name]
PHOTO_QUERY = {
    "field-task-photo": "?id={photo}",
    "field-care-request-photo": "?id={photo}",
    "field-care-visit-photo": "?id={photo}",
}
# The photo model of each model whose routes show photos (a case's by default).
PHOTO_OF = {ServiceRequest: ServiceRequestPhoto, CareVisit: CareVisitPhoto}


def _sample_url(route: str, pattern: URLPattern, samples: dict) -> str:
    """The route's URL for its model's sample: one that works for a user who can see it, so
    that a 404 says the sample is out of scope, not that the URL is wrong."""
    model = _model_of(_view_class(pattern))
    photo = samples[PHOTO_OF.get(model, CasePhoto)].pk
    url = _url(route, samples[model].pk, {"photo_id": photo})
    return url + PHOTO_QUERY.get(pattern.name, "").format(photo=photo)


@pytest.mark.parametrize(("route", "pattern"), DETAIL_ROUTES, ids=[r for r, _ in DETAIL_ROUTES])
def test_every_detail_route_hides_rows_outside_the_jurisdiction(
    home_grids, other_street, neighbour, route, pattern
):
    model = _model_of(_view_class(pattern))
    samples = _out_of_scope_samples(home_grids, other_street, neighbour)
    assert model in samples, f"add an out-of-scope {model.__name__} sample for {route}"
    client = APIClient()
    client.force_login(get_user_model().objects.get(username="grid1"))

    response = client.get(_sample_url(route, pattern, samples))

    assert response.status_code == 404, f"{route}: {response.status_code}"


# Who sees the samples: grid2 works their grid; a department is seen by its own staff.
SEES_THE_SAMPLE = {Department: "transport"}


@pytest.mark.parametrize(("route", "pattern"), DETAIL_ROUTES, ids=[r for r, _ in DETAIL_ROUTES])
def test_every_detail_route_reaches_its_sample_for_a_user_in_scope(
    home_grids, other_street, neighbour, route, pattern
):
    samples = _out_of_scope_samples(home_grids, other_street, neighbour)
    username = SEES_THE_SAMPLE.get(_model_of(_view_class(pattern)), "grid2")
    client = APIClient()
    client.force_login(get_user_model().objects.get(username=username))

    response = client.get(_sample_url(route, pattern, samples))

    # Any answer but 404 (a page, a redirect, 405 for a step): the out-of-scope 404 above is
    # the scope's doing, not a URL that leads nowhere.
    assert response.status_code != 404, route


@pytest.mark.parametrize(("route", "pattern"), PHOTO_ROUTES, ids=[r for r, _ in PHOTO_ROUTES])
def test_every_photo_route_shows_the_photo_only_to_those_who_see_its_case(
    home_grids, other_street, neighbour, route, pattern
):
    samples = _out_of_scope_samples(home_grids, other_street, neighbour)
    url = _sample_url(route, pattern, samples)
    client = APIClient()

    client.force_login(get_user_model().objects.get(username="grid2"))
    in_scope = client.get(url)
    client.force_login(get_user_model().objects.get(username="grid1"))
    out_of_scope = client.get(url)

    assert (in_scope.status_code, in_scope["Content-Type"]) == (200, "image/jpeg"), route
    assert in_scope["X-Content-Type-Options"] == "nosniff"
    assert in_scope["Cache-Control"].startswith("private")
    assert out_of_scope.status_code == 404, route


def test_the_photo_routes_are_really_walked():
    names = {pattern.name for _route, pattern in PHOTO_ROUTES}
    assert names >= {
        "console-photo",
        "field-task-photo",
        "case-photo",
        "service-request-photo",
        "field-care-visit-photo",
    }


def test_the_detail_routes_are_really_walked():
    assert len(DETAIL_ROUTES) >= 3


@pytest.mark.parametrize(
    "model_admin",
    [
        a
        for m, a in admin.site._registry.items()
        if m._meta.app_label in ("grid", "cases", "party", "community", "open311")
    ],
    ids=lambda a: type(a).__name__,
)
def test_every_admin_of_our_models_is_scoped(model_admin):
    assert isinstance(model_admin, ScopedAdminMixin)
