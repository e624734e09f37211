"""Keyset pagination (cases/keyset.py): walking page by page from the first page gives every row
once, in the order one sorted query gives them, whatever the ties and the NULLs; a cursor that
is not one of the ordering's is refused."""

from datetime import timedelta

import pytest
from django.db.models import Value
from django.utils import timezone

from cases.keyset import InvalidCursor, Key, Ordering, encode
from cases.models import Case, Urgency

pytestmark = pytest.mark.django_db

NEWEST = Ordering((Key("reported_at", descending=True), Key("id", descending=True)))
DUE = Ordering((Key("due_at", nulls="last"), *NEWEST.keys))
URGENT_LAST = Ordering((Key("urgency"), Key("due_at", nulls="last", descending=True), *NEWEST.keys))


@pytest.fixture
def ties(file_case):
    """Eleven cases: reported at three instants (ties), some with no deadline, three urgencies."""
    instant = timezone.now().replace(microsecond=123456) - timedelta(days=1)
    cases = []
    for n in range(11):
        urgency = [Urgency.NORMAL, Urgency.URGENT, Urgency.EMERGENCY][n % 3]
        case = file_case("0101", title=f"案件{n}", urgency=urgency)
        due = None if n % 4 == 0 else instant + timedelta(hours=n % 3)
        Case.objects.filter(pk=case.pk).update(
            reported_at=instant + timedelta(microseconds=n % 3), due_at=due
        )
        cases.append(case)
    return cases


def walk(ordering: Ordering, queryset, size: int) -> list[int]:
    seen, cursor = [], None
    while True:
        rows, cursor = ordering.page(queryset, cursor, size)
        assert len(rows) <= size
        seen += [row.pk for row in rows]
        if cursor is None:
            return seen


@pytest.mark.parametrize("ordering", [NEWEST, DUE, URGENT_LAST], ids=["newest", "due", "urgent"])
@pytest.mark.parametrize("size", [1, 2, 4, 11, 50])
def test_walking_the_pages_gives_every_row_once_in_order(ties, ordering, size):
    cases = Case.objects.all()

    assert walk(ordering, cases, size) == [case.pk for case in ordering.apply(cases)]


def test_walking_backwards_gives_the_rows_in_reverse(ties):
    cases = Case.objects.all()

    backwards = walk(DUE.reversed(), cases, 3)

    assert backwards == list(reversed(walk(DUE, cases, 3)))


def test_no_deadline_comes_last_both_ways(ties):
    ascending = list(DUE.apply(Case.objects.all()))
    descending = list(URGENT_LAST.apply(Case.objects.filter(urgency=Urgency.EMERGENCY)))

    assert (ascending[0].due_at is None, ascending[-1].due_at is None) == (False, True)
    assert (descending[0].due_at is None, descending[-1].due_at is None) == (False, True)


def test_an_annotation_pages_as_a_key(ties):
    cases = Case.objects.annotate(rank=Value(1))
    ordering = Ordering((Key("rank"), *NEWEST.keys))

    assert walk(ordering, cases, 4) == walk(NEWEST, Case.objects.all(), 4)


@pytest.mark.parametrize(
    "cursor",
    [
        "%%%",
        "bm90IGpzb24",  # "not json"
        encode(["2026-01-01T00:00:00+00:00"]),  # one value for two keys
        encode(["yesterday", 5]),
        encode([None, 5]),  # reported_at is never NULL
        encode(["2026-01-01T00:00:00+00:00", "5"]),  # an id is a number
        encode(["2026-01-01T00:00:00+00:00", True]),
        encode(["2026-01-01T00:00:00+00:00", 2**70]),
        encode({"reported_at": 1}),
    ],
)
def test_a_cursor_of_no_row_of_this_ordering_is_refused(ties, cursor):
    with pytest.raises(InvalidCursor):
        NEWEST.page(Case.objects.all(), cursor, 5)


def test_a_cursor_carries_times_to_the_microsecond(ties):
    first, cursor = NEWEST.page(Case.objects.all(), None, 1)

    rest = walk(NEWEST, Case.objects.filter(NEWEST.after(NEWEST.decode(cursor, Case))), 5)

    assert first[0].reported_at.microsecond != 0
    assert [first[0].pk, *rest] == [case.pk for case in NEWEST.apply(Case.objects.all())]
