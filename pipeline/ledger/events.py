"""The sign-off ledger: an append-only JSON-lines file in the engagement folder.

One line per event (submit, accept, reject, and repair: someone accepting a damaged
ledger as it is), never rewritten. Each line carries a sequence number and the SHA-256
of the line before it, so an edited, reordered or deleted line is detected (`sowpack
signoff verify`); the end of the chain is anchored in the pack (pipeline/ledger/anchor.py),
so lines cut from the end are found too. Appends are serialised with an exclusive lock,
written with one write() call to a file opened O_APPEND, and fsync'd (and the folder
fsync'd when the file is created) before the command reports success.
"""
from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from pipeline.core.errors import relpath
from pipeline.core.manifest import is_pack_path, is_sha256

LEDGER = "signoff.jsonl"
VERSION = 1
GENESIS = "0" * 64
#: Events about a deliverable; a `repair` event is about the ledger itself.
DECISIONS = ("submit", "accept", "reject")
EVENTS = DECISIONS + ("repair",)
#: Key order of each event line (fixed so lines diff and hash predictably).
KEYS = ("v", "seq", "event", "engagement", "service", "deliverable", "seed_name", "on", "by", "submission",
        "files", "issues", "waives", "anchor", "note", "prev")

# The ledger's own finding codes (signoff.ledger-*, signoff.anchor-damaged) are in core/findings.py.

try:  # POSIX advisory lock; on other systems appends are still single write() calls.
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]  # no fcntl on this system: checked before use


class LedgerError(Exception):
    """The ledger cannot be read or appended to, or an event is refused; the message says why."""


@dataclass(frozen=True)
class Event:
    """One ledger line."""

    seq: int
    event: str
    service: int
    deliverable: str
    on: dt.date
    by: str
    raw: dict = field(compare=False)
    line: int = 0

    @property
    def key(self) -> str:
        return f"{self.service:02d}/{self.deliverable}"

    @property
    def files(self) -> list[dict]:
        return list(self.raw.get("files") or [])

    @property
    def issues(self) -> list[str]:
        return list(self.raw.get("issues") or [])

    @property
    def submission(self) -> int | None:
        return self.raw.get("submission")

    @property
    def waives(self) -> list[dict]:
        return list(self.raw.get("waives") or [])


@dataclass
class Problem:
    """A line of the ledger that is damaged or out of sequence, or a mismatch with the pack's record.

    line is None for a problem with the whole file (it is missing); waived says who accepted
    it as it is (a `repair`), in which case it no longer stops anything.
    """

    line: int | None
    message: str
    code: str = "signoff.ledger-damaged"
    waived: str | None = None

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line is not None else self.message


@dataclass
class Parsed:
    """A ledger file as read: its events, its problems, and its lines (for hashes)."""

    events: list[Event]
    problems: list[Problem]
    #: Every complete line, without its newline.
    lines: list[bytes]
    #: An incomplete last line (an interrupted write), else b"".
    partial: bytes = b""
    #: False when the file does not exist.
    exists: bool = True

    @property
    def head(self) -> str:
        """Hash of the last complete line (what the next event's `prev` is)."""
        return line_hash(self.lines[-1]) if self.lines else GENESIS

    def hash_of(self, n: int) -> str | None:
        return line_hash(self.lines[n - 1]) if 1 <= n <= len(self.lines) else None

    def prev_of(self, n: int) -> str | None:
        """Hash of the line before line n (GENESIS for line 1): what a waiver pins in place of the chain."""
        return GENESIS if n == 1 else self.hash_of(n - 1)

    @property
    def open_problems(self) -> list[Problem]:
        return [p for p in self.problems if p.waived is None]

    def waive(self, accepted: set[tuple[int, str, str]], repairs: list[Event] | None = None) -> None:
        """Mark the problems of lines accepted as they are as waived.

        A waiver is (line, its sha256, the sha256 of the line before it): a damaged line
        breaks the chain's link to the line before it, so the waiver pins that line
        instead; an edit of it after the repair is still found.
        """
        by_line = {}
        for ev in repairs if repairs is not None else [e for e in self.events if e.event == "repair"]:
            for w in ev.waives:
                by_line[waiver_key(w)] = f"accepted as it is by {ev.by} on {ev.on} (line {ev.line})"
        for p in self.problems:
            if p.line is None or p.waived is not None:
                continue
            key = (p.line, self.hash_of(p.line), self.prev_of(p.line))
            if key in accepted:
                p.waived = by_line.get(key, "accepted as it is by `sowpack signoff repair`")


def waiver_key(w: dict) -> tuple:
    """(line, sha256, prev) of one waiver as a repair event or the pack's record writes it."""
    return (w.get("line"), w.get("sha256"), w.get("prev"))


