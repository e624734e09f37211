"""The transition table of cases/workflow.py, pair by pair: every action from every status either
moves the case and writes exactly one event, or is refused and writes nothing."""

import itertools
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from cases import policies, routing, workflow
from cases.exceptions import ConcurrentCaseUpdate, InvalidTransition
from cases.models import Case, CaseEvent, Category
from grid.models import Area

pytestmark = pytest.mark.django_db

S = Case.Status
PAIRS = list(itertools.product(workflow.TRANSITIONS, S.values))
ALLOWED = [(a, s) for a, s in PAIRS if s in workflow.TRANSITIONS[a]]
REFUSED = [(a, s) for a, s in PAIRS if s not in workflow.TRANSITIONS[a]]
PERSON_ACTIONS = [a for a in workflow.TRANSITIONS if a not in workflow.SYSTEM_ACTIONS]


@pytest.fixture
def admin_user(demo):
    return get_user_model().objects.get(username="admin")


@pytest.fixture
def make_case(home_grids):
    """make_case(status) → a case row in that status at the community of grid1's grid, made
    directly (the table is tested here, not filing). A suspended case was in progress."""

    def make(status: str, *, level: int = Area.Level.COMMUNITY, **fields) -> Case:
        grid = home_grids[0]
        return Case.objects.create(
            number=f"T-{uuid.uuid4().hex[:20]}",
            category=Category.objects.get(code="0501"),
            title="表驱动测试",
            grid=grid,
            level=level,
            holder_id=routing.holder_at(level, grid.path),
            status=status,
            status_before_suspension=S.IN_PROGRESS if status == S.SUSPENDED else "",
            reported_at=timezone.now(),
            **fields,
        )

    return make


def test_the_table_is_walked_pair_by_pair_and_names_only_real_statuses():
    # Every move of the table is one ALLOWED pair: no from-status is misspelt.
    assert len(ALLOWED) == sum(len(moves) for moves in workflow.TRANSITIONS.values()) == 38
    assert len(ALLOWED) + len(REFUSED) == len(PAIRS) == len(workflow.TRANSITIONS) * 7
    targets = {t for moves in workflow.TRANSITIONS.values() for t in moves.values()}
    assert targets <= {*S.values, workflow.PREVIOUS}


@pytest.mark.parametrize(("action", "status"), ALLOWED, ids=[f"{a}-{s}" for a, s in ALLOWED])
def test_an_allowed_pair_moves_the_case_and_writes_exactly_one_event(make_case, action, status):
    case = make_case(status)
    expected = workflow.TRANSITIONS[action][status]
    if expected == workflow.PREVIOUS:
        expected = S.IN_PROGRESS

    event = workflow.apply(case, action, reason="测试")

    case.refresh_from_db()
    assert (case.status, case.version) == (expected, 2)
    assert list(CaseEvent.objects.filter(case=case).values_list("pk", flat=True)) == [event.pk]
    assert (event.action, event.from_status, event.to_status) == (action, status, expected)
    assert (event.from_level, event.to_level) == (Area.Level.COMMUNITY, Area.Level.COMMUNITY)
    assert (event.version, event.reason) == (2, "测试")


@pytest.mark.parametrize(("action", "status"), REFUSED, ids=[f"{a}-{s}" for a, s in REFUSED])
def test_a_refused_pair_raises_with_the_allowed_actions_and_writes_nothing(
    make_case, action, status
):
    case = make_case(status)

    with pytest.raises(InvalidTransition) as refused:
        workflow.apply(case, action, reason="测试")

    assert (refused.value.action, refused.value.status) == (action, status)
    assert refused.value.allowed == workflow.allowed_actions(status)
    assert action not in refused.value.allowed
    case.refresh_from_db()
    assert (case.status, case.version) == (status, 1)
    assert not CaseEvent.objects.filter(case=case).exists()


def test_allowed_actions_lists_exactly_the_table_entries_of_a_status():
    for status in S.values:
        assert set(workflow.allowed_actions(status)) == {
            action for action, moves in workflow.TRANSITIONS.items() if status in moves
        }


