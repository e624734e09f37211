"""A real Celery worker with its embedded beat, on the configured broker: Redis when REDIS_URL is
set (CI), kombu's filesystem transport otherwise (a laptop). Nothing here runs eagerly."""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from django.core.cache.backends.filebased import FileBasedCache
from django.core.cache.backends.redis import RedisCache

from governance.celery import HEARTBEAT_CACHE_KEY

ROOT = Path(__file__).resolve().parent.parent


def _worker_env(var_dir: Path, tag: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SANHUA_"))}
    env.pop("DATABASE_URL", None)  # the heartbeat touches no table; keep the worker off the test DB
    return {
        **env,
        "DJANGO_SETTINGS_MODULE": "governance.settings",
        "DJANGO_SECRET_KEY": "worker-test",
        "DJANGO_DEBUG": "1",
        "SANHUA_VAR_DIR": str(var_dir),
        "SANHUA_HEARTBEAT_SECONDS": "1",
        # A queue and cache prefix of its own, so parallel test runs on one Redis do not mix.
        "SANHUA_CELERY_QUEUE": f"test-{tag}",
        "SANHUA_CACHE_PREFIX": f"test-{tag}",
    }


def _cache(var_dir: Path, tag: str):
    params = {"KEY_PREFIX": f"test-{tag}"}
    if os.environ.get("REDIS_URL"):
        return RedisCache(os.environ["REDIS_URL"], params)
    return FileBasedCache(str(var_dir / "cache"), params)


def test_beat_schedules_the_heartbeat_and_a_real_worker_runs_it(tmp_path):
    tag = uuid.uuid4().hex[:8]
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "governance",
            "worker",
            "--beat",
            "--pool",
            "solo",
            "--loglevel",
            "INFO",
            "--hostname",
            f"test-{tag}@%h",
        ],
        cwd=ROOT,
        env=_worker_env(tmp_path, tag),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    cache = _cache(tmp_path, tag)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and cache.get(HEARTBEAT_CACHE_KEY) is None:
            assert worker.poll() is None, worker.stdout.read()
            time.sleep(0.5)
        beat = cache.get(HEARTBEAT_CACHE_KEY)
    finally:
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=30)

    assert beat is not None, output
    assert "governance.heartbeat" in output
    assert "succeeded" in output
