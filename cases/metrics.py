"""Performance measures (绩效考评): each defined once, here, with its formula, and computed for
any unit (district, street, community or grid; department; grid worker) over any period.

The period selects the work, by its Asia/Shanghai day: for areas and grid workers, the cases
reported in it; for departments, the dispatches sent in it. Every measure describes that work
as it stands now (a case reported in May and closed in June counts as closed for May once it
is closed). A measure is a function of counters; docs/metrics.md lists them all.

Dashboards read the counters from the rollups (`area_counters` and its siblings: a handful of
rows per unit, never a count over the cases). `area_counters_from_cases` and its siblings
compute the same counters straight from the cases and their history: slow, for checks.
"""

import inspect
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.calendar import SHANGHAI
from cases.models import (
    AreaRollup,
    Callback,
    Case,
    CaseEvent,
    Category,
    DepartmentRollup,
    Dispatch,
    HandlingRollup,
    ScoreWeight,
    WorkerRollup,
)
from cases.rollups import (
    AREA,
    ESCALATIONS,
    MISSED_DEADLINES,
    OPEN_STATUSES,
    SATISFIED,
    TABLES,
    fold_if_pending,
    handling_hours,
)
from grid.jurisdiction import has_role
from grid.models import Area, Department, Post

Level = Area.Level
S = Case.Status
COUNT, PERCENT, HOURS = "count", "percent", "hours"
HIGHER, LOWER = 1, -1  # which way is better, for scores and colours
LEVEL_NAMES = {
    Level.DISTRICT: "district",
    Level.STREET: "street",
    Level.COMMUNITY: "community",
    Level.GRID: "grid",
}
# Counters that belong to the unit itself, as the holder of cases at its own level (the
# steps it took or missed); every other counter covers all the cases of the unit's subtree.
OWN_LEVEL = ("escalated_out", "auto_escalated_out", "escalated_in", "returned_down")
OWN_LEVEL += ("deadline_misses",)


class Counters(dict):
    """Counter name → amount; a counter never counted is 0."""

    def __missing__(self, key):
        return 0

    @classmethod
    def of(cls, values: dict) -> "Counters":
        """From a row of sums named "n_<counter>" (an aggregate may not take a field's name)."""
        return cls({key.removeprefix("n_"): value or 0 for key, value in values.items()})


# Periods


def _year_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


