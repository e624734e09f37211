"""The periods a dashboard can show: presets (本周, 本月, 上月, 本季, 本年, 近30天) and a custom
range, as pure functions of "today" in the work calendar's timezone (Asia/Shanghai).

The default is the last 30 days: a month-so-far period holds five days of data on the 5th and
grades every unit red on them. A unit with fewer than MIN_CASES_TO_GRADE cases in the period
is not graded at all (no red/green): see `gradeable`.
"""

from datetime import date, datetime, timedelta

from django.utils.translation import gettext_lazy as _

from cases.calendar import SHANGHAI
from cases.metrics import Period

WEEK, MONTH, LAST_MONTH, QUARTER, YEAR, LAST_30_DAYS, CUSTOM = (
    "week",
    "month",
    "last_month",
    "quarter",
    "year",
    "30d",
    "custom",
)
DEFAULT = LAST_30_DAYS
PRESETS = [
    (WEEK, _("This week")),
    (MONTH, _("This month")),
    (LAST_MONTH, _("Last month")),
    (QUARTER, _("This quarter")),
    (YEAR, _("This year")),
    (LAST_30_DAYS, _("Last 30 days")),
    (CUSTOM, _("Custom")),
]
# Below this many cases in a period a unit's rates swing on one case (one late case of five is
# an on-time rate of 80%, red): the dashboards show the figures but give no grade.
MIN_CASES_TO_GRADE = 20


def today_in_shanghai(now: datetime) -> date:
    """The calendar day `now` (an aware datetime) falls on in Asia/Shanghai."""
    return now.astimezone(SHANGHAI).date()


def _month_start(day: date) -> date:
    return day.replace(day=1)


def preset(name: str, today: date) -> Period:
    """The period a preset names, ending today (last_month: the whole previous month).
    `custom` has no fixed range: it is a ValueError here, like an unknown name."""
    if name == WEEK:  # weeks begin on Monday in China
        return Period(today - timedelta(days=today.weekday()), today)
    if name == MONTH:
        return Period(_month_start(today), today)
    if name == LAST_MONTH:
        end = _month_start(today) - timedelta(days=1)
        return Period(_month_start(end), end)
    if name == QUARTER:
        return Period(today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1), today)
    if name == YEAR:
        return Period(today.replace(month=1, day=1), today)
    if name == LAST_30_DAYS:
        return Period(today - timedelta(days=29), today)
    raise ValueError(f"no preset {name!r}")


def preset_of(period: Period, today: date) -> str:
    """The preset that gives exactly `period` today (30d first when two do), else custom."""
    for name in (DEFAULT, *(n for n, _label in PRESETS if n not in (DEFAULT, CUSTOM))):
        if preset(name, today) == period:
            return name
    return CUSTOM


def gradeable(cases: int | None) -> bool:
    """Whether a unit with `cases` cases in the period gets a grade (green/yellow/red)."""
    return (cases or 0) >= MIN_CASES_TO_GRADE
