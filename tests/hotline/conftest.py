"""Hotline fixtures: the hotline's client application and its key, a category mapping, a valid
work order body, a way to post one, and the answers sent back (recorded, where a test does not
run them through the webhooks outbox)."""

import uuid
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from cases.models import Category
from governance.clients import register
from governance.models import ApiClient
from hotline.models import CategoryMap
from tests.cases.conftest import category, file_case, photo, user  # noqa: F401 (fixtures)
from tests.webhooks.conftest import receiver, subscribe  # noqa: F401 (fixtures)

URL = "/api/hotline/work-orders/"
CALLER = {"name": "李秀兰", "phone": "13812345678"}


@pytest.fixture
def hotline(demo):
    """(client application, key) of the 12345 hotline."""
    cache.clear()  # the rate limit's history of earlier tests' clients
    client = ApiClient(name="12345热线", kind=ApiClient.Kind.HOTLINE, rate_per_minute=1000)
    return client, register(client)


@pytest.fixture
def mapping(demo):
    """The hotline's code "HL-0101" (exposed rubbish) files under our 0101."""
    return CategoryMap.objects.create(
        code="HL-0101", name="环境卫生", category=Category.objects.get(code="0101")
    )


@pytest.fixture
def order(home_grids, mapping):
    """order(**changes) → a valid work order body, a new number each time, located at the
    centre of grid1's grid; a change to None leaves that field out."""

    def make(**changes):
        now = timezone.now()
        body = {
            "number": f"GZ12345-{uuid.uuid4().hex[:12]}",
            "category": mapping.code,
            "content": "小区门口垃圾堆积多日，无人清理",
            "lng": home_grids[0].centroid_lng,
            "lat": home_grids[0].centroid_lat,
            "address": "黄埔花园小区东门",
            "caller": dict(CALLER),
            "due_at": (now + timedelta(days=3)).isoformat(),
            "return_by": (now + timedelta(hours=2)).isoformat(),
        }
        body.update(changes)
        return {k: v for k, v in body.items() if v is not None}

    return make


@pytest.fixture
def post(hotline):
    """post(body, key=the hotline's, lang="zh-hans") → the API's answer."""

    def send(body, *, key=hotline[1], lang="zh-hans", **extra):
        api = APIClient()
        headers = {"HTTP_ACCEPT_LANGUAGE": lang, **extra}
        if key is not None:
            headers["HTTP_X_API_KEY"] = key
        return api.post(URL, body, format="json", **headers)

    return send


@pytest.fixture
def sent(monkeypatch):
    """The answers handed to the outbox, as (event type, payload, case id, key), instead of
    writing them (for tests about what is sent, not how it travels)."""
    calls = []

    def record(event_type, payload, *, case, key=None):
        calls.append((event_type, payload, case.pk, key))

    monkeypatch.setattr("hotline.outbound.send", record)
    return calls
