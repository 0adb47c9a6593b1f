"""The sign-off ledger: an append-only JSON-lines file in the engagement folder.

One line per event (submit, accept, reject), never rewritten. Each line carries a
sequence number and the SHA-256 of the line before it, so an edited, reordered or
deleted line is detected (`sowpack signoff verify`). Appends are serialised with an
exclusive lock, written with one write() call to a file opened O_APPEND, and fsync'd
(and the folder fsync'd when the file is created) before the command reports success.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

LEDGER = "signoff.jsonl"
VERSION = 1
GENESIS = "0" * 64
EVENTS = ("submit", "accept", "reject")
#: Key order of each event line (fixed so lines diff and hash predictably).
KEYS = ("v", "seq", "event", "engagement", "service", "deliverable", "seed_name", "on", "by", "submission",
        "files", "issues", "note", "prev")

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


@dataclass
class Problem:
    """A line of the ledger that is damaged or out of sequence."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


def line_hash(line: bytes) -> str:
    return hashlib.sha256(line.rstrip(b"\n")).hexdigest()


def _parse(data: bytes) -> tuple[list[Event], list[Problem], str, bool]:
    """Events, problems, hash of the last line, and whether the file ends mid-line."""
    events: list[Event] = []
    problems: list[Problem] = []
    prev = GENESIS
    lines = data.split(b"\n")
    partial = bool(lines and lines[-1])
    if not lines[-1]:
        lines = lines[:-1]
    for n, raw_line in enumerate(lines, 1):
        if partial and n == len(lines):
            problems.append(Problem(n, "incomplete last line (an interrupted write?); it is ignored"))
            break
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
            problems.append(Problem(n, f"sequence number {obj.get('seq')!r}, expected {n}"))
        prev = line_hash(raw_line)
        try:
            ev = Event(int(obj["seq"]), str(obj["event"]), int(obj["service"]), str(obj["deliverable"]),
                       dt.date.fromisoformat(str(obj["on"])), str(obj.get("by") or ""), obj, n)
        except (KeyError, TypeError, ValueError) as exc:
            problems.append(Problem(n, f"event lacks a valid {exc}"))
            continue
        if ev.event not in EVENTS:
            problems.append(Problem(n, f"unknown event '{ev.event}'"))
            continue
        events.append(ev)
    return events, problems, prev, partial


def read_ledger(path: Path) -> tuple[list[Event], list[Problem]]:
    """Every event of a ledger (none when the file does not exist) and every problem found."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return [], []
    except OSError as exc:
        raise LedgerError(f"cannot read {path}: {exc.strerror}") from None
    events, problems, _, _ = _parse(data)
    return events, problems


def _line(event: dict) -> bytes:
    ordered = {k: event[k] for k in KEYS if k in event and event[k] is not None}
    return (json.dumps(ordered, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


def append(path: Path, make: Callable[[list[Event]], dict]) -> dict:
    """Append one event durably; make(events so far) returns it or raises LedgerError to refuse.

    The file is locked from reading the current events to the fsync, so two users
    signing off at once cannot interleave or both accept one submission.

    Raises:
        LedgerError: the ledger is damaged at its end, or make() refused the event.
    """
    if not path.parent.is_dir():
        raise LedgerError(f"{path.parent} is not a folder")
    created = not path.exists()
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        data = b""
        os.lseek(fd, 0, os.SEEK_SET)
        while chunk := os.read(fd, 1 << 20):
            data += chunk
        events, problems, prev, partial = _parse(data)
        if partial:
            raise LedgerError(f"{path} ends with an incomplete line (an interrupted write?); nothing was appended. "
                              "Inspect the last line and repair it by hand before signing off again")
        if problems:
            raise LedgerError(f"{path} is damaged ({problems[0]}); nothing was appended. "
                              "`sowpack signoff verify` lists every problem")
        event = dict(make(events))
        event.update(v=VERSION, seq=data.count(b"\n") + 1, prev=prev)
        line = _line(event)
        view = memoryview(line)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
    finally:
        os.close(fd)
    if created:
        _fsync_dir(path.parent)
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
