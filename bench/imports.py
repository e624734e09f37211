"""Benchmark of the registry import on PostgreSQL: a district's population through
`manage.py import_registry`, against COPY of the same rows into the same tables.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sanhua_bench python bench/imports.py

1. Makes the files of --persons persons (default 1,000,000) in a fresh set of grids (a new
   street of the demo district, --persons-per-grid each), planned by grid/population.py's
   generator: buildings.csv (the buildings they live in) and persons.csv (every column of the
   persons layout: grid, building, unit, room with its floor, household and relation, ID
   number, sex and birth date, code-table values by their Chinese names, care tags, move-in
   date); and, from the same plans, every row the import will write, as COPY files.
2. Baseline: in one transaction, COPY of those rows (buildings, houses, households, persons,
   care tags, residences, memberships, life events, audit entries) into the registry's tables
   as they are, with their indexes and unique and foreign keys — the deferred key checks forced
   by SET CONSTRAINTS ALL IMMEDIATE before the clock stops — then ROLLBACK, and VACUUM so the
   import finds the same tables.
3. Times `import_registry buildings.csv` and `import_registry persons.csv` (the measurement) in
   child processes with DEBUG off, with their peak RSS and CPU time (wait4, from a launcher).
4. Checks the registry then holds every person with their history, prints rows/s, the ratio to
   the baseline and the peak RSS, and writes them as JSON to bench/results/.

Each run adds its persons in a street of its own (440112 9xx), so the database grows by
--persons persons a run. bench/README.md has the figures measured.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "governance.settings")
# The settings `make run` seeds with, so the keyed ID digests match the command's.
os.environ.setdefault("DJANGO_DEBUG", "1")

import django  # noqa: E402

django.setup()

import psycopg  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from grid import codes, crypto, imports, registry, services  # noqa: E402
from grid.demo import DISTRICT_CODE, build_demo  # noqa: E402
from grid.models import (  # noqa: E402
    Area,
    AuditEntry,
    Building,
    CareTag,
    House,
    Household,
    LifeEvent,
    Membership,
    Person,
    Residence,
)
from grid.population import (  # noqa: E402
    DEFAULT_SEED,
    GridInfo,
    PopulationGenerator,
    _taken_id_numbers,
)

RESULTS = ROOT / "bench" / "results"
GRIDS_PER_COMMUNITY = 50
PERSONS_COLUMNS = [
    "网格", "楼栋", "单元", "房号", "楼层", "户号", "与户主关系", "姓名", "曾用名", "证件类型",
    "证件号码", "性别", "出生日期", "民族", "籍贯", "婚姻状况", "政治面貌", "学历", "宗教信仰",
    "职业", "工作单位", "联系电话", "其他电话", "人口类型", "户籍地址", "现住址", "人户分离",
    "关爱标签", "入住日期",
]  # fmt: skip
BUILDINGS_COLUMNS = ["网格", "楼栋", "楼栋名称", "地址", "楼层数", "单元数", "经度", "纬度"]
POPULATION_NAMES = {"registered": "户籍", "floating": "流动", "left_behind": "留守",
                    "foreign": "境外"}  # fmt: skip
ID_TYPE_NAMES = {"resident": "身份证", "passport": "护照"}
# The tables the baseline writes, in the order COPY fills them (a key's target first), with
# the columns of each COPY file.
BASELINE = [
    (Building, ("id", "grid_id", "number", "name", "address", "floors", "units", "lng", "lat",
                "created_at", "updated_at")),
    (House, ("id", "building_id", "grid_id", "unit", "floor", "number", "floor_area", "use",
             "owner_name", "owner_phone", "created_at", "updated_at")),
    (Household, ("id", "number", "kind", "registered_address", "house_id", "grid_id", "head_id",
                 "created_at", "updated_at")),
    (Person, ("id", "id_type", "id_number", "id_digest", "name", "former_name", "sex",
              "birth_date", "ethnicity", "native_place", "marital_status", "political_status",
              "education", "religion", "occupation", "employer", "phone", "other_phone",
              "population_type", "registered_address", "current_address", "is_separated",
              "status", "grid_id", "house_id", "household_id", "relation_to_head", "created_at",
              "updated_at")),
    (Person.care_tags.through, ("person_id", "caretag_id")),
    (Residence, ("person_id", "house_id", "started_on")),
    (Membership, ("person_id", "household_id", "relation", "started_on")),
    (LifeEvent, ("person_id", "kind", "occurred_on", "household_id", "house_id", "note",
                 "actor_id", "recorded_at")),
    (AuditEntry, ("actor_id", "action", "model", "object_id", "fields", "detail", "at")),
]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--persons-per-grid", type=int, default=2_000)
    parser.add_argument("--chunk-rows", type=int, default=imports.CHUNK_ROWS)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--no-baseline", action="store_true", help="time the import only")
    options = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("bench/imports.py measures PostgreSQL: set DATABASE_URL=postgres://…")

    load_before = os.getloadavg()
    call_command("migrate", verbosity=0)
    if not Area.objects.filter(code=DISTRICT_CODE).exists():
        build_demo("sanhua123")
    before = Person.objects.count()
    street, grids = fresh_grids(options.persons, options.persons_per_grid)
    print(
        f"{options.persons:,} persons into {len(grids)} new grids of {street.name} "
        f"({street.code}); the registry holds {before:,} persons before"
    )
    with tempfile.TemporaryDirectory(prefix="bench-imports-") as workdir:
        work = Path(workdir)
        started = time.perf_counter()
        counts = write_files(work, grids, options)
        print(
            f"files made in {time.perf_counter() - started:.1f} s: {counts['buildings']:,} "
            f"buildings, {counts['houses']:,} houses, {counts['households']:,} households, "
            f"{counts['persons']:,} persons ({(work / 'persons.csv').stat().st_size >> 20} MB)"
        )
        baseline = None if options.no_baseline else copy_baseline(work, counts)
        buildings = run_import(work / "buildings.csv", street, options.chunk_rows)
        persons = run_import(work / "persons.csv", street, options.chunk_rows)
    check_written(grids, counts)

    results = {"buildings_import": buildings, "persons_import": persons, "baseline": baseline}
    rows = counts["persons"]
    persons["rows_per_second"] = round(rows / persons["seconds"])
    if baseline is not None:
        baseline["rows_per_second"] = round(rows / baseline["seconds"])
        # The baseline writes the buildings too: the ratio is of both imports to it.
        both = persons["seconds"] + buildings["seconds"]
        persons["ratio_to_baseline"] = round(both / baseline["seconds"], 2)
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
        "options": vars(options),
        "registry_persons_before": before,
        "counts": counts,
        "results": results,
    }
    print_table(report)
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"imports-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print(f"written to {path.relative_to(ROOT)}")


# 1. The grids and the files


def fresh_grids(persons: int, per_grid: int) -> tuple[Area, list[Area]]:
    """A new street of the demo district with enough grids for `persons`."""
    district = Area.objects.get(code=DISTRICT_CODE)
    taken = set(Area.objects.filter(parent=district).values_list("code", flat=True))
    number = next(n for n in range(900, 1000) if f"{DISTRICT_CODE}{n}" not in taken)
    street = services.create_area(
        level=Area.Level.STREET,
        code=f"{DISTRICT_CODE}{number}",
        name=f"导入测试街道{number}",
        parent=district,
    )
    count = max(1, -(-persons // per_grid))
    grids = []
    for c in range(-(-count // GRIDS_PER_COMMUNITY)):
        community = services.create_area(
            level=Area.Level.COMMUNITY,
            code=f"{street.code}{c + 1:03d}",
            name=f"导入测试{number}第{c + 1}社区",
            parent=street,
        )
        for g in range(min(GRIDS_PER_COMMUNITY, count - len(grids))):
            grids.append(
                services.create_area(
                    level=Area.Level.GRID,
                    code=f"{community.code}{g + 1:02d}",
                    name=f"{community.name}第{g + 1}网格",
                    parent=community,
                )
            )
    return street, grids


def code_names() -> dict[str, dict[str, str]]:
    """Code → the Chinese name a file would hold, where the import reads it back as that code
    (else the code itself)."""
    names = {}
    for table, entries in codes.TABLES.items():
        lookup = imports._code_lookup(table)
        names[table] = {
            e.code: e.zh if lookup.get(imports._alias(e.zh)) == e.code else e.code for e in entries
        }
    return names


class CopyFile:
    """A COPY text file of one table."""

    def __init__(self, path: Path):
        self.handle = path.open("w", encoding="utf-8", newline="\n")
        self.rows = 0

    def write(self, *values) -> None:
        self.handle.write("\t".join(map(copy_text, values)) + "\n")
        self.rows += 1


def copy_text(value) -> str:
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime | date):
        return value.isoformat()
    text = str(value)
    if any(c in text for c in "\\\t\n\r"):
        text = text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
        text = text.replace("\r", "\\r")
    return text


def write_files(work: Path, grids: list[Area], options) -> dict[str, int]:
    """buildings.csv and persons.csv, and the COPY files of the rows the import writes (ids
    counted on from each table's highest: the baseline is rolled back)."""
    today = timezone.localdate()
    now = timezone.now()
    generator = PopulationGenerator(options.seed, today=today, taken_ids=_taken_id_numbers())
    names = code_names()
    tags = dict(CareTag.objects.values_list("code", "pk"))
    tag_names = dict(CareTag.objects.values_list("code", "name"))
    ring = crypto.keyring()

    def seal(field: str, value: str) -> str:
        return crypto.encrypt(value, f"grid.person.{field}", ring=ring)

    next_id = {}
    for model, _columns in BASELINE[:4]:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {model._meta.db_table}")
            next_id[model] = cursor.fetchone()[0] + 1
    files = {model: CopyFile(work / f"{model._meta.db_table}.copy") for model, _c in BASELINE}
    audit_fields = ",".join(sorted(registry.PERSON_FIELDS))
    counts = dict.fromkeys(("buildings", "houses", "households", "persons"), 0)

    def take(model) -> int:
        next_id[model] += 1
        return next_id[model] - 1

    with (
        (work / "buildings.csv").open("w", encoding="utf-8", newline="") as b_file,
        (work / "persons.csv").open("w", encoding="utf-8", newline="") as p_file,
    ):
        buildings_csv, persons_csv = csv.writer(b_file), csv.writer(p_file)
        buildings_csv.writerow(BUILDINGS_COLUMNS)
        persons_csv.writerow(PERSONS_COLUMNS)
        left = options.persons
        for grid in grids:
            wanted = min(options.persons_per_grid, left)
            left -= wanted
            plan = generator.plan_grid(GridInfo.of(grid), persons=wanted)
            for building in plan.buildings:
                buildings_csv.writerow(
                    [grid.code, building.number, building.name, building.address,
                     building.floors, building.units, building.lng, building.lat]
                )  # fmt: skip
                building_id = take(Building)
                files[Building].write(
                    building_id, grid.pk, building.number, building.name, building.address,
                    building.floors, building.units, building.lng, building.lat, now, now,
                )  # fmt: skip
                counts["buildings"] += 1
                for house in building.houses:
                    household = house.household
                    if household is None:
                        continue  # the persons file adds the rooms people live in
                    house_id, household_id = take(House), take(Household)
                    files[House].write(
                        house_id, building_id, grid.pk, house.unit, house.floor, house.number,
                        None, House.Use.SELF_OCCUPIED, "", "", now, now,
                    )  # fmt: skip
                    person_ids = [take(Person) for _member in household.members]
                    head = next(
                        (pk for pk, m in zip(person_ids, household.members, strict=True)
                         if m.relation == registry.HEAD),
                        None,
                    )  # fmt: skip
                    files[Household].write(
                        household_id, household.number, Household.Kind.FAMILY, "", house_id,
                        grid.pk, head, now, now,
                    )  # fmt: skip
                    counts["houses"] += 1
                    counts["households"] += 1
                    for person_id, p in zip(person_ids, household.members, strict=True):
                        persons_csv.writerow(
                            [grid.code, building.number, house.unit, house.number, house.floor,
                             household.number, names["relation_to_head"][p.relation], p.name,
                             p.former_name, ID_TYPE_NAMES.get(p.id_type, p.id_type),
                             p.id_number, names["sex"][p.sex], p.birth_date.isoformat(),
                             names["ethnicity"].get(p.ethnicity, p.ethnicity), p.native_place,
                             names["marital_status"].get(p.marital_status, p.marital_status),
                             names["political_status"].get(p.political_status,
                                                           p.political_status),
                             names["education"].get(p.education, p.education),
                             names["religion"].get(p.religion, p.religion), p.occupation,
                             p.employer, p.phone, p.other_phone,
                             POPULATION_NAMES[p.population_type], p.registered_address,
                             p.current_address, "是" if p.is_separated else "否",
                             "、".join(tag_names[t] for t in p.care_tags), p.since.isoformat()]
                        )  # fmt: skip
                        # Stored as the import stores them: personal fields encrypted.
                        files[Person].write(
                            person_id, p.id_type, seal("id_number", p.id_number),
                            registry.id_digest(p.id_number), p.name, p.former_name, p.sex,
                            p.birth_date, p.ethnicity, p.native_place, p.marital_status,
                            p.political_status, p.education, seal("religion", p.religion),
                            p.occupation, p.employer, seal("phone", p.phone),
                            seal("other_phone", p.other_phone),
                            p.population_type, p.registered_address, p.current_address,
                            p.is_separated, Person.Status.LIVING, grid.pk, house_id,
                            household_id, p.relation, now, now,
                        )  # fmt: skip
                        for tag in p.care_tags:
                            files[Person.care_tags.through].write(person_id, tags[tag])
                        files[Residence].write(person_id, house_id, p.since)
                        files[Membership].write(person_id, household_id, p.relation, p.since)
                        files[LifeEvent].write(
                            person_id, LifeEvent.Kind.MOVE_IN, p.since, household_id, house_id,
                            "", None, now,
                        )  # fmt: skip
                        files[AuditEntry].write(
                            None, AuditEntry.Action.CREATE, "Person", person_id, audit_fields,
                            "", now,
                        )  # fmt: skip
                        counts["persons"] += 1
    for copy_file in files.values():
        copy_file.handle.close()
    counts["baseline_rows"] = sum(copy_file.rows for copy_file in files.values())
    return counts


# 2. The baseline


def db_connect() -> psycopg.Connection:
    settings = connection.settings_dict
    return psycopg.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        password=settings["PASSWORD"],
        host=settings["HOST"],
        port=settings["PORT"] or None,
    )


