"""Community-service fixtures: the default catalogue and visit plans, the registry fixtures of
tests/grid (a family in grid1's grid, a neighbour in grid2's), with care tags, and a helper to
record a request."""

import pytest
from django.contrib.auth import get_user_model

from community import services
from community.demo import build_catalogue
from community.models import Service
from grid.models import CareTag
from tests.cases import conftest as case_fixtures
from tests.grid import conftest as registry_fixtures

user, category, photo, file_case = (
    case_fixtures.user,
    case_fixtures.category,
    case_fixtures.photo,
    case_fixtures.file_case,
)
admin_user, family, neighbour = (
    registry_fixtures.admin_user,
    registry_fixtures.family,
    registry_fixtures.neighbour,
)


@pytest.fixture
def catalogue(demo):
    # A transactional test (the browser's) empties the tables the migrations had filled.
    for code, name, name_en in [
        ("elderly_alone", "独居老人", "Elderly living alone"),
        ("disabled", "残疾人", "Disabled"),
    ]:
        CareTag.objects.get_or_create(code=code, defaults={"name": name, "name_en": name_en})
    build_catalogue()
    return lambda code: Service.objects.get(code=code)


@pytest.fixture
def elderly(family, catalogue):
    """陈建华 of grid1's family, tagged 独居老人 (visited weekly), with his visit schedule."""
    person = family["head"]
    person.care_tags.add(CareTag.objects.get(code="elderly_alone"))
    services.refresh_schedules()
    return person


@pytest.fixture
def record(catalogue, family):
    """record(by="grid1", service="social_insurance", **more) → a request for 陈建华."""

    def make(by: str = "grid1", service: str = "social_insurance", **more):
        fields = {"person": family["head"], "description": "腿脚不便，请上门办理", **more}
        request, _created = services.record_request(
            actor=get_user_model().objects.get(username=by),
            service=catalogue(service),
            **fields,
        )
        return request

    return make
