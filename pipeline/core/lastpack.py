"""Where an engagement was last built: written by `build` into the engagement folder, read by
`signoff` so that its commands need no --pack after `build --out DIR`."""
from __future__ import annotations

import json
from pathlib import Path

from pipeline.core.writer import OutputWriter

#: In the engagement folder (beside signoff.jsonl): {"pack": "<absolute path of the pack>"}.
LAST_PACK = ".sowpack-pack.json"


def record_last_pack(engagement_root: Path, pack: Path) -> None:
    """Remember the pack folder (written only when it changes; a read-only folder is left alone)."""
    data = (json.dumps({"pack": str(Path(pack).resolve())}, ensure_ascii=False) + "\n").encode()
    try:
        OutputWriter.write(Path(engagement_root) / LAST_PACK, data)
    except OSError:
        pass  # sign-off commands then need --pack


def last_pack(engagement_root: Path) -> Path | None:
    """The pack the engagement was last built into, while it still holds a manifest."""
    try:
        pack = Path(json.loads((Path(engagement_root) / LAST_PACK).read_text(encoding="utf-8"))["pack"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return pack if (pack / "manifest.json").is_file() else None
