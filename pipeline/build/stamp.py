"""Packs that are up to date without reading them again (Ninja's build log, doit's file_dep).

After writing a pack, the build records a stamp for it: the hash of every file the
build read for it (the engagement's inputs and ledger, every spec, every template), the
tool version, the state of every file it wrote, and the messages it printed. Stamps are
records of the user's cache (core.cache, keyed by the pack's path): the pack folder
itself holds only what goes to the customer, and a lost stamp costs one full check.
A later build whose stamp still holds (nothing read has changed, no file of the pack was
touched) skips reading, assembling, rendering and verifying that pack and prints the same
messages again. Anything that differs, or any doubt, means the full build, whose up-to-date
checks then name the reasons.
"""
from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.core import cache
from pipeline.core.errors import Finding, Location
from pipeline.core.manifest import MANIFEST, sha256_bytes, sha256_file
from pipeline.core.paths import TEMPLATES

SCHEMA = 1
#: Files a build leaves in a pack while it writes (core.writer.JOURNAL): their presence means "not clean".
_JOURNAL = ".sowpack-journal.json"


@dataclass
class Tap:
    """Records the messages one pack's build prints, to print them again when the pack is up to date."""

    reporter: Any
    messages: list = field(default_factory=list)

    def finding(self, f: Finding) -> None:
        data = {x.name: getattr(f, x.name) for x in dataclasses.fields(Finding)}
        if f.location is not None:
            data["location"] = dataclasses.asdict(f.location)
        self.messages.append(["finding", data])
        self.reporter.finding(f)

    def findings_from(self, fs) -> None:
        for f in fs:
            self.finding(f)

    def info(self, text: str) -> None:
        self.messages.append(["info", text])
        self.reporter.info(text)

    def __getattr__(self, name):
        return getattr(self.reporter, name)


def _finding(d: dict) -> Finding:
    loc = d.get("location")
    return Finding(**{**d, "location": Location(**loc) if isinstance(loc, dict) else None})


def replay(messages: list, reporter) -> None:
    for kind, value in messages:
        if kind == "finding":
            reporter.finding(_finding(value))
        else:
            reporter.info(value)


def _key(spec_dir: Path, templates: Path | None) -> dict:
    from pipeline.build.incremental import tool_version
    from pipeline.ledger.status import TODAY_ENV

    return {"tool": tool_version(), "cwd": os.getcwd(), "specs": str(Path(spec_dir).resolve()),
            "templates": str(Path(templates).resolve()) if templates else "", "today": os.environ.get(TODAY_ENV, "")}


def _tree(folder: Path, pattern: str = "**/*") -> list[Path]:
    return sorted(p for p in Path(folder).glob(pattern) if p.is_file())


def shared_files(spec_dir: Path, templates: Path | None) -> dict[str, str]:
    """sha256 of every spec and template file, which a build of any pack reads (hashed once per build)."""
    files = [*_tree(spec_dir, "*.yaml"), *_tree(TEMPLATES), *(_tree(templates) if templates else [])]
    return {str(p.resolve()): sha256_file(p) for p in files}


def read_files(shared: dict[str, str], engagement_files: list[Path], ledger: Path) -> dict[str, str]:
    """sha256 of every file a build of one pack reads: the shared ones (shared_files), its
    engagement's, and its ledger ("missing" when not yet written)."""
    out = dict(shared)
    out.update((str(p.resolve()), sha256_file(p)) for p in map(Path, engagement_files))
    out[str(ledger.resolve())] = sha256_file(ledger) if ledger.is_file() else "missing"
    return dict(sorted(out.items()))


def _state(path: Path) -> list:
    st = path.stat()
    return [st.st_size, st.st_mtime_ns]


def _name(pack: Path) -> str:
    return sha256_bytes(str(Path(pack).resolve()).encode())[:32]


def save(pack: Path, spec_dir: Path, templates: Path | None, files: dict[str, str], outputs: dict[str, str],
         messages: list) -> None:
    """Write the stamp of a pack just built; `outputs` is rel -> sha256 of every file the manifest lists."""
    written = {rel: _state(pack / rel) + [sha] for rel, sha in sorted(outputs.items())}
    written[MANIFEST] = _state(pack / MANIFEST) + [sha256_file(pack / MANIFEST)]
    data = {"schema": SCHEMA, "key": _key(spec_dir, templates), "files": files, "outputs": written,
            "messages": messages}
    cache.store("stamps", _name(pack), data)


def forget(pack: Path) -> None:
    """Drop the stamp (before a pack is written, so that a failed write never leaves a stale one)."""
    cache.drop("stamps", _name(pack))


def holds(pack: Path, spec_dir: Path, templates: Path | None) -> dict | None:
    """The stamp of a pack when nothing it records has changed since, else None."""
    data = cache.load("stamps", _name(pack))
    if not isinstance(data, dict) or data.get("schema") != SCHEMA or (pack / _JOURNAL).exists():
        return None
    if data.get("key") != _key(spec_dir, templates):
        return None
    # The outputs first: a pack deleted or rebuilt elsewhere fails on a stat, before any input is hashed.
    for rel, (size, mtime, sha) in (data.get("outputs") or {}).items():
        p = pack / rel
        try:
            if _state(p) != [size, mtime] and sha256_file(p) != sha:
                return None
        except OSError:
            return None
    recorded = data.get("files") or {}
    # A spec or template added or removed changes what a build reads even when no recorded file changed.
    listed = {str(p.resolve()) for p in [*_tree(spec_dir, "*.yaml"), *_tree(TEMPLATES),
                                          *(_tree(templates) if templates else [])]}
    if not listed <= set(recorded):
        return None
    for path, sha in recorded.items():
        p = Path(path)
        if (sha256_file(p) if p.is_file() else "missing") != sha:
            return None
    return data
