"""Typed input values: dates, times, whole numbers and numbers, each read from the forms a
consultant or a customer's Excel sheet writes, or refused with a message that says the
accepted forms.

One table (TYPES) names every value type a spec column or fact may declare; parse()
turns a raw value (YAML scalar or Excel cell) into its canonical form:

| type | canonical value | accepted forms |
|---|---|---|
| text | str | anything |
| int | int | 12, "12", "1,200", an Excel number without decimals |
| number | int or float | 12, 12.5, "12.5", "1,200.5", an Excel number |
| date | "YYYY-MM-DD" | 2026-04-30, 2026年4月30日, 2026/4/30, an Excel date cell |
| time | "HH:MM" | 09:30, 9:30, an Excel time cell |
| datetime | "YYYY-MM-DD HH:MM" | 2026-04-30 09:30, 2026年4月30日 9:30, an Excel date-and-time cell |
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

#: Every value type, with the forms its error message names.
TYPES: dict[str, str] = {
    "text": "any text",
    "int": "a whole number written in digits, e.g. 12 or 1,200",
    "number": "a number written in digits, e.g. 12 or 12.5",
    "date": "a date with its year, written 2026-04-30 or 2026年4月30日, or an Excel date cell",
    "time": "a time of day written 09:30 (24-hour), or an Excel time cell",
    "datetime": "a date and time written 2026-04-30 09:30 or 2026年4月30日 9:30, or an Excel date-and-time cell",
}

_INT = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+$|^[+-]?\d+$")
_NUMBER = re.compile(r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$|^[+-]?\.\d+$")
_DATE = re.compile(r"^(\d{4})(?:-(\d{1,2})-(\d{1,2})|/(\d{1,2})/(\d{1,2})|年(\d{1,2})月(\d{1,2})日)$")
_TIME = re.compile(r"^(\d{1,2})[:：](\d{2})(?:[:：](\d{2}))?$")


class BadValue(ValueError):
    """A value that is not of its declared type; str() says what was expected."""


def _date(text: str) -> dt.date | None:
    m = _DATE.match(text)
    if not m:
        return None
    y = int(m.group(1))
    mo, d = next((int(m.group(i)), int(m.group(i + 1))) for i in (2, 4, 6) if m.group(i))
    try:
        return dt.date(y, mo, d)
    except ValueError:
        return None


def _time(text: str) -> dt.time | None:
    m = _TIME.match(text)
    if not m:
        return None
    try:
        return dt.time(int(m.group(1)), int(m.group(2)), int(m.group(3) or 0))
    except ValueError:
        return None


def _hint(text: str, vtype: str) -> str:
    """Why a near miss fails: a date without its year, a time of day in words, a number in Chinese."""
    if vtype in ("date", "datetime") and re.match(r"^\d{1,2}月\d{1,2}日", text):
        return "; the year is missing"
    if vtype in ("date", "datetime", "time") and re.search(r"上午|下午|晚上|中午|凌晨", text):
        return "; write the time as 14:00, not in words"
    if vtype in ("int", "number") and re.search(r"[零一二三四五六七八九十百千万两]", text):
        return "; write the number in digits"
    if vtype in ("int", "number") and re.search(r"\d", text):
        return "; write the number alone, without its unit"
    return ""


def parse(value: Any, vtype: str) -> Any:
    """The canonical value of a raw input value of type vtype (see the module table).

    Args:
        value: a YAML scalar or an Excel cell value (never None: blank cells are the caller's).
        vtype: one of TYPES.

    Returns:
        str for text, date ("YYYY-MM-DD"), time ("HH:MM") and datetime ("YYYY-MM-DD HH:MM");
        int for int; int or float for number.

    Raises:
        BadValue: the value is not of the type; the message names the accepted forms.
    """
    if vtype == "text":
        if isinstance(value, dt.datetime):
            return value.isoformat(sep=" ", timespec="minutes")
        if isinstance(value, dt.date):
            return value.isoformat()
        return str(value).strip()
    text = str(value).strip() if not isinstance(value, (dt.date, dt.time)) else ""
    if vtype not in _PARSERS:
        raise KeyError(f"unknown value type '{vtype}'; known: {', '.join(TYPES)}")
    try:
        return _PARSERS[vtype](value, text, vtype)
    except _Refused as exc:
        got = f" (got '{text[:40]}'{_hint(text, vtype)})" if text else f" (got {value!r:.40})"
        raise BadValue(f"must be {TYPES[vtype]}{exc.args[0] if exc.args else ''}{got}") from None


class _Refused(Exception):
    """Raised by a type's parser; its argument, if any, follows "must be <the accepted forms>"."""


def _number(value: Any, text: str, vtype: str) -> Any:
    if isinstance(value, bool):
        raise _Refused
    if isinstance(value, str) and text.isascii() and text.isdigit():
        return int(text)  # plain digits, the usual form in a register: no pattern to match
    if isinstance(value, (int, float)):
        if vtype == "int":
            if isinstance(value, float) and not value.is_integer():
                raise _Refused
            return int(value)
        return value
    if isinstance(value, str) and (_INT if vtype == "int" else _NUMBER).match(text):
        plain = text.replace(",", "")
        return int(plain) if vtype == "int" or re.match(r"^[+-]?\d+$", plain) else float(plain)
    raise _Refused


def _a_date(value: Any, text: str, vtype: str) -> Any:
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        raise _Refused(" without a time of day")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str) and len(text) == 10 and text[4] == text[7] == "-" and text.isascii():
        try:  # 2026-04-30, the usual form in a register: parsed in C
            return dt.date.fromisoformat(text).isoformat()
        except ValueError:
            pass  # not a day of the calendar: refused below, with the forms accepted
    d = _date(text) if isinstance(value, str) else None
    if d is None:
        raise _Refused
    return d.isoformat()


def _a_time(value: Any, text: str, vtype: str) -> Any:
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    if isinstance(value, dt.datetime):
        raise _Refused(", not a date")
    t = _time(text) if isinstance(value, str) else None
    if t is None:
        raise _Refused
    return t.strftime("%H:%M")


def _a_datetime(value: Any, text: str, vtype: str) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    parts = re.split(r"\s+|(?<=日)(?=\d)", text, maxsplit=1) if isinstance(value, str) else []
    if len(parts) == 2:
        d, t = _date(parts[0]), _time(parts[1])
        if d is not None and t is not None:
            return f"{d.isoformat()} {t.strftime('%H:%M')}"
    raise _Refused


_PARSERS = {"int": _number, "number": _number, "date": _a_date, "time": _a_time, "datetime": _a_datetime}


def to_python(value: Any, vtype: str) -> Any:
    """A canonical value as the Python object a spreadsheet stores (date, time, datetime); others unchanged."""
    if not isinstance(value, str) or not value:
        return value
    try:
        if vtype == "date":
            return dt.date.fromisoformat(value)
        if vtype == "time":
            return dt.time.fromisoformat(value)
        if vtype == "datetime":
            return dt.datetime.fromisoformat(value)
    except ValueError:
        return value
    return value
