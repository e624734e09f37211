"""The cases API: filing, scoped and filtered lists, details, steps and their errors (400 per
field, 403, 404, 409), dispatches, categories, the notification inbox and query ceilings."""

import uuid
from datetime import datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from cases import services
from cases.models import Case, CaseEvent, CasePhoto, Dispatch, Notification
from cases.tasks import notify_event
from grid.models import Area, Department
from tests.grid import conftest as registry_fixtures

pytestmark = pytest.mark.django_db

# The registry fixtures of tests/grid/: a family in grid1's grid, a neighbour in grid2's.
admin_user = registry_fixtures.admin_user
family = registry_fixtures.family
neighbour = registry_fixtures.neighbour


def at_centre(grid) -> dict:
    return {"lng": grid.centroid_lng, "lat": grid.centroid_lat}


def report(client, grid, **fields):
    body = {"category": "0101", "title": "暴露垃圾", **at_centre(grid), **fields}
    return client.post("/api/cases/", body, format="json")


def deliver_notifications() -> None:
    """What the worker does after each commit: write the notifications of every new event."""
    for event_id in CaseEvent.objects.filter(notified_at__isnull=True).values_list("pk", flat=True):
        notify_event(event_id)


@pytest.fixture
def district_case(file_case, user):
    """dispatched=True → a case of 0802 (starts at the district) in grid1's grid, accepted by
    the district and dispatched to 区交通运输局 as lead and 区住房和城乡建设局 cooperating."""

    def make(dispatched: bool = True, **more):
        case = file_case("0802", title="危险化学品隐患", **more)
        if dispatched:
            services.accept_case(case, actor=user("district"))
            services.dispatch_case(
                case,
                actor=user("district"),
                lead=Department.objects.get(name="区交通运输局"),
                cooperating=[Department.objects.get(name="区住房和城乡建设局")],
            )
        case.refresh_from_db()
        return case

    return make


# Filing


def test_filing_with_gps_finds_the_grid_and_starts_at_the_category_level(login, home_grids):
    client = login("grid1")
    response = report(client, home_grids[0])

    assert response.status_code == 201
    body = response.json()
    case = Case.objects.get()
    assert body["id"] == case.pk
    assert (body["grid"]["id"], body["level"], body["holder"]["id"]) == (
        home_grids[0].pk,
        Area.Level.GRID,
        home_grids[0].pk,
    )
    assert (body["status"], body["version"], body["category"]["code"]) == ("reported", 1, "0101")
    assert body["number"] == case.number
    assert case.number.startswith(f"{timezone.localtime():%Y}440112")
    # The answer is the case as written; its history and what may be done next are one link on.
    detail = client.get(body["links"]["self"]).json()
    assert [e["action"] for e in detail["events"]] == ["report"]
    assert detail["allowed_actions"] == ["accept", "reject", "self_resolve", "escalate", "suspend"]


def test_a_category_may_be_given_by_id(login, home_grids, category):
    response = report(login("grid1"), home_grids[0], category=category("0501").pk)

    assert response.status_code == 201
    assert response.json()["category"]["code"] == "0501"


def test_a_point_outside_every_grid_is_a_400_on_lng(login):
    response = login("grid1").post(
        "/api/cases/",
        {"category": "0101", "title": "暴露垃圾", "lng": 100.0, "lat": 10.0},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "lng": ["The location lies outside every grid of the district."]
    }
    assert not Case.objects.exists()