def test_a_stale_copy_raises_concurrent_update_and_writes_nothing(make_case):
    case = make_case(S.REPORTED)
    stale = Case.objects.get(pk=case.pk)
    workflow.apply(case, "accept")

    with pytest.raises(ConcurrentCaseUpdate) as conflict:
        workflow.apply(stale, "reject", reason="重复")

    assert (conflict.value.expected_version, conflict.value.current_version) == (1, 2)
    case.refresh_from_db()
    assert (case.status, case.version) == (S.IN_PROGRESS, 2)
    assert list(case.events.values_list("action", flat=True)) == ["accept"]


def test_a_stale_copy_of_the_same_step_cannot_record_it_twice(make_case):
    case = make_case(S.REPORTED)
    first, second = Case.objects.get(pk=case.pk), Case.objects.get(pk=case.pk)
    workflow.apply(first, "urge", reason="一")

    with pytest.raises(ConcurrentCaseUpdate):
        workflow.apply(second, "urge", reason="二")

    assert list(case.events.values_list("reason", flat=True)) == ["一"]


@pytest.mark.parametrize("status", [S.REPORTED, S.IN_PROGRESS, S.DISPATCHED])
def test_resume_returns_to_the_status_before_suspension(make_case, status):
    case = make_case(status)

    workflow.apply(case, "suspend", reason="等待施工许可")
    assert (case.status, case.status_before_suspension) == (S.SUSPENDED, status)
    event = workflow.apply(case, "resume")

    case.refresh_from_db()
    assert (case.status, case.status_before_suspension, case.version) == (status, "", 3)
    assert (event.from_status, event.to_status) == (S.SUSPENDED, status)


def test_a_step_that_hands_the_case_over_records_both_levels_and_holders(make_case, home_street):
    case = make_case(S.IN_PROGRESS)
    community = case.holder

    event = workflow.apply(
        case, "escalate", reason="超出社区能力", level=Area.Level.STREET, holder_id=home_street.pk
    )

    case.refresh_from_db()
    assert (case.status, case.level, case.holder) == (S.REPORTED, Area.Level.STREET, home_street)
    assert (event.from_level, event.to_level) == (Area.Level.COMMUNITY, Area.Level.STREET)
    assert (event.from_holder, event.to_holder) == (community, home_street)


@pytest.mark.parametrize(("action", "field"), list(workflow.MILESTONES.items()))
def test_each_milestone_action_stamps_its_timestamp_once(make_case, action, field):
    status = next(iter(workflow.TRANSITIONS[action]))
    case = make_case(status)
    at = timezone.now()

    workflow.apply(case, action, now=at)

    case.refresh_from_db()
    assert getattr(case, field) == at


def test_closing_steps_record_the_level_the_case_closed_at(make_case):
    case = make_case(S.RESOLVED, level=Area.Level.GRID)

    workflow.apply(case, "verify_pass")

    case.refresh_from_db()
    assert (case.status, case.closed_level) == (S.CLOSED, Area.Level.GRID)


def test_every_action_in_the_table_has_a_label():
    assert set(workflow.TRANSITIONS) | {"report"} == set(workflow.ACTION_LABELS)


def test_system_actions_are_all_in_the_table():
    assert set(workflow.TRANSITIONS) >= workflow.SYSTEM_ACTIONS


@pytest.mark.parametrize("action", PERSON_ACTIONS)
def test_every_person_action_has_a_policy(action):
    assert callable(getattr(policies, f"can_{action}", None))


@pytest.mark.parametrize("status", S.values)
def test_people_are_offered_only_person_actions_the_table_allows(make_case, admin_user, status):
    case = make_case(status, level=Area.Level.STREET)

    offered = policies.case_actions_for(admin_user, case)

    assert set(offered) <= set(workflow.allowed_actions(status)) - workflow.SYSTEM_ACTIONS
    assert offered == [a for a in workflow.allowed_actions(status) if a in offered]


def test_a_superuser_is_offered_every_person_action_of_an_open_street_case(make_case, admin_user):
    # A street case may be dispatched and returned down; "resolve" is its own holder's step.
    case = make_case(S.IN_PROGRESS, level=Area.Level.STREET)

    assert policies.case_actions_for(admin_user, case) == [
        "reject",
        "escalate",
        "return_down",
        "dispatch",
        "resolve",
        "suspend",
        "urge",
    ]


