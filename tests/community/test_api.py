"""The community-services API: recording requests (idempotent by client id, 400 per field in
Chinese and English), the steps with their 409s, 404 outside the jurisdiction, who is due a
visit, and recording a visit."""

import uuid

import pytest
from django.utils import timezone

from community.models import CareVisit, ServiceRequest, VisitSchedule

pytestmark = pytest.mark.django_db


def _record(client, person, **more):
    body = {"service": "social_insurance", "person": person.pk, "description": "上门办理", **more}
    return client.post("/api/service-requests/", body, format="json")


def test_the_catalogue_lists_the_services_with_their_documents(login, catalogue):
    response = login("grid1").get("/api/services/?is_active=true")

    assert response.status_code == 200
    rows = {row["code"]: row for row in response.json()}
    assert rows["elderly_allowance"]["documents"] == ["身份证", "户口簿", "银行卡"]
    assert rows["elderly_allowance"]["department"] == "区民政局"
    assert rows["social_insurance"]["department"] is None


def test_a_request_is_recorded_once_per_client_id(login, family, catalogue):
    client = login("grid1")
    client_id = str(uuid.uuid4())

    first = _record(client, family["head"], client_id=client_id)
    again = _record(client, family["head"], client_id=client_id)

    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert first.json()["allowed_actions"] == ["convert"]
    assert ServiceRequest.objects.count() == 1


def test_phones_go_out_masked(login, catalogue, home_grids):
    response = login("community").post(
        "/api/service-requests/",
        {
            "service": "legal_advice",
            "walk_in_name": "李先生",
            "walk_in_phone": "13911112222",
            "grid": home_grids[0].pk,
            "channel": "office",
        },
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["walk_in_phone"] == "139****2222"
    assert "13911112222" not in response.content.decode()


def test_bad_input_is_a_400_per_field_in_chinese_and_english(login, catalogue):
    client = login("community")

    chinese = client.post("/api/service-requests/", {"service": "nope"}, format="json")
    english = client.post(
        "/api/service-requests/",
        {"service": "social_insurance"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert chinese.status_code == 400
    assert "nope" in chinese.json()["errors"]["service"][0]
    assert english.status_code == 400
    assert set(english.json()["errors"]) == {"walk_in_name", "grid"}
    assert english.json()["errors"]["grid"] == ["Choose the grid."]
    assert not ServiceRequest.objects.exists()


def test_a_person_of_another_grid_reads_as_nonexistent(login, neighbour, catalogue):
    response = _record(login("grid1"), neighbour["person"])

    assert response.status_code == 400
    assert "person" in response.json()["errors"]


def test_requests_of_another_grid_are_404(login, neighbour, catalogue):
    created = _record(login("grid2"), neighbour["person"]).json()

    response = login("grid1").get(f"/api/service-requests/{created['id']}/")
    step = login("grid1").post(f"/api/service-requests/{created['id']}/accept/", {})

    assert (response.status_code, step.status_code) == (404, 404)


def test_the_community_handles_a_request_to_done_with_satisfaction(login, family, catalogue):
    created = _record(login("grid1"), family["head"]).json()
    staff = login("community")
    url = f"/api/service-requests/{created['id']}"

    accepted = staff.post(f"{url}/accept/", {"version": created["version"]}, format="json")
    done = staff.post(f"{url}/complete/", {"result": "已办结"}, format="json")
    rated = login("grid1").post(f"{url}/rate/", {"satisfaction": 5}, format="json")

    assert accepted.status_code == 200
    assert accepted.json()["allowed_actions"] == ["assign", "complete", "decline", "convert"]
    assert done.json()["status"] == "done"
    assert rated.status_code == 200
    body = rated.json()
    assert (body["satisfaction"], body["allowed_actions"]) == (5, [])
    assert [e["action"] for e in body["events"]] == ["record", "accept", "complete", "rate"]


def test_completing_with_a_stale_version_is_a_409(login, family, catalogue):
    created = _record(login("grid1"), family["head"]).json()
    staff = login("community")
    url = f"/api/service-requests/{created['id']}"
    staff.post(f"{url}/accept/", {}, format="json")

    first = staff.post(f"{url}/complete/", {"result": "a", "version": 2}, format="json")
    second = login("street").post(f"{url}/complete/", {"result": "b", "version": 2}, format="json")

    assert first.status_code == 200
    assert second.status_code == 409
    assert second.json()["code"] == "stale_version"


def test_a_step_the_status_does_not_allow_is_a_409_with_the_allowed_ones(login, family, catalogue):
    created = _record(login("grid1"), family["head"]).json()

    response = login("community").post(
        f"/api/service-requests/{created['id']}/complete/", {"result": "x"}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["allowed_actions"] == ["accept", "assign", "decline", "convert"]
    assert response.json()["status"] == "pending"


def test_a_grid_worker_converts_a_request_into_a_case(login, family, catalogue):
    created = _record(login("grid1"), family["head"]).json()

    response = login("grid1").post(
        f"/api/service-requests/{created['id']}/convert/",
        {"category": "0101", "title": "楼道堆物"},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["status"] == "converted"
    case = response.json()["case"]
    assert login("grid1").get(f"/api/cases/{case['id']}/").status_code == 200


def test_who_is_due_a_visit_in_walking_order(login, elderly, family):
    family["spouse"].care_tags.add(*elderly.care_tags.all())
    from community.services import refresh_schedules

    refresh_schedules()

    response = login("grid1").get("/api/visit-schedules/?due=today")

    assert response.status_code == 200
    rows = response.json()
    assert [r["person"]["name"] for r in rows] == ["陈建华", "林美玲"]
    assert rows[0]["person"]["masked_phone"] == "138****5678"
    assert rows[0]["care_tags"] == ["独居老人"]
    assert login("grid2").get("/api/visit-schedules/?due=today").json() == []


def test_recording_a_visit_moves_the_date_and_raises_a_need(login, elderly, catalogue):
    schedule = VisitSchedule.objects.get(person=elderly)

    response = login("grid1").post(
        "/api/care-visits/",
        {
            "person": elderly.pk,
            "findings": "老人腿脚不便",
            "schedule_version": schedule.version,
            "need_service": "pension_certification",
            "client_id": str(uuid.uuid4()),
        },
        format="json",
    )
    again = login("community").post(
        "/api/care-visits/",
        {"person": elderly.pk, "findings": "又来了", "schedule_version": schedule.version},
        format="json",
    )

    assert response.status_code == 201
    assert len(response.json()["requests"]) == 1
    assert again.status_code == 409
    schedule.refresh_from_db()
    assert schedule.next_visit_on > timezone.localdate()
    assert CareVisit.objects.count() == 1


def test_a_visit_without_findings_is_a_400(login, elderly):
    response = login("grid1").post(
        "/api/care-visits/", {"person": elderly.pk, "findings": ""}, format="json"
    )

    assert response.status_code == 400
    assert "findings" in response.json()["errors"]
