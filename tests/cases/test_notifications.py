"""In-app notifications: who hears of which step, once per event and recipient, never the actor."""

import random
import threading
from collections import Counter
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases import notifications, services
from cases.models import Case, CaseEvent, Dispatch, Notification, UnreadCount
from grid.models import AccessAlert, AuditEntry, Department
from tests.cases import histories

pytestmark = pytest.mark.django_db

LEAD, *COOPERATING = "区交通运输局", "区住房和城乡建设局", "黄埔交警大队"


def notified(event: CaseEvent) -> set[str]:
    """Write the event's notifications and return who got one."""
    notifications.notify(event.pk)
    return set(Notification.objects.filter(event=event).values_list("user__username", flat=True))


def last_event(case: Case) -> CaseEvent:
    return case.events.order_by("-version").first()


@pytest.fixture
def at_district(file_case, user):
    """A bus-stop case escalated by its community and its street, accepted at the district."""
    case = file_case("0501", title="公交站点设置不合理")
    services.escalate_case(case, actor=user("community"), reason="需街道协调")
    services.escalate_case(case, actor=user("street"), reason="涉及区直部门")
    services.accept_case(case, actor=user("district"))
    return case


def dispatch(case, user, lead=LEAD, cooperating=COOPERATING):
    return services.dispatch_case(
        case,
        actor=user("district"),
        lead=Department.objects.get(name=lead),
        cooperating=list(Department.objects.filter(name__in=cooperating)),
    )


def test_a_report_reaches_the_staff_of_the_level_it_starts_at(file_case):
    case = file_case("0501")  # starts at the community

    assert notified(case.events.get()) == {"community"}


def test_a_report_never_notifies_its_reporter(file_case):
    case = file_case("0101")  # starts in grid1's own grid

    assert notified(case.events.get()) == set()


def test_an_emergency_report_alerts_every_level_up_to_the_district_at_once(file_case):
    case = file_case("0701", by="community", urgency="emergency")

    assert notified(case.events.get()) == {"grid1", "street", "district"}


def test_an_emergency_without_a_rule_still_alerts_every_level(file_case):
    case = file_case("0101", by="street", urgency="emergency")  # a hotline call, say

    assert notified(case.events.get()) == {"grid1", "community", "district"}


def test_an_escalation_reaches_the_new_holder_and_not_the_one_who_escalated(file_case, user):
    case = file_case("0501")

    event = services.escalate_case(case, actor=user("community"), reason="需街道协调")

    assert notified(event) == {"street"}


def test_a_dispatch_reaches_the_staff_of_every_department_it_names(at_district, user):
    event = dispatch(at_district, user)

    assert notified(event) == {"transport", "construction", "police"}


def test_a_new_dispatch_after_a_refusal_reaches_only_the_new_departments(at_district, user):
    dispatch(at_district, user, cooperating=["黄埔交警大队"])
    lead = at_district.dispatches.get(role=Dispatch.Role.LEAD)
    services.refuse_dispatch(lead, actor=user("transport"), reason="不属于本局职责")
    at_district.refresh_from_db()

    event = dispatch(at_district, user, lead="区住房和城乡建设局", cooperating=[])

    assert notified(event) == {"construction"}


def test_a_departments_refusal_reaches_the_dispatcher(at_district, user):
    dispatch(at_district, user)
    lead = at_district.dispatches.get(role=Dispatch.Role.LEAD)

    services.refuse_dispatch(lead, actor=user("transport"), reason="不属于本局职责")

    refusal = at_district.events.get(action="dispatch_refuse")
    assert notified(refusal) == {"district"}


def test_a_decided_extension_reaches_only_the_department_that_asked(at_district, user):
    dispatch(at_district, user)
    lead = at_district.dispatches.get(role=Dispatch.Role.LEAD)
    services.request_extension(
        lead, actor=user("transport"), until=lead.due_at.replace(year=2099), reason="需招标"
    )
    lead.refresh_from_db()

    services.approve_extension(lead, actor=user("district"))

    assert notified(at_district.events.get(action="dispatch_approve_extension")) == {"transport"}


def test_a_resolved_case_reaches_the_grid_workers_of_its_grid(file_case, user):
    case = file_case("0501")
    services.accept_case(case, actor=user("community"))
    case.refresh_from_db()

    event = services.resolve_case(case, actor=user("community"), result="已处理")

    assert notified(event) == {"grid1"}


