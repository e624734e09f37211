"""The monthly report (月度报告) on the fixed history of tests/cases/histories.py, the registry
statistics page (人口统计) on the registry fixtures of tests/grid/conftest.py, and the way to
them: scoped like the dashboard, bad input shown beside its field, nothing personal."""

from datetime import datetime

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from cases.calendar import SHANGHAI
from grid import idnumbers
from grid.models import CareTag
from tests.cases import histories
from tests.grid import conftest as registry_fixtures

pytestmark = pytest.mark.django_db

clock = histories.clock
history = histories.history
admin_user = registry_fixtures.admin_user
family = registry_fixtures.family
neighbour = registry_fixtures.neighbour
MARCH = {"month": "2026-03"}


@pytest.fixture
def april(history, clock):
    """The fixed history, read on 2 April 2026: March is the last complete month."""
    clock.set(datetime(2026, 4, 2, 10, tzinfo=SHANGHAI))
    return history


@pytest.fixture
def page(demo):
    """page("community") → a Django test client signed in as that demo user."""

    def sign_in(username: str) -> Client:
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        client.force_login(get_user_model().objects.get(username=username))
        return client

    return sign_in


def measures(response) -> dict:
    return {row["key"]: row for row in response.context["measures"]}


# The monthly report


def test_the_monthly_report_shows_the_months_figures_beside_the_month_before(
    april, page, home_community
):
    response = page("community").get("/dashboard/report/", {"unit": home_community.pk, **MARCH})

    assert response.status_code == 200
    rows = measures(response)
    # 黄埔花园社区, March 2026 (see tests/cases/test_metrics.py): 9 received, 5 of 7 closed;
    # February: J alone, closed. Nothing a year earlier.
    assert [rows[k]["shown"] for k in ("received", "closed", "closure_rate")] == [
        "9",
        "5",
        "71.43%",
    ]
    assert [rows[k]["shown"] for k in ("on_time_rate", "satisfaction_rate")] == [
        "42.86%",
        "50.00%",
    ]
    assert rows["average_hours"]["shown"] == "30.4 h"
    assert (rows["received"]["previous_shown"], rows["closure_rate"]["previous_shown"]) == (
        "1",
        "100.00%",
    )
    assert rows["received"]["mom_shown"] == {"text": "▲ 800.00%", "tone": "secondary"}
    assert rows["closure_rate"]["mom_shown"] == {"text": "▼ 28.57pp", "tone": "danger"}
    assert (rows["received"]["last_year_shown"], rows["received"]["yoy_shown"]) == ("0", None)
    summary = response.context["summary"]
    assert summary.meta["previous_period"] == {"start": "2026-02-01", "end": "2026-02-28"}
    assert summary.meta["last_year_period"] == {"start": "2025-03-01", "end": "2025-03-31"}
    assert (summary.meta["score"], summary.meta["grade"]) == (53.72, "red")


def test_the_monthly_report_counts_the_overdue_and_urged_cases(april, page, home_community):
    response = page("community").get("/dashboard/report/", {"unit": home_community.pk, **MARCH})

    shown = {row["key"]: row["shown"] for row in response.context["supervision"]}
    # Overdue: C E D H; still open and overdue: D, urged once; E went up by the sweeper and
    # is the one deadline the community itself missed.
    assert shown == {
        "overdue": "4",
        "overdue_open": "1",
        "urged": "1",
        "auto_escalated_out": "1",
        "deadline_misses": "1",
    }
    assert 'data-measure="urged"' in response.content.decode()


