from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from grid import registry
from grid.models import AuditEntry, CareTag, LifeEvent, Person
from tests.grid.conftest import resident_id

pytestmark = pytest.mark.django_db


def full_values(*persons):
    """Every full ID number and phone of `persons`, as they must never appear unrevealed."""
    return [v for p in persons for v in (p.id_number, p.phone, p.other_phone) if v]


def today_is(monkeypatch, day: date) -> None:
    """Make `day` today in Asia/Shanghai for the code under test."""
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: day)


def assert_masked(response, *persons):
    body = response.content.decode()
    for value in full_values(*persons):
        assert value not in body


def names(response):
    return sorted(p["name"] for p in response.json()["results"])


# Lists, details and masking


def test_a_grid_worker_lists_only_the_persons_of_their_grid(login, family, neighbour):
    response = login("grid1").get("/api/persons/")

    assert response.status_code == 200
    assert names(response) == ["林美玲", "陈小明", "陈建华"]


def test_the_person_list_masks_every_id_number_and_phone(login, family):
    response = login("grid1").get("/api/persons/")

    assert_masked(response, family["head"], family["spouse"], family["son"])
    head = next(p for p in response.json()["results"] if p["id"] == family["head"].pk)
    assert (
        head["id_number"]
        == family["head"].id_number[:6] + "********" + (family["head"].id_number[-4:])
    )
    assert head["phone"] == "138****5678"


def test_a_person_detail_shows_codes_with_labels_and_where_they_live(login, family):
    response = login("grid1").get(f"/api/persons/{family['head'].pk}/")

    body = response.json()
    assert response.status_code == 200
    assert (body["ethnicity"], body["ethnicity_label"]) == ("01", "汉族")
    assert (body["sex"], body["sex_label"]) == ("1", "男性")
    assert (body["relation_to_head"], body["relation_to_head_label"]) == ("02", "户主")
    assert (body["id_type"], body["id_type_label"]) == ("resident", "居民身份证")
    assert (body["status"], body["status_label"]) == ("living", "在住")
    assert body["household"] == {"id": family["household"].pk, "number": "H-0001"}
    assert body["house"]["number"] == "301"
    assert body["house"]["building"]["number"] == "1"
    assert [e["kind"] for e in body["events"]] == ["move_in"]
    assert [m["relation"] for m in body["memberships"]] == ["02"]
    assert_masked(response, family["head"])


def test_code_labels_follow_the_request_language(login, family):
    response = login("grid1").get(f"/api/persons/{family['head'].pk}/", HTTP_ACCEPT_LANGUAGE="en")

    body = response.json()
    assert (body["ethnicity_label"], body["sex_label"]) == ("Han", "Male")
    assert (body["id_type_label"], body["status_label"]) == ("Resident ID card", "Living here")
    assert body["relation_to_head_label"] == "Head of household"


def test_a_person_shows_their_age_today_in_whole_years(login, family, monkeypatch):
    client = login("grid1")

    today_is(monkeypatch, date(2025, 5, 1))
    turned_55 = client.get(f"/api/persons/{family['head'].pk}/").json()["age"]
    today_is(monkeypatch, date(2025, 4, 30))
    still_54 = client.get(f"/api/persons/{family['head'].pk}/").json()["age"]

    assert (turned_55, still_54) == (55, 54)


def test_reading_a_person_is_audited_without_the_id_number(login, family):
    before = AuditEntry.objects.count()

    login("grid1").get(f"/api/persons/{family['son'].pk}/")

    entry = AuditEntry.objects.order_by("-id").first()
    assert AuditEntry.objects.count() == before + 1
    assert (entry.actor.username, entry.action, entry.model, entry.object_id) == (
        "grid1",
        "view",
        "Person",
        family["son"].pk,
    )
    assert family["son"].id_number not in f"{entry.fields} {entry.detail}"


