"""/health/: the database answers, and the worker's state is named even before it reports."""

import pytest
from django.core.cache import cache

from governance.celery import HEARTBEAT_CACHE_KEY, heartbeat


@pytest.fixture
def no_heartbeat():
    cache.delete(HEARTBEAT_CACHE_KEY)
    yield
    cache.delete(HEARTBEAT_CACHE_KEY)


@pytest.mark.django_db
def test_a_worker_that_has_not_reported_is_named_with_the_time_since_start(client, no_heartbeat):
    body = client.get("/health/").json()

    assert body["database"] == "ok"
    assert body["worker"] == "not yet reported"
    assert body["web_up_seconds"] >= 0


@pytest.mark.django_db
def test_a_worker_that_reported_shows_ok_and_the_age_of_its_heartbeat(client, no_heartbeat):
    heartbeat()

    body = client.get("/health/").json()

    assert body["worker"] == "ok"
    assert 0 <= body["worker_heartbeat_age_seconds"] < 60
