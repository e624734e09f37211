"""Party building's pages: the tree, an organisation, a member (masked, audited), coverage per
grid, the grid page's party section, and the field app's linked households with visits whose
second completion is refused. Every page is scoped: another grid's rows are 404."""

import re

import pytest
from django.utils import timezone

from grid.models import AuditEntry, Person
from party import services
from party.models import HouseholdLink, Member, Visit

pytestmark = pytest.mark.django_db


@pytest.fixture
def page(client, user):
    def get(username, url, **kwargs):
        client.force_login(user(username))
        return client.get(url, **kwargs)

    return get


@pytest.fixture
def linked(members, family):
    return services.link_household(
        actor=None, member=members["head"], household=family["household"]
    )


def test_the_tree_shows_the_organisations_in_scope(page, tree):
    community = page("community", "/party/").content.decode()
    grid1 = page("grid1", "/party/").content.decode()

    assert "黄埔花园社区党总支" in community
    assert "第2网格党支部" in community
    assert "第1网格党支部" in grid1
    assert "第2网格党支部" not in grid1


def test_an_organisation_page_shows_members_masked_and_statistics(page, tree, members):
    response = page("community", f"/party/organisations/{tree['branch1'].pk}/")

    text = response.content.decode()
    assert response.status_code == 200
    assert "陈建华" in text
    assert "138****5678" in text
    assert "13812345678" not in text
    assert response.context["statistics"].members == 2


def test_a_member_without_a_phone_is_listed_without_an_empty_phone(page, tree, members, family):
    Person.objects.filter(pk=family["spouse"].pk).update(phone="")

    text = page("community", f"/party/organisations/{tree['branch1'].pk}/").content.decode()

    assert "<code></code>" not in text
    assert re.search(r'<span class="small text-secondary">\s*·', text) is None
    assert "138****5678</code> · " in text


def test_recording_an_activity_on_the_page(client, user, tree, members):
    client.force_login(user("grid1"))
    url = f"/party/organisations/{tree['branch1'].pk}/"

    bad = client.post(
        url,
        {"operation": "activity", "kind": "volunteer", "title": "", "hours": "2", "held_on": "x"},
    )
    good = client.post(
        url,
        {"operation": "activity", "kind": "volunteer", "title": "社区清洁", "hours": "2",
         "held_on": str(timezone.localdate()), "attendees": [members["head"].pk]},
    )  # fmt: skip

    assert bad.status_code == 400
    assert set(bad.context["activity_form"].errors) == {"title", "held_on"}
    assert good.status_code == 302
    assert tree["branch1"].activities.get().attendances.count() == 1


def test_a_member_page_is_audited_and_another_grids_member_is_404(page, members):
    mine = page("grid1", f"/party/members/{members['head'].pk}/")
    theirs = page("grid1", f"/party/members/{members['neighbour'].pk}/")

    assert mine.status_code == 200
    assert theirs.status_code == 404
    assert AuditEntry.objects.filter(
        action="view", model="Person", object_id=members["head"].person_id
    ).exists()


def test_the_coverage_page_lists_each_grid(page, linked, home_grids):
    response = page("community", "/party/coverage/")

    rows = {row.area.pk: row for row in response.context["rows"]}
    assert len(rows) == 4
    assert rows[home_grids[0].pk].percent == "100.0%"
    assert response.context["total"].linked == 1


def test_the_grid_page_shows_its_party_organisation_members_and_coverage(page, linked, home_grids):
    response = page("grid1", f"/areas/{home_grids[0].pk}/")

    text = response.content.decode()
    assert "第1网格党支部" in text
    assert "陈建华" in text
    assert "138****5678" in text
    assert "100.0%" in text


def test_the_field_page_records_a_visit(client, user, linked):
    client.force_login(user("grid1"))

    shown = client.get("/field/party/")
    recorded = client.post(
        "/field/party/",
        {"operation": "record", "link": linked.pk, f"link{linked.pk}-notes": "身体健康"},
    )

    assert linked.household.number in shown.content.decode()
    assert recorded.status_code == 302
    assert Visit.objects.get().notes == "身体健康"


def test_the_second_worker_completing_a_visit_is_told_someone_was_first(client, user, linked):
    visit = services.plan_visit(actor=None, link=linked, planned_on=timezone.localdate())
    client.force_login(user("grid1"))
    body = {"operation": "complete", "link": linked.pk, "visit": visit.pk, "version": 1,
            f"link{linked.pk}-notes": "已走访"}  # fmt: skip

    first = client.post("/field/party/", body)
    second = client.post("/field/party/", body)

    assert (first.status_code, second.status_code) == (302, 409)
    visit.refresh_from_db()
    assert (visit.status, visit.version) == (Visit.Status.DONE, 2)


