"""Sharing requests and grants (共享需求): a department requests fields of an 按需共享 dataset,
the community that owns the data approves a narrowed grant, the department reads exactly the
granted fields in the granted area for the granted period, and every read is audited."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from rest_framework.test import APIClient

from cases.models import Notification
from datagov import sharing
from datagov.models import Dataset, DatasetField, Grant, SharingClass, SharingRequest
from governance.clients import register
from governance.models import ApiClient
from grid.models import AccessAlert, AuditEntry, Post
from tests.grid import conftest as registry_fixtures

pytestmark = pytest.mark.django_db
neighbour = registry_fixtures.neighbour
HOUSEHOLDS = "/api/datagov/requests/"


def _user(username):
    return get_user_model().objects.get(username=username)


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def body(home_community, today):
    """What the transport bureau asks for: the households of 黄埔花园社区, three fields."""
    return {
        "dataset": "grid.household",
        "fields": ["number", "kind", "registered_address"],
        "purpose": "公交站点优化调研：统计社区住户分布",
        "area": home_community.code,
        "starts_on": str(today),
        "ends_on": str(today + timedelta(days=30)),
    }


@pytest.fixture
def submitted(login, body):
    response = login("transport").post(HOUSEHOLDS, body, format="json")
    assert response.status_code == 201, response.content
    return SharingRequest.objects.get(pk=response.json()["id"])


@pytest.fixture
def narrowed(login, submitted, home_grids, family, neighbour):
    """Approved by the community for two fields in grid1's grid only."""
    response = login("community").post(
        f"{HOUSEHOLDS}{submitted.pk}/approve/",
        {"fields": ["number", "kind"], "area": home_grids[0].code, "reason": "仅需第1网格"},
        format="json",
    )
    assert response.status_code == 200, response.content
    return Grant.objects.get(request=submitted)


def test_a_department_requests_households_and_the_community_hears_of_it(submitted, home_community):
    assert submitted.status == SharingRequest.Status.SUBMITTED
    assert submitted.department.code == "440112-JT"
    assert sorted(submitted.fields.values_list("name", flat=True)) == [
        "kind", "number", "registered_address",
    ]  # fmt: skip
    # The owner of the community's data is its staff: they are told, nobody above them.
    told = set(Notification.objects.filter(case=None).values_list("user__username", flat=True))
    assert told == {"community"}