@dataclass(frozen=True)
class Period:
    """Days from `start` to `end`, both included (Asia/Shanghai)."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> "Period":
        """The period of the same length just before (环比)."""
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1))

    def last_year(self) -> "Period":
        """The same days a year earlier (同比)."""
        return Period(_year_before(self.start), _year_before(self.end))

    def bounds(self) -> tuple[datetime, datetime]:
        """From the first moment of `start` to the first moment after `end`."""
        return (
            datetime.combine(self.start, time.min, SHANGHAI),
            datetime.combine(self.end + timedelta(days=1), time.min, SHANGHAI),
        )


# Measures


@dataclass(frozen=True)
class Measure:
    key: str
    label: str
    unit: str  # COUNT, PERCENT or HOURS
    better: int  # HIGHER, LOWER, or 0 when neither is better
    formula: str
    compute: Callable[[Counters], float | int | None]

    def __call__(self, counters: Counters) -> float | int | None:
        return self.compute(counters)


AREA_MEASURES: dict[str, Measure] = {}
DEPARTMENT_MEASURES: dict[str, Measure] = {}
WORKER_MEASURES: dict[str, Measure] = {}


def _measure(registry: dict, key: str, label, *, unit: str = PERCENT, better: int = 0):
    """Register the decorated function as a measure; its docstring is its formula."""

    def register(function):
        registry[key] = Measure(key, label, unit, better, inspect.getdoc(function), function)
        return function

    return register


def _count(registry: dict, key: str, label, formula: str, *, better: int = 0) -> None:
    registry[key] = Measure(key, label, COUNT, better, formula, lambda c: c[key])


def percent(part: int, whole: int) -> float | None:
    """part / whole × 100, to two decimals; None when there is nothing to divide by."""
    if whole <= 0:
        return None
    return round(100 * part / whole, 2)


def due_to_close(c: Counters) -> int:
    """应结案数: the cases that should be closed, received − not registered − suspended (挂账
    cases are left out, as the standard says)."""
    return c["received"] - c["rejected"] - c["suspended"]


_count(AREA_MEASURES, "received", gettext_lazy("Received"), "受理数: cases reported.")
_count(
    AREA_MEASURES,
    "accepted",
    gettext_lazy("Accepted"),
    "立案数: cases accepted (签收) at some level or resolved on the spot.",
)
_count(AREA_MEASURES, "rejected", gettext_lazy("Not registered"), "不予立案数: cases now rejected.")
_count(AREA_MEASURES, "closed", gettext_lazy("Closed"), "结案数: cases now closed.")
_count(AREA_MEASURES, "suspended", gettext_lazy("Suspended"), "挂账数: cases now suspended.")
_count(
    AREA_MEASURES,
    "open",
    gettext_lazy("Open"),
    "在办数: cases now waiting for acceptance, in progress, dispatched or waiting for "
    "verification (neither closed, rejected nor suspended).",
)
_count(
    AREA_MEASURES,
    "overdue",
    gettext_lazy("Overdue"),
    "超期案件数: cases that missed at least one deadline (escalated automatically, marked "
    "overdue at the district, or a dispatch flagged overdue).",
    better=LOWER,
)
_count(
    AREA_MEASURES,
    "overdue_open",
    gettext_lazy("Overdue now"),
    "超期在办数: open cases marked overdue at the district and not yet closed or sent down.",
    better=LOWER,
)
_count(
    AREA_MEASURES,
    "urged",
    gettext_lazy("Urged"),
    "督办案件数: cases urged (督办) by a supervisor at least once.",
    better=LOWER,
)
_count(
    AREA_MEASURES,
    "escalated_out",
    gettext_lazy("Escalated out"),
    "上报数: escalations (manual or automatic) of cases from this unit to the level above.",
)
_count(
    AREA_MEASURES,
    "auto_escalated_out",
    gettext_lazy("Escalated out automatically"),
    "超时上报数: escalations from this unit because its deadline passed.",
    better=LOWER,
)
_count(
    AREA_MEASURES,
    "escalated_in",
    gettext_lazy("Escalated in"),
    "接收上报数: escalations of cases from the level below to this unit.",
)
_count(
    AREA_MEASURES,
    "returned_down",
    gettext_lazy("Returned down"),
    "退回数: cases this unit sent back down (退回/下派).",
)
_count(
    AREA_MEASURES,
    "deadline_misses",
    gettext_lazy("Deadlines missed here"),
    "超时次数: deadlines missed while this unit held the case.",
    better=LOWER,
)
_count(AREA_MEASURES, "callbacks", gettext_lazy("Callbacks"), "回访数: resident callbacks.")


@_measure(AREA_MEASURES, "closure_rate", gettext_lazy("Closure rate"), better=HIGHER)
def closure_rate(c: Counters) -> float | None:
    """结案率 = closed / due to close × 100%, where due to close (应结案数) = received − not
    registered − suspended."""
    return percent(c["closed"], due_to_close(c))


@_measure(AREA_MEASURES, "on_time_rate", gettext_lazy("On-time closure rate"), better=HIGHER)
def on_time_rate(c: Counters) -> float | None:
    """按期结案率 = closed on time / due to close × 100%. A case is closed on time when it is
    closed and its history records no missed deadline: never escalated automatically, never
    marked overdue, no dispatch flagged overdue (the sweeper records a passed deadline within
    a minute)."""
    return percent(c["closed_on_time"], due_to_close(c))


@_measure(AREA_MEASURES, "grid_rate", gettext_lazy("Closed within the grid"), better=HIGHER)
def grid_rate(c: Counters) -> float | None:
    """不出网格率 = cases closed at grid level / closed × 100%."""
    return percent(c["closed_grid"], c["closed"])


@_measure(
    AREA_MEASURES, "community_rate", gettext_lazy("Closed within the community"), better=HIGHER
)
def community_rate(c: Counters) -> float | None:
    """不出社区率 = cases closed at grid or community level / closed × 100%."""
    return percent(c["closed_grid"] + c["closed_community"], c["closed"])


@_measure(AREA_MEASURES, "street_rate", gettext_lazy("Closed within the street"), better=HIGHER)
def street_rate(c: Counters) -> float | None:
    """不出街道率 = cases closed at grid, community or street level / closed × 100%."""
    return percent(c["closed_grid"] + c["closed_community"] + c["closed_street"], c["closed"])


@_measure(AREA_MEASURES, "rework_rate", gettext_lazy("Rework rate"), better=LOWER)
def rework_rate(c: Counters) -> float | None:
    """返工率 = closed cases reworked at least once (failed verification, or reopened after a
    callback) / closed × 100%."""
    return percent(c["reworked"], c["closed"])


@_measure(AREA_MEASURES, "satisfaction_rate", gettext_lazy("Satisfaction rate"), better=HIGHER)
def satisfaction_rate(c: Counters) -> float | None:
    """满意率 = callbacks rated 4 or 5 (of 5) / callbacks × 100%."""
    return percent(c["satisfied"], c["callbacks"])


@_measure(
    AREA_MEASURES, "average_hours", gettext_lazy("Average handling time"), unit=HOURS, better=LOWER
)
def average_hours(c: Counters) -> float | None:
    """平均处置时长 = Σ (closing − report) / closed, in natural hours (the time a resident waits;
    working-time deadlines are judged by the on-time rate)."""
    if c["closed"] <= 0:
        return None
    return round(c["handling_seconds"] / c["closed"] / 3600, 2)


@_measure(
    AREA_MEASURES, "median_hours", gettext_lazy("Median handling time"), unit=HOURS, better=LOWER
)
def median_hours(c: Counters) -> float | None:
    """处置时长中位数: the median of the closed cases' handling times in natural hours, each
    rounded down to the hour below 72 h and to the day from 72 h (30 days at most); for an even
    number of cases, the mean of the middle two."""
    histogram = sorted(c["handling_hours"].items()) if c["handling_hours"] else []
    count = sum(n for _hours, n in histogram)
    if not count:
        return None

    def nth(rank: int) -> int:
        seen = 0
        for hours, n in histogram:
            seen += n
            if seen >= rank:
                return hours
        raise AssertionError("unreachable: rank ≤ count")

    if count % 2:
        return float(nth(count // 2 + 1))
    return (nth(count // 2) + nth(count // 2 + 1)) / 2


_count(
    DEPARTMENT_MEASURES, "dispatched", gettext_lazy("Dispatched"), "派遣数: dispatches received."
)
_count(
    DEPARTMENT_MEASURES,
    "refused",
    gettext_lazy("Refused"),
    "退单数: dispatches the department refused.",
    better=LOWER,
)
_count(
    DEPARTMENT_MEASURES,
    "done",
    gettext_lazy("Reported done"),
    "办结数: dispatches reported done (反馈).",
)
_count(
    DEPARTMENT_MEASURES,
    "overdue",
    gettext_lazy("Overdue"),
    "超期数: dispatches flagged overdue at least once.",
    better=LOWER,
)


@_measure(DEPARTMENT_MEASURES, "refusal_rate", gettext_lazy("Refusal rate"), better=LOWER)
def refusal_rate(c: Counters) -> float | None:
    """退单率 = refused dispatches / dispatches × 100%."""
    return percent(c["refused"], c["dispatched"])


@_measure(
    DEPARTMENT_MEASURES, "done_on_time_rate", gettext_lazy("On-time completion"), better=HIGHER
)
def done_on_time_rate(c: Counters) -> float | None:
    """按期办结率 = dispatches reported done without ever being flagged overdue / (dispatches −
    refused − closed with the case before their own deadline) × 100%. A cooperating dispatch
    still open when the lead's report resolved the case counts only if its deadline had passed
    by then (late); otherwise the department could no longer finish it, and it is not scored."""
    return percent(c["done_on_time"], c["dispatched"] - c["refused"] - c["closed_with_case"])


@_measure(DEPARTMENT_MEASURES, "department_rework_rate", gettext_lazy("Rework rate"), better=LOWER)
def department_rework_rate(c: Counters) -> float | None:
    """返工率 (department) = dispatches reported done whose work then failed on-site
    verification or was reopened (重办) / dispatches reported done × 100%."""
    return percent(c["reworked"], c["done"])


_count(WORKER_MEASURES, "reported", gettext_lazy("Reported"), "上报数: cases the person filed.")
_count(
    WORKER_MEASURES,
    "rejected",
    gettext_lazy("Not registered"),
    "无效上报数: cases the person filed that are now rejected (invalid or duplicate).",
    better=LOWER,
)
_count(
    WORKER_MEASURES,
    "self_resolved",
    gettext_lazy("Resolved on the spot"),
    "自行处置数: cases the person resolved on the spot.",
)
_count(
    WORKER_MEASURES,
    "verified",
    gettext_lazy("Verifications"),
    "核查数: on-site verifications the person did (passed or failed).",
)


@_measure(WORKER_MEASURES, "valid_report_rate", gettext_lazy("Valid reports"), better=HIGHER)
def valid_report_rate(c: Counters) -> float | None:
    """有效上报率 = (reported − not registered) / reported × 100%."""
    return percent(c["reported"] - c["rejected"], c["reported"])


def values(registry: dict[str, Measure], counters: Counters) -> dict[str, float | int | None]:
    """Every measure of `registry` for these counters."""
    return {key: measure(counters) for key, measure in registry.items()}


def change(value, base, unit: str) -> float | None:
    """环比/同比 change from `base` to `value`: for rates the difference in percentage points,
    for counts and hours the relative change in percent; None when there is no base."""
    if value is None or base is None:
        return None
    if unit == PERCENT:
        return round(value - base, 2)
    if not base:
        return None
    return round(100 * (value - base) / base, 2)


# Counters from the rollups (what dashboards read)


def _category_filter(category: Category | None, prefix: str = "") -> Q:
    if category is None:
        return Q()
    if category.parent_id is None:  # a main class: all its subclasses
        return Q(**{f"{prefix}category__parent": category})
    return Q(**{f"{prefix}category": category})


def _area_sums(level: int) -> dict:
    counters = [c for c in AREA.counters if c not in OWN_LEVEL]
    sums = {f"n_{c}": Sum(c) for c in counters}
    sums.update({f"n_{c}": Sum(c, filter=Q(level=level)) for c in OWN_LEVEL})
    for value, name in LEVEL_NAMES.items():
        sums[f"n_closed_{name}"] = Sum("closed", filter=Q(level=value))
    return sums


def _area_rows(period: Period | None, category: Category | None) -> QuerySet:
    fold_if_pending()
    rows = AreaRollup.objects.filter(_category_filter(category))
    if period is not None:
        rows = rows.filter(day__range=(period.start, period.end))
    return rows


def area_counters(area: Area, period: Period, *, category: Category | None = None) -> Counters:
    """The counters of `area` (its whole subtree; the OWN_LEVEL ones of the area itself),
    with the handling-time histogram (hours → closed cases) as "handling_hours"."""
    rows = _area_rows(period, category).filter(area=area)
    counters = Counters.of(rows.aggregate(**_area_sums(area.level)))
    counters["handling_hours"] = handling_histogram(area, period, category=category)
    return counters


def handling_histogram(
    area: Area, period: Period, *, category: Category | None = None
) -> dict[int, int]:
    """Hours → closed cases of `area` in the period (see HandlingRollup)."""
    fold_if_pending()
    rows = HandlingRollup.objects.filter(
        _category_filter(category), area=area, day__range=(period.start, period.end)
    )
    grouped = rows.values("hours").annotate(n=Sum("closed")).order_by()
    return {row["hours"]: row["n"] for row in grouped if row["n"]}


def area_table(
    areas: QuerySet[Area], level: int, period: Period, *, category: Category | None = None
) -> dict[int, Counters]:
    """Area id → counters, for the `areas` (all at `level`)."""
    rows = _area_rows(period, category).filter(area__in=areas.filter(level=level))
    grouped = rows.values("area_id").annotate(**_area_sums(level)).order_by()
    return {row.pop("area_id"): Counters.of(row) for row in grouped}


def area_trend(
    area: Area, period: Period, *, category: Category | None = None, monthly: bool = False
) -> list[tuple[date, Counters]]:
    """(day or first day of the month, counters) for each day (month) of the period with
    cases, in order."""
    rows = _area_rows(period, category).filter(area=area)
    bucket = TruncMonth("day") if monthly else F("day")
    grouped = rows.values(bucket=bucket).annotate(**_area_sums(area.level)).order_by("bucket")
    trend = []
    for row in grouped:
        day = row.pop("bucket")
        trend.append((day.date() if isinstance(day, datetime) else day, Counters.of(row)))
    return trend


def area_categories(
    area: Area, period: Period, *, main_classes: bool = True
) -> dict[int, Counters]:
    """Category id (main class, or subclass) → counters of `area`'s cases in the period."""
    field = "category__parent_id" if main_classes else "category_id"
    rows = _area_rows(period, None).filter(area=area)
    grouped = rows.values(key=F(field)).annotate(**_area_sums(area.level)).order_by()
    return {row.pop("key"): Counters.of(row) for row in grouped}


