"""The metrics API on the fixed history of tests/cases/histories.py: KPI tiles with comparisons,
rankings, trend, category mix, grid workers, live counts, weights and downloads; scoped like
every other endpoint; bad input answered per field."""

import io

import openpyxl
import pytest
from django.contrib.auth import get_user_model

from cases.models import Category, ScoreWeight
from grid.models import Department
from tests.cases import histories

pytestmark = pytest.mark.django_db

clock = histories.clock
history = histories.history
MARCH = {"start": "2026-03-01", "end": "2026-03-31"}


def tiles(response) -> dict:
    return {row["key"]: row for row in response.json()["rows"]}


def test_the_summary_compares_the_period_with_the_one_before_and_last_year(
    history, login, home_community
):
    response = login("community").get("/api/metrics/summary/", {"unit": home_community.pk, **MARCH})

    assert response.status_code == 200
    body, kpi = response.json(), tiles(response)
    assert body["unit"]["name"] == "黄埔花园社区"
    assert body["previous_period"] == {"start": "2026-01-29", "end": "2026-02-28"}
    assert body["last_year_period"] == {"start": "2025-03-01", "end": "2025-03-31"}
    # February holds J only (closed): 1 received, closure rate 100%.
    assert {k: kpi["received"][k] for k in ("value", "previous", "mom", "last_year", "yoy")} == {
        "value": 9,
        "previous": 1,
        "mom": 800.0,
        "last_year": 0,
        "yoy": None,
    }
    assert (kpi["closure_rate"]["value"], kpi["closure_rate"]["mom"]) == (71.43, -28.57)
    assert (body["score"], body["grade"]) == (53.72, "red")


def test_a_user_without_a_unit_sees_their_widest_area_this_month(history, clock, login, home_grids):
    clock.set(histories.march(20, 12))

    response = login("grid1").get("/api/metrics/summary/")

    body = response.json()
    assert body["unit"]["id"] == home_grids[0].pk
    assert body["period"] == {"start": "2026-03-01", "end": "2026-03-20"}
    assert tiles(response)["received"]["value"] == 6  # A B E F G K


def test_an_area_or_department_outside_the_jurisdiction_is_not_found(
    history, login, home_grids, home_community
):
    grid1 = login("grid1")
    transport = Department.objects.get(name="区交通运输局")
    construction = Department.objects.get(name="区住房和城乡建设局")

    assert grid1.get("/api/metrics/summary/", {"unit": home_grids[1].pk}).status_code == 404
    assert grid1.get("/api/metrics/trend/", {"unit": home_community.pk}).status_code == 404
    assert grid1.get("/api/metrics/summary/", {"department": transport.pk}).status_code == 404
    staff = login("transport")
    assert staff.get("/api/metrics/summary/", {"department": construction.pk}).status_code == 404
    assert staff.get("/api/metrics/summary/").status_code == 404  # no area at all


def test_department_staff_see_their_own_department(history, login):
    transport = Department.objects.get(name="区交通运输局")

    response = login("transport").get(
        "/api/metrics/summary/", {"department": transport.pk, **MARCH}
    )

    assert response.status_code == 200
    kpi = tiles(response)
    assert (kpi["dispatched"]["value"], kpi["refusal_rate"]["value"]) == (1, 100.0)
    ranking = login("transport").get("/api/metrics/ranking/", {"level": "department", **MARCH})
    assert [row["name"] for row in ranking.json()["rows"]] == ["区交通运输局"]


def test_the_grids_of_a_community_are_ranked_by_composite_score(
    history, login, home_community, home_grids
):
    response = login("community").get(
        "/api/metrics/ranking/", {"unit": home_community.pk, "level": "grid", **MARCH}
    )

    assert response.status_code == 200
    rows = response.json()["rows"]
    # grid1's grid: A B E F G K, 4 due to close (F not registered, E suspended), A B G closed
    # at the grid and on time, B G reworked, A satisfied of A B G: (75×25 + 75×30 + 100×15 +
    # (100 − 66.67)×10 + 33.33×20) / 100. grid2's: C D H due, C H closed, neither on time.
    by_name = {row["name"]: row for row in rows}
    first, second = by_name["黄埔花园社区第1网格"], by_name["黄埔花园社区第2网格"]
    assert (first["score"], first["grade"], first["rank"]) == (66.25, "red", 1)
    assert (second["closure_rate"], second["on_time_rate"], second["rank"]) == (66.67, 0.0, 2)
    assert [row["rank"] for row in rows] == [1, 2, None, None]  # two grids without cases
    assert len(rows) == len(home_grids)


