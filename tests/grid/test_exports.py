"""Exporting the registry: statistics without personal data for anyone who sees the area, the
personal export only for allowed roles and always audited; CSV with a BOM for Excel."""

import csv
import io
from datetime import date

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.utils import translation

from grid import exports, imports, registry, services
from grid.models import Area, AuditEntry, CareTag
from tests.grid.conftest import resident_id

pytestmark = pytest.mark.django_db

TODAY = date(2025, 6, 1)


@pytest.fixture
def street_grid(home_community, admin_user):
    """A grid of its own in 黄埔花园社区 with four people, so the counts are exact:
    a man of 75 living alone, a girl of 4 (floating), a woman of 85 (left-behind, disabled and on
    the minimum allowance) and a foreign man with a passport and no known birth date."""
    grid = services.create_area(
        level=Area.Level.GRID,
        code=f"{home_community.code}09",
        name="测试网格",
        parent=home_community,
    )
    building = registry.create_building(actor=admin_user, grid=grid, number="9", address="9栋")
    house = registry.create_house(actor=admin_user, building=building, floor=1, number="101")
    tags = {tag.code: tag for tag in CareTag.objects.all()}
    people = [
        registry.register_person(
            actor=admin_user, house=house, name="何伯", id_number=resident_id(date(1950, 1, 1), 51),
            phone="13911112222", care_tags=[tags["elderly_alone"]],
        ),
        registry.register_person(
            actor=admin_user, house=house, name="何小妹", population_type="floating",
            id_number=resident_id(date(2020, 12, 1), 62),
        ),
        registry.register_person(
            actor=admin_user, house=house, name="何婆婆", population_type="left_behind",
            id_number=resident_id(date(1940, 5, 5), 72), other_phone="020-12345678",
            care_tags=[tags["disabled"], tags["low_income"]],
        ),
        registry.register_person(
            actor=admin_user, house=house, name="John Smith", population_type="foreign",
            id_type="passport", id_number="E12345678", sex="1",
        ),
    ]  # fmt: skip
    return {"grid": grid, "house": house, "people": people}


def user(username):
    return get_user_model().objects.get(username=username)


def signed_in(username) -> Client:
    client = Client()
    client.force_login(user(username))
    return client


def personal_values(*groups) -> list[str]:
    values = []
    for people in groups:
        for person in people:
            values += [person.name, person.id_number, person.phone, person.other_phone]
    return [value for value in values if value]


# Statistics


def test_statistics_count_the_living_by_population_sex_age_and_care_tag(street_grid):
    with translation.override("en"):
        sheet = exports.statistics(street_grid["grid"], today=TODAY)

    tags = list(CareTag.objects.values_list("code", flat=True))
    assert sheet.header[:17] == [
        "Grid code", "Community", "Grid", "Persons", "Registered (户籍)", "Floating (流动)",
        "Left-behind (留守)", "Foreign (境外)", "Male", "Female", "Other or not stated",
        "Age 0–6", "Age 7–17", "Age 18–59", "Age 60–79", "Age 80 and over", "Age unknown",
    ]  # fmt: skip
    assert sheet.header[17:] == list(CareTag.objects.values_list("name_en", flat=True))
    grid = street_grid["grid"]
    by_tag = {"elderly_alone": 1, "disabled": 1, "low_income": 1}
    counts = [4, 1, 1, 1, 1, 2, 2, 0, 1, 0, 0, 1, 1, 1] + [by_tag.get(t, 0) for t in tags]
    assert sheet.rows == [
        [grid.code, "黄埔花园社区", "测试网格", *counts],
        ["", "", "Total", *counts],
    ]


def test_statistics_leave_out_people_who_moved_out(street_grid, admin_user):
    registry.move_out(street_grid["people"][0], actor=admin_user)

    sheet = exports.statistics(street_grid["grid"], today=TODAY)

    assert sheet.rows[0][3] == 3


def test_statistics_of_a_community_have_a_row_per_grid_in_a_few_queries(
    street_grid, home_community, django_assert_max_num_queries
):
    with django_assert_max_num_queries(4):
        sheet = exports.statistics(home_community, today=TODAY)

    grids = list(home_community.children.order_by("code").values_list("code", flat=True))
    assert [row[0] for row in sheet.rows] == [*grids, ""]
    assert sheet.rows[-1][3] == sum(row[3] for row in sheet.rows[:-1])


def test_the_statistics_csv_starts_with_a_bom_and_holds_no_personal_data(
    street_grid, family, home_community
):
    response = signed_in("supervisor").get(
        f"/registry/exports/{home_community.pk}/statistics.csv", HTTP_ACCEPT_LANGUAGE="en"
    )

    body = b"".join(response.streaming_content)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert body.startswith(b"\xef\xbb\xbf")
    text = body.decode("utf-8-sig")
    family_people = [family["head"], family["spouse"], family["son"]]
    for value in personal_values(street_grid["people"], family_people):
        assert value not in text
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:4] == ["Grid code", "Community", "Grid", "Persons"]
    assert rows[-1][3] == str(sum(int(row[3]) for row in rows[1:-1]))


