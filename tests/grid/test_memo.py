"""Reference data kept in each process's memory (grid/memo.py): read once, read again only after
an edit, never kept from a transaction that did not commit."""

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from grid import memo
from grid.memo import Memo
from grid.models import Area

LEVEL = Area.Level


def _names():
    return sorted(Area.objects.filter(level=LEVEL.DISTRICT).values_list("name", flat=True))


DISTRICTS = Memo("test-districts", _names, models=(Area,))


@pytest.fixture
def districts():
    yield DISTRICTS
    DISTRICTS.forget()
    cache.delete(DISTRICTS.key)


@pytest.mark.django_db
def test_a_memo_reads_once_until_the_version_moves(demo, districts, monkeypatch):
    assert districts.get() == [demo.name]
    with CaptureQueriesContext(connection) as second:
        assert districts.get() == [demo.name]
    assert len(second.captured_queries) == 0

    # Another process's edit, as it arrives here: a new version in the shared cache, and rows
    # changed behind the ORM's back (no signal here: the version says it).
    cache.set(districts.key, "moved on")
    Area.objects.filter(pk=demo.pk).update(name="新名字")
    # Within a second of its last look, the process trusts the version it read...
    assert districts.get() == [demo.name]
    # ...and then looks again.
    monkeypatch.setattr(memo, "CHECK_SECONDS", 0)
    assert districts.get() == ["新名字"]


@pytest.mark.django_db
def test_an_edit_is_seen_by_the_editing_transaction_at_once(demo, districts):
    districts.get()
    demo.name = "改名区"
    demo.save()

    # Not committed yet (the test's transaction): read afresh, kept nowhere.
    assert districts.get() == ["改名区"]
    assert districts._edited_here()


@pytest.mark.django_db(transaction=True)
def test_an_edit_moves_the_version_when_it_commits_and_a_rollback_leaves_no_trace(demo, districts):
    districts.get()
    version = cache.get(districts.key)

    with transaction.atomic():
        demo.name = "回滚区"
        demo.save()
        assert districts.get() == ["回滚区"]
        assert cache.get(districts.key) == version  # others keep reading the committed rows
        transaction.set_rollback(True)
    assert cache.get(districts.key) == version
    assert districts.get() == [Area.objects.get(pk=demo.pk).name] != ["回滚区"]

    with transaction.atomic():
        demo.name = "提交区"
        demo.save()
    assert cache.get(districts.key) != version
    assert districts.get() == ["提交区"]


@pytest.mark.django_db
def test_with_the_shared_cache_down_every_read_goes_to_the_database(demo, districts, monkeypatch):
    districts.get()
    monkeypatch.setattr(memo, "CHECK_SECONDS", 0)

    def down(*args, **kwargs):
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(cache, "get", down)
    Area.objects.filter(pk=demo.pk).update(name="停机区")

    assert districts.get() == ["停机区"]
