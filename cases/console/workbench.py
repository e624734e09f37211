"""The cases' tiles of the workbench (工作台, grid's HomeView through grid/extensions.py): for each
post, the numbers that ask for action, each a link to the console list filtered to exactly the
rows it counts, and the key figures of the post's week from the rollups.

- a level's staff (grid worker, community, street, district): the cases it holds waiting for
  acceptance, overdue, due today and urged by a supervisor; a grid worker also the resolved
  cases of the grid to verify on site; the district the extension requests to decide;
- department staff: the open dispatches to sign, due today and overdue;
- supervisors: the open cases of the area overdue, urged and waiting for acceptance;
- everyone: unread messages.

Each function reads one query (the counts of a post's tiles are one aggregate), and a number and
its link share their condition (cases/console/queues.py, the queue's filters), which
tests/cases/test_workbench.py checks row for row.
"""

from datetime import timedelta
from urllib.parse import urlencode

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from cases import metrics, notifications, policies
from cases.console.queues import (
    DUE_TODAY,
    DispatchState,
    dispatch_state,
    due_today,
    late_cases,
)
from cases.models import OPEN_STATUSES, Case, Dispatch
from grid import extensions
from grid.extensions import Tile
from grid.models import Post

S = Case.Status
R = Post.Role
LEVEL_OF_ROLE = {role: level for level, role in policies.ROLE_OF_LEVEL.items()}
WEEK_DAYS = 7


def _link(name: str, params) -> str:
    return f"{reverse(name)}?{urlencode(params, doseq=True)}" if params else reverse(name)


def _tone(count: int, tone: str) -> str | None:
    return tone if count else None


def held_tiles(request, post) -> list[Tile] | None:
    """The cases the post's level holds in its area: waiting for acceptance, overdue, due
    today, urged. Links: the queue of held cases narrowed to this post's level and area."""
    level = LEVEL_OF_ROLE.get(post.role)
    if level is None or post.area is None:
        return None
    now = timezone.now()
    # As console_views.held_by: the post's own area when it is at that level (an index on the
    # holder serves it), else every area of that level below it.
    if post.area.level == level:
        held = Q(level=level, holder=post.area)
    else:
        held = Q(level=level, holder__path__startswith=post.area.path)
    counts = Case.objects.filter(held, status__in=OPEN_STATUSES).aggregate(
        to_accept=Count("pk", filter=Q(status=S.REPORTED)),
        overdue=Count("pk", filter=late_cases(now)),
        due_today=Count("pk", filter=due_today(now)),
        urged=Count("pk", filter=Q(urge_count__gt=0)),
    )
    base = {"view": "held", "level": level, "holder_within": post.area.pk}
    return [
        Tile("to_accept", _("Waiting for acceptance"), counts["to_accept"],
             _link("console-queue", {**base, "status": S.REPORTED}),
             _tone(counts["to_accept"], "primary")),
        Tile("overdue", _("Overdue"), counts["overdue"],
             _link("console-queue", {**base, "overdue": "true"}),
             _tone(counts["overdue"], "danger")),
        Tile("due_today", _("Due today"), counts["due_today"],
             _link("console-queue", {**base, "due": DUE_TODAY}),
             _tone(counts["due_today"], "warning")),
        Tile("urged", _("Urged by a supervisor"), counts["urged"],
             _link("console-queue", {**base, "urged": "true"}),
             _tone(counts["urged"], "danger")),
    ]  # fmt: skip


def verify_tile(request, post) -> Tile | None:
    """A grid worker's resolved cases of the grid, waiting for verification on site (核查)."""
    if post.area is None:
        return None
    count = Case.objects.filter(grid__path__startswith=post.area.path, status=S.RESOLVED).count()
    params = {"view": "area", "within": post.area.pk, "status": S.RESOLVED}
    return Tile(
        "to_verify", _("To verify on site"), count, _link("console-queue", params),
        _tone(count, "primary"),
    )  # fmt: skip


def extension_tile(request, post) -> Tile | None:
    """Extension requests of the departments on cases the post's level holds, to decide."""
    level = LEVEL_OF_ROLE.get(post.role)
    if level is None or post.area is None:
        return None
    count = Dispatch.objects.filter(
        dispatch_state(DispatchState.EXTENSION, timezone.now()),
        case__level=level,
        case__holder__path__startswith=post.area.path,
    ).count()
    return Tile(
        "extensions", _("Extension requests to decide"), count,
        _link("console-dispatches", {"state": DispatchState.EXTENSION}),
        _tone(count, "warning"),
    )  # fmt: skip


def dispatch_tiles(request, post) -> list[Tile] | None:
    """A department's open dispatches: to sign, due today, overdue, all open."""
    if post.department_id is None:
        return None
    now = timezone.now()
    state = DispatchState
    counts = Dispatch.objects.filter(
        department_id=post.department_id,
        status__in=Dispatch.OPEN_STATUSES,
        case__status=S.DISPATCHED,
    ).aggregate(
        to_sign=Count("pk", filter=dispatch_state(state.TO_SIGN, now)),
        due_today=Count("pk", filter=dispatch_state(state.DUE_TODAY, now)),
        overdue=Count("pk", filter=dispatch_state(state.OVERDUE, now)),
        open=Count("pk"),
    )
    return [
        Tile("to_sign", _("Dispatches to sign"), counts["to_sign"],
             _link("console-dispatches", {"state": DispatchState.TO_SIGN}),
             _tone(counts["to_sign"], "primary")),
        Tile("dispatch_due_today", _("Due today"), counts["due_today"],
             _link("console-dispatches", {"state": DispatchState.DUE_TODAY}),
             _tone(counts["due_today"], "warning")),
        Tile("dispatch_overdue", _("Overdue"), counts["overdue"],
             _link("console-dispatches", {"state": DispatchState.OVERDUE}),
             _tone(counts["overdue"], "danger")),
        Tile("dispatch_open", _("Open dispatches"), counts["open"],
             _link("console-dispatches", {})),
    ]  # fmt: skip