def live_counts(area: Area) -> dict[int, Counters]:
    """Level → open and overdue-now cases of `area`'s subtree held at that level, whenever
    they were reported (the command centre's live figures)."""
    fold_if_pending()
    rows = AreaRollup.objects.filter(area=area, open__gt=0).values("level")
    grouped = rows.annotate(n_open=Sum("open"), n_overdue_open=Sum("overdue_open")).order_by()
    return {row.pop("level"): Counters.of(row) for row in grouped}


def live_map(areas: QuerySet[Area]) -> dict[int, Counters]:
    """Area id → open and overdue-now cases of each of `areas` (its subtree)."""
    fold_if_pending()
    rows = AreaRollup.objects.filter(area__in=areas, open__gt=0).values("area_id")
    grouped = rows.annotate(n_open=Sum("open"), n_overdue_open=Sum("overdue_open")).order_by()
    return {row.pop("area_id"): Counters.of(row) for row in grouped}


def _sums(table: str) -> dict:
    return {f"n_{c}": Sum(c) for c in TABLES[table].counters}


def department_counters(
    department: Department, period: Period, *, category: Category | None = None
) -> Counters:
    fold_if_pending()
    rows = DepartmentRollup.objects.filter(
        _category_filter(category), department=department, day__range=(period.start, period.end)
    )
    return Counters.of(rows.aggregate(**_sums("department")))