def test_a_household_detail_lists_members_with_relations_and_history(login, family):
    registry.move_out(family["son"], actor=None, on=date(2024, 9, 1))

    response = login("grid1").get(f"/api/households/{family['household'].pk}/")

    body = response.json()
    assert [(m["person"]["name"], m["relation"], m["relation_label"]) for m in body["members"]] == [
        ("陈建华", "02", "户主"),
        ("林美玲", "10", "配偶"),
    ]
    assert [(h["person"]["name"], h["ended_on"]) for h in body["history"]] == [
        ("陈建华", None),
        ("林美玲", None),
        ("陈小明", "2024-09-01"),
    ]
    assert body["head"] == {"id": family["head"].pk, "name": "陈建华"}
    assert_masked(response, family["head"], family["spouse"], family["son"])


def test_a_building_layout_shows_floors_top_down_with_masked_occupants(login, family):
    response = login("grid1").get(f"/api/buildings/{family['building'].pk}/layout/")

    body = response.json()
    assert [u["unit"] for u in body["units"]] == [1, 2]
    assert [f["floor"] for f in body["units"][0]["floors"]] == [6, 5, 4, 3, 2, 1]
    third = body["units"][0]["floors"][3]
    assert [h["number"] for h in third["houses"]] == ["301"]
    room = third["houses"][0]
    assert [h["number"] for h in room["households"]] == ["H-0001"]
    assert [(o["name"], o["relation_to_head_label"]) for o in room["occupants"]] == [
        ("陈建华", "户主"),
        ("林美玲", "配偶"),
        ("陈小明", "子"),
    ]
    assert_masked(response, family["head"], family["spouse"], family["son"])


def test_a_house_detail_lists_its_households_and_masked_occupants(login, family):
    response = login("grid1").get(f"/api/houses/{family['house'].pk}/")

    body = response.json()
    assert [h["number"] for h in body["households"]] == ["H-0001"]
    assert sorted(o["name"] for o in body["occupants"]) == ["林美玲", "陈小明", "陈建华"]
    assert_masked(response, family["head"], family["spouse"], family["son"])


def test_a_house_owner_phone_is_masked(login, family, admin_user):
    house = registry.create_house(
        actor=admin_user,
        building=family["building"],
        unit=1,
        floor=4,
        number="401",
        use="rented",
        owner_name="李明",
        owner_phone="13611112222",
    )

    response = login("grid1").get(f"/api/houses/{house.pk}/")

    assert response.json()["owner_phone"] == "136****2222"
    assert "13611112222" not in response.content.decode()


def test_buildings_and_households_lists_are_scoped_to_the_grid(login, family, neighbour):
    client = login("grid1")

    buildings = client.get("/api/buildings/").json()["results"]
    households = client.get("/api/households/").json()["results"]
    houses = client.get("/api/houses/").json()["results"]

    assert [b["number"] for b in buildings] == ["1"]
    assert [h["number"] for h in households] == ["H-0001"]
    assert [h["number"] for h in houses] == ["301"]


@pytest.mark.parametrize(
    "url",
    [
        "/api/persons/{person}/",
        "/api/households/{household}/",
        "/api/buildings/{building}/",
        "/api/buildings/{building}/layout/",
        "/api/houses/{house}/",
    ],
)
def test_a_grid_worker_gets_404_for_rows_of_another_grid(login, neighbour, url):
    ids = {key: row.pk for key, row in neighbour.items()}

    response = login("grid1").get(url.format(**ids))

    assert response.status_code == 404


@pytest.mark.parametrize(
    "action", ["reveal", "move-out", "death", "move-to-household", "move-back-in"]
)
def test_every_person_action_is_a_404_for_a_person_of_another_grid(
    login, family, neighbour, action
):
    response = login("grid1").post(f"/api/persons/{neighbour['person'].pk}/{action}/", {})

    assert response.status_code == 404
    assert not LifeEvent.objects.filter(person=neighbour["person"]).exclude(kind="move_in").exists()


