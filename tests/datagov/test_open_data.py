"""Open statistics (数据开放): public, from 普遍共享 data only, suppressed, downloadable, cached,
rate-limited, and strict about its query."""

import csv
import io
from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.db.models import Sum
from django.utils import timezone

from cases import rollups
from cases import services as case_services
from cases.models import AreaRollup, Category
from datagov import catalogue, openstats
from datagov.models import Dataset, DatasetField, PopulationCount, SharingClass
from grid.models import Area
from tests.datagov.test_suppression import determined

pytestmark = pytest.mark.django_db
URL = "/open-data/statistics.json"
# Persons of the district's first three communities (in code order) by age band (lower bound):
# the first has 3 aged 18–59.
POPULATION = {0: {18: 3, 60: 40, 80: 6}, 1: {18: 30, 60: 22, 80: 7}, 2: {18: 12, 60: 9, 80: 50}}


@pytest.fixture
def communities(demo):
    return list(Area.objects.filter(level=Area.Level.COMMUNITY).order_by("code"))


@pytest.fixture
def population(communities):
    PopulationCount.objects.bulk_create(
        PopulationCount(
            grid=communities[c].children.order_by("code").first(),
            population_type="registered",
            age_band=band,
            persons=n,
        )
        for c, bands in POPULATION.items()
        for band, n in bands.items()
    )
    return POPULATION


def _get(client, **params):
    return client.get(URL, params)


def test_the_public_endpoint_needs_no_login(client, demo, communities, population):
    response = _get(client, table="population_by_age")

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-cache"
    body = response.json()
    assert body["licence"].startswith("许可")
    assert body["area"] == {"code": demo.code, "name": demo.name}
    assert [row["key"] for row in body["rows"]] == [c.code for c in communities] + ["total"]
    assert body["rows"][0]["label"] == f"{communities[0].parent.name} {communities[0].name}"


def test_a_cell_of_three_is_shown_under_five_and_cannot_be_derived(client, communities, population):
    body = _get(client, table="population_by_age").json()
    keys = [c["key"] for c in body["columns"]][:-1]  # the bands, then the total
    rows = body["rows"]

    assert rows[0]["cells"][keys.index("18")] == "<5"
    # What the attacker has: every shown number, and the true table behind the hidden ones.
    truth = [[POPULATION.get(c, {}).get(int(k), 0) for k in keys] for c in range(len(communities))]
    from datagov.suppression import with_totals

    values = with_totals(truth)
    hidden = [[isinstance(cell, str) for cell in row["cells"]] for row in rows]
    for i, row in enumerate(rows):
        for j, cell in enumerate(row["cells"]):
            if not hidden[i][j]:
                assert cell == values[i][j]
    assert determined(values, hidden) == {}


def test_no_table_survives_closing_any_field_it_is_made_of(demo, population):
    months = openstats.Months.of_year(timezone.localdate().year)
    for key, table in openstats.TABLES.items():
        assert openstats.statistics(key, demo, months) is not None, key
        for dataset, name in table.fields:
            field = DatasetField.objects.get(dataset__key=dataset, name=name)
            DatasetField.objects.filter(pk=field.pk).update(sharing_class=SharingClass.ON_REQUEST)
            openstats.bump_version()

            assert openstats.statistics(key, demo, months) is None, (key, name)

            DatasetField.objects.filter(pk=field.pk).update(sharing_class=field.sharing_class)
            openstats.bump_version()


def test_closing_a_field_closes_its_table_at_once_despite_the_cache(
    client, admin_user, population, django_capture_on_commit_callbacks
):
    params = {"table": "population_by_age"}
    assert _get(client, **params).status_code == 200
    PopulationCount.objects.all().delete()  # the cached table is still served
    cached = _get(client, **params).json()
    assert any(cell == "<5" for row in cached["rows"] for cell in row["cells"])

    dataset = Dataset.objects.get(key="datagov.populationcount")
    with django_capture_on_commit_callbacks(execute=True):
        catalogue.change_class(
            dataset,
            field=dataset.fields.get(name="age_band"),
            to_class=SharingClass.ON_REQUEST,
            reason="年龄段需评估",
            actor=admin_user,
        )

    closed = _get(client, **params)
    assert closed.status_code == 404
    assert "普遍共享" in closed.json()["detail"]
    page = client.get("/open-data/").content.decode()
    assert 'data-table="population_by_age"' not in page
    assert 'data-table="population_by_type"' in page
    assert "data-closed" in page


def test_the_page_is_public_and_shows_suppressed_cells(client, population):
    response = client.get("/open-data/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "&lt;5" in page
    assert 'data-table="cases_by_area"' in page
    assert "CC BY 4.0" in page


def test_csv_download_carries_the_licence_line_first(client, population):
    response = client.get("/open-data/statistics.csv", {"table": "population_by_age"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    text = response.content.decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text)))
    assert lines[0][0].startswith("# 许可")
    assert "CC BY 4.0" in lines[0][0]
    assert lines[1][:2] == ["编码", "区域"]
    assert lines[-1][1] == "合计"
    assert "<5" in {cell for line in lines[2:] for cell in line}


