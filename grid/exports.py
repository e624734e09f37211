"""Exports of the registry (以房管人).

Statistics — counts of the living persons of an area, per grid, by population type, sex, age
band and care tag — hold no personal data: anyone who may see the area may download them.
The personal export lists the persons of an area with their full ID numbers and phones, in the
persons layout of grid/imports.py (so it can be imported elsewhere); only the roles
policies.can_export_personal_data allows may take it, and each export is an EXPORT entry in the
audit log.

CSV files are UTF-8 with a byte-order mark, which Excel on Chinese Windows needs to read them
as UTF-8 rather than GBK; XLSX files are written by openpyxl.
"""

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from grid import codes, idnumbers, imports, limits, policies, registry
from grid.models import Area, AuditEntry, CareTag, ImportJob, Person

# Age bands, in whole years (both ends included; None: no upper end).
AGE_BANDS = ((0, 6), (7, 17), (18, 59), (60, 79), (80, None))
PERSONS_COLUMNS = tuple(
    key for key in imports.LAYOUTS[ImportJob.Kind.PERSONS] if key != "moved_in_on"
)


@dataclass
class Sheet:
    """A table to write as CSV or XLSX: a title, a header row and the rows."""

    title: str
    header: list[str]
    rows: Iterable[list]


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year - years, day=28)


def _age_band_label(low: int, high: int | None) -> str:
    if high is None:
        return _("Age %(low)s and over") % {"low": low}
    return _("Age %(low)s–%(high)s") % {"low": low, "high": high}


def living_persons(area: Area):
    """The persons living in `area` now."""
    return Person.objects.filter(status=Person.Status.LIVING, grid__path__startswith=area.path)


@dataclass(frozen=True)
class Column:
    """One count of the statistics: its key, its label and the group it belongs to
    ("total", "population", "sex", "age" or "care")."""

    key: str
    label: str
    group: str


@dataclass
class Statistics:
    """Counts of the living persons of an area, per grid: `columns` in order, `grids` (with
    their parent) in code order, and `counts[grid id][column key]`. Counts only, no personal
    data."""

    columns: list[Column]
    grids: list[Area]
    counts: dict[int, dict[str, int]]

    def of(self, area: Area) -> dict[str, int]:
        """The counts of `area`: one of the grids, or an area holding some of them."""
        totals = dict.fromkeys((column.key for column in self.columns), 0)
        for grid in self.grids:
            if grid.path.startswith(area.path):
                for key, n in self.counts[grid.pk].items():
                    totals[key] += n
        return totals


def population_statistics(area: Area, *, today: date | None = None) -> Statistics:
    """Counts of the living persons of `area` per grid, by population type, sex, age band (on
    `today`) and care tag. Four queries, whatever the number of persons."""
    today = today or timezone.localdate()
    language = translation.get_language() or "zh-hans"
    columns = [Column("total", _("Persons"), "total")]
    measures = {"total": Count("pk")}
    for value, label in Person.PopulationType.choices:
        columns.append(Column(f"population_{value}", str(label), "population"))
        measures[f"population_{value}"] = Count("pk", filter=Q(population_type=value))
    columns += [
        Column("sex_male", codes.label("sex", "1", language), "sex"),
        Column("sex_female", codes.label("sex", "2", language), "sex"),
        Column("sex_other", _("Other or not stated"), "sex"),
    ]
    measures["sex_male"] = Count("pk", filter=Q(sex="1"))
    measures["sex_female"] = Count("pk", filter=Q(sex="2"))
    measures["sex_other"] = Count("pk", filter=~Q(sex__in=("1", "2")))
    for low, high in AGE_BANDS:
        band = Q(birth_date__lte=_years_before(today, low))
        if high is not None:
            band &= Q(birth_date__gt=_years_before(today, high + 1))
        columns.append(Column(f"age_{low}", _age_band_label(low, high), "age"))
        measures[f"age_{low}"] = Count("pk", filter=band)
    columns.append(Column("age_unknown", _("Age unknown"), "age"))
    measures["age_unknown"] = Count("pk", filter=Q(birth_date=None))
    counts = {
        row.pop("grid"): row for row in living_persons(area).values("grid").annotate(**measures)
    }
    tags = list(CareTag.objects.all())
    columns += [
        Column(f"care_{tag.code}", tag.name if language.startswith("zh") else tag.name_en, "care")
        for tag in tags
    ]
    tag_counts = {
        (row["person__grid"], row["caretag"]): row["n"]
        for row in Person.care_tags.through.objects.filter(
            person__status=Person.Status.LIVING, person__grid__path__startswith=area.path
        )
        .values("person__grid", "caretag")
        .annotate(n=Count("person"))
    }
    grids = list(
        Area.objects.filter(level=Area.Level.GRID, path__startswith=area.path)
        .select_related("parent")
        .order_by("code")
    )
    per_grid = {}
    for grid in grids:
        found = counts.get(grid.pk, {})
        per_grid[grid.pk] = {key: found.get(key, 0) for key in measures}
        per_grid[grid.pk].update(
            {f"care_{tag.code}": tag_counts.get((grid.pk, tag.pk), 0) for tag in tags}
        )
    return Statistics(columns=columns, grids=grids, counts=per_grid)