def area_tiles(request, post) -> list[Tile] | None:
    """A supervisor's open cases of the area (at any level): overdue, urged, waiting for
    acceptance. Links: every case of the area, narrowed to the open statuses."""
    if post.area is None:
        return None
    now = timezone.now()
    counts = Case.objects.filter(
        grid__path__startswith=post.area.path, status__in=OPEN_STATUSES
    ).aggregate(
        overdue=Count("pk", filter=late_cases(now)),
        urged=Count("pk", filter=Q(urge_count__gt=0)),
        to_accept=Count("pk", filter=Q(status=S.REPORTED)),
    )
    base = {"view": "area", "within": post.area.pk, "status": list(OPEN_STATUSES)}
    return [
        Tile("area_overdue", _("Open and overdue"), counts["overdue"],
             _link("console-queue", {**base, "overdue": "true"}),
             _tone(counts["overdue"], "danger")),
        Tile("area_urged", _("Open and urged"), counts["urged"],
             _link("console-queue", {**base, "urged": "true"}),
             _tone(counts["urged"], "warning")),
        Tile("area_to_accept", _("Waiting for acceptance"), counts["to_accept"],
             _link("console-queue", {**base, "status": S.REPORTED}),
             _tone(counts["to_accept"], "primary")),
    ]  # fmt: skip


def unread_tile(request, post) -> Tile:
    """My unread messages (the counter the header's badge reads: one row)."""
    count = notifications.unread_count(request.user)
    return Tile(
        "unread", _("Unread messages"), count, _link("console-inbox", {"unread": "true"}),
        _tone(count, "danger"),
    )  # fmt: skip


def _week() -> metrics.Period:
    today = timezone.localdate()
    return metrics.Period(today - timedelta(days=WEEK_DAYS - 1), today)


def _percent(value) -> str:
    return "—" if value is None else f"{value:g}"


def area_week_tiles(request, post) -> list[Tile] | None:
    """The area's cases reported in the last seven days, from the rollups (as the dashboard
    reads them): received, closed, closure rate, on-time rate, missed a deadline."""
    if post.area is None:
        return None
    counters = metrics.area_counters(post.area, _week())
    return [
        Tile("week_received", _("Received"), counters["received"]),
        Tile("week_closed", _("Closed"), counters["closed"]),
        Tile("week_closure_rate", _("Closure rate"),
             _percent(metrics.closure_rate(counters)), unit="%"),
        Tile("week_on_time_rate", _("On-time closure rate"),
             _percent(metrics.on_time_rate(counters)), unit="%"),
        Tile("week_overdue", _("Missed a deadline"), counters["overdue"],
             tone=_tone(counters["overdue"], "danger")),
    ]  # fmt: skip


def department_week_tiles(request, post) -> list[Tile] | None:
    """The department's work dispatched in the last seven days, from the rollups."""
    if post.department is None:
        return None
    counters = metrics.department_counters(post.department, _week())
    return [
        Tile("week_dispatched", _("Dispatched"), counters["dispatched"]),
        Tile("week_signed", _("Signed"), counters["signed"]),
        Tile("week_done", _("Reported done"), counters["done"]),
        Tile("week_done_on_time_rate", _("Done on time"),
             _percent(metrics.done_on_time_rate(counters)), unit="%"),
        Tile("week_dispatch_overdue", _("Overdue"), counters["overdue"],
             tone=_tone(counters["overdue"], "danger")),
    ]  # fmt: skip


LEVEL_ROLES = (R.GRID_WORKER, R.COMMUNITY_STAFF, R.STREET_STAFF, R.DISTRICT_DISPATCHER)


def register() -> None:
    """Called from CasesConfig.ready()."""
    extensions.register_tiles(extensions.PERSONAL, "cases.unread", unread_tile)
    extensions.register_tiles(LEVEL_ROLES, "cases.held", held_tiles)
    extensions.register_tiles(R.GRID_WORKER, "cases.verify", verify_tile)
    extensions.register_tiles(R.DISTRICT_DISPATCHER, "cases.extensions", extension_tile)
    extensions.register_tiles(R.DEPARTMENT_STAFF, "cases.dispatches", dispatch_tiles)
    extensions.register_tiles(R.SUPERVISOR, "cases.area", area_tiles)
    extensions.register_tiles(
        (*LEVEL_ROLES, R.SUPERVISOR), "cases.week", area_week_tiles, section=extensions.WEEK
    )
    extensions.register_tiles(
        R.DEPARTMENT_STAFF, "cases.department_week", department_week_tiles,
        section=extensions.WEEK,
    )  # fmt: skip
