"""Sign-off operations on an engagement: submit, accept, reject, status, verify.

The ledger lives in the engagement folder (sample_inputs/<engagement>/signoff.jsonl),
beside the inputs it belongs with: packs under output/ are generated and may be
deleted, the record of who accepted what may not. A submission is bound to the
SHA-256 of each file submitted, as it is on disk at that moment.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from pipeline.checks.expected import Expected
from pipeline.core.errors import ERROR, Finding, Location, PipelineError, relpath
from pipeline.core.manifest import MANIFEST, inside, sha256_file
from pipeline.core.writer import safe_name
from pipeline.ledger.anchor import Guard, _reopened, append_checked, examine_files, repair_hint
from pipeline.ledger.events import LEDGER, Event, LedgerError, line_hash, read_ledger, refusal
from pipeline.ledger.status import Rule, State, compute, pending_submission


class SignoffError(PipelineError):
    """A sign-off command refused or failed (printed as one line, exit 1)."""

    category = "signoff"


class ManifestError(SignoffError):
    """The pack's manifest.json has a field of the wrong type or a path leaving the pack (exit 2)."""

    exit_code = 2


@dataclass
class Workspace:
    """An engagement folder (ledger) and its built pack (files and manifest)."""

    engagement_dir: Path
    pack: Path
    spec_dir: Path | None = None

    @property
    def ledger(self) -> Path:
        return self.engagement_dir / LEDGER

    @cached_property
    def manifest(self) -> dict:
        from pipeline.checks.run import UsageError, read_pack_manifest

        try:
            return read_pack_manifest(self.pack)
        except UsageError as exc:
            if (self.pack / MANIFEST).is_file():
                raise ManifestError(str(exc)) from None
            raise SignoffError(f"{exc}; build the pack first or give --pack") from None

    @cached_property
    def expected(self) -> list[Expected]:
        from pipeline.checks.expected import from_manifest, from_specs, load_needed_specs

        if self.spec_dir is None:
            return from_manifest(self.manifest)
        services = [s.get("service") for s in self.manifest.get("services") or [] if isinstance(s.get("service"), int)]
        specs, _ = load_needed_specs(self.spec_dir, services)
        expected, _ = from_specs(self.manifest, specs, self.pack)
        return expected

    @cached_property
    def rules(self) -> dict[int, Rule]:
        return {s["service"]: Rule.from_json(s.get("acceptance")) for s in self.manifest.get("services") or []
                if isinstance(s, dict) and isinstance(s.get("service"), int)}

    def events(self) -> list[Event]:
        try:
            events, _ = read_ledger(self.ledger)
        except LedgerError as exc:
            raise SignoffError(str(exc)) from None
        return events

    def guard(self) -> Guard:
        """The ledger examined against what the pack recorded of it."""
        self.manifest  # noqa: B018  (validated once; the anchor below is read fresh, every write changes it)
        try:
            return examine_files(self.engagement_dir, self.pack)
        except LedgerError as exc:
            raise SignoffError(str(exc)) from None

    def find(self, name: str) -> Expected:
        """A deliverable by '09/health-report', '9/health-report' or a unique id or seed name."""
        text = name.strip()
        if "/" in text:
            svc, did = text.split("/", 1)
            hits = [e for e in self.expected
                    if svc.strip().isdigit() and e.service == int(svc) and e.deliverable == did]
        else:
            hits = [e for e in self.expected if text in (e.deliverable, e.seed_name, e.seed_name.strip("《》"))]
        if len(hits) == 1:
            return hits[0]
        if not hits:
            from difflib import get_close_matches
            keys = [e.key for e in self.expected]
            close = get_close_matches(text, keys + [e.deliverable for e in self.expected], n=3)
            raise SignoffError(f"no deliverable '{name}' in {relpath(self.pack)}"
                               + (f"; did you mean {', '.join(close)}?" if close
                                  else "; `sowpack signoff status` lists them"))
        raise SignoffError(f"'{name}' is ambiguous: {', '.join(e.key for e in hits)}; write SERVICE/ID")


def workspace(engagement_dir: Path, pack: Path | None = None, spec_dir: Path | None = None,
              out_dir: Path = Path("output")) -> Workspace:
    """The engagement and its pack (default: where `build` last wrote it, else OUT/<engagement folder name>)."""
    engagement_dir = Path(engagement_dir)
    if not engagement_dir.is_dir():
        raise SignoffError(f"{engagement_dir} is not an engagement folder")
    if pack is None:
        from pipeline.core.lastpack import last_pack
        pack = last_pack(engagement_dir) or Path(out_dir) / safe_name(engagement_dir.resolve().name)
    return Workspace(engagement_dir, Path(pack), spec_dir)


