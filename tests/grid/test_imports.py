"""Importing the registry from CSV and XLSX files: every bad row reported, all or nothing by
default, GB18030 accepted, the Celery task safe to run twice, the command line and the pages."""

import csv
import io
import json
import os
from datetime import date, datetime, timedelta

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from kombu.exceptions import OperationalError

from grid import imports, registry
from grid.models import (
    AuditEntry,
    Building,
    House,
    Household,
    ImportJob,
    LifeEvent,
    Membership,
    Person,
    Residence,
)
from grid.tasks import catch_up_imports, run_import
from tests.grid.conftest import resident_id

pytestmark = pytest.mark.django_db

Mode = ImportJob.Mode

ID_A = resident_id(date(1980, 1, 2), 13)  # 赵大伟, male
ID_C = resident_id(date(1985, 3, 4), 25)
ID_D = resident_id(date(2010, 6, 7), 37)
ID_E = resident_id(date(1990, 8, 9), 41)
ID_F = resident_id(date(1982, 10, 11), 26)  # 吴芳, female
BAD_CHECK = ID_C[:17] + ("0" if ID_C[17] != "0" else "1")

HEADER = ["楼栋", "单元", "楼层", "房号", "户号", "与户主关系", "姓名", "证件号码", "联系电话"]
GOOD_AND_BAD_ROWS = [
    HEADER,
    ["1", "1", "5", "501", "H-0100", "户主", "赵大伟", ID_A, "13600000001"],  # line 2: good
    ["1", "1", "", "501", "H-0100", "配偶", "钱红", BAD_CHECK, ""],  # 3: check digit
    ["1", "1", "", "501", "H-0100", "19", "孙强", ID_C, ""],  # 4: no relation 19
    ["1", "1", "", "501", "H-0100", "子", "", ID_D, ""],  # 5: no name
    ["1", "1", "", "501", "H-0100", "女", "李娜", ID_A, ""],  # 6: same ID as line 2
    ["9", "1", "", "101", "H-0101", "户主", "周杰", ID_E, ""],  # 7: no building 9
    ["1", "1", "", "501", "H-0100", "配偶", "吴芳", ID_F, "13600000002"],  # 8: good
]
BAD_LINES = [(3, "id_number"), (4, "relation"), (5, "name"), (6, "id_number"), (7, "building")]


def csv_bytes(rows, encoding="utf-8") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(sheets: dict[str, list[list]]) -> bytes:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def grid1(demo):
    return get_user_model().objects.get(username="grid1")


@pytest.fixture
def grid_one(home_grids):
    return home_grids[0]


def registry_counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Building, House, Household, Person, Membership, Residence, LifeEvent)
    } | {"changes": AuditEntry.objects.exclude(action=AuditEntry.Action.IMPORT).count()}


def lines_and_fields(report) -> list[tuple[int, str]]:
    return [(error.line, error.field) for error in report.errors]


# Bad rows


def test_a_file_with_bad_rows_writes_nothing_and_reports_every_bad_row(family, grid_one, grid1):
    before = registry_counts()

    with translation.override("en"):
        report = imports.import_file(csv_bytes(GOOD_AND_BAD_ROWS), area=grid_one, actor=grid1)

    assert registry_counts() == before
    assert lines_and_fields(report) == BAD_LINES
    messages = {error.line: error.message for error in report.errors}
    assert messages == {
        3: "The check digit does not match the rest of the ID number; check every digit.",
        4: "“19” is neither a code nor a name in this table.",
        5: "A name is required.",
        6: "This ID number is also on line 2.",
        7: "No building 9 in 黄埔花园社区第1网格.",
    }
    assert [error.column for error in report.errors] == [
        "证件号码",
        "与户主关系",
        "姓名",
        "证件号码",
        "楼栋",
    ]
    assert (report.total_rows, report.bad_rows, report.written_rows) == (7, 5, 0)


def test_the_report_never_holds_the_values_of_the_rows(family, grid_one, grid1):
    report = imports.import_file(csv_bytes(GOOD_AND_BAD_ROWS), area=grid_one, actor=grid1)

    text = json.dumps(report.error_dicts(), ensure_ascii=False)
    for value in (ID_A, BAD_CHECK, ID_C, "孙强", "李娜", "13600000001"):
        assert value not in text


def test_keeping_the_good_rows_writes_exactly_the_good_rows(family, grid_one, grid1):
    before = Person.objects.count()

    report = imports.import_file(
        csv_bytes(GOOD_AND_BAD_ROWS), area=grid_one, actor=grid1, mode=Mode.KEEP_GOOD_ROWS
    )

    assert lines_and_fields(report) == BAD_LINES
    assert report.written_rows == 2
    assert dict(report.created) == {"houses": 1, "households": 1, "persons": 2}
    assert Person.objects.count() == before + 2
    household = Household.objects.get(number="H-0100")
    house = House.objects.get(building=family["building"], unit=1, number="501")
    assert (house.floor, household.house, household.head.name) == (5, house, "赵大伟")
    members = Membership.objects.filter(household=household).order_by("relation")
    assert [(m.person.name, m.relation) for m in members] == [("赵大伟", "02"), ("吴芳", "10")]
    wu = Person.objects.get(name="吴芳")
    assert (wu.sex, wu.birth_date, wu.phone, wu.house, wu.grid) == (
        "2",
        date(1982, 10, 11),
        "13600000002",
        house,
        grid_one,
    )
    assert Residence.objects.get(person=wu).house == house
    assert LifeEvent.objects.get(person=wu).kind == LifeEvent.Kind.MOVE_IN
    assert AuditEntry.objects.filter(action="create", model="Person", object_id=wu.pk).exists()


