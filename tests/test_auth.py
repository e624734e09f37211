"""Signing in: API tokens that expire, are hashed at rest and die at logout; failed sign-ins
locked out per account and per address, on the API and on the login page (governance/auth.py).

Only HTTP is used, so these tests read like a client's session."""

from datetime import timedelta

import axes.attempts
import axes.handlers.proxy
import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework.test import APIClient

from tests.conftest import DEMO_PASSWORD

pytestmark = pytest.mark.django_db

LIMIT = settings.AXES_FAILURE_LIMIT


def _sign_in(username, password=DEMO_PASSWORD, address="127.0.0.1", client=None):
    client = client or APIClient(REMOTE_ADDR=address)
    return client.post(
        "/api/auth/token/", {"username": username, "password": password}, format="json"
    )


def _client(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def _token(username="grid1") -> str:
    response = _sign_in(username)
    assert response.status_code == 200, response.content
    return response.json()["token"]


# Lock-out


def test_thirty_wrong_passwords_then_the_right_one_is_refused_on_the_api(demo):
    answers = [_sign_in("grid1", "wrong").status_code for _ in range(30)]

    right = _sign_in("grid1")

    # The failure that reaches the limit is already answered with the lock-out.
    assert answers[: LIMIT - 1] == [400] * (LIMIT - 1)
    assert set(answers[LIMIT - 1 :]) == {429}
    assert right.status_code == 429
    assert right.json()["code"] == "locked_out"
    assert "token" not in right.json()
    assert int(right["Retry-After"]) == settings.AXES_COOLOFF_TIME.total_seconds()


def test_thirty_wrong_passwords_then_the_right_one_is_refused_on_the_login_page(demo):
    browser = Client()
    for _ in range(30):
        browser.post("/accounts/login/", {"username": "community", "password": "wrong"})

    right = browser.post("/accounts/login/", {"username": "community", "password": DEMO_PASSWORD})

    assert right.status_code == 429
    assert "登录失败次数过多" in right.content.decode()
    assert browser.get("/console/cases/").status_code == 302  # still not signed in


def test_the_lock_out_message_is_in_english_for_english_readers(demo):
    for _ in range(LIMIT):
        _sign_in("grid1", "wrong")

    right = APIClient(HTTP_ACCEPT_LANGUAGE="en").post(
        "/api/auth/token/", {"username": "grid1", "password": DEMO_PASSWORD}, format="json"
    )

    assert right.status_code == 429
    assert right.json()["detail"].startswith("Too many failed sign-ins")


def test_a_lock_out_does_not_tell_whether_the_account_exists(demo):
    for name in ("grid1", "nobody-by-this-name"):
        for _ in range(LIMIT):
            _sign_in(name, "wrong", address="10.0.0.1" if name == "grid1" else "10.0.0.2")

    real = _sign_in("grid1", "wrong", address="10.0.0.1")
    unknown = _sign_in("nobody-by-this-name", "wrong", address="10.0.0.2")

    assert real.status_code == unknown.status_code == 429
    assert real.json() == unknown.json()


def test_failures_from_one_address_lock_that_address_whatever_the_account(demo):
    for n in range(LIMIT):
        _sign_in(f"guess{n}", "wrong", address="10.9.9.9")

    assert _sign_in("grid2", address="10.9.9.9").status_code == 429
    assert _sign_in("grid2", address="10.1.1.1").status_code == 200


def test_the_lock_out_ends_after_the_cool_off(demo, monkeypatch):
    for _ in range(LIMIT):
        _sign_in("grid1", "wrong")
    later = timezone.now() + settings.AXES_COOLOFF_TIME + timedelta(seconds=1)
    # django-axes keeps its own references to django.utils.timezone.now.
    for module in (timezone, axes.attempts, axes.handlers.proxy):
        monkeypatch.setattr(module, "now", lambda: later)

    assert _sign_in("grid1").status_code == 200


def test_successful_sign_ins_never_lock_anyone_out(demo):
    answers = [_sign_in("street").status_code for _ in range(3 * LIMIT)]
    for _ in range(LIMIT - 1):
        _sign_in("street", "wrong")

    assert answers == [200] * (3 * LIMIT)
    assert _sign_in("street").status_code == 200


# Tokens


def test_two_sign_ins_give_two_different_tokens_that_both_work(demo):
    first, second = _token(), _token()

    assert first != second
    assert _client(first).get("/api/me/").status_code == 200
    assert _client(second).get("/api/me/").status_code == 200


def test_a_token_expires_after_its_lifetime(demo, monkeypatch):
    issued = timezone.now()
    token = _token()
    lifetime = settings.REST_KNOX["TOKEN_TTL"]

    monkeypatch.setattr(timezone, "now", lambda: issued + lifetime - timedelta(minutes=1))
    assert _client(token).get("/api/me/").status_code == 200
    monkeypatch.setattr(timezone, "now", lambda: issued + lifetime + timedelta(seconds=1))
    expired = _client(token).get("/api/me/")

    assert expired.status_code == 401
    assert _client(token).get("/api/me/").status_code == 401


def test_the_sign_in_answers_when_the_token_expires(demo):
    before = timezone.now()
    body = _sign_in("grid1").json()

    lifetime = settings.REST_KNOX["TOKEN_TTL"]
    assert before + lifetime <= parse_datetime(body["expiry"]) <= timezone.now() + lifetime


def test_logout_revokes_the_token_used_and_only_it(demo):
    used, other = _token(), _token()

    out = _client(used).post("/api/auth/logout/")

    assert out.status_code == 204
    assert _client(used).get("/api/me/").status_code == 401
    assert _client(other).get("/api/me/").status_code == 200


def test_my_tokens_are_listed_without_the_tokens_themselves(demo):
    first = _token()
    client = APIClient(HTTP_USER_AGENT="Sanhua field app/2.1")
    second = _sign_in("grid1", client=client).json()["token"]
    _token("grid2")  # someone else's

    listed = _client(second).get("/api/auth/tokens/").json()

    assert len(listed) == 2
    assert {row["device"] for row in listed} == {"Sanhua field app/2.1", ""}
    assert [row["current"] for row in listed] == [True, False]
    assert set(listed[0]) == {"id", "created", "expiry", "last_used", "device", "current"}
    text = str(listed)
    for token in (first, second):
        assert token[:8] not in text


def test_deleting_one_of_my_tokens_revokes_it(demo):
    doomed, mine = _token(), _token()
    client = _client(mine)
    listed = client.get("/api/auth/tokens/").json()
    doomed_id = next(row["id"] for row in listed if not row["current"])

    assert client.delete(f"/api/auth/tokens/{doomed_id}/").status_code == 204
    assert _client(doomed).get("/api/me/").status_code == 401
    assert [row["current"] for row in client.get("/api/auth/tokens/").json()] == [True]


def test_another_users_token_cannot_be_revoked(demo):
    theirs = _token("grid2")
    their_id = _client(theirs).get("/api/auth/tokens/").json()[0]["id"]

    answer = _client(_token("grid1")).delete(f"/api/auth/tokens/{their_id}/")

    assert answer.status_code == 404
    assert _client(theirs).get("/api/me/").status_code == 200


def test_tokens_are_stored_hashed(demo):
    token = _token()

    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM governance_apitoken")
        stored = " ".join(str(value) for row in cursor.fetchall() for value in row)
    assert token not in stored


def test_signing_out_of_the_pages_ends_the_session(demo):
    browser = Client()
    browser.post("/accounts/login/", {"username": "community", "password": DEMO_PASSWORD})
    assert browser.get("/console/cases/").status_code == 200

    browser.post("/accounts/logout/")

    assert browser.get("/console/cases/").status_code == 302
