"""Reopening a signed-off deliverable delivers the version the build kept beside it, and a
resubmission of files the customer already rejected is pointed out."""
from __future__ import annotations

import dataclasses
import os

from pipeline.checks.expected import Expected
from pipeline.core.manifest import MANIFEST, dumps, sha256_file
from pipeline.core.writer import OutputWriter
from pipeline.ledger.events import Event


def pending_versions(ws, e: Expected) -> dict[str, str]:
    """format -> the *.new.* file a build wrote beside a signed-off file of e (still as the build wrote it)."""
    out = {}
    for d in ws.manifest.get("deliverables") or []:
        if not isinstance(d, dict) or d.get("path") not in e.paths.values():
            continue
        pending = d.get("pending") or {}
        path = pending.get("path")
        if isinstance(path, str) and ".." not in path.split("/") and (ws.pack / path).is_file() \
                and sha256_file(ws.pack / path) == pending.get("sha256"):
            out[d["format"]] = path
    return out


def as_submitted(e: Expected, pending: dict[str, str]) -> Expected:
    """e with the paths of the files that will be submitted (the pending versions where there are)."""
    return dataclasses.replace(e, paths={**e.paths, **pending}) if pending else e


def promote(ws, e: Expected, pending: dict[str, str]) -> None:
    """Put each pending version in place of its signed-off file and record it in the manifest as current."""
    manifest = ws.manifest
    for d in manifest.get("deliverables") or []:
        if isinstance(d, dict) and d.get("format") in pending and d.get("path") == e.paths.get(d["format"]):
            new = pending[d["format"]]
            sha = (d.get("pending") or {}).get("sha256")
            os.replace(ws.pack / new, ws.pack / d["path"])  # atomic: the old or the new file, never half
            d["sha256"] = sha
            d.pop("pending", None)
            d.pop("edited", None)
    clean = {k: v for k, v in manifest.items() if not k.startswith("_")}
    OutputWriter.write(ws.pack / MANIFEST, dumps(clean).encode())


def rejected_unchanged(events: list[Event], e: Expected, files: list[dict]) -> str | None:
    """A warning when the latest submission was rejected and the same files are submitted again."""
    mine = sorted((ev for ev in events if (ev.service, ev.deliverable) == (e.service, e.deliverable)),
                  key=lambda ev: ev.seq)
    last_sub = next((ev for ev in reversed(mine) if ev.event == "submit"), None)
    if last_sub is None or last_sub.files != files:
        return None
    rejection = next((ev for ev in mine if ev.event == "reject" and ev.submission == last_sub.seq), None)
    if rejection is None:
        return None
    issues = "；".join(rejection.issues)
    return (f"{e.key}: these are the same files the customer rejected on {rejection.on}"
            + (f" (不符点：{issues})" if issues else "") + "; rebuild after fixing them, or resubmit knowingly")
