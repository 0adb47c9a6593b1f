"""The user's sowpack cache: records that save work already done, never needed.

Records live in $XDG_CACHE_HOME/sowpack (default ~/.cache/sowpack), one file each,
named by a hash of what they describe, and are written atomically; an unreadable or
missing record just means the work is done again, and records unused for a month are
removed. SOWPACK_NO_CACHE=1 turns the cache off (to measure a cold run, or when the home
folder is read-only); deleting the folder is always safe.
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Callable, Iterable, TypeVar

T = TypeVar("T")

#: Set to 1 to neither read nor write the cache.
NO_CACHE_ENV = "SOWPACK_NO_CACHE"


def enabled() -> bool:
    return os.environ.get(NO_CACHE_ENV, "") in ("", "0")


#: Records not written again for this long are removed (once a day per kind: a folder of
#: thousands of records costs tens of milliseconds to scan, every build would pay it).
MAX_AGE_S = 30 * 24 * 3600
PRUNE_EVERY_S = 24 * 3600
_pruned: set[str] = set()


def path(kind: str, name: str, suffix: str = ".json") -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "sowpack" / kind / f"{name}{suffix}"


def load(kind: str, name: str):
    """The JSON record, or None when there is none (or the cache is off or unreadable)."""
    raw = load_bytes(kind, name, ".json")
    try:
        return json.loads(raw) if raw is not None else None
    except ValueError:
        return None


def store(kind: str, name: str, data) -> None:
    """Write a JSON record atomically; a cache that cannot be written is no error."""
    store_bytes(kind, name, json.dumps(data, ensure_ascii=False, sort_keys=True, default=str).encode(), ".json")


def load_bytes(kind: str, name: str, suffix: str = ".bin") -> bytes | None:
    if not enabled():
        return None
    try:
        return path(kind, name, suffix).read_bytes()
    except OSError:
        return None


def store_bytes(kind: str, name: str, data: bytes, suffix: str = ".bin") -> None:
    if not enabled():
        return
    target = path(kind, name, suffix)
    try:
        # The folder is the user's alone: some records (the parsed specs) are pickles.
        target.parent.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, target)
    except OSError:
        return
    _prune(target.parent)


def _prune(folder: Path) -> None:
    if str(folder) in _pruned:
        return
    _pruned.add(str(folder))
    import time

    now = time.time()
    mark = folder / ".pruned"
    try:
        if now - mark.stat().st_mtime < PRUNE_EVERY_S:
            return
    except OSError:
        pass
    old = now - MAX_AGE_S
    try:
        mark.touch()
        for p in folder.iterdir():
            if p.stat().st_mtime < old:
                p.unlink(missing_ok=True)
    except OSError:
        pass


def installed(*libraries: str) -> str:
    """Which files of these libraries are installed, cheaply: a new version (or a reinstall)
    changes it. Finding a module's spec costs far less than importlib.metadata."""
    import importlib.util

    out = []
    for lib in libraries:
        spec = importlib.util.find_spec(lib)
        if spec is None or not spec.origin:
            out.append(f"{lib}=none")
            continue
        st = os.stat(spec.origin)
        out.append(f"{lib}={spec.origin}:{st.st_size}:{st.st_mtime_ns}")
    return "\n".join(out)


def drop(kind: str, name: str) -> None:
    try:
        path(kind, name).unlink(missing_ok=True)
    except OSError:
        pass


def code_digest(files: Iterable[Path], libraries: Iterable[str] = ()) -> str:
    """A digest of source files (names and bytes), the Python version and the libraries' installed
    files: what a record's key holds so that a change of the code that made it makes it stale."""
    h = hashlib.sha256(sys.version.encode())
    for p in files:
        h.update(p.name.encode() + b"\0" + p.read_bytes() + b"\0")
    h.update(installed(*libraries).encode())
    return h.hexdigest()[:16]


def remembered(kind: str, name: str, compute: Callable[[], T], dump: Callable[[T], bytes],
               load: Callable[[bytes], T]) -> T:
    """compute(), or what it gave before: the record `name` of `kind`, written by dump and read by
    load. A record load cannot read is made again; a value dump cannot write is not kept."""
    if not enabled():
        return compute()
    raw = load_bytes(kind, name)
    if raw is not None:
        try:
            return load(raw)
        except Exception:  # noqa: BLE001 - a damaged or stale record: the work is done again
            pass
    value = compute()
    try:
        data = dump(value)
    except (TypeError, ValueError):
        return value
    store_bytes(kind, name, data)
    return value