def copy_baseline(work: Path, counts: dict) -> dict:
    """COPY the rows into the registry's tables, keys checked, in one transaction rolled back."""
    tables = {}
    with db_connect() as db:
        started = time.perf_counter()
        for model, columns in BASELINE:
            table = model._meta.db_table
            at = time.perf_counter()
            statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
            with (
                db.cursor() as cursor,
                cursor.copy(statement) as copy,
                (work / f"{table}.copy").open("rb") as source,
            ):
                while block := source.read(1 << 20):
                    copy.write(block)
            tables[table] = round(time.perf_counter() - at, 1)
        at = time.perf_counter()
        db.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the deferred foreign-key checks
        tables["key checks"] = round(time.perf_counter() - at, 1)
        seconds = time.perf_counter() - started
        db.rollback()
    with db_connect() as db:
        db.autocommit = True
        # Dead rows left by the rollback would be the import's to step over.
        db.execute("VACUUM " + ", ".join(model._meta.db_table for model, _c in BASELINE))
    print(
        f"baseline: COPY of {counts['baseline_rows']:,} rows in {seconds:.1f} s "
        f"({', '.join(f'{t} {s}' for t, s in tables.items())})"
    )
    return {"seconds": round(seconds, 1), "rows": counts["baseline_rows"], "tables": tables}


