"""Golden text dumps of built packs: one readable file per engagement and service."""
from __future__ import annotations

import re
from pathlib import Path

from pipeline.readers.dump import read

_SUBSET = re.compile(r"\b[A-Z]{6}\+")


def dump_service(folder: Path) -> str:
    """Text dump of every file of one service folder, in name order."""
    lines = []
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        lines.append(f"=== {path.name}")
        lines.extend(_SUBSET.sub("", line) for line in read(path).dump)
    return "\n".join(lines) + "\n"
