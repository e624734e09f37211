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
    "SANHUA_DATA_KEYS": "k1:" + "A" * 43 + "=",
}


def _manage(*args, env, drop=()):
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "SANHUA_")) and k not in drop
    }
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


def test_production_refuses_to_start_without_data_keys(tmp_path):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SANHUA_DATA_KEYS"}

    result = _manage("check", env={**env, "SANHUA_VAR_DIR": str(tmp_path)})

    assert result.returncode != 0
    assert "SANHUA_DATA_KEYS" in result.stderr


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


def test_every_task_beat_sends_is_one_a_worker_knows():
    """A misspelt task name would only show as an error in the worker's log, every period."""
    celery_app.loader.import_default_modules()
    names = {entry["task"] for entry in celery_app.conf.beat_schedule.values()}
    assert "datagov.refresh_open_statistics" in names
    assert names - set(celery_app.tasks) == set()


def test_sending_a_task_over_the_filesystem_broker_prints_no_kombu_warning(tmp_path):
    # Seeding with no Redis sends post-commit work through the filesystem broker; kombu used to
    # warn "No hostname was supplied" on every connection.
    result = _manage(
        "shell",
        "-c",
        "from governance.celery import app; app.send_task('governance.heartbeat')",
        env={"DJANGO_DEBUG": "1", "SANHUA_VAR_DIR": str(tmp_path)},
        drop=("REDIS_URL", "CELERY_BROKER_URL"),
    )

    assert result.returncode == 0, result.stderr
    assert list((tmp_path / "broker" / "queue").iterdir()), "the task was not queued"
    assert "hostname" not in result.stderr, result.stderr


def test_make_run_starts_worker_and_beat_at_warning_unless_log_level_says_otherwise():
    procfile = (ROOT / "Procfile.dev").read_text()
    commands = dict(line.split(": ", 1) for line in procfile.splitlines() if line)
    for name in ("worker", "beat"):
        for level, expected in ((None, "WARNING"), ("INFO", "INFO")):
            env = {"LOG_LEVEL": level} if level else {}
            # honcho runs each line through the shell, as here.
            echoed = subprocess.run(
                ["sh", "-c", f"echo {commands[name]}"], env=env, capture_output=True, text=True
            ).stdout
            assert f"--loglevel {expected}" in echoed, (name, echoed)
