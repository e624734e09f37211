"""The field app's pages through Django's test client: they need a login, render in Chinese,
show only the user's jurisdiction, offer exactly the steps the API allows, answer bad input
beside the field without changing the case, and the manifest and service worker are served as
browsers need them."""

import io
import json
import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.staticfiles import finders
from django.test import Client
from PIL import Image

from cases import notifications, services
from cases.models import CaseEvent, CasePhoto, Notification
from grid.models import AuditEntry, CareTag, LifeEvent, Person
from tests.cases.conftest import make_photo
from tests.grid import conftest as registry_fixtures

pytestmark = pytest.mark.django_db

admin_user = registry_fixtures.admin_user
family = registry_fixtures.family
neighbour = registry_fixtures.neighbour

PAGES = ["/field/report/", "/field/tasks/", "/field/visits/", "/field/inbox/", "/field/offline/"]


@pytest.fixture
def phone(demo):
    """phone("grid1") → a test client signed in with that demo user's session, like a phone."""

    def make(username: str, language: str = "") -> Client:
        client = Client(HTTP_ACCEPT_LANGUAGE=language) if language else Client()
        client.force_login(get_user_model().objects.get(username=username))
        return client

    return make


def actions_on(html: str) -> list[str]:
    """The step forms a case page offers, in order."""
    return re.findall(r'data-action="([a-z_]+)"', html)


def step(client, case, action, data=None, **extra):
    return client.post(f"/field/tasks/{case.pk}/{action}/", data or {}, **extra)


def deliver_notifications() -> None:
    for event_id in CaseEvent.objects.filter(notified_at__isnull=True).values_list("pk", flat=True):
        notifications.notify(event_id)


# Every page


@pytest.mark.parametrize(
    "url",
    [*PAGES, "/field/", "/field/tasks/1/", "/field/visits/persons/1/", "/field/tasks/1/accept/"],
)
def test_every_field_page_sends_an_anonymous_visitor_to_the_login_form(demo, url):
    response = Client().get(url)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize("url", PAGES)
def test_every_field_page_renders_in_chinese_with_the_tab_bar_and_the_manifest(phone, url):
    response = phone("grid1").get(url)

    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="zh-hans">' in html
    assert '<link rel="manifest" href="/manifest.webmanifest">' in html
    assert 'data-sw="/sw.js"' in html
    for tab in ("/field/report/", "/field/tasks/", "/field/visits/", "/field/inbox/"):
        assert f'href="{tab}"' in html
    assert "no-store" in response["Cache-Control"]


def test_the_field_pages_switch_to_english(phone):
    html = phone("grid1", language="en").get("/field/report/").content.decode()

    assert '<html lang="en">' in html
    assert "Report an incident" in html
    assert '"offline": "Offline"' in html


def test_field_home_opens_the_report_form(phone):
    response = phone("grid1").get("/field/")

    assert (response.status_code, response["Location"]) == (302, "/field/report/")


def test_the_tab_bar_shows_the_unread_count(phone, file_case):
    file_case("0101", by="community")  # the grid worker of the grid hears of it
    deliver_notifications()

    html = phone("grid1").get("/field/tasks/").content.decode()

    assert re.search(r'js-unread"[^>]*>1</span>', html)


# 上报 Report


def test_the_report_form_offers_my_grid_and_its_buildings_only(
    phone, home_grids, family, neighbour
):
    html = phone("grid1").get("/field/report/").content.decode()

    assert f'<option value="{home_grids[0].pk}" selected>{home_grids[0].name}</option>' in html
    assert f'value="{home_grids[1].pk}"' not in html
    assert f'<option value="{family["building"].pk}"' in html
    assert f'value="{neighbour["building"].pk}"' not in html
    assert 'capture="environment"' in html
    assert 'data-categories="/api/categories/?is_active=true"' in html


def test_a_community_worker_chooses_among_the_communitys_grids(phone, home_grids):
    html = phone("community").get("/field/report/").content.decode()

    for grid in home_grids:
        assert f'<option value="{grid.pk}">{grid.name}</option>' in html


def test_a_visit_page_presets_the_building_household_and_person(phone, family, neighbour):
    person, household = family["head"], family["household"]
    url = (
        f"/field/report/?building={family['building'].pk}&household={household.pk}"
        f"&person={person.pk}"
    )

    html = phone("grid1").get(url).content.decode()

    assert f'<option value="{family["building"].pk}" selected>' in html
    assert f'<option value="{household.pk}" selected>{household.number}</option>' in html
    assert f'<option value="{person.pk}" selected>{person.name}</option>' in html
    assert 'data-preset="1"' in html


