"""Party building's services: the organisation tree, members and their history, linked
households with their limit and coverage, visits with compare-and-set, activities and an
organisation's statistics."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from grid import registry
from grid.models import Department, Person
from party import selectors, services
from party.exceptions import VisitConflict
from party.models import (
    Activity,
    CommitteeSeat,
    HouseholdLink,
    Member,
    MemberEvent,
    Organisation,
    Visit,
)

pytestmark = pytest.mark.django_db
K = Organisation.Kind


def _errors(excinfo) -> dict:
    return excinfo.value.message_dict


# The tree


def test_each_organisation_keeps_the_path_of_its_ancestors(tree):
    street, community, branch = tree["street"], tree["community"], tree["branch1"]

    assert branch.path == f"/{street.pk}/{community.pk}/{branch.pk}/"
    assert street.contains(branch)
    assert not branch.contains(community)


def test_a_child_sits_lower_than_its_parent(tree, home_grids):
    with pytest.raises(ValidationError) as excinfo:
        services.create_organisation(
            actor=None, kind=K.GENERAL_BRANCH, name="X", parent=tree["branch1"], area=home_grids[0]
        )

    assert list(_errors(excinfo)) == ["kind"]


def test_a_committee_may_lead_committees_but_a_general_branch_may_not(tree, home_community):
    community = services.create_organisation(
        actor=None, kind=K.COMMITTEE, name="黄埔花园社区党委", parent=tree["street"],
        area=home_community,
    )  # fmt: skip
    with pytest.raises(ValidationError) as excinfo:
        services.create_organisation(
            actor=None, kind=K.COMMITTEE, name="X", parent=tree["community"], area=home_community
        )

    assert community.parent == tree["street"]
    assert list(_errors(excinfo)) == ["kind"]


def test_a_party_group_belongs_to_a_branch_and_only_a_committee_tops_the_tree(tree, home_grids):
    with pytest.raises(ValidationError) as group:
        services.create_organisation(
            actor=None, kind=K.GROUP, name="第一党小组", parent=tree["street"], area=home_grids[0]
        )
    with pytest.raises(ValidationError) as top:
        services.create_organisation(actor=None, kind=K.BRANCH, name="孤立支部", area=home_grids[0])

    assert "parent" in _errors(group)
    assert "parent" in _errors(top)


def test_a_branch_directly_under_a_committee_and_a_group_in_a_branch_are_allowed(tree, home_grids):
    branch = services.create_organisation(
        actor=None, kind=K.BRANCH, name="街道机关党支部", parent=tree["street"], area=home_grids[2]
    )
    group = services.create_organisation(
        actor=None, kind=K.GROUP, name="第一党小组", parent=branch, area=home_grids[2]
    )

    assert group.path.startswith(tree["street"].path)


def test_an_organisation_lies_within_its_parents_area(tree, other_community):
    with pytest.raises(ValidationError) as excinfo:
        services.create_organisation(
            actor=None, kind=K.BRANCH, name="外社区支部", parent=tree["community"],
            area=other_community.children.first(),
        )  # fmt: skip

    assert list(_errors(excinfo)) == ["area"]
    assert not Organisation.objects.filter(name="外社区支部").exists()


def test_an_organisation_of_a_department_takes_the_departments_area(demo):
    department = Department.objects.get(name="区交通运输局")

    organisation = services.create_organisation(
        actor=None, kind=K.COMMITTEE, name="区交通运输局党委", department=department
    )

    assert (organisation.area, organisation.department) == (demo, department)


def test_bad_input_names_every_bad_field_and_writes_nothing(tree):
    with pytest.raises(ValidationError) as excinfo:
        services.create_organisation(actor=None, kind="bogus", name=" ", parent=tree["street"])

    assert set(_errors(excinfo)) == {"kind", "name", "area"}


def test_a_new_committee_ends_the_old_one_which_stays_in_history(tree, members):
    branch = tree["branch1"]
    services.appoint_committee(branch, actor=None, secretary=members["head"], on=date(2024, 1, 1))

    services.appoint_committee(
        branch, actor=None, secretary=members["spouse"], committee=[members["head"]],
        on=date(2025, 1, 1),
    )  # fmt: skip

    seats = list(branch.committee_seats.order_by("id").values_list("member", "role", "ended_on"))
    assert seats == [
        (members["head"].pk, CommitteeSeat.Role.SECRETARY, date(2025, 1, 1)),
        (members["spouse"].pk, CommitteeSeat.Role.SECRETARY, None),
        (members["head"].pk, CommitteeSeat.Role.COMMITTEE_MEMBER, None),
    ]


def test_the_committee_is_drawn_from_the_organisations_own_members(tree, members):
    with pytest.raises(ValidationError) as excinfo:
        services.appoint_committee(tree["branch1"], actor=None, secretary=members["neighbour"])

    assert list(_errors(excinfo)) == ["secretary"]
    assert not CommitteeSeat.objects.exists()


# Members


def test_admitting_a_member_records_the_admission(members, tree):
    event = members["head"].events.get()

    assert (event.kind, event.to_organisation, event.to_status, event.occurred_on) == (
        MemberEvent.Kind.ADMIT,
        tree["branch1"],
        Member.Status.FULL,
        date(1995, 7, 1),
    )


def test_a_person_is_a_member_once(members, tree, family):
    with pytest.raises(ValidationError) as excinfo:
        services.admit_member(
            actor=None, person=family["head"], organisation=tree["branch2"],
            status=Member.Status.FULL, joined_on=date(2000, 1, 1),
        )  # fmt: skip

    assert list(_errors(excinfo)) == ["person"]


def test_only_living_adults_are_admitted(tree, family, admin_user):
    registry.record_death(family["spouse"], actor=admin_user)
    with pytest.raises(ValidationError) as dead:
        services.admit_member(
            actor=None, person=Person.objects.get(pk=family["spouse"].pk),
            organisation=tree["branch1"], status=Member.Status.FULL, joined_on=date(2000, 1, 1),
        )  # fmt: skip
    with pytest.raises(ValidationError) as child:
        services.admit_member(
            actor=None, person=family["son"], organisation=tree["branch1"],
            status=Member.Status.PROBATIONARY, joined_on=date(2015, 1, 1),
        )  # fmt: skip

    assert list(_errors(dead)) == ["person"]
    assert list(_errors(child)) == ["joined_on"]
    assert not Member.objects.exists()


def test_a_transfer_moves_the_member_and_keeps_where_from(members, tree):
    services.appoint_committee(tree["branch1"], actor=None, secretary=members["head"])

    member = services.transfer_member(
        members["head"], actor=None, to=tree["branch2"], on=date(2025, 3, 1), note="搬迁"
    )

    event = member.events.get(kind=MemberEvent.Kind.TRANSFER)
    assert (member.organisation, event.from_organisation, event.to_organisation) == (
        tree["branch2"],
        tree["branch1"],
        tree["branch2"],
    )
    # The seat on the former branch's committee ends with the transfer.
    assert member.committee_seats.get().ended_on == date(2025, 3, 1)


def test_a_member_moved_into_a_group_of_their_branch_keeps_their_seat(tree, members):
    services.appoint_committee(tree["branch1"], actor=None, secretary=members["head"])
    group = services.create_organisation(
        actor=None, kind=K.GROUP, name="第一党小组", parent=tree["branch1"],
        area=tree["branch1"].area,
    )  # fmt: skip

    services.transfer_member(members["head"], actor=None, to=group)

    assert members["head"].committee_seats.get().ended_on is None


def test_a_status_change_keeps_the_former_status(members):
    member = services.change_member_status(
        members["spouse"], actor=None, status=Member.Status.FULL, note="转正"
    )

    event = member.events.get(kind=MemberEvent.Kind.STATUS)
    assert (member.status, event.from_status, event.to_status) == (
        Member.Status.FULL,
        Member.Status.PROBATIONARY,
        Member.Status.FULL,
    )


def test_a_death_in_the_registry_shows_on_the_member(members, admin_user):
    registry.record_death(members["neighbour"].person, actor=admin_user)

    member = Member.objects.select_related("person").get(pk=members["neighbour"].pk)
    assert member.person.status == Person.Status.DECEASED
    assert selectors.coverage_by_grid([member.person.grid])[0].members == 0


# Linked households


def test_a_member_links_with_households_of_the_grid_they_live_in(members, family):
    link = services.link_household(
        actor=None, member=members["head"], household=family["household"]
    )

    assert (link.grid_id, link.ended_on) == (family["household"].grid_id, None)


def test_a_household_outside_the_members_grids_cannot_be_linked(members, neighbour):
    with pytest.raises(ValidationError) as excinfo:
        services.link_household(
            actor=None, member=members["head"], household=neighbour["household"]
        )

    assert list(_errors(excinfo)) == ["household"]


def test_the_grid_a_member_works_in_counts_too(members, neighbour):
    member = members["head"]
    member.work_grid = neighbour["household"].grid
    member.save()

    link = services.link_household(actor=None, member=member, household=neighbour["household"])

    assert link.member == member


def test_a_household_has_one_linked_member_at_a_time(members, family):
    services.link_household(actor=None, member=members["head"], household=family["household"])

    with pytest.raises(ValidationError) as excinfo:
        services.link_household(actor=None, member=members["spouse"], household=family["household"])

    assert list(_errors(excinfo)) == ["household"]
    assert HouseholdLink.objects.count() == 1


def test_a_member_links_with_at_most_the_configured_number(members, family, settings, admin_user):
    settings.PARTY_HOUSEHOLDS_PER_MEMBER = 1
    services.link_household(actor=None, member=members["head"], household=family["household"])
    other = registry.create_household(actor=admin_user, number="H-0003", house=family["house"])
    registry.register_person(
        actor=admin_user, household=other, relation="02", name="赵六", sex="1", on=date(2020, 1, 1)
    )

    with pytest.raises(ValidationError) as excinfo:
        services.link_household(actor=None, member=members["head"], household=other)

    assert list(_errors(excinfo)) == ["member"]


def test_ending_a_link_keeps_it_and_cancels_its_planned_visits(members, family):
    link = services.link_household(
        actor=None, member=members["head"], household=family["household"]
    )
    planned = services.plan_visit(actor=None, link=link, planned_on=date(2030, 1, 1))

    services.end_link(link, actor=None)

    link.refresh_from_db()
    planned.refresh_from_db()
    assert link.ended_on == timezone.localdate()
    assert (planned.status, planned.version) == (Visit.Status.CANCELLED, 2)
    # The household may now be linked with someone else.
    services.link_household(actor=None, member=members["spouse"], household=family["household"])


def test_coverage_counts_linked_households_of_all_occupied_ones_per_grid(
    members, family, neighbour, home_grids
):
    services.link_household(actor=None, member=members["head"], household=family["household"])

    first, second = selectors.coverage_by_grid(home_grids[:2])

    assert (first.households, first.linked, first.members, first.rate) == (1, 1, 2, 1.0)
    assert (second.households, second.linked, second.members, second.rate) == (1, 0, 1, 0.0)
    community = selectors.coverage_of_area(home_grids[0].parent)
    assert (community.households, community.linked) == (2, 1)


# Visits


@pytest.fixture
def link(members, family):
    return services.link_household(
        actor=None, member=members["head"], household=family["household"]
    )


def test_a_visit_done_is_recorded_with_its_notes(link):
    visit = services.record_visit(actor=None, link=link, notes="老人身体好，需要帮忙买药")

    assert (visit.status, visit.member_id, visit.household_id, visit.grid_id) == (
        Visit.Status.DONE,
        link.member_id,
        link.household_id,
        link.grid_id,
    )


def test_completing_a_planned_visit_is_compare_and_set(link):
    visit = services.plan_visit(actor=None, link=link, planned_on=timezone.localdate())

    done = services.complete_visit(visit, actor=None, version=1, notes="已走访")
    with pytest.raises(VisitConflict) as excinfo:
        services.complete_visit(visit, actor=None, version=1, notes="我也走访了")

    assert (done.status, done.version, done.notes) == (Visit.Status.DONE, 2, "已走访")
    assert (excinfo.value.current_version, excinfo.value.status) == (2, Visit.Status.DONE)
    visit.refresh_from_db()
    assert visit.notes == "已走访"


def test_a_visit_needs_notes_and_a_time_not_in_the_future(link):
    with pytest.raises(ValidationError) as excinfo:
        services.record_visit(
            actor=None, link=link, notes=" ", visited_at=timezone.now() + timedelta(days=1)
        )

    assert set(_errors(excinfo)) == {"notes", "visited_at"}
    assert not Visit.objects.exists()


# Activities and statistics


def test_an_activity_credits_its_attendees_and_counts_in_the_statistics(tree, members, link):
    today = timezone.localdate()
    services.record_activity(
        actor=None, organisation=tree["branch1"], kind=Activity.Kind.VOLUNTEER,
        title="社区清洁", held_on=today, hours=Decimal("2.5"),
        attendees=[members["head"], members["spouse"]],
    )  # fmt: skip
    services.record_activity(
        actor=None, organisation=tree["community"], kind=Activity.Kind.PARTY_LECTURE,
        title="党课", held_on=today, hours=Decimal("1"), attendees=[members["neighbour"]],
    )  # fmt: skip
    services.record_activity(
        actor=None, organisation=tree["branch1"], kind=Activity.Kind.VOLUNTEER,
        title="去年的", held_on=date(today.year - 1, 6, 1), hours=Decimal("3"),
        attendees=[members["head"]],
    )  # fmt: skip

    community = selectors.organisation_statistics(tree["community"])
    branch = selectors.organisation_statistics(tree["branch1"])

    assert (community.members, community.activities, community.meetings) == (3, 2, 1)
    assert (community.volunteer_hours, community.households_linked) == (Decimal("5.0"), 1)
    assert community.by_status == {"full": 2, "probationary": 1, "mobile": 0}
    assert (branch.members, branch.activities, branch.volunteer_hours) == (2, 1, Decimal("5.0"))


def test_attendees_are_members_of_the_organisation_or_below(tree, members):
    with pytest.raises(ValidationError) as excinfo:
        services.record_activity(
            actor=None, organisation=tree["branch1"], kind=Activity.Kind.BRANCH_ASSEMBLY,
            title="支部党员大会", held_on=timezone.localdate(), hours=Decimal("2"),
            attendees=[members["neighbour"]],
        )  # fmt: skip

    assert list(_errors(excinfo)) == ["attendees"]
    assert not Activity.objects.exists()


def test_a_household_whose_member_died_counts_as_unlinked_until_linked_anew(
    members, family, admin_user, home_grids
):
    link = services.link_household(
        actor=None, member=members["head"], household=family["household"]
    )
    registry.record_death(members["head"].person, actor=admin_user)

    after_death = selectors.coverage_by_grid(home_grids[:1])[0]
    services.end_link(link, actor=None)
    services.link_household(actor=None, member=members["spouse"], household=family["household"])
    relinked = selectors.coverage_by_grid(home_grids[:1])[0]

    assert (after_death.linked, relinked.linked) == (0, 1)
