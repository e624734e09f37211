"""Client applications' keys (governance/clients.py): issued once, stored only as a digest,
checked in constant time, switched off at once, and each client held to its own rate."""

import pytest
from django.core.cache import cache
from django.db import connection
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from governance.clients import ApiKeyAuthentication, ClientRateThrottle, issue_key, register
from governance.models import ApiClient

pytestmark = pytest.mark.django_db


class WhoAmI(APIView):
    authentication_classes = [ApiKeyAuthentication]
    permission_classes = [IsAuthenticated]
    throttle_classes = [ClientRateThrottle]

    def get(self, request):
        return Response({"client": request.auth.name, "user": request.user.pk})


def call(key: str | None):
    headers = {} if key is None else {"HTTP_X_API_KEY": key}
    return WhoAmI.as_view()(APIRequestFactory().get("/whoami/", **headers))


def new_client(**fields) -> tuple[ApiClient, str]:
    client = ApiClient(name=fields.pop("name", "街道随手拍"), kind="open311", **fields)
    return client, register(client)


def test_a_registered_client_calls_with_its_key_as_its_own_user():
    client, key = new_client()
    answer = call(key)
    assert answer.status_code == 200
    assert answer.data == {"client": "街道随手拍", "user": client.user_id}
    assert not client.user.has_usable_password()


def test_only_a_digest_of_the_key_is_stored():
    client, key = new_client()
    secret = key.split(".", 1)[1]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {ApiClient._meta.db_table}")
        stored = " ".join(str(value) for row in cursor.fetchall() for value in row)
    assert secret not in stored
    assert client.key_prefix in stored


@pytest.mark.parametrize(
    "key",
    ["", "nonsense", "abcdefgh.wrong", "x" * 300, "ab.cd", "�\x00.?"],
)
def test_a_wrong_key_is_refused_with_401(key):
    new_client()
    answer = call(key)
    assert answer.status_code == 401
    assert answer["WWW-Authenticate"] == "ApiKey"


def test_a_wrong_secret_with_a_real_prefix_is_refused():
    _, key = new_client()
    prefix = key.split(".", 1)[0]
    assert call(f"{prefix}.{'A' * 43}").status_code == 401


def test_no_key_is_a_401_from_the_permission():
    assert call(None).status_code == 401


def test_a_new_key_replaces_the_old_one_at_once():
    client, old = new_client()
    new = issue_key(client)
    assert call(old).status_code == 401
    assert call(new).status_code == 200


def test_a_client_switched_off_is_refused():
    client, key = new_client()
    ApiClient.objects.filter(pk=client.pk).update(is_active=False)
    assert call(key).status_code == 401


def test_each_client_is_held_to_its_own_rate():
    cache.clear()  # the throttle's history of earlier tests' clients (SQLite reuses their ids)
    _, slow = new_client(name="慢", rate_per_minute=3)
    _, fast = new_client(name="快", rate_per_minute=100)
    assert [call(slow).status_code for _ in range(4)] == [200, 200, 200, 429]
    assert all(call(fast).status_code == 200 for _ in range(10))


def test_an_admin_registers_a_client_and_sees_its_key_once(admin_client):
    answer = admin_client.post(
        "/admin/governance/apiclient/add/",
        {"name": "12345", "kind": "hotline", "rate_per_minute": 60, "is_active": "on"},
        follow=True,
    )
    client = ApiClient.objects.get(name="12345")
    (shown,) = [str(m) for m in answer.context["messages"] if client.key_prefix in str(m)]
    key = next(word for word in shown.split() if word.startswith(client.key_prefix + "."))
    assert call(key).status_code == 200
    assert key not in admin_client.get(f"/admin/governance/apiclient/{client.pk}/change/").text