def test_a_preset_outside_my_grid_is_ignored(phone, neighbour):
    url = f"/field/report/?person={neighbour['person'].pk}&household={neighbour['household'].pk}"

    html = phone("grid1").get(url).content.decode()

    assert neighbour["person"].name not in html
    assert 'data-preset=""' in html


# 任务 Tasks


def test_my_tasks_list_what_i_hold_what_to_verify_and_callbacks_to_make(
    phone, file_case, user, photo, home_grids
):
    held = file_case("0101", title="楼道堆物")
    resolved = file_case("0102", title="渣土待核查")
    services.accept_case(resolved, actor=user("grid1"))
    services.resolve_case(resolved, actor=user("grid1"), result="已清运")
    closed = file_case("0103", title="已结案待回访")
    services.self_resolve_case(closed, actor=user("grid1"), result="已清扫", photos=[photo()])
    called_back = file_case("0104", title="已回访")
    services.self_resolve_case(called_back, actor=user("grid1"), result="已清除", photos=[photo()])
    called_back.refresh_from_db()
    services.callback_case(called_back, actor=user("grid1"), satisfaction=5)
    file_case("0101", title="第二网格的事", by="grid2", grid=home_grids[1])
    file_case("0201", title="社区的事")  # starts at the community: not grid1's to hold

    html = phone("grid1").get("/field/tasks/").content.decode()

    sections = dict(re.findall(r'<section class="mb-3" id="(\w+)">(.*?)</section>', html, re.S))
    assert re.findall(r'data-case="(\d+)"', sections["held"]) == [str(held.pk)]
    assert re.findall(r'data-case="(\d+)"', sections["verify"]) == [str(resolved.pk)]
    assert re.findall(r'data-case="(\d+)"', sections["callbacks"]) == [str(closed.pk)]
    assert "第二网格的事" not in html


def test_the_cases_i_hold_come_most_urgent_first_then_by_deadline(phone, file_case, user):
    normal = file_case("0101", title="一般")
    emergency = file_case("0101", title="特急", urgency="emergency")
    suspended = file_case("0103", title="挂账")
    services.suspend_case(suspended, actor=user("grid1"), reason="等待业主回来")
    urgent = file_case("0101", title="紧急", urgency="urgent")

    html = phone("grid1").get("/field/tasks/").content.decode()

    held = re.search(r'id="held">(.*?)</section>', html, re.S).group(1)
    assert re.findall(r'data-case="(\d+)"', held) == [
        str(c.pk) for c in (emergency, urgent, normal, suspended)
    ]


def test_the_community_holds_the_cases_escalated_to_it(phone, file_case, user):
    case = file_case("0101")
    services.escalate_case(case, actor=user("grid1"), reason="需要社区协调")

    html = phone("community").get("/field/tasks/").content.decode()

    held = re.search(r'id="held">(.*?)</section>', html, re.S).group(1)
    assert re.findall(r'data-case="(\d+)"', held) == [str(case.pk)]


@pytest.mark.parametrize("count", [1, 8])
def test_my_tasks_cost_a_fixed_number_of_queries(
    phone, file_case, user, django_assert_max_num_queries, count
):
    for _ in range(count):
        file_case("0101")
        resolved = file_case("0102")
        services.accept_case(resolved, actor=user("grid1"))
        services.resolve_case(resolved, actor=user("grid1"), result="已处理")
    client = phone("grid1")

    with django_assert_max_num_queries(12):
        response = client.get("/field/tasks/")

    assert response.status_code == 200


def test_a_case_of_another_grid_is_not_found(phone, file_case, home_grids):
    case = file_case("0101", by="grid2", grid=home_grids[1])
    client = phone("grid1")

    assert client.get(f"/field/tasks/{case.pk}/").status_code == 404
    assert step(client, case, "accept").status_code == 404
    assert client.get(f"/field/tasks/{case.pk}/accept/").status_code == 404
    case.refresh_from_db()
    assert case.status == "reported"


@pytest.mark.parametrize("username", ["grid1", "community", "district"])
def test_the_case_page_offers_exactly_the_steps_the_api_allows(
    phone, login, file_case, user, username
):
    case = file_case("0101")

    html = phone(username).get(f"/field/tasks/{case.pk}/").content.decode()
    allowed = login(username).get(f"/api/cases/{case.pk}/").json()["allowed_actions"]

    assert sorted(actions_on(html)) == sorted(a for a in allowed if a != "dispatch")


