"""Record what build, check and signoff know about a pack, and write its index.html again."""
from __future__ import annotations

import json
from pathlib import Path

from pipeline.core.manifest import read_manifest
from pipeline.core.writer import OutputWriter
from pipeline.overview.page import INDEX, render

#: The state the page is written from (a dot-file: `check` ignores it, like the journal).
STATE = ".sowpack-overview.json"


def _read(pack: Path) -> dict:
    try:
        data = json.loads((pack / STATE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def record(pack: Path, *, check: dict | None = None, signoff: dict | None = None) -> Path | None:
    """Merge the new check or sign-off state into the pack's and write index.html (only bytes that change).

    Args:
        check: {"by": "build"|"check", "on": date or None, "complete": bool,
                "deliverables": {"09/health-report": {"status", "errors", "warnings"}}}.
        signoff: {"on": date, "deliverables": {"09/health-report": State.to_json()}}.

    Returns the page's path, or None when the folder holds no manifest (nothing to show).
    """
    pack = Path(pack)
    files = page_files(pack, check=check, signoff=signoff)
    if files is None:
        return None
    for name, data in files.items():
        OutputWriter.write(pack / name, data)
    return pack / INDEX


def page_files(pack: Path, *, check: dict | None = None, signoff: dict | None = None,
               manifest: dict | None = None) -> dict[str, bytes] | None:
    """What record() writes, by name in the pack: the merged state (STATE) and the page (INDEX);
    None when the folder holds no manifest. manifest: the pack's, when the caller has it (a build
    that has just made it), else read from the folder."""
    manifest = read_manifest(pack) if manifest is None else manifest
    if manifest is None:
        return None
    state = _read(pack)
    if check is not None:
        state["check"] = check
    if signoff is not None:
        state["signoff"] = signoff
    return {STATE: (json.dumps(state, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode(),
            INDEX: render(manifest, state).encode()}


def signoff_state(states, on) -> dict:
    """The sign-off part from ledger.status.compute()'s states."""
    return {"on": on.isoformat() if on else None,
            "deliverables": {s.key: s.to_json() for s in states if s.submission is not None}}
