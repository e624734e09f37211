"""Benchmark of the registry at scale: exact-ID lookup and the building view on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sanhua_bench python bench/registry.py

Makes sure the demo district holds --persons living persons (default 1,000,000; seeding through
`seed_demo --persons N`, timed, if there are fewer), then times, over random samples:

- exact-ID lookup of numbers that exist and of valid numbers that do not: a plain indexed
  `SELECT … WHERE id_digest = %s` through psycopg (the baseline), registry.find_by_id_number()
  (keyed digest + ORM), and POST /api/persons/lookup/ (token auth, jurisdiction, masking,
  audit entry);
- the building view: a plain join of a building's houses and occupants (the baseline), the
  selector building_layout(), the page /registry/buildings/<id>/ and GET
  /api/buildings/<id>/layout/;
- the population statistics of the whole district (人口统计): a bare count of the living per
  grid (the baseline: the least any breakdown must read), grid.exports.population_statistics()
  (per grid by population type, sex, age band and care tag) and the page
  /dashboard/population/.

Prints p50/p95 in milliseconds and each ratio to its baseline, and writes them as JSON to
bench/results/. The figures measured are in bench/README.md.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import random
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "governance.settings")
# The same settings `make run` seeds with, so the keyed ID index (REGISTRY_HMAC_KEY, which
# defaults to the secret key) matches the data; timing runs with DEBUG off below.
os.environ.setdefault("DJANGO_DEBUG", "1")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings  # noqa: E402

from governance.models import ApiToken  # noqa: E402
from grid import idnumbers, registry  # noqa: E402
from grid.demo import DISTRICT_CODE  # noqa: E402
from grid.exports import population_statistics  # noqa: E402
from grid.models import Area, Building, House, Person  # noqa: E402
from grid.population import demo_grids  # noqa: E402
from grid.registry_views import building_layout  # noqa: E402

RESULTS = ROOT / "bench" / "results"
USER = "district"  # the district triage centre: sees every grid, so lookups find people
WARM_UP = 10


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--statistics-samples", type=int, default=10)
    options = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("bench/registry.py measures PostgreSQL: set DATABASE_URL=postgres://…")

    load_before = os.getloadavg()
    started = time.perf_counter()
    call_command("seed_demo", persons=options.persons, force=True, stdout=io.StringIO())
    seed_seconds = time.perf_counter() - started
    grids = demo_grids()
    living = Person.objects.filter(grid__in=grids, status=Person.Status.LIVING)
    counts = {
        "persons": living.count(),
        "houses": House.objects.count(),
        "buildings": Building.objects.count(),
    }
    print(
        f"{counts['persons']:,} living persons, {counts['houses']:,} houses, "
        f"{counts['buildings']:,} buildings (seed_demo: {seed_seconds:.1f} s)"
    )

    rng = random.Random(options.seed)
    present = sample_id_numbers(rng, options.samples)
    absent = absent_id_numbers(rng, options.samples)
    buildings = sample_buildings(rng, options.samples)
    if not list(registry.find_by_id_number(present[0])):
        sys.exit(
            "A sampled person is not found by their ID number: this process's registry key "
            "(SANHUA_REGISTRY_KEY, else DJANGO_SECRET_KEY) is not the one the data was seeded "
            "with. Run with the same settings as the seeding."
        )

    with override_settings(DEBUG=False, ALLOWED_HOSTS=["testserver"]):
        results = {
            "lookup_present": measure_lookups(present),
            "lookup_absent": measure_lookups(absent),
            "building": measure_buildings(buildings),
        }
        biggest = Building.objects.annotate(rooms=Count("houses")).order_by("-rooms").first()
        results["largest_building"] = measure_buildings([biggest] * 50)
        results["population_statistics"] = measure_population(options.statistics_samples)

    report = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "postgresql": connection.cursor().connection.info.server_version,
            "load_average_before": load_before,
            "load_average_after": os.getloadavg(),
        },
        "counts": counts,
        "seed_demo_seconds": round(seed_seconds, 1),
        "samples": options.samples,
        "results": results,
    }
    print_table(results)
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"registry-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print(f"written to {path.relative_to(ROOT)}")


# Samples


def sample_id_numbers(rng: random.Random, n: int) -> list[str]:
    """ID numbers of `n` random living persons (by random ids, not ORDER BY random())."""
    bounds = Person.objects.filter(status=Person.Status.LIVING).values_list("pk", flat=True)
    low, high = bounds.order_by("pk").first(), bounds.order_by("-pk").first()
    numbers: list[str] = []
    while len(numbers) < n:
        ids = [rng.randint(low, high) for _ in range(n)]
        numbers += Person.objects.filter(
            pk__in=ids, status=Person.Status.LIVING, id_type=idnumbers.IdType.RESIDENT
        ).values_list("id_number", flat=True)
    return numbers[:n]


def absent_id_numbers(rng: random.Random, n: int) -> list[str]:
    """Valid resident ID numbers (of 北京东城, which the demo never uses) that nobody has."""
    numbers: list[str] = []
    while len(numbers) < n:
        birth = date(1940, 1, 1) + timedelta(days=rng.randrange(30_000))
        number = idnumbers.make_resident_id("110101", birth, rng.randrange(1000))
        if not registry.find_by_id_number(number).exists():
            numbers.append(number)
    return numbers


def sample_buildings(rng: random.Random, n: int) -> list[Building]:
    ids = list(Building.objects.values_list("pk", flat=True))
    return list(Building.objects.filter(pk__in=rng.sample(ids, min(n, len(ids)))))


# Measurements


def timed(calls) -> dict:
    """p50/p95/mean/max in milliseconds of each call, after a few untimed ones."""
    for call in calls[:WARM_UP]:
        call()
    times = []
    for call in calls:
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {
        "n": len(times),
        "p50_ms": round(statistics.median(times), 3),
        "p95_ms": round(times[min(len(times) - 1, int(len(times) * 0.95))], 3),
        "mean_ms": round(statistics.fmean(times), 3),
        "max_ms": round(times[-1], 3),
    }


def api_client() -> Client:
    user = get_user_model().objects.get(username=USER)
    _row, token = ApiToken.objects.create(user)
    return Client(HTTP_AUTHORIZATION=f"Token {token}")


def page_client() -> Client:
    client = Client()
    client.force_login(get_user_model().objects.get(username=USER))
    return client


def measure_lookups(numbers: list[str]) -> dict:
    digests = [registry.id_digest(number) for number in numbers]
    connection.ensure_connection()
    raw = connection.connection

    def baseline(digest):
        with raw.cursor() as cursor:
            cursor.execute("SELECT id FROM grid_person WHERE id_digest = %s", [digest])
            return cursor.fetchall()

    client = api_client()

    def api(number):
        response = client.post(
            "/api/persons/lookup/", {"id_number": number}, content_type="application/json"
        )
        assert response.status_code == 200, response.content
        return response

    return with_ratios(
        {
            "baseline_sql": timed([lambda d=d: baseline(d) for d in digests]),
            "service": timed([lambda n=n: list(registry.find_by_id_number(n)) for n in numbers]),
            "api": timed([lambda n=n: api(n) for n in numbers]),
        }
    )


def measure_buildings(buildings: list[Building]) -> dict:
    connection.ensure_connection()
    raw = connection.connection

    def baseline(building):
        with raw.cursor() as cursor:
            cursor.execute(
                "SELECT h.id, h.unit, h.floor, h.number, p.id, p.name, p.relation_to_head"
                " FROM grid_house h LEFT JOIN grid_person p"
                " ON p.house_id = h.id AND p.status = 'living'"
                " WHERE h.building_id = %s ORDER BY h.unit, h.floor, h.number",
                [building.pk],
            )
            return cursor.fetchall()

    pages, api = page_client(), api_client()

    def get(client, url):
        response = client.get(url)
        assert response.status_code == 200, response.status_code
        return response

    return with_ratios(
        {
            "baseline_sql": timed([lambda b=b: baseline(b) for b in buildings]),
            "selector": timed([lambda b=b: building_layout(b) for b in buildings]),
            "page": timed(
                [lambda b=b: get(pages, f"/registry/buildings/{b.pk}/") for b in buildings]
            ),
            "api": timed(
                [lambda b=b: get(api, f"/api/buildings/{b.pk}/layout/") for b in buildings]
            ),
        }
    )


def measure_population(samples: int) -> dict:
    """The district's population statistics, each way `samples` times."""
    district = Area.objects.get(code=DISTRICT_CODE)
    connection.ensure_connection()
    raw = connection.connection

    def baseline():
        with raw.cursor() as cursor:
            cursor.execute(
                "SELECT grid_id, count(*) FROM grid_person WHERE status = 'living' GROUP BY grid_id"
            )
            return cursor.fetchall()

    client = page_client()

    def page():
        response = client.get(f"/dashboard/population/?unit={district.pk}")
        assert response.status_code == 200, response.status_code
        return response

    return with_ratios(
        {
            "baseline_sql": timed([baseline] * samples),
            "selector": timed([lambda: population_statistics(district)] * samples),
            "page": timed([page] * samples),
        }
    )


def with_ratios(figures: dict) -> dict:
    base = figures["baseline_sql"]["p50_ms"]
    for values in figures.values():
        values["p50_ratio_to_baseline"] = round(values["p50_ms"] / base, 1) if base else None
    return figures


def print_table(results: dict) -> None:
    print(f"\n| measurement | way | n | p50 ms | p95 ms | p50 ÷ baseline |\n|{'---|' * 6}")
    for measurement, figures in results.items():
        for way, values in figures.items():
            print(
                f"| {measurement} | {way} | {values['n']} | {values['p50_ms']:.2f} | "
                f"{values['p95_ms']:.2f} | {values['p50_ratio_to_baseline']} |"
            )


if __name__ == "__main__":
    main()