def test_a_dry_run_writes_nothing_and_counts_what_it_would_create(family, grid_one, grid1):
    good_only = [GOOD_AND_BAD_ROWS[0], GOOD_AND_BAD_ROWS[1], GOOD_AND_BAD_ROWS[7]]
    before = registry_counts()

    report = imports.import_file(
        csv_bytes(good_only), area=grid_one, actor=grid1, mode=Mode.DRY_RUN
    )

    assert registry_counts() == before
    assert report.errors == []
    assert (report.good_rows, report.written_rows) == (2, 0)
    assert dict(report.created) == {"houses": 1, "households": 1, "persons": 2}


def test_a_clean_file_is_written_whole_in_all_or_nothing_mode(family, grid_one, grid1):
    good_only = [GOOD_AND_BAD_ROWS[0], GOOD_AND_BAD_ROWS[1], GOOD_AND_BAD_ROWS[7]]

    report = imports.import_file(csv_bytes(good_only), area=grid_one, actor=grid1)

    assert (report.errors, report.written_rows) == ([], 2)
    assert Household.objects.get(number="H-0100").persons.count() == 2


def test_an_import_leaves_one_import_entry_in_the_audit_log_with_counts_only(
    family, grid_one, grid1
):
    imports.import_file(csv_bytes(GOOD_AND_BAD_ROWS), area=grid_one, actor=grid1)

    entry = AuditEntry.objects.get(action=AuditEntry.Action.IMPORT)
    assert (entry.actor, entry.model, entry.object_id, entry.fields) == (
        grid1,
        "Area",
        grid_one.pk,
        "persons",
    )
    assert entry.detail == (
        f"area={grid_one.code} mode=all_or_nothing rows=7 bad=5 written=0 "
        "created: houses 1, households 1, persons 2"
    )


def test_a_person_already_registered_is_a_bad_row_not_an_update(family, grid_one, grid1):
    rows = [["楼栋", "房号", "户号", "与户主关系", "姓名", "证件号码"],
            ["1", "301", "H-0001", "子", "陈小明", family["son"].id_number]]  # fmt: skip

    with translation.override("en"):
        report = imports.import_file(csv_bytes(rows), area=grid_one, actor=grid1)

    assert [(e.line, e.field, e.message) for e in report.errors] == [
        (2, "id_number", "A living person with this ID number is already registered.")
    ]


def test_a_second_head_for_a_household_is_refused(family, grid_one, grid1):
    rows = [["楼栋", "房号", "户号", "与户主关系", "姓名", "证件号码"],
            ["1", "301", "H-0001", "户主", "赵大伟", ID_A]]  # fmt: skip

    with translation.override("en"):
        report = imports.import_file(csv_bytes(rows), area=grid_one, actor=grid1)

    assert [(e.line, e.field, e.message) for e in report.errors] == [
        (2, "relation", "The household already has a head.")
    ]


def test_a_sex_or_birth_date_that_contradicts_the_id_number_is_reported(family, grid_one, grid1):
    rows = [["楼栋", "房号", "姓名", "证件号码", "性别", "出生日期"],
            ["1", "301", "赵大伟", ID_A, "女", "1980-01-03"]]  # fmt: skip

    report = imports.import_file(csv_bytes(rows), area=grid_one, actor=grid1)

    assert lines_and_fields(report) == [(2, "sex"), (2, "birth_date")]


def test_an_unknown_column_stops_the_file_before_any_row(family, grid_one, grid1):
    rows = [["姓名", "证件号码", "身高"], ["赵大伟", ID_A, "180"]]

    with pytest.raises(imports.ImportFileError) as caught:
        imports.import_file(csv_bytes(rows), area=grid_one, actor=grid1)

    assert [(e.line, e.column) for e in caught.value.errors] == [(1, "身高")]


def test_a_table_without_its_required_column_is_refused(grid_one, grid1):
    rows = [["楼栋", "楼层数"], ["8", "6"]]

    with pytest.raises(imports.ImportFileError) as caught:
        imports.import_file(csv_bytes(rows), area=grid_one, actor=grid1)

    assert [(e.line, e.field) for e in caught.value.errors] == [(1, "address")]


def test_a_grid_worker_may_not_import_into_another_grid(home_grids, grid1):
    rows = [["楼栋", "地址"], ["8", "黄埔花园8栋"]]

    with pytest.raises(PermissionDenied):
        imports.import_file(csv_bytes(rows), area=home_grids[1], actor=grid1)

    assert not Building.objects.filter(number="8").exists()


# Encodings and formats


def test_a_gb18030_csv_with_chinese_headers_is_imported(family, grid_one, grid1):
    rows = [
        ["楼栋", "单元", "房号", "户号", "与户主关系", "姓名", "证件号码", "民族", "人口类型",
         "关爱标签", "人户分离", "现住址", "入住日期"],
        ["1", "1", "301", "H-0001", "母亲", "王䶮", ID_F, "汉族", "流动", "独居老人、低保", "是",
         "黄埔花园1栋301", "2024年5月1日"],
    ]  # fmt: skip
    content = csv_bytes(rows, encoding="gb18030")
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")

    report = imports.import_file(content, area=grid_one, actor=grid1)

    assert (report.errors, report.written_rows) == ([], 1)
    person = Person.objects.get(name="王䶮")
    assert (person.ethnicity, person.population_type, person.is_separated) == (
        "01",
        "floating",
        True,
    )
    assert (person.current_address, person.relation_to_head) == ("黄埔花园1栋301", "52")
    assert sorted(person.care_tags.values_list("code", flat=True)) == [
        "elderly_alone",
        "low_income",
    ]
    assert Membership.objects.get(person=person).started_on == date(2024, 5, 1)


