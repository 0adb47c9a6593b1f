"""Atomic, guarded file writes (Lektor artifacts, Pelican's one-writer-per-path, Copier's status words).

A file sowpack wrote is replaced only while its bytes still match the manifest's
record; a hand-edited file gets the new version written beside it, and a
signed-off file is never replaced or removed.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from functools import lru_cache

from pipeline.core.errors import InputError, PipelineError, SpecError
from pipeline.core.limits import MAX_DERIVED_NAME_BYTES, MAX_JSON_BYTES
from pipeline.core.manifest import sha256_bytes, sha256_file
from pipeline.core.text import BIDI, truncate_bytes

#: Never in a derived name: path separators, what Windows refuses, controls (C0, DEL, C1),
#: bidirectional controls (a name that reads 'exe.docx' but is 'xcod.exe') and lone surrogates.
_UNSAFE = re.compile(f'[\\x00-\\x1f\\x7f-\\x9f{BIDI}\\ud800-\\udfff/\\\\:*?"<>|]+')
#: Written before a pack's files, removed after its manifest: what an interrupted build was writing.
JOURNAL = ".sowpack-journal.json"
JOURNAL_SCHEMA = 2
#: Temporary files this writer creates: .<name>.<random>.tmp (mkstemp).
_TEMP = re.compile(r"^\..+\.[A-Za-z0-9_]{6,}\.tmp$")
#: Bytes of the final name kept in a temporary name (the rest of it is 14 bytes: '.', '.XXXXXXXX.tmp').
_TEMP_NAME_BYTES = 200


def safe_name(text: str, limit: int = 80) -> str:
    """A file or folder name derived from input text that cannot leave its folder.

    At most `limit` characters and core.limits.MAX_DERIVED_NAME_BYTES UTF-8 bytes, so
    the name with its suffix, a .bak-N/.new-N tag and a temporary suffix fits 255 bytes.
    """
    name = _UNSAFE.sub("_", text).strip().strip(".").strip()
    name = truncate_bytes(name[:limit], MAX_DERIVED_NAME_BYTES).strip() or "_"
    if name in (".", ".."):
        name = "_"
    return name


@lru_cache(maxsize=1)
def file_mode() -> int:
    """The mode a new file gets under the user's umask (mkstemp would give 0600, which a team share cannot read)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def beside(rel: str, tag: str) -> str:
    """'09-x/报告.docx' -> '09-x/报告.<tag>.docx' (the suffix stays last so the file still opens)."""
    p = Path(rel)
    return (p.parent / f"{p.stem}.{tag}{p.suffix}").as_posix()


class ConflictError(PipelineError):
    """Files edited by hand or signed off were kept; the new versions were written beside them."""

    category = "conflict"


@dataclass
class Placed:
    """The outcome of placing one output: the status word and what the manifest should record."""

    word: str
    #: sha256 of the bytes the manifest records for the path (None: nothing sowpack owns is there).
    sha256: str | None
    #: Where the new bytes went when they could not go to the path itself.
    pending: str | None = None
    #: A backup of a hand-edited file made before replacing it (--force).
    backup: str | None = None
    #: The file at the path is a hand edit adopted with --keep-edits.
    edited: bool = False
    note: str = ""


