"""Every task run twice has one effect; a broker that cannot be reached never fails the caller;
the sweeper's catch-up redoes post-commit work whose message never arrived."""

from datetime import datetime, timedelta

import pytest
from django.db import transaction
from kombu.exceptions import OperationalError

from cases import tasks
from cases.calendar import SHANGHAI
from cases.models import Case, CaseEvent, Notification, Supervision

pytestmark = pytest.mark.django_db

FILED = datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)
LONG_AGO = timedelta(days=1)


def test_route_case_twice_routes_once(file_case):
    first = file_case("0101", now=FILED)
    case = file_case("0101", now=FILED + timedelta(minutes=5))

    tasks.route_case(case.pk)
    routed = Case.objects.get(pk=case.pk)
    tasks.route_case(case.pk)

    case.refresh_from_db()
    assert case.routed_at == routed.routed_at is not None
    assert case.events.get().data["possible_duplicates"] == [first.pk]


def test_notify_event_twice_notifies_each_recipient_once(file_case):
    event = file_case("0701", by="community", urgency="emergency").events.get()

    tasks.notify_event(event.pk)
    tasks.notify_event(event.pk)

    assert sorted(Notification.objects.filter(event=event).values_list("user__username")) == [
        ("district",),
        ("grid1",),
        ("street",),
    ]


def test_sweep_twice_escalates_once(file_case):
    overdue = file_case("0101", now=FILED)  # its two hours at the grid ran out long ago
    overdue.events.update(notified_at=FILED)
    Case.objects.filter(pk=overdue.pk).update(routed_at=FILED)

    assert tasks.sweep() == {"cases": 1, "dispatches": 0, "caught_up": 0}
    assert tasks.sweep() == {"cases": 0, "dispatches": 0, "caught_up": 0}

    overdue.refresh_from_db()
    assert (overdue.level, overdue.escalation_count) == (3, 1)
    assert list(overdue.events.values_list("action", flat=True)) == ["report", "auto_escalate"]


def test_the_periodic_sweep_writes_the_notifications_of_each_batch_once_it_commits(
    file_case, django_capture_on_commit_callbacks, monkeypatch
):
    overdue = file_case("0101", now=FILED)
    overdue.events.update(notified_at=FILED)
    sent = []
    task_class = type(tasks.notify_events._get_current_object())
    monkeypatch.setattr(task_class, "apply_async", lambda self, *a, **k: sent.append(a))

    with django_capture_on_commit_callbacks(execute=True):
        tasks.sweep()

    assert sent == []  # no message: the sweep wrote them itself

    escalation = overdue.events.get(action="auto_escalate")
    assert escalation.notified_at is not None
    notified = Notification.objects.filter(event=escalation)
    assert list(notified.values_list("user__username", flat=True)) == ["community"]


def test_sweep_twice_marks_an_overdue_district_case_once(file_case):
    case = file_case("0802", now=FILED)  # hazardous chemicals start at the district
    assert case.level == 1

    tasks.sweep()
    tasks.sweep()

    case.refresh_from_db()
    assert (case.is_overdue, case.due_at) == (True, None)
    assert Supervision.objects.filter(case=case).count() == 1
    assert case.events.filter(action="mark_overdue").count() == 1


def test_the_sweeper_catches_up_on_routing_and_notifications_never_sent(file_case, settings):
    settings.SANHUA_CATCH_UP_SECONDS = 120
    case = file_case("0501", now=FILED)
    now = FILED + timedelta(minutes=2)

    assert tasks.catch_up(now=now - timedelta(seconds=1)) == 0
    assert tasks.catch_up(now=now) == 2  # routed the case, notified its report
    assert tasks.catch_up(now=now) == 0

    case.refresh_from_db()
    assert case.routed_at is not None
    assert list(Notification.objects.filter(case=case).values_list("user__username")) == [
        ("community",)
    ]


def test_catching_up_twice_or_after_the_task_ran_changes_nothing(file_case):
    case = file_case("0501", now=FILED)
    tasks.route_case(case.pk)
    tasks.notify_event(case.events.get().pk)
    routed_at = Case.objects.get(pk=case.pk).routed_at

    assert tasks.catch_up(now=FILED + LONG_AGO) == 0
    assert Case.objects.get(pk=case.pk).routed_at == routed_at
    assert Notification.objects.filter(case=case).count() == 1


