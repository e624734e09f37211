"""The Celery app, configured from Django settings (the CELERY_* names) as Celery's Django guide
lays it out. Start a worker with `celery -A governance worker` and the scheduler with
`celery -A governance beat`; tasks live in each app's tasks.py.
"""

import os

from celery import Celery
from celery.signals import task_postrun, task_prerun
from django.core.cache import cache
from django.db import close_old_connections
from django.utils import timezone

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "governance.settings")

app = Celery("governance")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Celery's Django fix-up closes the database connection after every task unless told to keep
# it for this many tasks: a new PostgreSQL connection per task (two per filing) cost more than
# the task. Kept instead as Django keeps a web request's (CONN_MAX_AGE, CONN_HEALTH_CHECKS):
# Django's own check around each task, below, drops a connection that is too old or broken.
app.conf.CELERY_DB_REUSE_MAX = 1_000_000


@task_prerun.connect
@task_postrun.connect
def _connections_checked(task=None, **kwargs) -> None:
    # Not for a task run eagerly inside a caller's transaction (it would close the caller's).
    if not getattr(getattr(task, "request", None), "is_eager", False):
        close_old_connections()


HEARTBEAT_CACHE_KEY = "sanhua:worker-heartbeat"


@app.task(name="governance.heartbeat")
def heartbeat() -> None:
    """Record that a worker ran a task just now; /health/ reports the age of the last one."""
    cache.set(HEARTBEAT_CACHE_KEY, timezone.now().isoformat(), timeout=None)