def test_linking_a_household_on_the_field_page(client, user, members, family, neighbour):
    client.force_login(user("grid1"))

    bad = client.post(
        "/field/party/",
        {"operation": "link", "member": members["head"].pk,
         "household": neighbour["household"].pk},
    )  # fmt: skip
    good = client.post(
        "/field/party/",
        {"operation": "link", "member": members["head"].pk,
         "household": family["household"].pk},
    )  # fmt: skip

    assert bad.status_code == 400  # grid2's household is not a choice for grid1
    assert good.status_code == 302
    assert HouseholdLink.objects.get().member == members["head"]


def test_community_staff_admit_a_registered_party_member_on_the_page(client, user, tree, family):
    person = family["spouse"]
    person.political_status = "01"
    person.save()
    client.force_login(user("community"))
    url = f"/party/organisations/{tree['branch1'].pk}/"

    offered = list(client.get(url).context["admit_form"].fields["person"].queryset)
    response = client.post(
        url,
        {"operation": "admit", "person": person.pk, "status": "full", "joined_on": "2001-07-01"},
    )

    assert offered == [person]
    assert response.status_code == 302
    assert person.party_member.organisation == tree["branch1"]


def test_a_grid_worker_gets_no_admission_form_and_cannot_post_one(client, user, tree, family):
    client.force_login(user("grid1"))
    url = f"/party/organisations/{tree['branch1'].pk}/"

    shown = client.get(url)
    posted = client.post(
        url,
        {"operation": "admit", "person": family["head"].pk, "status": "full",
         "joined_on": "2001-07-01"},
    )  # fmt: skip

    assert "admit_form" not in shown.context
    assert posted.status_code == 403
    assert not Member.objects.exists()


def test_appointing_a_committee_and_adding_a_group_on_the_page(client, user, tree, members):
    client.force_login(user("community"))
    url = f"/party/organisations/{tree['branch1'].pk}/"

    committee = client.post(
        url,
        {"operation": "committee", "secretary": members["head"].pk,
         "committee": [members["spouse"].pk]},
    )  # fmt: skip
    child = client.post(
        url,
        {"operation": "child", "kind": "group", "name": "第一党小组",
         "area": tree["branch1"].area_id},
    )  # fmt: skip
    bad_child = client.post(
        url,
        {"operation": "child", "kind": "committee", "name": "X", "area": tree["branch1"].area_id},
    )

    assert (committee.status_code, child.status_code, bad_child.status_code) == (302, 302, 400)
    assert tree["branch1"].committee_seats.filter(role="secretary").get().member == members["head"]
    assert tree["branch1"].children.get().name == "第一党小组"
    assert "kind" in bad_child.context["child_form"].errors


def test_transferring_a_member_and_changing_status_on_the_member_page(client, user, tree, members):
    client.force_login(user("community"))
    url = f"/party/members/{members['spouse'].pk}/"

    moved = client.post(
        url, {"operation": "transfer", "to": tree["branch2"].pk, "on": "2026-01-01"}
    )
    promoted = client.post(url, {"operation": "status", "status": "full", "on": "2026-02-01"})
    page_ = client.get(url).content.decode()

    assert (moved.status_code, promoted.status_code) == (302, 302)
    member = Member.objects.get(pk=members["spouse"].pk)
    assert (member.organisation, member.status) == (tree["branch2"], "full")
    assert "第1网格党支部 → 第2网格党支部" in page_
    assert page_.index('data-form="transfer"') > page_.index("<main")


def test_planning_a_visit_and_ending_a_link_on_the_field_page(client, user, linked, admin_user):
    from datetime import timedelta

    from grid import registry

    client.force_login(user("grid1"))
    tomorrow = timezone.localdate() + timedelta(days=1)

    planned = client.post(
        "/field/party/",
        {"operation": "plan", "link": linked.pk, f"plan{linked.pk}-planned_on": str(tomorrow)},
    )
    registry.record_death(linked.member.person, actor=admin_user)
    shown = client.get("/field/party/")
    ended = client.post("/field/party/", {"operation": "end", "link": linked.pk})

    assert planned.status_code == 302
    assert [link.member_gone for link in shown.context["links"]] == [True]
    assert ended.status_code == 302
    linked.refresh_from_db()
    assert linked.ended_on == timezone.localdate()
    assert Visit.objects.get().status == Visit.Status.CANCELLED


def test_a_visit_cannot_be_planned_for_a_day_gone_by(client, user, linked):
    client.force_login(user("grid1"))

    response = client.post(
        "/field/party/",
        {"operation": "plan", "link": linked.pk, f"plan{linked.pk}-planned_on": "2020-01-01"},
    )

    assert response.status_code == 400
    assert not Visit.objects.exists()


def test_the_field_apps_visits_page_leads_to_the_linked_households(client, user, demo):
    client.force_login(user("grid1"))

    response = client.get("/field/visits/")

    assert 'href="/field/party/"' in response.content.decode()
