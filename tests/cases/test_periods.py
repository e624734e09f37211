"""The dashboards' periods (cases/periods.py): each preset on fixed days, across month, quarter
and year boundaries and the Asia/Shanghai day line. Pure functions: no database."""

from datetime import UTC, date, datetime

import pytest

from cases import periods
from cases.metrics import Period


@pytest.mark.parametrize(
    ("name", "today", "start", "end"),
    [
        # A Saturday: the week began on Monday the 5th.
        ("week", date(2026, 12, 12), date(2026, 12, 7), date(2026, 12, 12)),
        # A Monday is a week of one day.
        ("week", date(2026, 12, 7), date(2026, 12, 7), date(2026, 12, 7)),
        # A week that began in the year before.
        ("week", date(2027, 1, 1), date(2026, 12, 28), date(2027, 1, 1)),
        ("month", date(2026, 12, 5), date(2026, 12, 1), date(2026, 12, 5)),
        ("month", date(2026, 3, 1), date(2026, 3, 1), date(2026, 3, 1)),
        ("last_month", date(2026, 3, 15), date(2026, 2, 1), date(2026, 2, 28)),
        ("last_month", date(2028, 3, 1), date(2028, 2, 1), date(2028, 2, 29)),  # leap year
        ("last_month", date(2027, 1, 10), date(2026, 12, 1), date(2026, 12, 31)),
        ("quarter", date(2026, 12, 5), date(2026, 10, 1), date(2026, 12, 5)),
        ("quarter", date(2026, 4, 1), date(2026, 4, 1), date(2026, 4, 1)),
        ("quarter", date(2026, 3, 31), date(2026, 1, 1), date(2026, 3, 31)),
        ("year", date(2026, 12, 5), date(2026, 1, 1), date(2026, 12, 5)),
        ("30d", date(2026, 12, 5), date(2026, 11, 6), date(2026, 12, 5)),
        ("30d", date(2026, 3, 1), date(2026, 1, 31), date(2026, 3, 1)),
    ],
)
def test_each_preset_gives_its_days(name, today, start, end):
    assert periods.preset(name, today) == Period(start, end)


def test_the_last_30_days_are_30_days_and_the_default():
    assert periods.DEFAULT == "30d"
    assert periods.preset("30d", date(2026, 12, 5)).days == 30


def test_custom_and_unknown_names_have_no_fixed_range():
    for name in ("custom", "fortnight", ""):
        with pytest.raises(ValueError, match="no preset"):
            periods.preset(name, date(2026, 12, 5))


def test_today_is_the_day_in_shanghai_not_in_utc():
    # 16:30 UTC on New Year's Eve is already half past midnight on 1 January in Shanghai.
    now = datetime(2026, 12, 31, 16, 30, tzinfo=UTC)

    today = periods.today_in_shanghai(now)

    assert today == date(2027, 1, 1)
    assert periods.preset("year", today) == Period(date(2027, 1, 1), date(2027, 1, 1))
    assert periods.preset("last_month", today) == Period(date(2026, 12, 1), date(2026, 12, 31))
    assert periods.today_in_shanghai(datetime(2026, 12, 31, 15, 59, tzinfo=UTC)) == date(
        2026, 12, 31
    )


def test_a_range_is_named_by_the_preset_that_gives_it():
    today = date(2026, 12, 5)

    assert periods.preset_of(Period(date(2026, 11, 6), today), today) == "30d"
    assert periods.preset_of(Period(date(2026, 11, 1), date(2026, 11, 30)), today) == "last_month"
    assert periods.preset_of(Period(date(2026, 11, 2), today), today) == "custom"


def test_a_unit_is_graded_from_twenty_cases_on():
    assert periods.MIN_CASES_TO_GRADE == 20
    assert not periods.gradeable(None)
    assert not periods.gradeable(19)
    assert periods.gradeable(20)
