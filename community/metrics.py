"""Figures of community services for an area and a period, and for each of its child areas:
requests received, done, done on time, average days to done, satisfaction, open and overdue;
care visits done against visits due (coverage), people overdue a visit now; the most requested
services. Read by the supervisor's dashboard, the monthly report and the console.

Each figure is one grouped query per table over the area's subtree and the period (indexed by
grid and date), summed per child area here; not the cases' rollup tables: community volumes are
a small fraction of the cases' (see docs/community.md).
"""

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field, fields
from datetime import date, datetime, time, timedelta

from django.db.models import Count
from django.utils import timezone

from community.models import CareVisit, ServiceRequest, VisitSchedule
from grid.models import Area

S = ServiceRequest.Status


@dataclass
class Figures:
    area: Area | None = None
    received: int = 0
    done: int = 0
    done_on_time: int = 0
    declined: int = 0
    converted: int = 0
    open: int = 0
    overdue_open: int = 0
    done_seconds: float = 0.0
    rated: int = 0
    satisfaction_sum: int = 0
    visits_done: int = 0
    visits_due: int = 0
    visits_counted: int = 0  # visits done, at most as many per person as were due
    people_to_visit: int = 0
    overdue_visits: int = 0
    services: Counter = field(default_factory=Counter)

    @property
    def on_time_rate(self) -> float | None:
        return round(100 * self.done_on_time / self.done, 1) if self.done else None

    @property
    def average_days(self) -> float | None:
        return round(self.done_seconds / self.done / 86400, 1) if self.done else None

    @property
    def satisfaction(self) -> float | None:
        return round(self.satisfaction_sum / self.rated, 2) if self.rated else None

    @property
    def coverage(self) -> float | None:
        """Visits done against visits due in the period, as a percentage."""
        return round(100 * self.visits_counted / self.visits_due, 1) if self.visits_due else None

    def add(self, other: "Figures") -> None:
        for f in fields(self):
            if f.name in ("area", "services"):
                continue
            name = f.name
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.services.update(other.services)


def _start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def _child_of(children: list[Area], path: str) -> Area | None:
    for child in children:
        if path.startswith(child.path):
            return child
    return None


def figures(area: Area, start: date, end: date, *, by_child: bool = True):
    """(the area's Figures, [Figures of each child area]) for the days start..end inclusive."""
    now = timezone.now()
    today = timezone.localdate()
    since, until = _start(start), _start(end + timedelta(days=1))
    children = list(area.children.order_by("code")) if by_child else []
    rows: dict[int | None, Figures] = defaultdict(Figures)

    def bucket(path: str) -> Figures:
        child = _child_of(children, path)
        return rows[child.pk if child else None]

    requests = ServiceRequest.objects.filter(grid__path__startswith=area.path)
    received = (
        requests.filter(received_at__gte=since, received_at__lt=until)
        .values("grid__path", "service__name", "status")
        .annotate(n=Count("id"))
    )
    for row in received:
        target = bucket(row["grid__path"])
        target.received += row["n"]
        target.services[row["service__name"]] += row["n"]
        if row["status"] == S.DECLINED:
            target.declined += row["n"]
        elif row["status"] == S.CONVERTED:
            target.converted += row["n"]
    finished = requests.filter(status=S.DONE, closed_at__gte=since, closed_at__lt=until).values(
        "grid__path", "received_at", "closed_at", "due_at", "satisfaction"
    )
    for row in finished:
        target = bucket(row["grid__path"])
        target.done += 1
        target.done_on_time += row["closed_at"] <= row["due_at"]
        target.done_seconds += (row["closed_at"] - row["received_at"]).total_seconds()
        if row["satisfaction"]:
            target.rated += 1
            target.satisfaction_sum += row["satisfaction"]
    live = (
        requests.filter(status__in=ServiceRequest.OPEN_STATUSES)
        .values("grid__path")
        .annotate(n=Count("id"))
    )
    for row in live:
        bucket(row["grid__path"]).open += row["n"]
    overdue = (
        requests.filter(status__in=ServiceRequest.OPEN_STATUSES, due_at__lt=now)
        .values("grid__path")
        .annotate(n=Count("id"))
    )
    for row in overdue:
        bucket(row["grid__path"]).overdue_open += row["n"]

    _visits(area, since, until, start, end, today, bucket)

    total = Figures(area=area)
    for value in rows.values():
        total.add(value)
    per_child = []
    for child in children:
        value = rows.get(child.pk) or Figures()
        value.area = child
        per_child.append(value)
    return total, per_child


def _visits(area, since, until, start, end, today, bucket) -> None:
    """Visits due in the period (per scheduled person: the period's days over the interval,
    rounded up, from the day the schedule began), visits done, and people overdue now."""
    schedules = VisitSchedule.objects.filter(grid__path__startswith=area.path).values(
        "person_id", "grid__path", "every_days", "next_visit_on"
    )
    days = (min(end, today) - start).days + 1
    done = Counter(
        CareVisit.objects.filter(
            grid__path__startswith=area.path, visited_at__gte=since, visited_at__lt=until
        )
        .values_list("person_id", flat=True)
        .order_by()
    )
    for row in schedules:
        target = bucket(row["grid__path"])
        target.people_to_visit += 1
        due = max(1, math.ceil(days / row["every_days"])) if days > 0 else 0
        target.visits_due += due
        target.visits_counted += min(done.get(row["person_id"], 0), due)
        target.overdue_visits += row["next_visit_on"] < today
    visits = (
        CareVisit.objects.filter(
            grid__path__startswith=area.path, visited_at__gte=since, visited_at__lt=until
        )
        .values("grid__path")
        .annotate(n=Count("id"))
    )
    for row in visits:
        bucket(row["grid__path"]).visits_done += row["n"]


def top_services(total: Figures, limit: int = 5) -> list[tuple[str, int]]:
    return total.services.most_common(limit)
