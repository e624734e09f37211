"""Request bodies the API refuses before any view reads them (governance/parsers.py): JSON nested
thousands of levels deep (Python's json parser recursed into a 500) and bodies over the size
limit. Every operation of the schema that takes JSON is tried, signed in and anonymous."""

import json
from datetime import date
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from rest_framework.test import APIClient

from cases import services as case_services
from cases.models import Category
from governance.clients import register
from governance.models import ApiClient
from governance.parsers import MAX_DEPTH, depth_of
from grid import idnumbers, registry

pytestmark = pytest.mark.django_db

DEEP = "[" * 5000 + "]" * 5000
DEEP_OBJECT = '{"a":' * 5000 + "1" + "}" * 5000


def _json_operations() -> list[tuple[str, str]]:
    schema = Client().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    return [
        (method, path)
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if "application/json" in operation.get("requestBody", {}).get("content", {})
    ]


def _row_counts() -> dict[str, int]:
    """Rows of every model of the project's own apps (tokens, cases, the registry, party …)."""
    return {
        model._meta.label: model.objects.count()
        for config in apps.get_app_configs()
        if Path(config.path).is_relative_to(settings.BASE_DIR)
        for model in config.get_models()
    }


@pytest.fixture
def rows(demo, home_grids):
    """One row of each kind the operations name by id."""
    admin = get_user_model().objects.get(username="admin")
    grid = home_grids[0]
    case, _created = case_services.report_case(
        reporter=get_user_model().objects.get(username="grid1"),
        category=Category.objects.get(code="0101"),
        title="测试事件",
        lng=grid.centroid_lng,
        lat=grid.centroid_lat,
    )
    building = registry.create_building(
        actor=admin, grid=grid, number="1", address="黄埔花园1栋", floors=6, units=2
    )
    house = registry.create_house(actor=admin, building=building, unit=1, floor=3, number="301")
    household = registry.create_household(actor=admin, number="H-0001", house=house)
    person = registry.register_person(
        actor=admin, household=household, relation="02", name="陈建华",
        id_number=idnumbers.make_resident_id("440112", date(1970, 5, 1), 11),
        on=date(2020, 1, 1),
    )  # fmt: skip
    return {
        "cases": case.pk, "persons": person.pk, "households": household.pk, "areas": grid.pk,
    }  # fmt: skip


def _url(path: str, rows: dict) -> str:
    collection = path.split("/")[2]
    return path.replace("{id}", str(rows.get(collection, 0)))


def test_every_json_operation_refuses_deep_nesting_with_a_400_and_writes_nothing(login, rows):
    signed_in = login("admin")
    signed_in.credentials(
        HTTP_ACCEPT_LANGUAGE="en", HTTP_AUTHORIZATION=signed_in._credentials["HTTP_AUTHORIZATION"]
    )
    # The hotline's door takes its client key, not a person's token.
    hotline = APIClient()
    hotline.credentials(
        HTTP_ACCEPT_LANGUAGE="en",
        HTTP_X_API_KEY=register(ApiClient(name="12345", kind=ApiClient.Kind.HOTLINE)),
    )
    anonymous = APIClient()
    before = _row_counts()
    operations = _json_operations()
    assert ("post", "/api/auth/token/") in operations
    assert ("post", "/api/hotline/work-orders/") in operations
    for method, path in operations:
        url = _url(path, rows)
        caller = hotline if path.startswith("/api/hotline/") else signed_in
        for body in (DEEP, DEEP_OBJECT):
            answer = caller.generic(method.upper(), url, body, content_type="application/json")
            if "{number}" in path:
                # No work order of that number: the 404 comes first.
                assert answer.status_code == 404, (method, path)
                continue
            if "{id}" in path and path.split("/")[2] not in rows:
                # No row of that kind here (dispatches, party links …): the 404 comes first,
                # and it is no 500 either.
                assert answer.status_code == 404, (method, path)
                continue
            assert answer.status_code == 400, (method, path, answer.content)
            assert "nests too deeply" in answer.json()["detail"]
            # Anonymous callers get their 401 before the body is read, or (the token view)
            # the same 400.
            answer = anonymous.generic(method.upper(), url, body, content_type="application/json")
            assert answer.status_code in (400, 401), (method, path, answer.content)
    assert _row_counts() == before


def test_the_refusal_is_in_chinese_by_default_and_english_on_request(demo):
    client = APIClient()
    chinese = client.post("/api/auth/token/", DEEP, content_type="application/json")
    english = client.post(
        "/api/auth/token/", DEEP, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert chinese.status_code == english.status_code == 400
    assert chinese.json()["detail"] != english.json()["detail"]
    assert "nests too deeply" in english.json()["detail"]


def test_nesting_just_past_the_limit_is_refused_and_just_within_it_is_read(login):
    client = login("admin")
    within = {"all": True, "extra": json.loads(
        "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1)
    )}  # fmt: skip
    assert depth_of(within) == MAX_DEPTH
    answer = client.post("/api/notifications/mark-read/", within, format="json")
    assert answer.status_code < 400, answer.content
    past = {"all": True, "extra": [within["extra"]]}
    answer = client.post(
        "/api/notifications/mark-read/", past, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert answer.status_code == 400
    assert "nests too deeply" in answer.json()["detail"]


def test_a_json_body_over_the_size_limit_is_refused_with_a_400(demo, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    body = json.dumps({"username": "admin", "password": "x" * 2000})
    answer = APIClient().post(
        "/api/auth/token/", body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert answer.status_code == 400
    assert "too large" in answer.json()["detail"]


@pytest.mark.parametrize("path", ["/api/cases/", "/api/party/activities/", "/api/auth/token/"])
def test_a_form_with_too_many_fields_is_a_json_400_not_an_html_page(login, path):
    fields = {f"f{i}": "x" for i in range(1001)}  # DATA_UPLOAD_MAX_NUMBER_FIELDS is 1,000
    client = login("admin") if path != "/api/auth/token/" else APIClient()
    before = _row_counts()

    answer = client.post(path, fields, format="multipart", HTTP_ACCEPT_LANGUAGE="en")

    assert answer.status_code == 400
    assert answer["Content-Type"] == "application/json"
    assert answer.json() == {
        "detail": "The request has too many fields (at most 1000).",
        "code": "parse_error",
        "errors": {},
    }
    assert _row_counts() == before


def test_depth_counts_levels_of_lists_and_objects():
    assert depth_of(1) == 0
    assert depth_of([]) == 1
    assert depth_of({"a": [1, {"b": []}]}) == 4
