"""Collect-all validation helpers shared by the spec and input schemas."""
from __future__ import annotations

import datetime as dt
import difflib
import re
from pathlib import Path
from typing import Any, Iterable

from pipeline.core.errors import Finding
from pipeline.core.yamlio import Positions, loc

_TYPE_NAMES = {str: "a string", int: "an integer", list: "a list", dict: "a mapping",
               bool: "true or false", float: "a number"}


def type_name(value: Any) -> str:
    if value is None:
        return "nothing"
    for t, name in _TYPE_NAMES.items():
        if type(value) is t:
            return name
    return type(value).__name__


def keyname(path: tuple) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "top level"


def iso_date(value: Any) -> dt.date | None:
    """A date given as YAML's date or as YYYY-MM-DD text; None for anything else."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


class Collector:
    """Accumulates findings for one YAML file, never stopping at the first."""

    def __init__(self, path: Path, positions: Positions, prefix: str) -> None:
        self.path = path
        self.positions = positions
        self.prefix = prefix
        self.findings: list[Finding] = []

    def date(self, value: Any, kp: tuple, required: bool = True) -> dt.date | None:
        """iso_date(value), or a finding at kp (none for a missing optional date)."""
        if value is None and not required:
            return None
        day = iso_date(value)
        if day is None:
            self.add("bad-type", f"'{keyname(kp)}' must be a date written YYYY-MM-DD (got {value!r:.40})", kp)
        return day

    def add(self, code: str, message: str, keypath: tuple = (), **extra) -> None:
        self.findings.append(Finding(f"{self.prefix}.{code}", message,
                                     loc(self.path, self.positions, keypath), **extra))

    def mapping(self, value: Any, keypath: tuple, required: Iterable[str],
                optional: Iterable[str], unknown: str = "unknown-key") -> dict | None:
        """Check that value is a mapping with the required keys; report unknown keys under the code `unknown`."""
        if not isinstance(value, dict):
            self.add("bad-type", f"'{keyname(keypath)}' must be a mapping (got {type_name(value)})",
                     keypath)
            return None
        required = list(required)
        known = required + list(optional)
        for key in value:
            if key not in known:
                close = difflib.get_close_matches(str(key), known, n=1)
                hint = f"; did you mean '{close[0]}'?" if close else f"; known keys: {', '.join(known)}"
                self.add(unknown, f"unknown key '{key}' in '{keyname(keypath)}'{hint}",
                         keypath + (key,))
        for key in required:
            if key not in value or value[key] is None:
                self.add("missing-key", f"'{keyname(keypath + (key,))}' is required", keypath)
        return value

    def typed(self, value: Any, keypath: tuple, kind: type | tuple, *, what: str = "") -> bool:
        kinds = kind if isinstance(kind, tuple) else (kind,)
        # true and false are ints to Python, never to a spec: only bool accepts them.
        ok = isinstance(value, kinds) and not (isinstance(value, bool) and bool not in kinds)
        if not ok:
            names = " or ".join(_TYPE_NAMES.get(k, k.__name__) for k in kinds)
            self.add("bad-type", f"'{keyname(keypath)}' must be {what or names} "
                                 f"(got {type_name(value)} {value!r:.40})", keypath)
        return ok

    def choice(self, value: Any, keypath: tuple, choices: Iterable[str], code: str = "bad-value") -> bool:
        choices = list(choices)
        if value in choices:
            return True
        close = difflib.get_close_matches(str(value), [str(c) for c in choices], n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        self.add(code, f"'{keyname(keypath)}' must be one of {', '.join(map(str, choices))} "
                       f"(got '{value}'){hint}", keypath)
        return False


SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")
