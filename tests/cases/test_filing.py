"""Filing a case: one case per client id, the work it leaves for after the commit, and the
possible duplicates routing finds (same category, within 50 m and 72 h)."""

import math
import threading
import uuid
from datetime import datetime, timedelta

import pytest
from django.db import connection
from kombu.exceptions import OperationalError

from cases import services, tasks
from cases.calendar import SHANGHAI
from cases.models import Case, CaseEvent, Notification

pytestmark = pytest.mark.django_db

FILED = datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)  # a plain Monday morning


def test_filing_the_same_client_id_twice_returns_the_first_case(file_case):
    client_id = uuid.uuid4()

    first = file_case("0101", client_id=client_id, title="路边垃圾")
    again, created = services.report_case(
        reporter=first.reporter,
        category=first.category,
        title="路边垃圾（重发）",
        grid=first.grid,
        client_id=client_id,
    )

    assert (again.pk, created) == (first.pk, False)
    assert Case.objects.filter(client_id=client_id).count() == 1
    assert CaseEvent.objects.filter(case=first).count() == 1
    assert Case.objects.get(pk=first.pk).title == "路边垃圾"


def test_filing_without_a_client_id_makes_a_case_each_time(file_case):
    first, second = file_case("0101"), file_case("0101")

    assert first.pk != second.pk
    assert first.number != second.number


def test_a_filed_case_waits_at_its_start_level_with_the_accept_deadline(file_case, home_grids):
    case = file_case("0101", now=FILED)

    assert (case.status, case.level, case.holder) == ("reported", 4, home_grids[0])
    assert case.due_at == FILED + timedelta(hours=2)
    assert case.number == f"2026{home_grids[0].code[:6]}{case.pk:08d}"


def test_filing_leaves_routing_and_the_notifications_for_after_the_commit(
    file_case, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        case = file_case("0501")

    case.refresh_from_db()
    assert case.routed_at is None
    assert case.events.get().notified_at is None
    # The worker's next round routes it and writes the report's notifications.
    assert tasks.route_new() == 1
    case.refresh_from_db()
    assert case.routed_at is not None
    assert case.events.get().notified_at is not None
    assert list(Notification.objects.filter(case=case).values_list("user__username")) == [
        ("community",)
    ]
    assert tasks.route_new() == 0


def test_filing_succeeds_when_the_broker_cannot_be_reached(
    file_case, django_capture_on_commit_callbacks, monkeypatch, caplog
):
    def unreachable(self, *args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    for task in (tasks.route_case, tasks.notify_event):
        monkeypatch.setattr(type(task._get_current_object()), "apply_async", unreachable)

    with django_capture_on_commit_callbacks(execute=True):
        case = file_case("0501")

    assert Case.objects.filter(pk=case.pk).exists()
    # A filing sends no message at all (the worker's rounds pick it up): none is lost.
    unsent = [r.getMessage() for r in caplog.records if r.name == "governance.oncommit"]
    assert unsent == []


def _moved(case: Case, north_m: float = 0, east_m: float = 0) -> dict:
    lat = case.lat + north_m / 111_000
    lng = case.lng + east_m / (111_000 * math.cos(math.radians(case.lat)))
    return {"lng": lng, "lat": lat}


def _file_near(file_case, first, code=None, *, after=timedelta(hours=1), **offset):
    return file_case(
        code or first.category.code,
        grid=first.grid,
        now=first.reported_at + after,
        **_moved(first, **offset),
    )


def _duplicates_found(case: Case) -> list[int]:
    assert services.route_filed_case(case.pk)
    return case.events.get(action="report").data.get("possible_duplicates", [])


@pytest.fixture
def first(file_case):
    return file_case("0101", now=FILED, title="路边垃圾")


def test_a_case_of_the_same_category_40_m_away_is_a_possible_duplicate(file_case, first):
    second = _file_near(file_case, first, north_m=30, east_m=25)

    assert _duplicates_found(second) == [first.pk]


def test_a_case_60_m_away_is_not(file_case, first):
    second = _file_near(file_case, first, east_m=60)

    assert _duplicates_found(second) == []


def test_a_case_filed_71_hours_earlier_is_a_possible_duplicate(file_case, first):
    second = _file_near(file_case, first, after=timedelta(hours=71), north_m=10)

    assert _duplicates_found(second) == [first.pk]


def test_a_case_filed_73_hours_earlier_is_not(file_case, first):
    second = _file_near(file_case, first, after=timedelta(hours=73), north_m=10)

    assert _duplicates_found(second) == []


def test_a_case_of_another_category_at_the_same_spot_is_not(file_case, first):
    second = _file_near(file_case, first, "0103", north_m=10)

    assert _duplicates_found(second) == []


def test_a_closed_case_at_the_same_spot_is_not(file_case, first, user, photo):
    services.self_resolve_case(first, actor=user("grid1"), result="已清理", photos=[photo()])

    second = _file_near(file_case, first, north_m=10)

    assert _duplicates_found(second) == []


def test_a_case_without_a_location_has_no_possible_duplicates(first):
    second, _created = services.report_case(
        reporter=first.reporter, category=first.category, title="路边垃圾", grid=first.grid
    )

    assert _duplicates_found(second) == []


def test_routing_a_case_twice_lists_its_duplicates_once(file_case, first):
    second = _file_near(file_case, first, north_m=10)

    assert services.route_filed_case(second.pk) is True
    routed_at = Case.objects.get(pk=second.pk).routed_at
    assert services.route_filed_case(second.pk) is False

    second.refresh_from_db()
    assert second.routed_at == routed_at
    assert second.events.get().data["possible_duplicates"] == [first.pk]


def test_a_filed_case_notifies_nobody_until_its_event_is_notified(file_case):
    case = file_case("0501")

    assert Notification.objects.filter(case=case).count() == 0


@pytest.mark.django_db(transaction=True)
def test_two_retries_of_one_report_at_once_make_one_case(user, category, home_grids):
    client_id, start, results = uuid.uuid4(), threading.Barrier(2), {}

    def file(name):
        try:
            start.wait()
            case, created = services.report_case(
                reporter=user("grid1"),
                category=category("0101"),
                title="路边垃圾",
                grid=home_grids[0],
                client_id=client_id,
            )
            results[name] = (case.pk, created)
        finally:
            connection.close()

    threads = [threading.Thread(target=file, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    case = Case.objects.get(client_id=client_id)
    assert sorted(results.values(), key=lambda r: r[1]) == [(case.pk, False), (case.pk, True)]
    assert CaseEvent.objects.filter(case=case).count() == 1