def test_the_departments_are_ranked_for_the_district(history, login):
    response = login("district").get("/api/metrics/ranking/", {"level": "department", **MARCH})

    rows = {row["name"]: row for row in response.json()["rows"]}
    assert rows["区住房和城乡建设局"]["done_on_time_rate"] == 33.33
    assert rows["区住房和城乡建设局"]["rank"] == 1
    assert rows["区交通运输局"]["refusal_rate"] == 100.0


def test_a_ranking_level_above_the_unit_is_refused(history, login, home_community):
    response = login("community").get(
        "/api/metrics/ranking/",
        {"unit": home_community.pk, "level": "street"},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {"level": ["Choose a level at or below the unit's."]}


def test_the_trend_has_every_day_of_the_period(history, login, home_community):
    response = login("community").get("/api/metrics/trend/", {"unit": home_community.pk, **MARCH})

    rows = response.json()["rows"]
    assert response.json()["interval"] == "day"
    assert len(rows) == 31
    assert rows[1] == {  # 2 March: A (closed) and B (closed)
        "period": "2026-03-02",
        "received": 2,
        "accepted": 2,
        "closed": 2,
        "overdue": 0,
        "closure_rate": 100.0,
        "on_time_rate": 100.0,
        "satisfaction_rate": 50.0,
    }
    assert (rows[0]["received"], rows[0]["closure_rate"]) == (0, None)


def test_a_long_trend_goes_by_month(history, login, home_community):
    response = login("community").get(
        "/api/metrics/trend/",
        {"unit": home_community.pk, "start": "2026-01-01", "end": "2026-04-30"},
    )

    rows = response.json()["rows"]
    assert [(r["period"], r["received"]) for r in rows] == [
        ("2026-01-01", 0),
        ("2026-02-01", 1),
        ("2026-03-01", 9),
        ("2026-04-01", 0),
    ]


def test_the_category_mix_counts_main_classes_most_frequent_first(history, login, home_community):
    response = login("community").get(
        "/api/metrics/categories/", {"unit": home_community.pk, **MARCH}
    )

    assert [(r["code"], r["received"], r["closed"]) for r in response.json()["rows"]] == [
        ("01", 6, 4),
        ("02", 1, 0),
        ("05", 1, 0),
        ("08", 1, 1),
    ]
    by_sub = login("community").get(
        "/api/metrics/categories/", {"unit": home_community.pk, "by": "sub", **MARCH}
    )
    assert [r["code"] for r in by_sub.json()["rows"]] == ["0101", "0201", "0501", "0802"]


def test_a_category_filter_narrows_the_summary(history, login, home_community):
    category = Category.objects.get(code="0802")

    response = login("community").get(
        "/api/metrics/summary/", {"unit": home_community.pk, "category": category.pk, **MARCH}
    )

    assert tiles(response)["received"]["value"] == 1


def test_the_grid_workers_figures_show_their_valid_reports(history, login, home_community):
    response = login("community").get("/api/metrics/workers/", {"unit": home_community.pk, **MARCH})

    rows = [(r["username"], r["reported"], r["valid_report_rate"]) for r in response.json()["rows"]]
    assert rows == [("grid1", 6, 83.33), ("grid2", 3, 100.0)]


def test_the_live_counts_show_open_and_overdue_cases_and_the_overdue_list(
    history, login, home_grids
):
    response = login("district").get("/api/metrics/live/")

    body = response.json()
    assert [(lv["level"], lv["open"], lv["overdue"]) for lv in body["levels"]] == [
        (1, 1, 1),
        (2, 0, 0),
        (3, 0, 0),
        (4, 2, 0),
    ]
    # A grid's open cases are those of its own, whichever level holds them: K, D and I.
    open_by_grid = {a["id"]: a["open"] for a in body["areas"] if a["open"]}
    assert open_by_grid == {home_grids[0].pk: 1, home_grids[1].pk: 1, history["I"].grid_id: 1}
    assert [c["number"] for c in body["overdue_cases"]] == [history["D"].number]


def test_a_table_downloads_as_csv_with_a_byte_order_mark(history, login, home_community):
    response = login("community").get(
        "/api/metrics/ranking/",
        {"unit": home_community.pk, "level": "grid", "export": "csv", **MARCH},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="metrics-ranking-2026-03-01-2026-03-31.csv"'
    )
    assert response.content.startswith("\ufeff".encode())
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0].split(",")[:4] == ["Rank", "Unit", "Code", "Received"]
    assert lines[1].startswith("1,黄埔花园社区第1网格,")


