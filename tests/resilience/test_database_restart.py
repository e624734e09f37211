"""PostgreSQL restarted, twice, as if it crashed, while a phone files cases through gunicorn and
retries each one with the same client id until it is answered: every filing answered 2xx exists
exactly once, with its one report event, whatever the outage did to the requests in flight.

The cluster is the test's own (initdb into a temporary folder, a spare port), so this runs on
every machine with PostgreSQL's server programs, whatever database the suite itself uses.
"""

import http.client
import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid

import psycopg
import pytest

from tests.conftest import DEMO_PASSWORD
from tests.live import ROOT, WAIT, PostgresCluster, WebServer

FILINGS = 80
MAX_ATTEMPTS = 200  # a tenth of a second apart: 20 s of outage at most

SETUP = f"""
import django
django.setup()
from django.core.management import call_command
from cases.demo import build_categories
from grid.demo import DISTRICT_CODE, HOME_COMMUNITY, build_demo
from grid.models import Area
call_command("migrate", verbosity=0)
build_demo({DEMO_PASSWORD!r})
build_categories(Area.objects.get(code=DISTRICT_CODE))
grid = Area.objects.get(name=HOME_COMMUNITY).children.order_by("code").first()  # grid1's
print(grid.centroid_lng, grid.centroid_lat)
"""


@pytest.fixture
def cluster():
    cluster = PostgresCluster().init()
    cluster.start()
    yield cluster
    cluster.destroy()


@pytest.fixture
def web(cluster, tmp_path):
    """gunicorn on the demo district in the cluster's database `sanhua`."""
    with psycopg.connect(cluster.url("postgres"), autocommit=True) as admin:
        admin.execute("CREATE DATABASE sanhua")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "governance.settings",
        "DJANGO_DEBUG": "1",
        "DJANGO_SECRET_KEY": "setup",
        "DATABASE_URL": cluster.url("sanhua"),
        "SANHUA_VAR_DIR": str(tmp_path),
    }
    done = subprocess.run(
        [sys.executable, "-c", SETUP], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    lng, lat = map(float, done.stdout.split()[-2:])
    # The broker is out of this test: messages go nowhere, the database is what is tested.
    server = WebServer(tmp_path, DATABASE_URL=cluster.url("sanhua"), CELERY_BROKER_URL="memory://")
    server.start()
    server.grid1_point = (lng, lat)
    yield server
    server.stop()


class Phone:
    """Files reports one after the other, each retried with its client id until answered 2xx
    (connection refused or reset, a timeout or a 5xx mean: try again)."""

    def __init__(self, url: str, grid: tuple[float, float]):
        self.url, self.lng, self.lat = url, *grid
        self.token = self._token()
        self.answered: dict[str, tuple[int, int]] = {}  # client id → (status, case id)
        self.failures: list[str] = []
        self.error: BaseException | None = None

    def _token(self) -> str:
        body = {"username": "grid1", "password": DEMO_PASSWORD}
        status, answer = self._post("/api/auth/token/", body, {})
        assert status == 200, answer
        return answer["token"]

    def _post(self, path: str, body: dict, headers: dict) -> tuple[int, dict]:
        request = urllib.request.Request(
            self.url + path,
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json", "Accept-Language": "en", **headers},
        )
        try:
            with urllib.request.urlopen(request, timeout=15) as response:
                return response.status, json.load(response)
        except urllib.error.HTTPError as error:
            return error.code, {"detail": error.read()[:200].decode(errors="replace")}

    def file(self, n: int) -> None:
        client_id = str(uuid.uuid4())
        report = {
            "category": "0101",
            "title": f"重启期间上报 {n}",
            "lng": self.lng,
            "lat": self.lat,
            "client_id": client_id,
        }
        headers = {"Authorization": f"Token {self.token}"}
        for _attempt in range(MAX_ATTEMPTS):
            try:
                status, answer = self._post("/api/cases/", report, headers)
            except (OSError, http.client.HTTPException) as error:  # refused, reset, timed out
                self.failures.append(type(error).__name__)
            else:
                if status in (200, 201):
                    self.answered[client_id] = (status, answer["id"])
                    return
                assert status >= 500, (status, answer)
                self.failures.append(str(status))
            time.sleep(0.1)
        raise AssertionError(f"filing {n} was never answered")

    def run(self) -> None:
        try:
            for n in range(FILINGS):
                self.file(n)
        except BaseException as error:  # reported by the test, not lost in the thread
            self.error = error


def _wait_for(condition, what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, f"no {what} within {WAIT} s"
        time.sleep(0.05)


def test_every_filing_answered_across_database_restarts_exists_exactly_once(cluster, web):
    phone = Phone(web.url, web.grid1_point)
    filing = threading.Thread(target=phone.run)
    filing.start()
    for answered in (15, 45):
        _wait_for(lambda n=answered: len(phone.answered) >= n or phone.error, f"{answered} cases")
        cluster.restart()
    filing.join(timeout=4 * WAIT)

    assert phone.error is None, phone.error
    assert not filing.is_alive()
    assert len(phone.answered) == FILINGS
    assert phone.failures, "the restarts must be felt by the phone"
    with psycopg.connect(cluster.url("sanhua")) as db:
        cases = db.execute("SELECT client_id::text, id FROM cases_case").fetchall()
        events = db.execute(
            "SELECT case_id, action, version FROM cases_caseevent ORDER BY case_id"
        ).fetchall()
    assert sorted(cases) == sorted((key, case_id) for key, (_s, case_id) in phone.answered.items())
    assert sorted(events) == sorted((case_id, "report", 1) for _key, case_id in cases)
