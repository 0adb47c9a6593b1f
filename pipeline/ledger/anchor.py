"""The pack's record of its sign-off ledger (the anchor), and the guard every write to a pack passes.

A hash chain proves that no line inside the ledger changed, but not that lines were cut
from its end or that its last line was rewritten: both leave a valid chain. So the
pack's manifest.json keeps, under `signoff`, what the pack last saw of the ledger:

    "signoff": {"lines": 4, "head": "<sha256 of line 4>",
                "signed": [{"path", "sha256", "service", "deliverable", "submission"}, ...],
                "waived": [{"line", "sha256", "prev"}, ...]}

`signed` lists the files signed off at that time, so a ledger that is lost or cut
unprotects nothing; `waived` lists damaged lines a user accepted as they are with
`sowpack signoff repair`, each with the hash of the line before it (a damaged line
cannot vouch for its predecessor, so the waiver does). Every signoff write and every build updates it, under the
ledger's lock. A ledger that is longer than the record and continues its chain is
taken as appended to (by a signoff with another --pack, or another checkout); one that
is shorter, gone, or different at the recorded end stops every write to the pack
until it is restored or repaired.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from pipeline.core.errors import Finding, Location, PipelineError, relpath
from pipeline.core.manifest import MANIFEST, ShapeError, check_anchor_shape, dumps, read_manifest
from pipeline.core.writer import OutputWriter
from pipeline.ledger.events import (LEDGER, Event, LedgerError, Parsed, Problem, append, parse, read_bytes,
                                    repair_waivers, waiver_key)
from pipeline.ledger.signed import as_of, ledger_signed
from pipeline.ledger.status import Rule

KEY = "signoff"


class LedgerRefused(PipelineError):
    """The ledger is damaged or does not match the pack's record: nothing is written to the pack."""

    category = "ledger"


@dataclass
class Anchor:
    """What the pack last saw of the ledger."""

    lines: int
    head: str
    #: path -> {path, sha256, service, deliverable, submission}
    signed: dict[str, dict] = field(default_factory=dict)
    #: (line, sha256, sha256 of the line before) of damaged lines accepted as they are
    waived: set[tuple[int, str, str]] = field(default_factory=set)

    @classmethod
    def from_json(cls, data: dict) -> "Anchor":
        return cls(data["lines"], data["head"], {s["path"]: dict(s) for s in data.get("signed") or []},
                   {waiver_key(w) for w in data.get("waived") or []})

    def to_json(self) -> dict:
        return {"lines": self.lines, "head": self.head,
                "signed": [self.signed[p] for p in sorted(self.signed)],
                "waived": [{"line": n, "sha256": h, "prev": prev} for n, h, prev in sorted(self.waived)]}


def anchor_of(manifest: dict | None) -> Anchor | None:
    """The anchor a manifest records, None when it records none.

    Raises:
        ShapeError: the record is there but malformed (names the field).
    """
    if not manifest or manifest.get(KEY) is None:
        return None
    check_anchor_shape(manifest[KEY], KEY)
    return Anchor.from_json(manifest[KEY])


@dataclass
class Guard:
    """A ledger examined against the pack's record of it."""

    ledger: Path
    parsed: Parsed
    anchor: Anchor | None
    #: every problem, the waived ones marked
    problems: list[Problem]

    @property
    def open(self) -> list[Problem]:
        """The problems that stop every write to the pack."""
        return [p for p in self.problems if p.waived is None]

    @property
    def waived(self) -> set[tuple[int, str, str]]:
        out = set()
        for p in self.problems:
            if p.waived is not None and p.line is not None:
                sha, prev = self.parsed.hash_of(p.line), self.parsed.prev_of(p.line)
                if sha is not None and prev is not None:
                    out.add((p.line, sha, prev))
        return out

    def protected(self, rules: dict[int, Rule], manifest: dict | None,
                  on: dt.date | None = None) -> dict[str, dict]:
        """Every signed-off file: the ledger's, plus those the pack remembers and the ledger never reopened."""
        events = self.parsed.events
        if not events and not (self.anchor and self.anchor.signed):
            return {}  # nothing signed: and no need to read the date ($SOWPACK_TODAY) at all
        try:
            day = on or as_of(events)
        except ValueError as exc:
            raise LedgerError(str(exc)) from None
        out = ledger_signed(events, rules, day, manifest)
        for path, entry in (self.anchor.signed if self.anchor else {}).items():
            if path not in out and not _reopened(events, entry):
                out[path] = entry
        return out

    def findings(self, fix: str) -> list[Finding]:
        """One finding per problem, at the ledger's line; open ones end with the fix."""
        shown = relpath(self.ledger)
        out = []
        for p in self.problems:
            text = f"{p.message} ({p.waived})" if p.waived else f"{p.message}; {fix}"
            code = "signoff.ledger-repaired" if p.waived else p.code
            out.append(Finding(code, text, Location(shown, line=p.line)))
        return out


def _reopened(events: list[Event], entry: dict) -> bool:
    """A later submission of the same deliverable (`submit --reopen`) releases a remembered signed file."""
    seq = entry.get("submission")
    return isinstance(seq, int) and any(
        ev.event == "submit" and (ev.service, ev.deliverable) == (entry.get("service"), entry.get("deliverable"))
        and ev.seq > seq for ev in events)