def test_a_get_on_an_action_of_another_grids_person_is_a_404_not_a_405(login, neighbour):
    response = login("grid1").get(f"/api/persons/{neighbour['person'].pk}/reveal/")

    assert response.status_code == 404


def test_department_staff_see_no_persons(login, family):
    client = login("transport")

    assert client.get("/api/persons/").json()["results"] == []
    assert client.get(f"/api/persons/{family['head'].pk}/").status_code == 404


# Revealing


def test_a_grid_worker_reveals_a_person_of_their_grid_and_it_is_audited(login, family):
    head = family["head"]

    response = login("grid1").post(
        f"/api/persons/{head.pk}/reveal/",
        {"purpose": "visit", "reason": "上门走访核对"},
        format="json",
    )

    assert response.status_code == 200
    assert response.json() == {
        "id": head.pk,
        "id_number": head.id_number,
        "phone": "13812345678",
        "other_phone": "",
    }
    assert "no-store" in response["Cache-Control"]
    entry = AuditEntry.objects.filter(action="reveal").get()
    assert (entry.actor.username, entry.model, entry.object_id) == ("grid1", "Person", head.pk)
    assert (entry.fields, entry.detail) == ("id_number,phone,other_phone", "visit: 上门走访核对")
    assert head.id_number not in entry.fields + entry.detail


def test_community_staff_reveal_a_person_of_their_community(login, family):
    response = login("community").post(
        f"/api/persons/{family['spouse'].pk}/reveal/", {"purpose": "service"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["phone"] == "13987654321"


def test_the_supervisor_reads_masked_data_but_may_not_reveal(login, family):
    client = login("supervisor")

    detail = client.get(f"/api/persons/{family['head'].pk}/")
    reveal = client.post(f"/api/persons/{family['head'].pk}/reveal/")

    assert detail.status_code == 200
    assert_masked(detail, family["head"])
    assert reveal.status_code == 403
    assert family["head"].id_number not in reveal.content.decode()
    assert not AuditEntry.objects.filter(action="reveal").exists()


def test_department_staff_cannot_reveal_what_they_cannot_see(login, family):
    response = login("transport").post(f"/api/persons/{family['head'].pk}/reveal/")

    assert response.status_code == 404


def test_a_grid_worker_cannot_reveal_a_person_of_another_grid(login, family):
    response = login("grid2").post(f"/api/persons/{family['head'].pk}/reveal/")

    assert response.status_code == 404
    assert not AuditEntry.objects.filter(action="reveal").exists()


# Filters


def test_within_a_community_lists_both_of_its_grids(login, family, neighbour, home_community):
    response = login("community").get("/api/persons/", {"within": home_community.pk})

    assert names(response) == ["林美玲", "陈小明", "陈建华", "黄丽"]


def test_within_an_area_outside_the_jurisdiction_is_a_400(login, family, home_grids):
    response = login("grid1").get("/api/persons/", {"within": home_grids[1].pk})

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["within"]


def test_persons_filter_by_grid(login, family, neighbour, home_grids):
    response = login("community").get("/api/persons/", {"grid": home_grids[1].pk})

    assert names(response) == ["黄丽"]


def test_persons_filter_by_building_house_and_household(login, family, neighbour):
    client = login("community")

    by_building = client.get("/api/persons/", {"building": neighbour["building"].pk})
    by_house = client.get("/api/persons/", {"house": family["house"].pk})
    by_household = client.get("/api/persons/", {"household": neighbour["household"].pk})

    assert names(by_building) == ["黄丽"]
    assert names(by_house) == ["林美玲", "陈小明", "陈建华"]
    assert names(by_household) == ["黄丽"]


def test_a_building_of_another_grid_is_not_a_valid_filter_choice(login, neighbour):
    response = login("grid1").get("/api/persons/", {"building": neighbour["building"].pk})

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["building"]


def test_persons_filter_by_population_type(login, family):
    registry.update_person(family["spouse"], actor=None, population_type="floating")

    response = login("grid1").get("/api/persons/", {"population_type": "floating"})

    assert names(response) == ["林美玲"]


def test_persons_filter_by_any_of_several_care_tags(login, family):
    family["head"].care_tags.set(CareTag.objects.filter(code__in=["disabled", "low_income"]))
    family["son"].care_tags.set(CareTag.objects.filter(code="key_youth"))

    both = login("grid1").get("/api/persons/?care_tag=disabled&care_tag=key_youth")
    one = login("grid1").get("/api/persons/?care_tag=low_income")

    assert names(both) == ["陈小明", "陈建华"]
    assert names(one) == ["陈建华"]
    assert [t["code"] for t in one.json()["results"][0]["care_tags"]] == ["disabled", "low_income"]


def test_an_unknown_care_tag_is_a_400(login, family):
    response = login("grid1").get("/api/persons/", {"care_tag": "nope"})

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["care_tag"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"age_min": 55}, ["陈建华"]),  # 55 today, his birthday
        ({"age_min": 56}, []),
        ({"age_max": 52}, ["林美玲", "陈小明"]),  # she turns 53 in August
        ({"age_min": 20, "age_max": 20}, ["陈小明"]),
        ({"age_max": 19}, []),
    ],
)
def test_persons_filter_by_age_in_whole_years_today(login, family, monkeypatch, query, expected):
    today_is(monkeypatch, date(2025, 5, 1))

    response = login("grid1").get("/api/persons/", query)

    assert names(response) == sorted(expected)


