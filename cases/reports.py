"""The tables the dashboards, the metrics API and the exports show, assembled from the measures
of cases/metrics.py (which read the rollups). Plain data: rows of dicts with their columns, so
the same table becomes JSON, a chart, a CSV or an XLSX file.

Callers pass units already checked against the user's jurisdiction (an area or department
from a scoped queryset); everything here stays inside the unit given.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from cases import metrics, periods
from cases.metrics import Counters, Period
from cases.models import Case, Category, ScoreWeight
from cases.rollups import OPEN_STATUSES
from grid.exports import Sheet
from grid.models import Area, Department

AREA, DEPARTMENT = ScoreWeight.UnitKind.AREA, ScoreWeight.UnitKind.DEPARTMENT
# The columns of a ranking, in order (the score and grade follow).
RANKED = {
    AREA: [
        "received",
        "closed",
        "closure_rate",
        "on_time_rate",
        "grid_rate",
        "rework_rate",
        "satisfaction_rate",
        "average_hours",
        "overdue",
    ],
    DEPARTMENT: [
        "dispatched",
        "refused",
        "refusal_rate",
        "done",
        "done_on_time_rate",
        "department_rework_rate",
        "overdue",
    ],
}
# The count a unit's grade needs enough of (cases/periods.py: MIN_CASES_TO_GRADE).
GRADED_BY = {AREA: "received", DEPARTMENT: "dispatched"}
TREND = ["received", "accepted", "closed", "overdue", "closure_rate", "on_time_rate"]
TREND += ["satisfaction_rate"]
CATEGORY_COLUMNS = ["received", "closed", "open", "overdue", "closure_rate", "on_time_rate"]
MONTHLY_FROM_DAYS = 93  # a trend over a longer period goes by month
OVERDUE_LIST_LENGTH = 20
MAP_POINTS = 2000  # the newest open cases drawn on the map


@dataclass
class Table:
    """A titled table: `columns` (key, label) in order and `rows` of dicts keyed alike; `meta`
    holds what the table is about (unit, period, score …)."""

    title: str
    columns: list[tuple[str, str]]
    rows: list[dict]
    meta: dict = field(default_factory=dict)

    def sheet(self) -> Sheet:
        keys = [key for key, _label in self.columns]
        return Sheet(
            title=self.title,
            header=[label for _key, label in self.columns],
            rows=[[row.get(key) for key in keys] for row in self.rows],
        )

    def as_dict(self) -> dict:
        return {
            **self.meta,
            "columns": [{"key": k, "label": label} for k, label in self.columns],
            "rows": self.rows,
        }


def this_month(today: date | None = None) -> Period:
    """From the first of the current month (Asia/Shanghai) to today."""
    today = today or timezone.localdate()
    return Period(today.replace(day=1), today)


def _month_end(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


@dataclass(frozen=True)
class Month(Period):
    """A calendar month, or its days so far: a monthly report compares it with the month before
    (环比) and the same month a year earlier (同比) — whole months when this one is complete,
    as many days from their first when it is not."""

    @property
    def is_complete(self) -> bool:
        return self.end == _month_end(self.start)

    def _alike(self, first: date) -> Period:
        last = _month_end(first)
        if self.is_complete:
            return Period(first, last)
        return Period(first, min(last, first + (self.end - self.start)))

    def previous(self) -> Period:
        return self._alike((self.start - timedelta(days=1)).replace(day=1))

    def last_year(self) -> Period:
        return self._alike(self.start.replace(year=self.start.year - 1))


def month(first: date, today: date | None = None) -> Month:
    """The month beginning on `first`; the current month up to `today`."""
    today = today or timezone.localdate()
    return Month(first, max(first, min(_month_end(first), today)))


def last_complete_month(today: date | None = None) -> Month:
    """The month before the current one (Asia/Shanghai)."""
    today = today or timezone.localdate()
    first = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    return Month(first, _month_end(first))


def _period(period: Period) -> dict:
    return {"start": period.start.isoformat(), "end": period.end.isoformat()}


def describe_area(area: Area) -> dict:
    return {
        "kind": AREA,
        "id": area.pk,
        "name": area.name,
        "code": area.code,
        "level": area.level,
        "level_label": str(area.get_level_display()),
    }


def describe_department(department: Department) -> dict:
    return {"kind": DEPARTMENT, "id": department.pk, "name": department.name}


def _measure_columns(registry, keys) -> list[tuple[str, str]]:
    return [(key, str(registry[key].label)) for key in keys]


# KPI tiles with their comparisons


def summary(unit: Area | Department, period: Period, *, category: Category | None = None) -> Table:
    """Every measure of the unit for the period, beside the previous period (环比) and the same
    days a year earlier (同比), with the unit's composite score and grade."""
    is_area = isinstance(unit, Area)
    kind = AREA if is_area else DEPARTMENT
    registry = metrics.MEASURES_OF_KIND[kind]
    counters_of = metrics.area_counters if is_area else metrics.department_counters

    def measured(p: Period) -> dict:
        return metrics.values(registry, counters_of(unit, p, category=category))

    now, before, year_ago = (
        measured(period),
        measured(period.previous()),
        measured(period.last_year()),
    )
    rows = []
    for key, measure in registry.items():
        rows.append(
            {
                "key": key,
                "label": str(measure.label),
                "unit": measure.unit,
                "better": measure.better,
                "value": now[key],
                "previous": before[key],
                "last_year": year_ago[key],
                "mom": metrics.change(now[key], before[key], measure.unit),
                "yoy": metrics.change(now[key], year_ago[key], measure.unit),
            }
        )
    points = metrics.score(now, kind, metrics.weights(kind))
    return Table(
        title=_("Summary"),
        columns=[
            ("label", _("Measure")),
            ("value", _("This period")),
            ("previous", _("Previous period")),
            ("mom", _("Change on the previous period")),
            ("last_year", _("Same period last year")),
            ("yoy", _("Change on last year")),
        ],
        rows=rows,
        meta={
            "unit": describe_area(unit) if is_area else describe_department(unit),
            "period": _period(period),
            "previous_period": _period(period.previous()),
            "last_year_period": _period(period.last_year()),
            "category": category.pk if category else None,
            "score": points,
            "grade": metrics.grade(points),
        },
    )


