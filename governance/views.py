"""Operational endpoints that belong to no domain app."""

from datetime import datetime

from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone

from governance.celery import HEARTBEAT_CACHE_KEY

# When this web process started: a worker that has not reported yet is "starting" for a new
# install and worrying for an old one, and only the time since start tells the two apart.
STARTED_AT = timezone.now()


def health(request):
    """Liveness for load balancers and people: the database answers, and how long ago a worker
    last ran the beat's heartbeat task, or, before the first one, that none has reported yet and
    how long the web process has been up. No personal or internal detail."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    now = timezone.now()
    body = {"database": "ok", "web_up_seconds": round((now - STARTED_AT).total_seconds(), 1)}
    beat = cache.get(HEARTBEAT_CACHE_KEY)
    if beat:
        age = round((now - datetime.fromisoformat(beat)).total_seconds(), 1)
        body |= {"worker": "ok", "worker_heartbeat_age_seconds": age}
    else:
        body |= {"worker": "not yet reported", "worker_heartbeat_age_seconds": None}
    return JsonResponse(body)
