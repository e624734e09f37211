"""The broker unreachable while 200 cases are filed through the API: a redis-server of the test's
own is stopped after the first 50 filings and started again after the next 100, with a real
worker (and its beat) running throughout. Every filing is answered 201 at once, every case
exists exactly once, and once Redis is back every case is routed and its holder notified: the
messages lost during the outage are made up for by the sweeper's catch-up, from the rows.
"""

import uuid

import pytest

from cases.models import Case, CaseEvent, Notification
from tests.live import LiveWorker, RedisServer, publishing_to, running

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE, DURING, AFTER = 50, 100, 50


def _report(grid, n: int) -> dict:
    return {
        "category": "0501",  # starts at the community: routing notifies its staff
        "title": f"断网期间上报 {n}",
        "description": "公交站台旁花坛被踩踏",
        "lng": grid.centroid_lng,
        "lat": grid.centroid_lat,
        "client_id": str(uuid.uuid4()),
    }


def test_cases_filed_through_the_api_across_a_broker_outage_all_exist_once_and_are_routed(
    tmp_path, login, home_grids
):
    phone = login("grid1")
    reports = [_report(home_grids[0], n) for n in range(BEFORE + DURING + AFTER)]
    server = RedisServer(tmp_path)
    server.start()
    worker = LiveWorker(tmp_path, server.url, SANHUA_CATCH_UP_SECONDS="1")
    answers = []
    try:
        with publishing_to(worker), running(worker):
            answers += [phone.post("/api/cases/", r) for r in reports[:BEFORE]]
            server.stop()
            answers += [phone.post("/api/cases/", r) for r in reports[BEFORE : BEFORE + DURING]]
            server.start()
            answers += [phone.post("/api/cases/", r) for r in reports[BEFORE + DURING :]]

            filed = Case.objects.filter(client_id__in=[r["client_id"] for r in reports])
            worker.wait_until(
                lambda: not filed.filter(routed_at__isnull=True).exists(),
                "routing of every case filed",
                timeout=180,
            )
            worker.wait_until(
                lambda: not CaseEvent.objects.filter(notified_at__isnull=True).exists(),
                "notification of every report",
                timeout=120,
            )
            worker.wait_for_more_sweeps()
            # The phones that never heard back retry: the first case comes back, nothing new.
            retries = [phone.post("/api/cases/", r) for r in reports[BEFORE : BEFORE + 10]]
    finally:
        server.stop()

    assert [a.status_code for a in answers] == [201] * len(reports)
    ids = [a.json()["id"] for a in answers]
    assert len(set(ids)) == len(reports)
    assert [r.status_code for r in retries] == [200] * 10
    assert [r.json()["id"] for r in retries] == ids[BEFORE : BEFORE + 10]
    assert Case.objects.count() == len(reports)
    assert sorted(filed.values_list("pk", flat=True)) == sorted(ids)
    reports_made = CaseEvent.objects.filter(case__in=ids, action="report")
    assert reports_made.count() == len(reports)
    assert set(reports_made.values_list("version", flat=True)) == {1}
    assert CaseEvent.objects.count() == len(reports)  # nothing but the reports happened
    notified = Notification.objects.filter(event__in=reports_made)
    assert notified.count() == len(reports)
    assert set(notified.values_list("user__username", flat=True)) == {"community"}
