"""The field app's community pages: whom to visit today, recording a visit and a request
without the script (plain posts), and the request's steps with their 400/403/409 answers."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from community import services
from community.models import CareVisit, ServiceRequest, VisitSchedule
from grid.models import Person

pytestmark = pytest.mark.django_db


@pytest.fixture
def web(user):
    def make(username: str) -> Client:
        client = Client()
        client.force_login(user(username))
        return client

    return make


def test_the_due_list_shows_the_overdue_first_by_building(web, elderly, family):
    VisitSchedule.objects.filter(person=elderly).update(
        next_visit_on=timezone.localdate() - timedelta(days=3)
    )

    page = web("grid1").get("/field/care/")

    assert page.status_code == 200
    html = page.content.decode()
    assert f'data-person="{elderly.pk}" data-overdue="1"' in html
    assert str(family["building"]) in html
    assert "138****5678" in html
    assert "13812345678" not in html
    assert web("grid2").get("/field/care/").content.decode().count("data-person=") == 0


def test_a_plain_post_records_a_visit_with_a_need(web, elderly, catalogue):
    schedule = VisitSchedule.objects.get(person=elderly)
    service = catalogue("pension_certification")

    response = web("grid1").post(
        f"/field/care/persons/{elderly.pk}/visit/",
        {
            "findings": "腿脚不便",
            "schedule_version": schedule.version,
            "need_service": service.pk,
            "need_description": "上门认证",
        },
    )

    assert response.status_code == 302
    visit = CareVisit.objects.get()
    assert visit.service_requests.get().service == service


def test_a_visit_without_findings_answers_400_beside_the_field(web, elderly):
    response = web("grid1").post(f"/field/care/persons/{elderly.pk}/visit/", {"findings": ""})

    assert response.status_code == 400
    assert not CareVisit.objects.exists()


def test_a_stale_visit_form_answers_409(web, elderly, user):
    schedule = VisitSchedule.objects.get(person=elderly)
    services.record_visit(actor=user("community"), person=elderly, findings="先到")

    response = web("grid1").post(
        f"/field/care/persons/{elderly.pk}/visit/",
        {"findings": "后到", "schedule_version": schedule.version},
    )

    assert response.status_code == 409
    assert CareVisit.objects.count() == 1


def test_the_visit_page_of_another_grid_is_404(web, neighbour):
    assert (
        web("grid1").get(f"/field/care/persons/{neighbour['person'].pk}/visit/").status_code == 404
    )


def test_a_plain_post_records_a_request(web, family, catalogue):
    response = web("grid1").post(
        "/field/care/requests/new/",
        {"service": catalogue("social_insurance").pk, "person": family["head"].pk},
    )

    request = ServiceRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/field/care/requests/{request.pk}/"


def test_the_request_form_names_the_person_masked(web, family, catalogue):
    page = web("grid1").get(f"/field/care/requests/new/?person={family['head'].pk}")

    assert page.status_code == 200
    assert "138****5678" in page.content.decode()


def test_the_community_completes_and_the_worker_rates_in_the_pages(web, record):
    request = record()
    staff = web("community")

    staff.post(f"/field/care/requests/{request.pk}/accept/", {"accept-version": 1})
    done = staff.post(
        f"/field/care/requests/{request.pk}/complete/",
        {"complete-version": 2, "complete-result": "已办结"},
    )
    rated = web("grid1").post(
        f"/field/care/requests/{request.pk}/rate/",
        {"rate-version": 3, "rate-satisfaction": "5"},
    )

    assert (done.status_code, rated.status_code) == (302, 302)
    request.refresh_from_db()
    assert (request.status, request.satisfaction) == ("done", 5)


def test_a_step_on_a_stale_page_answers_409(web, record):
    request = record()
    web("community").post(f"/field/care/requests/{request.pk}/accept/", {"accept-version": 1})

    response = web("street").post(
        f"/field/care/requests/{request.pk}/decline/",
        {"decline-version": 1, "decline-reason": "重复"},
    )

    assert response.status_code == 409
    assert ServiceRequest.objects.get().status == "in_progress"


def test_completing_without_a_result_answers_400(web, record):
    request = record()
    web("community").post(f"/field/care/requests/{request.pk}/accept/", {"accept-version": 1})

    response = web("community").post(
        f"/field/care/requests/{request.pk}/complete/", {"complete-version": 2}
    )

    assert response.status_code == 400
    assert ServiceRequest.objects.get().status == "in_progress"


def test_the_request_list_shows_the_overdue_light(web, record):
    request = record()
    ServiceRequest.objects.filter(pk=request.pk).update(is_overdue=True)

    page = web("grid1").get("/field/care/requests/")

    assert 'data-light="red"' in page.content.decode()


def test_the_visit_page_shows_the_photos_of_earlier_visits(web, elderly, user, photo):
    visit, _created = services.record_visit(
        actor=user("grid1"), person=elderly, findings="好", photos=[photo()]
    )

    page = web("grid1").get(f"/field/care/persons/{elderly.pk}/visit/").content.decode()
    url = f"/field/care/visits/{visit.pk}/photo/?id={visit.photos.get().pk}"

    assert url in page
    assert web("grid1").get(url)["Content-Type"] == "image/jpeg"


def test_the_care_forms_offer_their_blank_choices_in_words(web, elderly):
    visit = web("grid1").get(f"/field/care/persons/{elderly.pk}/visit/").content.decode()
    request = web("grid1").get("/field/care/requests/new/").content.decode()

    assert "---------" not in visit + request
    assert '<option value="" selected>无</option>' in visit
    assert '<option value="" selected>请选择…</option>' in request


def _due_line_parts(client, person) -> list[str]:
    html = client.get("/field/care/").content.decode()
    line = re.search(rf'data-person="{person.pk}".*?</a>', html, re.S).group(0)
    return re.findall(r'<span class="dot-sep">([^<]*)</span>', line)


def test_the_due_list_joins_only_the_parts_a_person_has(web, elderly):
    house = f"{elderly.house.unit}-{elderly.house.number}"
    with_phone = _due_line_parts(web("grid1"), elderly)
    Person.objects.filter(pk=elderly.pk).update(phone="")
    without_phone = _due_line_parts(web("grid1"), elderly)

    assert with_phone[:2] == [house, "138****5678"]
    assert re.fullmatch(r"\d+ 岁", with_phone[2])
    assert without_phone == [house, with_phone[2]]
