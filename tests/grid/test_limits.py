"""Personal data is revealed for a stated purpose, and each account may reveal (or export) only
so much of it an hour; the supervisors hear once when an account hits the limit
(grid/limits.py, grid/registry.reveal, grid/exports.persons)."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from cases.models import Notification
from grid.models import AccessAlert, AuditEntry

pytestmark = pytest.mark.django_db

REVEALS = settings.SANHUA_REVEALS_PER_HOUR


def _user(username):
    return get_user_model().objects.get(username=username)


def _signed_in(username) -> Client:
    client = Client()
    client.force_login(_user(username))
    return client


def _reveal(client, person, body=None):
    body = {"purpose": "visit", "reason": "入户核对"} if body is None else body
    return client.post(f"/api/persons/{person.pk}/reveal/", body, format="json")


def _reveals() -> int:
    return AuditEntry.objects.filter(action=AuditEntry.Action.REVEAL).count()


def _alerts_to(username) -> list[Notification]:
    return list(Notification.objects.filter(user__username=username, alert__isnull=False))


# A purpose for every reveal


def test_a_reveal_without_a_purpose_is_refused(login, family):
    client = login("grid1")

    empty = _reveal(client, family["head"], {})
    reason_only = _reveal(client, family["head"], {"reason": "看看"})
    unknown = _reveal(client, family["head"], {"purpose": "curiosity"})

    assert [empty.status_code, reason_only.status_code, unknown.status_code] == [400, 400, 400]
    assert "purpose" in empty.json()["errors"]
    assert "purpose" in reason_only.json()["errors"]
    assert family["head"].id_number not in empty.content.decode()
    assert _reveals() == 0


def test_the_purpose_other_needs_a_reason_in_words(login, family):
    client = login("grid1")

    bare = _reveal(client, family["head"], {"purpose": "other"})
    blank = _reveal(client, family["head"], {"purpose": "other", "reason": "   "})
    said = _reveal(client, family["head"], {"purpose": "other", "reason": "协助派出所核查"})

    assert [bare.status_code, blank.status_code, said.status_code] == [400, 400, 200]
    assert "reason" in bare.json()["errors"]
    entry = AuditEntry.objects.get(action=AuditEntry.Action.REVEAL)
    assert entry.detail == "other: 协助派出所核查"


def test_the_person_page_needs_a_purpose_too(family):
    client = _signed_in("grid1")

    refused = client.post(f"/registry/persons/{family['head'].pk}/", {"reason": "看看"})

    assert refused.status_code == 400
    assert family["head"].id_number not in refused.content.decode()
    assert refused.context["reveal_form"].errors["purpose"]
    assert _reveals() == 0


# An hourly allowance


def test_the_reveal_after_the_hourly_allowance_is_a_429_and_the_supervisor_hears_once(
    login, family
):
    client = login("grid1")
    answers = [_reveal(client, family["head"]).status_code for _ in range(REVEALS)]

    refused = _reveal(client, family["head"])
    again = _reveal(client, family["spouse"])

    assert answers == [200] * REVEALS
    assert (refused.status_code, again.status_code) == (429, 429)
    assert family["head"].id_number not in refused.content.decode()
    assert family["spouse"].id_number not in again.content.decode()
    assert 0 < int(refused["Retry-After"]) <= 3600
    assert _reveals() == REVEALS
    alert = AccessAlert.objects.get()
    assert (alert.actor.username, alert.action, alert.limit) == ("grid1", "reveal", REVEALS)
    notices = _alerts_to("supervisor")
    assert len(notices) == 1
    assert "王秀英" in notices[0].text
    assert not _alerts_to("grid1")


def test_the_supervisor_reads_the_alert_in_the_api_inbox(login, family):
    client = login("grid1")
    for _ in range(REVEALS + 1):
        _reveal(client, family["head"])

    inbox = login("supervisor").get("/api/notifications/").json()["results"]

    assert len(inbox) == 1
    assert inbox[0]["case"] is None
    assert inbox[0]["action"] == "personal_data_limit"
    assert str(REVEALS) in inbox[0]["text"]


def test_reveals_on_the_page_and_the_api_share_one_allowance(login, family):
    client = login("grid1")
    for _ in range(REVEALS):
        _reveal(client, family["head"])

    page = _signed_in("grid1").post(f"/registry/persons/{family['head'].pk}/", {"purpose": "visit"})

    assert page.status_code == 429
    assert family["head"].id_number not in page.content.decode()
    assert page.context["limit_reached"]
    assert _reveals() == REVEALS


def test_one_account_over_its_allowance_leaves_the_others_theirs(login, family):
    grid1 = login("grid1")
    for _ in range(REVEALS + 1):
        _reveal(grid1, family["head"])

    assert _reveal(login("community"), family["head"]).status_code == 200


def test_the_allowance_comes_back_as_the_hour_passes(login, family, monkeypatch):
    start = timezone.now()
    monkeypatch.setattr(timezone, "now", lambda: start)
    client = login("grid1")
    for _ in range(REVEALS):
        _reveal(client, family["head"])
    assert _reveal(client, family["head"]).status_code == 429

    monkeypatch.setattr(timezone, "now", lambda: start + timedelta(minutes=59))
    assert _reveal(client, family["head"]).status_code == 429
    monkeypatch.setattr(timezone, "now", lambda: start + timedelta(minutes=60, seconds=1))
    assert _reveal(client, family["head"]).status_code == 200
    assert len(_alerts_to("supervisor")) == 1


# Personal exports


@pytest.fixture
def three_exports_an_hour(settings):
    settings.SANHUA_EXPORTS_PER_HOUR = 3
    return 3


def test_personal_exports_over_the_hourly_allowance_are_refused_and_reported_once(
    family, home_community, three_exports_an_hour
):
    client = _signed_in("community")
    url = f"/registry/exports/{home_community.pk}/persons/"
    body = {"file_format": "csv", "reason": "低保复核"}
    answers = [client.post(url, body).status_code for _ in range(three_exports_an_hour)]

    refused = client.post(url, body)
    again = client.post(url, body)

    assert answers == [200] * three_exports_an_hour
    assert (refused.status_code, again.status_code) == (429, 429)
    assert refused["Content-Type"].startswith("text/html")
    assert refused.context["limit_reached"]
    assert family["head"].id_number not in refused.content.decode()
    exported = AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT).count()
    assert exported == three_exports_an_hour
    alert = AccessAlert.objects.get()
    assert (alert.actor.username, alert.action) == ("community", "export")
    assert len(_alerts_to("supervisor")) == 1
