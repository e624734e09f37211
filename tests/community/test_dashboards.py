"""Community services on the supervisor's dashboard and the monthly report, and their table
through the API with CSV and XLSX downloads, scoped like the other figures."""

import io

import openpyxl
import pytest
from django.test import Client

from community import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def activity(record, elderly, user):
    done = record()
    services.accept_request(done, actor=user("community"))
    services.complete_request(done, actor=user("community"), result="ok", satisfaction=5)
    record(service="legal_advice")
    services.record_visit(actor=user("grid1"), person=elderly, findings="好")


def _page(username, user, url):
    client = Client()
    client.force_login(user(username))
    return client.get(url)


def test_the_supervisor_dashboard_shows_community_services(activity, user, home_community):
    page = _page("supervisor", user, f"/dashboard/?unit={home_community.pk}")

    html = page.content.decode()
    assert page.status_code == 200
    assert "data-community-section" in html
    tile = html.split('data-community-tile="received">')[1].split("<")[0]
    assert tile == "2"
    assert "社保业务代办" in html.split("data-top-services")[1]


def test_the_monthly_report_shows_community_services(activity, user, home_community):
    page = _page("community", user, f"/dashboard/report/?unit={home_community.pk}")

    assert page.status_code == 200
    assert "data-community-section" in page.content.decode()


def test_the_table_downloads_as_csv_and_xlsx(activity, login, home_community, home_grids):
    client = login("supervisor")

    body = client.get(f"/api/community-metrics/summary/?unit={home_community.pk}").json()
    csv = client.get(f"/api/community-metrics/summary/?unit={home_community.pk}&export=csv")
    xlsx = client.get(f"/api/community-metrics/summary/?unit={home_community.pk}&export=xlsx")

    total = body["rows"][-1]
    assert (total["received"], total["done"], total["satisfaction"]) == (2, 1, 5.0)
    assert [r["name"] for r in body["rows"][:-1]] == [g.name for g in home_grids]
    assert csv.status_code == 200
    assert home_grids[0].name in csv.content.decode("utf-8-sig")
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet.max_row == len(home_grids) + 2


def test_a_unit_outside_the_jurisdiction_is_404(login, other_street, catalogue):
    response = login("community").get(f"/api/community-metrics/summary/?unit={other_street.pk}")

    assert response.status_code == 404