def test_a_chosen_grid_out_of_scope_is_a_400_on_grid(login, home_grids):
    response = login("grid1").post(
        "/api/cases/",
        {"category": "0101", "title": "暴露垃圾", "grid": home_grids[1].pk},
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["grid"]
    assert not Case.objects.exists()


def test_a_chosen_grid_in_scope_is_used_without_gps(login, home_grids):
    response = login("community").post(
        "/api/cases/",
        {
            "category": "0101",
            "title": "热线反映垃圾",
            "grid": home_grids[1].pk,
            "source": "hotline",
        },
        format="json",
    )

    assert response.status_code == 201
    assert (response.json()["grid"]["id"], response.json()["source"]) == (
        home_grids[1].pk,
        "hotline",
    )


def test_a_larger_area_is_no_grid(login, home_community):
    response = login("community").post(
        "/api/cases/",
        {"category": "0101", "title": "暴露垃圾", "grid": home_community.pk},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {"grid": ["Choose a grid, not a larger area."]}


def test_a_grid_worker_may_not_file_at_a_point_in_another_grid(login, home_grids):
    response = report(login("grid1"), home_grids[1])

    # Refused on the location (tests/cases/test_filing_location.py), not as a forbidden step.
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["lng"]
    assert not Case.objects.exists()


def test_a_location_needs_both_coordinates_or_a_grid(login, home_grids):
    client = login("grid1")

    half = client.post(
        "/api/cases/",
        {"category": "0101", "title": "t", "lng": home_grids[0].centroid_lng},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    none = client.post(
        "/api/cases/", {"category": "0101", "title": "t"}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )

    assert (half.status_code, half.json()["errors"]) == (
        400,
        {"lat": ["Give both longitude and latitude."]},
    )
    assert (none.status_code, none.json()["errors"]) == (
        400,
        {"grid": ["Give the GPS location or choose a grid."]},
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("05", "Choose an active subcategory."),
        ("9999", "No category has the code or id “9999”."),
        (999999, "No category has the code or id “999999”."),
        ("²", "No category has the code or id “²”."),  # a digit to str.isdigit, not to int()
        ("１２", "No category has the code or id “１２”."),
    ],
)
def test_a_main_class_or_an_unknown_category_is_a_400_on_category(
    login, home_grids, value, message
):
    response = login("grid1").post(
        "/api/cases/",
        {"category": value, "title": "t", **at_centre(home_grids[0])},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert (response.status_code, response.json()["errors"]) == (400, {"category": [message]})


def test_a_text_file_named_jpg_is_a_400_on_photos_and_no_case_is_written(login, home_grids, photo):
    fake = SimpleUploadedFile("site.jpg", b"this is not a photo", content_type="image/jpeg")

    response = login("grid1").post(
        "/api/cases/",
        {
            "category": "0101",
            "title": "暴露垃圾",
            **at_centre(home_grids[0]),
            "photos": [photo(), fake],
        },
        format="multipart",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "photos": ["This file is not a photo (JPEG, PNG or WebP)."]
    }
    assert (Case.objects.count(), CaseEvent.objects.count(), CasePhoto.objects.count()) == (0, 0, 0)


def test_photos_are_stored_with_thumbnails(login, home_grids, photo):
    response = login("grid1").post(
        "/api/cases/",
        {"category": "0101", "title": "暴露垃圾", **at_centre(home_grids[0]), "photos": [photo()]},
        format="multipart",
    )

    assert response.status_code == 201
    case_id = response.json()["id"]
    [stored] = response.json()["photos"]
    url = f"http://testserver/api/cases/{case_id}/photos/{stored['id']}/"
    assert (stored["image"], stored["thumbnail"]) == (url, url + "thumbnail/")
    assert stored["event"] == CaseEvent.objects.get(case_id=case_id, action="report").pk


def test_a_photo_is_served_only_to_those_who_see_its_case(login, home_grids, photo):
    filed = login("grid1").post(
        "/api/cases/",
        {"category": "0101", "title": "暴露垃圾", **at_centre(home_grids[0]), "photos": [photo()]},
        format="multipart",
    )
    [stored] = filed.json()["photos"]

    image = login("community").get(stored["image"], HTTP_ACCEPT="image/*")
    thumbnail = login("grid1").get(stored["thumbnail"])
    elsewhere = login("grid2").get(stored["image"], HTTP_ACCEPT="image/*")

    assert (image.status_code, image["Content-Type"]) == (200, "image/jpeg")
    assert image["Cache-Control"] == "private, max-age=86400"
    assert image["X-Content-Type-Options"] == "nosniff"
    assert b"".join(image.streaming_content)[:2] == b"\xff\xd8"
    assert (thumbnail.status_code, thumbnail["Content-Type"]) == (200, "image/jpeg")
    assert (elsewhere.status_code, elsewhere["Content-Type"]) == (404, "application/json")


def test_a_photo_of_another_case_is_a_404_under_this_one(login, home_grids, photo):
    client = login("grid1")
    first = client.post(
        "/api/cases/",
        {"category": "0101", "title": "暴露垃圾", **at_centre(home_grids[0]), "photos": [photo()]},
        format="multipart",
    ).json()
    second = report(client, home_grids[0])

    response = client.get(f"/api/cases/{second.json()['id']}/photos/{first['photos'][0]['id']}/")

    assert response.status_code == 404


def test_the_same_client_id_twice_gives_one_case_and_a_200_the_second_time(login, home_grids):
    client, client_id = login("grid1"), str(uuid.uuid4())

    first = report(client, home_grids[0], client_id=client_id)
    again = report(client, home_grids[0], client_id=client_id, title="重发")

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["title"] == "暴露垃圾"
    assert Case.objects.count() == 1
    assert CaseEvent.objects.count() == 1


def test_a_client_id_of_someone_elses_report_tells_nothing_about_it(login, home_grids):
    client_id = str(uuid.uuid4())
    report(login("grid1"), home_grids[0], client_id=client_id)

    response = login("grid2").post(
        "/api/cases/",
        {"category": "0101", "title": "t", **at_centre(home_grids[1]), "client_id": client_id},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "client_id": ["This client id belongs to another report; make a new one."]
    }
    assert Case.objects.count() == 1


def test_registry_rows_in_scope_are_linked(login, home_grids, family):
    client = login("grid1")
    response = report(
        client,
        home_grids[0],
        buildings=[family["building"].pk],
        households=[family["household"].pk],
        persons=[family["head"].pk, family["son"].pk],
    )

    assert response.status_code == 201
    body = client.get(response.json()["links"]["self"]).json()
    assert (body["buildings"], body["households"]) == (
        [family["building"].pk],
        [family["household"].pk],
    )
    assert sorted(body["persons"]) == sorted([family["head"].pk, family["son"].pk])


@pytest.mark.parametrize(
    ("field", "row"),
    [("buildings", "building"), ("households", "household"), ("persons", "person")],
)
def test_registry_rows_out_of_scope_are_a_400_on_their_field(
    login, home_grids, neighbour, field, row
):
    response = report(login("grid1"), home_grids[0], **{field: [neighbour[row].pk]})

    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]
    assert not Case.objects.exists()


def test_bad_input_is_answered_in_chinese_by_default_and_in_english_on_request(login, home_grids):
    client = login("grid1")
    body = {"category": "0101", **at_centre(home_grids[0])}

    chinese = client.post("/api/cases/", body, format="json")
    english = client.post("/api/cases/", body, format="json", HTTP_ACCEPT_LANGUAGE="en")

    assert chinese.json()["errors"] == {"title": ["该字段是必填项。"]}
    assert english.json()["errors"] == {"title": ["This field is required."]}


# Lists and details


def test_a_list_shows_each_user_only_the_cases_in_their_jurisdiction(
    login, file_case, home_grids, district_case
):
    mine = file_case("0101", by="grid1")
    theirs = file_case("0101", by="grid2", grid=home_grids[1])
    dispatched = district_case()

    def ids(name):
        response = login(name).get("/api/cases/")
        assert response.status_code == 200
        return [c["id"] for c in response.json()["results"]]

    assert ids("grid1") == [dispatched.pk, mine.pk]
    assert ids("grid2") == [theirs.pk]
    for name in ("community", "street", "district", "supervisor", "admin"):
        assert ids(name) == [dispatched.pk, theirs.pk, mine.pk], name
    assert ids("transport") == [dispatched.pk]
    assert ids("construction") == [dispatched.pk]
    assert ids("police") == []


def test_a_department_sees_a_case_only_once_it_is_dispatched_to_it(login, district_case, user):
    case = district_case(dispatched=False)
    transport = login("transport")
    assert transport.get(f"/api/cases/{case.pk}/").status_code == 404

    services.accept_case(case, actor=user("district"))
    services.dispatch_case(
        case, actor=user("district"), lead=Department.objects.get(name="区交通运输局")
    )

    assert transport.get(f"/api/cases/{case.pk}/").status_code == 200
    assert [c["id"] for c in transport.get("/api/cases/").json()["results"]] == [case.pk]


@pytest.mark.parametrize("name", ["grid2", "transport", "police"])
def test_a_case_out_of_scope_is_a_404_for_reading_and_for_every_step(login, file_case, name):
    case = file_case("0101")
    client = login(name)

    assert client.get(f"/api/cases/{case.pk}/").status_code == 404
    assert client.post(f"/api/cases/{case.pk}/accept/", {}).status_code == 404
    assert client.post(f"/api/cases/{case.pk}/escalate/", {"reason": "x"}).status_code == 404
    assert client.delete(f"/api/cases/{case.pk}/").status_code == 404
    case.refresh_from_db()
    assert case.version == 1


def test_the_detail_shows_history_dispatches_and_the_users_actions(login, district_case):
    case = district_case()

    body = login("district").get(f"/api/cases/{case.pk}/").json()

    assert [
        (e["action"], e["actor"]["name"], e["from_status"], e["to_status"]) for e in body["events"]
    ] == [
        ("report", "王秀英", "", "reported"),
        ("accept", "张敏", "reported", "in_progress"),
        ("dispatch", "张敏", "in_progress", "dispatched"),
    ]
    assert [(d["department"]["name"], d["role"], d["status"]) for d in body["dispatches"]] == [
        ("区交通运输局", "lead", "pending"),
        ("区住房和城乡建设局", "cooperating", "pending"),
    ]
    # A dispatched case resolves through its lead department, not by its holder.
    assert body["allowed_actions"] == ["suspend", "urge"]
    assert body["dispatches"][0]["allowed_actions"] == []


def test_labels_follow_the_request_language(login, file_case):
    case = file_case("0501")

    body = login("community").get(f"/api/cases/{case.pk}/", HTTP_ACCEPT_LANGUAGE="en").json()

    assert body["category"]["label"] == "Badly placed bus stop"
    assert body["level_label"] == "Community"
    assert body["events"][0]["action_label"] == "Reported"
    assert body["events"][0]["to_status_label"] == "Waiting for acceptance"


def test_the_list_pages_by_cursor_newest_first(login, file_case):
    start = timezone.now() - timedelta(hours=5)
    cases = [file_case("0101", now=start + timedelta(hours=i)) for i in range(5)]
    client = login("grid1")

    seen, url = [], "/api/cases/?page_size=2"
    while url:
        page = client.get(url).json()
        assert len(page["results"]) <= 2
        seen += [c["id"] for c in page["results"]]
        url = page["next"]

    assert seen == [c.pk for c in reversed(cases)]


def test_the_list_pages_through_cases_reported_at_one_instant_and_back(login, file_case):
    # Imported history can share a timestamp: the cursor holds (reported_at, id), not an
    # offset among the ties.
    cases = [file_case("0101", title=f"导入{n}") for n in range(7)]
    Case.objects.update(reported_at=timezone.now() - timedelta(days=3))
    client = login("grid1")

    seen, pages, url = [], [], "/api/cases/?page_size=3"
    while url:
        page = client.get(url).json()
        pages.append(page)
        seen += [c["id"] for c in page["results"]]
        url = page["next"]
    back = client.get(pages[-1]["previous"]).json()

    assert seen == sorted((c.pk for c in cases), reverse=True)
    assert [c["id"] for c in back["results"]] == seen[3:6]
    assert pages[0]["previous"] is None


def test_a_cursor_that_is_not_one_is_404(login, file_case):
    file_case("0101")

    response = login("grid1").get("/api/cases/", {"cursor": "cD0lJSU="})  # p=%%%

    assert response.status_code == 404


@pytest.fixture
def mixed_cases(file_case, home_grids, district_case, user):
    """Four cases a day apart: a grid case in grid1's grid, an urgent community one (bus stop),
    a grid case in grid2's grid, and a case dispatched to 区交通运输局."""
    start = timezone.now() - timedelta(days=4)
    return {
        "grid": file_case("0101", now=start, title="一号网格垃圾"),
        "bus": file_case("0501", urgency="urgent", now=start + timedelta(days=1), title="站台"),
        "grid2": file_case("0503", by="grid2", grid=home_grids[1], now=start + timedelta(days=2)),
        "dispatched": district_case(now=start + timedelta(days=3)),
    }


def _filtered(client, **params):
    response = client.get("/api/cases/", params)
    assert response.status_code == 200, response.content
    return {c["id"] for c in response.json()["results"]}


def test_each_filter_narrows_the_list(login, mixed_cases, home_community, home_grids, category):
    c = mixed_cases
    client = login("district")
    ids = {name: case.pk for name, case in c.items()}
    everything = set(ids.values())

    assert _filtered(client) == everything
    assert _filtered(client, status=["reported", "dispatched"]) == everything
    assert _filtered(client, status="dispatched") == {ids["dispatched"]}
    assert _filtered(client, level=Area.Level.GRID) == {ids["grid"], ids["grid2"]}
    assert _filtered(client, holder_within=home_community.pk) == {
        ids["grid"],
        ids["bus"],
        ids["grid2"],
    }
    assert _filtered(client, holder_within=home_grids[0].pk) == {ids["grid"]}
    assert _filtered(client, within=home_grids[1].pk) == {ids["grid2"]}
    assert _filtered(client, within=home_grids[0].pk) == everything - {ids["grid2"]}
    assert _filtered(client, category="0501") == {ids["bus"]}
    assert _filtered(client, category="05") == {ids["bus"], ids["grid2"]}
    assert _filtered(client, category=category("0101").pk) == {ids["grid"]}
    assert _filtered(client, urgency="urgent") == {ids["bus"]}
    assert _filtered(client, department=Department.objects.get(name="区交通运输局").pk) == {
        ids["dispatched"]
    }
    assert _filtered(client, q=c["grid"].number) == {ids["grid"]}
    assert _filtered(client, q="站台") == {ids["bus"]}
    middle = (c["bus"].reported_at + timedelta(hours=1)).isoformat()
    assert _filtered(client, reported_after=middle) == {ids["grid2"], ids["dispatched"]}
    assert _filtered(client, reported_before=middle) == {ids["grid"], ids["bus"]}
    assert _filtered(client, due_before=c["grid"].due_at.isoformat()) == set()
    later = (c["grid"].due_at + timedelta(seconds=1)).isoformat()
    assert ids["grid"] in _filtered(client, due_before=later)


def test_the_overdue_filter_finds_cases_marked_overdue(login, mixed_cases):
    Case.objects.filter(pk=mixed_cases["bus"].pk).update(is_overdue=True)
    client = login("district")

    assert _filtered(client, overdue="true") == {mixed_cases["bus"].pk}
    assert mixed_cases["bus"].pk not in _filtered(client, overdue="false")


@pytest.mark.parametrize(
    "params",
    [
        {"status": "lost"},
        {"category": "9999"},
        {"within": 999999},
        {"reported_after": "soon"},
        {"reported_after": "0001-01-01T00:30:00+01:00"},  # before the calendar in UTC
    ],
)
def test_a_bad_filter_value_is_a_400_on_its_parameter(login, params):
    response = login("district").get("/api/cases/", params)

    assert response.status_code == 400
    assert list(response.json()["errors"]) == list(params)


def test_a_moment_with_any_offset_python_reads_is_filtered_in_utc(login, mixed_cases):
    """PostgreSQL takes offsets up to ±15:59; Python reads up to ±23:59. Schemathesis found
    "…+20:35" answered with a 500."""
    response = login("district").get(
        "/api/cases/",
        {"reported_before": "0717-03-20T06:52:31+20:35", "due_before": "9999-12-31T23:00:00-05:00"},
    )

    assert response.status_code == 400  # 9999-12-31 23:00 −05:00 is past the calendar in UTC
    assert list(response.json()["errors"]) == ["due_before"]
    far = login("district").get("/api/cases/", {"reported_before": "0717-03-20T06:52:31+20:35"})
    assert far.status_code == 200
    assert far.json()["results"] == []


def test_a_filter_cannot_name_an_area_or_department_outside_the_jurisdiction(login, home_grids):
    client = login("grid1")

    assert client.get("/api/cases/", {"within": home_grids[1].pk}).status_code == 400
    transport = Department.objects.get(name="区交通运输局")
    assert client.get("/api/cases/", {"department": transport.pk}).status_code == 400


# Steps and their errors


def test_a_step_answers_with_the_fresh_case(login, file_case):
    case = file_case("0501")

    response = login("community").post(f"/api/cases/{case.pk}/accept/", {"version": 1})

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["version"]) == ("in_progress", 2)
    assert response.json()["allowed_actions"] == [
        "reject",
        "escalate",
        "return_down",
        "resolve",
        "suspend",
    ]


def test_a_step_the_status_does_not_allow_is_a_409_with_the_users_actions(login, file_case):
    case = file_case("0501")
    client = login("community")
    client.post(f"/api/cases/{case.pk}/accept/", {})

    response = client.post(f"/api/cases/{case.pk}/accept/", {}, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 409
    assert response.json() == {
        "detail": "The step “accept” is not allowed in the status “In progress”.",
        "code": "invalid_transition",
        "errors": {},
        "status": "in_progress",
        "allowed_actions": ["reject", "escalate", "return_down", "resolve", "suspend"],
    }


def test_a_stale_version_is_a_409_and_nothing_is_written(login, file_case):
    case = file_case("0501")
    client = login("community")
    client.post(f"/api/cases/{case.pk}/accept/", {"version": 1})

    response = client.post(
        f"/api/cases/{case.pk}/escalate/",
        {"reason": "需街道协调", "version": 1},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 409
    assert response.json() == {
        "detail": "Someone changed this after you read it; reload and try again.",
        "code": "stale_version",
        "errors": {},
        "your_version": 1,
        "current_version": 2,
    }
    case.refresh_from_db()
    assert (case.status, case.level, case.version) == ("in_progress", Area.Level.COMMUNITY, 2)
    assert list(case.events.values_list("action", flat=True)) == ["report", "accept"]


def test_a_step_the_policy_refuses_is_a_403_and_nothing_is_written(login, file_case):
    case = file_case("0501")

    response = login("grid1").post(f"/api/cases/{case.pk}/accept/", {}, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 403
    assert response.json() == {
        "detail": "You may not take this step on this case.",
        "code": "permission_denied",
        "errors": {},
    }
    case.refresh_from_db()
    assert case.version == 1


# The order of the checks: the policy (403; a lost race is 409), then the status (409), then
# the input (400).


def test_a_supervisors_self_resolve_with_bad_input_is_a_403_not_a_400(login, file_case):
    case = file_case("0101")

    response = login("supervisor").post(
        f"/api/cases/{case.pk}/self_resolve/", {"result": ""}, HTTP_ACCEPT_LANGUAGE="en"
    )

    assert (response.status_code, response.json()) == (
        403,
        {
            "detail": "You may not take this step on this case.",
            "code": "permission_denied",
            "errors": {},
        },
    )
    case.refresh_from_db()
    assert (case.status, case.version) == ("reported", 1)


@pytest.mark.parametrize(
    ("action", "body"),
    [
        ("reject", {"reason": ""}),
        ("escalate", {"reason": " "}),
        ("return_down", {"reason": "", "to_level": "x"}),
        ("dispatch", {}),
        ("verify", {"passed": "maybe"}),
        ("callback", {"satisfaction": 9}),
        ("accept", {"version": "x"}),
    ],
)
def test_every_case_step_the_policy_refuses_is_a_403_before_its_input_is_read(
    login, file_case, action, body
):
    case = file_case("0501")  # held by the community; the supervisor takes no handling step

    response = login("supervisor").post(f"/api/cases/{case.pk}/{action}/", body)

    assert response.status_code == 403, response.content.decode()
    assert Case.objects.get(pk=case.pk).version == 1


def test_the_loser_of_two_escalations_reading_the_case_after_the_winner_gets_a_409(
    login, file_case
):
    case = file_case("0101")
    first, second = login("grid1"), login("grid1")
    first.post(f"/api/cases/{case.pk}/escalate/", {"reason": "需社区协调"})

    # The second press comes without a version, after the first moved the case to the
    # community: no longer grid1's to escalate, but a lost race, not a refusal.
    response = second.post(
        f"/api/cases/{case.pk}/escalate/", {"reason": "需社区协调"}, HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 409
    assert response.json() == {
        "detail": "Someone changed this after you read it; reload and try again.",
        "code": "stale_version",
        "errors": {},
        "your_version": 1,
        "current_version": 2,
    }
    assert list(case.events.values_list("action", flat=True)) == ["report", "escalate"]


def test_a_lost_race_is_a_409_even_when_the_loser_sends_bad_input(login, file_case, user):
    case = file_case("0101")
    services.escalate_case(case, actor=user("grid1"), reason="需社区协调")

    response = login("grid1").post(f"/api/cases/{case.pk}/escalate/", {"reason": "", "version": 1})

    assert (response.status_code, response.json()["code"]) == (409, "stale_version")


def test_a_user_who_never_could_take_the_step_still_gets_a_403(login, file_case, user):
    case = file_case("0101")
    services.escalate_case(case, actor=user("grid1"), reason="需社区协调")

    response = login("street").post(f"/api/cases/{case.pk}/escalate/", {"reason": "需协调"})

    assert response.status_code == 403


def test_a_dispatch_step_the_policy_refuses_is_a_403_before_its_input_is_read(login, district_case):
    lead = district_case().dispatches.get(role=Dispatch.Role.LEAD)

    district = login("district")
    done = district.post(f"/api/dispatches/{lead.pk}/report_done/", {"result": ""})
    extension = district.post(
        f"/api/dispatches/{lead.pk}/request_extension/", {"until": "not a date"}
    )

    assert (done.status_code, extension.status_code) == (403, 403)


def test_the_loser_of_two_extension_decisions_gets_a_409(login, district_case, user):
    lead = district_case().dispatches.get(role=Dispatch.Role.LEAD)
    services.request_extension(
        lead, actor=user("transport"), until=lead.due_at.replace(year=2100), reason="需采购"
    )
    first, second = login("district"), login("district")
    first.post(f"/api/dispatches/{lead.pk}/approve_extension/", {"approve": True})

    response = second.post(f"/api/dispatches/{lead.pk}/approve_extension/", {"approve": False})

    assert response.status_code == 409
    assert (response.json()["code"], response.json()["status"]) == (
        "invalid_transition",
        "pending",
    )
    lead.refresh_from_db()
    assert lead.due_at.year == 2100


def test_a_step_without_its_reason_is_a_400_on_reason(login, file_case):
    case = file_case("0501")

    response = login("community").post(
        f"/api/cases/{case.pk}/escalate/", {"reason": "  "}, HTTP_ACCEPT_LANGUAGE="en"
    )

    assert (response.status_code, response.json()["errors"]) == (
        400,
        {"reason": ["Give a reason."]},
    )


def test_a_return_down_goes_to_the_level_asked_for(login, district_case, home_grids):
    case = district_case(dispatched=False)

    response = login("district").post(
        f"/api/cases/{case.pk}/return_down/", {"reason": "网格可处理", "to_level": 4}
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["level"], body["holder"]["id"], body["status"]) == (
        4,
        home_grids[0].pk,
        "reported",
    )


def test_a_return_down_to_a_higher_level_is_a_400_on_to_level(login, file_case):
    case = file_case("0501")

    response = login("community").post(
        f"/api/cases/{case.pk}/return_down/",
        {"reason": "x", "to_level": 2},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert (response.status_code, response.json()["errors"]) == (
        400,
        {"to_level": ["Choose a level below the current one."]},
    )


def test_a_minor_case_is_resolved_on_the_spot_with_a_photo(login, file_case, photo):
    case = file_case("0101")
    client = login("grid1")

    without = client.post(
        f"/api/cases/{case.pk}/self_resolve/", {"result": "已清理"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    done = client.post(
        f"/api/cases/{case.pk}/self_resolve/",
        {"result": "已清理", "photos": [photo()]},
        format="multipart",
    )

    assert (without.status_code, without.json()["errors"]) == (
        400,
        {"photos": ["Attach a photo of the result."]},
    )
    assert done.status_code == 200
    assert (done.json()["status"], done.json()["closed_level"]) == ("closed", Area.Level.GRID)


def test_verification_needs_to_say_whether_it_passed(login, file_case, user, photo):
    case = file_case("0101")
    services.accept_case(case, actor=user("grid1"))
    services.resolve_case(case, actor=user("grid1"), result="已清理")

    response = login("grid1").post(
        f"/api/cases/{case.pk}/verify/",
        {"photos": [photo()]},
        format="multipart",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert (response.status_code, response.json()["errors"]) == (
        400,
        {"passed": ["Say whether the check passed."]},
    )


def test_a_failed_verification_sends_the_case_back_for_rework(login, file_case, user, photo):
    case = file_case("0101")
    services.accept_case(case, actor=user("grid1"))
    services.resolve_case(case, actor=user("grid1"), result="已清理")

    response = login("grid1").post(
        f"/api/cases/{case.pk}/verify/",
        {"passed": "false", "note": "仍有垃圾", "photos": [photo()]},
        format="multipart",
    )

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["rework_count"]) == ("in_progress", 1)


def test_suspend_and_resume_return_the_case_where_it_was(login, file_case):
    case = file_case("0501")
    client = login("community")
    client.post(f"/api/cases/{case.pk}/accept/", {})

    suspended = client.post(f"/api/cases/{case.pk}/suspend/", {"reason": "等待规划"}).json()
    resumed = client.post(f"/api/cases/{case.pk}/resume/", {}).json()

    assert (suspended["status"], suspended["due_at"]) == ("suspended", None)
    assert resumed["status"] == "in_progress"
    assert resumed["due_at"] is not None


def test_a_supervisor_urges_and_the_urging_is_recorded(login, file_case):
    case = file_case("0501")

    body = login("supervisor").post(f"/api/cases/{case.pk}/urge/", {"reason": "尽快处理"}).json()

    assert (body["status"], body["urge_count"]) == ("reported", 1)
    assert [(s["by"]["name"], s["reason"]) for s in body["supervisions"]] == [
        ("林国栋", "尽快处理")
    ]


def test_a_report_is_rejected_as_a_duplicate_of_a_visible_case(login, file_case):
    first = file_case("0501", title="站台一")
    second = file_case("0501", title="站台二")

    response = login("community").post(
        f"/api/cases/{second.pk}/reject/", {"reason": "重复上报", "duplicate_of": first.pk}
    )

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["duplicate_of"]) == ("rejected", first.pk)


def test_an_unsatisfied_callback_may_reopen_the_case(login, file_case, user, photo):
    case = file_case("0101")
    services.self_resolve_case(case, actor=user("grid1"), result="已清理", photos=[photo()])

    response = login("grid1").post(
        f"/api/cases/{case.pk}/callback/",
        {"satisfaction": 1, "comment": "又有垃圾了", "reopen_if_unsatisfied": True},
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["satisfaction"]) == ("in_progress", 1)
    assert [e["action"] for e in body["events"]][-2:] == ["callback", "reopen"]


def test_a_callback_rating_out_of_range_is_a_400_on_satisfaction(login, file_case, user, photo):
    case = file_case("0101")
    services.self_resolve_case(case, actor=user("grid1"), result="已清理", photos=[photo()])

    response = login("grid1").post(
        f"/api/cases/{case.pk}/callback/", {"satisfaction": 6}, HTTP_ACCEPT_LANGUAGE="en"
    )

    assert (response.status_code, response.json()["errors"]) == (
        400,
        {"satisfaction": ["Rate from 1 to 5."]},
    )


def test_a_dispatch_to_an_unknown_department_is_a_400_on_lead(login, district_case, user):
    case = district_case(dispatched=False)
    services.accept_case(case, actor=user("district"))

    response = login("district").post(f"/api/cases/{case.pk}/dispatch/", {"lead": 999999})

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["lead"]


# Dispatches


def test_a_department_lists_only_its_own_dispatches(login, district_case):
    case = district_case()

    transport = login("transport").get("/api/dispatches/").json()["results"]
    district = login("district").get("/api/dispatches/").json()["results"]

    assert [(d["department"]["name"], d["case"]["id"]) for d in transport] == [
        ("区交通运输局", case.pk)
    ]
    assert len(district) == 2
    assert login("police").get("/api/dispatches/").json()["results"] == []
    assert login("grid2").get("/api/dispatches/").json()["results"] == []


def test_a_refused_lead_sends_the_case_back_to_its_dispatcher(login, district_case):
    case = district_case()
    lead = case.dispatches.get(role=Dispatch.Role.LEAD)
    client = login("transport")

    without = client.post(f"/api/dispatches/{lead.pk}/refuse/", {}, HTTP_ACCEPT_LANGUAGE="en")
    refused = client.post(f"/api/dispatches/{lead.pk}/refuse/", {"reason": "不属本局职责"})

    assert (without.status_code, without.json()["errors"]) == (400, {"reason": ["Give a reason."]})
    assert refused.status_code == 200
    assert (refused.json()["status"], refused.json()["refusal_reason"]) == (
        "refused",
        "不属本局职责",
    )
    body = login("district").get(f"/api/cases/{case.pk}/").json()
    assert body["status"] == "in_progress"
    assert "dispatch" in body["allowed_actions"]
    assert [d["status"] for d in body["dispatches"]] == ["refused", "cancelled"]


def test_an_extension_is_asked_for_and_approved(login, district_case):
    case = district_case()
    lead = case.dispatches.get(role=Dispatch.Role.LEAD)
    until = (lead.due_at + timedelta(days=5)).isoformat()

    asked = login("transport").post(
        f"/api/dispatches/{lead.pk}/request_extension/", {"until": until, "reason": "需采购"}
    )
    missing = login("district").post(f"/api/dispatches/{lead.pk}/approve_extension/", {})
    approved = login("district").post(
        f"/api/dispatches/{lead.pk}/approve_extension/", {"approve": True}
    )

    assert asked.status_code == 200
    assert asked.json()["extension_until"] is not None
    assert missing.status_code == 400
    assert list(missing.json()["errors"]) == ["approve"]
    assert approved.status_code == 200
    lead.refresh_from_db()
    assert (lead.due_at, lead.extension_until) == (
        datetime.fromisoformat(until),
        None,
    )


def test_signing_twice_is_a_409_with_the_departments_actions(login, district_case):
    lead = district_case().dispatches.get(role=Dispatch.Role.LEAD)
    client = login("transport")
    client.post(f"/api/dispatches/{lead.pk}/sign/", {})

    response = client.post(f"/api/dispatches/{lead.pk}/sign/", {"version": 2})

    assert response.status_code == 409
    body = response.json()
    assert (body["code"], body["status"]) == ("invalid_transition", "signed")
    assert body["allowed_actions"] == ["request_extension", "report_done"]


def test_a_stale_dispatch_version_is_a_409(login, district_case):
    lead = district_case().dispatches.get(role=Dispatch.Role.LEAD)

    response = login("transport").post(f"/api/dispatches/{lead.pk}/sign/", {"version": 7})

    assert (response.status_code, response.json()["code"]) == (409, "stale_version")
    lead.refresh_from_db()
    assert lead.status == "pending"


def test_a_cooperating_department_reports_to_the_case_while_it_is_dispatched(login, district_case):
    case = district_case()
    helper = case.dispatches.get(role=Dispatch.Role.COOPERATING)
    client = login("construction")
    client.post(f"/api/dispatches/{helper.pk}/sign/", {})

    response = client.post(f"/api/dispatches/{helper.pk}/report_done/", {"result": "已配合"})

    assert (response.status_code, response.json()["status"]) == (200, "done")
    case.refresh_from_db()
    assert case.status == "dispatched"


def test_the_leads_report_is_refused_while_a_cooperating_dispatch_is_open(login, district_case):
    case = district_case()
    lead = case.dispatches.get(role=Dispatch.Role.LEAD)
    helper = case.dispatches.get(role=Dispatch.Role.COOPERATING)
    client = login("transport")
    client.post(f"/api/dispatches/{lead.pk}/sign/", {})

    response = client.post(f"/api/dispatches/{lead.pk}/report_done/", {"result": "已处置"})

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "cooperating_dispatches_open"
    assert body["open_dispatches"] == [
        {
            "id": helper.pk,
            "department": "区住房和城乡建设局",
            "status": "pending",
            "status_label": "待签收",
        }
    ]
    assert "区住房和城乡建设局" in body["detail"]
    case.refresh_from_db()
    lead.refresh_from_db()
    assert (case.status, lead.status) == ("dispatched", "signed")


def test_with_a_reason_the_lead_resolves_the_case_and_the_open_dispatches_close_with_it(
    login, district_case
):
    case = district_case()
    lead = case.dispatches.get(role=Dispatch.Role.LEAD)
    helper = case.dispatches.get(role=Dispatch.Role.COOPERATING)
    transport = login("transport")
    transport.post(f"/api/dispatches/{lead.pk}/sign/", {})

    transport.post(
        f"/api/dispatches/{lead.pk}/report_done/",
        {"result": "已处置", "go_ahead_reason": "建设局无需到场"},
    )

    helper.refresh_from_db()
    case.refresh_from_db()
    assert case.status == "resolved"
    assert (helper.status, helper.closure_reason, helper.is_overdue) == (
        "closed_with_case",
        "建设局无需到场",
        False,
    )
    assert helper.closed_at == case.resolved_at
    closing = case.events.get(action="dispatch_close_with_case")
    assert (closing.actor.username, closing.reason, closing.data) == (
        "transport",
        "建设局无需到场",
        {"dispatch": helper.pk, "department": helper.department_id, "role": "cooperating",
         "late": False},
    )  # fmt: skip
    # Its department has no step left, and says why in its own status.
    construction = login("construction")
    body = construction.get(f"/api/dispatches/{helper.pk}/").json()
    assert (body["status"], body["status_label"], body["allowed_actions"]) == (
        "closed_with_case",
        "随案关闭",
        [],
    )
    late = construction.post(f"/api/dispatches/{helper.pk}/sign/", {}, HTTP_ACCEPT_LANGUAGE="en")
    assert late.status_code == 409
    assert late.json() == {
        "detail": "The step “sign” is not allowed in the status “Closed with the case”.",
        "code": "invalid_transition",
        "errors": {},
        "status": "closed_with_case",
        "allowed_actions": [],
    }


def test_another_departments_dispatch_is_a_404(login, district_case):
    lead = district_case().dispatches.get(role=Dispatch.Role.LEAD)

    assert login("construction").get(f"/api/dispatches/{lead.pk}/").status_code == 404
    assert login("construction").post(f"/api/dispatches/{lead.pk}/sign/", {}).status_code == 404


# Categories


def _codes(response) -> list[str]:
    assert response.status_code == 200
    return [c["code"] for c in response.json()]


def test_categories_are_searched_by_name_english_name_or_code(login):
    client = login("transport")

    assert _codes(client.get("/api/categories/", {"search": "公交"})) == ["0501"]
    assert _codes(client.get("/api/categories/", {"search": "bus stop"})) == ["0501"]
    assert _codes(client.get("/api/categories/", {"search": "050"})) == [
        "0501",
        "0502",
        "0503",
        "0504",
        "0505",
    ]


def test_categories_come_as_a_tree(login):
    client = login("grid1")

    main = client.get("/api/categories/", {"main": "true"}).json()
    children = client.get("/api/categories/", {"parent": "05"}).json()

    assert [c["code"] for c in main] == [f"{i:02d}" for i in range(1, 13)]
    assert all(c["is_main"] and c["parent"] is None for c in main)
    assert {c["parent_code"] for c in children} == {"05"}
    bus = next(c for c in children if c["code"] == "0501")
    assert bus["lead_department"]["name"] == "区交通运输局"
    assert [d["name"] for d in bus["cooperating_departments"]] == [
        "黄埔交警大队",
        "区住房和城乡建设局",
        "区农业农村局（园林）",
    ]
    assert (bus["start_level"], bus["is_main"]) == (Area.Level.COMMUNITY, False)


def test_categories_need_a_signed_in_user(client):
    assert client.get("/api/categories/").status_code in (401, 403)


# Notifications


def test_the_community_hears_of_an_escalation_and_marks_it_read(login, file_case):
    case = file_case("0101")
    deliver_notifications()
    community, grid1 = login("community"), login("grid1")
    assert community.get("/api/notifications/unread-count/").json() == {"unread": 0}

    grid1.post(f"/api/cases/{case.pk}/escalate/", {"reason": "需社区协调"})
    deliver_notifications()

    assert community.get("/api/notifications/unread-count/").json() == {"unread": 1}
    [note] = community.get("/api/notifications/", {"unread": "true"}).json()["results"]
    assert (note["case"]["id"], note["action"], note["is_read"]) == (case.pk, "escalate", False)
    assert note["text"].startswith(case.number)
    assert grid1.get("/api/notifications/").json()["results"] == []

    marked = community.post("/api/notifications/mark-read/", {"ids": [note["id"]]})

    assert marked.json() == {"marked": 1, "unread": 0}
    assert community.get("/api/notifications/", {"unread": "true"}).json()["results"] == []
    assert community.get("/api/notifications/").json()["results"][0]["is_read"] is True


def test_notifications_of_others_are_neither_listed_nor_marked(login, file_case):
    case = file_case("0101")
    login("grid1").post(f"/api/cases/{case.pk}/escalate/", {"reason": "需社区协调"})
    deliver_notifications()
    theirs = Notification.objects.get()

    response = login("street").post("/api/notifications/mark-read/", {"ids": [theirs.pk]})

    assert response.json() == {"marked": 0, "unread": 0}
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_read_all_and_its_bad_input(login, file_case, user):
    for _ in range(2):
        case = file_case("0101")
        services.escalate_case(case, actor=user("grid1"), reason="需社区协调")
    deliver_notifications()
    community = login("community")

    empty = community.post("/api/notifications/mark-read/", {}, HTTP_ACCEPT_LANGUAGE="en")
    everything = community.post("/api/notifications/mark-read/", {"all": True})

    assert (empty.status_code, empty.json()["errors"]) == (
        400,
        {"ids": ["Give the ids to mark as read, or all=true."]},
    )
    assert everything.json() == {"marked": 2, "unread": 0}


# Query ceilings: lists cost the same whatever their length


def _ceiling(django_assert_max_num_queries, client, url, ceiling, **params):
    with django_assert_max_num_queries(ceiling):
        response = client.get(url, params)
    assert response.status_code == 200
    return response.json()


@pytest.mark.parametrize("count", [2, 12])
def test_the_case_list_costs_a_fixed_number_of_queries(
    login, file_case, django_assert_max_num_queries, count
):
    for _ in range(count):
        file_case("0101")
    client = login("district")

    body = _ceiling(django_assert_max_num_queries, client, "/api/cases/", 3)
    _ceiling(django_assert_max_num_queries, client, "/api/cases/", 4, category="01", q="垃圾")

    assert len(body["results"]) == count


@pytest.mark.parametrize("dispatched", [1, 4])
def test_the_dispatch_list_and_the_department_view_cost_a_fixed_number_of_queries(
    login, district_case, django_assert_max_num_queries, dispatched
):
    for _ in range(dispatched):
        district_case()

    # 4 for the page, 3 for the task cards' photos, history and the case's other dispatches.
    body = _ceiling(django_assert_max_num_queries, login("district"), "/api/dispatches/", 7)
    _ceiling(django_assert_max_num_queries, login("transport"), "/api/cases/", 3)

    assert len(body["results"]) == 2 * dispatched


@pytest.mark.parametrize("steps", [1, 5])
def test_a_case_detail_costs_a_fixed_number_of_queries(
    login, file_case, user, django_assert_max_num_queries, steps
):
    case = file_case("0501")
    for i in range(steps):
        services.urge_case(case, actor=user("supervisor"), reason=f"第{i + 1}次督办")

    body = _ceiling(django_assert_max_num_queries, login("community"), f"/api/cases/{case.pk}/", 12)

    assert len(body["events"]) == steps + 1


def test_the_category_and_notification_lists_cost_a_fixed_number_of_queries(
    login, file_case, user, django_assert_max_num_queries
):
    for _ in range(3):
        services.escalate_case(file_case("0101"), actor=user("grid1"), reason="需社区协调")
    deliver_notifications()
    client = login("community")

    _ceiling(django_assert_max_num_queries, client, "/api/categories/", 3)
    body = _ceiling(django_assert_max_num_queries, client, "/api/notifications/", 2)

    assert len(body["results"]) == 3
