"""Chinese working days: statutory holidays and swapped working days (调休), from `chinesecalendar`.

The calendar data is published year by year; for a year it does not know,
`chinese_calendar` raises NotImplementedError. Every function here turns that into
CalendarUnknown, naming the date and the years the data covers, so callers report
"unknown" instead of guessing (a plain weekday rule would be wrong around 春节 and
国庆, when Saturdays and Sundays become working days).
"""
from __future__ import annotations

import datetime as dt
from functools import lru_cache

import chinese_calendar

#: Chinese names of the holidays chinese_calendar names in English.
HOLIDAY_NAMES = {
    "New Year's Day": "元旦", "Spring Festival": "春节", "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节", "Dragon Boat Festival": "端午节", "Mid-autumn Festival": "中秋节",
    "National Day": "国庆节", "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}

DAY_TYPES = ("working", "calendar")


class CalendarUnknown(ValueError):
    """The working-day calendar has no data for this date's year."""

    def __init__(self, day: dt.date) -> None:
        self.day = day
        first, last = known_years()
        super().__init__(f"the Chinese holiday calendar (chinesecalendar {chinese_calendar.__version__}) has no "
                         f"data for {day.year} (it knows {first}–{last}), so working days up to {day.isoformat()} "
                         "cannot be counted; not guessed")


@lru_cache(maxsize=1)
def known_years() -> tuple[int, int]:
    """First and last year the installed calendar data covers."""
    years = [d.year for d in chinese_calendar.holidays] + [d.year for d in chinese_calendar.workdays]
    return min(years), max(years)


@lru_cache(maxsize=4096)
def is_working_day(day: dt.date) -> bool:
    """True on a Chinese working day (a swapped Saturday or Sunday counts; a holiday does not).

    Raises:
        CalendarUnknown: the year is outside the calendar data.
    """
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        raise CalendarUnknown(day) from None


def holiday_name(day: dt.date) -> str | None:
    """The statutory holiday a non-working day belongs to (春节, 国庆节...), else None.

    Weekends that are only weekends return None; a swapped working day returns None.
    """
    try:
        on_holiday, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        raise CalendarUnknown(day) from None
    if not on_holiday or name is None:
        return None
    return HOLIDAY_NAMES.get(name, name)


def is_statutory_holiday(day: dt.date) -> bool:
    """True on a day of a statutory holiday period (the days off of 春节, 国庆节...)."""
    return holiday_name(day) is not None


def is_swapped_working_day(day: dt.date) -> bool:
    """True on a Saturday or Sunday that is a working day (调休上班)."""
    return day.weekday() >= 5 and is_working_day(day)


def add_working_days(start: dt.date, n: int) -> dt.date:
    """The n-th working day after start (n > 0) or before it (n < 0); start itself is not counted.

    add_working_days(Friday, 1) is the next Monday, unless a holiday or a swapped
    Saturday intervenes.

    Raises:
        CalendarUnknown: the count reaches a year outside the calendar data.
    """
    step = 1 if n >= 0 else -1
    day, left = start, abs(n)
    while left:
        day += dt.timedelta(days=step)
        if is_working_day(day):
            left -= 1
    return day


def working_days_between(first: dt.date, last: dt.date) -> int:
    """Working days d with first <= d < last (0 when last <= first)."""
    count, day = 0, first
    while day < last:
        if is_working_day(day):
            count += 1
        day += dt.timedelta(days=1)
    return count


def holidays_between(first: dt.date, last: dt.date) -> list[dt.date]:
    """Statutory holiday days d with first <= d <= last."""
    out, day = [], first
    while day <= last:
        if is_statutory_holiday(day):
            out.append(day)
        day += dt.timedelta(days=1)
    return out


def add_days(start: dt.date, n: int, day_type: str) -> dt.date:
    """start + n working days (day_type 'working') or calendar days ('calendar')."""
    if day_type == "calendar":
        return start + dt.timedelta(days=n)
    if day_type != "working":
        raise ValueError(f"day_type must be one of {', '.join(DAY_TYPES)} (got {day_type!r})")
    return add_working_days(start, n)


def describe(day: dt.date) -> str:
    """2026-02-14 周六（调休上班） / 2026-10-01 周四（国庆节） / 2026-03-02 周一."""
    week = "一二三四五六日"[day.weekday()]
    text = f"{day.isoformat()} 周{week}"
    try:
        name = holiday_name(day)
        if name:
            return f"{text}（{name}）"
        if is_swapped_working_day(day):
            return f"{text}（调休上班）"
    except CalendarUnknown:
        return f"{text}（日历无{day.year}年数据）"
    return text
