"""Open311 POST requests beside POST /api/cases/ at concurrency 8: the same filing path
(cases.services.report_case) through two doors, on PostgreSQL and Redis with gunicorn and a
Celery worker (bench/cases.py's processes).

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/sanhua_bench
    export REDIS_URL=redis://127.0.0.1:6379/0
    python bench/open311.py [--filings N] [--rounds R]

After a warm-up through both doors, each round files N cases through each door in turn (a
form-encoded GeoReport v2 request with an api_key, a point, a description and an idempotency key;
the API's JSON report with a token and a client id), each door first in every other round, so the
machine's load falls on both alike. Prints requests/s and p50/p95 per door (medians of the
rounds) and the ratio Open311 / API (the issue asks for it to stay within 20 %), and writes the
figures to bench/results/.
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from bench.cases import (  # noqa: E402 (bench/cases.py sets Django up)
    RESULTS,
    Fixtures,
    Processes,
    run_concurrently,
    wait_until_routed,
)
from cases.demo import build_categories  # noqa: E402
from cases.models import Category  # noqa: E402
from governance.clients import register  # noqa: E402
from governance.models import ApiClient  # noqa: E402
from grid.demo import DISTRICT_CODE, build_demo  # noqa: E402
from grid.models import Area  # noqa: E402

CONCURRENCY = 8
PASSWORD = "sanhua123"
DESCRIPTION = "公交站台旁花坛被踩踏，老人上车不便"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--filings", type=int, default=300, help="requests per door per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=40, help="requests per door, not counted")
    parser.add_argument("--web-workers", type=int, default=4)
    parser.add_argument("--celery-concurrency", type=int, default=2)
    options = parser.parse_args()
    if connection.vendor != "postgresql" or not settings.REDIS_URL:
        sys.exit("bench/open311.py measures PostgreSQL and Redis: set DATABASE_URL and REDIS_URL")
    call_command("migrate", verbosity=0)
    if not Area.objects.filter(code=DISTRICT_CODE).exists():
        build_demo(PASSWORD)
    if not Category.objects.exists():
        build_categories(Area.objects.get(code=DISTRICT_CODE))
    fixtures = Fixtures.load()
    tag = uuid.uuid4().hex[:8]
    # A rate no run reaches: the bench measures the filing, not the throttle's refusals.
    key = register(
        ApiClient(name=f"bench-{tag}", kind=ApiClient.Kind.OPEN311, rate_per_minute=10**9)
    )
    with Processes(tag, options) as processes:
        results = bench_doors(processes, fixtures, key, options)
    report = {"at": datetime.now(UTC).isoformat(timespec="seconds"), "options": vars(options)}
    report["results"] = results
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"open311-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print(f"written to {path.relative_to(ROOT)}")


def bench_doors(processes: Processes, fx: Fixtures, key: str, options) -> dict:
    host = urlsplit(processes.web_url)
    token = fx.tokens["grid1"]

    def send(local, path: str, body: str, headers: dict) -> None:
        if not hasattr(local, "http"):
            local.http = http.client.HTTPConnection(host.hostname, host.port, timeout=60)
        local.http.request("POST", path, body.encode(), headers)
        response = local.http.getresponse()
        response.read()
        assert response.status == 201, (response.status, path)

    def api(n: int, local) -> None:
        body = {
            "category": "0501",
            "title": f"压测上报 {n}",
            "description": DESCRIPTION,
            "lng": fx.grid.centroid_lng,
            "lat": fx.grid.centroid_lat,
            "client_id": str(uuid.uuid4()),
        }
        headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
        send(local, "/api/cases/", json.dumps(body), headers)

    def open311(n: int, local) -> None:
        body = {
            "api_key": key,
            "service_code": "0501",
            "description": f"压测上报 {n}\n{DESCRIPTION}",
            "long": fx.grid.centroid_lng,
            "lat": fx.grid.centroid_lat,
            "idempotency_key": uuid.uuid4().hex,
        }
        headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
        send(local, "/open311/v2/requests.json", urlencode(body), headers)

    # Each door once before measuring: the web workers load their code and memos.
    for work in (api, open311):
        run_concurrently(work, options.warmup, CONCURRENCY)
    wait_until_routed()
    rounds = {"api": [], "open311": []}
    doors = [("api", api), ("open311", open311)]
    for number in range(options.rounds):
        # Each door goes first in every other round: neither always meets the other's tail.
        for door, work in doors if number % 2 == 0 else doors[::-1]:
            measured = run_concurrently(work, options.filings, CONCURRENCY)
            wait_until_routed()
            rounds[door].append(measured)
            print(
                f"round {number + 1}, {door}: {measured['per_second']}/s, "
                f"p50 {measured['p50_ms']} ms, p95 {measured['p95_ms']} ms"
            )
    summary = {
        door: {
            "per_second": round(statistics.median(r["per_second"] for r in runs), 1),
            "p50_ms": round(statistics.median(r["p50_ms"] for r in runs), 2),
            "p95_ms": round(statistics.median(r["p95_ms"] for r in runs), 2),
        }
        for door, runs in rounds.items()
    }
    ratio = round(summary["open311"]["per_second"] / summary["api"]["per_second"], 2)
    print(
        f"concurrency {CONCURRENCY}: Open311 {summary['open311']['per_second']}/s, "
        f"API {summary['api']['per_second']}/s: Open311 / API = {ratio} "
        f"({'within' if ratio >= 0.8 else 'NOT within'} 20 %)"
    )
    return {"rounds": rounds, "median": summary, "open311_to_api": ratio}


if __name__ == "__main__":
    main()
