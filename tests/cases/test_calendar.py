"""Working time: office hours (8:30–12:00, 14:00–17:30) on working days of the Chinese public
holiday schedule, with CalendarDay overrides; emergencies run on the natural clock."""

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cases.calendar import SHANGHAI, WorkCalendar, deadline
from cases.models import CalendarDay

HOUR = 3600
PLAIN = WorkCalendar()


def at(year, month, day, hour=0, minute=0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def test_two_working_hours_from_nine_end_at_eleven():
    # 2026-03-02 is a plain Monday.
    assert PLAIN.add(at(2026, 3, 2, 9), 2 * HOUR) == at(2026, 3, 2, 11)


def test_the_lunch_break_does_not_count():
    assert PLAIN.add(at(2026, 3, 2, 11), 2 * HOUR) == at(2026, 3, 2, 15)


def test_a_start_during_lunch_counts_from_two_oclock():
    assert PLAIN.add(at(2026, 3, 2, 12, 30), HOUR) == at(2026, 3, 2, 15)


def test_the_evening_does_not_count():
    assert PLAIN.add(at(2026, 3, 2, 17), HOUR) == at(2026, 3, 3, 9)


def test_a_start_at_night_counts_from_the_next_morning():
    assert PLAIN.add(at(2026, 3, 2, 22), HOUR) == at(2026, 3, 3, 9, 30)


def test_seven_working_hours_are_a_working_day():
    assert PLAIN.add(at(2026, 3, 2, 8, 30), 7 * HOUR) == at(2026, 3, 2, 17, 30)
    assert PLAIN.add(at(2026, 3, 2, 9), 7 * HOUR) == at(2026, 3, 3, 9)


def test_the_weekend_does_not_count():
    # Friday 2026-03-06 17:00 → Monday 2026-03-09.
    assert PLAIN.add(at(2026, 3, 6, 17), HOUR) == at(2026, 3, 9, 9)


def test_the_national_day_holiday_does_not_count():
    # 2026: 1–7 October off; Wednesday 30 September is the last working day before it.
    assert PLAIN.add(at(2026, 9, 30, 17), HOUR) == at(2026, 10, 8, 9)


def test_the_weekend_day_worked_in_lieu_of_national_day_counts():
    # Saturday 10 October 2026 is a working day (调休); Sunday 11 October is not.
    assert PLAIN.add(at(2026, 10, 9, 17), HOUR) == at(2026, 10, 10, 9)
    assert PLAIN.add(at(2026, 10, 10, 17), HOUR) == at(2026, 10, 12, 9)


def test_the_sunday_worked_before_national_day_counts():
    assert PLAIN.is_workday(date(2026, 9, 20))
    assert PLAIN.add(at(2026, 9, 19, 9), HOUR) == at(2026, 9, 20, 9, 30)


def test_an_override_makes_a_working_day_a_day_off():
    calendar = WorkCalendar({date(2026, 3, 3): False})

    assert calendar.add(at(2026, 3, 2, 17), HOUR) == at(2026, 3, 4, 9)


def test_an_override_makes_a_day_off_a_working_day():
    calendar = WorkCalendar({date(2026, 3, 7): True})

    assert calendar.add(at(2026, 3, 6, 17), HOUR) == at(2026, 3, 7, 9)


def test_a_year_the_library_does_not_know_has_only_weekends_off():
    # 1 January 2027 is a Friday; without data it is a working day, then the weekend.
    assert PLAIN.add(at(2026, 12, 31, 17), HOUR) == at(2027, 1, 1, 9)
    assert PLAIN.add(at(2027, 1, 1, 17), HOUR) == at(2027, 1, 4, 9)


def test_overrides_fill_in_a_year_the_library_does_not_know():
    calendar = WorkCalendar({date(2027, 1, 1): False})

    assert calendar.add(at(2026, 12, 31, 17), HOUR) == at(2027, 1, 4, 9)


@pytest.mark.django_db
def test_calendar_day_rows_are_the_overrides():
    CalendarDay.objects.create(day=date(2027, 1, 1), is_workday=False, note="元旦")
    CalendarDay.objects.create(day=date(2027, 1, 2), is_workday=True, note="调休")

    calendar = WorkCalendar.load()

    assert calendar.overrides == {date(2027, 1, 1): False, date(2027, 1, 2): True}
    assert calendar.add(at(2026, 12, 31, 17), HOUR) == at(2027, 1, 2, 9)


def test_a_start_given_in_utc_is_read_in_beijing_time():
    start = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai

    assert PLAIN.add(start, 2 * HOUR) == at(2026, 3, 2, 11)


def test_no_time_adds_nothing():
    assert PLAIN.add(at(2026, 3, 7, 23), 0) == at(2026, 3, 7, 23)


def test_working_time_between_two_moments_skips_nights_and_weekends():
    assert PLAIN.between(at(2026, 3, 6, 17), at(2026, 3, 9, 9)) == HOUR
    assert PLAIN.between(at(2026, 3, 2, 11), at(2026, 3, 2, 15)) == 2 * HOUR
    assert PLAIN.between(at(2026, 3, 2, 15), at(2026, 3, 2, 11)) == 0


def test_between_undoes_add():
    start = at(2026, 9, 30, 10, 15)
    end = PLAIN.add(start, 20 * HOUR)

    assert PLAIN.between(start, end) == 20 * HOUR


def _between_period_by_period(calendar: WorkCalendar, start: datetime, end: datetime) -> float:
    """Working seconds as the definition reads: each working period from start on, to end."""
    total = timedelta(0)
    for period_start, period_end in calendar._periods(start):
        if period_start >= end:
            break
        total += min(period_end, end) - period_start
    return total.total_seconds()


moments = st.datetimes(
    min_value=datetime(2025, 12, 20), max_value=datetime(2027, 1, 10), timezones=st.just(SHANGHAI)
)


@settings(max_examples=300, deadline=None)
@given(
    start=moments,
    length=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=60)),
    day_off=st.booleans(),
)
def test_between_counts_what_the_working_periods_hold(start, length, day_off):
    # Across New Year and National Day, weekends, lunch and nights, with an override or none.
    calendar = WorkCalendar({date(2026, 3, 4): False} if day_off else {})
    end = start + length

    assert calendar.between(start, end) == _between_period_by_period(calendar, start, end)
    assert calendar.between(end, start) == 0


def test_an_emergency_deadline_runs_on_the_natural_clock():
    # A Saturday night before the holiday: two hours are two hours.
    start = at(2026, 10, 3, 22)

    assert deadline(start, 2, calendar=PLAIN, natural=True) == start + timedelta(hours=2)
    assert deadline(start, 2, calendar=PLAIN, natural=False) == at(2026, 10, 8, 10, 30)