@dataclass
class OutputWriter:
    """Writes one pack folder: atomically, each path once, never over a hand edit or a signed-off file.

    Args:
        root: the pack folder.
        previous: path -> the last manifest's entry for it.
        signed: path -> sha256 of every signed-off file.
        force: replace hand-edited files, keeping a backup of each.
        keep_edits: adopt hand-edited files as they are instead of replacing them.
    """

    root: Path
    previous: dict[str, dict] = field(default_factory=dict)
    signed: dict[str, str | None] = field(default_factory=dict)
    force: bool = False
    keep_edits: bool = False
    written: dict[Path, str] = field(default_factory=dict)
    #: path -> the versions (sha256, built_from) an interrupted build's journal listed for it.
    recovered: dict[str, list[dict]] = field(default_factory=dict)
    #: path -> (a temporary file beside it, the bytes it holds): written ahead by prepare().
    ready: dict[str, tuple[Path, bytes]] = field(default_factory=dict)
    #: The folders prepare() created, outermost first (discard() removes those left empty).
    made: list[Path] = field(default_factory=list)
    _targets: dict[str, Path] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.root = Path(self.root).resolve()

    def target(self, rel: str) -> Path:
        path = self._targets.get(rel)
        if path is None:
            path = (self.root / rel).resolve()  # an lstat per part of the path: once per path and build
            if self.root not in path.parents:
                raise InputError(f"refusing to write outside the output folder {self.root}: {rel}")
            self._targets[rel] = path
        return path

    def claim(self, rel: str, owner: str) -> Path:
        path = self.target(rel)
        if path in self.written:
            raise SpecError(f"two deliverables target {rel}: {self.written[path]} and {owner}; "
                            "give one of them its own 'title' in the spec")
        self.written[path] = owner
        return path

    # --- state of a path ------------------------------------------------------
    def disk_sha(self, rel: str) -> str | None:
        path = self.target(rel)
        return sha256_file(path) if path.is_file() else None

    def recorded_sha(self, rel: str) -> str | None:
        return (self.previous.get(rel) or {}).get("sha256")

    def is_edited(self, rel: str) -> bool:
        """The file on disk differs from what sowpack last recorded there (or was adopted as a hand edit)."""
        disk = self.disk_sha(rel)
        if disk is None:
            return False
        prev = self.previous.get(rel) or {}
        return disk != prev.get("sha256") or bool(prev.get("edited"))

    # --- writing ahead ----------------------------------------------------------
    # A parallel build collects rendered files for seconds while its workers render the rest.
    # Meanwhile each file is written and synced to a temporary file beside its place, so
    # that placing it later is a rename. Nothing is replaced ahead: place() still decides,
    # from what is on disk then, whether the bytes go to the path, beside it or nowhere.
    def prepare(self, rel: str, data: bytes) -> None:
        """Write data to a temporary file beside rel, for place() or write_pending() to rename.

        A build that stops before placing it removes it (discard()); a killed one leaves it for
        the next build's sweep(), as it leaves the temporary file of a write it was in.
        """
        path = self.target(rel)
        try:
            if path.stat().st_size == len(data) and path.read_bytes() == data:
                return  # placing it will find the file identical: nothing to write ahead
        except OSError:
            pass  # no file there yet (or none readable): write ahead
        missing, folder = [], path.parent
        while not folder.exists():
            missing.append(folder)
            folder = folder.parent
        path.parent.mkdir(parents=True, exist_ok=True)
        self.made += reversed(missing)
        old = self.ready.pop(rel, None)
        if old is not None:
            old[0].unlink(missing_ok=True)
        self.ready[rel] = (_temp_file(path, data), data)

    def put(self, rel: str, data: bytes) -> str:
        """write() data to rel, a file of the pack's own (the manifest, the overview page): a rename
        of what prepare() wrote, when it holds these bytes (the same object)."""
        return self._put(rel, self.target(rel), data)

    def _put(self, rel: str, path: Path, data: bytes) -> str:
        """write(path, data) for output rel: a rename of what prepare() wrote, when it holds these bytes."""
        ready = self.ready.get(rel)
        if ready is None or ready[1] is not data or ready[0].parent != path.parent:
            return self.write(path, data)
        del self.ready[rel]
        return self.write(path, data, ready[0])

    def discard(self) -> None:
        """Remove what prepare() wrote and nothing placed, and the folders it made that are still empty."""
        for tmp, _ in self.ready.values():
            tmp.unlink(missing_ok=True)
        self.ready.clear()
        for folder in reversed(self.made):
            try:
                folder.rmdir()
            except OSError:
                pass  # holds files now (or never was ours to remove)
        self.made.clear()

    # --- placing one output ---------------------------------------------------
    def place(self, rel: str, data: bytes) -> Placed:
        """Put data at rel unless that would destroy a hand edit or a signed-off file."""
        path = self.target(rel)
        new = sha256_bytes(data)
        disk = self.disk_sha(rel)
        if rel in self.signed:
            if disk == new:
                return Placed("identical", new)
            if disk is None and self.signed[rel] == new:
                return Placed(self._put(rel, path, data), new)
            pending = self.write_pending(rel, data)
            return Placed("signed", self.recorded_sha(rel), pending=pending,
                          note=f"signed off, so never replaced; new version written to {Path(pending).name}")
        if disk is None:
            return Placed(self._put(rel, path, data), new)
        if disk == new:
            return Placed("identical", new)
        if not self.is_edited(rel):
            return Placed(self._put(rel, path, data), new)
        if self.keep_edits:
            return Placed("kept", disk, edited=True, note="edited by hand; kept as the current version (--keep-edits)")
        if self.force:
            backup = self.make_backup(rel)
            self._put(rel, path, data)
            return Placed("update", new, backup=backup, note=f"edited by hand; saved as {Path(backup).name}")
        pending = self.write_pending(rel, data)
        return Placed("conflict", self.recorded_sha(rel), pending=pending,
                      note=f"edited by hand since the last build; kept it, new version written to {Path(pending).name}")

    def make_backup(self, rel: str) -> str:
        """Keep the current file as <name>.bak-<n>.<ext>; the original stays in place until replaced atomically."""
        n = 1
        while self.target(beside(rel, f"bak-{n}")).exists():
            n += 1
        backup = beside(rel, f"bak-{n}")
        src, dst = self.target(rel), self.target(backup)
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)
        return backup

    def write_pending(self, rel: str, data: bytes) -> str:
        """Write the new version beside rel as <name>.new.<ext>, never over a .new file someone edited."""
        ours = ((self.previous.get(rel) or {}).get("pending") or {}).get("sha256")
        n = 1
        while True:
            pending = beside(rel, "new" if n == 1 else f"new-{n}")
            path = self.target(pending)
            if not path.exists() or sha256_file(path) in (ours, sha256_bytes(data)):
                self._put(rel, path, data)
                return pending
            n += 1

    def retire(self, rel: str) -> Placed | None:
        """Remove a file the new build no longer produces, unless it was edited or signed off."""
        path = self.target(rel)
        if not path.is_file():
            return None
        if rel in self.signed:
            return Placed("kept", self.disk_sha(rel), note="no longer produced, but signed off: never removed")
        if self.is_edited(rel):
            if self.force:
                backup = self.make_backup(rel)
                path.unlink()
                return Placed("remove", None, backup=backup, note=f"no longer produced; edited by hand, saved as "
                                                                  f"{Path(backup).name}")
            return Placed("kept", None, note="no longer produced, but edited by hand: not removed")
        path.unlink()
        self._prune(path.parent)
        return Placed("remove", None)

    def drop_pending(self, rel: str, sha: str | None) -> bool:
        """Delete a .new file of an earlier conflict once it is resolved, if nobody touched it."""
        try:
            path = self.target(rel)
        except PipelineError:
            return False
        if sha and path.is_file() and sha256_file(path) == sha:
            path.unlink()
            return True
        return False

    def _prune(self, folder: Path) -> None:
        while folder != self.root and self.root in folder.parents:
            try:
                folder.rmdir()
            except OSError:
                return
            folder = folder.parent

    # --- surviving an interrupted build -------------------------------------------
    # The journal lists, before anything is replaced, each file about to be written with
    # the sha256 and the sources ('built_from') of every version it may hold afterwards.
    # A build interrupted at any moment leaves each file old or new; the next build finds
    # out which from its bytes, so a file is never recorded as built from sources it was
    # not built from (an input reverted after the interruption makes it stale, as it is).
    def begin(self, planned: dict[str, dict]) -> None:
        """Record what is about to be written: path -> {"sha256", "built_from"}.

        Versions a previous interrupted build left (recover()) stay listed, so a second
        interruption still tells them apart from hand edits.
        """
        files: dict[str, list[dict]] = {}
        for rel, versions in sorted(self.recovered.items()):
            files.setdefault(rel, []).extend(versions)
        for rel, version in sorted(planned.items()):
            if version not in files.setdefault(rel, []):
                files[rel].append(version)
        data = {"schema": JOURNAL_SCHEMA, "state": "writing", "files": files}
        self.write(self.root / JOURNAL, json.dumps(data, ensure_ascii=False, sort_keys=True).encode())

    def commit(self) -> None:
        """The manifest now records everything: the journal is no longer needed."""
        (self.root / JOURNAL).unlink(missing_ok=True)

    def recover(self) -> list[str]:
        """After an interrupted build, record each file it finished writing with the sources it was built from."""
        self.recovered = {}
        path = self.root / JOURNAL
        try:
            if path.stat().st_size > MAX_JSON_BYTES:
                return []
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError):
            return []
        if isinstance(data, dict) and data.get("schema") == JOURNAL_SCHEMA and isinstance(data.get("files"), dict):
            files = data["files"]
        elif isinstance(data, dict) and "schema" not in data:
            # Schema 1: path -> sha256, without the sources; such a file is rebuilt.
            files = {rel: [{"sha256": sha, "built_from": None}] for rel, sha in data.items()}
        else:
            return []
        done = []
        for rel, versions in sorted(files.items()):
            if not isinstance(versions, list):
                continue
            try:
                disk = self.disk_sha(rel)
            except PipelineError:
                continue
            ok = [v for v in versions if isinstance(v, dict) and isinstance(v.get("sha256"), str)]
            match = next((v for v in ok if v["sha256"] == disk), None)
            if disk is None or not ok:
                continue
            self.recovered[rel] = ok
            if match is None or disk == (self.previous.get(rel) or {}).get("sha256"):
                continue  # the version the manifest records (it says what it is built from), or a hand edit
            entry = dict(self.previous.get(rel) or {}, sha256=disk)
            entry.pop("edited", None)
            if isinstance(match.get("built_from"), dict):
                entry["built_from"] = match["built_from"]
            else:
                entry.pop("built_from", None)  # sources unknown: rebuilt ("no record of a previous build")
            self.previous[rel] = entry
            done.append(rel)
        return done

    def sweep(self) -> list[Path]:
        """Remove temporary files a killed build left behind (a normal failure leaves none)."""
        gone = []
        if self.root.is_dir():
            ours = {tmp for tmp, _ in self.ready.values()}
            for p in sorted(self.root.rglob(".*.tmp")):
                if p.is_file() and _TEMP.match(p.name) and p not in ours:
                    p.unlink()
                    gone.append(p)
        return gone

    @staticmethod
    def write(path: Path, data: bytes, ready: Path | None = None) -> str:
        """Write data to path atomically; returns create, update or identical.

        ready: a temporary file beside path that already holds data (prepare()), renamed instead
        of writing a new one; removed in every other case.
        """
        try:
            if path.exists():
                if path.read_bytes() == data:
                    if ready is not None:
                        ready.unlink(missing_ok=True)
                    return "identical"
                word = "update"
            else:
                word = "create"
            if ready is None:
                path.parent.mkdir(parents=True, exist_ok=True)
        except BaseException:
            if ready is not None:
                ready.unlink(missing_ok=True)
            raise
        tmp = ready or _temp_file(path, data)
        try:
            os.replace(tmp, path)
        except BaseException:
            # Also on KeyboardInterrupt / SIGTERM (turned into SystemExit by build): never leave the temp file.
            tmp.unlink(missing_ok=True)
            raise
        return word


def _temp_file(path: Path, data: bytes) -> Path:
    """A new temporary file beside path holding data, synced to disk, with the mode of a new file."""
    fd, tmp = tempfile.mkstemp(prefix=f".{truncate_bytes(path.name, _TEMP_NAME_BYTES)}.", suffix=".tmp",
                               dir=path.parent)
    try:
        try:
            os.fchmod(fd, file_mode())
        except BaseException:
            os.close(fd)
            raise
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return Path(tmp)