def department_table(
    departments: QuerySet[Department], period: Period, *, category: Category | None = None
) -> dict[int, Counters]:
    fold_if_pending()
    rows = DepartmentRollup.objects.filter(
        _category_filter(category),
        department__in=departments,
        day__range=(period.start, period.end),
    )
    grouped = rows.values("department_id").annotate(**_sums("department")).order_by()
    return {row.pop("department_id"): Counters.of(row) for row in grouped}


def worker_table(area: Area, period: Period) -> dict[int, Counters]:
    """User id → counters of the field work in `area`'s grids in the period."""
    fold_if_pending()
    rows = WorkerRollup.objects.filter(
        grid__path__startswith=area.path, day__range=(period.start, period.end)
    )
    grouped = rows.values("user_id").annotate(**_sums("worker")).order_by()
    return {row.pop("user_id"): Counters.of(row) for row in grouped}


# The same counters computed from the cases (slow; for checks and tests)


def _cases(area: Area, period: Period, category: Category | None) -> QuerySet[Case]:
    start, end = period.bounds()
    return Case.objects.filter(
        _category_filter(category),
        grid__path__startswith=area.path,
        reported_at__gte=start,
        reported_at__lt=end,
    )


def area_counters_from_cases(
    area: Area, period: Period, *, category: Category | None = None
) -> Counters:
    """`area_counters`, computed from the cases, their events and callbacks."""
    cases = _cases(area, period, category)
    events = CaseEvent.objects.filter(case=OuterRef("pk"))
    flagged = cases.annotate(
        was_accepted=Exists(events.filter(action__in=("accept", "self_resolve"))),
        missed=Exists(events.filter(action__in=MISSED_DEADLINES)),
    )
    closed = Q(status=S.CLOSED)
    open_ = Q(status__in=OPEN_STATUSES)
    counters = flagged.aggregate(
        received=Count("pk"),
        accepted=Count("pk", filter=Q(was_accepted=True)),
        rejected=Count("pk", filter=Q(status=S.REJECTED)),
        closed=Count("pk", filter=closed),
        closed_on_time=Count("pk", filter=closed & Q(missed=False)),
        reworked=Count("pk", filter=closed & Q(rework_count__gt=0)),
        suspended=Count("pk", filter=Q(status=S.SUSPENDED)),
        open=Count("pk", filter=open_),
        overdue_open=Count("pk", filter=open_ & Q(is_overdue=True)),
        overdue=Count("pk", filter=Q(missed=True)),
        urged=Count("pk", filter=Q(urge_count__gt=0)),
        urges=Sum("urge_count"),
        **{
            f"closed_{name}": Count("pk", filter=closed & Q(closed_level=value))
            for value, name in LEVEL_NAMES.items()
        },
    )
    counters = Counters.of(counters)
    histogram: dict[int, int] = defaultdict(int)
    counters["handling_seconds"] = 0
    for reported_at, closed_at in cases.filter(closed).values_list("reported_at", "closed_at"):
        seconds = max(0, int((closed_at - reported_at).total_seconds()))
        counters["handling_seconds"] += seconds
        histogram[handling_hours(seconds)] += 1
    counters["handling_hours"] = dict(histogram)
    steps = CaseEvent.objects.filter(case__in=cases)
    counters["escalated_out"] = steps.filter(action__in=ESCALATIONS, from_holder=area).count()
    counters["auto_escalated_out"] = steps.filter(action="auto_escalate", from_holder=area).count()
    counters["escalated_in"] = steps.filter(action__in=ESCALATIONS, to_holder=area).count()
    counters["returned_down"] = steps.filter(action="return_down", from_holder=area).count()
    counters["deadline_misses"] = steps.filter(
        action__in=MISSED_DEADLINES, from_holder=area
    ).count()
    callbacks = Callback.objects.filter(case__in=cases)
    counters["callbacks"] = callbacks.count()
    counters["satisfied"] = callbacks.filter(satisfaction__gte=SATISFIED).count()
    return counters


