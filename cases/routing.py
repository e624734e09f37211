"""Routing and escalation rules, as data plus pure functions (no database here).

Where a new case starts, how long each level has, and who is alerted at once follow from its
category (the defaults) and the most specific RoutingRule that matches it: a rule for the
case's urgency beats one for any urgency, and a rule for a deeper area beats one for a wider
area or for everywhere. Emergencies run on the natural clock and alert every level.

The chain itself: grid → community → street → district; each level has its deadline, and a
case that misses it moves one level up (cases/workflow.py does the move).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from grid.models import Area

Level = Area.Level

# Working hours a level has to accept (签收) and to handle (处置) a case, unless the category
# says otherwise; 7 working hours make a working day.
DEFAULT_LIMITS: dict[int, tuple[float, float]] = {
    Level.GRID: (2, 14),
    Level.COMMUNITY: (4, 21),
    Level.STREET: (7, 35),
    Level.DISTRICT: (7, 70),
}
# Dispatched work: working hours a department has to report done.
DEFAULT_DISPATCH_HOURS = 35


@dataclass(frozen=True)
class Rule:
    """What cases/routing needs of a RoutingRule row."""

    category_id: int
    urgency: str  # "" = any
    area_path: str  # "" = anywhere
    start_level: int | None
    notify_all_levels: bool
    time_factor: Decimal


@dataclass(frozen=True)
class RoutingDecision:
    start_level: int
    notify_all_levels: bool
    time_factor: Decimal
    natural_clock: bool


def _specificity(rule: Rule) -> tuple[int, int]:
    return (len(rule.area_path), 1 if rule.urgency else 0)


def route(
    *,
    category_id: int,
    category_start_level: int,
    urgency: str,
    grid_path: str,
    rules: Iterable[Rule],
) -> RoutingDecision:
    """Decide where a case of this category and urgency, in the grid at `grid_path`, starts."""
    matching = [
        rule
        for rule in rules
        if rule.category_id == category_id
        and rule.urgency in ("", urgency)
        and grid_path.startswith(rule.area_path)
    ]
    best = max(matching, key=_specificity, default=None)
    emergency = urgency == "emergency"
    start = best.start_level if best and best.start_level else category_start_level
    return RoutingDecision(
        start_level=start,
        notify_all_levels=emergency or bool(best and best.notify_all_levels),
        time_factor=best.time_factor if best else Decimal(1),
        natural_clock=emergency,
    )


def stage_hours(time_limits: dict, level: int, stage: str, factor: Decimal) -> float:
    """Hours a level has for a stage ("accept" or "handle"), from the category's limits (keyed
    by level as a string, as JSON stores it) or the defaults, times the rule's factor."""
    default_accept, default_handle = DEFAULT_LIMITS[level]
    level_limits = (time_limits or {}).get(str(level), {})
    hours = level_limits.get(stage, default_accept if stage == "accept" else default_handle)
    return float(hours) * float(factor)


def next_level_up(level: int) -> int | None:
    """The level above, or None at the district (nothing is above it)."""
    return level - 1 if level > Level.DISTRICT else None


def holder_at(level: int, grid_path: str) -> int:
    """The id of the area at `level` on a grid's path ("/district/street/community/grid/")."""
    ids = [int(part) for part in grid_path.strip("/").split("/")]
    return ids[level - 1]