def test_a_verified_case_reaches_its_reporter(file_case, user, photo):
    case = file_case("0501", by="street")
    services.accept_case(case, actor=user("community"))
    case.refresh_from_db()
    services.resolve_case(case, actor=user("community"), result="已处理")
    case.refresh_from_db()

    event = services.verify_case(case, actor=user("grid1"), passed=True, photos=[photo()])

    assert notified(event) == {"street"}


def test_an_overdue_case_at_the_district_reaches_the_dispatcher_and_the_supervisors(
    at_district,
):
    at_district.refresh_from_db()

    services.escalate_if_overdue(at_district.pk, now=at_district.due_at)

    assert notified(last_event(at_district)) == {"district", "supervisor"}


def test_notifying_twice_writes_each_notification_once(file_case):
    event = file_case("0701", by="community", urgency="emergency").events.get()

    first = notifications.notify(event.pk)
    second = notifications.notify(event.pk)

    assert (first, second) == (3, 0)
    assert Notification.objects.filter(event=event).count() == 3
    event.refresh_from_db()
    assert event.notified_at is not None


def test_notifying_an_event_that_no_longer_exists_does_nothing():
    assert notifications.notify(987654321) == 0


def test_the_text_names_the_case_number_and_its_title(file_case):
    case = file_case("0501", title="公交站点设置不合理")
    notifications.notify(case.events.get().pk)

    text = Notification.objects.get(case=case).text
    assert text.startswith(f"{case.number} ")
    assert text.endswith("公交站点设置不合理")


def test_unread_notifications_are_counted_and_marked_read(file_case, user):
    community = user("community")
    first, second = file_case("0501"), file_case("0201")
    for case in (first, second):
        notifications.notify(case.events.get().pk)
    one = Notification.objects.get(case=first)

    assert notifications.unread_count(community) == 2
    assert notifications.mark_read(community, ids=[one.pk]) == 1
    assert notifications.unread_count(community) == 1
    assert notifications.mark_read(community) == 1
    assert notifications.unread_count(community) == 0


def test_a_dispatch_closed_with_its_case_reaches_only_its_own_department(at_district, user):
    dispatch(at_district, user)
    lead = at_district.dispatches.get(role=Dispatch.Role.LEAD)
    services.sign_dispatch(lead, actor=user("transport"))
    services.report_dispatch_done(
        Dispatch.objects.get(pk=lead.pk),
        actor=user("transport"),
        result="已迁移",
        go_ahead_reason="无需配合",
    )

    closings = at_district.events.filter(action="dispatch_close_with_case").order_by("version")

    assert sorted(tuple(notified(event)) for event in closings) == [("construction",), ("police",)]


# Many events at once: notify_many


clock = histories.clock
history = histories.history


def test_the_recipients_of_many_events_at_once_are_those_of_each_alone(history):
    events = list(CaseEvent.objects.select_related("case__grid").order_by("pk"))
    assert len({event.action for event in events}) > 10  # a varied history

    together = notifications.recipients_of([notifications.Step.of(event) for event in events])

    assert together == {event.pk: notifications.recipients(event) for event in events}
    assert any(together.values())


def test_notify_many_writes_each_notification_once_and_marks_the_events(history):
    ids = list(CaseEvent.objects.values_list("pk", flat=True))
    expected = {
        event.pk: notifications.recipients(event)
        for event in CaseEvent.objects.select_related("case__grid")
    }

    written = notifications.notify_many(ids)
    again = notifications.notify_many(ids)

    notified = {event_id: [] for event_id in ids}
    for event_id, user_id in Notification.objects.order_by("user_id").values_list(
        "event_id", "user_id"
    ):
        notified[event_id].append(user_id)
    assert notified == expected
    assert (written, again) == (sum(map(len, expected.values())), 0)
    assert not CaseEvent.objects.filter(notified_at__isnull=True).exists()


def _copies(events: list[CaseEvent], times: int, tag: str) -> list[int]:
    """Ids of `times` copies of each of `events`, each a step of a new copy of its case."""
    ids = []
    for n in range(times):
        for event in events:
            case = Case.objects.get(pk=event.case_id)
            case.pk, case.number = None, f"{case.number}-{tag}{n}-{event.pk}"
            case.save()
            copy = CaseEvent.objects.get(pk=event.pk)
            copy.pk, copy.case, copy.notified_at = None, case, None
            copy.save()
            ids.append(copy.pk)
    return ids