def test_a_resolved_case_offers_grid1_the_verification_with_a_camera_input(phone, file_case, user):
    case = file_case("0102")
    services.accept_case(case, actor=user("grid1"))
    services.resolve_case(case, actor=user("grid1"), result="已清运")

    html = phone("grid1").get(f"/field/tasks/{case.pk}/").content.decode()

    assert actions_on(html) == ["verify"]
    assert 'name="verify-photos"' in html
    assert 'capture="environment"' in html
    assert 'data-compress="1"' in html


def test_accepting_on_the_case_page_moves_the_case_once(phone, file_case):
    case = file_case("0101")
    client = phone("grid1")

    response = step(client, case, "accept", {"accept-version": case.version})
    again = step(client, case, "accept", {"accept-version": case.version})

    case.refresh_from_db()
    assert (response.status_code, response["Location"]) == (302, f"/field/tasks/{case.pk}/")
    assert case.status == "in_progress"
    assert again.status_code == 409
    assert list(case.events.values_list("action", flat=True)) == ["report", "accept"]


def test_a_self_resolve_without_a_photo_is_refused_beside_the_photos_and_changes_nothing(
    phone, file_case
):
    case = file_case("0101")

    response = step(
        phone("grid1", language="en"),
        case,
        "self_resolve",
        {"self_resolve-version": case.version, "self_resolve-result": "已清理"},
    )

    html = response.content.decode()
    assert response.status_code == 400
    photos = html.index('name="self_resolve-photos"')
    error = html.index("Attach a photo of the result.")
    assert photos < error < html.index("</details>", photos)
    assert '<details data-action="self_resolve" open>' in html
    case.refresh_from_db()
    assert (case.status, case.version, case.events.count()) == ("reported", 1, 1)
    assert not CasePhoto.objects.exists()


def test_escalating_without_a_reason_is_refused_beside_the_reason(phone, file_case):
    case = file_case("0101")

    response = step(phone("grid1", language="en"), case, "escalate", {"escalate-reason": " "})

    html = response.content.decode()
    assert response.status_code == 400
    reason = html.index('name="escalate-reason"')
    assert reason < html.index("Give a reason.") < html.index("</details>", reason)
    case.refresh_from_db()
    assert (case.level, case.version) == (4, 1)


def test_escalating_with_a_reason_hands_the_case_to_the_community(phone, file_case):
    case = file_case("0101")

    response = step(
        phone("grid1"), case, "escalate", {"escalate-reason": "需社区协调", "escalate-version": 1}
    )

    case.refresh_from_db()
    assert response.status_code == 302
    assert (case.level, case.holder.name, case.status) == (3, "黄埔花园社区", "reported")
    assert case.events.last().reason == "需社区协调"


def test_a_page_older_than_the_case_gets_a_409_and_the_case_is_unchanged(phone, file_case, user):
    case = file_case("0101")
    services.accept_case(case, actor=user("grid1"))

    response = step(
        phone("grid1", language="en"),
        case,
        "escalate",
        {"escalate-version": 1, "escalate-reason": "太难"},
    )

    case.refresh_from_db()
    assert response.status_code == 409
    assert "Someone changed this case after you opened it" in response.content.decode()
    assert (case.level, case.version, case.status) == (4, 2, "in_progress")


def test_a_step_the_policy_refuses_is_a_403_and_changes_nothing(phone, file_case):
    case = file_case("0101")  # held by grid1's grid: the community sees it but may not accept it

    response = step(phone("community", language="en"), case, "accept")

    case.refresh_from_db()
    assert response.status_code == 403
    assert "You may not take this step on this case." in response.content.decode()
    assert (case.status, case.version) == ("reported", 1)


def test_an_unknown_step_is_not_found(phone, file_case):
    case = file_case("0101")

    assert step(phone("grid1"), case, "dispatch").status_code == 404


def test_verifying_on_site_with_a_photo_closes_the_case(phone, file_case, user):
    case = file_case("0102")
    services.accept_case(case, actor=user("grid1"))
    services.resolve_case(case, actor=user("grid1"), result="已清运")
    case.refresh_from_db()

    response = step(
        phone("grid1"),
        case,
        "verify",
        {
            "verify-version": case.version,
            "verify-passed": "1",
            "verify-note": "现场已清理干净",
            "verify-photos": [make_photo("check.jpg")],
        },
    )

    case.refresh_from_db()
    assert response.status_code == 302
    assert case.status == "closed"
    event = case.events.last()
    assert (event.action, event.reason, event.actor.username) == (
        "verify_pass",
        "现场已清理干净",
        "grid1",
    )
    assert event.photos.count() == 1


