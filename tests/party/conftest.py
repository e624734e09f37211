"""Party fixtures: an organisation tree over the demo's home street (党工委 → community 党总支 →
a 党支部 in each of grid1's and grid2's grids) and members drawn from the registry fixtures of
tests/grid, built through party/services.py so their history rows are real."""

from datetime import date

import pytest
from django.contrib.auth import get_user_model

from party import services
from party.models import Member, Organisation
from tests.grid import conftest as registry_fixtures

admin_user = registry_fixtures.admin_user
family = registry_fixtures.family
neighbour = registry_fixtures.neighbour

K = Organisation.Kind


@pytest.fixture
def user(demo):
    """user("grid1") → that demo user."""
    return lambda username: get_user_model().objects.get(username=username)


@pytest.fixture
def tree(home_street, home_community, home_grids):
    """{"street", "community", "branch1", "branch2"}: the street's 党工委, the community's 党总支
    and the 党支部 of grid1's and grid2's grids."""
    street = services.create_organisation(
        actor=None, kind=K.COMMITTEE, name="黄埔街道党工委", area=home_street
    )
    community = services.create_organisation(
        actor=None, kind=K.GENERAL_BRANCH, name="黄埔花园社区党总支", parent=street,
        area=home_community,
    )  # fmt: skip
    branch1, branch2 = (
        services.create_organisation(
            actor=None, kind=K.BRANCH, name=f"第{i}网格党支部", parent=community, area=grid
        )
        for i, grid in enumerate(home_grids[:2], start=1)
    )
    return {"street": street, "community": community, "branch1": branch1, "branch2": branch2}


@pytest.fixture
def members(tree, family, neighbour):
    """{"head", "spouse", "neighbour"}: 陈建华 (full) and 林美玲 (probationary) in grid1's branch,
    黄丽 (full) in grid2's branch."""

    def admit(person, branch, status, joined):
        return services.admit_member(
            actor=None, person=person, organisation=branch, status=status, joined_on=joined
        )

    return {
        "head": admit(family["head"], tree["branch1"], Member.Status.FULL, date(1995, 7, 1)),
        "spouse": admit(
            family["spouse"], tree["branch1"], Member.Status.PROBATIONARY, date(2025, 7, 1)
        ),
        "neighbour": admit(
            neighbour["person"], tree["branch2"], Member.Status.FULL, date(1975, 7, 1)
        ),
    }