def _files(ws: Workspace, e: Expected) -> list[dict]:
    out = []
    for fmt in e.formats:
        p = inside(ws.pack, e.paths[fmt])  # never hash (or record) a file outside the pack
        out.append({"format": fmt, "path": e.paths[fmt], "sha256": sha256_file(p) if p and p.is_file() else None})
    return out


def submit(ws: Workspace, names: list[str], by: str, on: dt.date, note: str | None = None,
           reopen: bool = False, warn=None) -> list[dict]:
    """Record the submission of each deliverable, bound to its files' SHA-256.

    Every deliverable is checked first; if any fails, nothing is recorded. With reopen, the
    new version a build kept beside a signed-off file (*.new.*) is put in its place and is
    what the submission records.

    Args:
        warn: called with each warning (the same files as a rejected submission).

    Raises:
        SignoffError: a deliverable fails `sowpack check`, or is already accepted / submitted unchanged.
    """
    from pipeline.checks.pack import check_deliverable
    from pipeline.signoff.reopen import as_submitted, pending_versions, promote, rejected_unchanged

    targets = [ws.find(n) for n in names]
    staged = {e.key: pending_versions(ws, e) for e in targets} if reopen else {}
    failing: list[Finding] = []
    for e in targets:
        failing += [f for f in check_deliverable(ws.pack, as_submitted(e, staged.get(e.key, {})))
                    if f.severity == ERROR]
    if failing:
        raise SignoffError(f"{len(failing)} problem(s) in the files; nothing was submitted (fix them, then "
                           "`sowpack check`)", failing)
    guard = ws.guard()
    if guard.open:  # the ledger's state comes first: its events cannot be trusted to judge a resubmission
        raise SignoffError(refusal(ws.ledger, guard.open[0], f"accept it as it is with `sowpack signoff repair "
                                                             f"{relpath(ws.engagement_dir)} --by NAME`"))
    for e in targets:
        _refuse_resubmit(guard, e, _files(ws, e), on, reopen)
        said = rejected_unchanged(guard.parsed.events, e, _files(ws, e)) if not staged.get(e.key) else None
        if said and warn is not None:
            warn(said)
    out = []
    for e in targets:
        if staged.get(e.key):
            promote(ws, e, staged[e.key])
        files = _files(ws, e)

        def make(current: Guard, e=e, files=files):
            _refuse_resubmit(current, e, files, on, reopen)
            return {"event": "submit", "engagement": ws.manifest.get("engagement"), "service": e.service,
                    "deliverable": e.deliverable, "seed_name": e.seed_name, "on": on.isoformat(), "by": by,
                    "files": files, "note": note or None}
        out.append(_append(ws, make))
    return out


def _refuse_resubmit(guard: Guard, e: Expected, files: list[dict], on: dt.date, reopen: bool) -> None:
    events = guard.parsed.events
    mine = [ev for ev in events if (ev.service, ev.deliverable) == (e.service, e.deliverable)]
    if mine and on < max(ev.on for ev in mine):
        raise SignoffError(f"{e.key}: {on} is before its last ledger event ({max(ev.on for ev in mine)})")
    pending = pending_submission(events, e.service, e.deliverable)
    if pending is not None and pending.files == files:
        raise SignoffError(f"{e.key} was already submitted on {pending.on} with these same files and awaits review")
    from pipeline.ledger.status import last_closed
    acc = last_closed(events, e.service, e.deliverable)
    if acc is not None and pending is None and not reopen:
        raise SignoffError(f"{e.key} was accepted on {acc.on} by {acc.by}; submitting it again reopens it: "
                           "give --reopen if that is intended (a new version the build kept beside a signed-off "
                           "file, *.new.*, is then put in place)")
    # The pack remembers signed-off files the ledger may have lost (a repaired ledger).
    remembered = [s for s in (guard.anchor.signed.values() if guard.anchor else ())
                  if (s.get("service"), s.get("deliverable")) == (e.service, e.deliverable)
                  and not _reopened(events, s)]
    if acc is None and remembered and not reopen:
        raise SignoffError(f"{e.key} is signed off according to {relpath(guard.ledger.parent)}'s pack record "
                           f"({MANIFEST}), though the ledger no longer says so; give --reopen if submitting it "
                           "again is intended")


