"""VERIFY: each rendered file reopened from a staging folder as soon as it is rendered.

A pack never receives a file that fails its structural checks, so every file is checked
before anything is written. Each file is checked by the process that rendered it (a
StagedFile travels with the render task), so a parallel build checks in its workers too and the
calling process only collects the findings. The findings come out per pack in the order of its
manifest, whatever order the files were rendered in.
"""
from __future__ import annotations

import dataclasses
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from pipeline.checks.expected import Expected, from_manifest
from pipeline.checks.pack import check_file
from pipeline.core.errors import Finding, relpath


@dataclass(frozen=True)
class StagedFile:
    """Where one rendered file is staged and what it must hold (sent to the process that renders it)."""

    path: Path
    expected: Expected
    format: str

    def check(self, data: bytes) -> list[Finding]:
        """Stage the file's bytes and check them; OSError when the staging folder cannot take them."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_bytes(data)
        return check_file(self.path, self.expected, self.format)


#: The staging folders' names: sowpack-verify-<pid of the build>-<random>.
STAGE_PREFIX = "sowpack-verify-"
#: A staging folder untouched for this long whose build's process is gone is a killed build's. The
#: age makes sure: a build in another PID namespace (a container sharing the temporary folder) has
#: a process this one cannot see, and no build runs for an hour.
STALE_AFTER_S = 3600


def remove_stale_stages(base: Path) -> None:
    """Remove the staging folders of builds that ended without removing theirs (killed: SIGKILL,
    a power cut), as the next build removes a killed build's temporary files in the pack."""
    if os.name != "posix":  # os.kill(pid, 0) tells whether a process runs on POSIX only
        return
    try:
        entries = list(os.scandir(base))
    except OSError:
        return
    uid, old = os.getuid(), time.time() - STALE_AFTER_S
    for entry in entries:
        pid = entry.name[len(STAGE_PREFIX):].partition("-")[0]
        if not entry.name.startswith(STAGE_PREFIX) or not pid.isdigit():
            continue
        try:
            st = entry.stat(follow_symlinks=False)
            if not entry.is_dir(follow_symlinks=False) or st.st_uid != uid or st.st_mtime > old:
                continue
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(entry.path, ignore_errors=True)  # its build has ended
        except (OSError, OverflowError, ValueError):
            continue  # a process of that number runs (or is another user's): left alone


class StagedChecks:
    """Structural checks of rendered files, reported at their place in the pack."""

    def __init__(self) -> None:
        remove_stale_stages(Path(tempfile.gettempdir()))
        self._tmp = tempfile.TemporaryDirectory(prefix=f"{STAGE_PREFIX}{os.getpid()}-")
        self.stage = Path(self._tmp.name)
        self._packs: list[tuple[Path, list[Expected], dict[str, tuple[Expected, str]]]] = []
        self._found: dict[tuple[int, str], list[Finding]] = {}

    def add_pack(self, pack: Path, manifest: dict) -> int:
        """Expect the files a manifest (of the rendered files only) lists; returns the pack's number."""
        expected = from_manifest(manifest)
        self._packs.append((pack, expected, {e.paths[f]: (e, f) for e in expected for f in e.formats}))
        return len(self._packs) - 1

    def staged(self, number: int, rel: str) -> StagedFile:
        """How file rel of pack number is staged and checked."""
        e, fmt = self._packs[number][2][rel]
        return StagedFile(self.stage / str(number) / rel, e, fmt)

    def record(self, number: int, rel: str, findings: list[Finding]) -> None:
        """What the checks of one file found (StagedFile.check, wherever it ran)."""
        self._found[(number, rel)] = findings

    def check(self, number: int, rel: str, data: bytes) -> None:
        """Stage one rendered file and check it here."""
        self.record(number, rel, self.staged(number, rel).check(data))

    def findings(self, number: int) -> list[Finding]:
        """What the checks of one pack found, in manifest order, located in the pack itself."""
        pack, expected, _ = self._packs[number]
        found = [f for e in expected for fmt in e.formats for f in self._found.get((number, e.paths[fmt]), [])]
        prefix, shown = str(relpath(self.stage / str(number))), relpath(pack)
        return [dataclasses.replace(f, location=dataclasses.replace(
                    f.location, path=shown + f.location.path[len(prefix):]))
                if f.location and f.location.path.startswith(prefix) else f for f in found]

    def close(self) -> None:
        self._tmp.cleanup()
