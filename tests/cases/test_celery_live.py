"""The case workflow on a real Celery worker with its embedded beat, sharing the test database:
Redis when REDIS_URL is set (CI), kombu's filesystem transport otherwise; nothing runs eagerly.
A second test gives the worker a redis-server of its own and stops it while cases are filed.

The test database must be visible to the worker: PostgreSQL's test database by name, SQLite's
as a file (tests/settings.py). Each test commits for real (transaction=True) and stops its worker
before pytest-django empties the database.
"""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from celery import Celery, current_app
from django.db import connection

from cases import services, tasks
from cases.calendar import SHANGHAI
from cases.models import Case, CaseEvent, Notification

ROOT = Path(__file__).resolve().parent.parent.parent
LONG_AGO = datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)  # filed then, its deadline long past
WAIT = 60  # seconds a condition may take before the test fails

pytestmark = pytest.mark.django_db(transaction=True)


def _database_url() -> str:
    """The test database as a URL the worker's settings understand."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        assert "memory" not in str(db["NAME"]), (
            "the SQLite test database must be a file the worker can open (tests/settings.py)"
        )
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    credentials = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    return f"postgres://{credentials}@{host}/{quote(db['NAME'], safe='')}"


def _filesystem_options(var_dir: Path) -> dict:
    # The same folders governance/settings.py derives from the worker's SANHUA_VAR_DIR.
    broker = var_dir / "broker"
    for folder in ("queue", "control"):
        (broker / folder).mkdir(parents=True, exist_ok=True)
    return {
        "data_folder_in": str(broker / "queue"),
        "data_folder_out": str(broker / "queue"),
        "control_folder": str(broker / "control"),
        "store_processed": False,
    }


class LiveWorker:
    """`celery -A governance worker --beat` in a subprocess on `broker_url`, with a queue and a
    cache prefix of its own (parallel runs may share one Redis), the sweeper every second and
    its log in a file (a pipe nobody reads would fill up and stall it)."""

    def __init__(self, var_dir: Path, broker_url: str, **env):
        self.var_dir, self.broker_url = var_dir, broker_url
        self.tag = uuid.uuid4().hex[:8]
        self.queue = f"test-{self.tag}"
        self.log_path = var_dir / f"worker-{self.tag}.log"
        self.extra_env = env
        self.process = None

    @property
    def transport_options(self) -> dict:
        if self.broker_url.startswith("filesystem://"):
            return _filesystem_options(self.var_dir)
        return {}

    def env(self) -> dict:
        inherited = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("DJANGO_", "SANHUA_", "CELERY_")) and k != "DATABASE_URL"
        }
        return {
            **inherited,
            "DJANGO_SETTINGS_MODULE": "governance.settings",
            "DJANGO_SECRET_KEY": "worker-test",
            "DJANGO_DEBUG": "1",
            "DATABASE_URL": _database_url(),
            "CELERY_BROKER_URL": self.broker_url,
            "SANHUA_VAR_DIR": str(self.var_dir),
            "SANHUA_CELERY_QUEUE": self.queue,
            "SANHUA_CACHE_PREFIX": f"test-{self.tag}",
            "SANHUA_SWEEP_SECONDS": "1",
            "SANHUA_HEARTBEAT_SECONDS": "60",
            **self.extra_env,
        }

    def start(self) -> "LiveWorker":
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen(
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
                f"test-{self.tag}@%h",
                "--without-mingle",
                "--without-gossip",
            ],  # fmt: skip
            cwd=ROOT,
            env=self.env(),
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        return self

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.close()

    def log(self) -> str:
        return self.log_path.read_text()

    def wait_until(self, condition, what: str) -> None:
        deadline = time.monotonic() + WAIT
        while not condition():
            assert self.process.poll() is None, f"the worker died:\n{self.log()}"
            assert time.monotonic() < deadline, f"no {what} within {WAIT} s:\n{self.log()}"
            time.sleep(0.2)

    def wait_for_more_sweeps(self, count: int = 2) -> None:
        """Let the beat run the sweeper `count` more times, to see that it changes nothing."""
        seen = self._finished_sweeps()
        self.wait_until(lambda: self._finished_sweeps() >= seen + count, f"{count} more sweeps")

    def _finished_sweeps(self) -> int:
        return sum(
            1
            for line in self.log().splitlines()
            if "Task cases.sweep[" in line and "succeeded" in line
        )


@contextlib.contextmanager
def publishing_to(worker: LiveWorker):
    """Make this thread's Celery app publish to the worker's broker and queue (the test
    settings otherwise send everything to memory://), as the web process would."""
    app = Celery("sanhua-live-test", set_as_current=False)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.conf.update(
        broker_url=worker.broker_url,
        broker_transport_options=worker.transport_options,
        task_default_queue=worker.queue,
    )
    previous = current_app._get_current_object()
    app.set_current()
    try:
        yield app
    finally:
        previous.set_current()
        app.close()


@contextlib.contextmanager
def running(worker: LiveWorker):
    worker.start()
    try:
        yield worker
    finally:
        worker.stop()


@pytest.fixture
def grid1_files(home_grids, user, category):
    """grid1_files("0501", now=…) → a case filed (and committed) by grid1 from her phone, the
    grid found from the GPS point."""
    grid = home_grids[0]

    def file(code: str, *, title: str = "测试事件", now=None) -> Case:
        case, created = services.report_case(
            reporter=user("grid1"),
            category=category(code),
            title=title,
            lng=grid.centroid_lng,
            lat=grid.centroid_lat,
            client_id=uuid.uuid4(),
            now=now,
        )
        assert created
        return case

    return file


def _routed_and_notified(case: Case) -> bool:
    case.refresh_from_db()
    report = case.events.get(action="report")
    return case.routed_at is not None and report.notified_at is not None


def _recipients(event: CaseEvent) -> list[str]:
    return sorted(Notification.objects.filter(event=event).values_list("user__username", flat=True))


def _escalations(case: Case) -> list[CaseEvent]:
    return list(case.events.filter(action="auto_escalate"))


def _broker_url() -> str:
    return os.environ.get("REDIS_URL") or "filesystem://"


def test_a_real_worker_routes_a_filed_case_and_its_beat_escalates_an_overdue_one(
    tmp_path, grid1_files
):
    worker = LiveWorker(tmp_path, _broker_url())
    with publishing_to(worker), running(worker):
        # Starts at the community: routing must find its staff; the message is the only
        # path, since the sweeper's catch-up waits its default two minutes.
        filed = grid1_files("0501", title="公交站点设置不合理")
        overdue = grid1_files("0101", now=LONG_AGO)

        worker.wait_until(lambda: _routed_and_notified(filed), "routing of the filed case")
        worker.wait_until(lambda: _escalations(overdue), "escalation of the overdue case")
        worker.wait_for_more_sweeps()

    filed.refresh_from_db()
    assert _recipients(filed.events.get()) == ["community"]
    overdue.refresh_from_db()
    assert (overdue.level, overdue.escalation_count, overdue.version) == (3, 1, 2)
    assert len(_escalations(overdue)) == 1
    log = worker.log()
    assert "Task cases.route_case[" in log
    assert "Task cases.notify_event[" in log
    assert "Task cases.sweep[" in log


# The broker outage: a redis-server of the test's own, stopped while cases are filed.


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    def __init__(self, directory: Path):
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        assert Path(binary).exists(), (
            "the broker-outage test needs redis-server (Debian: apt-get install redis-server)"
        )
        self.binary, self.directory, self.port = binary, directory, _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],  # fmt: skip
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=1)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                assert self.process.poll() is None, "redis-server exited at start"
                assert time.monotonic() < deadline, "redis-server did not answer within 10 s"
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


