"""Benchmark of the case workflow on PostgreSQL and Redis, with gunicorn and real Celery workers.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/sanhua_bench
    export REDIS_URL=redis://127.0.0.1:6379/0
    python bench/cases.py [--dashboard-cases N] [--sweep-cases N]

Migrates the database and loads the demo district if needed, starts gunicorn and a Celery worker
with its beat (sweeper every second) on a queue of its own, then measures, each next to a
baseline measured in the same run on the same machine:

1. filing: POST /api/cases/ (token, GPS point, category, description) at concurrency 1, 8 and
   32 — requests/s and p50/p95/p99 — against a plain psycopg loop inserting the same rows (case,
   report event, notification) at the same concurrency;
2. dashboard: GET /api/metrics/summary/ as the district supervisor over the last 365 days with
   N cases in the table (default 1,000,000; seeded once and kept) — p50/p95 — against the
   straightforward GROUP BY over the cases table for the figures it holds (this period, the one
   before, the same one last year);
3. escalation sweep: N overdue grid cases (default 20,000) escalated one level by the workers:
   escalations/s and total time, each checked escalated exactly once — against a plain SQL
   loop (FOR UPDATE SKIP LOCKED batches of 200, UPDATE + INSERT event) on as many other rows;
   then the notifications of those escalations: written per second from the sweep's start to
   the last one, and how long the last one came after the last escalation;
4. memory: peak RSS of each gunicorn and Celery worker process after the runs;
5. reads, at the dashboard's cases: the case list's first page (API, and the console queue in
   both views) and a case's detail (API and console page) as a grid worker, a street and the
   district — p50/p95 — against the bare indexed SQL of the same page through psycopg.

The registry import has a benchmark of its own, bench/imports.py.

Prints the table and writes it as JSON to bench/results/. bench/README.md has a full run.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "governance.settings")
os.environ.setdefault("DJANGO_DEBUG", "1")  # demo logins are only loaded with DEBUG on

import django  # noqa: E402

django.setup()

import psycopg  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Exists, OuterRef  # noqa: E402
from django.utils import timezone  # noqa: E402

from cases.demo import build_categories  # noqa: E402
from cases.metrics import Period  # noqa: E402
from cases.models import Case, CaseRollupState, Category  # noqa: E402
from governance.models import ApiToken  # noqa: E402
from grid.demo import DISTRICT_CODE, HOME_COMMUNITY, build_demo  # noqa: E402
from grid.models import Area  # noqa: E402

RESULTS = ROOT / "bench" / "results"
PASSWORD = "sanhua123"
CONCURRENCY = (1, 8, 32)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--filings", type=int, default=300, help="requests per concurrency")
    parser.add_argument("--dashboard-cases", type=int, default=1_000_000)
    parser.add_argument("--dashboard-samples", type=int, default=30)
    parser.add_argument("--reads-samples", type=int, default=100)
    parser.add_argument("--sweep-cases", type=int, default=20_000)
    parser.add_argument("--web-workers", type=int, default=4)
    parser.add_argument("--celery-concurrency", type=int, default=2)
    options = parser.parse_args()
    if connection.vendor != "postgresql" or not settings.REDIS_URL:
        sys.exit("bench/cases.py measures PostgreSQL and Redis: set DATABASE_URL and REDIS_URL")

    load_before = os.getloadavg()
    call_command("migrate", verbosity=0)
    if not Area.objects.filter(code=DISTRICT_CODE).exists():
        build_demo(PASSWORD)
    if not Category.objects.exists():
        build_categories(Area.objects.get(code=DISTRICT_CODE))
    fixtures = Fixtures.load()

    tag = uuid.uuid4().hex[:8]
    with Processes(tag, options) as processes:
        results = {
            "filing": bench_filing(processes, fixtures, options.filings),
            "dashboard": bench_dashboard(processes.web_url, fixtures, options),
            "reads": bench_reads(processes, options.reads_samples),
            "sweep": bench_sweep(fixtures, options.sweep_cases),
        }
        results["memory"] = processes.peak_memory()

    report = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(load_before),
        "options": vars(options),
        "results": results,
    }
    print_table(results)
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"cases-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str))
    print(f"written to {path.relative_to(ROOT)}")


def machine(load_before) -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server = cursor.fetchone()[0]
    return {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "postgresql": server,
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
    }


class Fixtures:
    """Ids the raw SQL needs: grid1's grid and its community, categories, users."""

    @classmethod
    def load(cls) -> Fixtures:
        self = cls()
        self.grid = Area.objects.get(name=HOME_COMMUNITY).children.order_by("code").first()
        self.community = self.grid.parent
        self.grids = list(Area.objects.filter(level=Area.Level.GRID).values_list("pk", flat=True))
        self.categories = list(
            Category.objects.filter(parent__isnull=False, start_level=Area.Level.GRID)
            .order_by("code")
            .values_list("pk", flat=True)
        )
        self.grid_category = Category.objects.get(code="0101").pk
        users = get_user_model().objects.filter(username__in=["grid1", "community", "supervisor"])
        self.users = {user.username: user for user in users}
        self.tokens = {name: ApiToken.objects.create(user)[1] for name, user in self.users.items()}
        return self