def statistics(area: Area, *, today: date | None = None) -> Sheet:
    """The statistics of `area` as a sheet: one row per grid and a total row."""
    counted = population_statistics(area, today=today)
    keys = [column.key for column in counted.columns]
    rows = [
        [
            grid.code,
            grid.parent.name if grid.parent else "",
            grid.name,
            *(counted.counts[grid.pk][key] for key in keys),
        ]
        for grid in counted.grids
    ]
    totals = counted.of(area)
    rows.append(["", "", _("Total"), *(totals[key] for key in keys)])
    header = [_("Grid code"), _("Community"), _("Grid")]
    return Sheet(
        title=_("Statistics"),
        header=header + [column.label for column in counted.columns],
        rows=rows,
    )


def persons(area: Area, *, actor, file_format: str, reason: str = "") -> Sheet:
    """The living persons of `area` with their full personal data, for an allowed actor; the
    export is recorded in the audit log before a row is read, at most SANHUA_EXPORTS_PER_HOUR
    an hour per account (grid/limits.py raises LimitReached beyond)."""
    if not policies.can_export_personal_data(actor, area):
        raise PermissionDenied(
            _("You may not export personal data of %(area)s.") % {"area": area.name}
        )
    people = living_persons(area)
    with limits.spend(actor, AuditEntry.Action.EXPORT):
        registry.audit(
            actor,
            AuditEntry.Action.EXPORT,
            area,
            fields=PERSONS_COLUMNS,
            detail=f"persons={people.count()} format={file_format} reason={reason}",
        )
    language = translation.get_language() or "zh-hans"
    header = [
        imports.COLUMNS[key].headers[0] if language.startswith("zh") else key
        for key in PERSONS_COLUMNS
    ]
    people = (
        people.select_related("grid", "house__building", "household")
        .prefetch_related("care_tags")
        .order_by(
            "grid__code",
            "house__building__number",
            "house__unit",
            "house__number",
            "household__number",
            "pk",
        )
    )
    rows = (_person_row(person, language) for person in people.iterator(chunk_size=1000))
    return Sheet(title=str(ImportJob.Kind.PERSONS.label), header=header, rows=rows)


def _person_row(person: Person, language: str) -> list:
    house, household = person.house, person.household
    zh = language.startswith("zh")
    values = {
        "grid": person.grid.code,
        "building": house.building.number if house else "",
        "unit": house.unit if house else "",
        "room": house.number if house else "",
        "floor": house.floor if house else "",
        "household": household.number if household else "",
        "relation": codes.label("relation_to_head", person.relation_to_head, language),
        "id_type": _display(person.id_type, idnumbers.IdType.choices),
        "sex": codes.label("sex", person.sex, language),
        "birth_date": person.birth_date.isoformat() if person.birth_date else "",
        "population_type": str(person.get_population_type_display()),
        "is_separated": ("是" if zh else "yes") if person.is_separated else ("否" if zh else "no"),
        "care_tags": "、".join(tag.name if zh else tag.name_en for tag in person.care_tags.all()),
    }
    for key in ("ethnicity", "marital_status", "political_status", "education", "religion"):
        values[key] = codes.label(key, getattr(person, key), language)
    return [values[key] if key in values else getattr(person, key) for key in PERSONS_COLUMNS]


def _display(value: str, choices) -> str:
    return next((str(label) for code, label in choices if code == value), value)


# Writing files


def _excel_text(value):
    """A CSV cell Excel shows as written: long digit strings (ID numbers) and leading zeros stay
    text instead of becoming 4.40112E+17, and nothing is taken for a formula. The leading tab
    that does it is stripped again by grid/imports.py."""
    if not isinstance(value, str) or not value:
        return value
    digits = value.isdigit() and (len(value) >= 12 or (value[0] == "0" and len(value) > 1))
    if digits or value[0] in "=+-@":
        return "\t" + value
    return value


def csv_chunks(sheet: Sheet) -> Iterator[bytes]:
    """The sheet as UTF-8 CSV with a byte-order mark, in chunks for a streaming response."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    yield "\ufeff".encode()
    writer.writerow(sheet.header)
    for number, row in enumerate(sheet.rows, start=1):
        writer.writerow([_excel_text(value) for value in row])
        if number % 500 == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def to_csv(sheet: Sheet) -> bytes:
    return b"".join(csv_chunks(sheet))


def to_xlsx(sheet: Sheet) -> bytes:
    import openpyxl  # only XLSX downloads pay for loading it
    from openpyxl.cell import WriteOnlyCell

    book = openpyxl.Workbook(write_only=True)
    # Excel refuses sheet titles over 31 characters or with []:*?/\ in them.
    worksheet = book.create_sheet(
        title=sheet.title.translate(str.maketrans("", "", "[]:*?/\\"))[:31]
    )
    worksheet.append(sheet.header)
    for row in sheet.rows:
        cells = []
        for value in row:
            cell = WriteOnlyCell(worksheet, value=value)
            if isinstance(value, str) and value.startswith("="):
                cell.data_type = "s"  # text, never a formula
            cells.append(cell)
        worksheet.append(cells)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
