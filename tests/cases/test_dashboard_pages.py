"""The supervisor dashboard and the wall screen on the fixed history of tests/cases/histories.py:
scoped, drilled down, filtered, and cheap to render."""

import json
from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from cases.metrics import Period
from tests.cases import histories

pytestmark = pytest.mark.django_db

clock = histories.clock
history = histories.history
MARCH = {"start": "2026-03-01", "end": "2026-03-31"}


@pytest.fixture
def page(demo):
    """page("community") → a Django test client signed in as that demo user."""

    def sign_in(username: str) -> Client:
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        client.force_login(get_user_model().objects.get(username=username))
        return client

    return sign_in


def test_the_dashboard_shows_the_units_tiles_ranking_and_overdue_cases(
    history, page, home_community
):
    response = page("community").get("/dashboard/", MARCH)

    assert response.status_code == 200
    context = response.context
    assert context["unit"] == home_community
    tiles = {t["key"]: t for t in context["tiles"]}
    assert (tiles["received"]["shown"], tiles["closure_rate"]["shown"]) == ("9", "71.43%")
    assert tiles["received"]["mom_shown"] == {"text": "▲ 800.00%", "tone": "secondary"}
    assert tiles["closure_rate"]["mom_shown"] == {"text": "▼ 28.57pp", "tone": "danger"}
    assert [r["name"] for r in context["ranking"].rows][:2] == [
        "黄埔花园社区第1网格",
        "黄埔花园社区第2网格",
    ]
    body = response.content.decode()
    assert history["D"].number in body  # the overdue list
    assert 'id="area-map"' in body


def test_a_click_on_the_ranking_drills_down_to_a_grid(history, page, home_grids):
    response = page("community").get("/dashboard/", {"unit": home_grids[0].pk, **MARCH})

    assert response.status_code == 200
    tiles = {t["key"]: t for t in response.context["tiles"]}
    assert tiles["received"]["shown"] == "6"  # A B E F G K
    assert response.context["unit"] == home_grids[0]


def test_the_breadcrumb_shows_only_the_ancestors_in_the_jurisdiction(
    history, page, home_community, home_grids
):
    response = page("community").get("/dashboard/", {"unit": home_grids[0].pk, **MARCH})

    assert [a.name for a in response.context["ancestors"]] == [home_community.name]


def test_a_unit_outside_the_jurisdiction_is_not_found(history, page, home_grids):
    client = page("grid1")

    assert client.get("/dashboard/", {"unit": home_grids[1].pk}).status_code == 404
    for junk in ("x", "²", "１"):  # "²" is a digit to str.isdigit, not to int()
        assert client.get("/dashboard/", {"unit": junk}).status_code == 404
    assert client.get("/dashboard/wall/", {"unit": home_grids[1].pk}).status_code == 404


def test_bad_dates_are_a_400_with_the_errors_beside_their_fields_and_the_defaults_used(
    history, page
):
    response = page("community").get("/dashboard/", {"start": "2026-03-31", "end": "2026-03-01"})

    assert response.status_code == 400
    assert response.context["form"].errors == {"end": ["The end must not be before the start."]}
    assert response.context["period"].days == 30
    assert 'data-field-error="end"' in response.content.decode()


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ({"period": "custom", "start": "2026-02-30"}, {"start": ["Enter a valid date."]}),
        ({"period": "custom"}, {"start": ["Give the first day of the period."]}),
        (
            {"period": "fortnight"},
            {"period": ["Select a valid choice. fortnight is not one of the available choices."]},
        ),
    ],
)
def test_a_wrong_period_is_a_400_naming_its_field(history, page, query, errors):
    response = page("community").get("/dashboard/", query)

    assert response.status_code == 400
    assert response.context["form"].errors == errors


def test_the_dashboard_opens_on_the_last_30_days(history, page, clock):
    clock.set(histories.march(5, 10))

    response = page("community").get("/dashboard/")

    assert response.status_code == 200
    assert response.context["period"] == Period(date(2026, 2, 4), date(2026, 3, 5))
    assert response.context["preset"] == "30d"


@pytest.mark.parametrize(
    ("preset", "start", "end"),
    [
        ("week", date(2026, 3, 2), date(2026, 3, 5)),
        ("month", date(2026, 3, 1), date(2026, 3, 5)),
        ("last_month", date(2026, 2, 1), date(2026, 2, 28)),
        ("quarter", date(2026, 1, 1), date(2026, 3, 5)),
        ("year", date(2026, 1, 1), date(2026, 3, 5)),
        ("30d", date(2026, 2, 4), date(2026, 3, 5)),
    ],
)
def test_each_preset_shows_its_days(history, page, clock, preset, start, end):
    clock.set(histories.march(5, 10))

    response = page("community").get("/dashboard/", {"period": preset})

    assert response.status_code == 200
    assert response.context["period"] == Period(start, end)
    assert response.context["preset"] == preset  # quarter and year are alike in March
    form = response.context["form"]
    assert (form["start"].value(), form["end"].value()) == (start, end)


def test_a_unit_with_too_few_cases_is_not_graded_but_noted(history, page):
    response = page("community").get("/dashboard/", MARCH)

    # Nine cases in March: figures, but no traffic light.
    assert response.context["graded"] is False
    assert response.context["grade_style"] == "secondary"
    rows = response.context["ranking"].rows
    assert all(row["too_few"] and row["style"] == "secondary" for row in rows)
    body = response.content.decode()
    assert "Too few cases in this period (9) to grade" in body
    assert "text-bg-danger" not in body.split("data-score")[1].split("</div>\n    </div>")[0]


def test_the_note_is_in_chinese(history, demo):
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(get_user_model().objects.get(username="community"))

    response = client.get("/dashboard/", MARCH)

    assert "这段时间的案件太少（9 件），不足以评分" in response.content.decode()


def test_department_staff_see_their_department(history, page):
    response = page("transport").get("/dashboard/", MARCH)

    assert response.status_code == 200
    assert response.context["unit"] is None
    assert [r["name"] for r in response.context["department_ranking"].rows] == ["区交通运输局"]


def test_the_wall_screen_knows_where_to_ask_for_fresh_figures(history, page, demo):
    response = page("district").get("/dashboard/wall/")

    assert response.status_code == 200
    config = json.loads(
        response.content.decode()
        .split('id="wall-config" type="application/json">')[1]
        .split("</script>")[0]
    )
    assert config["unit"] == demo.pk
    assert config["ranking_level"] == "street"
    assert config["urls"]["live"] == "/api/metrics/live/"
    assert config["urls"]["geojson"] == f"/api/areas/geojson/?within={demo.pk}&level=4"


def test_the_wall_screen_needs_an_area(history, page):
    assert page("transport").get("/dashboard/wall/").status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(demo):
    response = Client().get("/dashboard/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_dashboard_renders_in_a_fixed_number_of_queries(
    history, page, django_assert_max_num_queries
):
    client = page("district")
    client.get("/dashboard/", MARCH)

    # 30 for the cases' figures, 6 for the party-building panel, 8 for the community-services
    # panel and 1 for the open data objections per grid (grid/extensions.py): each a fixed
    # number, whatever the rows.
    with django_assert_max_num_queries(45):
        client.get("/dashboard/", MARCH)