# Rankings


def _ranked(kind: str, units: dict, table: dict[int, Counters]) -> list[dict]:
    registry = metrics.MEASURES_OF_KIND[kind]
    weighting = metrics.weights(kind)
    rows = []
    for pk, described in units.items():
        measured = metrics.values(registry, table.get(pk, Counters()))
        points = metrics.score(measured, kind, weighting)
        rows.append(
            {
                **described,
                **{key: measured[key] for key in RANKED[kind]},
                "score": points,
                "grade": metrics.grade(points),
                # Too few cases to grade: every screen shows the row grey, with no light.
                "too_few": not periods.gradeable(measured[GRADED_BY[kind]]),
            }
        )
    return metrics.rank(rows)


def area_ranking(
    areas: QuerySet[Area], level: int, period: Period, *, category: Category | None = None
) -> Table:
    """The `areas` of one level ranked by composite score."""
    units = {
        a.pk: {"id": a.pk, "name": a.name, "code": a.code}
        for a in areas.filter(level=level).order_by("code")
    }
    table = metrics.area_table(areas, level, period, category=category)
    return Table(
        title=_("Ranking"),
        columns=[
            ("rank", _("Rank")),
            ("name", _("Unit")),
            ("code", _("Code")),
            *_measure_columns(metrics.AREA_MEASURES, RANKED[AREA]),
            ("score", _("Score")),
            ("grade", _("Grade")),
        ],
        rows=_ranked(AREA, units, table),
        meta={
            "level": level,
            "period": _period(period),
            "weights": {k: float(w) for k, w in metrics.weights(AREA).items()},
        },
    )


def department_ranking(
    departments: QuerySet[Department], period: Period, *, category: Category | None = None
) -> Table:
    """The `departments` ranked by composite score."""
    units = {
        d.pk: {"id": d.pk, "name": d.name, "code": d.code} for d in departments.order_by("code")
    }
    table = metrics.department_table(departments, period, category=category)
    return Table(
        title=_("Ranking"),
        columns=[
            ("rank", _("Rank")),
            ("name", _("Unit")),
            ("code", _("Code")),
            *_measure_columns(metrics.DEPARTMENT_MEASURES, RANKED[DEPARTMENT]),
            ("score", _("Score")),
            ("grade", _("Grade")),
        ],
        rows=_ranked(DEPARTMENT, units, table),
        meta={
            "level": "department",
            "period": _period(period),
            "weights": {k: float(w) for k, w in metrics.weights(DEPARTMENT).items()},
        },
    )


# Trend, category mix, grid workers


def _buckets(period: Period, monthly: bool) -> list[date]:
    if monthly:
        first, months = period.start.replace(day=1), []
        while first <= period.end:
            months.append(first)
            first = (first + timedelta(days=32)).replace(day=1)
        return months
    return [period.start + timedelta(days=n) for n in range(period.days)]


