"""The user's sowpack cache: small JSON records that save work already done, never needed.

Records live in $XDG_CACHE_HOME/sowpack (default ~/.cache/sowpack), one file each,
named by a hash of what they describe, and are written atomically; an unreadable or
missing record just means the work is done again. SOWPACK_NO_CACHE=1 turns the cache
off (to measure a cold run, or when the home folder is read-only); deleting the folder
is always safe.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

#: Set to 1 to neither read nor write the cache.
NO_CACHE_ENV = "SOWPACK_NO_CACHE"


def enabled() -> bool:
    return os.environ.get(NO_CACHE_ENV, "") in ("", "0")


def path(kind: str, name: str) -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "sowpack" / kind / f"{name}.json"


def load(kind: str, name: str):
    """The record, or None when there is none (or the cache is off or unreadable)."""
    if not enabled():
        return None
    try:
        return json.loads(path(kind, name).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def store(kind: str, name: str, data) -> None:
    """Write a record atomically; a cache that cannot be written is no error."""
    if not enabled():
        return
    target = path(kind, name)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False, sort_keys=True, default=str), encoding="utf-8")
        os.replace(tmp, target)
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
