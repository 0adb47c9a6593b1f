"""Chinese working days across the 2026 Spring Festival and National Day, and an unknown year."""
from __future__ import annotations

import datetime as dt

import pytest

from pipeline.core.workdays import (CalendarUnknown, add_days, add_working_days, describe, holiday_name,
                                    holidays_between, is_swapped_working_day, is_working_day, known_years,
                                    working_days_between)

D = dt.date


@pytest.mark.parametrize("day, working", [
    (D(2026, 2, 13), True),   # Friday before the Spring Festival
    (D(2026, 2, 14), True),   # Saturday, swapped working day (调休)
    (D(2026, 2, 15), False),  # Spring Festival holiday starts
    (D(2026, 2, 17), False),  # 初一
    (D(2026, 2, 23), False),  # last holiday day (a Monday)
    (D(2026, 2, 24), True),
    (D(2026, 2, 28), True),   # Saturday, swapped working day
    (D(2026, 3, 1), False),   # an ordinary Sunday
    (D(2026, 9, 20), True),   # Sunday, swapped working day for National Day
    (D(2026, 10, 1), False),
    (D(2026, 10, 7), False),
    (D(2026, 10, 8), True),
    (D(2026, 10, 10), True),  # Saturday, swapped working day
    (D(2026, 10, 11), False),
])
def test_working_day_2026(day, working):
    assert is_working_day(day) is working


def test_swapped_and_holiday_names():
    assert is_swapped_working_day(D(2026, 2, 14)) and is_swapped_working_day(D(2026, 10, 10))
    assert not is_swapped_working_day(D(2026, 2, 16))
    assert holiday_name(D(2026, 2, 17)) == "春节"
    assert holiday_name(D(2026, 10, 1)) == "国庆节"
    assert holiday_name(D(2026, 3, 1)) is None  # a weekend is not a statutory holiday
    assert holiday_name(D(2026, 2, 14)) is None  # a swapped working day is not a holiday
    assert describe(D(2026, 2, 14)) == "2026-02-14 周六（调休上班）"
    assert describe(D(2026, 10, 1)) == "2026-10-01 周四（国庆节）"


def test_add_working_days_across_spring_festival():
    fri = D(2026, 2, 13)
    assert add_working_days(fri, 1) == D(2026, 2, 14)   # the swapped Saturday counts
    assert add_working_days(fri, 2) == D(2026, 2, 24)   # then the whole holiday is skipped
    assert add_working_days(fri, 5) == D(2026, 2, 27)
    assert add_working_days(fri, 6) == D(2026, 2, 28)   # the second swapped Saturday
    assert add_working_days(fri, 7) == D(2026, 3, 2)
    # Backwards: ten working days before Monday 2 March.
    assert add_working_days(D(2026, 3, 2), -10) == D(2026, 2, 10)


def test_add_working_days_across_national_day():
    assert add_working_days(D(2026, 9, 18), 1) == D(2026, 9, 20)  # Friday -> swapped Sunday
    assert add_working_days(D(2026, 9, 30), 1) == D(2026, 10, 8)
    assert add_working_days(D(2026, 9, 30), 3) == D(2026, 10, 10)  # swapped Saturday
    assert add_working_days(D(2026, 9, 30), 4) == D(2026, 10, 12)
    assert add_working_days(D(2026, 10, 12), -4) == D(2026, 9, 30)


def test_counting_and_calendar_days():
    assert working_days_between(D(2026, 2, 13), D(2026, 3, 2)) == 7
    assert working_days_between(D(2026, 9, 28), D(2026, 10, 12)) == 6  # 9/28-30, 10/8-10
    assert working_days_between(D(2026, 3, 2), D(2026, 3, 2)) == 0
    assert len(holidays_between(D(2026, 10, 1), D(2026, 10, 31))) == 7
    assert holidays_between(D(2026, 3, 2), D(2026, 3, 31)) == []
    assert add_days(D(2026, 2, 13), 7, "calendar") == D(2026, 2, 20)
    assert add_days(D(2026, 2, 13), 7, "working") == D(2026, 3, 2)
    with pytest.raises(ValueError):
        add_days(D(2026, 2, 13), 7, "lunar")


def test_unknown_year_is_reported_not_guessed():
    first, last = known_years()
    assert last == 2026  # chinesecalendar 1.11 knows 2004-2026
    with pytest.raises(CalendarUnknown) as exc:
        is_working_day(D(2027, 3, 1))
    assert "2027" in str(exc.value) and "not guessed" in str(exc.value)
    assert exc.value.day == D(2027, 3, 1)
    # Counting from late December runs into the unknown year: no silent weekday guess.
    with pytest.raises(CalendarUnknown):
        add_working_days(D(2026, 12, 29), 5)
    assert add_working_days(D(2026, 12, 28), 3) == D(2026, 12, 31)
    assert describe(D(2027, 1, 4)).endswith("（日历无2027年数据）")
    assert add_days(D(2026, 12, 29), 5, "calendar") == D(2027, 1, 3)  # calendar days need no calendar