def test_a_failed_check_needs_a_note(phone, file_case, user):
    case = file_case("0102")
    services.accept_case(case, actor=user("grid1"))
    services.resolve_case(case, actor=user("grid1"), result="已清运")

    response = step(
        phone("grid1", language="en"),
        case,
        "verify",
        {"verify-passed": "0", "verify-photos": [make_photo()]},
    )

    case.refresh_from_db()
    assert response.status_code == 400
    assert "Give a reason." in response.content.decode()
    assert case.status == "resolved"
    assert not CasePhoto.objects.filter(event__action__startswith="verify").exists()


def test_a_callback_records_the_rating(phone, file_case, user, photo):
    case = file_case("0101")
    services.self_resolve_case(case, actor=user("grid1"), result="已清理", photos=[photo()])

    response = step(
        phone("grid1"),
        case,
        "callback",
        {"callback-satisfaction": "4", "callback-comment": "居民满意"},
    )
    missing = step(phone("grid1", language="en"), case, "callback", {})

    case.refresh_from_db()
    assert response.status_code == 302
    assert (case.satisfaction, case.callbacks.get().comment) == (4, "居民满意")
    assert missing.status_code == 400
    assert "Rate from 1 to 5." in missing.content.decode()


def test_the_case_page_shows_its_photos_to_those_who_see_the_case(phone, file_case, photo):
    case = file_case("0101", photos=[photo("before.jpg", size=(800, 600))])
    other = file_case("0103", photos=[photo()])
    picture = case.photos.get()
    client = phone("grid1")

    html = client.get(f"/field/tasks/{case.pk}/").content.decode()
    full = client.get(f"/field/tasks/{case.pk}/photo/", {"id": picture.pk})
    small = client.get(f"/field/tasks/{case.pk}/photo/", {"id": picture.pk, "size": "thumbnail"})

    assert f"/field/tasks/{case.pk}/photo/?id={picture.pk}&amp;size=thumbnail" in html
    assert (full.status_code, full["Content-Type"]) == (200, "image/jpeg")
    with Image.open(io.BytesIO(b"".join(full.streaming_content))) as image:
        assert image.size == (800, 600)
    with Image.open(io.BytesIO(b"".join(small.streaming_content))) as image:
        assert max(image.size) == 320
    another_case = other.photos.get().pk
    assert client.get(f"/field/tasks/{case.pk}/photo/", {"id": another_case}).status_code == 404
    outsider = phone("grid2").get(f"/field/tasks/{case.pk}/photo/", {"id": picture.pk})
    assert outsider.status_code == 404


def test_a_photo_whose_file_is_gone_is_a_404(phone, file_case, photo):
    case = file_case("0101", photos=[photo()])
    picture = case.photos.get()
    picture.image.storage.delete(picture.image.name)

    response = phone("grid1").get(f"/field/tasks/{case.pk}/photo/", {"id": picture.pk})

    assert response.status_code == 404


@pytest.mark.parametrize("photo_id", ["x", "²", "-1", ""])
def test_a_photo_id_that_is_no_number_is_a_404(phone, file_case, photo, photo_id):
    case = file_case("0101", photos=[photo()])

    response = phone("grid1").get(f"/field/tasks/{case.pk}/photo/", {"id": photo_id})

    assert response.status_code == 404


# 走访 Visits


def test_visits_list_my_buildings_and_the_people_needing_care(phone, family, neighbour):
    registry_tag = CareTag.objects.order_by("position").first()
    family["spouse"].care_tags.add(registry_tag)
    neighbour["person"].care_tags.add(registry_tag)

    html = phone("grid1").get("/field/visits/").content.decode()

    assert re.findall(r'data-building="(\d+)"', html) == [str(family["building"].pk)]
    assert f'href="/registry/buildings/{family["building"].pk}/"' in html
    assert f'href="/field/report/?building={family["building"].pk}"' in html
    assert re.findall(r'data-person="(\d+)"', html) == [str(family["spouse"].pk)]
    assert registry_tag.name in html


