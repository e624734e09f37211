"""The deadline sweeper on a controlled clock: an untouched case climbs one level per missed
deadline to the district, where it is marked overdue and supervised; exactly once per level,
however often and however many sweepers run."""

import threading
import uuid
from datetime import date, datetime, timedelta

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from cases import notifications, rollups, services, tasks
from cases.calendar import SHANGHAI
from cases.exceptions import ConcurrentCaseUpdate
from cases.models import (
    CalendarDay,
    Case,
    CaseEvent,
    CaseRollupState,
    Category,
    Dispatch,
    Notification,
    RoutingRule,
    Supervision,
)
from grid.models import Area, Department
from tests.resilience.conftest import history_gaps_and_duplicates

Level = Area.Level
SECOND = timedelta(seconds=1)


def at(month, day, hour, minute=0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


FILED = at(3, 2, 9)  # Monday 2 March 2026, 09:00
# The untouched case's deadlines in working time (8:30–12:00, 14:00–17:30): 2 hours at the
# grid, then 4 at the community, 7 at the street and 7 at the district.
GRID_DUE = at(3, 2, 11)
COMMUNITY_DUE = at(3, 2, 17)
STREET_DUE = at(3, 3, 17)
DISTRICT_DUE = at(3, 4, 17)


def actions(case: Case) -> list[str]:
    return list(case.events.values_list("action", flat=True))


@pytest.mark.django_db
def test_an_untouched_grid_case_climbs_one_level_per_missed_deadline_then_is_supervised(
    file_case, home_grids, home_community, home_street, demo
):
    case = file_case("0101", now=FILED)
    assert (case.level, case.due_at) == (Level.GRID, GRID_DUE)

    steps = [
        (GRID_DUE, Level.COMMUNITY, home_community, COMMUNITY_DUE),
        (COMMUNITY_DUE, Level.STREET, home_street, STREET_DUE),
        (STREET_DUE, Level.DISTRICT, demo, DISTRICT_DUE),
    ]
    for count, (due, level, holder, next_due) in enumerate(steps, start=1):
        assert tasks.sweep_cases(now=due - SECOND) == 0
        assert tasks.sweep_cases(now=due) == 1
        assert tasks.sweep_cases(now=due) == 0  # the same sweep again changes nothing
        case.refresh_from_db()
        assert (case.status, case.level, case.holder, case.due_at) == (
            "reported",
            level,
            holder,
            next_due,
        )
        assert (case.escalation_count, case.is_overdue, case.version) == (count, False, count + 1)

    assert tasks.sweep_cases(now=DISTRICT_DUE - SECOND) == 0
    assert tasks.sweep_cases(now=DISTRICT_DUE) == 1
    assert tasks.sweep_cases(now=DISTRICT_DUE) == 0
    assert tasks.sweep_cases(now=DISTRICT_DUE + timedelta(days=30)) == 0

    case.refresh_from_db()
    assert (case.status, case.level, case.holder, case.due_at) == ("reported", 1, demo, None)
    assert (case.is_overdue, case.escalation_count, case.version) == (True, 3, 5)
    assert actions(case) == ["report", "auto_escalate", "auto_escalate", "auto_escalate",
                             "mark_overdue"]  # fmt: skip
    events = list(case.events.all())
    assert [(e.from_level, e.to_level) for e in events] == [
        (None, 4), (4, 3), (3, 2), (2, 1), (1, 1)
    ]  # fmt: skip
    assert [e.at for e in events] == [FILED, GRID_DUE, COMMUNITY_DUE, STREET_DUE, DISTRICT_DUE]
    assert [e.actor for e in events[1:]] == [None] * 4
    supervision = Supervision.objects.get(case=case)
    assert (supervision.is_automatic, supervision.level, supervision.by) == (True, 1, None)


@pytest.mark.django_db
def test_each_automatic_step_notifies_the_new_holder_once(file_case):
    case = file_case("0101", now=FILED)
    for due in (GRID_DUE, COMMUNITY_DUE, STREET_DUE, DISTRICT_DUE):
        tasks.sweep_cases(now=due)
    for event in case.events.all():
        notifications.notify(event.pk)
        notifications.notify(event.pk)

    received = [
        sorted(Notification.objects.filter(event=e).values_list("user__username", flat=True))
        for e in case.events.order_by("version")
    ]
    assert received == [
        [],  # grid1 filed it in her own grid
        ["community"],
        ["street"],
        ["district"],
        ["district", "supervisor"],
    ]


@pytest.mark.django_db
def test_after_a_long_outage_a_case_climbs_one_level_per_sweep_not_all_at_once(
    file_case, home_community
):
    case = file_case("0101", now=FILED)
    back = FILED + timedelta(days=7)  # the next Monday

    assert tasks.sweep_cases(now=back) == 1
    assert tasks.sweep_cases(now=back) == 0

    case.refresh_from_db()
    assert (case.level, case.holder, case.escalation_count) == (3, home_community, 1)
    assert case.due_at == at(3, 9, 15)  # a fresh four working hours at the community


@pytest.mark.django_db
def test_an_accepted_case_that_misses_its_handling_deadline_goes_one_level_up(file_case, user):
    case = file_case("0101", now=FILED)
    services.accept_case(case, actor=user("grid1"), now=at(3, 2, 10))
    case.refresh_from_db()
    assert case.due_at == at(3, 4, 10)  # 14 working hours to handle it

    assert tasks.sweep_cases(now=at(3, 4, 9, 59)) == 0
    assert tasks.sweep_cases(now=at(3, 4, 10)) == 1

    case.refresh_from_db()
    assert (case.status, case.level) == ("reported", Level.COMMUNITY)


@pytest.mark.django_db
def test_a_case_accepted_in_time_is_not_escalated(file_case, user):
    case = file_case("0101", now=FILED)
    services.accept_case(case, actor=user("grid1"), now=GRID_DUE - SECOND)

    assert tasks.sweep_cases(now=GRID_DUE) == 0
    assert actions(Case.objects.get(pk=case.pk)) == ["report", "accept"]


@pytest.mark.django_db
def test_closed_and_rejected_cases_are_never_escalated(file_case, user, photo):
    closed, rejected = file_case("0101", now=FILED), file_case("0101", now=FILED)
    services.self_resolve_case(closed, actor=user("grid1"), result="已清理", photos=[photo()])
    services.reject_case(rejected, actor=user("grid1"), reason="重复上报")

    assert tasks.sweep_cases(now=FILED + timedelta(days=30)) == 0


@pytest.mark.django_db
def test_a_suspended_case_is_not_escalated_and_resumes_with_the_time_it_had_left(file_case, user):
    case = file_case("0101", now=FILED)
    services.suspend_case(case, actor=user("grid1"), reason="等待产权确认", now=at(3, 2, 10))
    case.refresh_from_db()
    assert (case.status, case.due_at, case.remaining_seconds) == ("suspended", None, 3600)

    assert tasks.sweep_cases(now=at(3, 4, 9)) == 0

    services.resume_case(case, actor=user("grid1"), now=at(3, 4, 15))
    case.refresh_from_db()
    assert (case.status, case.due_at, case.remaining_seconds) == ("reported", at(3, 4, 16), None)
    assert tasks.sweep_cases(now=at(3, 4, 16) - SECOND) == 0
    assert tasks.sweep_cases(now=at(3, 4, 16)) == 1


@pytest.mark.django_db
def test_a_case_resumed_over_lunch_keeps_its_working_time(file_case, user):
    case = file_case("0101", now=FILED)
    services.suspend_case(case, actor=user("grid1"), reason="等待产权确认", now=at(3, 2, 9, 30))
    case.refresh_from_db()
    services.resume_case(case, actor=user("grid1"), now=at(3, 3, 11, 30))

    case.refresh_from_db()
    assert case.due_at == at(3, 3, 15)  # 90 minutes: 30 before lunch, 60 after


@pytest.mark.django_db
def test_an_emergency_runs_on_the_natural_clock_at_night(file_case):
    night = at(3, 7, 22)  # a Saturday night
    case = file_case("0101", urgency="emergency", now=night)
    assert case.due_at == night + timedelta(hours=2)

    assert tasks.sweep_cases(now=night + timedelta(hours=2)) == 1

    case.refresh_from_db()
    assert (case.level, case.due_at) == (Level.COMMUNITY, night + timedelta(hours=6))


@pytest.mark.django_db
def test_a_suspended_emergency_keeps_the_natural_time_it_had_left(file_case, user):
    night = at(3, 7, 22)
    case = file_case("0101", urgency="emergency", now=night)
    services.suspend_case(case, actor=user("grid1"), reason="等待消防到场", now=at(3, 7, 23))
    case.refresh_from_db()
    assert case.remaining_seconds == 3600

    services.resume_case(case, actor=user("grid1"), now=at(3, 8, 3))

    case.refresh_from_db()
    assert case.due_at == at(3, 8, 4)


def _dispatched(file_case, user, now):
    case = file_case("0501", now=now)
    services.escalate_case(case, actor=user("community"), reason="需街道协调", now=now)
    services.accept_case(case, actor=user("street"), now=now)
    services.dispatch_case(
        case,
        actor=user("street"),
        lead=Department.objects.get(name="区交通运输局"),
        cooperating=[Department.objects.get(name="黄埔交警大队")],
        now=now,
    )
    return case


@pytest.mark.django_db
def test_an_overdue_dispatch_is_flagged_once_and_recorded_in_the_history(file_case, user):
    case = _dispatched(file_case, user, at(3, 2, 17))
    due = at(3, 9, 17)  # 35 working hours later
    assert set(case.dispatches.values_list("due_at", flat=True)) == {due}

    assert tasks.sweep_dispatches(now=due - SECOND) == 0
    assert tasks.sweep_dispatches(now=due) == 2
    assert tasks.sweep_dispatches(now=due) == 0
    assert tasks.sweep_dispatches(now=due + timedelta(days=9)) == 0

    assert list(case.dispatches.values_list("is_overdue", flat=True)) == [True, True]
    assert actions(case)[-2:] == ["dispatch_overdue", "dispatch_overdue"]
    overdue = case.events.filter(action="dispatch_overdue").first()
    notifications.notify(overdue.pk)
    assert list(overdue.notifications.values_list("user__username", flat=True)) == ["street"]


@pytest.mark.django_db
def test_a_dispatch_reported_done_in_time_is_not_flagged(file_case, user):
    case = _dispatched(file_case, user, at(3, 2, 17))
    police = case.dispatches.get(role=Dispatch.Role.COOPERATING)
    services.sign_dispatch(police, actor=user("police"))
    police.refresh_from_db()
    services.report_dispatch_done(police, actor=user("police"), result="已配合")

    assert tasks.sweep_dispatches(now=at(3, 10, 9)) == 1
    police.refresh_from_db()
    assert police.is_overdue is False


@pytest.mark.django_db
def test_a_suspended_case_pauses_its_dispatches_clocks_and_resume_restarts_them(file_case, user):
    case = _dispatched(file_case, user, at(3, 2, 17))  # due Monday 9 March, 17:00
    services.suspend_case(case, actor=user("street"), reason="等待规划许可", now=at(3, 3, 17))
    # 7 of the 35 working hours used: 28 left for each department.
    assert set(case.dispatches.values_list("remaining_seconds", flat=True)) == {28 * 3600}

    assert tasks.sweep_dispatches(now=at(3, 20, 9)) == 0  # long past the old deadline
    assert set(case.dispatches.values_list("is_overdue", flat=True)) == {False}

    case.refresh_from_db()
    services.resume_case(case, actor=user("street"), now=at(3, 23, 9))  # Monday
    # 28 working hours from Monday 09:00: 6.5 + 7 + 7 + 7 to Thursday evening, then 0.5.
    assert set(case.dispatches.values_list("due_at", "remaining_seconds")) == {(at(3, 27, 9), None)}
    assert tasks.sweep_dispatches(now=at(3, 27, 9) - SECOND) == 0
    assert tasks.sweep_dispatches(now=at(3, 27, 9)) == 2


@pytest.mark.django_db
def test_a_dispatch_already_overdue_when_its_case_is_suspended_stays_overdue(file_case, user):
    case = _dispatched(file_case, user, at(3, 2, 17))
    assert tasks.sweep_dispatches(now=at(3, 10, 9)) == 2
    case.refresh_from_db()
    services.suspend_case(case, actor=user("street"), reason="等待规划许可", now=at(3, 10, 10))
    assert set(case.dispatches.values_list("remaining_seconds", flat=True)) == {0}

    case.refresh_from_db()
    services.resume_case(case, actor=user("street"), now=at(3, 16, 9))

    assert set(case.dispatches.values_list("due_at", "is_overdue")) == {(at(3, 16, 9), True)}
    assert tasks.sweep_dispatches(now=at(3, 30, 9)) == 0
    assert actions(case).count("dispatch_overdue") == 2  # flagged once, never again


@pytest.mark.django_db
def test_a_task_flagging_a_dispatch_leaves_it_alone_while_paused(file_case, user):
    case = _dispatched(file_case, user, at(3, 2, 17))
    lead = case.dispatches.get(role=Dispatch.Role.LEAD)
    Dispatch.objects.filter(pk=lead.pk).update(remaining_seconds=3600)  # its case suspended

    assert services.flag_dispatch_if_overdue(lead.pk, now=at(3, 20, 9)) is False
    lead.refresh_from_db()
    assert lead.is_overdue is False


@pytest.mark.django_db
def test_the_sweeper_works_in_batches(file_case):
    cases = [file_case("0101", now=FILED) for _ in range(5)]

    assert tasks.sweep_cases(now=GRID_DUE, limit=2) == 2
    assert tasks.sweep_cases(now=GRID_DUE, limit=2) == 2
    assert tasks.sweep_cases(now=GRID_DUE, limit=2) == 1
    assert tasks.sweep_cases(now=GRID_DUE, limit=2) == 0
    assert {Case.objects.get(pk=c.pk).level for c in cases} == {Level.COMMUNITY}


def _statements(queries, fragment: str) -> int:
    return sum(fragment in q["sql"] for q in queries)


@pytest.mark.django_db
def test_a_batch_reads_the_rules_and_the_calendar_at_most_once_and_appends_to_the_ledger_once(
    file_case,
):
    for _ in range(5):
        file_case("0101", now=FILED)

    with CaptureQueriesContext(connection) as batch:
        assert tasks.sweep_cases(now=GRID_DUE) == 5

    queries = batch.captured_queries
    # From the process's memory (grid/memo.py), read again only after an edit.
    assert _statements(queries, '"cases_routingrule"') <= 1
    assert _statements(queries, '"cases_calendarday"') <= 1
    # Counted after the commit, by the fold: the batch only appends its cases to the ledger.
    assert _statements(queries, 'INSERT INTO "cases_rollupledger"') == 1
    assert _statements(queries, 'INSERT INTO "cases_arearollup"') == 0
    # The batch is one set: one compare-and-set of its cases, one insert of their events.
    assert _statements(queries, 'UPDATE "cases_case"') == 1
    assert _statements(queries, 'INSERT INTO "cases_caseevent"') == 1


@pytest.mark.django_db
def test_a_routing_rule_edited_between_two_batches_applies_from_the_second(file_case, category):
    first, second = file_case("0101", now=FILED), file_case("0101", now=FILED)

    assert tasks.sweep_cases(now=GRID_DUE, limit=1) == 1
    RoutingRule.objects.create(category=category("0101"), time_factor=2)
    assert tasks.sweep_cases(now=GRID_DUE, limit=1) == 1

    due = dict(Case.objects.filter(pk__in=[first.pk, second.pk]).values_list("pk", "due_at"))
    # Four working hours at the community from 11:00, then eight: 11-12, 14-17:30, 8:30-12.
    assert sorted(due.values()) == [COMMUNITY_DUE, at(3, 3, 12)]


@pytest.mark.django_db
def test_a_holiday_entered_between_two_batches_applies_from_the_second(file_case):
    first, second = file_case("0101", now=FILED), file_case("0101", now=FILED)
    late = at(3, 2, 17)  # the sweeper comes late: the community's four hours end on Tuesday

    assert tasks.sweep_cases(now=late, limit=1) == 1
    CalendarDay.objects.create(day=date(2026, 3, 3), is_workday=False, note="临时放假")
    assert tasks.sweep_cases(now=late, limit=1) == 1

    due = dict(Case.objects.filter(pk__in=[first.pk, second.pk]).values_list("pk", "due_at"))
    assert sorted(due.values()) == [at(3, 3, 12), at(3, 4, 12)]


@pytest.mark.django_db
def test_a_batch_notifies_its_steps_in_one_message_once_committed(
    file_case, django_capture_on_commit_callbacks, monkeypatch
):
    cases = [file_case("0101", now=FILED) for _ in range(3)]
    sent = []
    task_class = type(tasks.notify_events._get_current_object())
    monkeypatch.setattr(
        task_class, "apply_async", lambda self, args, kwargs, **o: sent.append(args)
    )

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        tasks.sweep_cases(now=GRID_DUE)

    escalations = CaseEvent.objects.filter(case__in=cases, action="auto_escalate")
    assert callbacks  # (the rollup ledger's mark is one of them)
    assert sent == [(sorted(escalations.values_list("pk", flat=True)),)]
    tasks.notify_events(*sent[0])
    tasks.notify_events(*sent[0])
    assert (
        sorted(Notification.objects.filter(event__in=escalations).values_list("user__username"))
        == [("community",)] * 3
    )


@pytest.mark.django_db
def test_a_case_undone_within_its_batch_is_not_counted_in_the_rollups(file_case, monkeypatch):
    undone, other = file_case("0101", now=FILED), file_case("0101", now=FILED)
    escalate = services.apply_deadline_rule
    escalate_all = services.apply_deadline_rules

    def set_fails_after_its_steps(cases, *, now):
        escalate_all(cases, now=now)
        raise RuntimeError("after the set's steps, within the batch's savepoint")

    def fails_after_the_step(case, *, now):
        action = escalate(case, now=now)
        if case.pk == undone.pk:
            raise RuntimeError("after the step, within the case's savepoint")
        return action

    monkeypatch.setattr(services, "apply_deadline_rules", set_fails_after_its_steps)
    monkeypatch.setattr(services, "apply_deadline_rule", fails_after_the_step)
    assert tasks.sweep_cases(now=GRID_DUE) == 1

    assert actions(Case.objects.get(pk=undone.pk)) == ["report"]
    assert actions(Case.objects.get(pk=other.pk)) == ["report", "auto_escalate"]
    kept = _rollups()
    rollups.rebuild()
    assert _rollups() == kept


def _rollups() -> dict:
    rollups.fold_all()  # as a dashboard reads them
    tables = {
        name: sorted(table.model.objects.values_list(*table.key, *table.counters))
        for name, table in rollups.TABLES.items()
    }
    tables["state"] = sorted(CaseRollupState.objects.values_list("case_id", "version"))
    return tables


@pytest.mark.django_db
def test_a_case_accepted_after_the_sweeper_took_its_batch_is_left_alone(
    file_case, user, monkeypatch
):
    case = file_case("0101", now=FILED)
    due_ids = tasks._due_ids

    def accepted_meanwhile(queryset, limit):
        ids = due_ids(queryset, limit)
        services.accept_case(Case.objects.get(pk=case.pk), actor=user("grid1"), now=GRID_DUE)
        return ids

    monkeypatch.setattr(tasks, "_due_ids", accepted_meanwhile)

    assert tasks.sweep_cases(now=GRID_DUE) == 0
    case.refresh_from_db()
    assert (case.status, case.level, case.version) == ("in_progress", Level.GRID, 2)


@pytest.mark.django_db
def test_a_lost_compare_and_set_skips_that_case_quietly_and_goes_on(file_case, monkeypatch, caplog):
    lost, other = file_case("0101", now=FILED), file_case("0101", now=FILED)
    escalate = services.apply_deadline_rules

    def another_step_on_the_first(cases, *, now):
        # Someone else's step on `lost` between the sweeper's read and its write.
        Case.objects.filter(pk=lost.pk).update(version=F("version") + 1)
        return escalate(cases, now=now)

    monkeypatch.setattr(services, "apply_deadline_rules", another_step_on_the_first)

    assert tasks.sweep_cases(now=GRID_DUE) == 1
    assert (Case.objects.get(pk=lost.pk).level, Case.objects.get(pk=other.pk).level) == (4, 3)
    assert [r.levelname for r in caplog.records if r.name == "cases.tasks"] == ["INFO"]


# Two sweepers at once: each in its own thread with its own database connection, committing
# for real (so the locks are real). On PostgreSQL the second skips the rows the first locked;
# on SQLite it waits for the first to commit and then finds nothing due.


def _in_thread(name, target, results, *args, **kwargs):
    def run():
        try:
            results[name] = target(*args, **kwargs)
        except Exception as error:  # reported by the test, not lost in the thread
            results[name] = error
        finally:
            connection.close()

    thread = threading.Thread(target=run, name=name)
    thread.start()
    return thread


def _each_escalated_once(cases) -> bool:
    per_case = {
        c.pk: CaseEvent.objects.filter(case=c, action="auto_escalate").count() for c in cases
    }
    return set(per_case.values()) == {1}


@pytest.mark.django_db(transaction=True)
def test_two_sweepers_at_once_escalate_each_case_exactly_once(file_case):
    cases = [file_case("0101", now=FILED) for _ in range(12)]
    start = threading.Barrier(2)
    results = {}

    def sweep():
        start.wait()
        return tasks.sweep_cases(now=GRID_DUE)

    threads = [_in_thread(name, sweep, results) for name in ("a", "b")]
    for thread in threads:
        thread.join(timeout=60)

    assert sum(results.values()) == 12, results
    assert _each_escalated_once(cases)
    assert {Case.objects.get(pk=c.pk).version for c in cases} == {2}


@pytest.mark.django_db(transaction=True)
def test_a_sweeper_that_runs_while_another_holds_the_batch_escalates_nothing(
    file_case, monkeypatch
):
    cases = [file_case("0101", now=FILED) for _ in range(3)]
    escalate = services.apply_deadline_rules
    first_holds_the_batch = threading.Event()
    second_done = threading.Event()
    results = {}

    def slow_first(cases, *, now):
        if threading.current_thread().name == "first" and not first_holds_the_batch.is_set():
            first_holds_the_batch.set()
            # Give the second sweeper time to run: on PostgreSQL it skips the locked rows and
            # finishes; on SQLite it waits for this transaction's write lock.
            second_done.wait(timeout=1)
        return escalate(cases, now=now)

    monkeypatch.setattr(services, "apply_deadline_rules", slow_first)
    first = _in_thread("first", tasks.sweep_cases, results, now=GRID_DUE)
    assert first_holds_the_batch.wait(timeout=30)

    second = _in_thread("second", tasks.sweep_cases, results, now=GRID_DUE)
    second.join(timeout=0.9)
    if not second.is_alive():
        second_done.set()
    first.join(timeout=60)
    second.join(timeout=60)

    assert results == {"first": 3, "second": 0}
    assert _each_escalated_once(cases)


# One batch is one set: its cost does not grow with its size


def _overdue_grid_cases(n: int, grid, reporter) -> list[int]:
    """n cases as report_case writes them (case and report event) in grid1's grid, filed at
    FILED, routed and notified: made with two bulk inserts, as the resilience tests do."""
    cases = Case.objects.bulk_create(
        Case(
            number=f"Q{uuid.uuid4().hex[:24]}",
            category=Category.objects.get(code="0101"),
            title=f"超时未受理 {i}",
            grid=grid,
            level=Level.GRID,
            holder=grid,
            reporter=reporter,
            reported_at=FILED,
            due_at=GRID_DUE,
            routed_at=FILED,
        )
        for i in range(n)
    )
    CaseEvent.objects.bulk_create(
        CaseEvent(case=case, action="report", actor=reporter, at=FILED, to_status="reported",
                  to_level=Level.GRID, to_holder=grid, version=1, notified_at=FILED)
        for case in cases
    )  # fmt: skip
    return [case.pk for case in cases]


def _sweep_queries(now, limit) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as batch:
        done = tasks.sweep_cases(now=now, limit=limit)
    return done, len(batch.captured_queries)


@pytest.mark.django_db
def test_a_sweep_batch_costs_the_same_queries_for_10_cases_as_for_70(home_grids, user):
    # 70: on SQLite Django splits a bulk insert at 999 parameters (76 events); PostgreSQL takes
    # the sweeper's 200 in one.
    # The routing rules and the calendar in the process's memory, as in a running worker.
    services.RULES.get(), services.CALENDAR.get()
    ten = _overdue_grid_cases(10, home_grids[0], user("grid1"))
    ten_done, ten_queries = _sweep_queries(GRID_DUE, limit=10)
    seventy = _overdue_grid_cases(70, home_grids[0], user("grid1"))
    seventy_done, seventy_queries = _sweep_queries(GRID_DUE, limit=70)

    assert (ten_done, seventy_done) == (10, 70)
    assert seventy_queries == ten_queries <= 18
    moved = Case.objects.filter(pk__in=ten + seventy)
    assert set(moved.values_list("level", "version", "escalation_count")) == {(3, 2, 1)}


@pytest.mark.django_db
def test_a_sweep_batch_of_district_cases_supervises_them_all_with_one_insert(
    home_grids, user, demo
):
    ids = _overdue_grid_cases(20, home_grids[0], user("grid1"))
    Case.objects.filter(pk__in=ids).update(level=Level.DISTRICT, holder=demo)

    with CaptureQueriesContext(connection) as batch:
        assert tasks.sweep_cases(now=GRID_DUE) == 20

    assert _statements(batch.captured_queries, 'INSERT INTO "cases_supervision"') == 1
    supervised = Supervision.objects.filter(case__in=ids)
    assert set(supervised.values_list("is_automatic", "level", "by")) == {(True, 1, None)}
    assert supervised.values("case").distinct().count() == 20
    states = Case.objects.filter(pk__in=ids).values_list("is_overdue", "due_at", "version")
    assert set(states) == {(True, None, 2)}


@pytest.mark.django_db
def test_a_batch_that_fails_as_a_set_goes_case_by_case_and_escalates_the_good_cases(
    file_case, category, django_capture_on_commit_callbacks, monkeypatch, caplog
):
    good = [file_case("0101", now=FILED) for _ in range(3)]
    bad = file_case("0103", now=FILED)
    # A category whose time limits were broken (by hand in the database): no deadline can be
    # worked out for its cases, so the set fails; one by one, only that case does.
    Category.objects.filter(code="0103").update(time_limits={"3": {"accept": "soon"}})
    sent = []
    task_class = type(tasks.notify_events._get_current_object())
    monkeypatch.setattr(
        task_class, "apply_async", lambda self, args, kwargs, **o: sent.append(args)
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.sweep_cases(now=GRID_DUE) == 3
    assert tasks.sweep_cases(now=GRID_DUE) == 0  # the bad case fails again, alone

    for case in good:
        assert actions(Case.objects.get(pk=case.pk)) == ["report", "auto_escalate"]
    assert actions(Case.objects.get(pk=bad.pk)) == ["report"]
    escalations = CaseEvent.objects.filter(action="auto_escalate")
    assert sent == [(sorted(escalations.values_list("pk", flat=True)),)]
    failures = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert failures[:2] == [
        "deadline rule failed for a batch of 4 cases; one by one",
        f"deadline rule failed for case {bad.pk}",
    ]
    kept = _rollups()
    rollups.rebuild()
    assert _rollups() == kept


@pytest.mark.django_db
def test_a_dispatch_sweep_batch_costs_the_same_queries_for_2_dispatches_as_for_8(file_case, user):
    now = at(3, 2, 17)
    due = at(3, 9, 17)
    first = [_dispatched(file_case, user, now)]  # a lead and a cooperating dispatch each
    with CaptureQueriesContext(connection) as small:
        assert tasks.sweep_dispatches(now=due) == 2
    more = [_dispatched(file_case, user, now) for _ in range(4)]
    with CaptureQueriesContext(connection) as large:
        assert tasks.sweep_dispatches(now=due) == 8

    assert len(large.captured_queries) == len(small.captured_queries)
    assert _statements(large.captured_queries, 'UPDATE "cases_dispatch"') == 1
    assert _statements(large.captured_queries, 'UPDATE "cases_case"') == 1
    assert _statements(large.captured_queries, 'INSERT INTO "cases_caseevent"') == 1
    for case in first + more:
        case.refresh_from_db()
        steps = list(case.events.order_by("version").values_list("action", "version"))
        assert steps[-2:] == [
            ("dispatch_overdue", case.version - 1),
            ("dispatch_overdue", case.version),
        ]
        assert set(case.dispatches.values_list("is_overdue", flat=True)) == {True}
        overdue = case.events.filter(action="dispatch_overdue")
        assert sorted(e.data["dispatch"] for e in overdue) == sorted(
            case.dispatches.values_list("pk", flat=True)
        )
    kept = _rollups()
    rollups.rebuild()
    assert _rollups() == kept


@pytest.mark.django_db
def test_a_dispatch_batch_undone_as_a_set_is_flagged_one_by_one_exactly_once(
    file_case, user, monkeypatch
):
    case = _dispatched(file_case, user, at(3, 2, 17))
    flag_all = services.flag_overdue_dispatches

    def a_case_moved_on(ids, *, now):
        flag_all(ids, now=now)
        raise ConcurrentCaseUpdate(1, 2)  # after the set's writes, within its savepoint

    monkeypatch.setattr(services, "flag_overdue_dispatches", a_case_moved_on)

    assert tasks.sweep_dispatches(now=at(3, 9, 17)) == 2
    assert tasks.sweep_dispatches(now=at(3, 9, 17)) == 0

    assert actions(case)[-2:] == ["dispatch_overdue", "dispatch_overdue"]
    assert list(case.dispatches.values_list("is_overdue", flat=True)) == [True, True]
    gaps, duplicates = history_gaps_and_duplicates([case.pk])
    assert (gaps, duplicates) == ([], [])
