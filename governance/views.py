"""Operational endpoints that belong to no domain app."""

from datetime import datetime

from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone

from governance.celery import HEARTBEAT_CACHE_KEY


def health(request):
    """Liveness for load balancers and people: the database answers, and how long ago a worker
    last ran the beat's heartbeat task (null if never). No personal or internal detail."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    beat = cache.get(HEARTBEAT_CACHE_KEY)
    age = None
    if beat:
        age = round((timezone.now() - datetime.fromisoformat(beat)).total_seconds(), 1)
    return JsonResponse({"database": "ok", "worker_heartbeat_age_seconds": age})