def test_the_visit_search_narrows_the_buildings(phone, family):
    client = phone("grid1")

    found = client.get("/field/visits/", {"q": "黄埔花园1栋"}).content.decode()
    missed = client.get("/field/visits/", {"q": "没有这栋楼"}).content.decode()

    assert re.findall(r'data-building="(\d+)"', found) == [str(family["building"].pk)]
    assert re.findall(r'data-building="(\d+)"', missed) == []


def test_the_visit_page_of_a_person_is_masked_and_audited(phone, family):
    person = family["head"]

    html = phone("grid1").get(f"/field/visits/persons/{person.pk}/").content.decode()

    assert person.name in html
    assert person.id_number not in html
    assert person.phone not in html
    assert "138****5678" in html
    assert f'href="/registry/persons/{person.pk}/"' in html
    assert AuditEntry.objects.filter(
        action=AuditEntry.Action.VIEW, object_id=str(person.pk)
    ).exists()


def test_a_person_of_another_grid_is_not_found(phone, neighbour):
    client = phone("grid1")
    url = f"/field/visits/persons/{neighbour['person'].pk}/"

    assert client.get(url).status_code == 404
    assert client.post(url, {"op": "death"}).status_code == 404


def test_updating_a_person_after_a_visit_changes_phone_work_and_care_tags(phone, family):
    person = family["spouse"]
    tag = CareTag.objects.order_by("position").first()

    response = phone("grid1").post(
        f"/field/visits/persons/{person.pk}/",
        {
            "op": "update",
            "update-new_phone": "13600001111",
            "update-occupation": "退休",
            "update-employer": "",
            "update-current_address": "黄埔花园1栋301",
            "update-care_tags": [tag.pk],
        },
    )

    person.refresh_from_db()
    assert (response.status_code, response["Location"]) == (
        302,
        f"/field/visits/persons/{person.pk}/",
    )
    assert (person.phone, person.occupation, person.current_address) == (
        "13600001111",
        "退休",
        "黄埔花园1栋301",
    )
    assert list(person.care_tags.all()) == [tag]
    assert person.events.filter(kind=LifeEvent.Kind.UPDATE).count() == 1


def test_an_empty_new_phone_keeps_the_old_one(phone, family):
    person = family["head"]

    phone("grid1").post(
        f"/field/visits/persons/{person.pk}/",
        {"op": "update", "update-new_phone": "", "update-occupation": "司机"},
    )

    person.refresh_from_db()
    assert (person.phone, person.occupation) == ("13812345678", "司机")


def test_a_bad_phone_is_refused_beside_its_field_and_nothing_changes(phone, family):
    person = family["head"]

    response = phone("grid1", language="en").post(
        f"/field/visits/persons/{person.pk}/",
        {"op": "update", "update-new_phone": "call me", "update-occupation": "司机"},
    )

    html = response.content.decode()
    person.refresh_from_db()
    assert response.status_code == 400
    assert "Enter a phone number: digits, spaces, + and - only." in html
    assert (person.phone, person.occupation) == ("13812345678", "")
    assert "call me" not in html.split('name="update-new_phone"')[0]


def test_recording_a_move_out_after_a_visit(phone, family):
    person = family["son"]

    response = phone("grid1").post(
        f"/field/visits/persons/{person.pk}/",
        {"op": "move_out", "move_out-on": "2026-03-01", "move_out-note": "外出读书"},
    )

    person.refresh_from_db()
    assert response.status_code == 302
    assert person.status == Person.Status.MOVED_OUT
    assert person.events.get(kind=LifeEvent.Kind.MOVE_OUT).note == "外出读书"


def test_a_supervisor_reads_but_may_not_update(phone, family):
    person = family["head"]
    client = phone("supervisor")

    html = client.get(f"/field/visits/persons/{person.pk}/").content.decode()
    response = client.post(f"/field/visits/persons/{person.pk}/", {"op": "death"})

    assert 'id="visit-update"' not in html
    assert response.status_code == 403
    person.refresh_from_db()
    assert person.status == Person.Status.LIVING


# 消息 Messages