# Processes


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Processes:
    """gunicorn and a Celery worker with its beat, production settings (DEBUG off)."""

    def __init__(self, tag: str, options):
        self.tag, self.options = tag, options
        self.port = free_port()
        self.web_url = f"http://127.0.0.1:{self.port}"
        self.logs = Path(tempfile.mkdtemp(prefix="sanhua-bench-"))

    def env(self) -> dict:
        keep = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SANHUA_"))}
        return {
            **keep,
            "DJANGO_SETTINGS_MODULE": "governance.settings",
            "DJANGO_SECRET_KEY": settings.SECRET_KEY,
            "SANHUA_REGISTRY_KEY": settings.REGISTRY_HMAC_KEY,
            "SANHUA_DATA_KEYS": ",".join(settings.DATA_KEYS),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "DJANGO_SECURE_COOKIES": "0",
            "DJANGO_HSTS_SECONDS": "0",
            "DJANGO_LOG_LEVEL": "WARNING",
            "SANHUA_VAR_DIR": str(self.logs),
            "SANHUA_CELERY_QUEUE": f"bench-{self.tag}",
            "SANHUA_CACHE_PREFIX": f"bench-{self.tag}",
            "SANHUA_SWEEP_SECONDS": "1",
        }

    def __enter__(self) -> Processes:
        # The pages (bench_reads) need the static files' manifest that DEBUG off serves from.
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
            cwd=ROOT,
            env=self.env(),
            check=True,
        )
        self.web = self._start(
            "gunicorn",
            [
                "-m",
                "gunicorn",
                "governance.wsgi",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(self.options.web_workers),
                "--timeout",
                "120",
            ],
        )
        self.worker = self._start(
            "celery",
            [
                "-m",
                "celery",
                "-A",
                "governance",
                "worker",
                "--beat",
                "--loglevel",
                "WARNING",
                "--concurrency",
                str(self.options.celery_concurrency),
                "--hostname",
                f"bench-{self.tag}@%h",
                "--without-mingle",
                "--without-gossip",
            ],
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port)).close()
                break
            except OSError:
                if time.monotonic() > deadline or self.web.poll() is not None:
                    sys.exit((self.logs / "gunicorn.log").read_text())
                time.sleep(0.2)
        return self

    def _start(self, name: str, args: list[str]) -> subprocess.Popen:
        log = (self.logs / f"{name}.log").open("w")
        return subprocess.Popen(
            [sys.executable, *args],
            cwd=ROOT,
            env=self.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def peak_memory(self) -> dict:
        return {
            "gunicorn_worker_peak_rss_mb": _children_peak_rss(self.web.pid),
            "celery_worker_peak_rss_mb": _children_peak_rss(self.worker.pid),
        }

    def __exit__(self, *exc) -> None:
        for process in (self.web, self.worker):
            process.send_signal(signal.SIGTERM)
        for process in (self.web, self.worker):
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


def cpu_seconds(parent: int) -> float:
    """User + system CPU seconds of `parent` and its living children (gunicorn's master and
    workers; Celery's main process, its beat and its pool)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # The command name (field 2) may hold spaces: split after its closing bracket.
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        pid = int(stat.parent.name)
        if pid == parent or fields[1] == str(parent):  # fields[1] is the parent's pid
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def _children_peak_rss(parent: int) -> list[float]:
    """VmHWM (peak resident set) in MB of each child process of `parent`."""
    peaks = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(
                line.split(":", 1) for line in status.read_text().splitlines() if ":" in line
            )
        except OSError:
            continue
        if fields.get("PPid", "").strip() == str(parent) and "VmHWM" in fields:
            peaks.append(round(int(fields["VmHWM"].split()[0]) / 1024, 1))
    return sorted(peaks)


# Measuring


def percentiles(times_ms: list[float]) -> dict:
    times = sorted(times_ms)

    def at(q: float) -> float:
        return round(times[min(len(times) - 1, int(len(times) * q))], 2)

    return {
        "n": len(times),
        "p50_ms": at(0.50),
        "p95_ms": at(0.95),
        "p99_ms": at(0.99),
        "mean_ms": round(statistics.fmean(times), 2),
    }


def run_concurrently(work, count: int, concurrency: int) -> dict:
    """Call work(n) for n in range(count) from `concurrency` threads; timings and rate."""
    times: list[float] = []
    lock = threading.Lock()
    local = threading.local()

    def one(n: int) -> None:
        started = time.perf_counter()
        work(n, local)
        elapsed = (time.perf_counter() - started) * 1000
        with lock:
            times.append(elapsed)

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, range(count)))
    wall = time.perf_counter() - started
    return {**percentiles(times), "per_second": round(count / wall, 1), "seconds": round(wall, 2)}


def db_connect() -> psycopg.Connection:
    db = connection.settings_dict
    return psycopg.connect(
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        user=db["USER"],
        password=db["PASSWORD"] or None,
        dbname=db["NAME"],
    )


def ratio(value: float, baseline: float) -> float | None:
    return round(value / baseline, 2) if baseline else None


# 1. Filing


def bench_filing(processes: Processes, fx: Fixtures, count: int) -> dict:
    host = urlsplit(processes.web_url)
    token = fx.tokens["grid1"]
    grid1, community = fx.users["grid1"].pk, fx.users["community"].pk

    def api(n: int, local) -> None:
        if not hasattr(local, "http"):
            local.http = http.client.HTTPConnection(host.hostname, host.port, timeout=60)
        body = json.dumps(
            {
                "category": "0501",  # starts at the community, whose staff are notified
                "title": f"压测上报 {n}",
                "description": "公交站台旁花坛被踩踏，老人上车不便",
                "lng": fx.grid.centroid_lng,
                "lat": fx.grid.centroid_lat,
                "client_id": str(uuid.uuid4()),
            }
        )
        local.http.request(
            "POST",
            "/api/cases/",
            body,
            {"Authorization": f"Token {token}", "Content-Type": "application/json"},
        )
        response = local.http.getresponse()
        response.read()
        assert response.status == 201, response.status

    category = Category.objects.get(code="0501").pk

    def plain(n: int, local) -> None:
        if not hasattr(local, "db"):
            local.db = db_connect()
        now = timezone.now()
        with local.db.transaction(), local.db.cursor() as cursor:
            cursor.execute(
                "INSERT INTO cases_case (number, client_id, category_id, urgency, source, title,"
                " description, address, lng, lat, grid_id, level, holder_id, status,"
                " status_before_suspension, version, due_at, is_overdue, rework_count,"
                " escalation_count, urge_count, reporter_id, resolution, reported_at,"
                " hotline_number)"
                " VALUES (%s, %s, %s, 'normal', 'patrol', %s, %s, '', %s, %s, %s, 3, %s,"
                " 'reported', '', 1, %s, false, 0, 0, 0, %s, '', %s, '') RETURNING id",
                [
                    f"P{uuid.uuid4().hex[:24]}",
                    uuid.uuid4(),
                    category,
                    f"基线 {n}",
                    "公交站台旁花坛被踩踏，老人上车不便",
                    fx.grid.centroid_lng,
                    fx.grid.centroid_lat,
                    fx.grid.pk,
                    community_area,
                    now + timedelta(hours=4),
                    grid1,
                    now,
                ],
            )
            case_id = cursor.fetchone()[0]
            cursor.execute(
                "INSERT INTO cases_caseevent (case_id, action, actor_id, at, from_status,"
                " to_status, to_level, to_holder_id, reason, data, version)"
                " VALUES (%s, 'report', %s, %s, '', 'reported', 3, %s, '', '{}', 1)"
                " RETURNING id",
                [case_id, grid1, now, community_area],
            )
            event_id = cursor.fetchone()[0]
            cursor.execute(
                "INSERT INTO cases_notification (user_id, case_id, event_id, text, created_at)"
                " VALUES (%s, %s, %s, %s, %s)",
                [community, case_id, event_id, "新事件待受理", now],
            )

    community_area = fx.community.pk
    results = {"queries_per_filing": filing_queries(fx)}
    for concurrency in CONCURRENCY:
        baseline = run_concurrently(plain, count, concurrency)
        wait_until_routed()
        web_before = cpu_seconds(processes.web.pid)
        worker_before = cpu_seconds(processes.worker.pid)
        measured = run_concurrently(api, count, concurrency)
        # The work after filing (route_case: duplicates, notifications) counts too.
        wait_until_routed()
        web_cpu = cpu_seconds(processes.web.pid) - web_before
        worker_cpu = cpu_seconds(processes.worker.pid) - worker_before
        measured["cpu_ms_per_filing"] = {
            "web": round(web_cpu * 1000 / count, 2),
            "celery": round(worker_cpu * 1000 / count, 2),
        }
        measured["per_second_ratio_to_baseline"] = ratio(
            baseline["per_second"], measured["per_second"]
        )
        measured["p50_ratio_to_baseline"] = ratio(measured["p50_ms"], baseline["p50_ms"])
        results[f"c{concurrency}"] = {"baseline_psycopg": baseline, "api": measured}
        print(
            f"filing at concurrency {concurrency}: {measured['per_second']}/s via the API, "
            f"{baseline['per_second']}/s plain"
        )
    return results


def wait_until_routed(timeout: float = 120) -> None:
    """Until the worker has done the post-filing work of every case filed (route_case)."""
    deadline = time.monotonic() + timeout
    # The API's filings (the plain baseline's rows are never routed).
    while Case.objects.filter(routed_at__isnull=True, title__startswith="压测上报").exists():
        if time.monotonic() > deadline:
            sys.exit("the Celery worker did not route the filed cases within two minutes")
        time.sleep(0.2)


def filing_queries(fx: Fixtures, samples: int = 5) -> dict:
    """SQL statements of one filing through the API (in this process, DEBUG off, after a
    warm-up filing) and of its post-filing task, median of `samples`."""
    from django.db import reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from cases import tasks

    client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Token {fx.tokens['grid1']}")
    web, worker = [], []
    for n in range(samples + 1):
        body = {
            "category": "0501",
            "title": f"计数 {n}",
            "lng": fx.grid.centroid_lng,
            "lat": fx.grid.centroid_lat,
            "client_id": str(uuid.uuid4()),
        }
        reset_queries()
        with CaptureQueriesContext(connection) as request:
            response = client.post("/api/cases/", json.dumps(body), content_type="application/json")
        assert response.status_code == 201, response.content[:300]
        with CaptureQueriesContext(connection) as task:
            tasks.route_case(response.json()["id"])
        if n:  # the first fills the process's memos
            web.append(len(request.captured_queries))
            worker.append(len(task.captured_queries))
    return {"web": statistics.median(web), "celery": statistics.median(worker)}


# 2. Dashboard


SEED_CHUNK = 100_000
# The history each seeded case gets, by the version it ends at: reported (1) has its report,
# in progress (2) its acceptance too, closed (4) its resolution and verification as well.
SEED_STEPS = (
    "(VALUES ('report', n.reported_at, '', 'reported', NULL::smallint, NULL::bigint, 1),"
    " ('accept', n.accepted_at, 'reported', 'in_progress', 4, n.holder_id, 2),"
    " ('resolve', n.resolved_at, 'in_progress', 'resolved', 4, n.holder_id, 3),"
    " ('verify_pass', n.closed_at, 'resolved', 'closed', 4, n.holder_id, 4))"
    " AS s (action, at, before, after, from_level, from_holder, version)"
)


def seed_cases(
    tag: str, count: int, fx: Fixtures, *, overdue: bool, due: str = "now() - interval '1 day'"
) -> float:
    """Insert `count` cases numbered B<tag>… with their histories in plain SQL; seconds taken.

    Dashboard cases (overdue=False) spread over two years across every grid and grid-level
    category: 60% closed at the grid (report, accept, resolve, verify_pass), 25% in progress,
    15% waiting, none due for weeks. Sweep cases (overdue=True) all wait at grid1's grid with
    their accept deadline a day past (or at `due`). Each chunk of SEED_CHUNK cases is one
    statement (the cases, and their events from what the insert returns) and one commit."""
    started = time.perf_counter()
    prefix = f"B{tag}"
    reporter = fx.users["grid1"].pk
    if overdue:
        cases = (
            "INSERT INTO cases_case (number, category_id, urgency, source, title, description,"
            " address, lng, lat, grid_id, level, holder_id, status, status_before_suspension,"
            " version, due_at, is_overdue, rework_count, escalation_count, urge_count,"
            " reporter_id, resolution, reported_at, routed_at, hotline_number)"
            " SELECT %(prefix)s || lpad(i::text, 9, '0'), %(category)s, 'normal', 'patrol',"
            " '超时 ' || i, '', '', %(lng)s, %(lat)s, %(grid)s, 4, %(grid)s, 'reported', '', 1,"
            f" {due}, false, 0, 0, 0, %(reporter)s, '', now() - interval '2 days',"
            " now() - interval '2 days', ''"
            " FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS i"
        )
        fixed = {
            "category": fx.grid_category,
            "lng": fx.grid.centroid_lng,
            "lat": fx.grid.centroid_lat,
            "grid": fx.grid.pk,
        }
    else:
        cases = (
            "INSERT INTO cases_case (number, category_id, urgency, source, title, description,"
            " address, lng, lat, grid_id, level, holder_id, status, status_before_suspension,"
            " version, due_at, is_overdue, rework_count, escalation_count, urge_count,"
            " reporter_id, resolution, reported_at, routed_at, accepted_at, resolved_at,"
            " closed_at, closed_level, hotline_number)"
            " SELECT %(prefix)s || lpad(i::text, 9, '0'),"
            " (%(categories)s::bigint[])[1 + i %% %(category_count)s], 'normal', 'patrol',"
            " '看板 ' || i, '', '', NULL, NULL, g, 4, g,"
            " CASE WHEN i %% 20 < 12 THEN 'closed' WHEN i %% 20 < 17 THEN 'in_progress'"
            " ELSE 'reported' END, '', CASE WHEN i %% 20 < 12 THEN 4 WHEN i %% 20 < 17"
            " THEN 2 ELSE 1 END, CASE WHEN i %% 20 < 12 THEN NULL ELSE now()"
            " + interval '30 days' END, false, 0, 0, 0, %(reporter)s, '', at, at,"
            " CASE WHEN i %% 20 < 17 THEN at + interval '1 hour' END,"
            " CASE WHEN i %% 20 < 12 THEN at + interval '20 hours' END,"
            " CASE WHEN i %% 20 < 12 THEN at + interval '30 hours' END,"
            " CASE WHEN i %% 20 < 12 THEN 4 END, ''"
            " FROM (SELECT i, (%(grids)s::bigint[])[1 + (i * 7919) %% %(grid_count)s] AS g,"
            " now() - (i %% 730) * interval '1 day' - (i %% 600) * interval '1 minute' AS at"
            " FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS i) AS s"
        )
        fixed = {
            "categories": fx.categories,
            "category_count": len(fx.categories),
            "grids": fx.grids,
            "grid_count": len(fx.grids),
        }
    sql = (
        f"WITH n AS ({cases} RETURNING id, version, reporter_id, holder_id, reported_at,"
        " accepted_at, resolved_at, closed_at)"
        " INSERT INTO cases_caseevent (case_id, action, actor_id, at, from_status, to_status,"
        " from_level, to_level, from_holder_id, to_holder_id, reason, data, version,"
        f" notified_at) SELECT n.id, s.action, n.reporter_id, s.at, s.before, s.after,"
        f" s.from_level, 4, s.from_holder, n.holder_id, '', '{{}}', s.version, s.at"
        f" FROM n CROSS JOIN LATERAL {SEED_STEPS} WHERE s.version <= n.version"
    )
    with db_connect() as db:
        for first in range(1, count + 1, SEED_CHUNK):
            last = min(count, first + SEED_CHUNK - 1)
            with db.transaction():
                db.execute(
                    sql,
                    {"prefix": prefix, "reporter": reporter, "first": first, "last": last, **fixed},
                )
            if count > SEED_CHUNK:
                print(
                    f"  seeded {last:,} of {count:,} cases ({time.perf_counter() - started:.0f} s)",
                    flush=True,
                )
        db.execute("ANALYZE cases_case")
        db.execute("ANALYZE cases_caseevent")
    return round(time.perf_counter() - started, 1)


def bench_dashboard(web_url: str, fx: Fixtures, options) -> dict:
    dashboard_cases = Case.objects.filter(number__startswith="B", title__startswith="看板")
    have = dashboard_cases.count()
    seeding = 0.0
    if have < options.dashboard_cases:
        print(f"dashboard: seeding {options.dashboard_cases - have:,} cases")
        seeding = seed_cases(
            uuid.uuid4().hex[:8], options.dashboard_cases - have, fx, overdue=False
        )
    rebuild = 0.0
    # Cases written in plain SQL are not in the rollups yet (the workflow counts its own); a
    # run stopped after seeding left some uncounted too.
    uncounted = dashboard_cases.exclude(
        Exists(CaseRollupState.objects.filter(case_id=OuterRef("pk")))
    ).exists()
    if seeding or uncounted:
        print("dashboard: rebuilding the rollups")
        started = time.perf_counter()
        call_command("rebuild_rollups")
        rebuild = round(time.perf_counter() - started, 1)
    with db_connect() as db:
        # Both ways are timed on fresh planner statistics (the tables may have just been
        # filled, and autovacuum may be off), so neither runs on a plan made for empty tables.
        db.execute(
            "ANALYZE grid_area, cases_case, cases_arearollup, cases_handlingrollup,"
            " cases_departmentrollup, cases_workerrollup"
        )
    cases = Case.objects.count()
    print(f"dashboard: {cases:,} cases (seeded in {seeding} s, rollups rebuilt in {rebuild} s)")

    today = timezone.localdate()
    period = Period(today - timedelta(days=364), today)
    host = urlsplit(web_url)
    http_connection = http.client.HTTPConnection(host.hostname, host.port, timeout=120)
    url = f"/api/metrics/summary/?start={period.start}&end={period.end}"
    headers = {"Authorization": f"Token {fx.tokens['supervisor']}"}

    def api() -> None:
        http_connection.request("GET", url, headers=headers)
        response = http_connection.getresponse()
        response.read()
        assert response.status == 200, response.status

    district_path = Area.objects.get(code=DISTRICT_CODE).path
    db = db_connect()
    # Planned for its parameters at each run, as the ORM's queries are: a statement psycopg
    # prepares after five runs gets a generic plan, several times slower for older periods.
    db.prepare_threshold = None
    # The endpoint's three periods: this one, the one before (环比), the same days a year
    # earlier (同比), each from local midnight to local midnight.
    bounds = [p.bounds() for p in (period, period.previous(), period.last_year())]

    def group_by() -> None:
        # The figures of the tiles that the cases table holds, counted from it for the
        # district: received, accepted, closed, rejected, suspended and open (by status),
        # closed at the grid, community and street, closed on time, overdue, and the average
        # and median handling time. (Escalations, urges and callbacks would need the events
        # too: left out, so the baseline is if anything cheaper than the endpoint's work.)
        for first, last in bounds:
            db.execute(
                "SELECT c.status, count(*), count(c.accepted_at),"
                " count(*) FILTER (WHERE c.closed_level = 4),"
                " count(*) FILTER (WHERE c.closed_level = 3),"
                " count(*) FILTER (WHERE c.closed_level = 2),"
                " count(*) FILTER (WHERE c.closed_at <= coalesce(c.final_due_at, c.closed_at)),"
                " count(*) FILTER (WHERE c.is_overdue),"
                " avg(extract(epoch FROM c.closed_at - c.reported_at)),"
                " percentile_cont(0.5) WITHIN GROUP"
                " (ORDER BY extract(epoch FROM c.closed_at - c.reported_at))"
                " FROM cases_case c JOIN grid_area g ON g.id = c.grid_id"
                " WHERE g.path LIKE %s AND c.reported_at >= %s AND c.reported_at < %s"
                " GROUP BY c.status",
                [district_path + "%", first, last],
            ).fetchall()

    samples = options.dashboard_samples
    for _warm in range(3):
        api()
        group_by()
    baseline = run_timed(group_by, samples)
    measured = run_timed(api, samples)
    measured["p50_ratio_to_baseline"] = ratio(measured["p50_ms"], baseline["p50_ms"])
    db.close()
    return {
        "cases": cases,
        "endpoint": "GET /api/metrics/summary/ (district supervisor, last 365 days)",
        "seed_seconds": seeding,
        "rollup_rebuild_seconds": rebuild,
        "baseline_group_by": baseline,
        "api": measured,
    }


def run_timed(call, count: int) -> dict:
    times = []
    for _n in range(count):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return percentiles(times)


# 3. Escalation sweep


def bench_sweep(fx: Fixtures, count: int) -> dict:
    # Baseline first, on rows of its own that the workers' sweeper never sees as due: their
    # deadline is a year away, and the plain loop takes grid-level rows due within two years
    # (once moved up to the community they are no longer its concern).
    base_tag = uuid.uuid4().hex[:8]
    seed_cases(base_tag, count, fx, overdue=True, due="now() + interval '1 year'")
    baseline = plain_sweep(base_tag, fx)
    print(f"sweep baseline: {baseline['per_second']}/s")

    tag = uuid.uuid4().hex[:8]
    seed_seconds = seed_cases(tag, count, fx, overdue=True)  # the workers start at once
    started = time.perf_counter()  # the rows are committed: the next sweep takes them
    started_at = datetime.now(UTC)
    prefix = f"B{tag}%"
    with db_connect() as db:
        while True:
            done = db.execute(
                "SELECT count(*) FROM cases_caseevent e JOIN cases_case c ON c.id = e.case_id"
                " WHERE c.number LIKE %s AND e.action = 'auto_escalate'",
                [prefix],
            ).fetchone()[0]
            db.commit()
            if done >= count:
                break
            if time.perf_counter() - started > 3600:
                sys.exit("the sweep did not finish within an hour")
            time.sleep(0.5)
    total = time.perf_counter() - started
    notified = sweep_notifications(prefix, started_at, started_at + timedelta(seconds=total))
    time.sleep(3)  # a few more sweeps, which must change nothing
    check = exactly_once(prefix)
    measured = {
        "cases": count,
        "seconds": round(total, 1),
        "per_second": round(count / total, 1),
        **check,
    }
    measured["per_second_ratio_to_baseline"] = ratio(baseline["per_second"], measured["per_second"])
    print(f"sweep: {measured['per_second']}/s by the workers, exactly once: {check}")
    print(
        f"sweep notifications: {notified['per_second']}/s, the last "
        f"{notified['after_last_escalation_seconds']} s after the last escalation"
    )
    return {
        "seed_seconds": seed_seconds,
        "baseline_sql": baseline,
        "workers": measured,
        "notifications": notified,
    }


def sweep_notifications(prefix: str, started_at: datetime, escalated_at: datetime) -> dict:
    """Once every escalation of the sweep is notified (cases.notify_events after each batch,
    or the catch-up): how many notifications, written how fast from the sweep's start to the
    last one, and how long after the last escalation (`escalated_at`, as polled) that came."""
    events = "FROM cases_caseevent e JOIN cases_case c ON c.id = e.case_id"
    sweeps = " WHERE c.number LIKE %s AND e.action = 'auto_escalate'"
    with db_connect() as db:
        while True:
            left = db.execute(
                f"SELECT count(*) {events}{sweeps} AND e.notified_at IS NULL", [prefix]
            ).fetchone()[0]
            db.commit()
            if left == 0:
                break
            if datetime.now(UTC) - escalated_at > timedelta(hours=1):
                sys.exit("the sweep's notifications were not written within an hour")
            time.sleep(0.5)
        notified, written, last = db.execute(
            "SELECT count(DISTINCT e.id), count(n.id), max(n.created_at)"
            f" {events} LEFT JOIN cases_notification n ON n.event_id = e.id{sweeps}",
            [prefix],
        ).fetchone()
    seconds = (last - started_at).total_seconds()
    return {
        "events": notified,
        "notifications": written,
        "seconds": round(seconds, 1),
        "per_second": round(written / seconds, 1),
        "after_last_escalation_seconds": round((last - escalated_at).total_seconds(), 1),
    }


def exactly_once(prefix: str) -> dict:
    with db_connect() as db:
        per_case = db.execute(
            "SELECT count(*) FILTER (WHERE n = 1), count(*) FILTER (WHERE n <> 1) FROM ("
            " SELECT c.id, count(e.id) AS n FROM cases_case c LEFT JOIN cases_caseevent e"
            " ON e.case_id = c.id AND e.action IN ('auto_escalate', 'escalate')"
            " WHERE c.number LIKE %s GROUP BY c.id) AS per_case",
            [prefix],
        ).fetchone()
        states = db.execute(
            "SELECT level, version, escalation_count, count(*) FROM cases_case"
            " WHERE number LIKE %s GROUP BY 1, 2, 3",
            [prefix],
        ).fetchall()
    return {
        "escalated_once": per_case[0],
        "escalated_not_once": per_case[1],
        "states": [list(s) for s in states],
        "exactly_once": per_case[1] == 0 and len(states) == 1 and tuple(states[0][:3]) == (3, 2, 1),
    }


def plain_sweep(tag: str, fx: Fixtures) -> dict:
    """What the sweeper does, in plain SQL: batches of 200 due rows taken FOR UPDATE SKIP
    LOCKED, each moved one level up with a new deadline and an event, one transaction each."""
    prefix = f"B{tag}%"
    started = time.perf_counter()
    moved = 0
    with db_connect() as db:
        while True:
            with db.transaction():
                rows = db.execute(
                    "WITH due AS (SELECT id FROM cases_case WHERE number LIKE %s"
                    " AND status = 'reported' AND level = 4"
                    " AND due_at <= now() + interval '2 years'"
                    " ORDER BY due_at LIMIT 200"
                    " FOR UPDATE SKIP LOCKED), moved AS (UPDATE cases_case c SET level = 3,"
                    " holder_id = %s, due_at = now() + interval '4 hours', escalation_count ="
                    " c.escalation_count + 1, version = c.version + 1 FROM due"
                    " WHERE c.id = due.id RETURNING c.id, c.version, c.grid_id, c.holder_id)"
                    " INSERT INTO cases_caseevent (case_id, action, at, from_status, to_status,"
                    " from_level, to_level, from_holder_id, to_holder_id, reason, data, version,"
                    " notified_at) SELECT id, 'auto_escalate', now(), 'reported', 'reported',"
                    " 4, 3, grid_id, holder_id, '', '{}', version, now() FROM moved",
                    [prefix, fx.community.pk],
                ).rowcount
            moved += rows
            if rows == 0:
                break
    seconds = time.perf_counter() - started
    return {
        "cases": moved,
        "seconds": round(seconds, 2),
        "per_second": round(moved / seconds, 1),
        **exactly_once(prefix),
    }


# 4. Reads at the dashboard's million cases

# (login, what the row calls them): a grid worker, a street and the district, each reading the
# first page of the case list and one case, as the API and as the office console.
READERS = [("grid1", "grid worker"), ("street", "street"), ("district", "district")]


def bench_reads(processes: Processes, samples: int) -> dict:
    """The case list's first page and one case's detail, per reader, with the dashboard's cases
    in the table: p50/p95 of the API and of the console pages (both views of the queue: what
    the reader's level holds, and every case of their area), each beside the bare indexed SQL
    of the same page through psycopg (the page's rows with the names it shows; the case with
    its history, photos and dispatches)."""
    db = db_connect()
    db.prepare_threshold = None  # planned for its parameters, as the ORM's queries are
    # Planned on fresh statistics (the dashboard analyzed them too; autovacuum may be off).
    db.execute("ANALYZE grid_area, cases_case, cases_caseevent")
    results = {
        "cases": db.execute("SELECT count(*) FROM cases_case").fetchone()[0],
        "samples": samples,
        "readers": {},
    }
    for username, label in READERS:
        user = get_user_model().objects.get(username=username)
        figures = _bench_reader(processes, db, user, samples)
        results["readers"][label] = figures
        print(
            f"reads ({label}): list API p95 {figures['list_api']['p95_ms']} ms, queue p95"
            f" {figures['queue_held_page']['p95_ms']} ms, detail API p95"
            f" {figures['detail_api']['p95_ms']} ms, case page p95"
            f" {figures['detail_page']['p95_ms']} ms"
        )
    db.close()
    return results


def _children_cpu_seconds(parent: int) -> float:
    """User and system CPU time of the child processes of `parent` (gunicorn's workers)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[1] == str(parent):  # ppid; then utime and stime are fields 12 and 13
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def _bench_reader(processes: Processes, db, user, samples: int) -> dict:
    from django.test import Client

    host = urlsplit(processes.web_url)
    http_connection = http.client.HTTPConnection(host.hostname, host.port, timeout=120)
    api_headers = {"Authorization": f"Token {ApiToken.objects.create(user)[1]}"}
    browser = Client()
    browser.force_login(user)
    session = browser.cookies[settings.SESSION_COOKIE_NAME].value
    page_headers = {"Cookie": f"{settings.SESSION_COOKIE_NAME}={session}"}

    def get(url: str, headers: dict) -> None:
        http_connection.request("GET", url, headers=headers)
        response = http_connection.getresponse()
        response.read()
        assert response.status == 200, (url, response.status)

    area = user.posts.get(is_active=True).area
    if area.level == Area.Level.GRID:
        scope, scope_value = "c.grid_id = %s", area.pk
    else:
        scope, scope_value = "g.path LIKE %s", area.path + "%"
    list_sql = (
        "SELECT c.id, c.number, c.title, c.status, c.level, c.urgency, c.due_at, c.reported_at,"
        " k.code, k.name, g.name, h.name FROM cases_case c"
        " JOIN grid_area g ON g.id = c.grid_id JOIN grid_area h ON h.id = c.holder_id"
        " JOIN cases_category k ON k.id = c.category_id"
        f" WHERE {scope} ORDER BY c.reported_at DESC, c.id DESC LIMIT 51"
    )
    picked = db.execute(
        "SELECT c.id FROM cases_case c JOIN grid_area g ON g.id = c.grid_id"
        f" WHERE {scope} ORDER BY random() LIMIT %s",
        [scope_value, samples],
    ).fetchall()
    picks = itertools.cycle([row[0] for row in picked])

    def list_baseline() -> None:
        db.execute(list_sql, [scope_value]).fetchall()

    def detail_baseline() -> None:
        pk = next(picks)
        db.execute(
            "SELECT c.*, k.code, k.name, g.name, h.name FROM cases_case c"
            " JOIN grid_area g ON g.id = c.grid_id JOIN grid_area h ON h.id = c.holder_id"
            " JOIN cases_category k ON k.id = c.category_id WHERE c.id = %s",
            [pk],
        ).fetchall()
        for table in ("cases_caseevent", "cases_casephoto", "cases_dispatch"):
            db.execute(f"SELECT * FROM {table} WHERE case_id = %s", [pk]).fetchall()

    ways = {
        "list_baseline_sql": list_baseline,
        "list_api": lambda: get("/api/cases/", api_headers),
        "queue_held_page": lambda: get("/console/cases/?view=held", page_headers),
        "queue_area_page": lambda: get("/console/cases/?view=area", page_headers),
        "detail_baseline_sql": detail_baseline,
        "detail_api": lambda: get(f"/api/cases/{next(picks)}/", api_headers),
        "detail_page": lambda: get(f"/console/cases/{next(picks)}/", page_headers),
    }
    figures = {}
    for way, call in ways.items():
        for _warm in range(3):
            call()
        cpu = _children_cpu_seconds(processes.web.pid)
        figures[way] = run_timed(call, samples)
        if not way.endswith("baseline_sql"):
            # What a request costs the web workers whatever else runs on the machine.
            spent = _children_cpu_seconds(processes.web.pid) - cpu
            figures[way]["web_cpu_ms_per_request"] = round(spent * 1000 / samples, 1)
    for way in ("list_api", "queue_held_page", "queue_area_page", "detail_api", "detail_page"):
        baseline = figures[
            "list_baseline_sql" if way.startswith(("list", "queue")) else "detail_baseline_sql"
        ]
        figures[way]["p50_ratio_to_baseline"] = ratio(figures[way]["p50_ms"], baseline["p50_ms"])
    http_connection.close()
    return figures


# Output


def print_table(results: dict) -> None:
    print("\n| benchmark | way | rate /s | p50 ms | p95 ms | p99 ms | ratio to baseline |")
    print("|---|---|---:|---:|---:|---:|---:|")
    filing = dict(results["filing"])
    queries = filing.pop("queries_per_filing")
    for level, figures in filing.items():
        for way, values in figures.items():
            note = values.get("per_second_ratio_to_baseline", "1")
            cpu = values.get("cpu_ms_per_filing")
            cpu = f" (CPU ms/filing: web {cpu['web']}, Celery {cpu['celery']})" if cpu else ""
            print(
                f"| filing {level} | {way}{cpu} | {values['per_second']} | {values['p50_ms']} | "
                f"{values['p95_ms']} | {values['p99_ms']} | rate ÷{note} |"
            )
    dashboard = results["dashboard"]
    for way in ("baseline_group_by", "api"):
        values = dashboard[way]
        note = values.get("p50_ratio_to_baseline", "1")
        print(
            f"| dashboard ({dashboard['cases']:,} cases) | {way} | | {values['p50_ms']} | "
            f"{values['p95_ms']} | {values['p99_ms']} | p50 ×{note} |"
        )
    reads = results["reads"]
    for reader, figures in reads["readers"].items():
        for way, values in figures.items():
            note = values.get("p50_ratio_to_baseline", "1")
            cpu = values.get("web_cpu_ms_per_request", "")
            print(
                f"| reads ({reads['cases']:,} cases) {reader} | {way} | | {values['p50_ms']} | "
                f"{values['p95_ms']} | {values['p99_ms']} | p50 ×{note}; web CPU {cpu} ms |"
            )
    sweep = results["sweep"]
    for way in ("baseline_sql", "workers"):
        values = sweep[way]
        note = values.get("per_second_ratio_to_baseline", "1")
        print(
            f"| sweep ({values['cases']:,} cases, {values['seconds']} s, exactly once: "
            f"{values['exactly_once']}) | {way} | {values['per_second']} | | | | "
            f"rate ÷{note} |"
        )
    notified = sweep["notifications"]
    print(
        f"| sweep's notifications ({notified['notifications']:,} of {notified['events']:,} "
        f"escalations, {notified['seconds']} s, the last "
        f"{notified['after_last_escalation_seconds']} s after the last escalation) | workers | "
        f"{notified['per_second']} | | | | |"
    )
    print(f"\nSQL statements per filing: request {queries['web']}, Celery {queries['celery']}")
    memory = results["memory"]
    print(
        f"\npeak RSS (MB): gunicorn workers {memory['gunicorn_worker_peak_rss_mb']}, "
        f"Celery worker processes {memory['celery_worker_peak_rss_mb']}"
    )


if __name__ == "__main__":
    main()