def test_a_negative_age_is_a_400_on_that_field(login, family):
    response = login("grid1").get("/api/persons/", {"age_min": -1})

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["age_min"]


def test_persons_filter_by_sex_and_name(login, family):
    client = login("grid1")

    assert names(client.get("/api/persons/", {"sex": "2"})) == ["林美玲"]
    assert names(client.get("/api/persons/", {"name": "陈"})) == ["陈小明", "陈建华"]


def test_only_living_persons_are_listed_unless_a_status_is_asked_for(login, family):
    registry.move_out(family["son"], actor=None)
    registry.record_death(family["head"], actor=None)
    client = login("grid1")

    default = client.get("/api/persons/")
    moved = client.get("/api/persons/", {"status": "moved_out"})
    gone = client.get("/api/persons/?status=moved_out&status=deceased")

    assert names(default) == ["林美玲"]
    assert names(moved) == ["陈小明"]
    assert names(gone) == ["陈小明", "陈建华"]


def test_a_deceased_persons_detail_is_still_readable(login, family):
    registry.record_death(family["head"], actor=None)

    response = login("grid1").get(f"/api/persons/{family['head'].pk}/")

    assert response.json()["status"] == "deceased"


def test_households_filter_by_building_and_houses_by_use(login, family, neighbour):
    client = login("community")

    households = client.get("/api/households/", {"building": family["building"].pk}).json()
    houses = client.get("/api/houses/", {"use": "self_occupied", "floor": 1}).json()

    assert [h["number"] for h in households["results"]] == ["H-0001"]
    assert [h["number"] for h in houses["results"]] == ["101"]


# Cursor pagination


def test_persons_are_paged_by_a_cursor_in_id_order(login, family, neighbour):
    client = login("community")

    first = client.get("/api/persons/", {"page_size": 3}).json()
    second = client.get(first["next"]).json()

    assert "count" not in first
    assert [p["id"] for p in first["results"] + second["results"]] == sorted(
        [family[k].pk for k in ("head", "spouse", "son")] + [neighbour["person"].pk]
    )
    assert len(first["results"]) == 3
    assert second["next"] is None
    assert second["previous"] is not None


def test_the_page_size_is_capped_at_500(login, family):
    response = login("grid1").get("/api/persons/", {"page_size": 10000})

    assert response.status_code == 200
    assert len(response.json()["results"]) == 3


# Exact ID lookup