def trend(
    area: Area,
    period: Period,
    *,
    category: Category | None = None,
    monthly: bool | None = None,
) -> Table:
    """Key measures of `area` per day (per month for periods over three months), every day or
    month of the period present."""
    if monthly is None:
        monthly = period.days >= MONTHLY_FROM_DAYS
    found = dict(metrics.area_trend(area, period, category=category, monthly=monthly))
    rows = []
    for bucket in _buckets(period, monthly):
        measured = metrics.values(metrics.AREA_MEASURES, found.get(bucket, Counters()))
        rows.append({"period": bucket.isoformat(), **{k: measured[k] for k in TREND}})
    return Table(
        title=_("Trend"),
        columns=[
            ("period", _("Month") if monthly else _("Day")),
            *_measure_columns(metrics.AREA_MEASURES, TREND),
        ],
        rows=rows,
        meta={
            "unit": describe_area(area),
            "period": _period(period),
            "interval": "month" if monthly else "day",
        },
    )


def categories(area: Area, period: Period, *, main_classes: bool = True) -> Table:
    """The category mix of `area`'s cases: one row per main class (or subclass) with cases,
    the most frequent first."""
    table = metrics.area_categories(area, period, main_classes=main_classes)
    names = {c.pk: c for c in Category.objects.filter(pk__in=list(table))}
    rows = []
    for pk, counters in table.items():
        measured = metrics.values(metrics.AREA_MEASURES, counters)
        category = names[pk]
        rows.append(
            {
                "id": pk,
                "code": category.code,
                "name": category.name,
                **{k: measured[k] for k in CATEGORY_COLUMNS},
            }
        )
    rows.sort(key=lambda r: (-r["received"], r["code"]))
    return Table(
        title=_("Categories"),
        columns=[
            ("code", _("Code")),
            ("name", _("Category")),
            *_measure_columns(metrics.AREA_MEASURES, CATEGORY_COLUMNS),
        ],
        rows=rows,
        meta={"unit": describe_area(area), "period": _period(period)},
    )


def workers(area: Area, period: Period) -> Table:
    """The field work of each person in `area`'s grids, the most reports first."""
    table = metrics.worker_table(area, period)
    people = {u.pk: u for u in get_user_model().objects.filter(pk__in=list(table))}
    rows = []
    for pk, counters in table.items():
        person = people[pk]
        rows.append(
            {
                "id": pk,
                "username": person.get_username(),
                "name": person.get_full_name() or person.get_username(),
                **metrics.values(metrics.WORKER_MEASURES, counters),
            }
        )
    rows.sort(key=lambda r: (-r["reported"], r["username"]))
    return Table(
        title=_("Grid workers"),
        columns=[
            ("name", _("Name")),
            ("username", _("Login")),
            *_measure_columns(metrics.WORKER_MEASURES, list(metrics.WORKER_MEASURES)),
        ],
        rows=rows,
        meta={"unit": describe_area(area), "period": _period(period)},
    )


# The command centre


def live(area: Area, map_areas: QuerySet[Area]) -> dict:
    """Open and overdue cases now: by the level holding them, per area of `map_areas` (for the
    map), where the newest open cases are ([lng, lat, overdue 1/0]), and the longest-overdue
    open cases of `area`."""
    by_level = metrics.live_counts(area)
    per_area = metrics.live_map(map_areas)
    overdue = (
        Case.objects.filter(
            grid__path__startswith=area.path, status__in=OPEN_STATUSES, is_overdue=True
        )
        .select_related("category", "holder")
        .order_by("reported_at", "pk")[:OVERDUE_LIST_LENGTH]
    )
    points = (
        Case.objects.filter(
            grid__path__startswith=area.path, status__in=OPEN_STATUSES, lng__isnull=False
        )
        .order_by("-reported_at")
        .values_list("lng", "lat", "is_overdue")[:MAP_POINTS]
    )
    return {
        "unit": describe_area(area),
        "points": [[lng, lat, 1 if overdue else 0] for lng, lat, overdue in points],
        "levels": [
            {
                "level": value,
                "label": str(label),
                "open": by_level.get(value, Counters())["open"],
                "overdue": by_level.get(value, Counters())["overdue_open"],
            }
            for value, label in Area.Level.choices
            if value >= area.level
        ],
        "areas": [
            {
                "id": a.pk,
                "code": a.code,
                "name": a.name,
                "open": per_area.get(a.pk, Counters())["open"],
                "overdue": per_area.get(a.pk, Counters())["overdue_open"],
            }
            for a in map_areas.order_by("code")
        ],
        "overdue_cases": [
            {
                "id": c.pk,
                "number": c.number,
                "title": c.title,
                "category": c.category.name,
                "level": c.level,
                "holder": c.holder.name,
                "reported_at": timezone.localtime(c.reported_at).isoformat(),
            }
            for c in overdue
        ],
    }