def department_counters_from_cases(
    department: Department, period: Period, *, category: Category | None = None
) -> Counters:
    """`department_counters`, computed from the dispatches and the case histories."""
    start, end = period.bounds()
    dispatches = Dispatch.objects.filter(
        _category_filter(category, "case__"),
        department=department,
        dispatched_at__gte=start,
        dispatched_at__lt=end,
    )
    ids = set(dispatches.values_list("pk", flat=True))
    steps = CaseEvent.objects.filter(case__in=dispatches.values("case"))
    flagged = {
        data["dispatch"]
        for data in steps.filter(action="dispatch_overdue").values_list("data", flat=True)
    } & ids
    extensions = [
        data["dispatch"]
        for data in steps.filter(action="dispatch_request_extension").values_list("data", flat=True)
        if data["dispatch"] in ids
    ]
    done = Q(done_at__isnull=False)
    counters = Counters.of(
        dispatches.aggregate(
            dispatched=Count("pk"),
            led=Count("pk", filter=Q(role=Dispatch.Role.LEAD)),
            signed=Count("pk", filter=Q(signed_at__isnull=False)),
            refused=Count("pk", filter=Q(status=Dispatch.Status.REFUSED)),
            done=Count("pk", filter=done),
            done_on_time=Count("pk", filter=done & ~Q(pk__in=flagged)),
            reworked=Count("pk", filter=done & Q(status=Dispatch.Status.CANCELLED)),
            closed_with_case=Count(
                "pk",
                filter=Q(status=Dispatch.Status.CLOSED_WITH_CASE, due_at__gt=F("closed_at"))
                & ~Q(pk__in=flagged),
            ),
        )
    )
    counters["overdue"] = len(flagged)
    counters["extension_requests"] = len(extensions)
    return counters


