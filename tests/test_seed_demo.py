"""`manage.py seed_demo`, what `make run` loads: a district a grid worker can file in at once."""

from io import StringIO

import pytest
from django.core.management import call_command

from cases.demo import TABLE
from cases.models import Case, Category, RoutingRule
from tests.conftest import DEMO_PASSWORD

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", persons=0, password=DEMO_PASSWORD, force=True, stdout=out)
    return out.getvalue()


def test_the_demo_brings_the_case_categories_and_grid1_can_file_at_once(login, home_grids):
    RoutingRule.objects.all().delete()
    # As on a fresh machine: the migrations load no categories.
    Category.objects.filter(parent__isnull=False).delete()
    Category.objects.all().delete()

    output = seed()

    kinds = sum(len(children) for _code, _name, _en, children in TABLE)
    assert Category.objects.filter(parent__isnull=False).count() == kinds
    assert RoutingRule.objects.filter(category__code="0701", urgency="emergency").exists()
    assert f"Case categories: {kinds} in {len(TABLE)} groups." in output
    response = login("grid1").post(
        "/api/cases/",
        {
            "category": "0501",
            "grid": home_grids[0].pk,
            "title": "公交站台破损",
            "description": "站台顶棚脱落",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert Case.objects.get(pk=response.json()["id"]).category.code == "0501"


def test_seeding_twice_adds_no_second_catalogue(demo):
    seed()
    categories, rules = Category.objects.count(), RoutingRule.objects.count()

    seed()

    assert (Category.objects.count(), RoutingRule.objects.count()) == (categories, rules)


def test_the_demo_brings_community_services_with_requests_and_visits(demo):
    from community.models import CareVisit, Service, ServiceRequest, VisitSchedule
    from grid.population import seed_population

    seed_population(persons=1200, seed=3)
    out = StringIO()
    call_command("seed_demo", persons=0, cases=40, password=DEMO_PASSWORD, force=True, stdout=out)

    assert Service.objects.filter(code="elderly_allowance", department__name="区民政局").exists()
    assert "Community services:" in out.getvalue()
    statuses = set(ServiceRequest.objects.values_list("status", flat=True))
    assert {"pending", "in_progress", "done"} <= statuses
    assert ServiceRequest.objects.filter(satisfaction__isnull=False).exists()
    assert VisitSchedule.objects.exists()
    assert CareVisit.objects.exists()
