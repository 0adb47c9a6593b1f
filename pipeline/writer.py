"""Atomic, guarded file writes (Lektor artifacts, Pelican's one-writer-per-path, Copier's 'identical')."""
from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from pipeline.errors import PipelineError

_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')


def safe_name(text: str, limit: int = 80) -> str:
    """A file or folder name derived from input text that cannot leave its folder."""
    name = _UNSAFE.sub("_", text).strip().strip(".").strip()
    name = name[:limit].strip() or "_"
    if name in (".", ".."):
        name = "_"
    return name


class OutputWriter:
    """Writes files atomically, refuses two writes to one path, skips identical bytes."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.written: dict[Path, str] = {}

    def target(self, rel: str) -> Path:
        path = (self.root / rel).resolve()
        if self.root not in path.parents:
            raise PipelineError(f"refusing to write outside the output folder: {rel}")
        return path

    def claim(self, rel: str, owner: str) -> Path:
        path = self.target(rel)
        if path in self.written:
            raise PipelineError(f"two deliverables target {rel}: {self.written[path]} and {owner}")
        self.written[path] = owner
        return path

    @staticmethod
    def write(path: Path, data: bytes) -> str:
        """Write data to path atomically; returns create, update or identical."""
        if path.exists():
            if path.read_bytes() == data:
                return "identical"
            word = "update"
        else:
            word = "create"
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            raise
        return word
