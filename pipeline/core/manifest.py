"""MANIFEST: what a pack contains and what it was built from (hashes), as stable JSON."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from pipeline.core.limits import MAX_JSON_BYTES

MANIFEST = "manifest.json"
SCHEMA = 1


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def dumps(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def read_manifest(pack: Path) -> dict | None:
    path = pack / MANIFEST
    if not path.is_file():
        return None
    try:
        if path.stat().st_size > MAX_JSON_BYTES:
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, OSError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


def entries_by_path(manifest: dict | None) -> dict[str, dict]:
    """The output entries of a manifest keyed by their path (empty for no or an unreadable manifest)."""
    if not manifest:
        return {}
    out = {}
    for d in manifest.get("deliverables") or []:
        path = d.get("path") if isinstance(d, dict) else None
        # A tampered manifest must not make a build touch files outside its pack.
        if isinstance(path, str) and path and not path.startswith(("/", "\\")) and ".." not in path.split("/"):
            out[path] = d
    return out