def test_the_monthly_report_ranks_the_grids_and_lists_the_categories(april, page, home_community):
    response = page("community").get("/dashboard/report/", {"unit": home_community.pk, **MARCH})

    ranking = response.context["ranking"]
    assert [(r["name"], r["received"]) for r in ranking.rows[:2]] == [
        ("黄埔花园社区第1网格", 6),  # A B E F G K
        ("黄埔花园社区第2网格", 3),  # C D H
    ]
    categories = response.context["categories"].rows
    assert [(r["code"], r["received"], r["closed"]) for r in categories] == [
        ("01", 6, 4),  # A B C F G K; F rejected, K open
        ("02", 1, 0),  # D
        ("05", 1, 0),  # E, suspended
        ("08", 1, 1),  # H
    ]
    # The community has no department of its own.
    assert response.context["department_ranking"] is None
    body = response.content.decode()
    assert "黄埔花园社区 monthly report, March 2026" in body
    # The print button, printing through the pages' script (no inline handler: the CSP).
    assert "data-print>" in body
    assert "/static/js/sanhua.js" in body


def test_the_district_report_lists_its_departments_with_work(april, page, demo):
    response = page("district").get("/dashboard/report/", {"unit": demo.pk, **MARCH})

    departments = response.context["department_ranking"].rows
    # H's dispatches: 区交通运输局 refused the first, 区住房和城乡建设局 had three.
    assert {r["name"]: (r["dispatched"], r["refused"]) for r in departments} == {
        "区交通运输局": (1, 1),
        "区住房和城乡建设局": (3, 0),
    }
    assert [r["name"] for r in response.context["ranking"].rows][0] == "黄埔街道"


def test_the_report_defaults_to_the_last_complete_month(april, page, home_community):
    response = page("community").get("/dashboard/report/", {"unit": home_community.pk})

    month = response.context["month"]
    assert (month.start.isoformat(), month.end.isoformat()) == ("2026-03-01", "2026-03-31")
    assert measures(response)["received"]["shown"] == "9"
    assert 'value="2026-03"' in response.content.decode()


