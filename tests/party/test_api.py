"""The party building API: scoped lists and details, writes through the services with a 400 per
field (Chinese by default, English on request), 403 from the policies, masked members whose
reading is audited, coverage per grid, and a 409 for the second of two completing one visit."""

import threading
from datetime import date

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from grid import registry
from grid.models import AuditEntry
from party import services
from party.models import HouseholdLink, Member, MemberEvent, Visit

pytestmark = pytest.mark.django_db


def test_lists_hold_only_what_the_callers_posts_cover(login, tree, members):
    grid1 = login("grid1").get("/api/party/organisations/").json()["results"]
    community = login("community").get("/api/party/organisations/").json()["results"]
    grid1_members = login("grid1").get("/api/party/members/").json()["results"]

    assert [o["name"] for o in grid1] == ["第1网格党支部"]
    assert {o["name"] for o in community} == {
        "黄埔花园社区党总支",
        "第1网格党支部",
        "第2网格党支部",
    }
    assert sorted(m["person"]["name"] for m in grid1_members) == ["林美玲", "陈建华"]


def test_community_staff_create_an_organisation(login, tree, home_grids):
    response = login("community").post(
        "/api/party/organisations/",
        {"kind": "group", "name": "第一党小组", "parent": tree["branch1"].pk,
         "area": home_grids[0].pk},
        format="json",
    )  # fmt: skip

    assert response.status_code == 201, response.content
    assert response.json()["kind_label"] == "党小组"


def test_a_grid_worker_may_not_create_one(login, tree, home_grids):
    response = login("grid1").post(
        "/api/party/organisations/",
        {"kind": "group", "name": "第一党小组", "parent": tree["branch1"].pk,
         "area": home_grids[0].pk},
        format="json",
    )  # fmt: skip

    assert response.status_code == 403


def test_bad_input_gets_a_message_per_field_in_chinese_or_english(login, tree):
    client = login("community")
    body = {"kind": "branch", "name": "", "parent": tree["community"].pk}

    chinese = client.post("/api/party/organisations/", body, format="json")
    english = client.post(
        "/api/party/organisations/", body, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )

    assert chinese.status_code == english.status_code == 400
    assert set(chinese.json()["errors"]) == {"name"}
    assert chinese.json()["errors"]["name"] != english.json()["errors"]["name"]
    assert english.json()["errors"]["name"] == ["This field may not be blank."]


def test_a_service_rule_comes_back_as_a_field_error(login, tree, home_grids):
    response = login("community").post(
        "/api/party/organisations/",
        {"kind": "committee", "name": "第二党委", "parent": tree["community"].pk,
         "area": home_grids[0].pk},
        format="json", HTTP_ACCEPT_LANGUAGE="en",
    )  # fmt: skip

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "kind": ["An organisation sits lower than its parent, a General party branch (党总支)."]
    }


def test_an_organisation_in_another_grid_is_not_found(login, tree):
    response = login("grid1").get(f"/api/party/organisations/{tree['branch2'].pk}/")

    assert response.status_code == 404


def test_a_member_is_masked_and_reading_them_is_audited(login, members):
    member = members["head"]

    body = login("grid1").get(f"/api/party/members/{member.pk}/").json()

    assert body["person"]["id_number"].count("*") >= 8
    assert body["person"]["phone"] == "138****5678"
    assert [e["kind"] for e in body["events"]] == ["admit"]
    assert AuditEntry.objects.filter(
        action=AuditEntry.Action.VIEW, model="Person", object_id=member.person_id
    ).exists()


def test_a_move_out_in_the_registry_shows_on_the_member(login, members, admin_user):
    registry.move_out(members["spouse"].person, actor=admin_user)

    body = login("community").get(f"/api/party/members/{members['spouse'].pk}/").json()

    assert (body["person_status"], body["person_status_label"]) == ("moved_out", "迁出")


def test_admitting_transferring_and_changing_status_through_the_api(login, tree, family):
    client = login("community")
    admitted = client.post(
        "/api/party/members/",
        {"person": family["son"].pk, "organisation": tree["branch1"].pk,
         "status": "probationary", "joined_on": "2025-07-01"},
        format="json",
    )  # fmt: skip
    member_id = admitted.json()["id"]

    moved = client.post(
        f"/api/party/members/{member_id}/transfer/", {"to": tree["branch2"].pk}, format="json"
    )
    promoted = client.post(f"/api/party/members/{member_id}/status/", {"status": "full"})

    assert (admitted.status_code, moved.status_code, promoted.status_code) == (201, 200, 200)
    assert [e["kind"] for e in promoted.json()["events"]] == ["admit", "transfer", "status"]
    assert promoted.json()["organisation"]["name"] == "第2网格党支部"
    assert MemberEvent.objects.filter(member_id=member_id).count() == 3


