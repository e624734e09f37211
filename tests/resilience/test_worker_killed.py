"""A Celery worker killed with kill -9 in the middle of a sweep of 2,000 overdue cases, then a new
one started: every case is escalated exactly once and no step or notification is recorded twice.

The sweeper commits in batches of 200: the batches committed before the kill stand, the one in
flight is rolled back by the database, and the new worker's sweeps find the rest still due. The
killed worker's unacknowledged sweep message also comes back (after Redis's visibility timeout,
shortened here) and runs again, finding nothing more to do.

The broker is a redis-server of the test's own, in every mode: kombu's filesystem transport (the
laptop default) is no place to kill -9 a process, since a message file cut off mid-write stops
every later worker that reads it.
"""

import re
import time

import pytest

from cases.models import Case, CaseEvent, Notification
from tests.live import LiveWorker, RedisServer
from tests.resilience.conftest import history_gaps_and_duplicates

pytestmark = pytest.mark.django_db(transaction=True)

CASES = 2_000
VISIBILITY_TIMEOUT = "5"


def _escalated() -> int:
    return CaseEvent.objects.filter(action="auto_escalate").count()


def _sweeps(log: str, outcome: str) -> set[str]:
    return set(re.findall(rf"Task cases\.sweep\[([0-9a-f-]+)\] {outcome}", log))


def test_a_worker_killed_mid_sweep_leaves_every_case_escalated_exactly_once_by_the_next(
    tmp_path, overdue_cases
):
    case_ids = overdue_cases(CASES)
    broker = RedisServer(tmp_path)
    broker.start()
    try:
        _kill_mid_sweep_and_recover(tmp_path, broker.url)
    finally:
        broker.stop()

    per_case = CaseEvent.objects.filter(case__in=case_ids, action="auto_escalate")
    assert per_case.count() == CASES
    assert per_case.values("case").distinct().count() == CASES
    gaps, duplicates = history_gaps_and_duplicates(case_ids)
    assert (gaps, duplicates) == ([], [])
    states = Case.objects.filter(pk__in=case_ids).values_list(
        "status", "level", "escalation_count", "version"
    )
    assert set(states) == {("reported", 3, 1, 2)}
    notified = Notification.objects.filter(event__in=per_case)
    assert notified.count() == CASES
    assert set(notified.values_list("user__username", flat=True)) == {"community"}


def _kill_mid_sweep_and_recover(tmp_path, broker_url: str) -> None:
    first = LiveWorker(tmp_path, broker_url, SANHUA_VISIBILITY_TIMEOUT=VISIBILITY_TIMEOUT)
    first.start()
    try:
        first.wait_until(lambda: _escalated() > 0, "first committed batch", timeout=120)
    finally:
        first.kill()
    escalated_at_kill = _escalated()
    killed_log = first.log()
    # The sweep that was running never finished: its message was never acknowledged.
    interrupted = _sweeps(killed_log, "received") - _sweeps(killed_log, "succeeded")
    # The kill can come within a second of the sweep's delivery. A new worker gives back the
    # messages unacknowledged for longer than the visibility timeout when it starts, and after
    # that only every ~100 s (kombu's throttled sweep): start it once the timeout has passed.
    time.sleep(int(VISIBILITY_TIMEOUT))

    second = LiveWorker(
        tmp_path,
        first.broker_url,
        queue=first.queue,
        SANHUA_VISIBILITY_TIMEOUT=VISIBILITY_TIMEOUT,
        SANHUA_CATCH_UP_SECONDS="1",  # notifications whose message died with the first worker
    )
    second.start()
    try:
        second.wait_until(lambda: _escalated() >= CASES, "escalation of every case", timeout=240)
        second.wait_until(
            lambda: not CaseEvent.objects.filter(notified_at__isnull=True).exists(),
            "notification of every escalation",
            timeout=120,
        )
        second.wait_until(
            lambda: interrupted & _sweeps(second.log(), "received"),
            "redelivery of the killed worker's sweep",
        )
        second.wait_for_more_sweeps()
    finally:
        second.stop()

    assert 0 < escalated_at_kill < CASES, "the kill must come in the middle of the sweep"
    assert len(interrupted) == 1, killed_log
