"""The demo district's party building (party/demo.py, loaded by seed_demo): a tree down to the
grids, the registry's party members admitted, households linked within the limit, and every
party page showing data to the demo logins; loading again adds nothing."""

import pytest
from django.contrib.auth import get_user_model

from grid import population
from party import demo as party_demo
from party import selectors, services
from party.models import Activity, CommitteeSeat, HouseholdLink, Member, Organisation, Visit

pytestmark = pytest.mark.django_db


@pytest.fixture
def district(demo):
    """The demo district with 1,500 residents and its party building."""
    population.seed_population(persons=1500)
    party_demo.build_party(seed=1)
    return demo


def _counts() -> tuple[int, int, int]:
    return (Organisation.objects.count(), Member.objects.count(), HouseholdLink.objects.count())


def test_the_demo_admits_the_registrys_party_members_and_links_households(district, home_grids):
    members = list(Member.objects.select_related("person__grid", "organisation__area"))

    assert members
    assert {m.person.political_status for m in members} <= {"01", "02"}
    assert all(m.organisation.area.contains(m.person.grid) for m in members)
    assert max(m.links.count() for m in members) <= services.households_per_member()
    assert HouseholdLink.objects.count() > 0
    assert CommitteeSeat.objects.filter(role=CommitteeSeat.Role.SECRETARY).exists()
    assert Activity.objects.filter(kind=Activity.Kind.VOLUNTEER).exists()
    assert Visit.objects.filter(status=Visit.Status.DONE).exists()
    assert Visit.objects.filter(status=Visit.Status.PLANNED).exists()
    assert Organisation.objects.filter(kind=Organisation.Kind.GROUP).count() == 2
    limit = services.households_per_member()
    covered = [
        row
        for row in selectors.coverage_by_grid(home_grids)
        if row.members and row.households <= row.members * limit  # enough members to link
    ]
    assert covered
    for row in covered:
        assert 0.5 <= row.rate <= 0.95, row


def test_loading_the_demo_again_adds_nothing(district):
    before = _counts()

    assert party_demo.build_party(seed=1) == 0
    assert _counts() == before


def test_every_party_page_of_the_demo_shows_data(district, client):
    users = get_user_model().objects
    client.force_login(users.get(username="grid1"))
    field = client.get("/field/party/")
    client.force_login(users.get(username="community"))
    tree = client.get("/party/")
    coverage = client.get("/party/coverage/")

    assert field.context["links"]
    assert len(tree.context["organisations"]) >= 6
    assert coverage.context["total"].linked > 0