def _append(ws: Workspace, make, repair: bool = False) -> dict:
    """Append through the guard: refused while the ledger does not match the pack's record; re-anchors the pack."""
    try:
        return append_checked(ws.engagement_dir, ws.pack, make, ws.rules, repair=repair)
    except LedgerError as exc:
        raise SignoffError(str(exc)) from None


def _decide(ws: Workspace, name: str, event: str, by: str, on: dt.date, **extra) -> dict:
    e = ws.find(name)

    def make(guard):
        current = guard.parsed.events
        sub = pending_submission(current, e.service, e.deliverable)
        if sub is None:
            raise SignoffError(f"{e.key} has no submission awaiting review; `sowpack signoff submit` it first")
        if on < sub.on:
            raise SignoffError(f"{e.key}: {event} on {on} is before its submission on {sub.on}")
        return {"event": event, "engagement": ws.manifest.get("engagement"), "service": e.service,
                "deliverable": e.deliverable, "seed_name": e.seed_name, "on": on.isoformat(), "by": by,
                "submission": sub.seq, **extra}
    return _append(ws, make)


def accept(ws: Workspace, name: str, by: str, on: dt.date, note: str | None = None) -> tuple[dict, list[str]]:
    """Record the customer's acceptance of the pending submission; returns the event and warnings."""
    ev = _decide(ws, name, "accept", by, on, note=note or None)
    warnings = []
    e = ws.find(name)
    sub = next(x for x in ws.events() if x.seq == ev["submission"])
    if sub.files != _files(ws, e):
        warnings.append(f"{e.key}: the files on disk differ from those submitted on {sub.on}; the acceptance "
                        "binds the submitted ones, and `sowpack signoff verify` will fail until they are restored")
    return ev, warnings


def reject(ws: Workspace, name: str, by: str, on: dt.date, issues: list[str]) -> dict:
    """Record a rejection with its 不符点 (at least one)."""
    issues = [i.strip() for i in issues if i and i.strip()]
    if not issues:
        raise SignoffError("a rejection needs its 不符点: give --issue TEXT once per point")
    return _decide(ws, name, "reject", by, on, issues=issues)


def status(ws: Workspace, on: dt.date) -> list[State]:
    """Every deliverable of the pack (in spec order), then any the ledger names that the pack lacks."""
    deliverables = [(e.service, e.deliverable, e.seed_name) for e in ws.expected]
    return compute(ws.events(), deliverables, ws.rules, on)


def ledger_problems(ws: Workspace) -> list[Finding]:
    """The ledger's open problems (a damaged line, lines cut, the end rewritten), each with its fix."""
    return [f for f in ws.guard().findings(repair_hint(ws.engagement_dir)) if f.is_error]


def verify(ws: Workspace, on: dt.date) -> list[Finding]:
    """Findings for a damaged ledger, one that no longer matches the pack's record of it, and for signed-off
    (or submitted) files that changed since, those the pack remembers included."""
    guard = ws.guard()
    events = guard.parsed.events
    # Every recorded acceptance counts, even one dated after `on`; `on` only decides deemed acceptance.
    on = max([on] + [e.on for e in events])
    where = Location(relpath(ws.ledger))
    out = guard.findings(repair_hint(ws.engagement_dir))
    if guard.parsed.exists and guard.anchor is None and not any(p.code == "signoff.anchor-damaged"
                                                                  for p in guard.problems):
        out.append(Finding("signoff.ledger-unanchored", f"{relpath(ws.pack / MANIFEST)} records no end for this "
                           "ledger yet, so lines cut from its end cannot be detected; the next signoff command or "
                           "build records it", where))
    known = {(e.service, e.deliverable) for e in ws.expected}
    checked: set[str] = set()
    for st in compute(events, [(e.service, e.deliverable, e.seed_name) for e in ws.expected], ws.rules, on):
        if st.submission is None:
            continue
        if (st.service, st.deliverable) not in known:
            out.append(Finding("signoff.unknown-deliverable", f"{st.key} is in the ledger but not in the pack", where,
                               service=st.service, deliverable=st.deliverable))
        signed = st.state in ("accepted", "deemed-accepted")
        if st.state == "rejected":
            continue
        for f in st.submission.files:
            checked.add(f["path"])
            what = f"{st.key} ({f['format']})"
            when = f"{st.label} on {st.closed_on}" if signed else f"submitted on {st.submitted_on}"
            was = f"{st.label} ({st.closed_on or st.submitted_on})"
            found = _file_finding(ws, f["path"], f.get("sha256"), what, when, was, signed,
                                  dict(service=st.service, deliverable=st.deliverable, format=f["format"]))
            out += [found] if found else []
    # Files the pack remembers as signed off that the ledger no longer accounts for (a ledger cut or lost).
    for path, entry in sorted(guard.protected(ws.rules, ws.manifest, on).items()):
        if path in checked:
            continue
        key = f"{entry.get('service', 0):02d}/{entry.get('deliverable')}"
        found = _file_finding(ws, path, entry.get("sha256"), key, f"signed off (as {MANIFEST} records)",
                              f"signed off (as {MANIFEST} records)", True,
                              dict(service=entry.get("service"), deliverable=entry.get("deliverable")))
        out += [found] if found else []
    return out


