"""YAML loading with a position map (key path -> line) and one-line errors.

A parse is remembered in the user cache by the file's bytes; parsing itself (PyYAML) is in
core/yamlparse.py, imported on a cache miss only.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import marshal
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from pipeline.core import cache
from pipeline.core.errors import Finding, Location, relpath
from pipeline.core.limits import MAX_YAML_BYTES
from pipeline.core.text import BAD_CHARS, bad_char

Positions = Mapping[tuple, tuple[int, int]]

#: Resolved path -> whether the text last loaded from it has a backslash or a character bad_char
#: finds (may_hold_bad_chars).
_PLAIN: dict[str, bool] = {}


def may_hold_bad_chars(path: Path) -> bool:
    """Whether the strings of the data load_yaml last gave for this file may hold a character
    bad_char() finds: only when its text has one, or a backslash (a double-quoted escape makes any
    character from plain text). Told by load_yaml from the text it parsed (remembered with a
    cached parse), so that a caller need not read and search the file again; True when it was not
    loaded."""
    return _PLAIN.get(str(path.resolve()), True)


def _may_hold(text: str) -> bool:
    return "\\" in text or bad_char(text) is not None


def load_yaml(path: Path, code_prefix: str) -> tuple[Any, Positions, list[Finding]]:
    """Load one YAML file.

    Returns:
        (data, positions, findings): data is None when the file cannot be read.
    """
    shown = relpath(path)
    where = str(path.resolve())
    _PLAIN.pop(where, None)  # told again below, once the text is parsed
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return None, {}, [Finding(f"{code_prefix}.missing-file", f"cannot read file: {exc.strerror}",
                                  Location(shown))]
    if len(raw) > MAX_YAML_BYTES:
        return None, {}, [Finding(f"{code_prefix}.yaml",
                                  f"file is {len(raw)} bytes, larger than the {MAX_YAML_BYTES} allowed",
                                  Location(shown))]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, {}, [Finding(f"{code_prefix}.yaml",
                                  f"not UTF-8 text (byte {exc.start}); save the file as UTF-8",
                                  Location(shown))]
    name = hashlib.sha256(where.encode()).hexdigest()[:32]
    digest = hashlib.sha256(raw).hexdigest()
    hit = _from_cache(cache.load_bytes("yaml", name), digest)
    if hit is not None:
        _PLAIN[where] = hit[2]
        return hit[0], hit[1], []
    from pipeline.core.yamlparse import parse

    data, positions, findings = parse(text, shown, code_prefix)
    if findings:
        return None, {}, findings
    may_hold = _PLAIN[where] = _may_hold(text)
    record = _to_cache(data, positions, digest, may_hold)
    if record is not None:
        cache.store_bytes("yaml", name, record)
    return data, positions, []


# --- the parse cache: a large answers file (a 10,000-row register) takes seconds to parse ----------
#: What a cached parse is made with; a new PyYAML or a new encoding makes every record stale.
@lru_cache(maxsize=1)
def _cache_version() -> str:
    # PyYAML's installed files, told without importing it, and the characters bad_char finds (a
    # record says whether its text has one).
    return "5:" + hashlib.sha256(BAD_CHARS.encode()).hexdigest()[:8] + ":" + cache.installed("yaml")


def pack(value, path: tuple, dates: list) -> Any:
    """YAML data (or a sheet's values) as marshal stores it, each date or datetime value replaced by None and listed in
    dates as (path, iso text, is datetime); TypeError for anything else (a date as a key included)."""
    if value is None or isinstance(value, (bool, int, float, str, bytes)):
        return value
    if isinstance(value, dt.date):
        dates.append((path, value.isoformat(), isinstance(value, dt.datetime)))
        return None
    if isinstance(value, list):
        return [pack(v, path + (i,), dates) for i, v in enumerate(value)]
    if isinstance(value, dict):
        if not all(k is None or isinstance(k, (bool, int, float, str)) for k in value):
            raise TypeError("key")
        return {k: pack(v, path + (k,), dates) for k, v in value.items()}
    raise TypeError(type(value).__name__)


def unpack(data, dates: list) -> Any:
    """The data with its dates put back at their paths (patched in place: a large register's rows
    are not walked again)."""
    for path, iso, is_datetime in dates:
        value = (dt.datetime if is_datetime else dt.date).fromisoformat(iso)
        if not path:
            return value
        parent = data
        for key in path[:-1]:
            parent = parent[key]
        parent[path[-1]] = value
    return data


#: A list of more items than this keeps the positions of what its items hold in a part of the
#: record of their own, read only when one of them is asked for (a finding's location): a
#: 10,000-row register has 90,000 positions, two thirds of the time to read its record.
LONG_LIST = 200


def _to_cache(data, positions: Positions, digest: str, may_hold: bool) -> bytes | None:
    try:
        dates: list = []
        packed = pack(data, (), dates)
        items: dict[tuple, int] = {}
        for k in positions:
            if k and type(k[-1]) is int:
                items[k[:-1]] = items.get(k[:-1], 0) + 1
        long = tuple(sorted((p for p, n in items.items() if n > LONG_LIST), key=len))
        near: dict = {}
        inside: dict = {}
        for k, v in positions.items():
            (inside if _within(k, long) else near)[k] = v
        return marshal.dumps((_cache_version(), digest, packed, dates, near, long, marshal.dumps(inside), may_hold))
    except (TypeError, ValueError):
        return None


def _within(key: tuple, lists: tuple[tuple, ...]) -> bool:
    """Whether key is a path into one of these lists' items (the list itself is not)."""
    return any(len(key) > len(p) and key[:len(p)] == p for p in lists)


class _Positions(Mapping):
    """A cached parse's positions: those outside long lists at once, those inside them when one is asked for."""

    def __init__(self, near: dict, lists: tuple[tuple, ...], inside: bytes) -> None:
        self._near, self._lists, self._raw = near, lists, inside
        self._inside: dict | None = None

    def _far(self) -> dict:
        if self._inside is None:
            self._inside = marshal.loads(self._raw)
        return self._inside

    def __getitem__(self, key: tuple) -> tuple[int, int]:
        hit = self._near.get(key)
        if hit is not None:
            return hit
        if self._lists and _within(key, self._lists):
            return self._far()[key]
        raise KeyError(key)

    def __iter__(self):
        yield from self._near
        yield from self._far()

    def __len__(self) -> int:
        return len(self._near) + len(self._far())


def _from_cache(record: bytes | None, digest: str) -> tuple[Any, Positions, bool] | None:
    """(data, positions, may_hold_bad_chars) of a cached parse of the text with this digest, else None."""
    if record is None:
        return None
    try:
        version, recorded, packed, dates, near, lists, inside, may_hold = marshal.loads(record)
        if (version != _cache_version() or recorded != digest or not isinstance(near, dict)
                or not isinstance(lists, tuple) or not isinstance(inside, bytes) or not isinstance(may_hold, bool)):
            return None
        return unpack(packed, dates), _Positions(near, lists, inside), may_hold
    except (EOFError, ValueError, TypeError, IndexError, KeyError):
        return None


def loc(path: Path | str, positions: Positions, keypath: tuple) -> Location:
    """Location of the deepest known prefix of keypath."""
    shown = relpath(path)
    kp = tuple(keypath)
    while kp and kp not in positions:
        kp = kp[:-1]
    if kp in positions:
        line, col = positions[kp]
        return Location(shown, line, col)
    return Location(shown)
