"""A department's task cards (cases/cards.py, cases/console/dispatches.py): the inbox and the
API's dispatches show the case's description, photos, place, deadlines and history; nothing of
another department's work; and the same few queries for one card or many."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases import services
from cases.models import Case, CasePhoto, Dispatch
from grid.models import Department

pytestmark = pytest.mark.django_db

DESCRIPTION = "公交站台设置不合理，乘客需踩踏花坛上车，老人和残疾人无法乘车。"
ADDRESS = "黄埔花园社区大沙东路公交站"


@pytest.fixture
def dispatched(file_case, user, photo):
    """dispatched(**more) → a case with a description, an address and two photos, accepted by
    the district and dispatched to 区交通运输局 (lead) and 区住房和城乡建设局."""

    def make(**more):
        case = file_case(
            "0802",
            title="公交站台设置不合理",
            description=DESCRIPTION,
            address=ADDRESS,
            photos=[photo("a.jpg", (800, 600)), photo("b.jpg", (640, 480))],
            **more,
        )
        services.accept_case(case, actor=user("district"))
        services.dispatch_case(
            case,
            actor=user("district"),
            lead=Department.objects.get(name="区交通运输局"),
            cooperating=[Department.objects.get(name="区住房和城乡建设局")],
            instructions="请牵头迁移站台",
        )
        case.refresh_from_db()
        return case

    return make


def signed_in(username: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(get_user_model().objects.get(username=username))
    return client


def lead_of(case: Case) -> Dispatch:
    return case.dispatches.get(role=Dispatch.Role.LEAD)


# The console's inbox


def test_a_departments_card_shows_description_photos_place_deadlines_and_history(dispatched):
    case = dispatched()
    lead = lead_of(case)
    first, second = case.photos.order_by("created_at", "id")

    response = signed_in("transport").get("/console/dispatches/")

    assert response.status_code == 200
    (mine,) = response.context["dispatches"]
    card = mine.card
    assert card["description"] == DESCRIPTION
    assert card["photos"] == [first, second]
    assert card["location"] == {
        "lng": case.lng,
        "lat": case.lat,
        "exact": True,
        "grid": {"id": case.grid_id, "code": case.grid.code, "name": case.grid.name},
        "address": ADDRESS,
    }
    assert card["deadlines"]["dispatch_due_at"] == lead.due_at
    assert card["deadlines"]["case_due_at"] == lead.due_at
    left = (lead.due_at - timezone.now()).total_seconds()
    assert abs(card["deadlines"]["remaining_seconds"] - left) < 60
    assert card["remaining"].endswith("left")
    assert [step["action"] for step in card["history"]] == ["report", "accept", "dispatch"]
    body = response.content.decode()
    assert DESCRIPTION in body
    assert f'href="/console/photos/{first.pk}/"' in body
    assert f'src="/console/photos/{first.pk}/thumbnail/"' in body
    dispatch_id = response.context["dispatches"][0].pk
    assert f'data-sanhua-map data-mode="mini" data-source="card-map-{dispatch_id}"' in body
    # The grid's boundary and the pin travel with the card: a department reads no areas.
    assert card["map"] == {
        "areas": {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "id": case.grid_id,
                    "geometry": case.grid.boundary,
                    "properties": {"name": case.grid.name},
                }
            ],
        },
        "highlight": case.grid_id,
        "point": [case.lng, case.lat],
        "exact": True,
        "label": case.number,
    }
    assert f'<script id="card-map-{dispatch_id}" type="application/json">' in body
    assert ADDRESS in body
    assert 'id="photo-modal"' in body


def test_the_card_names_units_never_people_and_keeps_a_residents_words_out(dispatched, user):
    case = dispatched()
    services.urge_case(case, actor=user("supervisor"), reason="请加快处置")

    response = signed_in("transport").get("/console/dispatches/")

    history = response.context["dispatches"][0].card["history"]
    # 0802 starts at the district: every step so far was the district's.
    assert [(s["action"], s["unit"]) for s in history] == [
        ("report", "黄埔区"),
        ("accept", "黄埔区"),
        ("dispatch", "黄埔区"),
        ("urge", "黄埔区"),
    ]
    assert history[-1]["reason"] == "请加快处置"
    body = response.content.decode()
    # The reporter (grid1, 王秀英) and the district's dispatcher are people: not on the card.
    names = {"王秀英", user("district").get_full_name(), user("supervisor").get_full_name()}
    card = body.split("data-card=")[1]
    assert all(name not in card for name in names if name)


def test_a_dispatch_step_shows_the_department_that_took_it(dispatched, user):
    case = dispatched()
    services.sign_dispatch(lead_of(case), actor=user("transport"))

    response = signed_in("transport").get("/console/dispatches/")

    history = response.context["dispatches"][0].card["history"]
    assert (history[-1]["action"], history[-1]["unit"]) == ("dispatch_sign", "区交通运输局")


def test_a_card_without_a_point_falls_back_to_the_grids_centre(dispatched, home_grids):
    case = dispatched()
    # Filed without a point (chosen grid only): the card shows the grid's centre.
    Case.objects.filter(pk=case.pk).update(lng=None, lat=None)

    response = signed_in("transport").get("/console/dispatches/")

    location = response.context["dispatches"][0].card["location"]
    assert (location["lng"], location["lat"], location["exact"]) == (
        home_grids[0].centroid_lng,
        home_grids[0].centroid_lat,
        False,
    )
    assert case.grid.name in response.content.decode()


def test_another_departments_photos_and_dispatches_are_not_found(dispatched):
    case = dispatched()
    photo = case.photos.first()
    police = signed_in("police")

    assert police.get("/console/dispatches/").context["dispatches"] == []
    assert police.get(f"/console/photos/{photo.pk}/").status_code == 404
    assert police.get(f"/console/photos/{photo.pk}/thumbnail/").status_code == 404
    assert signed_in("transport").get(f"/console/photos/{photo.pk}/").status_code == 200


def test_the_inbox_costs_the_same_queries_for_one_card_or_four(dispatched, user, photo):
    client = signed_in("transport")
    dispatched()
    client.get("/console/dispatches/")  # warm the caches (calendar, sessions)
    with CaptureQueriesContext(connection) as one:
        response = client.get("/console/dispatches/")
    assert len(response.context["dispatches"]) == 1

    for _ in range(3):
        case = dispatched()
        services.urge_case(case, actor=user("supervisor"), reason="督办")
    with CaptureQueriesContext(connection) as four:
        response = client.get("/console/dispatches/")

    assert len(response.context["dispatches"]) == 4
    assert len(four) == len(one)


# The API


def test_the_api_gives_a_dispatch_its_card(dispatched, login):
    case = dispatched()
    lead = lead_of(case)
    first, second = case.photos.order_by("created_at", "id")

    body = login("transport").get(f"/api/dispatches/{lead.pk}/").json()

    assert body["description"] == DESCRIPTION
    assert [(p["id"], p["image"], p["thumbnail"]) for p in body["photos"]] == [
        (
            p.pk,
            f"http://testserver/api/cases/{case.pk}/photos/{p.pk}/",
            f"http://testserver/api/cases/{case.pk}/photos/{p.pk}/thumbnail/",
        )
        for p in (first, second)
    ]
    assert body["location"] == {
        "lng": case.lng,
        "lat": case.lat,
        "exact": True,
        "grid": {"id": case.grid_id, "code": case.grid.code, "name": case.grid.name},
        "address": ADDRESS,
    }
    deadlines = body["deadlines"]
    assert deadlines["dispatch_due_at"] == timezone.localtime(lead.due_at).isoformat()
    # While dispatched the case's clock is its lead dispatch's.
    assert deadlines["case_due_at"] == timezone.localtime(lead.due_at).isoformat()
    assert deadlines["remaining_seconds"] > 0
    assert (deadlines["is_overdue"], deadlines["paused"]) == (False, False)
    assert [(s["action"], s["status"], s["reason"]) for s in body["history"]] == [
        ("report", "reported", ""),
        ("accept", "in_progress", ""),
        ("dispatch", "dispatched", "请牵头迁移站台"),
    ]
    assert "actor" not in body["history"][0]
    # The photos the card links to open for the department.
    client = login("transport")
    assert client.get(body["photos"][0]["thumbnail"]).status_code == 200
    assert client.get(body["photos"][0]["image"]).status_code == 200


def test_the_api_card_of_a_late_dispatch_counts_down_below_zero(dispatched, login, monkeypatch):
    case = dispatched()
    lead = lead_of(case)
    later = lead.due_at + timedelta(hours=2)
    monkeypatch.setattr(timezone, "now", lambda: later)

    body = login("transport").get(f"/api/dispatches/{lead.pk}/").json()

    assert body["deadlines"]["remaining_seconds"] == -7200
    assert body["deadlines"]["is_overdue"] is True


def test_the_api_hides_another_departments_card(dispatched, login):
    lead = lead_of(dispatched())

    assert login("police").get(f"/api/dispatches/{lead.pk}/").status_code == 404
    assert login("police").get("/api/dispatches/").json()["results"] == []


@pytest.mark.parametrize("count", [1, 4])
def test_the_api_list_of_cards_costs_a_fixed_number_of_queries(
    dispatched, login, django_assert_max_num_queries, count
):
    for _ in range(count):
        dispatched()
    client = login("transport")

    with django_assert_max_num_queries(7):
        body = client.get("/api/dispatches/").json()

    assert len(body["results"]) == count
    assert all(len(d["photos"]) == 2 and d["history"] for d in body["results"])


def test_a_photo_without_thumbnail_is_linked_in_full(dispatched, login):
    case = dispatched()
    CasePhoto.objects.filter(case=case).update(thumbnail="")

    body = login("transport").get(f"/api/dispatches/{lead_of(case).pk}/").json()

    assert [p["thumbnail"] for p in body["photos"]] == [None, None]


def test_another_departments_step_on_a_dispatch_is_not_found(dispatched):
    lead = lead_of(dispatched())

    response = signed_in("police").post(f"/console/dispatches/{lead.pk}/sign/", {"version": 1})

    assert response.status_code == 404
    lead.refresh_from_db()
    assert lead.status == Dispatch.Status.PENDING
