"""Working time: the clock that case deadlines run on.

Government time limits count working hours on working days (工作日): Monday to Friday unless
the State Council's holiday schedule says otherwise (调休 makes some weekends working days).
The `chinese-calendar` library knows the published years; CalendarDay rows override it and
cover the years it does not know yet. Without either, weekends are the only days off.

Everything here is a pure function of its arguments except `WorkCalendar.load()`.
"""

import functools
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Office hours of a working day (the common 8:30–12:00, 14:00–17:30 schedule): 7 hours.
WORK_PERIODS = ((time(8, 30), time(12, 0)), (time(14, 0), time(17, 30)))
WORKDAY_SECONDS = sum(
    (datetime.combine(date.min, end) - datetime.combine(date.min, start)).seconds
    for start, end in WORK_PERIODS
)


ONE_DAY = timedelta(days=1)
WORKDAY = timedelta(seconds=WORKDAY_SECONDS)


def _since_midnight(moment) -> timedelta:
    return timedelta(
        hours=moment.hour,
        minutes=moment.minute,
        seconds=moment.second,
        microseconds=moment.microsecond,
    )


WORK_OFFSETS = tuple((_since_midnight(begin), _since_midnight(end)) for begin, end in WORK_PERIODS)


@functools.cache
def _library_workday(day: date) -> bool:
    # The library's tables are fixed while the process runs, and deadlines ask about the same
    # few days again and again (the sweeper: thousands of cases a minute).
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        # A year the library does not cover yet: weekends off until CalendarDay rows say more.
        return day.weekday() < 5


@dataclass(frozen=True)
class WorkCalendar:
    """Working days: the library's, with `overrides` (day → is it a working day) on top."""

    overrides: dict[date, bool] = field(default_factory=dict)

    @classmethod
    def load(cls) -> "WorkCalendar":
        from cases.models import CalendarDay

        return cls({d.day: d.is_workday for d in CalendarDay.objects.all()})

    def is_workday(self, day: date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        return _library_workday(day)

    def _periods(self, start: datetime):
        """Working periods (aware datetimes) from `start` on, in order, clipped to start."""
        local = start.astimezone(SHANGHAI)
        day = local.date()
        while True:
            if self.is_workday(day):
                for begin, end in WORK_PERIODS:
                    period_start = datetime.combine(day, begin, SHANGHAI)
                    period_end = datetime.combine(day, end, SHANGHAI)
                    if period_end <= local:
                        continue
                    yield max(period_start, local), period_end
            day += timedelta(days=1)

    def add(self, start: datetime, seconds: float) -> datetime:
        """The moment `seconds` of working time after `start`."""
        remaining = seconds
        if remaining <= 0:
            return start
        for period_start, period_end in self._periods(start):
            length = (period_end - period_start).total_seconds()
            if remaining <= length:
                return period_start + timedelta(seconds=remaining)
            remaining -= length
        raise AssertionError("unreachable: the periods never end")

    def between(self, start: datetime, end: datetime) -> float:
        """Working seconds from `start` to `end` (0 if end is not after start).

        Day by day, whole working days at once: the case queue asks it twice for each of its
        fifty rows on every refresh, and walking period by period was a fifth of the page."""
        if end <= start:
            return 0.0
        first, last = start.astimezone(SHANGHAI), end.astimezone(SHANGHAI)
        day, last_day = first.date(), last.date()
        if day == last_day:
            return self._worked(day, _since_midnight(first), _since_midnight(last)).total_seconds()
        total = self._worked(day, _since_midnight(first), ONE_DAY)
        day += ONE_DAY
        while day < last_day:
            if self.is_workday(day):
                total += WORKDAY
            day += ONE_DAY
        total += self._worked(last_day, timedelta(0), _since_midnight(last))
        return total.total_seconds()

    def _worked(self, day: date, since: timedelta, until: timedelta) -> timedelta:
        """Working time on `day` between two times of that day (as time since midnight)."""
        worked = timedelta(0)
        if self.is_workday(day):
            for begin, end in WORK_OFFSETS:
                if min(end, until) > max(begin, since):
                    worked += min(end, until) - max(begin, since)
        return worked


def deadline(start: datetime, hours: float, *, calendar: WorkCalendar, natural: bool) -> datetime:
    """`hours` after `start`: on the clock (natural=True, emergencies) or in working time."""
    if natural:
        return start + timedelta(hours=hours)
    return calendar.add(start, hours * 3600)