def test_linking_a_household_twice_is_a_400_not_a_500(login, members, family):
    client = login("grid1")
    body = {"member": members["head"].pk, "household": family["household"].pk}

    first = client.post("/api/party/links/", body, format="json")
    second = client.post(
        "/api/party/links/",
        {**body, "member": members["spouse"].pk},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert first.status_code == 201
    assert second.status_code == 400
    assert second.json()["errors"] == {
        "household": ["The household already has a linked party member."]
    }


def test_coverage_per_grid(login, members, family, home_grids):
    services.link_household(actor=None, member=members["head"], household=family["household"])

    rows = login("community").get("/api/party/coverage/").json()["results"]

    by_grid = {row["grid"]["id"]: row for row in rows}
    assert len(rows) == 4
    assert (by_grid[home_grids[0].pk]["linked"], by_grid[home_grids[0].pk]["rate"]) == (1, 1.0)
    assert by_grid[home_grids[1].pk]["rate"] == 0.0
    assert by_grid[home_grids[2].pk]["rate"] is None  # nobody lives there in these fixtures


def test_statistics_of_an_organisation(login, tree, members):
    body = login("street").get(f"/api/party/organisations/{tree['street'].pk}/statistics/").json()

    assert (body["members"], body["by_status"]["probationary"]) == (3, 1)


def test_completing_a_visit_someone_completed_is_a_409(login, members, family):
    link = services.link_household(
        actor=None, member=members["head"], household=family["household"]
    )
    visit = services.plan_visit(actor=None, link=link, planned_on=timezone.localdate())
    client = login("grid1")
    url = f"/api/party/visits/{visit.pk}/complete/"

    first = client.post(url, {"version": 1, "notes": "已走访"}, format="json")
    second = client.post(url, {"version": 1, "notes": "也走访了"}, format="json")

    assert first.status_code == 200
    assert second.status_code == 409
    assert second.json()["code"] == "stale_version"
    assert (second.json()["current_version"], second.json()["status"]) == (2, "done")


def test_a_visit_without_notes_or_a_plan_is_a_400(login, members, family):
    link = services.link_household(
        actor=None, member=members["head"], household=family["household"]
    )

    response = login("grid1").post("/api/party/visits/", {"link": link.pk}, format="json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["notes"]
    assert not Visit.objects.exists()


def test_recording_an_activity(login, tree, members):
    response = login("grid1").post(
        "/api/party/activities/",
        {"organisation": tree["branch1"].pk, "kind": "volunteer", "title": "义诊",
         "held_on": str(timezone.localdate()), "hours": "3.5",
         "attendees": [members["head"].pk, members["spouse"].pk]},
        format="json",
    )  # fmt: skip

    assert response.status_code == 201, response.content
    assert len(response.json()["attendees"]) == 2


@pytest.mark.django_db(transaction=True)
def test_two_workers_completing_one_visit_at_once_one_wins(demo, login, home_grids):
    """Each request in its own thread and connection, committing for real."""
    from tests.grid.conftest import resident_id

    grid = home_grids[0]
    household = registry.create_household(actor=None, number="H-RACE", grid=grid)
    person = registry.register_person(
        actor=None, household=household, relation="02", name="赵强",
        id_number=resident_id(date(1960, 1, 1), 77), on=date(2020, 1, 1),
    )  # fmt: skip
    organisation = services.create_organisation(
        actor=None, kind="committee", name="竞速党委", area=grid
    )
    member = services.admit_member(
        actor=None, person=person, organisation=organisation, status=Member.Status.FULL,
        joined_on=date(1990, 1, 1),
    )  # fmt: skip
    link = services.link_household(actor=None, member=member, household=household)
    visit = services.plan_visit(actor=None, link=link, planned_on=timezone.localdate())
    token = login("grid1")._credentials["HTTP_AUTHORIZATION"]
    start = threading.Barrier(2)
    answers = [None, None]

    def press(n):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=token)
        try:
            start.wait(timeout=30)
            answers[n] = client.post(
                f"/api/party/visits/{visit.pk}/complete/",
                {"version": 1, "notes": f"第{n}位"},
                format="json",
            ).status_code
        finally:
            connection.close()

    threads = [threading.Thread(target=press, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(answers) == [200, 409]
    visit.refresh_from_db()
    assert (visit.status, visit.version) == (Visit.Status.DONE, 2)
    assert HouseholdLink.objects.filter(pk=link.pk, ended_on__isnull=True).exists()