# 3. The import


# Starts the command and reports its rusage. A child's peak RSS counts the memory of the process
# it was forked from (Linux keeps the high-water mark across exec): forked from this small
# launcher rather than from the bench, with its plans, the figure is the command's own.
LAUNCHER = """
import json, os, subprocess, sys
child = subprocess.Popen(sys.argv[2:])
_pid, status, usage = os.wait4(child.pid, 0)
with open(sys.argv[1], "w") as report:
    cpu = usage.ru_utime + usage.ru_stime
    json.dump([os.waitstatus_to_exitcode(status), usage.ru_maxrss, cpu], report)
"""


def run_import(path: Path, street: Area, chunk_rows: int) -> dict:
    """`manage.py import_registry` in a child process: wall time, CPU time and peak RSS."""
    out, err, usage = (path.with_suffix(suffix) for suffix in (".out", ".err", ".usage"))
    # DEBUG off, as in production (with it on, Django keeps every query with its parameters),
    # with the keys this process has, so the digests match the baseline's.
    env = os.environ | {
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": settings.SECRET_KEY,
        "SANHUA_REGISTRY_KEY": settings.REGISTRY_HMAC_KEY,
        "SANHUA_DATA_KEYS": ",".join(settings.DATA_KEYS),
    }
    started = time.perf_counter()
    with out.open("w") as stdout, err.open("w") as stderr:
        subprocess.run(
            [sys.executable, "-c", LAUNCHER, str(usage), sys.executable, "manage.py",
             "import_registry", str(path), "--grid", street.code, "--chunk-rows",
             str(chunk_rows)],
            cwd=ROOT,
            env=env,
            stdout=stdout,
            stderr=stderr,
            check=True,
        )  # fmt: skip
    seconds = time.perf_counter() - started
    returncode, max_rss_kb, cpu_seconds = json.loads(usage.read_text())
    if returncode != 0:
        sys.exit(
            f"import_registry {path.name} failed:\n{out.read_text()}\n{err.read_text()[-3000:]}"
        )
    summary = out.read_text().strip().splitlines()[0]
    print(f"import_registry {path.name}: {seconds:.1f} s — {summary}")
    return {
        "file": path.name,
        "seconds": round(seconds, 1),
        "output": summary,
        "peak_rss_mb": round(max_rss_kb / 1024),  # Linux counts kilobytes
        "cpu_seconds": round(cpu_seconds, 1),
    }


