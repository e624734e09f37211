"""Twenty people press the same button on the same case at the same moment: each request runs
through the API in a thread of its own, with a database connection of its own, committing for
real, and says which version of the case it read. Exactly one wins; the nineteen others get a
409 (stale version: the compare-and-set in cases/workflow.py refused them, or they read the case
after the winner moved it), and the case's history has no gap and no step recorded twice.

On PostgreSQL the requests truly overlap; SQLite's write lock lines the writers up, and the
compare-and-set still lets only the first one through.
"""

import threading

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from rest_framework.test import APIClient

from cases import services
from cases.models import Case, CaseEvent, Dispatch, Notification
from grid.models import AccessAlert, AuditEntry, Department
from tests.grid import conftest as registry_fixtures
from tests.resilience.conftest import history_gaps_and_duplicates

pytestmark = pytest.mark.django_db(transaction=True)

# The registry's family of three, from the fixtures of tests/grid/.
admin_user = registry_fixtures.admin_user
family = registry_fixtures.family

RACERS = 20


def _race(token: str, case: Case, requests: list[tuple[str, dict]]) -> list:
    """POST each (action, body) at once, one thread each; the answers in the same order."""
    start = threading.Barrier(len(requests))
    answers: list = [None] * len(requests)

    def press(n: int, action: str, body: dict) -> None:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        try:
            start.wait(timeout=30)
            answers[n] = client.post(
                f"/api/cases/{case.pk}/{action}/", {**body, "version": case.version}
            )
        except Exception as error:  # reported by the test, not lost in the thread
            answers[n] = error
        finally:
            connection.close()

    threads = [
        threading.Thread(target=press, args=(n, action, body))
        for n, (action, body) in enumerate(requests)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return answers


def _token(login, username: str) -> str:
    return login(username)._credentials["HTTP_AUTHORIZATION"].split()[1]


def _one_winner(answers) -> dict:
    codes = sorted(a.status_code if hasattr(a, "status_code") else repr(a) for a in answers)
    assert codes == [200] + [409] * (len(answers) - 1), codes
    losers = [a.json() for a in answers if a.status_code == 409]
    assert {loser["code"] for loser in losers} <= {"stale_version", "invalid_transition"}
    return next(a.json() for a in answers if a.status_code == 200)


def _history(case: Case) -> list[tuple[int, str]]:
    gaps, duplicates = history_gaps_and_duplicates([case.pk])
    assert (gaps, duplicates) == ([], [])
    return list(case.events.order_by("version").values_list("version", "action"))


def test_twenty_grid_workers_accepting_one_case_at_once_make_one_acceptance(file_case, login):
    case = file_case("0101")

    winner = _one_winner(_race(_token(login, "grid1"), case, [("accept", {})] * RACERS))

    assert (winner["status"], winner["version"]) == ("in_progress", 2)
    assert _history(case) == [(1, "report"), (2, "accept")]


def test_twenty_escalations_of_one_case_at_once_move_it_up_one_level_only(file_case, login):
    case = file_case("0101")
    body = {"reason": "需社区协调"}

    winner = _one_winner(_race(_token(login, "grid1"), case, [("escalate", body)] * RACERS))

    assert (winner["level"], winner["escalation_count"], winner["version"]) == (3, 1, 2)
    assert _history(case) == [(1, "report"), (2, "escalate")]


def test_twenty_dispatches_of_one_case_at_once_send_it_to_one_lead_department(
    file_case, login, user
):
    case = file_case("0501")  # starts at the community
    services.escalate_case(case, actor=user("community"), reason="需街道协调")
    case.refresh_from_db()
    services.accept_case(case, actor=user("street"))
    case.refresh_from_db()
    lead = Department.objects.get(name="区交通运输局")
    police = Department.objects.get(name="黄埔交警大队")
    body = {"lead": lead.pk, "cooperating": [police.pk], "instructions": "调整站台位置"}

    winner = _one_winner(_race(_token(login, "street"), case, [("dispatch", body)] * RACERS))

    assert (winner["status"], winner["version"]) == ("dispatched", 4)
    assert sorted(Dispatch.objects.filter(case=case).values_list("department__name", "role")) == [
        ("区交通运输局", "lead"),
        ("黄埔交警大队", "cooperating"),
    ]
    assert _history(case) == [(1, "report"), (2, "escalate"), (3, "accept"), (4, "dispatch")]


def test_accept_escalate_reject_and_suspend_racing_on_one_case_leave_one_step(file_case, login):
    case = file_case("0101")
    steps = [
        ("accept", {}),
        ("escalate", {"reason": "需社区协调"}),
        ("reject", {"reason": "重复上报"}),
        ("suspend", {"reason": "等待产权确认"}),
    ]

    winner = _one_winner(_race(_token(login, "grid1"), case, steps * (RACERS // len(steps))))

    (version, action) = _history(case)[-1]
    assert (version, winner["version"]) == (2, 2)
    assert action in {"accept", "escalate", "reject", "suspend"}
    assert CaseEvent.objects.filter(case=case).count() == 2


def test_twenty_reveals_at_once_spend_exactly_the_hourly_allowance(login, family, settings):
    """grid/limits.py counts under a lock on the account: racing requests of one account, each
    with a connection of its own (as from several gunicorn workers), get exactly the allowance
    between them, and the supervisors hear of it once."""
    settings.SANHUA_REVEALS_PER_HOUR = 5
    token = _token(login, "grid1")
    start = threading.Barrier(RACERS)
    answers: list = [None] * RACERS

    def reveal(n: int) -> None:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        try:
            start.wait(timeout=30)
            answers[n] = client.post(
                f"/api/persons/{family['head'].pk}/reveal/", {"purpose": "visit"}, format="json"
            )
        except Exception as error:  # reported by the test, not lost in the thread
            answers[n] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=reveal, args=(n,)) for n in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    codes = sorted(a.status_code if hasattr(a, "status_code") else repr(a) for a in answers)
    assert codes == [200] * 5 + [429] * (RACERS - 5), codes
    assert AuditEntry.objects.filter(action=AuditEntry.Action.REVEAL).count() == 5
    assert AccessAlert.objects.count() == 1
    notices = Notification.objects.filter(alert__isnull=False, user__username="supervisor")
    assert notices.count() == 1


def test_a_reveal_waits_while_another_request_of_the_account_holds_its_count(login, family):
    """The lock that makes the count exact, seen directly: while another transaction holds
    grid1's user row (as a reveal of grid1 in another worker does between its count and its
    audit row), grid1's next reveal waits, then goes through."""
    token = _token(login, "grid1")
    locked, release = threading.Event(), threading.Event()
    answers: list = []

    def hold() -> None:
        try:
            with transaction.atomic():
                get_user_model().objects.select_for_update(no_key=True).get(username="grid1")
                locked.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    def reveal() -> None:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        try:
            answers.append(
                client.post(
                    f"/api/persons/{family['head'].pk}/reveal/", {"purpose": "visit"}, format="json"
                )
            )
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    assert locked.wait(timeout=30)
    revealer = threading.Thread(target=reveal)
    revealer.start()
    revealer.join(timeout=8)
    waited = revealer.is_alive()
    release.set()
    holder.join(timeout=30)
    revealer.join(timeout=30)

    assert waited
    assert [answer.status_code for answer in answers] == [200]