def test_cases_filed_while_the_broker_is_down_are_routed_notified_and_escalated_once_it_is_back(
    tmp_path, grid1_files, caplog
):
    server = RedisServer(tmp_path)
    server.start()
    # The sweeper catches up on work older than a second instead of two minutes.
    worker = LiveWorker(tmp_path, server.url, SANHUA_CATCH_UP_SECONDS="1")
    try:
        with publishing_to(worker):
            before = grid1_files("0501", title="停电前")  # its messages die with the server

            server.stop()
            started = time.monotonic()
            during = [grid1_files("0501", title=f"停电中{n}") for n in range(3)]
            late = grid1_files("0101", now=LONG_AGO, title="早已超时，停电中升级")
            # A sweep that ran while the broker was down: the escalation is committed, the
            # message that would notify the community is not sent.
            assert tasks.sweep_cases() == 1
            later = grid1_files("0101", now=LONG_AGO, title="早已超时，恢复后升级")
            filing_took = time.monotonic() - started
            assert Case.objects.count() == 6
            assert all(c.routed_at is None for c in Case.objects.all())

            server.start()
            with running(worker):
                cases = [before, *during]
                worker.wait_until(
                    lambda: all(_routed_and_notified(c) for c in [*cases, late, later]),
                    "catch-up of every filed case",
                )
                worker.wait_until(lambda: _escalations(later), "escalation after the outage")
                worker.wait_until(
                    lambda: not CaseEvent.objects.filter(notified_at__isnull=True).exists(),
                    "notification of every event",
                )
                after = grid1_files("0501", title="恢复后")
                worker.wait_until(lambda: _routed_and_notified(after), "routing after the outage")
                worker.wait_for_more_sweeps()
    finally:
        server.stop()

    assert filing_took < 30, f"filing six cases with the broker down took {filing_took:.1f} s"
    for case in [before, *during, after]:
        assert _recipients(case.events.get()) == ["community"], case.title
    for case in (late, later):
        case.refresh_from_db()
        assert (case.level, case.escalation_count) == (3, 1), case.title
        (escalation,) = _escalations(case)
        assert _recipients(escalation) == ["community"], case.title
    unsent = [r.getMessage() for r in caplog.records if r.name == "cases.tasks"]
    assert len(unsent) == 2 * 5 + 1  # route + notify per case filed down, notify of the step
    assert all(m.startswith("broker unreachable") for m in unsent)