def test_a_table_downloads_as_xlsx(history, login, home_community):
    response = login("community").get(
        "/api/metrics/summary/",
        {"unit": home_community.pk, "export": "xlsx", **MARCH},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == (
        "Measure",
        "This period",
        "Previous period",
        "Change on the previous period",
        "Same period last year",
        "Change on last year",
    )
    assert rows[1] == ("Received", 9, 1, 800, 0, None)


def test_bad_input_is_answered_per_field(history, login):
    client = login("district")

    def errors(**params):
        response = client.get("/api/metrics/summary/", params, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 400
        return response.json()["errors"]

    assert errors(start="2026-03-31", end="2026-03-01") == {
        "end": ["The end must not be before the start."]
    }
    assert errors(start="2020-01-01", end="2026-03-01") == {
        "start": ["Choose a period of at most 1830 days."]
    }
    assert set(errors(start="March", unit="x" * 65, category=999999, export="pdf")) == {
        "start",
        "unit",
        "category",
        "export",
    }


def test_an_administrator_changes_the_weights_and_the_scores_follow(history, login, home_community):
    client = login("admin")

    response = client.put(
        "/api/metrics/weights/",
        {"unit_kind": "area", "weights": {"closure_rate": "100"}},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["weights"]["area"] == {"closure_rate": 100.0}
    summary = client.get("/api/metrics/summary/", {"unit": home_community.pk, **MARCH})
    assert (summary.json()["score"], summary.json()["grade"]) == (71.43, "yellow")


def test_only_an_administrator_may_change_the_weights(history, login):
    client = login("supervisor")

    assert client.get("/api/metrics/weights/").json()["editable"] is False
    response = client.put(
        "/api/metrics/weights/",
        {"unit_kind": "area", "weights": {"closure_rate": "100"}},
        format="json",
    )

    assert response.status_code == 403
    assert not ScoreWeight.objects.exists()


def test_bad_weights_are_answered_per_measure(demo, login):
    response = login("admin").put(
        "/api/metrics/weights/",
        {"unit_kind": "area", "weights": {"closure_rate": "-5", "received": "3"}},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "closure_rate": ["Give a weight from 0 to 100."],
        "received": ["Only rates can be weighted."],
    }


def test_anonymous_visitors_get_no_figures(demo, client):
    assert client.get("/api/metrics/summary/").status_code in (401, 403)


def test_the_dashboard_endpoints_read_a_fixed_number_of_queries(
    history, login, demo, django_assert_max_num_queries
):
    client = login("district")
    client.get("/api/metrics/summary/", MARCH)  # the user's scope is read once per request

    with django_assert_max_num_queries(12):
        client.get("/api/metrics/summary/", MARCH)
    with django_assert_max_num_queries(10):
        client.get("/api/metrics/ranking/", {"level": "grid", **MARCH})
    with django_assert_max_num_queries(8):
        client.get("/api/metrics/trend/", MARCH)
    with django_assert_max_num_queries(8):
        client.get("/api/metrics/live/")
    assert get_user_model().objects.filter(username="district").exists()