def test_a_not_shared_field_cannot_be_requested_and_each_is_named(login, body):
    body = {**body, "dataset": "grid.person", "fields": ["name", "id_number", "religion"]}

    response = login("transport").post(HOUSEHOLDS, body, format="json")
    english = login("transport").post(HOUSEHOLDS, body, format="json", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == {"fields.id_number", "fields.religion"}
    assert "不共享" in errors["fields.id_number"][0]
    assert "cannot be requested" in english.json()["errors"]["fields.religion"][0]
    assert not SharingRequest.objects.exists()


def test_openly_shared_data_needs_no_request(login, body):
    response = login("transport").post(
        HOUSEHOLDS, {**body, "dataset": "grid.area", "fields": ["code"]}, format="json"
    )

    assert response.status_code == 400
    assert "普遍共享" in response.json()["errors"]["dataset"][0]
    # …and is read without one: areas are open to every signed-in user.
    assert login("transport").get("/api/areas/").status_code == 200


def test_bad_input_is_a_400_per_field_and_writes_nothing(login, body, today):
    body = {**body, "purpose": " ", "fields": ["nonsense"], "ends_on": str(today - timedelta(1))}

    response = login("transport").post(HOUSEHOLDS, body, format="json")

    assert response.status_code == 400
    assert set(response.json()["errors"]) >= {"purpose", "fields.nonsense", "ends_on"}
    assert not SharingRequest.objects.exists()


def test_only_department_staff_request_for_a_department(login, body):
    response = login("community").post(HOUSEHOLDS, body, format="json")

    assert response.status_code == 400
    assert "department" in response.json()["errors"]


def test_the_community_narrows_and_the_grant_is_exactly_that(narrowed, home_grids):
    request = narrowed.request
    assert request.status == SharingRequest.Status.NARROWED
    assert request.reason == "仅需第1网格"
    assert request.decided_by.username == "community"
    assert sorted(narrowed.fields.values_list("name", flat=True)) == ["kind", "number"]
    assert narrowed.area == home_grids[0]
    assert Notification.objects.filter(user__username="transport", case=None).exists()


def test_narrowing_needs_a_reason_and_may_only_narrow(login, submitted, other_community):
    community = login("community")

    no_reason = community.post(
        f"{HOUSEHOLDS}{submitted.pk}/approve/", {"fields": ["number"]}, format="json"
    )
    wider = community.post(
        f"{HOUSEHOLDS}{submitted.pk}/approve/",
        {"fields": ["number", "head"], "area": other_community.code, "reason": "x"},
        format="json",
    )

    assert no_reason.status_code == 400

    assert "reason" in no_reason.json()["errors"]
    assert wider.status_code == 400
    assert {"fields.head", "area"} <= set(wider.json()["errors"])
    assert not Grant.objects.exists()


def test_a_second_decision_is_a_409(login, submitted):
    first = login("community").post(f"{HOUSEHOLDS}{submitted.pk}/approve/", {}, format="json")
    second = login("street").post(
        f"{HOUSEHOLDS}{submitted.pk}/refuse/", {"reason": "不同意"}, format="json"
    )

    assert first.status_code == 200
    assert first.json()["status"] == "approved"
    assert second.status_code == 409
    assert second.json()["code"] == "stale_decision"
    assert Grant.objects.count() == 1


def test_a_refusal_needs_a_reason_and_issues_no_grant(login, submitted):
    community = login("community")

    empty = community.post(f"{HOUSEHOLDS}{submitted.pk}/refuse/", {"reason": ""}, format="json")
    refused = community.post(
        f"{HOUSEHOLDS}{submitted.pk}/refuse/", {"reason": "目的与数据不符"}, format="json"
    )

    assert empty.status_code == 400

    assert "reason" in empty.json()["errors"]
    assert refused.status_code == 200
    assert refused.json()["status"] == "refused"
    assert not Grant.objects.exists()


@pytest.mark.parametrize(
    ("username", "expected"),
    [
        ("transport", 200),  # the requesting department
        ("community", 200),  # the owner
        ("street", 200),  # above the owner
        ("construction", 404),  # another department
        ("grid2", 404),  # another grid's worker: the grant's area is grid1's
    ],
)
def test_a_grant_is_seen_by_its_department_and_its_owners_only(login, narrowed, username, expected):
    assert login(username).get(f"/api/datagov/grants/{narrowed.pk}/").status_code == expected
    request_url = f"{HOUSEHOLDS}{narrowed.request_id}/"
    # The request's area is the whole community: above grid2's grid, so out of its reach too.
    assert login(username).get(request_url).status_code == expected


def test_the_department_reads_exactly_the_granted_fields_in_the_granted_area(
    login, narrowed, family, neighbour
):
    response = login("transport").get(f"/api/datagov/grants/{narrowed.pk}/records/")

    assert response.status_code == 200, response.content
    results = response.json()["results"]
    # grid1's household only: the neighbour's (grid2) is in the community, not in the grant.
    assert [r["id"] for r in results] == [family["household"].pk]
    assert set(results[0]) == {"id", "number", "kind"}
    assert results[0]["number"] == "H-0001"


@pytest.mark.parametrize(
    ("username", "expected"), [("community", 403), ("construction", 404), ("grid2", 404)]
)
def test_nobody_but_the_grantee_reads_under_a_grant(login, narrowed, username, expected):
    response = login(username).get(f"/api/datagov/grants/{narrowed.pk}/records/")

    assert response.status_code == expected
    assert not AuditEntry.objects.filter(detail=narrowed.label).exists()


def test_every_read_is_audited_with_the_grant(login, narrowed, family):
    login("transport").get(f"/api/datagov/grants/{narrowed.pk}/records/")

    entry = AuditEntry.objects.get(detail=narrowed.label)
    assert (entry.actor.username, entry.action) == ("transport", AuditEntry.Action.VIEW)
    assert (entry.model, entry.object_id) == ("Household", family["household"].pk)
    assert entry.fields == "number,kind"


def test_a_revoked_grant_reads_nothing(login, narrowed):
    revoked = login("community").post(
        f"/api/datagov/grants/{narrowed.pk}/revoke/", {"reason": "调研已结束"}, format="json"
    )
    again = login("community").post(
        f"/api/datagov/grants/{narrowed.pk}/revoke/", {"reason": "再次"}, format="json"
    )

    response = login("transport").get(f"/api/datagov/grants/{narrowed.pk}/records/")

    assert revoked.status_code == 200
    assert revoked.json()["state"] == "revoked"
    assert again.status_code == 409
    assert response.status_code == 403
    assert "撤销" in response.json()["detail"]


def test_the_department_cannot_revoke_its_own_grant(login, narrowed):
    response = login("transport").post(
        f"/api/datagov/grants/{narrowed.pk}/revoke/", {"reason": "x"}, format="json"
    )

    assert response.status_code == 403
    assert Grant.objects.get(pk=narrowed.pk).revoked_at is None


@pytest.mark.parametrize("shift", [-40, 40])
def test_outside_its_period_a_grant_reads_nothing(login, narrowed, shift):
    day = timezone.localdate() + timedelta(days=shift)
    Grant.objects.filter(pk=narrowed.pk).update(valid_from=day, valid_until=day)

    response = login("transport").get(f"/api/datagov/grants/{narrowed.pk}/records/")

    assert response.status_code == 403
    assert not AuditEntry.objects.filter(detail=narrowed.label).exists()


def test_a_field_closed_after_its_grant_is_never_shown(login, narrowed, family):
    DatasetField.objects.filter(dataset__key="grid.household", name="kind").update(
        sharing_class=SharingClass.NONE
    )

    response = login("transport").get(f"/api/datagov/grants/{narrowed.pk}/records/")

    assert set(response.json()["results"][0]) == {"id", "number"}


def test_personal_fields_granted_on_request_are_shown_in_full_only_under_the_grant(
    login, submitted, home_grids, family, today
):
    # The district has opened phones for requests; the community grants them for grid1.
    DatasetField.objects.filter(dataset__key="grid.person", name="phone").update(
        sharing_class=SharingClass.ON_REQUEST
    )
    request = sharing.submit(
        actor=_user("transport"), dataset=Dataset.objects.get(key="grid.person"),
        field_names=["name", "phone"], purpose="通知公交线路调整", area=home_grids[0],
        starts_on=today, ends_on=today, department=submitted.department,
    )  # fmt: skip
    grant = sharing.approve(request, actor=_user("community"))

    results = login("transport").get(f"/api/datagov/grants/{grant.pk}/records/").json()["results"]

    phones = {r["name"]: r["phone"] for r in results}
    assert phones["陈建华"] == "13812345678"
    assert set(results[0]) == {"id", "name", "phone"}


def test_reading_a_page_costs_a_fixed_number_of_queries(
    login, narrowed, family, django_assert_max_num_queries
):
    client = login("transport")
    url = f"/api/datagov/grants/{narrowed.pk}/records/"
    client.get(url)  # the token's last use is written once a minute; not on the pinned read

    # token, grant (+ its fields), the reader's departments, the page, the audit insert, the
    # hourly count: the same whatever the page's size.
    with django_assert_max_num_queries(8):
        response = client.get(url)
    assert response.status_code == 200


def test_pages_follow_the_cursor_and_audit_each_page(login, narrowed, family, admin_user):
    from grid import registry

    for number in range(3):
        registry.create_household(actor=admin_user, number=f"H-9{number}", house=family["house"])
    client = login("transport")

    first = client.get(f"/api/datagov/grants/{narrowed.pk}/records/?page_size=2").json()
    second = client.get(first["next"]).json()

    assert len(first["results"]) == 2

    assert len(second["results"]) == 2
    assert second["next"] is None
    assert AuditEntry.objects.filter(detail=narrowed.label).count() == 4


def test_many_reads_in_an_hour_alert_the_supervisors_once(login, narrowed, family, settings):
    settings.SANHUA_GRANT_READS_PER_HOUR = 1
    client = login("transport")

    for _ in range(3):
        assert client.get(f"/api/datagov/grants/{narrowed.pk}/records/").status_code == 200

    alert = AccessAlert.objects.get()
    assert (alert.actor.username, alert.action, alert.limit) == ("transport", "view", 1)
    assert Notification.objects.filter(alert=alert, user__username="supervisor").exists()


def test_a_system_requests_with_its_key_and_reads_under_its_grant(body, home_grids, family, login):
    app = ApiClient(name="公交调度系统", kind=ApiClient.Kind.OPEN311)
    key = register(app)
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=key)

    made = client.post(HOUSEHOLDS, {**body, "area": home_grids[0].code}, format="json")
    assert made.status_code == 201, made.content
    assert made.json()["client"] == "公交调度系统"
    login("community").post(f"{HOUSEHOLDS}{made.json()['id']}/approve/", {}, format="json")
    grant = Grant.objects.get(request_id=made.json()["id"])

    response = client.get(f"/api/datagov/grants/{grant.pk}/records/")

    assert response.status_code == 200
    assert [r["number"] for r in response.json()["results"]] == ["H-0001"]
    assert AuditEntry.objects.filter(actor=app.user, detail=grant.label).count() == 1
    # Transport did not ask for it and cannot see it.
    assert login("transport").get(f"/api/datagov/grants/{grant.pk}/").status_code == 404


def test_the_requester_withdraws_a_waiting_request(login, submitted):
    response = login("transport").post(f"{HOUSEHOLDS}{submitted.pk}/withdraw/")

    assert response.status_code == 200

    assert response.json()["status"] == "withdrawn"
    assert (
        login("community")
        .post(f"{HOUSEHOLDS}{submitted.pk}/approve/", {}, format="json")
        .status_code
        == 409
    )


def test_the_owners_are_the_nearest_staff_above_the_area(home_grids):
    # A grid has no office staff of its own: its community decides.
    owners = sharing.owners_of(home_grids[0])

    assert [get_user_model().objects.get(pk=u).username for u in owners] == ["community"]
    assert Post.objects.filter(user__username="community", role="community_staff").exists()


def test_the_demo_leaves_one_request_of_the_transport_bureau_waiting(home_community):
    from datagov.demo import build_sharing

    first, second = build_sharing(), build_sharing()

    assert first == second
    assert SharingRequest.objects.count() == 1
    assert (first.department.code, first.area, first.status) == (
        "440112-JT", home_community, SharingRequest.Status.SUBMITTED,
    )  # fmt: skip
