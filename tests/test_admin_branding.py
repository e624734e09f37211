"""The admin says whose it is: 三化 and the district's name, never "Django 管理"."""

import pytest
from django.test import Client

from grid.models import Area

pytestmark = pytest.mark.django_db


def test_the_admin_is_branded_with_the_district_from_the_data(demo, settings):
    settings.SANHUA_DISTRICT_NAME = ""
    district = Area.objects.get(level=Area.Level.DISTRICT)
    district.name = "改名区"
    district.save(update_fields=["name"])

    page = Client(headers={"accept-language": "zh-hans"}).get("/admin/login/").content.decode()

    assert "三化管理后台 · 改名区" in page
    assert "Django" not in page


def test_a_setting_names_the_district_where_the_data_does_not(db, settings):
    settings.SANHUA_DISTRICT_NAME = "示范区"

    page = Client(headers={"accept-language": "zh-hans"}).get("/admin/login/").content.decode()

    assert "<title>登录 | 三化管理后台 · 示范区</title>" in page