def test_cases_by_area_and_month_read_the_rollups(client, demo, home_street, home_grids):
    users = get_user_model().objects
    for n in range(6):
        case_services.report_case(
            reporter=users.get(username="grid1"),
            category=Category.objects.get(code="0101"),
            title=f"垃圾{n}",
            grid=home_grids[0],
        )
    rollups.fold_all()
    today = timezone.localdate()
    body = _get(client, table="cases_by_area", year=str(today.year)).json()

    months = [f"{today.year}-{m:02d}" for m in range(1, 13)]
    assert [c["key"] for c in body["columns"]] == [*months, "total"]
    this_month = months.index(f"{today:%Y-%m}")
    row = next(r for r in body["rows"] if r["key"] == home_grids[0].parent.code)
    assert row["cells"][this_month] == 6
    assert row["cells"][-1] == 6
    assert body["rows"][-1]["cells"][-1] == 6


def test_case_handling_hides_rates_of_small_counts(client, communities):
    big, small, middle = communities[:3]
    category = Category.objects.filter(parent__isnull=False).first()
    day = timezone.localdate()
    AreaRollup.objects.bulk_create(
        [
            AreaRollup(day=day, area=big, category=category, level=4, received=40,
                       closed=30, handling_seconds=30 * 7200, callbacks=20, satisfied=18),
            AreaRollup(day=day, area=small, category=category, level=4, received=12,
                       closed=3, handling_seconds=3 * 3600, callbacks=2, satisfied=2),
            AreaRollup(day=day, area=middle, category=category, level=4, received=50,
                       closed=8, handling_seconds=8 * 3600, callbacks=9, satisfied=3),
        ]
    )  # fmt: skip

    body = _get(client, table="case_handling").json()

    rows = {r["key"]: r["cells"] for r in body["rows"]}
    assert rows[big.code] == [40, 30, 2.0, 20, 90.0]
    assert rows[small.code] == [12, "<5", None, "<5", None]
    # The smallest other count of each column is hidden too, so that the small one is not the
    # total less the rest; the rates of hidden counts go with them.
    assert rows[middle.code] == [50, "x", None, "x", None]
    assert rows["total"] == [102, 41, round((30 * 7200 + 11 * 3600) / 41 / 3600, 2), 31, 74.19]


@pytest.mark.parametrize(
    ("params", "fields", "message"),
    [
        ({"table": "nope"}, {"table"}, "请选择"),
        ({}, {"table"}, "cases_by_area"),
        ({"table": "cases_by_area", "year": "26"}, {"year"}, "四位数字"),
        ({"table": "cases_by_area", "year": "２０２６"}, {"year"}, "四位数字"),
        ({"table": "cases_by_area", "year": "1999"}, {"year"}, "2000"),
        ({"table": "x" * 5000, "year": "9999"}, {"table", "year"}, "2000"),
        ({"table": "cases_by_area", "area": "440112001"}, {"area"}, "只接受"),
    ],
)
def test_bad_queries_are_400_with_a_message_per_parameter(client, demo, params, fields, message):
    response = _get(client, **params)

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == fields
    assert any(message in m for messages in errors.values() for m in messages)
    assert "x" * 100 not in response.content.decode()  # the input is not echoed


def test_bad_queries_answer_in_english_when_asked(client, demo):
    response = client.get(URL, {"table": "cases_by_area", "year": "3000"},
                          HTTP_ACCEPT_LANGUAGE="en")  # fmt: skip

    assert response.status_code == 400
    year = timezone.localdate().year
    assert response.json()["errors"]["year"] == [
        f"Statistics are published for the years 2000 to {year}."
    ]


def test_the_public_endpoint_is_rate_limited_per_address(client, demo, settings):
    settings.SANHUA_OPEN_DATA_RATE = "3/min"
    answers = [_get(client, table="population_by_type").status_code for _ in range(4)]
    other = client.get(URL, {"table": "population_by_type"}, REMOTE_ADDR="10.0.0.9")

    assert answers == [200, 200, 200, 429]
    assert other.status_code == 200


def test_queries_of_the_public_endpoint_are_few_and_one_once_cached(
    client, demo, population, django_assert_num_queries
):
    params = {"table": "cases_by_area"}
    with django_assert_num_queries(4):  # district, catalogue classes, communities, rollups
        assert _get(client, **params).status_code == 200
    with django_assert_num_queries(1):  # the district
        assert _get(client, **params).status_code == 200


def test_population_counts_follow_the_registry(demo, home_grids, family):
    catalogue.count_population(today=date(2026, 6, 1))

    counted = PopulationCount.objects.filter(grid=home_grids[0])
    assert dict(counted.values_list("age_band").annotate(n=Sum("persons"))) == {18: 3}


def test_tables_refreshed_ahead_are_served_without_building(
    client, demo, population, monkeypatch, django_assert_num_queries
):
    """What beat runs before the cached copies expire: every table of this year, in each
    language, is waiting for the first visitor, who then costs only the district's query."""
    kept = openstats.refresh()
    assert kept == len(openstats.TABLES) * 2  # one district, two languages

    def no_building(*args):
        raise AssertionError("a refreshed table was built again in the request")

    monkeypatch.setattr(openstats, "_build", no_building)
    for table in openstats.TABLES:
        with django_assert_num_queries(1):  # the district
            assert _get(client, table=table).status_code == 200
    with django_assert_num_queries(1):
        english = client.get(
            "/open-data/statistics.json", {"table": "cases_by_area"}, HTTP_ACCEPT_LANGUAGE="en"
        )
    assert english.status_code == 200
    assert english.json()["rows"][-1]["label"] == "Total"