def test_the_inbox_lists_my_notifications_and_marks_them_read(phone, file_case, user):
    case = file_case("0101", by="community")
    other = file_case("0103", by="community")
    deliver_notifications()
    mine = list(Notification.objects.filter(user=user("grid1")).order_by("id"))
    someone_elses = Notification.objects.create(
        user=user("grid2"), case=case, event=case.events.first(), text="别人的通知"
    )
    client = phone("grid1")

    html = client.get("/field/inbox/").content.decode()
    one = client.post("/field/inbox/read/", {"ids": [mine[0].pk, someone_elses.pk]})

    assert re.findall(r'data-notification="(\d+)"', html) == [str(n.pk) for n in mine[::-1]]
    assert "别人的通知" not in html
    assert (one.status_code, one["Location"]) == (302, "/field/inbox/")
    assert Notification.objects.filter(user=user("grid1"), read_at__isnull=True).count() == 1
    someone_elses.refresh_from_db()
    assert someone_elses.read_at is None
    opened = client.post("/field/inbox/read/", {"ids": [mine[1].pk], "next": other.pk})
    assert opened["Location"] == f"/field/tasks/{other.pk}/"
    client.post("/field/inbox/read/", {"all": "1"})
    assert notifications.unread_count(user("grid1")) == 0


def test_digits_that_are_no_number_in_a_query_or_a_post_are_ignored(phone):
    client = phone("grid1")

    pages = [client.get(url) for url in ("/field/inbox/?before=²", "/field/report/?building=²")]
    marked = client.post("/field/inbox/read/", {"ids": ["²"], "next": "²"})

    assert [page.status_code for page in pages] == [200, 200]
    assert (marked.status_code, marked["Location"]) == (302, "/field/inbox/")


@pytest.mark.parametrize("count", [1, 10])
def test_the_inbox_costs_a_fixed_number_of_queries(
    phone, file_case, user, django_assert_max_num_queries, count
):
    for _ in range(count):
        file_case("0101", by="community")
    deliver_notifications()
    client = phone("grid1")

    with django_assert_max_num_queries(8):
        response = client.get("/field/inbox/")

    assert response.status_code == 200


# Installable and offline


def test_the_manifest_installs_the_field_app_with_its_icons(demo):
    response = Client().get("/manifest.webmanifest")

    manifest = json.loads(response.content)
    assert response["Content-Type"] == "application/manifest+json"
    assert (manifest["start_url"], manifest["scope"], manifest["display"]) == (
        "/field/report/",
        "/field/",
        "standalone",
    )
    sizes = {}
    for icon in manifest["icons"]:
        path = finders.find(icon["src"].removeprefix("/static/"))
        with Image.open(path) as image:
            assert image.format == "PNG"
            sizes[icon["sizes"]] = image.size
    assert sizes == {"192x192": (192, 192), "512x512": (512, 512)}


def test_the_service_worker_is_served_from_the_root_as_uncached_javascript(demo):
    response = Client().get("/sw.js")

    body = response.content.decode()
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert response["Cache-Control"] == "no-cache"
    config = json.loads(re.match(r"const SANHUA = (.*);\n", body).group(1))
    assert config["pages"] == [
        "/field/report/",
        "/field/tasks/",
        "/field/visits/",
        "/field/care/",
        "/field/care/requests/new/",
        "/field/inbox/",
        "/field/offline/",
        "/api/categories/?is_active=true",
    ]
    assert "/static/field/outbox.js" in config["assets"]
    assert "/static/vendor/idb-keyval-6.3.0/idb-keyval.umd.js" in config["assets"]
    # The pages' shared script (the language switch), a file since the CSP refuses inline code.
    assert "/static/js/sanhua.js" in config["assets"]
    assert len(config["version"]) == 16
    assert 'self.addEventListener("fetch"' in body


def test_a_supervisors_self_resolve_without_a_photo_is_a_403_before_the_form_is_read(
    phone, file_case
):
    case = file_case("0101")

    response = step(
        phone("supervisor", language="en"), case, "self_resolve", {"self_resolve-result": ""}
    )

    assert response.status_code == 403
    assert "You may not take this step on this case." in response.content.decode()
    case.refresh_from_db()
    assert (case.status, case.version) == ("reported", 1)


def test_the_loser_of_two_escalations_without_a_version_gets_a_409(phone, file_case):
    case = file_case("0101")
    first, second = phone("grid1"), phone("grid1", language="en")
    step(first, case, "escalate", {"escalate-reason": "需社区协调"})

    # Posted from a page drawn before the first escalation, which carried no version.
    response = step(second, case, "escalate", {"escalate-reason": "需社区协调"})

    assert response.status_code == 409
    assert "Someone changed this case after you opened it" in response.content.decode()
    assert list(case.events.values_list("action", flat=True)) == ["report", "escalate"]
