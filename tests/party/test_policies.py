"""Who may change party building: organising is for community staff and up, the daily work
(links, visits, activities) for the grid worker of the grid too; supervisors only read. The
services ask the policies, so every interface obeys them."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from party import policies, services
from party.models import Activity, HouseholdLink, Member, Organisation

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("username", "allowed"),
    [("grid1", False), ("community", True), ("street", True), ("supervisor", False)],
)
def test_organisations_are_kept_by_community_staff_and_up(username, allowed, user, home_grids):
    assert policies.can_manage_organisation(user(username), home_grids[0]) is allowed


@pytest.mark.parametrize(
    ("username", "grid", "allowed"),
    [
        ("grid1", 0, True),
        ("grid1", 1, False),
        ("community", 1, True),
        ("supervisor", 0, False),
        ("transport", 0, False),
    ],
)
def test_households_are_linked_by_the_grids_worker_and_the_staff_above(
    username, grid, allowed, user, home_grids
):
    assert policies.can_link_households(user(username), home_grids[grid]) is allowed


def test_a_grid_worker_cannot_create_an_organisation_or_admit_a_member(user, tree, family):
    with pytest.raises(PermissionDenied):
        services.create_organisation(
            actor=user("grid1"), kind=Organisation.Kind.GROUP, name="第一党小组",
            parent=tree["branch1"], area=tree["branch1"].area,
        )  # fmt: skip
    with pytest.raises(PermissionDenied):
        services.admit_member(
            actor=user("grid1"), person=family["head"], organisation=tree["branch1"],
            status=Member.Status.FULL, joined_on=date(2000, 1, 1),
        )  # fmt: skip

    assert not Member.objects.exists()


def test_community_staff_admit_members_and_transfer_them_within_their_community(user, tree, family):
    member = services.admit_member(
        actor=user("community"), person=family["head"], organisation=tree["branch1"],
        status=Member.Status.FULL, joined_on=date(2000, 1, 1),
    )  # fmt: skip

    services.transfer_member(member, actor=user("community"), to=tree["branch2"])

    member.refresh_from_db()
    assert member.organisation == tree["branch2"]


def test_a_grid_worker_links_and_visits_in_their_grid_only(user, members, family, neighbour):
    link = services.link_household(
        actor=user("grid1"), member=members["head"], household=family["household"]
    )
    services.record_visit(actor=user("grid1"), link=link, notes="已走访")
    with pytest.raises(PermissionDenied):
        services.link_household(
            actor=user("grid1"), member=members["neighbour"], household=neighbour["household"]
        )

    assert HouseholdLink.objects.count() == 1


def test_a_supervisor_records_no_activity(user, tree):
    with pytest.raises(PermissionDenied):
        services.record_activity(
            actor=user("supervisor"), organisation=tree["branch1"],
            kind=Activity.Kind.VOLUNTEER, title="志愿服务", held_on=timezone.localdate(),
            hours=Decimal("1"),
        )  # fmt: skip
