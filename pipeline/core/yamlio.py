"""YAML loading with a position map (key path -> line) and one-line errors.

A parse is remembered in the user cache by the file's bytes; parsing itself (PyYAML) is in
core/yamlparse.py, imported on a cache miss only.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import marshal
from functools import lru_cache
from pathlib import Path
from typing import Any

from pipeline.core import cache
from pipeline.core.errors import Finding, Location, relpath
from pipeline.core.limits import MAX_YAML_BYTES

Positions = dict[tuple, tuple[int, int]]


def load_yaml(path: Path, code_prefix: str) -> tuple[Any, Positions, list[Finding]]:
    """Load one YAML file.

    Returns:
        (data, positions, findings): data is None when the file cannot be read.
    """
    shown = relpath(path)
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
    name = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:32]
    digest = hashlib.sha256(raw).hexdigest()
    hit = _from_cache(cache.load_bytes("yaml", name), digest)
    if hit is not None:
        return hit[0], hit[1], []
    from pipeline.core.yamlparse import parse

    data, positions, findings = parse(text, shown, code_prefix)
    if findings:
        return None, {}, findings
    record = _to_cache(data, positions, digest)
    if record is not None:
        cache.store_bytes("yaml", name, record)
    return data, positions, []


# --- the parse cache: a large answers file (a 10,000-row register) takes seconds to parse ----------
#: What a cached parse is made with; a new PyYAML or a new encoding makes every record stale.
@lru_cache(maxsize=1)
def _cache_version() -> str:
    # PyYAML's installed files, told without importing it.
    return "3:" + cache.installed("yaml")


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


def _to_cache(data, positions: Positions, digest: str) -> bytes | None:
    try:
        dates: list = []
        packed = pack(data, (), dates)
        return marshal.dumps((_cache_version(), digest, packed, dates, positions))
    except (TypeError, ValueError):
        return None


def _from_cache(record: bytes | None, digest: str) -> tuple[Any, Positions] | None:
    """(data, positions) of a cached parse of the text with this digest, else None."""
    if record is None:
        return None
    try:
        version, recorded, packed, dates, positions = marshal.loads(record)
        if version != _cache_version() or recorded != digest or not isinstance(positions, dict):
            return None
        return unpack(packed, dates), positions
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