def repair_waivers(events: list[Event], after_line: int = 0) -> set[tuple]:
    """Every waiver the ledger's repair events give for lines after after_line."""
    return {waiver_key(w) for e in events if e.event == "repair" for w in e.waives
            if isinstance(w.get("line"), int) and w["line"] > after_line}


def line_hash(line: bytes) -> str:
    return hashlib.sha256(line.rstrip(b"\n")).hexdigest()


def _files_problem(files: object) -> str | None:
    if not isinstance(files, list):
        return "'files' must be a list"
    for i, f in enumerate(files):
        if not isinstance(f, dict) or not isinstance(f.get("format"), str):
            return f"'files[{i}]' must name a format"
        if not is_pack_path(f.get("path")):
            return f"'files[{i}].path' must be a relative path inside the pack (got {f.get('path')!r:.60})"
        if f.get("sha256") is not None and not is_sha256(f.get("sha256")):
            return f"'files[{i}].sha256' must be a SHA-256"
    return None


def _shape_problem(obj: dict) -> str | None:
    """What is wrong with the fields of one event, or None."""
    kind = obj.get("event")
    if kind not in EVENTS:
        return f"unknown event {kind!r:.40}"
    try:
        dt.date.fromisoformat(str(obj.get("on")))
    except ValueError:
        return f"'on' must be a date written YYYY-MM-DD (got {obj.get('on')!r:.40})"
    if not isinstance(obj.get("by", ""), str):
        return "'by' must be a name"
    if kind == "repair":
        waives = obj.get("waives") or []
        if not isinstance(waives, list) or not all(isinstance(w, dict) and isinstance(w.get("line"), int)
                                                   and is_sha256(w.get("sha256")) and is_sha256(w.get("prev"))
                                                   for w in waives):
            return "'waives' must list {line, sha256, prev}"
        return None
    if not isinstance(obj.get("service"), int) or isinstance(obj.get("service"), bool):
        return f"'service' must be a number (got {obj.get('service')!r:.40})"
    if not isinstance(obj.get("deliverable"), str) or not obj["deliverable"]:
        return f"'deliverable' must be an id (got {obj.get('deliverable')!r:.40})"
    if kind == "submit":
        return _files_problem(obj.get("files") or [])
    if not isinstance(obj.get("submission"), int) or isinstance(obj.get("submission"), bool):
        return f"'submission' must be the sequence number of a submit event (got {obj.get('submission')!r:.40})"
    if not isinstance(obj.get("issues") or [], list) or not all(isinstance(i, str) for i in obj.get("issues") or []):
        return "'issues' must be a list of texts"
    return None


def parse(data: bytes | None) -> Parsed:
    """Events and problems of a ledger's bytes (None: the file does not exist)."""
    if data is None:
        return Parsed([], [], [], exists=False)
    events: list[Event] = []
    problems: list[Problem] = []
    prev = GENESIS
    lines = data.split(b"\n")
    partial = lines.pop()  # b"" when the file ends with a newline
    for n, raw_line in enumerate(lines, 1):
        try:
            obj = json.loads(raw_line.decode("utf-8"))
            if not isinstance(obj, dict):
                raise ValueError("not a JSON object")
        except (ValueError, UnicodeDecodeError) as exc:
            problems.append(Problem(n, f"not a JSON event ({exc})"))
            prev = line_hash(raw_line)
            continue
        if obj.get("prev") != prev:
            problems.append(Problem(n, "hash chain broken: the line before it was changed, removed or reordered"))
        if obj.get("seq") != n:
            problems.append(Problem(n, f"sequence number {obj.get('seq')!r:.20}, expected {n}"))
        prev = line_hash(raw_line)
        wrong = _shape_problem(obj)
        if wrong:
            problems.append(Problem(n, f"not a valid event: {wrong}"))
            continue
        events.append(Event(n, str(obj["event"]), obj.get("service", 0), str(obj.get("deliverable", "")),
                            dt.date.fromisoformat(str(obj["on"])), str(obj.get("by") or ""), obj, n))
    if partial:
        problems.append(Problem(len(lines) + 1, "incomplete last line (an interrupted write?); it is ignored"))
    return Parsed(events, problems, lines, partial)


def read_bytes(path: Path) -> bytes | None:
    """The ledger's bytes, None when it does not exist.

    Raises:
        LedgerError: it exists but cannot be read (or is not a regular file).
    """
    try:
        if path.exists() and not path.is_file():
            raise LedgerError(f"{path} is not a regular file")
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise LedgerError(f"cannot read {path}: {exc.strerror}") from None


