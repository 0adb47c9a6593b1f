"""Which output files of a pack are signed off, read from the sign-off ledger, so a build never replaces them.

The ledger (pipeline/signoff/ledger.py) is the engagement folder's signoff.jsonl:
`submit` events list the files handed over, `accept` events accept a submission.
A deliverable whose latest submission was accepted is signed off, and so is every
file that submission lists (or, when it lists none, every file of that deliverable
in the pack's manifest).
"""
from __future__ import annotations

from pathlib import Path, PurePosixPath

from pipeline.errors import InputError
from pipeline.manifest import read_manifest


def _pack_relative(path: str, pack: Path) -> str | None:
    """A ledger file path as a path inside the pack, or None when it points elsewhere."""
    p = PurePosixPath(path.replace("\\", "/"))
    if p.is_absolute():
        try:
            return Path(path).resolve().relative_to(pack.resolve()).as_posix()
        except ValueError:
            return None
    parts = p.parts
    if parts and parts[0] == pack.name:  # written relative to the output folder
        parts = parts[1:]
    if not parts or ".." in parts:
        return None
    return PurePosixPath(*parts).as_posix()


def signed_files(engagement_root: Path, pack: Path) -> dict[str, str]:
    """Path (relative to the pack) -> sha256 recorded at sign-off, for every signed-off file.

    Raises:
        InputError: the ledger exists but cannot be read (better to stop than to overwrite).
    """
    try:
        from pipeline.signoff.ledger import LEDGER, LedgerError, read_ledger
        from pipeline.signoff.status import last_closed
    except ImportError:  # sign-off not installed in this build of sowpack
        return {}
    path = Path(engagement_root) / LEDGER
    try:
        events, _ = read_ledger(path)
    except LedgerError as exc:
        raise InputError(f"{exc}; the build cannot tell which files are signed off, so it writes nothing") from None
    if not events:
        return {}
    by_seq = {ev.seq: ev for ev in events}
    manifest = read_manifest(pack) or {}
    out: dict[str, str] = {}
    for service, deliverable in sorted({(ev.service, ev.deliverable) for ev in events}):
        accepted = last_closed(events, service, deliverable)
        if accepted is None:
            continue
        submission = by_seq.get(accepted.submission)
        files = submission.files if submission is not None else []
        if not files:
            files = [d for d in manifest.get("deliverables") or []
                     if isinstance(d, dict) and d.get("service") == service and d.get("deliverable") == deliverable]
        for f in files:
            if not isinstance(f, dict) or not isinstance(f.get("path"), str):
                continue
            rel = _pack_relative(f["path"], pack)
            if rel is not None:
                out[rel] = str(f.get("sha256") or "")
    return out