# apply_many: the same table and the same rows as apply(), for many cases in one set

# Each case's own: its id and number, and the time make_case gave it.
OWN = ("id", "number", "reported_at", "case")
CASE_FIELDS = [f.attname for f in Case._meta.concrete_fields if f.name not in OWN]
EVENT_FIELDS = [f.attname for f in CaseEvent._meta.concrete_fields if f.name not in OWN]


def _row(case: Case) -> tuple:
    return Case.objects.filter(pk=case.pk).values_list(*CASE_FIELDS).get()


def _history(case: Case) -> list[tuple]:
    return list(case.events.order_by("version").values_list(*EVENT_FIELDS))


def test_apply_many_writes_what_apply_writes_for_every_allowed_pair(make_case, home_street):
    now = timezone.now()
    pairs = [(make_case(s), make_case(s), a, s) for a, s in ALLOWED]
    for one, _twin, action, _status in pairs:
        workflow.apply(one, action, now=now, reason="测试")
    moves = [workflow.Move(twin, action, reason="测试") for _one, twin, action, _status in pairs]
    # A hand-over too, with its level, holder, deadline and a counter.
    handed, handed_twin = make_case(S.IN_PROGRESS), make_case(S.IN_PROGRESS)
    over = {"level": Area.Level.STREET, "holder_id": home_street.pk, "due_at": now}
    workflow.apply(handed, "escalate", now=now, reason="上报", escalation_count=1, **over)
    counted = {"escalation_count": 1}
    moves.append(workflow.Move(handed_twin, "escalate", reason="上报", fields=counted, **over))

    events = workflow.apply_many(moves, now=now)

    assert len(events) == len(moves)
    assert all(event.pk is not None for event in events)
    for one, twin in [(p[0], p[1]) for p in pairs] + [(handed, handed_twin)]:
        assert _row(twin) == _row(one)
        assert _history(twin) == _history(one)
        assert twin.version == one.version == 2
        assert (twin.status, twin.level, twin.holder_id) == (one.status, one.level, one.holder_id)


def test_apply_many_takes_several_steps_of_one_case_in_order(make_case):
    case = make_case(S.DISPATCHED)
    moves = [
        workflow.Move(case, "suspend", reason="等待施工许可"),
        workflow.Move(case, "urge", reason="督办"),
        workflow.Move(case, "resume"),
    ]

    events = workflow.apply_many(moves)

    assert [(e.action, e.from_status, e.to_status, e.version) for e in events] == [
        ("suspend", S.DISPATCHED, S.SUSPENDED, 2),
        ("urge", S.SUSPENDED, S.SUSPENDED, 3),
        ("resume", S.SUSPENDED, S.DISPATCHED, 4),
    ]
    assert (case.status, case.status_before_suspension, case.version) == (S.DISPATCHED, "", 4)
    assert _row(case)[CASE_FIELDS.index("version")] == 4


def test_apply_many_leaves_a_case_changed_since_it_was_read_and_moves_the_others(make_case):
    moved, changed = make_case(S.REPORTED), make_case(S.REPORTED)
    workflow.apply(Case.objects.get(pk=changed.pk), "accept")

    urges = [workflow.Move(case, "urge", reason="督办") for case in (moved, changed)]
    events = workflow.apply_many(urges)

    assert [event.case_id for event in events] == [moved.pk]
    assert (moved.version, changed.version, changed.status) == (2, 1, S.REPORTED)
    changed.refresh_from_db()
    assert (changed.status, changed.version) == (S.IN_PROGRESS, 2)
    assert list(changed.events.values_list("action", flat=True)) == ["accept"]


def test_apply_many_refuses_the_whole_set_if_the_table_refuses_one_step(make_case):
    fine, closed = make_case(S.REPORTED), make_case(S.CLOSED)

    with pytest.raises(InvalidTransition):
        workflow.apply_many([workflow.Move(fine, "accept"), workflow.Move(closed, "accept")])

    assert not CaseEvent.objects.exists()
    assert Case.objects.get(pk=fine.pk).version == fine.version == 1
