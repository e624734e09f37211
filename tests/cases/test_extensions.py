"""The consumers of case steps (cases/extensions.py): each step is handed over once, in the
transaction that marks it notified; a consumer that fails undoes its batch, which the catch-up
redoes, so no step is lost to it."""

import pytest

from cases import extensions, notifications
from cases.models import CaseEvent, Notification

pytestmark = pytest.mark.django_db


def _unnotified() -> list[int]:
    return list(CaseEvent.objects.filter(notified_at__isnull=True).values_list("pk", flat=True))


def test_a_consumer_gets_each_step_once(file_case, monkeypatch):
    seen = []
    monkeypatch.setitem(
        extensions._consumers, "test", lambda steps: seen.extend(s.pk for s in steps)
    )
    file_case("0501")
    file_case("0501")
    events = _unnotified()

    notifications.notify_many(events)
    notifications.notify_many(events)  # a second run finds them notified

    assert seen == events


def test_a_failing_consumer_leaves_its_batch_to_the_catch_up(file_case, monkeypatch):
    def broken(steps):
        raise RuntimeError("consumer down")

    monkeypatch.setitem(extensions._consumers, "test", broken)
    file_case("0501")
    events = _unnotified()

    with pytest.raises(RuntimeError):
        notifications.notify_many(events)

    assert _unnotified() == events
    assert not Notification.objects.exists()
    monkeypatch.delitem(extensions._consumers, "test")
    notifications.notify_many(events)
    assert _unnotified() == []
