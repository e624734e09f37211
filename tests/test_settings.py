"""The settings module: production settings pass Django's deployment checklist, and the laptop
defaults need no server."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from governance.celery import app as celery_app

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "governance.settings",
    "DJANGO_SECRET_KEY": "x" * 30 + "production-secret-key-with-enough-variety-0123456789",
    "DJANGO_ALLOWED_HOSTS": "sanhua.example.gov.cn",
    "DJANGO_DEBUG": "0",
}


def _manage(*args, env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SANHUA_"))}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_the_deployment_checklist(tmp_path):
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env={**PRODUCTION_ENV, "SANHUA_VAR_DIR": str(tmp_path)},
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "DJANGO_SECRET_KEY"}

    result = _manage("check", env={**env, "SANHUA_VAR_DIR": str(tmp_path)})

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_demo_data_is_refused_when_debug_is_off(tmp_path):
    result = _manage("seed_demo", env={**PRODUCTION_ENV, "SANHUA_VAR_DIR": str(tmp_path)})

    assert result.returncode != 0
    assert "--force" in result.stderr


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("task_acks_late", True),
        ("task_reject_on_worker_lost", True),
        ("worker_prefetch_multiplier", 1),
        ("task_serializer", "json"),
        ("accept_content", ["json"]),
        ("task_ignore_result", True),
    ],
)
def test_celery_runs_with_the_reliability_settings(setting, value):
    assert celery_app.conf[setting] == value


def test_the_beat_schedule_has_the_heartbeat():
    assert celery_app.conf.beat_schedule["heartbeat"]["task"] == "governance.heartbeat"