def test_a_utf8_csv_with_a_bom_and_english_headers_is_imported(family, grid_one, grid1):
    rows = [["building", "room", "household", "relation", "name", "id_number"],
            ["1", "301", "H-0001", "52", "Wang Yan", ID_F]]  # fmt: skip

    report = imports.import_file("\ufeff".encode() + csv_bytes(rows), area=grid_one, actor=grid1)

    assert (report.errors, report.written_rows) == ([], 1)
    assert Person.objects.get(name="Wang Yan").household == family["household"]


def test_an_xlsx_workbook_imports_its_sheets_buildings_first(home_community, grid_one, grid1):
    community_staff = get_user_model().objects.get(username="community")
    content = xlsx_bytes({
        "人员": [
            ["网格", "楼栋", "单元", "房号", "户号", "与户主关系", "姓名", "证件号码", "民族",
             "出生日期"],
            [grid_one.code, 8, 1, 101, "H-0800", "户主", "郑国强", ID_E, 1, datetime(1990, 8, 9)],
        ],
        "楼栋": [["网格", "楼栋", "地址", "楼层数", "单元数"],
                 [grid_one.code, 8, "黄埔花园8栋", 6, 2]],
        "房屋": [["网格", "楼栋", "单元", "楼层", "房号", "用途", "面积"],
                 [grid_one.code, 8, 1, 1, 101, "出租", 88.5]],
    })  # fmt: skip

    report = imports.import_file(content, area=home_community, actor=community_staff)

    assert (report.errors, report.written_rows) == ([], 3)
    assert dict(report.created) == {"buildings": 1, "houses": 1, "households": 1, "persons": 1}
    house = House.objects.get(building__grid=grid_one, building__number="8", number="101")
    assert (house.use, str(house.floor_area)) == ("rented", "88.50")
    person = Person.objects.get(name="郑国强")
    assert (person.house, person.ethnicity, person.household.head) == (house, "01", person)


def test_an_xlsx_id_number_stored_as_a_number_is_reported_on_its_sheet_and_row(
    family, grid_one, grid1
):
    content = xlsx_bytes(
        {
            "名单": [
                ["楼栋", "房号", "姓名", "证件号码"],
                [],
                ["1", "301", "赵大伟", float(ID_C[:17])],
            ]
        }
    )

    report = imports.import_file(content, area=grid_one, actor=grid1)

    assert [(e.sheet, e.line, e.field) for e in report.errors] == [("名单", 3, "id_number")]


def test_an_old_xls_file_is_refused_with_a_message(grid_one, grid1):
    with pytest.raises(imports.ImportFileError) as caught:
        imports.import_file(b"\xd0\xcf\x11\xe0" + b"\0" * 100, area=grid_one, actor=grid1)

    assert caught.value.errors[0].field == "file"


def test_households_and_houses_have_layouts_of_their_own(family, grid_one, grid1):
    houses = [["楼栋", "单元", "楼层", "房号", "用途"], ["1", "2", "4", "402", "空置"]]
    households = [["户号", "户类型", "楼栋", "单元", "房号"], ["H-0200", "集体户", "1", "2", "402"]]

    imports.import_file(csv_bytes(houses), area=grid_one, actor=grid1)
    report = imports.import_file(csv_bytes(households), area=grid_one, actor=grid1)

    assert report.errors == []
    household = Household.objects.get(number="H-0200")
    assert (household.kind, household.house.number, household.house.use) == (
        "collective",
        "402",
        "vacant",
    )


# The job, its task and its progress


def start_job(user, area, content: bytes, mode=Mode.ALL_OR_NOTHING, name="people.csv"):
    return imports.start_import(
        actor=user, area=area, upload=SimpleUploadedFile(name, content), mode=mode
    )