def check_written(grids: list[Area], counts: dict) -> None:
    living = Person.objects.filter(grid__in=grids, status=Person.Status.LIVING).count()
    members = Membership.objects.filter(person__grid__in=grids).count()
    if living != counts["persons"] or members != counts["persons"]:
        sys.exit(f"expected {counts['persons']:,} persons, found {living:,} ({members:,} members)")


def print_table(report: dict) -> None:
    results, rows = report["results"], report["counts"]["persons"]
    persons, baseline = results["persons_import"], results["baseline"]
    print(
        f"\n| {rows:,} persons | seconds | rows/s | ÷ baseline | peak RSS MB |"
        "\n|---|---:|---:|---:|---:|"
    )
    if baseline:
        print(f"| COPY of the same rows, keys checked | {baseline['seconds']} | "
              f"{baseline['rows_per_second']:,} | 1 | |")  # fmt: skip
    print(
        f"| import_registry persons.csv | {persons['seconds']} | {persons['rows_per_second']:,} | "
        f"{persons.get('ratio_to_baseline', '')} | {persons['peak_rss_mb']} |"
    )
    buildings = results["buildings_import"]
    print(
        f"\nbuildings first: {report['counts']['buildings']:,} rows in {buildings['seconds']} s; "
        f"load average {report['machine']['load_average_before']} → "
        f"{report['machine']['load_average_after']}"
    )


if __name__ == "__main__":
    main()