def worker_counters_from_cases(user, area: Area, period: Period) -> Counters:
    """The counters of `worker_table` for one user, computed from the cases and events."""
    cases = _cases(area, period, None)
    mine = cases.filter(reporter=user)
    steps = CaseEvent.objects.filter(case__in=cases, actor=user)
    return Counters(
        reported=mine.count(),
        rejected=mine.filter(status=S.REJECTED).count(),
        self_resolved=steps.filter(action="self_resolve").count(),
        verified=steps.filter(action__in=("verify_pass", "verify_fail")).count(),
    )


# Composite score, grades and ranking


DEFAULT_WEIGHTS = {
    ScoreWeight.UnitKind.AREA: {
        "closure_rate": Decimal(25),
        "on_time_rate": Decimal(30),
        "grid_rate": Decimal(15),
        "rework_rate": Decimal(10),
        "satisfaction_rate": Decimal(20),
    },
    ScoreWeight.UnitKind.DEPARTMENT: {
        "done_on_time_rate": Decimal(50),
        "refusal_rate": Decimal(20),
        "department_rework_rate": Decimal(30),
    },
}
MEASURES_OF_KIND = {
    ScoreWeight.UnitKind.AREA: AREA_MEASURES,
    ScoreWeight.UnitKind.DEPARTMENT: DEPARTMENT_MEASURES,
}
# Traffic-light grades of a composite score (0–100): green from 85, yellow from 70, else red.
GREEN, YELLOW = 85, 70


