"""The console's community pages: the request queue with its filters and lights, a request's
steps (accept with an assignee, convert into a case), recording a walk-in, and the visit
overview with coverage per grid."""

import re

import pytest
from django.test import Client

from community import services
from community.models import ServiceRequest

pytestmark = pytest.mark.django_db


@pytest.fixture
def web(user):
    def make(username: str) -> Client:
        client = Client()
        client.force_login(user(username))
        return client

    return make


def test_the_queue_lists_open_requests_of_my_area_only(web, record, neighbour, catalogue, user):
    mine = record()
    theirs, _created = services.record_request(
        actor=user("grid2"), service=catalogue("legal_advice"), person=neighbour["person"]
    )

    page = web("grid1").get("/console/community/requests/").content.decode()
    community = web("community").get("/console/community/requests/").content.decode()

    assert f'data-request="{mine.pk}"' in page
    assert f'data-request="{theirs.pk}"' not in page
    assert f'data-request="{theirs.pk}"' in community


def test_a_bad_filter_is_answered_beside_the_form(web, record):
    record()

    page = web("community").get("/console/community/requests/?received_after=nope")

    assert page.status_code == 200
    assert "data-request=" not in page.content.decode()


def test_the_community_accepts_assigning_a_grid_worker(web, record, user):
    request = record()

    response = web("community").post(
        f"/console/community/requests/{request.pk}/accept/",
        {"accept-version": 1, "accept-assignee": user("grid1").pk},
    )

    assert response.status_code == 302
    request.refresh_from_db()
    assert (request.status, request.assignee) == ("in_progress", user("grid1"))


def test_an_assignee_outside_the_grid_is_not_offered(web, record, user):
    request = record()

    response = web("community").post(
        f"/console/community/requests/{request.pk}/accept/",
        {"accept-version": 1, "accept-assignee": user("grid2").pk},
    )

    assert response.status_code == 400
    assert ServiceRequest.objects.get().status == "pending"


def test_the_office_converts_a_request_into_a_case(web, record):
    request = record(description="邻里噪音纠纷")

    response = web("community").post(
        f"/console/community/requests/{request.pk}/convert/",
        {"convert-version": 1, "convert-category": "0101", "convert-title": "噪音纠纷",
         "convert-urgency": "normal"},
    )  # fmt: skip

    assert response.status_code == 302
    request.refresh_from_db()
    assert request.case is not None
    page = web("community").get(f"/console/community/requests/{request.pk}/").content.decode()
    assert request.case.number in page


def test_a_walk_in_is_recorded_at_the_office(web, catalogue, home_grids):
    response = web("community").post(
        "/console/community/requests/new/",
        {"service": catalogue("legal_advice").pk, "walk_in_name": "李先生",
         "walk_in_phone": "13911112222", "grid": home_grids[0].pk},
    )  # fmt: skip

    request = ServiceRequest.objects.get()
    assert response.status_code == 302
    assert (request.channel, request.walk_in_name) == ("office", "李先生")
    page = web("community").get(f"/console/community/requests/{request.pk}/").content.decode()
    assert "139****2222" in page
    assert "13911112222" not in page


def test_a_walk_in_without_a_name_is_a_400(web, catalogue, home_grids):
    response = web("community").post(
        "/console/community/requests/new/",
        {"service": catalogue("legal_advice").pk, "grid": home_grids[0].pk},
    )

    assert response.status_code == 400
    assert not ServiceRequest.objects.exists()


def test_the_visit_overview_shows_coverage_and_who_is_overdue(web, elderly, home_community):
    page = web("community").get(f"/console/community/visits/?area={home_community.pk}")

    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="coverage-table"' in html
    assert "陈建华" not in html.split('id="overdue-visits"')[1].split("</ul>")[0]


def test_the_queue_filters_speak_the_office_s_words(web, record):
    record()

    page = web("community").get("/console/community/requests/").content.decode()

    assert "---------" not in page
    assert "未知" not in page
    assert "全部服务" in page
    assert "我的全部辖区" in page
    assert '<option value="true" selected>在办</option>' in page
    assert '<option value="" selected>全部时限状态</option>' in page
    assert 'type="date" name="received_after"' in page
    assert "<th>受理日期</th>" in page
    assert "受理数" not in page
    assert "在办数" not in page


def test_the_queue_s_open_filter_picks_open_finished_or_both(web, record):
    open_request = record()
    finished = record(service="legal_advice")
    ServiceRequest.objects.filter(pk=finished.pk).update(status=ServiceRequest.Status.DONE)

    def listed(query):
        page = web("community").get(f"/console/community/requests/?{query}").content.decode()
        return {r.pk for r in (open_request, finished) if f'data-request="{r.pk}"' in page}

    assert listed("open=true") == {open_request.pk}
    assert listed("open=false") == {finished.pk}
    assert listed("open=&q=") == {open_request.pk, finished.pk}


def test_the_steps_are_named_as_steps_not_as_statuses(web, record, user):
    request = record()
    services.accept_request(request, actor=user("community"))

    page = web("community").get(f"/console/community/requests/{request.pk}/").content.decode()
    steps = re.findall(r'<summary class="fw-semibold">([^<]*)</summary>', page)

    assert "办结" in steps
    assert "不予办理" in steps
    assert "已办结" not in steps
    assert "不同意" not in steps
