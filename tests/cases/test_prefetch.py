"""Reading a case with the relations its page shows (cases/prefetch.py): a relation it has rows
of is read in one query, one it has none of costs no query and reads as empty."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases import services
from cases.models import Case
from cases.prefetch import prefetch_existing, with_relation_flags

pytestmark = pytest.mark.django_db

RELATIONS = ["events", "photos", "dispatches", "supervisions", "callbacks", "persons"]


def read(pk: int) -> tuple[Case, int]:
    case = with_relation_flags(Case.objects.all(), RELATIONS).get(pk=pk)
    with CaptureQueriesContext(connection) as queries:
        prefetch_existing(case, RELATIONS)
    return case, len(queries)


def test_only_the_relations_a_case_has_rows_of_are_read(file_case, photo, user):
    plain = file_case("0501")
    urged = file_case("0501", photos=[photo(), photo()])
    services.urge_case(urged, actor=user("supervisor"), reason="督办")

    plain, plain_queries = read(plain.pk)
    urged, urged_queries = read(urged.pk)

    assert plain_queries == 1  # its history
    assert urged_queries == 3  # its history, its photos, its supervision

    def counts(case):
        return {relation: len(getattr(case, relation).all()) for relation in RELATIONS}

    assert counts(plain) == {**dict.fromkeys(RELATIONS, 0), "events": 1}
    assert counts(urged) == {
        **dict.fromkeys(RELATIONS, 0),
        "events": 2,
        "photos": 2,
        "supervisions": 1,
    }


def test_nothing_more_is_read_when_the_page_asks_for_the_relations(file_case):
    case, _queries = read(file_case("0501").pk)

    with CaptureQueriesContext(connection) as queries:
        [list(getattr(case, relation).all()) for relation in RELATIONS]

    assert len(queries) == 0
