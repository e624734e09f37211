"""The case workflow on a real Celery worker with its embedded beat, sharing the test database:
Redis when REDIS_URL is set (CI), kombu's filesystem transport otherwise; nothing runs eagerly.
A second test gives the worker a redis-server of its own and stops it while cases are filed.

The worker, the redis-server and how the worker reaches the test database are in tests/live.py.
Each test commits for real (transaction=True) and stops its worker before pytest-django empties
the database.
"""

import time
import uuid
from datetime import datetime

import pytest

from cases import services, tasks
from cases.calendar import SHANGHAI
from cases.models import Case, CaseEvent, Notification
from tests.live import LiveWorker, RedisServer, broker_url, publishing_to, running

LONG_AGO = datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)  # filed then, its deadline long past

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def grid1_files(home_grids, user, category):
    """grid1_files("0501", now=…) → a case filed (and committed) by grid1 from her phone, the
    grid found from the GPS point."""
    grid = home_grids[0]

    def file(code: str, *, title: str = "测试事件", now=None) -> Case:
        case, created = services.report_case(
            reporter=user("grid1"),
            category=category(code),
            title=title,
            lng=grid.centroid_lng,
            lat=grid.centroid_lat,
            client_id=uuid.uuid4(),
            now=now,
        )
        assert created
        return case

    return file


def _routed_and_notified(case: Case) -> bool:
    case.refresh_from_db()
    report = case.events.get(action="report")
    return case.routed_at is not None and report.notified_at is not None


def _recipients(event: CaseEvent) -> list[str]:
    return sorted(Notification.objects.filter(event=event).values_list("user__username", flat=True))


def _escalations(case: Case) -> list[CaseEvent]:
    return list(case.events.filter(action="auto_escalate"))


def test_a_real_worker_routes_a_filed_case_and_its_beat_escalates_an_overdue_one(
    tmp_path, grid1_files
):
    worker = LiveWorker(tmp_path, broker_url())
    with publishing_to(worker), running(worker):
        # Starts at the community: routing must find its staff; the beat's round is the only
        # path, since the sweeper's catch-up waits its default two minutes.
        filed = grid1_files("0501", title="公交站点设置不合理")
        overdue = grid1_files("0101", now=LONG_AGO)

        worker.wait_until(lambda: _routed_and_notified(filed), "routing of the filed case")
        worker.wait_until(lambda: _escalations(overdue), "escalation of the overdue case")
        worker.wait_for_more_sweeps()

    filed.refresh_from_db()
    assert _recipients(filed.events.get()) == ["community"]
    overdue.refresh_from_db()
    assert (overdue.level, overdue.escalation_count, overdue.version) == (3, 1, 2)
    assert len(_escalations(overdue)) == 1
    log = worker.log()
    # Filing sends no message: the beat's rounds route new cases; the sweep writes its batches'
    # notifications itself.
    assert "Task cases.route_new[" in log
    assert "Task cases.sweep[" in log
    assert "Task cases.sweep[" in log


# The broker outage: a redis-server of the test's own, stopped while cases are filed.


def test_cases_filed_while_the_broker_is_down_are_routed_notified_and_escalated_once_it_is_back(
    tmp_path, grid1_files, caplog
):
    server = RedisServer(tmp_path)
    server.start()
    # The sweeper catches up on work older than a second instead of two minutes.
    worker = LiveWorker(tmp_path, server.url, SANHUA_CATCH_UP_SECONDS="1")
    try:
        with publishing_to(worker):
            before = grid1_files("0501", title="停电前")  # its messages die with the server

            server.stop()
            started = time.monotonic()
            during = [grid1_files("0501", title=f"停电中{n}") for n in range(3)]
            late = grid1_files("0101", now=LONG_AGO, title="早已超时，停电中升级")
            # A sweep that ran while the broker was down: the escalation is committed, the
            # message that would notify the community is not sent.
            assert tasks.sweep_cases() == 1
            later = grid1_files("0101", now=LONG_AGO, title="早已超时，恢复后升级")
            filing_took = time.monotonic() - started
            assert Case.objects.count() == 6
            assert all(c.routed_at is None for c in Case.objects.all())

            server.start()
            with running(worker):
                cases = [before, *during]
                worker.wait_until(
                    lambda: all(_routed_and_notified(c) for c in [*cases, late, later]),
                    "catch-up of every filed case",
                )
                worker.wait_until(lambda: _escalations(later), "escalation after the outage")
                worker.wait_until(
                    lambda: not CaseEvent.objects.filter(notified_at__isnull=True).exists(),
                    "notification of every event",
                )
                after = grid1_files("0501", title="恢复后")
                worker.wait_until(lambda: _routed_and_notified(after), "routing after the outage")
                worker.wait_for_more_sweeps()
    finally:
        server.stop()

    assert filing_took < 30, f"filing six cases with the broker down took {filing_took:.1f} s"
    for case in [before, *during, after]:
        assert _recipients(case.events.get()) == ["community"], case.title
    for case in (late, later):
        case.refresh_from_db()
        assert (case.level, case.escalation_count) == (3, 1), case.title
        (escalation,) = _escalations(case)
        assert _recipients(escalation) == ["community"], case.title
    unsent = [r.getMessage() for r in caplog.records if r.name == "governance.oncommit"]
    assert len(unsent) == 1  # the step's notifications (filing sends none)
    assert all(m.startswith("broker unreachable") for m in unsent)
