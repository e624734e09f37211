"""Filter sets own their filters: building a filter's form field for one use (the API schema,
one page) never changes how another filter set, or a later request, renders or filters."""

import importlib
import pkgutil
import re

import django_filters
import pytest
from django.contrib.auth import get_user_model
from django.test import Client

pytestmark = pytest.mark.django_db


def _queue_form(language: str = "zh-hans") -> str:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(get_user_model().objects.get(username="community"))
    response = client.get("/console/cases/")
    assert response.status_code == 200
    html = response.content.decode()
    # The filter form only: the table below it changes with the cases.
    start = html.index('id="queue-filters"')
    return html[start : html.index("</form>", start)]


def test_the_queue_renders_its_own_filters_after_the_api_schema_was_generated(demo, login):
    assert login("community").get("/api/schema/", HTTP_ACCEPT_LANGUAGE="en").status_code == 200
    assert login("community").get("/api/docs/", HTTP_ACCEPT_LANGUAGE="en").status_code == 200

    form = _queue_form()

    assert re.search(r'<input type="checkbox" name="status" value="reported"', form)
    assert '<select name="status"' not in form
    assert "紧急程度" in form
    assert "全部紧急程度" in form
    assert "Urgency" not in form
    assert "---------" not in form


def test_generating_the_schema_between_two_queue_pages_changes_nothing(demo, login):
    before = _queue_form()
    login("district").get("/api/schema/", HTTP_ACCEPT_LANGUAGE="en")
    assert _queue_form() == before


def _project_filtersets() -> list[type]:
    for app in ("grid", "cases", "governance"):
        package = importlib.import_module(app)
        for module in pkgutil.walk_packages(package.__path__, f"{app}."):
            if ".migrations" not in module.name and ".management" not in module.name:
                importlib.import_module(module.name)
    found, todo = [], [django_filters.FilterSet]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.split(".")[0] in ("grid", "cases", "governance") and cls._meta.model:
            found.append(cls)
    return found


def test_no_filter_object_is_shared_between_two_filtersets():
    classes = _project_filtersets()
    assert len(classes) >= 10
    owner = {}
    for cls in classes:
        for attribute in ("declared_filters", "base_filters"):
            for name, filter_ in getattr(cls, attribute).items():
                first = owner.setdefault(id(filter_), (cls, name, filter_))
                assert first[0] is cls, (
                    f"{cls.__name__}.{name} is the same object as {first[0].__name__}.{first[1]}"
                )


def test_building_a_filters_field_on_the_class_does_not_reach_a_filterset_in_use():
    # What a schema generator does: build each class filter's form field (in any language).
    for cls in _project_filtersets():
        for filter_ in cls.base_filters.values():
            filter_.field  # noqa: B018 - building it is the point
            filter_.label = "changed by the schema"
    for cls in _project_filtersets():
        for name, filter_ in cls(queryset=cls._meta.model.objects.none()).filters.items():
            assert filter_.label != "changed by the schema", f"{cls.__name__}.{name}"