def test_an_uploaded_job_is_enqueued_after_the_commit(
    family, grid_one, grid1, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        job = start_job(grid1, grid_one, csv_bytes(GOOD_AND_BAD_ROWS))

    assert len(callbacks) == 1
    assert (job.status, job.uploader, job.file_name) == ("pending", grid1, "people.csv")
    assert job.file.name.startswith("imports/")
    assert "people" not in job.file.name


def test_an_upload_with_the_broker_down_is_kept_and_sent_again_by_the_catch_up(
    family, grid_one, grid1, django_capture_on_commit_callbacks, monkeypatch, settings
):
    task_class = type(run_import._get_current_object())

    def unreachable(self, *args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(task_class, "apply_async", unreachable)
    with django_capture_on_commit_callbacks(execute=True):
        job = start_job(grid1, grid_one, csv_bytes(GOOD_AND_BAD_ROWS))  # no error for the user
    assert ImportJob.objects.get(pk=job.pk).status == "pending"

    sent = []
    monkeypatch.setattr(task_class, "apply_async", lambda self, args, *a, **k: sent.append(args))
    later = job.created_at + timedelta(seconds=settings.SANHUA_CATCH_UP_SECONDS)
    assert catch_up_imports(now=later - timedelta(seconds=1)) == 0  # its message may be coming
    assert catch_up_imports(now=later) == 1
    assert catch_up_imports(now=later + timedelta(minutes=1)) == 0  # not again straight away
    assert sent == [(job.pk,)]

    run_import(*sent[0])
    assert ImportJob.objects.get(pk=job.pk).status == "done"
    assert catch_up_imports(now=later + timedelta(hours=1)) == 0  # finished: left alone


def test_the_import_task_run_twice_does_the_work_once(family, grid_one, grid1):
    good_only = [GOOD_AND_BAD_ROWS[0], GOOD_AND_BAD_ROWS[1], GOOD_AND_BAD_ROWS[7]]
    job = start_job(grid1, grid_one, csv_bytes(good_only))
    stored = job.file.path

    run_import(job.pk)
    after_first = registry_counts()
    run_import(job.pk)

    assert registry_counts() == after_first
    assert Person.objects.filter(name__in=["赵大伟", "吴芳"]).count() == 2
    assert (
        AuditEntry.objects.filter(action="import", model="ImportJob", object_id=job.pk).count() == 1
    )
    job.refresh_from_db()
    assert (job.status, job.written_rows, job.bad_rows, job.created) == (
        "done",
        2,
        0,
        {"houses": 1, "households": 1, "persons": 2},
    )
    assert job.file.name == ""
    assert not os.path.exists(stored)


def test_a_job_with_bad_rows_finishes_with_its_report_and_writes_nothing(family, grid_one, grid1):
    job = start_job(grid1, grid_one, csv_bytes(GOOD_AND_BAD_ROWS))
    before = registry_counts()

    run_import(job.pk)

    job.refresh_from_db()
    assert registry_counts() == before
    assert (job.status, job.total_rows, job.processed_rows, job.bad_rows, job.written_rows) == (
        "done",
        7,
        7,
        5,
        0,
    )
    assert [(e["line"], e["field"]) for e in job.errors] == BAD_LINES


def test_the_progress_the_page_reads_advances_while_the_job_runs(family, grid_one, grid1):
    job = start_job(grid1, grid_one, csv_bytes(GOOD_AND_BAD_ROWS), mode=Mode.KEEP_GOOD_ROWS)
    pending = imports.job_progress(job)
    assert (pending["status"], pending["processed"], pending["total"]) == ("pending", 0, 0)
    seen = []

    def watch(processed, total):
        state = imports.job_progress(ImportJob.objects.get(pk=job.pk))
        seen.append((state["status"], state["processed"], state["total"]))

    imports.run_job(job.pk, progress=watch)

    assert seen == [("running", n, 7) for n in range(1, 8)]
    job.refresh_from_db()
    assert imports.job_progress(job)["processed"] == 7
    assert (job.processed_rows, job.total_rows, job.status) == (7, 7, "done")


def test_a_job_whose_file_cannot_be_read_fails_with_the_reason(grid_one, grid1):
    job = start_job(grid1, grid_one, b"\xff\xfe\x00garbage\x81", name="broken.csv")

    run_import(job.pk)

    job.refresh_from_db()
    assert job.status == "failed"
    assert [(e["line"], e["field"]) for e in job.errors] == [(0, "file")]


# The command line


def test_the_command_prints_every_bad_row_and_exits_non_zero(family, grid_one, tmp_path):
    path = tmp_path / "people.csv"
    path.write_bytes(csv_bytes(GOOD_AND_BAD_ROWS, encoding="gb18030"))
    out, err = io.StringIO(), io.StringIO()

    with translation.override("en"), pytest.raises(CommandError) as caught:
        call_command("import_registry", str(path), "--grid", grid_one.code, stdout=out, stderr=err)

    assert caught.value.returncode == 1
    assert str(caught.value) == "5 bad row(s); nothing was written."
    lines = err.getvalue().splitlines()
    assert [line for line in lines if line.startswith("line ")] == [
        "line 3: id_number (证件号码): The check digit does not match the rest of the ID "
        "number; check every digit.",
        "line 4: relation (与户主关系): “19” is neither a code nor a name in this table.",
        "line 5: name (姓名): A name is required.",
        "line 6: id_number (证件号码): This ID number is also on line 2.",
        "line 7: building (楼栋): No building 9 in 黄埔花园社区第1网格.",
    ]
    assert "7/7" in err.getvalue()  # the progress bar
    assert out.getvalue() == "7 row(s), 5 bad, 0 written.\n"
    assert not Household.objects.filter(number="H-0100").exists()


def test_the_command_keeps_the_good_rows_when_asked(family, grid_one, tmp_path):
    path = tmp_path / "people.csv"
    path.write_bytes(csv_bytes(GOOD_AND_BAD_ROWS))
    out = io.StringIO()

    call_command(
        "import_registry", str(path), "--grid", grid_one.code, "--keep-good-rows",
        stdout=out, stderr=io.StringIO(),
    )  # fmt: skip

    assert out.getvalue().splitlines()[0] == (
        "7 row(s), 5 bad, 2 written (houses 1, households 1, persons 2)."
    )
    assert Household.objects.get(number="H-0100").persons.count() == 2


def test_the_command_dry_run_of_a_good_file_exits_cleanly(family, grid_one, tmp_path):
    path = tmp_path / "people.csv"
    path.write_bytes(csv_bytes(GOOD_AND_BAD_ROWS[:2]))
    out = io.StringIO()

    call_command(
        "import_registry", str(path), "--grid", grid_one.code, "--dry-run",
        stdout=out, stderr=io.StringIO(),
    )  # fmt: skip

    assert out.getvalue().splitlines() == [
        "1 row(s), 0 bad, 0 written.",
        "Every row is good (dry run: nothing written).",
    ]
    assert not Person.objects.filter(name="赵大伟").exists()


# The pages


def test_the_upload_page_runs_an_import_and_shows_its_report(
    family, grid_one, grid1, django_capture_on_commit_callbacks
):
    client = Client()
    client.force_login(grid1)
    assert client.get("/registry/imports/").status_code == 200

    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(
            "/registry/imports/",
            {
                "file": SimpleUploadedFile("people.csv", csv_bytes(GOOD_AND_BAD_ROWS)),
                "area": grid_one.pk,
                "kind": "auto",
                "mode": "keep_good_rows",
            },
        )
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/registry/imports/{job.pk}/"
    assert len(callbacks) == 1
    assert client.get(f"/registry/imports/{job.pk}/progress/").json()["status"] == "pending"

    run_import(job.pk, "en")  # the report's language is the uploader's: read it in English

    progress = client.get(f"/registry/imports/{job.pk}/progress/").json()
    assert (progress["status"], progress["processed"], progress["total"]) == ("done", 7, 7)
    page = client.get(f"/registry/imports/{job.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert "No building 9" in page.content.decode()
    report = client.get(f"/registry/imports/{job.pk}/report.csv")
    text = b"".join(report.streaming_content).decode("utf-8-sig")
    assert [row[1] for row in csv.reader(io.StringIO(text))][1:] == ["3", "4", "5", "6", "7"]


def test_the_upload_page_refuses_an_area_the_user_may_not_edit(home_grids, grid1):
    client = Client()
    client.force_login(grid1)

    response = client.post(
        "/registry/imports/",
        {
            "file": SimpleUploadedFile("b.csv", b"x"),
            "area": home_grids[1].pk,
            "kind": "auto",
            "mode": "dry_run",
        },
    )

    assert response.status_code == 400
    assert ImportJob.objects.count() == 0


def test_another_grid_worker_cannot_see_the_job(grid_one, grid1, demo):
    job = start_job(grid1, grid_one, b"x")
    client = Client()
    client.force_login(get_user_model().objects.get(username="grid2"))

    assert client.get(f"/registry/imports/{job.pk}/").status_code == 404
    assert client.get(f"/registry/imports/{job.pk}/progress/").status_code == 404
    assert job not in client.get("/registry/imports/").context["jobs"]


def test_the_community_sees_the_jobs_of_its_grids(grid_one, grid1):
    job = start_job(grid1, grid_one, b"x")
    client = Client()
    client.force_login(get_user_model().objects.get(username="community"))

    assert client.get(f"/registry/imports/{job.pk}/").status_code == 200


def test_a_template_file_lists_the_layout_headers(grid1):
    client = Client()
    client.force_login(grid1)

    response = client.get("/registry/imports/template/persons.csv")

    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")
    assert body.decode("utf-8-sig").splitlines()[0].split(",")[:3] == ["网格", "楼栋", "单元"]


# The API


def test_the_api_starts_a_job_and_reports_it(
    family, grid_one, login, django_capture_on_commit_callbacks
):
    client = login("grid1")
    upload = SimpleUploadedFile("people.csv", csv_bytes(GOOD_AND_BAD_ROWS))

    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(
            "/api/imports/",
            {"file": upload, "area": grid_one.pk, "mode": "dry_run"},
            format="multipart",
        )
    assert response.status_code == 201
    assert len(callbacks) == 1
    job_id = response.json()["id"]
    run_import(job_id)

    body = client.get(f"/api/imports/{job_id}/").json()
    assert (body["status"], body["total_rows"], body["processed_rows"], body["bad_rows"]) == (
        "done",
        7,
        7,
        5,
    )
    assert [(e["line"], e["field"]) for e in body["errors"]] == BAD_LINES
    assert not Household.objects.filter(number="H-0100").exists()


def test_the_api_refuses_an_area_outside_the_callers_registry(home_grids, login):
    response = login("supervisor").post(
        "/api/imports/",
        {"file": SimpleUploadedFile("a.csv", b"x"), "area": home_grids[0].pk},
        format="multipart",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["area"]


def test_the_api_lists_only_the_jobs_a_caller_may_see(grid_one, grid1, login):
    job = start_job(grid1, grid_one, b"x")

    assert [j["id"] for j in login("grid1").get("/api/imports/").json()["results"]] == [job.pk]
    assert login("grid2").get("/api/imports/").json()["results"] == []
    assert login("grid2").get(f"/api/imports/{job.pk}/").status_code == 404


def test_the_report_is_written_in_the_uploaders_language(family, grid_one, grid1, monkeypatch):
    enqueued = []
    monkeypatch.setattr(run_import, "delay_on_commit", lambda *args: enqueued.append(args))
    with translation.override("en"):
        job = start_job(grid1, grid_one, csv_bytes(GOOD_AND_BAD_ROWS))
    assert enqueued == [(job.pk, "en")]

    run_import(*enqueued[0])

    job.refresh_from_db()
    assert job.errors[-1]["message"] == "No building 9 in 黄埔花园社区第1网格."


# Over-long and out-of-range cells: a row error like any other, never the whole import

LONG = "长" * 1000


def _rows_with_each_column_too_long(kind: str, good: dict[str, str], vary) -> list[list[str]]:
    """A header of every column of the layout, one good row, then per column one row (made
    unique by `vary(n)`) whose value in that column is 1,000 characters long."""
    columns = imports.LAYOUTS[kind]
    rows = [[imports.COLUMNS[key].headers[0] for key in columns], list(good.values())]
    for n, key in enumerate(columns, start=1):
        row = {**good, **vary(n), key: LONG if key not in NUMERIC else "9" * 1000}
        rows.append([row[c] for c in columns])
    return rows


NUMERIC = {"floors", "units", "unit", "floor", "lng", "lat", "floor_area"}


def _assert_every_long_cell_is_its_rows_error(report, kind):
    columns = imports.LAYOUTS[kind]
    # Line 1 is the header, line 2 the good row, line 2 + n the row of the n-th column.
    by_line = {}
    for error in report.errors:
        by_line.setdefault(error.line, set()).add(error.field)
    assert 2 not in by_line, report.error_dicts()
    for n, key in enumerate(columns, start=1):
        assert key in by_line.get(2 + n, set()), (key, report.error_dicts())
    assert report.bad_rows == len(columns)
    assert report.written_rows == 1


def test_an_over_long_building_cell_is_a_row_error_and_the_good_rows_are_kept(grid_one, grid1):
    good = {
        "grid": grid_one.code, "building": "B1", "building_name": "一号楼", "address": "黄埔花园",
        "floors": "6", "units": "2", "lng": str(grid_one.centroid_lng),
        "lat": str(grid_one.centroid_lat),
    }  # fmt: skip
    rows = _rows_with_each_column_too_long(
        imports.Kind.BUILDINGS, good, lambda n: {"building": f"B{n + 1}"}
    )
    report = imports.import_file(
        csv_bytes(rows), area=grid_one, actor=grid1, mode=Mode.KEEP_GOOD_ROWS
    )
    _assert_every_long_cell_is_its_rows_error(report, imports.Kind.BUILDINGS)
    assert list(Building.objects.filter(grid=grid_one, number__startswith="B")) == [
        Building.objects.get(number="B1")
    ]


def test_an_over_long_house_cell_is_a_row_error_and_the_good_rows_are_kept(family, grid_one, grid1):
    good = {
        "grid": grid_one.code, "building": "1", "unit": "1", "floor": "2", "room": "201",
        "floor_area": "80.5", "use": "出租", "owner": "陈建华", "owner_phone": "13800000000",
    }  # fmt: skip
    rows = _rows_with_each_column_too_long(
        imports.Kind.HOUSES, good, lambda n: {"room": f"2{n:02d}"}
    )
    report = imports.import_file(
        csv_bytes(rows), area=grid_one, actor=grid1, mode=Mode.KEEP_GOOD_ROWS
    )
    _assert_every_long_cell_is_its_rows_error(report, imports.Kind.HOUSES)
    assert House.objects.filter(building=family["building"], floor=2).count() == 1


def test_an_over_long_household_cell_is_a_row_error_and_the_good_rows_are_kept(
    family, grid_one, grid1
):
    good = {
        "grid": grid_one.code, "household": "H-0500", "household_kind": "家庭户",
        "registered_address": "广州市黄埔区", "building": "1", "unit": "1", "room": "301",
    }  # fmt: skip
    rows = _rows_with_each_column_too_long(
        imports.Kind.HOUSEHOLDS, good, lambda n: {"household": f"H-05{n:02d}"}
    )
    report = imports.import_file(
        csv_bytes(rows), area=grid_one, actor=grid1, mode=Mode.KEEP_GOOD_ROWS
    )
    _assert_every_long_cell_is_its_rows_error(report, imports.Kind.HOUSEHOLDS)
    assert list(Household.objects.filter(number__startswith="H-05")) == [
        Household.objects.get(number="H-0500")
    ]


def test_an_over_long_person_cell_is_a_row_error_and_the_good_rows_are_kept(
    family, grid_one, grid1
):
    birth = date(1990, 1, 1)
    good = {
        "grid": grid_one.code, "building": "1", "unit": "1", "room": "601", "floor": "6",
        "household": "H-0600", "relation": "户主", "name": "梁文", "former_name": "梁小文",
        "id_type": "身份证", "id_number": resident_id(birth, 1), "sex": "男",
        "birth_date": "1990-01-01", "ethnicity": "汉族", "native_place": "广东广州",
        "marital_status": "未婚", "political_status": "群众", "education": "本科",
        "religion": "无", "occupation": "工程师", "employer": "黄埔某公司",
        "phone": "13700000000", "other_phone": "02000000000", "population_type": "户籍",
        "registered_address": "广州市黄埔区", "current_address": "黄埔花园1栋601",
        "is_separated": "否", "care_tags": "", "moved_in_on": "2024-05-01",
    }  # fmt: skip
    rows = _rows_with_each_column_too_long(
        imports.Kind.PERSONS,
        good,
        lambda n: {
            "room": f"6{n:02d}",
            "household": f"H-06{n:02d}",
            "id_number": resident_id(birth, 1 + 2 * n),  # odd sequence numbers: male
        },  # fmt: skip
    )
    before = Person.objects.count()
    report = imports.import_file(
        csv_bytes(rows), area=grid_one, actor=grid1, mode=Mode.KEEP_GOOD_ROWS
    )
    _assert_every_long_cell_is_its_rows_error(report, imports.Kind.PERSONS)
    assert Person.objects.count() == before + 1
    assert Person.objects.filter(name="梁文").count() == 1


def test_an_over_long_name_in_a_job_is_a_row_error_not_an_unexpected_error(family, grid_one, grid1):
    rows = [HEADER, GOOD_AND_BAD_ROWS[1], ["1", "1", "", "501", "H-0100", "配偶", "名" * 100, ID_F]]
    job = start_job(grid1, grid_one, csv_bytes(rows), mode=Mode.KEEP_GOOD_ROWS)

    run_import(job.pk)

    job.refresh_from_db()
    assert (job.status, job.written_rows, job.bad_rows) == ("done", 1, 1)
    assert [(e["line"], e["field"]) for e in job.errors] == [(3, "name")]
    assert Person.objects.filter(name="赵大伟").count() == 1


# A pipeline of chunks: the same report and the same records whatever the chunk size


@pytest.mark.parametrize("chunk_rows", [1, 2, 3])
def test_every_bad_row_is_reported_the_same_whatever_the_chunk_size(
    family, grid_one, grid1, chunk_rows
):
    with translation.override("en"):
        report = imports.import_file(
            csv_bytes(GOOD_AND_BAD_ROWS), area=grid_one, actor=grid1, chunk_rows=chunk_rows
        )

    assert lines_and_fields(report) == BAD_LINES
    assert report.errors[3].message == "This ID number is also on line 2."
    assert (report.total_rows, report.bad_rows, report.written_rows) == (7, 5, 0)
    assert dict(report.created) == {"houses": 1, "households": 1, "persons": 2}
    assert not Household.objects.filter(number="H-0100").exists()


@pytest.mark.parametrize("chunk_rows", [1, 4])
def test_rows_see_what_the_good_rows_of_earlier_chunks_added(family, grid_one, grid1, chunk_rows):
    rows = [
        HEADER,
        ["1", "1", "5", "501", "H-0100", "户主", "赵大伟", ID_A, ""],  # adds room and household
        ["1", "1", "", "501", "H-0100", "户主", "孙强", ID_C, ""],  # a second head: bad
        ["1", "1", "", "501", "H-0100", "配偶", "吴芳", ID_F, ""],  # joins them
        ["1", "2", "", "501", "H-0100", "子", "周杰", ID_E, ""],  # another room: bad
        ["1", "1", "", "501", "H-0101", "户主", "李娜", ID_A, ""],  # the same ID number: bad
    ]

    with translation.override("en"):
        report = imports.import_file(
            csv_bytes(rows), area=grid_one, actor=grid1, mode=Mode.KEEP_GOOD_ROWS,
            chunk_rows=chunk_rows,
        )  # fmt: skip

    assert [(e.line, e.field, e.message) for e in report.errors] == [
        (3, "relation", "The household already has a head."),
        (5, "room", "Building 1 has no room 501 in unit 2; give its floor."),
        (6, "id_number", "This ID number is also on line 2."),
    ]
    household = Household.objects.get(number="H-0100")
    assert household.head.name == "赵大伟"
    assert sorted(household.persons.values_list("name", flat=True)) == ["吴芳", "赵大伟"]
    assert House.objects.filter(building=family["building"], number="501").count() == 1


def test_the_history_of_an_imported_person_is_the_registrys(family, grid_one, grid1):
    rows = [
        HEADER + ["关爱标签", "入住日期"],
        ["1", "1", "5", "501", "H-0100", "户主", "赵大伟", ID_A, "", "独居老人", "2024-05-01"],
    ]

    imports.import_file(csv_bytes(rows), area=grid_one, actor=grid1)

    person = Person.objects.get(name="赵大伟")
    house, household = person.house, person.household
    assert (house.number, house.floor, house.grid, household.head, household.house) == (
        "501", 5, grid_one, person, house,
    )  # fmt: skip
    assert list(person.care_tags.values_list("code", flat=True)) == ["elderly_alone"]
    residence, membership = (
        Residence.objects.get(person=person),
        Membership.objects.get(person=person),
    )
    assert (residence.house, residence.started_on, residence.ended_on) == (
        house,
        date(2024, 5, 1),
        None,
    )
    assert (membership.household, membership.relation, membership.started_on) == (
        household, "02", date(2024, 5, 1),
    )  # fmt: skip
    event = LifeEvent.objects.get(person=person)
    assert (event.kind, event.occurred_on, event.house, event.household, event.actor) == (
        "move_in", date(2024, 5, 1), house, household, grid1,
    )  # fmt: skip
    entry = AuditEntry.objects.get(action="create", model="Person", object_id=person.pk)
    assert entry.actor == grid1
    assert "id_number" in entry.fields.split(",")
    assert person.id_digest == registry.id_digest(ID_A)


def _persons_rows(count: int, prefix: str, first_birth: date) -> list[list[str]]:
    """`count` good persons rows, three to a household in a room of its own, with care tags."""
    rows = [HEADER + ["关爱标签"]]
    for n in range(count):
        relation = ("户主", "配偶", "子")[n % 3]
        number = resident_id(first_birth + timedelta(days=n), 2 * (n % 400) + 1)
        rows.append(
            ["1", "1", str(1 + n % 6), f"{prefix}{n // 3}", f"{prefix}-{n // 3}", relation,
             f"居民{n}", number, "", "残疾人" if n % 5 == 0 else ""]
        )  # fmt: skip
    return rows


def test_one_chunk_costs_the_same_queries_whatever_its_size(family, grid_one, grid1):
    def queries(count: int, prefix: str, first_birth: date) -> int:
        content = csv_bytes(_persons_rows(count, prefix, first_birth))
        with CaptureQueriesContext(connection) as captured:
            report = imports.import_file(content, area=grid_one, actor=grid1, chunk_rows=count)
        assert (report.bad_rows, report.created["persons"]) == (0, count)
        return len(captured)

    small = queries(50, "A", date(1950, 1, 1))
    large = queries(500, "B", date(1960, 1, 1))

    assert small == large
    assert large <= 30
    assert Person.objects.filter(name__startswith="居民").count() == 550


def test_the_file_is_read_in_blocks_never_whole(family, grid_one, grid1):
    class Watched(io.BytesIO):
        sizes: list = []

        def read(self, size=-1):
            self.sizes.append(size)
            return super().read(size)

        def read1(self, size=-1):
            self.sizes.append(size)
            return super().read1(size)

        def readinto(self, buffer):
            self.sizes.append(len(buffer))
            return super().readinto(buffer)

    source = Watched(csv_bytes(_persons_rows(30, "W", date(1970, 1, 1)), encoding="gb18030"))

    report = imports.import_file(source, area=grid_one, actor=grid1, chunk_rows=7)

    assert report.written_rows == 30
    assert Watched.sizes
    assert all(0 < size <= imports.READ_BLOCK for size in Watched.sizes)


def test_a_gb18030_file_whose_chinese_starts_late_is_still_recognised(
    family, grid_one, grid1, monkeypatch
):
    monkeypatch.setattr(imports, "READ_BLOCK", 64)  # the Chinese is many blocks in
    rows = [["building", "room", "household", "relation", "name", "id_number"]]
    rows += [["1", "301", "H-0001", "52", f"Wang {n}", resident_id(date(1950, 1, 1 + n), 2 * n)]
             for n in range(5)]  # fmt: skip
    rows.append(["1", "301", "H-0001", "52", "王䶮", ID_F])
    content = csv_bytes(rows, encoding="gb18030")

    report = imports.import_file(content, area=grid_one, actor=grid1, chunk_rows=2)

    assert (report.errors, report.written_rows) == ([], 6)
    assert Person.objects.filter(name="王䶮").exists()


def test_a_line_unreadable_after_the_first_chunk_writes_nothing(family, grid_one, grid1):
    rows = [HEADER, GOOD_AND_BAD_ROWS[1], GOOD_AND_BAD_ROWS[7],
            ["1", "1", "", "501", "H-0100", "子", "x" * 200_000, ID_C, ""]]  # fmt: skip
    before = registry_counts()

    with pytest.raises(imports.ImportFileError) as caught:
        imports.import_file(
            csv_bytes(rows), area=grid_one, actor=grid1, mode=Mode.KEEP_GOOD_ROWS, chunk_rows=1
        )

    assert [(e.line, e.field) for e in caught.value.errors] == [(4, "file")]
    assert registry_counts() == before


@pytest.mark.parametrize("chunk_rows", [1, 5000])
def test_an_xlsx_workbook_is_read_sheet_by_sheet_in_chunks(home_community, grid_one, chunk_rows):
    community_staff = get_user_model().objects.get(username="community")
    content = xlsx_bytes({
        "人员": [["网格", "楼栋", "单元", "房号", "户号", "与户主关系", "姓名", "证件号码"],
                 [grid_one.code, 8, 1, 101, "H-0800", "户主", "郑国强", ID_E],
                 [grid_one.code, 8, 1, 101, "H-0800", "配偶", "吴芳", ID_F]],
        "楼栋": [["网格", "楼栋", "地址", "楼层数", "单元数"],
                 [grid_one.code, 8, "黄埔花园8栋", 6, 2]],
        "房屋": [["网格", "楼栋", "单元", "楼层", "房号"], [grid_one.code, 8, 1, 1, 101]],
    })  # fmt: skip

    report = imports.import_file(
        content, area=home_community, actor=community_staff, chunk_rows=chunk_rows
    )

    assert (report.errors, report.written_rows) == ([], 4)
    assert Household.objects.get(number="H-0800").persons.count() == 2


def test_a_record_saved_meanwhile_fails_its_row_not_the_chunk(family, grid_one, grid1, monkeypatch):
    find = imports._SeenNumbers.find

    def blind(self, digests, keys):
        taken, seen = find(self, digests, keys)
        return set(), seen  # as if the son were registered after the chunk was checked

    monkeypatch.setattr(imports._SeenNumbers, "find", blind)
    rows = [HEADER, GOOD_AND_BAD_ROWS[1], ["1", "1", "", "501", "H-0100", "子", "陈小明",
            family["son"].id_number, ""], GOOD_AND_BAD_ROWS[7]]  # fmt: skip

    with translation.override("en"):
        report = imports.import_file(
            csv_bytes(rows), area=grid_one, actor=grid1, mode=Mode.KEEP_GOOD_ROWS
        )

    assert [(e.line, e.field, e.message) for e in report.errors] == [
        (3, "", "This row clashes with a record saved meanwhile; import it again.")
    ]
    assert report.written_rows == 2
    members = Household.objects.get(number="H-0100").persons.values_list("name", flat=True)
    assert sorted(members) == ["吴芳", "赵大伟"]


def test_the_jobs_import_entry_names_its_file(family, grid_one, grid1):
    job = start_job(grid1, grid_one, csv_bytes(GOOD_AND_BAD_ROWS[:2]), name="黄埔花园.csv")

    run_import(job.pk)

    entry = AuditEntry.objects.get(action="import", model="ImportJob", object_id=job.pk)
    assert entry.detail.endswith(" file=黄埔花园.csv")
    assert "rows=1 bad=0 written=1" in entry.detail
