"""Filing as a handful of statements (issue 12): at most ten per filing, no message (the
worker's rounds route new cases as a set), no rollup row touched (the fold counts it later), no
lock shared with other filings, and the answer built from the row just written."""

import threading
import uuid

import pytest
from django.db import connection, connections, transaction
from django.test.client import RequestFactory
from django.test.utils import CaptureQueriesContext

from cases import rollups, tasks
from cases.api.serializers import CaseFiledSerializer, filed_case_body
from cases.models import AreaRollup, Case, RollupLedger

pytestmark = pytest.mark.django_db
ROLLUP_TABLES = ("arearollup", "handlingrollup", "departmentrollup", "workerrollup", "rollupstate")


def _body(grid, **more) -> dict:
    return {"category": "0101", "title": "暴露垃圾", "lng": grid.centroid_lng,
            "lat": grid.centroid_lat, "client_id": str(uuid.uuid4()), **more}  # fmt: skip


def test_a_filing_through_the_api_is_at_most_ten_statements_and_sends_no_message(
    login, home_grids, django_capture_on_commit_callbacks, monkeypatch
):
    client = login("grid1")
    body = _body(home_grids[0])
    client.post("/api/cases/", body, format="json")  # the process's memos are filled
    sent = []
    task_class = type(tasks.route_case._get_current_object())
    monkeypatch.setattr(task_class, "apply_async", lambda self, args, kw, **o: sent.append(args))

    body["client_id"] = str(uuid.uuid4())
    with (
        CaptureQueriesContext(connection) as filing,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.post("/api/cases/", body, format="json")

    assert response.status_code == 201
    # The test's own transaction makes the filing's a savepoint; a server's has none.
    statements = [q["sql"] for q in filing.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert len(statements) <= 10, "\n".join(statements)
    # No rollup row is touched (the fold counts it later), no empty relation is written.
    assert not [sql for sql in statements if any(table in sql for table in ROLLUP_TABLES)]
    assert not [sql for sql in statements if "cases_case_" in sql]
    # The worker's rounds (cases.tasks.route_new) do the rest, for many filings at once.
    assert sent == []


def test_the_answer_is_what_its_schema_says(login, home_grids, photo, user):
    client = login("grid1")
    with_photo = client.post(
        "/api/cases/", {**_body(home_grids[0]), "photos": [photo()]}, format="multipart"
    )
    plain = client.post("/api/cases/", _body(home_grids[0], urgency="urgent"), format="json")
    request = RequestFactory().get("/", HTTP_HOST="testserver")

    for response in (with_photo, plain):
        assert response.status_code == 201
        case = Case.objects.select_related("category", "grid", "holder", "reporter").get(
            pk=response.json()["id"]
        )
        schema = CaseFiledSerializer(case, context={"request": request}).data
        assert response.json() == schema == filed_case_body(case, request)
    assert len(with_photo.json()["photos"]) == 1


def test_a_repeat_answers_200_with_the_first_case_and_its_photos(login, home_grids, photo):
    client = login("grid1")
    body = {**_body(home_grids[0]), "photos": [photo()]}
    first = client.post("/api/cases/", body, format="multipart")
    again = client.post("/api/cases/", {**body, "photos": [photo()]}, format="multipart")

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()


def test_the_fold_counts_the_ledger_once_and_empties_it(file_case, home_grids):
    case = file_case("0101")
    grid_rows = AreaRollup.objects.filter(area=home_grids[0])
    assert list(RollupLedger.objects.values_list("case_id", flat=True)) == [case.pk]
    assert not grid_rows.exists()  # filed, not yet counted

    assert tasks.fold_rollups() == 1

    assert not RollupLedger.objects.exists()
    assert list(grid_rows.values_list("received", "open")) == [(1, 1)]
    assert tasks.fold_rollups() == 0
    rollups.record(case.events.get())  # counted again: changes nothing
    assert tasks.fold_rollups() == 1
    assert list(grid_rows.values_list("received", "open")) == [(1, 1)]


@pytest.mark.django_db(transaction=True)
def test_a_filing_never_waits_on_a_rollup_row_another_transaction_holds(
    demo, home_grids, user, category
):
    # Counted rows for the grid, then another transaction (a fold, a dashboard's) holding them.
    from cases import services

    grid = home_grids[0]
    services.report_case(reporter=user("grid1"), category=category("0101"), title="先",
                         lng=grid.centroid_lng, lat=grid.centroid_lat)  # fmt: skip
    rollups.fold_all()
    locked, release = threading.Event(), threading.Event()

    def hold_the_rows():
        try:
            with transaction.atomic():
                list(AreaRollup.objects.select_for_update().filter(area=grid))
                locked.set()
                release.wait(30)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold_the_rows)
    holder.start()
    try:
        assert locked.wait(30)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '2s'")  # a wait would fail the filing
        try:
            case, created = services.report_case(reporter=user("grid1"), category=category("0101"),
                                                 title="后", lng=grid.centroid_lng,
                                                 lat=grid.centroid_lat)  # fmt: skip
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SET lock_timeout = 0")
        assert created
        assert Case.objects.filter(pk=case.pk).exists()
    finally:
        release.set()
        holder.join(30)
    assert rollups.fold_all() == 1
    assert AreaRollup.objects.get(area=grid, level=grid.level).received == 2