@pytest.mark.parametrize(
    ("month", "error"),
    [
        ("2026-13", "Enter a month as YYYY-MM, e.g. 2026-03."),
        ("march", "Enter a month as YYYY-MM, e.g. 2026-03."),
        ("2026-05", "This month has not begun yet."),
        ("1999-12", "Choose a month from 2000-01 on."),
    ],
)
def test_a_bad_month_is_shown_beside_its_field_and_the_default_used(
    april, page, home_community, month, error
):
    response = page("community").get(
        "/dashboard/report/", {"unit": home_community.pk, "month": month}
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {"month": [error]}
    assert response.context["month"].start.isoformat() == "2026-03-01"
    assert error in response.content.decode()


def test_the_current_month_is_reported_so_far_and_compared_over_as_many_days(
    history, clock, page, home_community
):
    clock.set(histories.march(15, 9))

    response = page("community").get(
        "/dashboard/report/", {"unit": home_community.pk, "month": "2026-03"}
    )

    assert response.context["month"].end.isoformat() == "2026-03-15"
    assert response.context["summary"].meta["previous_period"] == {
        "start": "2026-02-01",
        "end": "2026-02-15",
    }
    assert "month so far" in response.content.decode()


def test_a_unit_outside_the_jurisdiction_is_not_found(april, page, home_grids):
    client = page("grid1")

    assert client.get("/dashboard/report/", {"unit": home_grids[1].pk}).status_code == 404
    assert client.get("/dashboard/report/", {"unit": "x"}).status_code == 404
    assert client.get("/dashboard/population/", {"unit": home_grids[1].pk}).status_code == 404
    assert client.get("/dashboard/population/", {"unit": home_grids[0].pk}).status_code == 200


def test_both_pages_need_an_area(demo, page):
    client = page("transport")

    assert client.get("/dashboard/report/").status_code == 404
    assert client.get("/dashboard/population/").status_code == 404


@pytest.mark.parametrize("url", ["/dashboard/report/", "/dashboard/population/"])
def test_anonymous_visitors_are_sent_to_sign_in(demo, url):
    response = Client().get(url)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_report_renders_in_a_fixed_number_of_queries(
    april, page, demo, django_assert_max_num_queries
):
    client = page("district")
    client.get("/dashboard/report/", {"unit": demo.pk, **MARCH})

    with django_assert_max_num_queries(40):
        client.get("/dashboard/report/", {"unit": demo.pk, **MARCH})


# Registry statistics


@pytest.fixture
def registry(clock, family, neighbour):
    """The registry fixtures read on 1 March 2026: in grid1's grid 陈建华 (m, 55), 林美玲 (f, 53),
    陈小明 (m, 20); in grid2's grid 黄丽 (f, 76), living alone; all registered residents."""
    neighbour["person"].care_tags.add(CareTag.objects.get(code="elderly_alone"))
    return [family["head"], family["spouse"], family["son"], neighbour["person"]]


def test_the_population_page_counts_the_persons_of_each_grid(
    registry, page, home_community, home_grids
):
    response = page("community").get("/dashboard/population/", {"unit": home_community.pk})

    assert response.status_code == 200
    rows = {row["area"]: row["counts"] for row in response.context["rows"]}
    assert list(rows) == home_grids
    grid1, grid2 = rows[home_grids[0]], rows[home_grids[1]]
    assert (grid1["total"], grid1["sex_male"], grid1["sex_female"]) == (3, 2, 1)
    assert (grid1["age_18"], grid1["age_60"], grid1["population_registered"]) == (3, 0, 3)
    assert (grid2["total"], grid2["sex_female"], grid2["age_60"]) == (1, 1, 1)
    assert (grid2["care_elderly_alone"], grid1["care_elderly_alone"]) == (1, 0)
    assert rows[home_grids[2]]["total"] == rows[home_grids[3]]["total"] == 0
    total = response.context["total"]
    assert (total["total"], total["sex_male"], total["sex_female"], total["age_60"]) == (4, 2, 2, 1)
    body = response.content.decode()
    assert f"/registry/exports/{home_community.pk}/statistics.xlsx" in body
    assert f"/registry/exports/{home_community.pk}/statistics.csv" in body


def test_the_population_page_of_a_district_sums_its_streets(registry, page, demo, home_street):
    response = page("supervisor").get("/dashboard/population/")

    assert response.context["unit"] == demo
    rows = {row["area"]: row["counts"]["total"] for row in response.context["rows"]}
    assert rows[home_street] == 4
    assert sum(rows.values()) == response.context["total"]["total"] == 4


def test_a_grid_shows_its_own_counts(registry, page, home_grids):
    response = page("grid1").get("/dashboard/population/", {"unit": home_grids[0].pk})

    assert response.context["rows"] == []
    assert response.context["total"]["total"] == 3


def test_the_population_page_holds_no_personal_data(registry, page, home_community):
    body = (
        page("community")
        .get("/dashboard/population/", {"unit": home_community.pk})
        .content.decode()
    )

    for person in registry:
        masked = (idnumbers.mask_id_number(person.id_number), idnumbers.mask_phone(person.phone))
        for value in (person.name, person.id_number, person.phone, *masked):
            if value:
                assert value not in body, value


def test_the_population_page_renders_in_a_fixed_number_of_queries(
    registry, page, demo, django_assert_max_num_queries
):
    client = page("district")
    client.get("/dashboard/population/", {"unit": demo.pk})

    with django_assert_max_num_queries(15):
        client.get("/dashboard/population/", {"unit": demo.pk})


# The way there


def test_the_dashboard_links_the_report_and_the_statistics_of_its_unit(april, page, home_community):
    body = page("community").get("/dashboard/", {"unit": home_community.pk}).content.decode()

    assert f'href="/dashboard/report/?unit={home_community.pk}"' in body
    assert f'href="/dashboard/population/?unit={home_community.pk}"' in body


def test_the_navbar_offers_the_dashboard_to_those_with_an_area(demo, page):
    with_area = page("community").get("/").content.decode()
    without = page("transport").get("/").content.decode()

    assert 'data-nav="dashboard"' in with_area
    assert 'data-nav="dashboard"' not in without


def test_the_dashboard_link_is_active_on_every_dashboard_page(april, page, home_community):
    body = page("community").get("/dashboard/report/", {"unit": home_community.pk}).content
    link = body.decode().split('data-nav="dashboard"')[0].rsplit("<a ", 1)[1]

    assert "active" in link