def test_one_event_that_fails_to_notify_does_not_stop_the_catch_up(file_case, monkeypatch):
    broken, fine = file_case("0501", now=FILED), file_case("0501", now=FILED)
    Case.objects.update(routed_at=FILED)
    notify, notify_many = tasks.notifications.notify, tasks.notifications.notify_many

    def fails_for_broken(event_id):
        if event_id == broken.events.get().pk:
            raise RuntimeError("boom")
        return notify(event_id)

    def fails_with_broken(event_ids):
        if broken.events.get().pk in event_ids:
            raise RuntimeError("boom")
        return notify_many(event_ids)

    monkeypatch.setattr(tasks.notifications, "notify", fails_for_broken)
    monkeypatch.setattr(tasks.notifications, "notify_many", fails_with_broken)

    assert tasks.catch_up(now=FILED + LONG_AGO) == 1
    assert CaseEvent.objects.get(case=fine).notified_at is not None
    assert CaseEvent.objects.get(case=broken).notified_at is None


def _unreachable(self, *args, **kwargs):
    raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")


def test_a_task_enqueued_on_commit_is_sent_only_after_the_commit(
    django_capture_on_commit_callbacks, monkeypatch
):
    sent = []
    task_class = type(tasks.route_case._get_current_object())
    monkeypatch.setattr(task_class, "apply_async", lambda self, *a, **k: sent.append(a))

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        tasks.route_case.delay_on_commit(7)
        assert sent == []

    assert sent == [((7,), {})]


def test_a_task_enqueued_on_commit_with_the_broker_down_logs_and_raises_nothing(
    django_capture_on_commit_callbacks, monkeypatch, caplog
):
    monkeypatch.setattr(type(tasks.notify_event._get_current_object()), "apply_async", _unreachable)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        tasks.notify_event.delay_on_commit(42)
        tasks.notify_event.apply_async_on_commit((43,))

    assert len(callbacks) == 2
    messages = [r.getMessage() for r in caplog.records if r.name == "governance.oncommit"]
    assert [m.split(";")[0] for m in messages] == [
        "broker unreachable, cases.notify_event(42,) not sent",
        "broker unreachable, cases.notify_event(43,) not sent",
    ]


def test_any_failure_to_publish_is_logged_and_the_callers_commit_stands(
    django_capture_on_commit_callbacks, monkeypatch, caplog
):
    # Found by bench/cases.py: with kombu unable to load its Redis transport (ImportError),
    # Django's log line for a failed robust callback read the callback's __qualname__, which
    # a functools.partial lacks, so every filing answered 500 after its case was committed.
    def broken_transport(self, *args, **kwargs):
        raise ModuleNotFoundError("No module named 'packaging'")

    monkeypatch.setattr(
        type(tasks.route_case._get_current_object()), "apply_async", broken_transport
    )

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        tasks.route_case.delay_on_commit(7)
        tasks.route_case.apply_async_on_commit((8,))

    assert len(callbacks) == 2
    failures = [r for r in caplog.records if r.name == "django.test"]
    assert [r.exc_info[0] for r in failures] == [ModuleNotFoundError, ModuleNotFoundError]


def test_a_rolled_back_transaction_sends_nothing(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        try:
            with transaction.atomic():
                tasks.route_case.delay_on_commit(7)
                raise RuntimeError("the filing failed")
        except RuntimeError:
            pass

    assert callbacks == []


def test_a_sweep_leaves_the_rest_of_a_long_backlog_to_the_next_sweep_once_its_time_is_up(
    monkeypatch,
):
    monkeypatch.setattr(tasks, "DRAIN_SECONDS", 0)
    batches = []

    def a_full_batch_every_time():
        batches.append(tasks.SWEEP_BATCH)
        return tasks.SWEEP_BATCH

    assert tasks._drain(a_full_batch_every_time) == tasks.SWEEP_BATCH
    assert len(batches) == 1