def read_ledger(path: Path) -> tuple[list[Event], list[Problem]]:
    """Every event of a ledger (none when the file does not exist) and every problem found.

    Problems accepted as they are by a `repair` event of the ledger itself are marked waived
    (pipeline/ledger/anchor.py decides with the pack's record when there is one).
    """
    data = read_bytes(path)
    key = (str(path), os.getcwd(), hashlib.sha256(data).digest() if data is not None else None)
    if key not in _READ:
        parsed = parse(data)
        parsed.waive(repair_waivers(parsed.events))
        if len(_READ) >= 16:
            _READ.pop(next(iter(_READ)))
        _READ[key] = (parsed.events, parsed.problems)
    events, problems = _READ[key]
    # Events are frozen; problems are the caller's to mark.
    return list(events), [dataclasses.replace(p) for p in problems]


#: The ledgers read in this process, by path and content: a build reads each engagement's
#: ledger for every acceptance report and every pack it guards.
_READ: dict[tuple, tuple[list[Event], list[Problem]]] = {}


def _line(event: dict) -> bytes:
    ordered = {k: event[k] for k in KEYS if k in event and event[k] is not None}
    return (json.dumps(ordered, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


@contextlib.contextmanager
def locked(path: Path) -> Iterator[tuple[int, bytes | None]]:
    """The ledger opened for appending under an exclusive lock, with its bytes (None: it was just created)."""
    if not path.parent.is_dir():
        raise LedgerError(f"{path.parent} is not a folder")
    if path.exists() and not path.is_file():
        raise LedgerError(f"{path} is not a regular file; move it away")
    created = not path.exists()
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        data = b""
        os.lseek(fd, 0, os.SEEK_SET)
        while chunk := os.read(fd, 1 << 20):
            data += chunk
        yield fd, (None if created and not data else data)
    finally:
        os.close(fd)
    if created:
        _fsync_dir(path.parent)


def write_line(fd: int, line: bytes) -> None:
    """Append one line with as few write() calls as the system allows, then fsync."""
    view = memoryview(line)
    while view:
        written = os.write(fd, view)
        view = view[written:]
    os.fsync(fd)


def refusal(path: Path, problem: Problem, fix: str) -> str:
    """The one-line reason an append is refused: the file, the line, what is wrong, the fix."""
    shown = relpath(path)
    where = f"{shown}:{problem.line}" if problem.line is not None else shown
    if problem.message.startswith("incomplete last line"):
        return (f"{where}: {shown} ends with an incomplete line (an interrupted write?); nothing was appended. "
                f"Complete or remove that line by hand, or {fix}")
    what = "the ledger is damaged: " if problem.code == "signoff.ledger-damaged" else ""
    return f"{where}: {what}{problem.message}; nothing was appended. Restore it, or {fix}"


def append(path: Path, make: Callable[[list[Event]], dict], *,
           check: Callable[[Parsed], list[Problem]] | None = None,
           after: Callable[[Parsed], None] | None = None, repair: bool = False,
           fix: str = "accept it as it is with `sowpack signoff repair`") -> dict:
    """Append one event durably; make(events so far) returns it or raises LedgerError to refuse.

    The file is locked from reading the current events to the fsync (and to after()), so
    two users signing off at once cannot interleave or both accept one submission.

    Args:
        check: the problems that stop the append (default: the ledger's own, unless waived
            by a repair event); pipeline/ledger/anchor.py adds the pack's record.
        after: called with the ledger as written, still under the lock (to re-anchor the pack).
        repair: append even though there are problems (the event is a `repair`); an
            incomplete last line is first closed with a newline, so it stays as it was.

    Raises:
        LedgerError: the ledger is damaged, or make() refused the event.
    """
    if check is not None and not path.exists() and not repair:
        problems = check(parse(None))  # a ledger the pack says existed is gone: refuse before creating one
        if problems:
            raise LedgerError(refusal(path, problems[0], fix))
    with locked(path) as (fd, data):
        parsed = parse(data)
        if check is None:
            parsed.waive(repair_waivers(parsed.events))
            problems = parsed.open_problems
        else:
            problems = check(parsed)
        if problems and not repair:
            raise LedgerError(refusal(path, problems[0], fix))
        event = dict(make(parsed.events))
        lead = b""
        if parsed.partial:
            lead = b"\n"  # a repair keeps the incomplete line as a (damaged) line of its own
            parsed = parse((data or b"") + lead)
        event.update(v=VERSION, seq=len(parsed.lines) + 1, prev=parsed.head)
        line = _line(event)
        write_line(fd, lead + line)
        if after is not None:
            after(parse((data or b"") + lead + line))
    return json.loads(line)


def _fsync_dir(folder: Path) -> None:
    try:
        dfd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dfd)
    except OSError:
        pass
    finally:
        os.close(dfd)