def examine(ledger: Path, parsed: Parsed, manifest: dict | None, pack: Path) -> Guard:
    """The ledger's problems, with what the pack recorded: lines cut, the end rewritten, the ledger gone."""
    shown = relpath(Path(pack) / MANIFEST)
    problems: list[Problem] = []
    try:
        anchor = anchor_of(manifest)
    except ShapeError as exc:
        anchor = None
        problems.append(Problem(None, f"{shown} does not record the ledger properly: {exc}",
                                "signoff.anchor-damaged"))
    repairs = [e for e in parsed.events if e.event == "repair"]
    # Without a record every repair in the ledger counts; with one, the pack's list rules
    # for the lines it saw (else one write to the ledger alone could excuse an edit).
    accepted = repair_waivers(repairs, anchor.lines if anchor else 0)
    parsed.waive(accepted | (anchor.waived if anchor else set()), repairs)
    problems += parsed.problems
    if anchor is not None and anchor.lines:
        n, signed = len(parsed.lines), len(anchor.signed)
        if not parsed.exists:
            problems.insert(0, Problem(None, f"the ledger is missing, but {shown} recorded {anchor.lines} line(s) "
                                       f"and {signed} signed-off file(s)", "signoff.ledger-truncated"))
        elif n < anchor.lines:
            problems.insert(0, Problem(anchor.lines, f"the ledger ends at line {n}, but {shown} recorded "
                                       f"{anchor.lines} line(s): lines were cut from its end",
                                       "signoff.ledger-truncated"))
        elif parsed.hash_of(anchor.lines) != anchor.head:
            problems.insert(0, Problem(anchor.lines, f"line {anchor.lines} is not the line {shown} recorded as the "
                                       f"ledger's end (sha256 {anchor.head[:12]}…): it was edited or replaced",
                                       "signoff.ledger-changed"))
    return Guard(Path(ledger), parsed, anchor, problems)


def examine_files(engagement_dir: Path, pack: Path, manifest: dict | None = None) -> Guard:
    """examine() the engagement's ledger as it is on disk against the pack's manifest.

    Raises:
        LedgerError: the ledger cannot be read.
    """
    ledger = Path(engagement_dir) / LEDGER
    if manifest is None:
        manifest = read_manifest(Path(pack))
    return examine(ledger, parse(read_bytes(ledger)), manifest, pack)


def repair_hint(engagement_dir: Path) -> str:
    return f"restore it, or accept it as it is with `sowpack signoff repair {relpath(engagement_dir)} --by NAME`"


def record(pack: Path, anchor: Anchor) -> None:
    """Write the anchor into the pack's manifest.json (atomically; nothing when there is no readable manifest)."""
    path = Path(pack) / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    if not isinstance(data, dict) or data.get(KEY) == anchor.to_json():
        return
    data[KEY] = anchor.to_json()
    OutputWriter.write(path, dumps(data).encode("utf-8"))


def append_checked(engagement_dir: Path, pack: Path, make: Callable[[Guard], dict], rules: dict[int, Rule], *,
                   repair: bool = False) -> dict:
    """Append one event to the engagement's ledger, refused while the ledger does not match the pack's record;
    then re-anchor the pack (still under the ledger's lock).

    Args:
        make: returns the event from the guard (its parsed events and problems), or raises to refuse.
        repair: the event is a `repair`: appended whatever the problems, which it lists as accepted.

    Raises:
        LedgerError: the ledger is damaged or cut (the message names the file, the line and the fix).
    """
    ledger = Path(engagement_dir) / LEDGER
    seen: dict[str, Guard] = {}

    def check(parsed: Parsed) -> list[Problem]:
        # Re-read under the lock: a build may have rewritten the manifest since the command started.
        seen["guard"] = examine(ledger, parsed, read_manifest(Path(pack)), pack)
        return seen["guard"].open

    def after(parsed: Parsed) -> None:
        guard, manifest = seen["guard"], read_manifest(Path(pack))
        if manifest is None:
            return  # no pack to anchor in (a repair before the first build)
        waived = guard.waived
        last = parsed.events[-1] if parsed.events else None
        if repair and last is not None and last.event == "repair":
            waived |= {waiver_key(w) for w in last.waives}
        protected = Guard(ledger, parsed, guard.anchor, []).protected(rules, manifest)
        record(pack, Anchor(len(parsed.lines), parsed.head, protected, waived))

    return append(ledger, lambda events: make(seen["guard"]), check=check, after=after, repair=repair,
                  fix=f"accept it as it is with `sowpack signoff repair {relpath(engagement_dir)} --by NAME`")


def guard_build(engagement_dir: Path, pack: Path, rules: dict[int, Rule]) -> tuple[dict[str, str | None], dict | None,
                                                                                list[Finding]]:
    """What a build may not replace, and the anchor its manifest records; refuses a ledger that fails the guard.

    Returns:
        (path -> sha256 of every signed-off file, the new `signoff` record or None, the open problems).
        The build reports the problems and stops when there are any: nothing is written.

    Raises:
        LedgerRefused: the ledger cannot be read at all.
    """
    manifest = read_manifest(Path(pack))
    try:
        guard = examine_files(engagement_dir, pack, manifest)
        if guard.open:
            return {}, None, [f for f in guard.findings(repair_hint(engagement_dir))
                              if f.code != "signoff.ledger-repaired"]
        protected = guard.protected(rules, manifest)
    except LedgerError as exc:
        raise LedgerRefused(f"{exc}; the build cannot tell which files are signed off, so nothing was written") \
            from None
    anchor = None
    if guard.parsed.exists or guard.anchor is not None:
        anchor = Anchor(len(guard.parsed.lines), guard.parsed.head, protected, guard.waived).to_json()
    return {p: e.get("sha256") for p, e in protected.items()}, anchor, []
