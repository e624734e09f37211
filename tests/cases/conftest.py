"""Case fixtures: demo users by login name, categories, a photo upload, and a filed case."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from cases import services
from cases.models import Category


@pytest.fixture
def user(demo):
    """user("grid1") → that demo user."""
    return lambda username: get_user_model().objects.get(username=username)


@pytest.fixture
def category(demo):
    """category("0501") → the demo category with that code."""
    return lambda code: Category.objects.get(code=code)


def make_photo(name: str = "site.jpg", size=(64, 48)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(buffer, format="JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


@pytest.fixture
def photo():
    return make_photo


@pytest.fixture
def file_case(home_grids, user, category):
    """file_case(code="0101", by="grid1", **more) → a case filed at the centre of grid1's grid."""

    def make(code: str = "0101", by: str = "grid1", **more):
        grid = more.pop("grid", home_grids[0])
        fields = {
            "reporter": user(by),
            "category": category(code),
            "title": more.pop("title", "测试事件"),
            "lng": grid.centroid_lng,
            "lat": grid.centroid_lat,
            **more,
        }
        case, _created = services.report_case(**fields)
        return case

    return make
