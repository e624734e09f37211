"""Open311 fixtures: a registered client application and its key, the questions a category
asks, and a form-encoded POST as the specification sends it."""

import io
from urllib.parse import urlencode

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from governance.clients import register
from governance.models import ApiClient
from open311.models import ServiceAttribute
from tests.cases.conftest import category, file_case, user  # noqa: F401 (fixtures)

BASE = "/open311/v2"


@pytest.fixture(autouse=True)
def _empty_throttles():
    """The rates are counted in the cache (per client, per address): each test starts afresh."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def app(demo):
    """An Open311 client application and its key."""
    client = ApiClient(name="街坊随手拍", kind=ApiClient.Kind.OPEN311)
    return client, register(client)


@pytest.fixture
def key(app):
    return app[1]


@pytest.fixture
def road_questions(demo):
    """Damaged road (0502) asks how deep the hole is (required) and what is hit (optional)."""
    from cases.models import Category

    road = Category.objects.get(code="0502")
    return [
        ServiceAttribute.objects.create(
            category=road,
            code="depth",
            description="坑有多深？",
            datatype="singlevaluelist",
            required=True,
            order=1,
            values=[{"key": "shallow", "name": "浅于5厘米"}, {"key": "deep", "name": "深于5厘米"}],
        ),
        ServiceAttribute.objects.create(
            category=road,
            code="affects",
            description="影响哪些人？",
            datatype="multivaluelist",
            order=2,
            values=[{"key": "cars", "name": "车辆"}, {"key": "walkers", "name": "行人"}],
        ),
    ]


@pytest.fixture
def web():
    return Client()


def form_post(web, path: str, data, **headers):
    """POST application/x-www-form-urlencoded, as the specification sends requests."""
    return web.post(
        path,
        urlencode(data, doseq=True),
        content_type="application/x-www-form-urlencoded",
        **headers,
    )


def jpeg(size=(64, 48)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, (40, 120, 200)).save(buffer, format="JPEG")
    return SimpleUploadedFile("pothole.jpg", buffer.getvalue(), content_type="image/jpeg")
