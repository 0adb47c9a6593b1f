"""Which output files of a pack are signed off, read from the sign-off ledger, so a build never replaces them.

The ledger (pipeline/signoff/ledger.py) is the engagement folder's signoff.jsonl:
`submit` events list the files handed over, `accept` events accept a submission.
A deliverable whose latest submission was accepted, or is deemed accepted under
its SOW's rule (review period passed, as of $SOWPACK_TODAY or today), is signed
off, and so is every file that submission lists (or, when it lists none, every
file of that deliverable in the pack's manifest).
"""
from __future__ import annotations

from pathlib import Path, PurePosixPath

from pipeline.core.errors import InputError
from pipeline.core.manifest import read_manifest


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


def signed_files(engagement_root: Path, pack: Path, acceptance: dict | None = None) -> dict[str, str]:
    """Path (relative to the pack) -> sha256 recorded at sign-off, for every signed-off file.

    Args:
        acceptance: service -> its spec's Acceptance, for deemed acceptance.

    Raises:
        InputError: the ledger exists but cannot be read (better to stop than to overwrite).
    """
    try:
        from pipeline.ledger.events import LEDGER, LedgerError, read_ledger
        from pipeline.ledger.status import CLOSED, Rule, compute, today
    except ImportError:  # sign-off not installed in this build of sowpack
        return {}
    path = Path(engagement_root) / LEDGER
    try:
        events, _ = read_ledger(path)
    except LedgerError as exc:
        raise InputError(f"{exc}; the build cannot tell which files are signed off, so it writes nothing") from None
    if not events:
        return {}
    rules = {s: Rule(a.review_days, a.day_type, a.deemed_accepted, a.rule) for s, a in (acceptance or {}).items()}
    try:
        # An acceptance in the ledger counts whatever today is; deemed acceptance as of today.
        on = max([today()] + [ev.on for ev in events])
    except ValueError as exc:
        raise InputError(str(exc)) from None
    manifest = read_manifest(pack) or {}
    out: dict[str, str] = {}
    for st in sorted(compute(events, [], rules, on), key=lambda st: st.key):
        if st.state not in CLOSED or st.submission is None:
            continue
        files = st.submission.files
        if not files:
            files = [d for d in manifest.get("deliverables") or [] if isinstance(d, dict)
                     and d.get("service") == st.service and d.get("deliverable") == st.deliverable]
        for f in files:
            if not isinstance(f, dict) or not isinstance(f.get("path"), str):
                continue
            rel = _pack_relative(f["path"], pack)
            if rel is not None:
                out[rel] = str(f.get("sha256") or "")
    return out