def test_the_statistics_xlsx_holds_no_personal_data(street_grid, home_community):
    response = signed_in("community").get(f"/registry/exports/{home_community.pk}/statistics.xlsx")

    book = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
    cells = [
        str(v) for row in book.active.iter_rows(values_only=True) for v in row if v is not None
    ]
    assert response.status_code == 200
    for value in personal_values(street_grid["people"]):
        assert not any(value in cell for cell in cells)


def test_a_grid_worker_gets_404_for_the_statistics_of_another_grid(home_grids):
    response = signed_in("grid1").get(f"/registry/exports/{home_grids[1].pk}/statistics.csv")

    assert response.status_code == 404


# The personal export


@pytest.mark.parametrize("username", ["supervisor", "grid1"])
def test_the_personal_export_is_refused_to_supervisors_and_grid_workers(
    username, home_grids, family
):
    client = signed_in(username)
    url = f"/registry/exports/{home_grids[0].pk}/persons/"

    assert client.get(url).status_code == 403
    assert client.post(url, {"file_format": "csv", "reason": "x"}).status_code == 403
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT).exists()


def test_the_personal_export_service_refuses_a_supervisor(home_grids):
    with pytest.raises(PermissionDenied):
        exports.persons(home_grids[0], actor=user("supervisor"), file_format="csv")


def test_community_staff_export_full_personal_data_and_it_is_audited(street_grid):
    grid = street_grid["grid"]
    client = signed_in("community")
    assert client.get(f"/registry/exports/{grid.pk}/persons/").status_code == 200

    response = client.post(
        f"/registry/exports/{grid.pk}/persons/", {"file_format": "csv", "reason": "低保复核"}
    )

    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    by_name = {row[7]: row for row in rows[1:]}
    he = street_grid["people"][0]
    # A leading tab keeps Excel from turning the 18 digits into 4.4E+17; importing strips it.
    assert by_name["何伯"][10] == "\t" + he.id_number
    assert by_name["何伯"][21] == he.phone
    assert by_name["何婆婆"][22] == "020-12345678"
    assert by_name["何婆婆"][-1] == "残疾人、低保"
    assert sorted(by_name) == ["John Smith", "何伯", "何婆婆", "何小妹"]
    entry = AuditEntry.objects.get(action=AuditEntry.Action.EXPORT)
    assert (entry.actor, entry.model, entry.object_id) == (user("community"), "Area", grid.pk)
    assert entry.detail == "persons=4 format=csv reason=低保复核"
    assert he.id_number not in entry.detail + entry.fields


def test_the_personal_export_in_xlsx_keeps_id_numbers_as_text(street_grid):
    grid = street_grid["grid"]

    response = signed_in("community").post(
        f"/registry/exports/{grid.pk}/persons/", {"file_format": "xlsx", "reason": "走访"}
    )

    book = openpyxl.load_workbook(io.BytesIO(response.content))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0][10] == "证件号码"
    assert street_grid["people"][0].id_number in [row[10] for row in rows[1:]]


def test_the_personal_export_needs_a_reason(street_grid):
    grid = street_grid["grid"]

    response = signed_in("community").post(
        f"/registry/exports/{grid.pk}/persons/", {"file_format": "csv", "reason": ""}
    )

    assert response.status_code == 400
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT).exists()


def test_the_personal_export_reads_back_as_a_persons_table(street_grid):
    sheet = exports.persons(
        street_grid["grid"], actor=user("community"), file_format="csv", reason="test"
    )

    tables = imports.read_tables(exports.to_csv(sheet))

    assert [(t.kind, len(t.rows)) for t in tables] == [("persons", 4)]
    he = next(row for row in tables[0].rows if row.values["name"] == "何伯")
    assert imports.Cells(he).id_number("id_number") == street_grid["people"][0].id_number


def test_a_value_that_looks_like_a_formula_stays_text(street_grid, admin_user):
    registry.register_person(actor=admin_user, house=street_grid["house"], name="=1+2", sex="2")
    sheet = exports.persons(street_grid["grid"], actor=admin_user, file_format="xlsx")

    book = openpyxl.load_workbook(io.BytesIO(exports.to_xlsx(sheet)))
    names = [row[7] for row in book.active.iter_rows()]
    csv_text = exports.to_csv(
        exports.persons(street_grid["grid"], actor=admin_user, file_format="csv")
    ).decode("utf-8-sig")

    formula = next(cell for cell in names if cell.value == "=1+2")
    assert formula.data_type == "s"
    assert "\t=1+2" in csv_text
