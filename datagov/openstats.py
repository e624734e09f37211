"""Open statistics (数据开放): aggregate tables anyone may read, from 普遍共享 data only.

Each table names the catalogue fields it is made of (`Table.fields`); it is published only
while every one of them is classed 普遍共享 (a field's effective class: its own, or its
dataset's when that is stricter), so an administrator who closes a field closes every table
built on it at once. Cases are read from the rollups (cases.AreaRollup, kept by
cases/rollups.py), persons from the periodic population counts (datagov.PopulationCount):
never from the cases or persons tables. Small counts are suppressed (datagov/suppression.py).

Built tables are kept in the shared cache for SANHUA_OPEN_DATA_CACHE_SECONDS under a version
that every class change (and every population recount) replaces.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.core.cache import cache
from django.db.models import F, Sum
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases import metrics
from cases.models import AreaRollup, Category
from datagov import suppression
from datagov.catalogue import effective_classes
from datagov.models import Dataset, PopulationCount, SharingClass
from grid.exports import AGE_BANDS, _age_band_label
from grid.models import Area, Person

log = logging.getLogger(__name__)
VERSION_KEY = "datagov:open:version"


def threshold() -> int:
    return int(getattr(settings, "SANHUA_OPEN_DATA_THRESHOLD", 5))


def cache_seconds() -> int:
    return int(getattr(settings, "SANHUA_OPEN_DATA_CACHE_SECONDS", 300))


def version() -> str:
    try:
        return cache.get(VERSION_KEY) or "0"
    except Exception as error:  # the figures are still served, only slower
        log.warning("open statistics: shared cache unreachable (%s)", error)
        return ""


def bump_version() -> None:
    """Retire every cached table (a class changed, or the population was recounted)."""
    try:
        cache.set(VERSION_KEY, uuid.uuid4().hex[:12], timeout=None)
    except Exception as error:
        # The cached tables then live out their short TTL.
        log.warning("open statistics: could not bump the cache version (%s)", error)


@dataclass(frozen=True)
class Months:
    """The months of a calendar year (first days), January (`start`) to December (`end`)."""

    start: date
    end: date

    def __iter__(self):
        year, month = self.start.year, self.start.month
        while (year, month) <= (self.end.year, self.end.month):
            yield date(year, month, 1)
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)

    @property
    def period(self) -> metrics.Period:
        """The days of the year, as the rollups are keyed."""
        return metrics.Period(self.start, date(self.end.year, 12, 31))

    @classmethod
    def of_year(cls, year: int) -> Months:
        """January to December of `year`."""
        return cls(date(year, 1, 1), date(year, 12, 1))


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    fields: tuple[tuple[str, str], ...]  # (dataset key, field name) it is made of
    build: Callable
    monthly: bool


def _communities(district: Area) -> list[Area]:
    """The rows of the area tables: every community of the district, in code order. One level
    for every table, never a choice of area: a table of a street beside one of its communities
    would publish as a total what the other hides as a cell."""
    communities = Area.objects.filter(level=Area.Level.COMMUNITY, path__startswith=district.path)
    return list(communities.select_related("parent").order_by("code"))


def _row_label(community: Area) -> str:
    return f"{community.parent.name} {community.name}" if community.parent else community.name


def _month_label(month: date) -> str:
    return f"{month:%Y-%m}"


def _cross(title, area, rows, columns, cells) -> dict:
    """A rows × columns table with its totals, suppressed."""
    limit = threshold()
    if not rows:
        rows = [(area.code, area.name)]
        cells = [[0] * len(columns)]
    grid = suppression.suppress_cross(cells, limit)
    total_label = _("Total")
    head = [{"key": key, "label": label} for key, label in columns]
    head.append({"key": "total", "label": total_label})
    out_rows = []
    for i, (key, label) in enumerate([*rows, ("total", total_label)]):
        out_rows.append(
            {
                "key": key,
                "label": label,
                "cells": [
                    suppression.shown(grid.values[i][j], grid.hidden[i][j], limit)
                    for j in range(len(head))
                ],
            }
        )
    return {"title": title, "columns": head, "rows": out_rows}


def _main_class(language: str) -> dict[int, tuple[str, str]]:
    english = language.startswith("en")
    return {
        c.pk: (c.code, (c.name_en or c.name) if english else c.name)
        for c in Category.objects.filter(parent=None).order_by("code")
    }


def cases_by_area(area: Area, months: Months, language: str) -> dict:
    children = _communities(area)
    period = months.period
    sums = (
        AreaRollup.objects.filter(
            area__in=[c.pk for c in children], day__range=(period.start, period.end)
        )
        .values("area_id", month=TruncMonth("day"))
        .annotate(n=Sum("received"))
        .order_by()
    )
    found = {(row["area_id"], _as_date(row["month"])): row["n"] for row in sums}
    columns = [(_month_label(m), _month_label(m)) for m in months]
    cells = [[found.get((c.pk, m), 0) for m in months] for c in children]
    rows = [(c.code, _row_label(c)) for c in children]
    return _cross(_("Cases reported, by area and month"), area, rows, columns, cells)


def cases_by_category(area: Area, months: Months, language: str) -> dict:
    period = months.period
    sums = (
        AreaRollup.objects.filter(area=area, day__range=(period.start, period.end))
        .values(main=Coalesce(F("category__parent_id"), F("category_id")), month=TruncMonth("day"))
        .annotate(n=Sum("received"))
        .order_by()
    )
    found = {(row["main"], _as_date(row["month"])): row["n"] for row in sums}
    classes = _main_class(language)
    columns = [(_month_label(m), _month_label(m)) for m in months]
    cells = [[found.get((pk, m), 0) for m in months] for pk in classes]
    rows = list(classes.values())
    return _cross(_("Cases reported, by category and month"), area, rows, columns, cells)


HANDLING_COUNTS = ("received", "closed", "callbacks")


def case_handling(area: Area, months: Months, language: str) -> dict:
    """Per area: cases received and closed, the average handling time, callbacks and the
    satisfaction rate. A derived figure is shown only when its count is shown and not small."""
    limit = threshold()
    children = _communities(area)
    period = months.period
    counters = ("received", "closed", "handling_seconds", "callbacks", "satisfied")
    sums = (
        AreaRollup.objects.filter(
            area__in=[c.pk for c in children], day__range=(period.start, period.end)
        )
        .values("area_id")
        .annotate(**{f"n_{c}": Sum(c) for c in counters})
        .order_by()
    )
    found = {row.pop("area_id"): metrics.Counters.of(row) for row in sums}
    per_area = [found.get(c.pk, metrics.Counters()) for c in children]
    total = metrics.Counters({c: sum(x[c] for x in per_area) for c in counters})
    suppressed = suppression.suppress_columns(
        [[x[name] for x in per_area] for name in HANDLING_COUNTS], limit
    )
    marks = {
        name: hidden for name, (_values, hidden) in zip(HANDLING_COUNTS, suppressed, strict=True)
    }
    rows = []
    for i, (key, label, counted) in enumerate(
        [
            *[(c.code, _row_label(c), x) for c, x in zip(children, per_area, strict=True)],
            ("total", _("Total"), total),
        ]
    ):

        def shown(name: str, i=i, counted=counted):
            return suppression.shown(counted[name], marks[name][i], limit)

        def derived(value, base: str, i=i, counted=counted):
            hidden = marks[base][i] or counted[base] < limit
            return None if hidden else value

        rows.append(
            {
                "key": key,
                "label": label,
                "cells": [
                    shown("received"),
                    shown("closed"),
                    derived(metrics.average_hours(counted), "closed"),
                    shown("callbacks"),
                    derived(metrics.satisfaction_rate(counted), "callbacks"),
                ],
            }
        )
    columns = [
        {"key": "received", "label": _("Received")},
        {"key": "closed", "label": _("Closed")},
        {"key": "average_hours", "label": _("Average handling time (hours)")},
        {"key": "callbacks", "label": _("Callbacks")},
        {"key": "satisfaction_rate", "label": _("Satisfaction rate (%)")},
    ]
    return {"title": _("Case handling, by area"), "columns": columns, "rows": rows}


def _population(area: Area, field: str, columns: list[tuple], title: str) -> dict:
    children = _communities(area)
    depth = Area.Level.COMMUNITY - 1  # the index of a community's id in a grid's path
    sums = (
        PopulationCount.objects.filter(grid__path__startswith=area.path)
        .values("grid__path", field)
        .annotate(n=Sum("persons"))
        .order_by()
    )
    found: dict[tuple[int, object], int] = defaultdict(int)
    for row in sums:
        child = int(row["grid__path"].strip("/").split("/")[depth])
        found[(child, row[field])] += row["n"]
    cells = [[found.get((c.pk, key), 0) for key, _label in columns] for c in children]
    rows = [(c.code, _row_label(c)) for c in children]
    return _cross(title, area, rows, [(str(k), label) for k, label in columns], cells)


def population_by_age(area: Area, months, language: str) -> dict:
    columns = [(low, _age_band_label(low, high)) for low, high in AGE_BANDS]
    columns.append((-1, _("Age unknown")))
    return _population(area, "age_band", columns, _("Persons, by area and age band"))


def population_by_type(area: Area, months, language: str) -> dict:
    columns = [(value, str(label)) for value, label in Person.PopulationType.choices]
    return _population(area, "population_type", columns, _("Persons, by area and population type"))


def _as_date(value) -> date:
    return value.date() if hasattr(value, "date") and callable(value.date) else value


AREA_FIELDS = (
    ("grid.area", "code"),
    ("grid.area", "name"),
    ("grid.area", "parent"),
    ("grid.area", "level"),
    ("grid.area", "path"),
)
ROLLUP = "cases.arearollup"
POPULATION = "datagov.populationcount"
TABLES: dict[str, Table] = {
    t.key: t
    for t in (
        Table(
            "cases_by_area",
            gettext_lazy("Cases reported, by area and month"),
            (*AREA_FIELDS, (ROLLUP, "area"), (ROLLUP, "day"), (ROLLUP, "received")),
            cases_by_area,
            True,
        ),
        Table(
            "cases_by_category",
            gettext_lazy("Cases reported, by category and month"),
            (
                *AREA_FIELDS,
                (ROLLUP, "area"),
                (ROLLUP, "day"),
                (ROLLUP, "category"),
                (ROLLUP, "received"),
                ("cases.category", "code"),
                ("cases.category", "name"),
                ("cases.category", "name_en"),
                ("cases.category", "parent"),
            ),
            cases_by_category,
            True,
        ),
        Table(
            "case_handling",
            gettext_lazy("Case handling, by area"),
            (
                *AREA_FIELDS,
                *((ROLLUP, name) for name in ("area", "day", "received", "closed")),
                *((ROLLUP, name) for name in ("handling_seconds", "callbacks", "satisfied")),
            ),
            case_handling,
            True,
        ),
        Table(
            "population_by_age",
            gettext_lazy("Persons, by area and age band"),
            (*AREA_FIELDS, (POPULATION, "grid"), (POPULATION, "age_band"),
             (POPULATION, "persons")),
            population_by_age,
            False,
        ),
        Table(
            "population_by_type",
            gettext_lazy("Persons, by area and population type"),
            (*AREA_FIELDS, (POPULATION, "grid"),
             (POPULATION, "population_type"), (POPULATION, "persons")),
            population_by_type,
            False,
        ),
    )
}  # fmt: skip


def open_tables() -> dict[str, bool]:
    """Table key → whether every field it is made of is classed 普遍共享 now (one query)."""
    keys = {dataset for table in TABLES.values() for dataset, _name in table.fields}
    classes = effective_classes(keys)
    return {
        key: all(classes.get(f) == SharingClass.OPEN for f in table.fields)
        for key, table in TABLES.items()
    }


def licence() -> str:
    return _("Licence: %(licence)s. Small counts are suppressed (see the notes).") % {
        "licence": getattr(settings, "SANHUA_OPEN_DATA_LICENCE", "CC BY 4.0")
    }


def counted_at():
    return Dataset.objects.filter(key=POPULATION).values_list("counted_at", flat=True).first()


def _cache_key(current: str, language: str, table_key: str, area: Area, months: Months) -> str:
    span = f"{months.start:%Y%m}-{months.end:%Y%m}" if TABLES[table_key].monthly else "-"
    return f"datagov:open:{current}:{language}:{table_key}:{area.pk}:{span}"


def _build(table_key: str, area: Area, months: Months, language: str) -> dict:
    """The table afresh ({} when one of its fields is not open)."""
    table = TABLES[table_key]
    if not open_tables()[table_key]:
        return {}
    body = table.build(area, months, language)
    body.update(
        table=table_key,
        area={"code": area.code, "name": area.name},
        period=(
            {
                "year": months.start.year,
                "from": f"{months.start:%Y-%m}",
                "to": f"{months.end:%Y-%m}",
            }
            if table.monthly
            else None
        ),
        threshold=threshold(),
        licence=licence(),
        generated_at=timezone.now().isoformat(timespec="seconds"),
    )
    if not table.monthly:
        at = counted_at()
        body["counted_at"] = at.isoformat(timespec="seconds") if at else None
    return body


def _keep(key: str, body: dict) -> None:
    try:
        cache.set(key, body, timeout=cache_seconds())
    except Exception as error:
        log.warning("open statistics: could not cache a table (%s)", error)


def statistics(table_key: str, area: Area, months: Months) -> dict | None:
    """The published table `table_key` of the district `area` (over `months`, a calendar year,
    for the case tables), from the cache when it holds it; None when the table is not open.

    The tables are a fixed set, like a yearbook: one level of rows (the communities) and whole
    years. Tables over any period or at any level would let one query's shown cell undo
    another's hidden one by subtraction."""
    language = translation.get_language() or settings.LANGUAGE_CODE
    current = version()
    key = _cache_key(current, language, table_key, area, months)
    if current:
        try:
            hit = cache.get(key)
        except Exception:
            hit = None
        if hit is not None:
            return hit or None  # {} marks a table found closed
    body = _build(table_key, area, months, language)
    if current:
        _keep(key, body)
    return body or None


def refresh(today: date | None = None) -> int:
    """Build every table of this year, for each district and language, and cache it before the
    copy a resident would read expires (beat runs this more often than the cache's lifetime):
    the first visitor after an expiry or a version bump reads a warm table, never one built
    from a year of rollups in the request. Returns how many tables it cached."""
    current = version()
    if not current:  # no shared cache: nothing to keep them in
        return 0
    months = Months.of_year((today or timezone.localdate()).year)
    kept = 0
    for area in Area.objects.filter(level=Area.Level.DISTRICT).order_by("pk"):
        for language, _name in settings.LANGUAGES:
            with translation.override(language):
                for table_key in TABLES:
                    key = _cache_key(current, language, table_key, area, months)
                    _keep(key, _build(table_key, area, months, language))
                    kept += 1
    return kept