def _file_finding(ws: Workspace, rel: str, sha: str | None, what: str, when: str, was: str, signed: bool,
                  ids: dict) -> Finding | None:
    """A finding when the file at rel (inside the pack) is gone or no longer has the recorded sha256."""
    shown = Location(f"{relpath(ws.pack)}/{rel}")  # the name in the pack, not where a link leads
    p = inside(ws.pack, rel)
    if p is None:
        return Finding("signoff.outside-pack", f"{what}: {rel} leads outside the pack (a link?), so it was not "
                       "opened; put the signed-off file itself back in the pack", shown, **ids)
    if not p.is_file():
        code = "signoff.missing-after-signoff" if signed else "signoff.changed-after-submit"
        return Finding(code, f"{what} was {was} but the file is gone", shown, **ids)
    now = sha256_file(p)
    if now != sha:
        code = "signoff.changed-after-signoff" if signed else "signoff.changed-after-submit"
        return Finding(code, f"{what} changed since it was {when} (sha256 {(sha or '')[:12]}… → {now[:12]}…)",
                       shown, **ids)
    return None


def _rules_of(manifest: dict | None) -> dict[int, Rule]:
    return {s["service"]: Rule.from_json(s.get("acceptance") if isinstance(s.get("acceptance"), dict) else None)
            for s in (manifest or {}).get("services") or []
            if isinstance(s, dict) and isinstance(s.get("service"), int)}


def repair(ws: Workspace, by: str, on: dt.date, note: str | None = None) -> tuple[dict | None, Guard]:
    """Accept the ledger as it is: append a `repair` event naming every damaged line it accepts (and the
    record of the pack it replaces), then re-anchor the pack. Returns (None, guard) when nothing is wrong.

    Works without a built pack (the build refuses a damaged ledger, so there may be none yet).
    """
    from pipeline.core.manifest import read_manifest

    manifest = read_manifest(ws.pack)
    try:
        guard = examine_files(ws.engagement_dir, ws.pack, manifest)
    except LedgerError as exc:
        raise SignoffError(str(exc)) from None
    if not guard.open:
        return None, guard

    def make(current: Guard) -> dict:
        if not current.open:
            raise SignoffError("nothing to repair any more: the ledger was repaired meanwhile")
        parsed, waives = current.parsed, {}
        for p in current.open:
            if p.code != "signoff.ledger-damaged" or p.line is None or p.line in waives:
                continue
            sha = parsed.hash_of(p.line) or (line_hash(parsed.partial) if parsed.partial else None)
            if sha:
                waives[p.line] = {"line": p.line, "sha256": sha, "prev": parsed.prev_of(p.line),
                                  "problem": p.message}
        replaced = any(p.code in ("signoff.ledger-truncated", "signoff.ledger-changed") for p in current.open)
        anchor = current.anchor
        return {"event": "repair", "engagement": (manifest or {}).get("engagement") or ws.engagement_dir.name,
                "on": on.isoformat(), "by": by, "waives": [waives[n] for n in sorted(waives)] or None,
                "anchor": {"lines": anchor.lines, "head": anchor.head} if replaced and anchor else None,
                "note": note or None}
    try:
        ev = append_checked(ws.engagement_dir, ws.pack, make, _rules_of(manifest), repair=True)
    except LedgerError as exc:
        raise SignoffError(str(exc)) from None
    return ev, guard
