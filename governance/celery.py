"""The Celery app, configured from Django settings (the CELERY_* names) as Celery's Django guide
lays it out. Start a worker with `celery -A governance worker` and the scheduler with
`celery -A governance beat`; tasks live in each app's tasks.py.
"""

import os

from celery import Celery
from django.core.cache import cache
from django.utils import timezone

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "governance.settings")

app = Celery("governance")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

HEARTBEAT_CACHE_KEY = "sanhua:worker-heartbeat"


@app.task(name="governance.heartbeat")
def heartbeat() -> None:
    """Record that a worker ran a task just now; /health/ reports the age of the last one."""
    cache.set(HEARTBEAT_CACHE_KEY, timezone.now().isoformat(), timeout=None)
