"""The API schema says what the server sends: a field the server may send as null is nullable in
the schema (clients generated from it would otherwise reject real answers). Checked two ways:
real answers of the person endpoints validated against the schema, and every serializer field
whose model field (or a step on its way there) may be null declared allow_null."""

import importlib
import pkgutil

import jsonschema
import pytest
from django.db import models
from drf_spectacular.generators import SchemaGenerator
from rest_framework import serializers

from tests.grid import conftest as registry_fixtures

pytestmark = pytest.mark.django_db

# A family of grid1's grid (tests/grid/): its head, spouse and son, their house and household.
admin_user = registry_fixtures.admin_user
family = registry_fixtures.family


def _json_schema(node):
    """OpenAPI 3.0's `nullable: true` as JSON Schema's null type, recursively."""
    if isinstance(node, list):
        return [_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _json_schema(value) for key, value in node.items()}
    if node.pop("nullable", False):
        return {"anyOf": [node, {"type": "null"}]}
    return node


@pytest.fixture(scope="module")
def api_schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def assert_matches_schema(api_schema, path: str, method: str, response) -> None:
    operation = api_schema["paths"][path][method]
    content = operation["responses"][str(response.status_code)]["content"]["application/json"]
    document = _json_schema({**content["schema"], "components": api_schema["components"]})
    jsonschema.validate(response.json(), document)


def test_the_person_endpoints_answer_as_their_schema_says(api_schema, login, family):
    client = login("grid1")
    head, son = family["head"], family["son"]
    url = f"/api/persons/{head.pk}/"

    assert_matches_schema(api_schema, "/api/persons/{id}/", "get", client.get(url))
    moved_out = client.post(f"{url}move-out/", {}, format="json")
    assert moved_out.json()["house"] is None
    assert_matches_schema(api_schema, "/api/persons/{id}/move-out/", "post", moved_out)
    assert_matches_schema(api_schema, "/api/persons/{id}/", "get", client.get(url))
    back = client.post(
        f"{url}move-back-in/",
        {"household": family["household"].pk, "relation": "02"},
        format="json",
    )
    assert back.status_code == 200, back.content
    assert_matches_schema(api_schema, "/api/persons/{id}/move-back-in/", "post", back)
    died = client.post(f"/api/persons/{son.pk}/death/", {}, format="json")
    assert_matches_schema(api_schema, "/api/persons/{id}/death/", "post", died)
    assert_matches_schema(
        api_schema, "/api/persons/", "get", client.get("/api/persons/", {"status": "deceased"})
    )


def _api_serializers() -> list[type]:
    for app in ("grid", "cases", "governance"):
        package = importlib.import_module(app)
        for module in pkgutil.walk_packages(package.__path__, f"{app}."):
            if ".migrations" not in module.name and ".management" not in module.name:
                importlib.import_module(module.name)
    found, todo = [], [serializers.ModelSerializer]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.split(".")[0] in ("grid", "cases", "governance"):
            found.append(cls)
    return found


def _may_be_null(model, source: str) -> bool:
    """Whether following `source` (dotted) from a row of `model` may end in None."""
    for name in source.split("."):
        try:
            field = model._meta.get_field(name)
        except Exception:  # a property or method: its own annotation is the schema's business
            return False
        if field.null:
            return True
        if not isinstance(field, models.ForeignKey | models.OneToOneField):
            return False
        model = field.related_model
    return False


def test_every_field_that_may_be_null_is_nullable_in_the_schema():
    offenders = []
    for cls in _api_serializers():
        meta = getattr(cls, "Meta", None)
        if meta is None or getattr(meta, "model", None) is None:
            continue
        for name, field in cls().fields.items():
            if field.source == "*" or isinstance(field, serializers.SerializerMethodField):
                continue
            if isinstance(field, serializers.ListSerializer | serializers.ManyRelatedField):
                continue
            if _may_be_null(meta.model, field.source) and not field.allow_null:
                offenders.append(f"{cls.__module__}.{cls.__name__}.{name}")
    assert offenders == [], "\n".join(offenders)
