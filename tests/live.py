"""Real processes for the tests that need them: a Celery worker with its embedded beat on the
test database, a redis-server and a PostgreSQL cluster of the test's own (to stop and restart),
and a gunicorn serving the app. Used by tests/cases/test_celery_live.py and tests/resilience/.

The test database must be visible to a worker: PostgreSQL's test database by name, SQLite's
as a file (tests/settings.py). Tests that use them commit for real (transaction=True) and stop
their processes before pytest-django empties the database.
"""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import redis
from celery import Celery, current_app
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
WAIT = 60  # seconds a condition may take before the test fails


def database_url() -> str:
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


def broker_url() -> str:
    """The broker of the run: Redis when REDIS_URL is set (CI), else the filesystem transport."""
    return os.environ.get("REDIS_URL") or "filesystem://localhost//"


def filesystem_options(var_dir: Path) -> dict:
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


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _inherited_env() -> dict:
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "SANHUA_", "CELERY_")) and k not in ("DATABASE_URL",)
    }


class LiveWorker:
    """`celery -A governance worker --beat` in a subprocess on `broker_url`, with a queue and a
    cache prefix of its own (parallel runs may share one Redis), the sweeper every second and
    its log in a file (a pipe nobody reads would fill up and stall it). It runs in a process
    group of its own, so kill() takes its embedded beat down with it, as a machine failure
    would."""

    def __init__(self, var_dir: Path, broker_url: str, *, queue: str | None = None, **env):
        self.var_dir, self.broker_url = var_dir, broker_url
        self.tag = uuid.uuid4().hex[:8]
        self.queue = queue or f"test-{self.tag}"
        self.log_path = var_dir / f"worker-{self.tag}.log"
        self.extra_env = env
        self.process = None

    @property
    def transport_options(self) -> dict:
        if self.broker_url.startswith("filesystem://"):
            return filesystem_options(self.var_dir)
        return {}

    def env(self) -> dict:
        return {
            **_inherited_env(),
            "DJANGO_SETTINGS_MODULE": "governance.settings",
            "DJANGO_SECRET_KEY": "worker-test",
            "DJANGO_DEBUG": "1",
            # The test process's data key, so the worker reads the personal fields it wrote.
            "SANHUA_DATA_KEYS": os.environ["SANHUA_DATA_KEYS"],
            "DATABASE_URL": database_url(),
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
            start_new_session=True,
        )
        return self

    def stop(self) -> None:
        if self.process is None or self.process.returncode is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()
        self._log.close()

    def kill(self) -> None:
        """kill -9 the worker and its embedded beat, mid-task, without any shutdown."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        self._log.close()

    def log(self) -> str:
        return self.log_path.read_text()

    def wait_until(self, condition, what: str, *, timeout: float = WAIT) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            assert self.process.poll() is None, f"the worker died:\n{self.log()}"
            assert time.monotonic() < deadline, f"no {what} within {timeout} s:\n{self.log()}"
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


class RedisServer:
    """A redis-server of the test's own on a spare port, to stop and start again."""

    def __init__(self, directory: Path):
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        assert Path(binary).exists(), (
            "the broker-outage tests need redis-server (Debian: apt-get install redis-server)"
        )
        self.binary, self.directory, self.port = binary, directory, free_port()
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


def postgresql_bin() -> Path:
    """The newest PostgreSQL server programs installed (Debian: /usr/lib/postgresql/N/bin)."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name)
    )
    assert found, (
        "the PostgreSQL restart test needs the server (Debian: apt-get install postgresql)"
    )
    return found[-1].parent


class PostgresCluster:
    """A PostgreSQL cluster of the test's own: initdb into a fresh folder, served on a spare
    port and a socket in that folder, to stop and restart at will. PostgreSQL refuses to run as
    root, so as root the programs run as the `postgres` user, in a folder it owns."""

    def __init__(self):
        self.bin = postgresql_bin()
        # Not pytest's tmp_path: the postgres user cannot enter root's private temp folders.
        self.directory = Path(tempfile.mkdtemp(prefix="sanhua-pg-"))
        self.data = self.directory / "data"
        self.port = free_port()
        self.as_postgres = os.geteuid() == 0
        if self.as_postgres:
            shutil.chown(self.directory, user="postgres", group="postgres")

    def url(self, name: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def _run(self, program: str, *args: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if self.as_postgres else []
        done = subprocess.run(
            [*prefix, str(self.bin / program), *args], capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, f"{program} failed:\n{done.stdout}\n{done.stderr}"

    def _pg_ctl(self, command: str, *args: str) -> None:
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1"
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.directory / "server.log"),
            "-o", options, "-w", "-t", "60", command, *args,
        )  # fmt: skip

    def init(self) -> "PostgresCluster":
        self._run(
            "initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
            "--no-sync", "--locale=C",
        )  # fmt: skip
        return self

    def start(self) -> None:
        self._pg_ctl("start")

    def restart(self) -> None:
        """Stop at once, as a crash would (in-flight transactions are lost, committed ones come
        back from the WAL), and start again."""
        self._pg_ctl("restart", "-m", "immediate")

    def destroy(self) -> None:
        if (self.data / "postmaster.pid").exists():
            with contextlib.suppress(AssertionError):
                self._pg_ctl("stop", "-m", "immediate")
        shutil.rmtree(self.directory, ignore_errors=True)

    def log(self) -> str:
        path = self.directory / "server.log"
        return path.read_text() if path.exists() else ""


class WebServer:
    """gunicorn serving the app as in production (DEBUG off) on a spare port, with `env`."""

    def __init__(self, var_dir: Path, *, workers: int = 2, **env):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.var_dir, self.workers, self.extra_env = var_dir, workers, env
        self.log_path = var_dir / f"gunicorn-{self.port}.log"
        self.process = None

    def start(self) -> "WebServer":
        env = {
            **_inherited_env(),
            "DJANGO_SETTINGS_MODULE": "governance.settings",
            "DJANGO_SECRET_KEY": "web-test-" + uuid.uuid4().hex,
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "DJANGO_SECURE_COOKIES": "0",
            "DJANGO_HSTS_SECONDS": "0",
            "SANHUA_VAR_DIR": str(self.var_dir),
            "SANHUA_DATA_KEYS": os.environ["SANHUA_DATA_KEYS"],
            **self.extra_env,
        }
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "governance.wsgi",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(self.workers),
                "--timeout",
                "60",
            ],  # fmt: skip
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + WAIT
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port)):
                return self
            assert self.process.poll() is None, f"gunicorn exited:\n{self.log()}"
            assert time.monotonic() < deadline, f"gunicorn did not listen:\n{self.log()}"
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self._log.close()

    def log(self) -> str:
        return self.log_path.read_text()
