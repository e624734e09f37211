"""In CI the suite must run against the real PostgreSQL and Redis: if either is missing, this
fails instead of letting the suite pass quietly on SQLite."""

import os

import pytest
import redis
from django.db import connection

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

pytestmark = pytest.mark.django_db


def test_ci_runs_on_postgresql():
    if not IN_CI:
        assert connection.vendor in ("sqlite", "postgresql")
        return

    assert connection.vendor == "postgresql", "CI must set DATABASE_URL to PostgreSQL"
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)


def test_ci_has_redis():
    url = os.environ.get("REDIS_URL")
    if not IN_CI and not url:
        return

    assert url, "CI must set REDIS_URL"
    assert redis.Redis.from_url(url, socket_connect_timeout=5).ping()