def test_notify_many_costs_the_same_queries_for_one_event_of_each_kind_as_for_ten(history):
    kinds = {}
    for event in CaseEvent.objects.order_by("pk"):
        kinds.setdefault(event.action, event)
    one_each = _copies(list(kinds.values()), 1, "a")
    ten_each = _copies(list(kinds.values()), 10, "b")
    # As in a running worker, the process's memos (what other apps keep to act on steps:
    # cases/extensions.py) are filled by an earlier batch.
    notifications.notify_many(_copies(list(kinds.values())[:1], 1, "w"))

    with CaptureQueriesContext(connection) as few:
        notifications.notify_many(one_each)
    with CaptureQueriesContext(connection) as many:
        notifications.notify_many(ten_each)

    assert len(kinds) > 10
    # Its savepoint, the events, the dispatches, the posts, the users named, the insert, the
    # unread counts, the events marked notified.
    assert len(many.captured_queries) == len(few.captured_queries) <= 9
    copies = CaseEvent.objects.filter(pk__in=one_each + ten_each)
    assert not copies.filter(notified_at__isnull=True).exists()


# Unread counts: a counter per user, exact


def _real_unread() -> dict[int, int]:
    rows = Notification.objects.filter(read_at__isnull=True).values_list("user_id", flat=True)
    return dict(Counter(rows))


def _counted() -> dict[int, int]:
    users = get_user_model().objects.all()
    return {u.pk: n for u in users if (n := notifications.unread_count(u))}


@pytest.mark.parametrize("seed", range(4))
def test_the_unread_counters_equal_the_unread_notifications_through_writes_and_reads(history, seed):
    rng = random.Random(seed)
    users = list(get_user_model().objects.all())
    events = list(CaseEvent.objects.values_list("pk", flat=True))
    alerts = 0
    for _step in range(40):
        kind = rng.choice(["notify", "notify", "mark", "mark_all", "alert"])
        if kind == "notify":
            notifications.notify_many(rng.sample(events, rng.randint(1, 8)))
        elif kind == "mark":
            mine = Notification.objects.values_list("pk", flat=True)
            ids = rng.sample(list(mine), min(3, len(mine)))  # some of others, some read already
            notifications.mark_read(rng.choice(users), ids)
        elif kind == "mark_all":
            notifications.mark_read(rng.choice(users))
        else:
            alerts += 1
            alert = AccessAlert.objects.create(
                actor=get_user_model().objects.get(username="grid1"),
                action=AuditEntry.Action.REVEAL,
                limit=alerts,
            )
            notifications.notify_access_alert(None, alert)
        assert _counted() == _real_unread()
    assert sum(_real_unread().values()) > 0


def test_unread_count_reads_one_row(history, user, django_assert_num_queries):
    notifications.notify_many(CaseEvent.objects.values_list("pk", flat=True))
    community = user("community")

    with django_assert_num_queries(1):
        count = notifications.unread_count(community)

    assert count == Notification.objects.filter(user=community, read_at__isnull=True).count() > 0


def test_the_command_recounts_counters_gone_wrong(history, user):
    notifications.notify_many(CaseEvent.objects.values_list("pk", flat=True))
    notifications.mark_read(user("street"))
    kept = _counted()
    UnreadCount.objects.filter(user=user("community")).update(unread=999)
    UnreadCount.objects.filter(user=user("district")).delete()
    UnreadCount.objects.create(user=user("admin"), unread=5)
    out = StringIO()

    call_command("recount_unread", stdout=out)

    assert _counted() == kept == _real_unread()
    assert (
        out.getvalue()
        == f"Unread counts recounted: {len(kept)} user(s) with unread notifications.\n"
    )


@pytest.mark.django_db(transaction=True)
def test_two_workers_notifying_the_same_events_at_once_write_and_count_each_once(file_case, user):
    for _ in range(20):
        file_case("0501")  # each report is for the community's staff
    ids = list(CaseEvent.objects.values_list("pk", flat=True))
    start = threading.Barrier(2)
    results = {}

    def notify(name):
        try:
            start.wait()
            results[name] = notifications.notify_many(ids)
        except Exception as error:  # reported by the test, not lost in the thread
            results[name] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=notify, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sum(results.values()) == 20, results
    community = user("community")
    assert Notification.objects.filter(user=community).count() == 20
    assert notifications.unread_count(community) == 20
