"""Two owners decide one request at the same moment, each in a thread with a database
connection of its own, committing for real: the row lock of datagov/sharing.py lets one decide;
the other is told it was decided first (StaleDecision, a 409 in the API), and there is one grant."""

import threading
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from datagov import sharing
from datagov.models import Dataset, Grant, SharingRequest
from grid.models import Department

pytestmark = pytest.mark.django_db(transaction=True)


def test_of_two_decisions_at_once_one_wins_and_the_other_is_stale(home_community):
    users = get_user_model().objects
    today = timezone.localdate()
    request = sharing.submit(
        actor=users.get(username="transport"), dataset=Dataset.objects.get(key="grid.household"),
        field_names=["number"], purpose="调研", area=home_community, starts_on=today,
        ends_on=today + timedelta(days=3), department=Department.objects.get(code="440112-JT"),
    )  # fmt: skip
    start = threading.Barrier(2)
    outcomes: list = [None, None]

    def decide(n: int, username: str, approve: bool) -> None:
        try:
            row = SharingRequest.objects.select_related("area").get(pk=request.pk)
            actor = users.get(username=username)
            start.wait(timeout=30)
            if approve:
                sharing.approve(row, actor=actor)
            else:
                sharing.refuse(row, actor=actor, reason="不同意")
            outcomes[n] = "done"
        except sharing.StaleDecision:
            outcomes[n] = "stale"
        except Exception as error:  # reported by the test, not lost in the thread
            outcomes[n] = error
        finally:
            connection.close()

    threads = [
        threading.Thread(target=decide, args=(0, "community", True)),
        threading.Thread(target=decide, args=(1, "street", False)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert sorted(outcomes) == ["done", "stale"]
    request.refresh_from_db()
    expected_grants = 1 if request.status == SharingRequest.Status.APPROVED else 0
    assert request.status in (SharingRequest.Status.APPROVED, SharingRequest.Status.REFUSED)
    assert Grant.objects.count() == expected_grants
