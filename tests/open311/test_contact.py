"""The contact an Open311 app sends with a request: stored as personal data, shown masked to
the staff who see the case, revealed in full only with a purpose, audited and counted."""

import pytest
from django.test import Client

from grid.models import AuditEntry
from tests.open311.conftest import BASE, form_post

pytestmark = pytest.mark.django_db

CONTACT = {
    "email": "li.si@example.com",
    "first_name": "思远",
    "last_name": "欧阳",
    "phone": "13812345678",
    "device_id": "device-0042",
    "account_id": "acct-0099",
}


@pytest.fixture
def filed(web, key, home_grids):
    grid = home_grids[0]
    data = {
        "api_key": key,
        "service_code": "0101",
        "lat": grid.centroid_lat,
        "long": grid.centroid_lng,
        **CONTACT,
    }
    response = form_post(web, f"{BASE}/requests.json", data)
    assert response.status_code == 201, response.content
    from open311.models import Open311Request

    return Open311Request.objects.get()


def page_as(user) -> Client:
    web = Client()
    web.force_login(user)
    return web


def test_the_contact_is_stored_and_shown_masked_by_default(filed, user):
    assert filed.phone == "13812345678"
    assert filed.email == "li.si@example.com"
    response = page_as(user("community")).get(f"/open311/contact/{filed.case_id}/")
    assert response.status_code == 200
    text = response.content.decode()
    for value in CONTACT.values():
        assert value not in text
    assert "138****5678" in text
    assert "l***@example.com" in text
    assert "思*" in text
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.REVEAL).exists()


def test_revealing_needs_a_purpose_and_is_audited(filed, user):
    web = page_as(user("community"))
    url = f"/open311/contact/{filed.case_id}/"
    assert web.post(url, {"purpose": ""}).status_code == 400
    assert web.post(url, {"purpose": "other"}).status_code == 400
    response = web.post(url, {"purpose": "case"})
    assert response.status_code == 200
    text = response.content.decode()
    assert "13812345678" in text
    assert "li.si@example.com" in text
    entry = AuditEntry.objects.get(action=AuditEntry.Action.REVEAL)
    assert (entry.actor, entry.model, entry.object_id) == (
        user("community"),
        "Open311Request",
        filed.case_id,
    )
    assert "phone" in entry.fields
    assert entry.detail == "case"
    assert "13812345678" not in f"{entry.fields} {entry.detail}"


def test_reveals_count_in_the_hourly_allowance(filed, user, settings):
    settings.SANHUA_REVEALS_PER_HOUR = 1
    web = page_as(user("community"))
    url = f"/open311/contact/{filed.case_id}/"
    assert web.post(url, {"purpose": "case"}).status_code == 200
    refused = web.post(url, {"purpose": "case"})
    assert refused.status_code == 429
    assert "13812345678" not in refused.content.decode()


def test_who_may_not_reveal_sees_it_masked_and_a_post_is_refused(filed, user):
    web = page_as(user("supervisor"))  # sees the case, but no registry role
    url = f"/open311/contact/{filed.case_id}/"
    assert web.get(url).status_code == 200
    assert web.post(url, {"purpose": "case"}).status_code == 403
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.REVEAL).exists()


def test_who_does_not_see_the_case_gets_a_404(filed, user):
    assert page_as(user("transport")).get(f"/open311/contact/{filed.case_id}/").status_code == 404
    assert page_as(user("grid2")).get(f"/open311/contact/{filed.case_id}/").status_code == 404
    assert Client().get(f"/open311/contact/{filed.case_id}/").status_code == 302


def test_the_case_page_shows_the_request_with_its_contact_masked(filed, user, file_case):
    web = page_as(user("community"))
    text = web.get(f"/console/cases/{filed.case_id}/").content.decode()
    assert "data-open311-panel" in text
    assert "138****5678" in text
    assert f"/open311/contact/{filed.case_id}/" in text
    for value in CONTACT.values():
        assert value not in text
    other = file_case("0101")
    assert "data-open311-panel" not in web.get(f"/console/cases/{other.pk}/").content.decode()
