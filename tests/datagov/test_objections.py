"""Objections (数据异议, docs/datagov.md): raised by anyone who reads a record, resolved by the
record's community through the registry's services (with history) or rejected with a reason;
out of scope is 404, a second resolution 409, bad input 400 per field in Chinese and English;
open objections counted per grid in one query."""

from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from datagov import objections
from datagov.demo import build_objections
from datagov.models import Objection
from grid.models import AuditEntry, LifeEvent, Person
from tests.grid.conftest import neighbour  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db

User = get_user_model()
API = "/api/datagov/objections/"


def user(username):
    return User.objects.get(username=username)


def raise_on(record, by="grid1", kind=Objection.Kind.WRONG_ADDRESS, text="门牌号应为302"):
    return objections.raise_objection(actor=user(by), record=record, kind=kind, text=text)


def page_client(username) -> Client:
    client = Client()
    client.force_login(user(username))
    return client


# Raising


def test_a_grid_worker_raises_an_objection_on_a_person_of_their_grid(login, family):
    head = family["head"]

    response = login("grid1").post(
        API,
        {
            "record_type": "person",
            "record_id": head.pk,
            "kind": "wrong_address",
            "fields": ["current_address"],
            "text": "已搬到302室",
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "open"
    assert body["dataset"] == "grid.person"
    assert body["record_id"] == head.pk
    assert body["grid"] == head.grid.code
    assert body["fields"] == ["current_address"]
    assert body["raised_by"] == "grid1"
    assert body["allowed_actions"] == []  # a grid worker raises, the community resolves
    objection = Objection.objects.get(pk=body["id"])
    assert (objection.person_id, objection.grid_id) == (head.pk, head.grid_id)


def test_a_record_outside_the_jurisdiction_cannot_be_objected_to(login, family, neighbour):  # noqa: F811
    response = login("grid1").post(
        API,
        {
            "record_type": "person",
            "record_id": neighbour["person"].pk,
            "kind": "moved_away",
            "text": "x",
        },
        format="json",
    )

    assert response.status_code == 404
    assert not Objection.objects.exists()


@pytest.mark.parametrize(
    ("language", "kind_message", "text_message"),
    [
        ("zh-hans", "请选择", "请说明"),
        ("en", "Choose what is wrong.", "Say what is wrong with the record."),
    ],
)
def test_bad_input_is_a_400_per_field_in_chinese_and_english(
    login, family, language, kind_message, text_message
):
    response = login("grid1").post(
        API,
        {
            "record_type": "person",
            "record_id": family["head"].pk,
            "kind": "nonsense",
            "fields": ["no_such_field"],
            "text": "  ",
        },
        format="json",
        HTTP_ACCEPT_LANGUAGE=language,
    )

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert set(body["errors"]) == {"kind", "fields", "text"}
    assert kind_message in body["errors"]["kind"][0]
    assert text_message in body["errors"]["text"][0]
    assert not Objection.objects.exists()


def test_objections_on_households_houses_and_buildings(login, family):
    client = login("grid1")
    for record_type, record in [
        ("household", family["household"]),
        ("house", family["house"]),
        ("building", family["building"]),
    ]:
        response = client.post(
            API,
            {"record_type": record_type, "record_id": record.pk, "kind": "other", "text": "核实"},
            format="json",
        )
        assert response.status_code == 201, response.content
        assert response.json()["dataset"] == f"grid.{record_type}"

    assert Objection.objects.filter(grid=family["building"].grid).count() == 3


# Resolving


def test_the_community_corrects_a_person_and_the_registry_keeps_the_history(login, family):
    head = family["head"]
    objection = raise_on(head)

    response = login("community").post(
        f"{API}{objection.pk}/resolve/",
        {"changes": {"current_address": "黄埔花园1栋302"}, "resolution": "上门核实"},
        format="json",
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["resolved_by"], body["allowed_actions"]) == (
        "corrected",
        "community",
        [],
    )
    head.refresh_from_db()
    assert head.current_address == "黄埔花园1栋302"
    objection.refresh_from_db()
    # The change is the registry's own history: its life event and audit entry, linked.
    assert objection.life_event.kind == LifeEvent.Kind.UPDATE
    assert objection.life_event.person_id == head.pk
    assert objection.life_event.note == "current_address"
    assert objection.life_event.actor.username == "community"
    assert objection.audit_entry.action == AuditEntry.Action.CHANGE
    assert (objection.audit_entry.model, objection.audit_entry.object_id) == ("Person", head.pk)
    assert objection.audit_entry.fields == "current_address"
    assert body["life_event"] == objection.life_event_id
    assert body["audit_entry"] == objection.audit_entry_id


def test_a_person_who_moved_away_is_moved_out_through_the_registry(login, family):
    son = family["son"]
    objection = raise_on(son, kind=Objection.Kind.MOVED_AWAY, text="已去外地工作")

    response = login("community").post(
        f"{API}{objection.pk}/resolve/",
        {"correction": "move_out", "on": "2026-11-30"},
        format="json",
    )

    assert response.status_code == 200, response.content
    son.refresh_from_db()
    assert son.status == Person.Status.MOVED_OUT
    objection.refresh_from_db()
    assert objection.life_event.kind == LifeEvent.Kind.MOVE_OUT
    assert objection.life_event.occurred_on == date(2026, 11, 30)
    assert objection.life_event.household_id == family["household"].pk


def test_a_household_is_corrected_through_the_registry_with_an_audit_entry(login, family):
    household = family["household"]
    objection = raise_on(household, kind=Objection.Kind.WRONG_VALUE, text="户籍地址有误")

    response = login("community").post(
        f"{API}{objection.pk}/resolve/",
        {"changes": {"registered_address": "广州市黄埔区黄埔东路1号"}},
        format="json",
    )

    assert response.status_code == 200, response.content
    household.refresh_from_db()
    assert household.registered_address == "广州市黄埔区黄埔东路1号"
    objection.refresh_from_db()
    assert objection.status == Objection.Status.CORRECTED
    assert objection.life_event is None
    assert (objection.audit_entry.model, objection.audit_entry.fields) == (
        "Household",
        "registered_address",
    )


def test_a_correction_that_changes_nothing_is_a_400_and_writes_nothing(login, family):
    head = family["head"]
    objection = raise_on(head)
    events = LifeEvent.objects.count()

    response = login("community").post(
        f"{API}{objection.pk}/resolve/",
        {"changes": {"name": head.name}},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {"changes": ["The record already holds these values."]}
    objection.refresh_from_db()
    assert objection.status == Objection.Status.OPEN
    assert LifeEvent.objects.count() == events


def test_a_bad_corrected_value_is_a_400_naming_the_field(login, family):
    objection = raise_on(family["head"])

    response = login("community").post(
        f"{API}{objection.pk}/resolve/",
        {"changes": {"ethnicity": "99x", "id_number": "1"}},
        format="json",
    )

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"changes.id_number"}
    response = login("community").post(
        f"{API}{objection.pk}/resolve/", {"changes": {"ethnicity": "ZZ"}}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"changes.ethnicity"}
    assert Objection.objects.get(pk=objection.pk).status == Objection.Status.OPEN


@pytest.mark.parametrize(
    ("language", "message"),
    [("zh-hans", "请填写驳回异议的理由。"), ("en", "Give the reason for rejecting the objection.")],
)
def test_a_rejection_needs_a_reason_in_chinese_and_english(login, family, language, message):
    objection = raise_on(family["head"])

    response = login("community").post(
        f"{API}{objection.pk}/reject/",
        {"reason": " "},
        format="json",
        HTTP_ACCEPT_LANGUAGE=language,
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {"reason": [message]}
    assert Objection.objects.get(pk=objection.pk).status == Objection.Status.OPEN


def test_the_community_rejects_with_a_reason_and_the_record_is_untouched(login, family):
    head = family["head"]
    objection = raise_on(head)

    response = login("community").post(
        f"{API}{objection.pk}/reject/", {"reason": "经核实地址无误"}, format="json"
    )

    assert response.status_code == 200, response.content
    objection.refresh_from_db()
    assert (objection.status, objection.resolution) == ("rejected", "经核实地址无误")
    assert objection.resolved_by.username == "community"
    assert objection.audit_entry is None
    assert Person.objects.get(pk=head.pk).current_address == head.current_address


def test_a_second_resolution_is_a_409_and_changes_nothing(login, family):
    objection = raise_on(family["head"])
    community = login("community")
    first = community.post(f"{API}{objection.pk}/reject/", {"reason": "无误"}, format="json")

    again = community.post(
        f"{API}{objection.pk}/resolve/",
        {"changes": {"current_address": "别处"}},
        format="json",
    )

    assert first.status_code == 200
    assert again.status_code == 409
    body = again.json()
    assert (body["code"], body["status"], body["allowed_actions"]) == (
        "invalid_transition",
        "rejected",
        [],
    )
    assert Person.objects.get(pk=family["head"].pk).current_address != "别处"


def test_the_service_refuses_a_second_resolution_under_its_lock(family):
    objection = raise_on(family["head"])
    community = user("community")
    objections.reject(objection, actor=community, reason="无误")

    # The caller still holds the objection as it read it: open. The row lock's re-read decides.
    with pytest.raises(objections.ObjectionClosed):
        objections.resolve_by_correction(
            objection, actor=community, changes={"current_address": "别处"}
        )


def test_who_sees_and_who_resolves(login, family):
    objection = raise_on(family["head"])
    url = f"{API}{objection.pk}/"

    # The supervisor and the grid worker see it; neither resolves it.
    for username in ("supervisor", "grid1"):
        client = login(username)
        assert client.get(url).status_code == 200
        response = client.post(f"{url}reject/", {"reason": "x"}, format="json")
        assert response.status_code == 403, username
    # grid2 works another grid: the objection does not exist for them.
    grid2 = login("grid2")
    assert grid2.get(url).status_code == 404
    assert grid2.post(f"{url}reject/", {"reason": "x"}, format="json").status_code == 404
    assert objection.pk not in [row["id"] for row in grid2.get(API).json()["results"]]
    assert Objection.objects.get(pk=objection.pk).status == Objection.Status.OPEN


def test_the_list_filters_by_status_kind_and_area(login, family, home_grids):
    open_one = raise_on(family["head"])
    rejected = raise_on(family["son"], kind=Objection.Kind.DUPLICATE, text="重复登记")
    objections.reject(rejected, actor=user("community"), reason="并非重复")
    client = login("community")

    def ids(query):
        response = client.get(API + query)
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["results"]]

    assert ids("") == [rejected.pk, open_one.pk]
    assert ids("?status=open") == [open_one.pk]
    assert ids("?kind=duplicate") == [rejected.pk]
    assert ids(f"?area={home_grids[0].pk}") == [rejected.pk, open_one.pk]
    assert ids(f"?area={home_grids[1].pk}") == []
    assert client.get(API + "?status=nonsense").status_code == 400


# Counting


def test_open_objections_are_counted_per_grid_in_one_query(
    family,
    neighbour,  # noqa: F811
    home_community,
    home_grids,
    django_assert_num_queries,
):
    raise_on(family["head"])
    raise_on(family["household"])
    raise_on(neighbour["person"], by="grid2")
    closed = raise_on(family["son"])
    objections.reject(closed, actor=user("community"), reason="无误")

    with django_assert_num_queries(1):
        rows = objections.open_per_grid(home_community)

    assert [(row["grid"], row["open"]) for row in rows] == [
        (home_grids[0].pk, 2),
        (home_grids[1].pk, 1),
    ]
    assert objections.open_count(home_grids[0]) == 2


def test_the_dashboard_and_the_grid_page_show_the_open_objections(
    family,
    neighbour,  # noqa: F811
    home_community,
    home_grids,
    django_assert_max_num_queries,
):
    raise_on(family["head"])
    raise_on(neighbour["person"], by="grid2")
    client = page_client("supervisor")

    dashboard = client.get(f"/dashboard/?unit={home_community.pk}")
    grid_page = page_client("grid1").get(f"/areas/{home_grids[0].pk}/")

    assert dashboard.status_code == 200
    html = dashboard.content.decode()
    assert "data-objections-per-grid" in html
    assert f'data-grid="{home_grids[0].code}"' in html
    assert "data-objections-total>2<" in html
    assert grid_page.status_code == 200
    assert "1 条待处理异议" in grid_page.content.decode()


# Pages


def test_a_person_page_offers_the_objection_form_and_raises_one(family):
    head = family["head"]
    client = page_client("grid1")

    page = client.get(f"/registry/persons/{head.pk}/")
    response = client.post(
        "/datagov/objections/raise/",
        {
            "record_type": "person",
            "record_id": head.pk,
            "kind": "wrong_address",
            "fields": ["current_address"],
            "text": "门牌号错了",
        },
    )

    assert page.status_code == 200
    assert "data-objection-form" in page.content.decode()
    assert response.status_code == 302
    assert response["Location"] == f"/registry/persons/{head.pk}/"
    objection = Objection.objects.get()
    assert (objection.person_id, objection.fields, objection.raised_by.username) == (
        head.pk,
        "current_address",
        "grid1",
    )


def test_the_raise_page_answers_bad_input_with_400_and_out_of_scope_with_404(
    family,
    neighbour,  # noqa: F811
):
    client = page_client("grid1")

    bad = client.post(
        "/datagov/objections/raise/",
        {"record_type": "person", "record_id": family["head"].pk, "kind": "", "text": ""},
    )
    hidden = client.post(
        "/datagov/objections/raise/",
        {
            "record_type": "person",
            "record_id": neighbour["person"].pk,
            "kind": "other",
            "text": "x",
        },
    )

    assert bad.status_code == 400
    assert "invalid-feedback" in bad.content.decode()
    assert hidden.status_code == 404
    assert not Objection.objects.exists()


def test_the_community_resolves_on_the_objection_page(family):
    head = family["head"]
    objection = raise_on(head)
    client = page_client("community")
    url = f"/datagov/objections/{objection.pk}/"
    page = client.get(url)
    form = page.context["correction_form"]
    data = {"op": "correct", "correct-correction": "update", "correct-resolution": "核实"}
    for field in form.value_fields():
        value = form.initial.get(field.name)
        data[field.html_name] = "" if value is None else value
    data["correct-current_address"] = "黄埔花园1栋302"

    response = client.post(url, data)
    again = client.post(url, {"op": "reject", "reject-reason": "晚了"})

    assert page.status_code == 200
    assert response.status_code == 302, response.content.decode()[:2000]
    head.refresh_from_db()
    assert head.current_address == "黄埔花园1栋302"
    detail = client.get(url).content.decode()
    assert "data-objection-history" in detail
    assert again.status_code == 409
    assert Objection.objects.get(pk=objection.pk).status == Objection.Status.CORRECTED


def test_the_objection_page_refuses_a_grid_worker_and_hides_from_other_grids(family):
    objection = raise_on(family["head"])
    url = f"/datagov/objections/{objection.pk}/"

    seen = page_client("grid1").get(url)
    refused = page_client("grid1").post(url, {"op": "reject", "reject-reason": "x"})
    hidden = page_client("grid2").get(url)

    assert seen.status_code == 200
    assert "data-reject-form" not in seen.content.decode()
    assert refused.status_code == 403
    assert hidden.status_code == 404


def test_the_list_page_puts_the_owners_open_objections_first(
    family,
    neighbour,  # noqa: F811
    django_assert_max_num_queries,
):
    mine = raise_on(family["head"])
    closed = raise_on(family["son"])
    objections.reject(closed, actor=user("community"), reason="无误")
    client = page_client("community")

    with django_assert_max_num_queries(12):
        response = client.get("/datagov/objections/")

    assert response.status_code == 200
    rows = list(response.context["object_list"])
    assert [row.pk for row in rows] == [mine.pk, closed.pk]
    assert rows[0].resolvable
    assert not rows[1].resolvable
    assert page_client("community").get("/datagov/objections/?status=bad").status_code == 400


def test_the_demo_raises_open_objections_once(family):
    raised = build_objections()
    again = build_objections()

    assert (raised, again) == (1, 0)  # the family's one household holds the person objected to
    objection = Objection.objects.get()
    assert (objection.status, objection.raised_by.username) == ("open", "grid1")
    assert objection.person == family["spouse"]


def test_the_api_list_costs_the_same_for_two_objections_as_for_six(
    login, family, django_assert_max_num_queries
):
    client = login("community")
    for record in (family["head"], family["son"]):
        raise_on(record)
    with django_assert_max_num_queries(8) as few:
        assert len(client.get(API).json()["results"]) == 2
    for record in (family["spouse"], family["household"], family["house"], family["building"]):
        raise_on(record)

    # Whether each may be resolved is decided from the caller's posts, read once per page.
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(client.get(API).json()["results"]) == 6