def weights(kind: str) -> dict[str, Decimal]:
    """Measure → weight in the composite score of `kind` units: the stored weights, or the
    defaults while none are stored."""
    stored = {w.measure: w.weight for w in ScoreWeight.objects.filter(unit_kind=kind)}
    return stored or dict(DEFAULT_WEIGHTS[kind])


def score(
    measured: dict[str, float | None], kind: str, weighting: dict[str, Decimal]
) -> float | None:
    """综合得分 = Σ weight × points / Σ weight over the weighted rates that have a value, where
    points = the rate when higher is better, 100 − the rate when lower is better. None when no
    weighted rate has a value."""
    registry = MEASURES_OF_KIND[kind]
    total = weight_sum = 0.0
    for key, weight in weighting.items():
        value = measured.get(key)
        if value is None or not weight:
            continue
        points = value if registry[key].better == HIGHER else 100 - value
        total += float(weight) * points
        weight_sum += float(weight)
    return round(total / weight_sum, 2) if weight_sum else None


def grade(points: float | None) -> str:
    """The traffic light of a score: "green" (≥ 85), "yellow" (≥ 70), "red", or "" (no score)."""
    if points is None:
        return ""
    return "green" if points >= GREEN else "yellow" if points >= YELLOW else "red"


def rank(rows: Iterable[dict]) -> list[dict]:
    """Rows with a "score", best first (no score last), each given its "rank" (equal scores
    share a rank: 1, 2, 2, 4)."""
    ordered = sorted(rows, key=lambda r: (r["score"] is None, -(r["score"] or 0)))
    previous, position = object(), 0
    for index, row in enumerate(ordered, start=1):
        if row["score"] != previous:
            position, previous = index, row["score"]
        row["rank"] = position if row["score"] is not None else None
    return ordered


def can_edit_weights(user) -> bool:
    return has_role(user, Post.Role.ADMIN)


@transaction.atomic
def save_weights(kind: str, weighting: dict, *, actor) -> dict[str, Decimal]:
    """Replace the weights of `kind` units (measure → weight ≥ 0, at least one above 0)."""
    if not can_edit_weights(actor):
        raise PermissionDenied(_("Only administrators may change the score weights."))
    if kind not in MEASURES_OF_KIND:
        raise ValidationError({"unit_kind": [_("Unknown kind of unit.")]})
    registry = MEASURES_OF_KIND[kind]
    errors, clean = {}, {}
    for key, raw in (weighting or {}).items():
        measure = registry.get(key)
        if measure is None or measure.unit != PERCENT:
            errors[key] = [_("Only rates can be weighted.")]
            continue
        try:
            weight = Decimal(str(raw))
        except ArithmeticError:
            weight = None
        if weight is None or not weight.is_finite() or not 0 <= weight <= 100:
            errors[key] = [_("Give a weight from 0 to 100.")]
            continue
        clean[key] = weight.quantize(Decimal("0.01"))
    if not errors and not any(clean.values()):
        errors["weights"] = [_("Give at least one measure a weight above 0.")]
    if errors:
        raise ValidationError(errors)
    ScoreWeight.objects.filter(unit_kind=kind).delete()
    ScoreWeight.objects.bulk_create(
        [ScoreWeight(unit_kind=kind, measure=key, weight=w) for key, w in clean.items()]
    )
    return clean
