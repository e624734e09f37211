"""What every page's <head> names: an icon of our own static files, so no browser asks for
/favicon.ico (a 404, and an error in the console, on every page)."""

import re

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

pytestmark = pytest.mark.django_db

ICON = re.compile(r'<link rel="icon"[^>]* href="/static/([^"]+)"')


@pytest.mark.parametrize(
    ("username", "path"),
    [
        (None, "/accounts/login/"),
        ("community", "/"),
        ("community", "/console/cases/"),
        ("community", "/party/"),
        ("supervisor", "/dashboard/"),
        ("supervisor", "/dashboard/wall/"),
        ("grid1", "/field/report/"),
    ],
)
def test_every_page_names_an_icon_that_is_served(demo, django_user_model, username, path):
    client = Client()
    if username:
        client.force_login(django_user_model.objects.get(username=username))

    page = client.get(path)

    assert page.status_code == 200
    icon = ICON.search(page.content.decode())
    assert icon, f"{path} names no icon"
    assert finders.find(icon.group(1)), icon.group(1)


def test_the_site_root_serves_a_favicon_for_pages_that_name_none():
    # The admin's and the API docs' pages name no icon, so a browser asks for /favicon.ico.
    icon = Client().get("/favicon.ico")

    assert icon.status_code == 200
    assert icon["Content-Type"] in ("image/x-icon", "image/vnd.microsoft.icon")
    assert b"".join(icon.streaming_content)[:4] == b"\x00\x00\x01\x00"
