"""Which output files of a pack the sign-off ledger says are signed off, so a build never replaces them.

The ledger (pipeline/ledger/events.py) is the engagement folder's signoff.jsonl:
`submit` events list the files handed over, `accept` events accept a submission.
A deliverable whose latest submission was accepted, or is deemed accepted under
its SOW's rule (review period passed, as of $SOWPACK_TODAY or today), is signed
off, and so is every file that submission lists (or, when it lists none, every
file of that deliverable in the pack's manifest). pipeline/ledger/anchor.py adds
the files the pack itself remembers, so a lost or cut ledger unprotects nothing.
"""
from __future__ import annotations

import datetime as dt

from pipeline.core.manifest import is_pack_path
from pipeline.ledger.events import Event
from pipeline.ledger.status import CLOSED, Rule, compute, today


def as_of(events: list[Event]) -> dt.date:
    """The day deemed acceptance is judged on: an acceptance in the ledger counts whatever today is.

    Raises:
        ValueError: $SOWPACK_TODAY is not a date.
    """
    return max([today()] + [ev.on for ev in events])


def ledger_signed(events: list[Event], rules: dict[int, Rule], on: dt.date,
                  manifest: dict | None = None) -> dict[str, dict]:
    """Path (relative to the pack) -> {path, sha256, service, deliverable, submission} of every signed-off file."""
    out: dict[str, dict] = {}
    for st in sorted(compute(events, [], rules, on), key=lambda st: st.key):
        if st.state not in CLOSED or st.submission is None:
            continue
        files = st.submission.files
        if not files:
            files = [d for d in (manifest or {}).get("deliverables") or [] if isinstance(d, dict)
                     and d.get("service") == st.service and d.get("deliverable") == st.deliverable]
        for f in files:
            if not isinstance(f, dict) or not is_pack_path(f.get("path")):
                continue
            sha = f.get("sha256") if isinstance(f.get("sha256"), str) else None
            out[f["path"]] = {"path": f["path"], "sha256": sha, "service": st.service,
                              "deliverable": st.deliverable, "submission": st.submission.seq}
    return out