def test_lookup_finds_a_person_in_scope_by_exact_id_number(login, family):
    number = family["spouse"].id_number

    response = login("grid1").post(
        "/api/persons/lookup/", {"id_number": number.lower()}, format="json"
    )

    assert response.status_code == 200
    assert [p["name"] for p in response.json()] == ["林美玲"]
    assert number not in response.content.decode()
    entry = AuditEntry.objects.filter(action="view", detail="lookup").get()
    assert entry.object_id == family["spouse"].pk


def test_lookup_does_not_find_a_person_out_of_scope(login, family, neighbour):
    response = login("grid1").post(
        "/api/persons/lookup/", {"id_number": neighbour["person"].id_number}, format="json"
    )

    assert response.status_code == 200
    assert response.json() == []


def test_lookup_of_a_number_nobody_has_is_an_empty_list(login, family):
    response = login("grid1").post(
        "/api/persons/lookup/", {"id_number": resident_id(date(1999, 9, 9), 99)}, format="json"
    )

    assert response.json() == []


@pytest.mark.parametrize("number", ["44011219700501", "440112197005010118", "44011219701301011X"])
def test_lookup_of_a_malformed_number_is_a_400_on_id_number(login, family, number):
    response = login("grid1").post(
        "/api/persons/lookup/", {"id_number": number}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["id_number"]


def test_lookup_by_another_id_type_checks_that_types_format(login, family):
    response = login("grid1").post(
        "/api/persons/lookup/", {"id_number": "X1", "id_type": "passport"}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["id_number"]


# Writing: creation


def test_a_grid_worker_registers_a_person_into_a_household(login, family):
    response = login("grid1").post(
        "/api/persons/",
        {
            "household": family["household"].pk,
            "relation": "52",
            "name": "王桂兰",
            "id_number": resident_id(date(1945, 1, 20), 42),
            "phone": "13500001234",
            "care_tags": ["elderly_alone", "disabled"],
            "on": "2025-01-02",
        },
        format="json",
    )

    body = response.json()
    assert response.status_code == 201
    assert (body["name"], body["sex"], body["birth_date"]) == ("王桂兰", "2", "1945-01-20")
    assert body["relation_to_head_label"] == "母亲"
    assert sorted(t["code"] for t in body["care_tags"]) == ["disabled", "elderly_alone"]
    assert body["phone"] == "135****1234"
    assert "13500001234" not in response.content.decode()
    person = Person.objects.get(pk=body["id"])
    assert (person.house_id, person.grid_id) == (family["house"].pk, family["house"].grid_id)


def test_registering_a_person_reports_every_bad_field_and_writes_nothing(login, family):
    before = Person.objects.count()

    response = login("grid1").post(
        "/api/persons/",
        {
            "household": family["household"].pk,
            "relation": "20",
            "name": "",
            "id_number": "440112197005010118",
            "ethnicity": "77",
        },
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 400
    assert sorted(response.json()["errors"]) == ["ethnicity", "id_number", "name"]
    assert Person.objects.count() == before


def test_an_unknown_care_tag_code_is_a_400_and_nothing_is_written(login, family):
    before = Person.objects.count()

    response = login("grid1").post(
        "/api/persons/",
        {"household": family["household"].pk, "relation": "20", "name": "陈二", "sex": "1",
         "care_tags": ["nope"]},
        format="json",
    )  # fmt: skip

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["care_tags"]
    assert Person.objects.count() == before


def test_a_grid_worker_cannot_register_into_a_household_of_another_grid(login, neighbour):
    response = login("grid1").post(
        "/api/persons/",
        {"household": neighbour["household"].pk, "relation": "20", "name": "X", "sex": "1"},
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["household"]


def test_the_supervisor_may_not_register_anyone(login, family):
    response = login("supervisor").post(
        "/api/persons/",
        {"household": family["household"].pk, "relation": "20", "name": "陈二", "sex": "1"},
        format="json",
    )

    assert response.status_code == 403


def test_a_grid_worker_creates_a_building_a_house_and_a_household(login, home_grids):
    client = login("grid1")

    building = client.post(
        "/api/buildings/",
        {"grid": home_grids[0].pk, "number": "9", "address": "黄埔花园9栋", "floors": 5},
        format="json",
    )
    house = client.post(
        "/api/houses/",
        {"building": building.json()["id"], "floor": 2, "number": "201", "use": "rented"},
        format="json",
    )
    household = client.post(
        "/api/households/", {"number": "H-0900", "house": house.json()["id"]}, format="json"
    )

    assert (building.status_code, house.status_code, household.status_code) == (201, 201, 201)
    assert house.json()["use"] == "rented"
    assert household.json()["house"]["number"] == "201"
    assert household.json()["grid"]["id"] == home_grids[0].pk


def test_a_household_registered_without_a_house_belongs_to_a_grid_not_a_community(
    login, home_grids, home_community
):
    client = login("community")

    in_grid = client.post(
        "/api/households/", {"number": "H-0901", "grid": home_grids[1].pk}, format="json"
    )
    in_community = client.post(
        "/api/households/", {"number": "H-0902", "grid": home_community.pk}, format="json"
    )

    assert in_grid.status_code == 201
    assert in_grid.json()["grid"]["id"] == home_grids[1].pk
    assert in_community.status_code == 400
    assert list(in_community.json()["errors"]) == ["grid"]


def test_a_house_above_the_top_floor_is_a_400_on_floor(login, family):
    response = login("grid1").post(
        "/api/houses/",
        {"building": family["building"].pk, "floor": 7, "number": "701"},
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["floor"]


def test_a_grid_worker_cannot_create_a_building_in_another_grid(login, home_grids):
    response = login("grid1").post(
        "/api/buildings/",
        {"grid": home_grids[1].pk, "number": "9", "address": "x"},
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["grid"]


def test_the_supervisor_may_not_create_a_building(login, home_grids):
    response = login("supervisor").post(
        "/api/buildings/",
        {"grid": home_grids[0].pk, "number": "9", "address": "x"},
        format="json",
    )

    assert response.status_code == 403


def test_updating_a_person_changes_fields_and_care_tags(login, family):
    response = login("grid1").patch(
        f"/api/persons/{family['son'].pk}/",
        {"occupation": "学生", "phone": "13122223333", "care_tags": ["key_youth"]},
        format="json",
    )

    body = response.json()
    assert response.status_code == 200
    assert (body["occupation"], body["phone"]) == ("学生", "131****3333")
    assert [t["code"] for t in body["care_tags"]] == ["key_youth"]
    assert body["events"][-1]["kind"] == "update"
    family["son"].refresh_from_db()
    assert family["son"].phone == "13122223333"


def test_updating_a_person_with_a_bad_phone_is_a_400_on_phone(login, family):
    response = login("grid1").patch(
        f"/api/persons/{family['son'].pk}/", {"phone": "call me"}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["phone"]


def test_the_supervisor_may_not_update_a_person(login, family):
    response = login("supervisor").patch(
        f"/api/persons/{family['son'].pk}/", {"occupation": "x"}, format="json"
    )

    assert response.status_code == 403


# Writing: life events


def test_moving_a_person_out(login, family):
    response = login("grid1").post(
        f"/api/persons/{family['son'].pk}/move-out/",
        {"on": "2025-03-01", "note": "外出求学"},
        format="json",
    )

    body = response.json()
    assert response.status_code == 200
    assert (body["status"], body["household"], body["house"]) == ("moved_out", None, None)
    assert body["events"][-1] == body["events"][-1] | {"kind": "move_out", "note": "外出求学"}
    assert body["events"][-1]["occurred_on"] == "2025-03-01"
    assert_masked(response, family["son"])


def test_moving_out_with_a_bad_date_is_a_400_on_that_field(login, family):
    response = login("grid1").post(
        f"/api/persons/{family['son'].pk}/move-out/", {"on": "yesterday"}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["on"]
    family["son"].refresh_from_db()
    assert family["son"].status == "living"


def test_moving_out_someone_who_already_left_is_a_400(login, family):
    registry.move_out(family["son"], actor=None)

    response = login("grid1").post(f"/api/persons/{family['son'].pk}/move-out/")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["person"]


@pytest.mark.parametrize("action", ["move-out", "death"])
def test_the_supervisor_may_not_record_life_events(login, family, action):
    response = login("supervisor").post(f"/api/persons/{family['son'].pk}/{action}/")

    assert response.status_code == 403
    family["son"].refresh_from_db()
    assert family["son"].status == "living"


def test_recording_a_death(login, family):
    response = login("grid1").post(
        f"/api/persons/{family['head'].pk}/death/", {"on": "2025-02-02"}, format="json"
    )

    assert response.json()["status"] == "deceased"
    family["household"].refresh_from_db()
    assert family["household"].head is None


def test_moving_a_person_to_another_household(login, family, admin_user):
    other = registry.create_household(actor=admin_user, number="H-0003", house=family["house"])

    response = login("grid1").post(
        f"/api/persons/{family['son'].pk}/move-to-household/",
        {"household": other.pk, "relation": "02"},
        format="json",
    )

    body = response.json()
    assert response.status_code == 200
    assert (body["household"]["number"], body["relation_to_head"]) == ("H-0003", "02")
    other.refresh_from_db()
    assert other.head_id == family["son"].pk


def test_moving_to_a_household_with_a_bad_relation_is_a_400(login, family, admin_user):
    other = registry.create_household(actor=admin_user, number="H-0003", house=family["house"])

    response = login("grid1").post(
        f"/api/persons/{family['son'].pk}/move-to-household/",
        {"household": other.pk, "relation": "XX"},
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["relation"]


def test_moving_a_person_back_in(login, family):
    registry.move_out(family["son"], actor=None)

    response = login("grid1").post(
        f"/api/persons/{family['son'].pk}/move-back-in/",
        {"household": family["household"].pk, "relation": "20"},
        format="json",
    )

    body = response.json()
    assert response.status_code == 200
    assert (body["status"], body["household"]["number"]) == ("living", "H-0001")


def test_moving_back_in_someone_who_never_left_is_a_400(login, family):
    response = login("grid1").post(
        f"/api/persons/{family['son'].pk}/move-back-in/",
        {"household": family["household"].pk, "relation": "20"},
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["person"]


def test_changing_the_head_of_household(login, family):
    response = login("grid1").post(
        f"/api/households/{family['household'].pk}/change-head/",
        {"head": family["spouse"].pk, "former_head_relation": "10"},
        format="json",
    )

    body = response.json()
    assert response.status_code == 200
    assert body["head"] == {"id": family["spouse"].pk, "name": "林美玲"}
    assert [(m["person"]["name"], m["relation"]) for m in body["members"]] == [
        ("林美玲", "02"),
        ("陈建华", "10"),
        ("陈小明", "20"),
    ]


def test_changing_the_head_without_the_former_heads_relation_is_a_400(login, family):
    response = login("grid1").post(
        f"/api/households/{family['household'].pk}/change-head/",
        {"head": family["spouse"].pk},
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["former_head_relation"]


def test_the_supervisor_may_not_change_the_head(login, family):
    response = login("supervisor").post(
        f"/api/households/{family['household'].pk}/change-head/",
        {"head": family["spouse"].pk, "former_head_relation": "10"},
        format="json",
    )

    assert response.status_code == 403


def test_registering_a_birth(login, family):
    response = login("grid1").post(
        f"/api/households/{family['household'].pk}/births/",
        {"name": "陈小小", "sex": "2", "relation": "40", "on": "2025-04-04"},
        format="json",
    )

    body = response.json()
    assert response.status_code == 201
    assert (body["birth_date"], body["relation_to_head_label"]) == (
        "2025-04-04",
        "孙子、孙女或外孙子、外孙女",
    )
    assert [e["kind"] for e in body["events"]] == ["birth"]


def test_a_birth_without_a_name_is_a_400_in_chinese_by_default(login, family):
    response = login("grid1").post(
        f"/api/households/{family['household'].pk}/births/",
        {"sex": "2", "relation": "40"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {"name": ["名称不能为空。"]}


def test_a_birth_without_a_name_is_a_400_in_english_when_asked(login, family):
    response = login("grid1").post(
        f"/api/households/{family['household'].pk}/births/",
        {"sex": "2", "relation": "40"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.json()["errors"] == {"name": ["A name is required."]}


# Query counts do not grow with rows


@pytest.fixture
def crowd(family, admin_user):
    """Twelve more people in family's building, each with a care tag."""
    tag = CareTag.objects.get(code="disabled")
    for i in range(12):
        house = registry.create_house(
            actor=admin_user, building=family["building"], unit=2, floor=1 + i % 6,
            number=f"{1 + i % 6}0{i}",
        )  # fmt: skip
        household = registry.create_household(actor=admin_user, number=f"C-{i}", house=house)
        registry.register_person(
            actor=admin_user, household=household, relation="02", name=f"住户{i}", sex="1",
            care_tags=[tag], phone=f"1390000{i:04d}",
        )  # fmt: skip


@pytest.mark.parametrize(
    "url",
    [
        "/api/persons/",
        "/api/households/",
        "/api/houses/",
        "/api/buildings/",
        "/api/persons/?care_tag=disabled&age_min=1&building={building}",
    ],
)
def test_list_queries_do_not_grow_with_rows(
    login, family, crowd, django_assert_max_num_queries, url
):
    client = login("grid1")

    with django_assert_max_num_queries(8):
        response = client.get(url.format(building=family["building"].pk))

    assert response.status_code == 200


def test_detail_and_layout_queries_do_not_grow_with_rows(
    login, family, crowd, django_assert_max_num_queries
):
    client = login("grid1")

    with django_assert_max_num_queries(12):
        person = client.get(f"/api/persons/{family['head'].pk}/")
    with django_assert_max_num_queries(8):
        household = client.get(f"/api/households/{family['household'].pk}/")
    with django_assert_max_num_queries(8):
        layout = client.get(f"/api/buildings/{family['building'].pk}/layout/")

    assert (person.status_code, household.status_code, layout.status_code) == (200, 200, 200)
    occupants = [o for u in layout.json()["units"] for f in u["floors"] for h in f["houses"]
                 for o in h["occupants"]]  # fmt: skip
    assert len(occupants) == 15


def test_a_layout_of_many_rooms_takes_the_queries_of_one_room(
    login, family, admin_user, django_assert_max_num_queries
):
    client = login("grid1")
    url = f"/api/buildings/{family['building'].pk}/layout/"
    with CaptureQueriesContext(connection) as one_room:
        client.get(url)
    for floor in range(1, 7):
        for number in ("01", "02"):
            house = registry.create_house(
                actor=admin_user, building=family["building"], unit=2, floor=floor,
                number=f"{floor}{number}",
            )  # fmt: skip
            household = registry.create_household(
                actor=admin_user, number=f"R-{floor}{number}", house=house
            )
            for name in ("甲", "乙"):
                registry.register_person(
                    actor=admin_user, household=household, relation="02" if name == "甲" else "10",
                    name=f"{name}{floor}{number}", sex="1", phone="13900001111",
                )  # fmt: skip

    with django_assert_max_num_queries(len(one_room)):
        response = client.get(url)

    rooms = [h for u in response.json()["units"] for f in u["floors"] for h in f["houses"]]
    assert len(rooms) == 13
    room = next(h for h in rooms if h["number"] == "101")
    assert [h["number"] for h in room["households"]] == ["R-101"]
    assert [(o["name"], o["phone"]) for o in room["occupants"]] == [
        ("甲101", "139****1111"),
        ("乙101", "139****1111"),
    ]
