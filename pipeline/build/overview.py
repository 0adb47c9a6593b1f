"""After a build: the pack's overview page, and where the engagement was last built (for `signoff`)."""
from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from pipeline.core.lastpack import record_last_pack


def record_build(eng, res, acceptance: dict, writer, manifest: dict, ahead: dict | None = None) -> None:
    """The pack's overview page for the manifest just written (page_state, then record), and where
    the engagement was last built.

    ahead: page_state's result and the page's files as prepared before the manifest was written
    (build/run.py _prepare_commit); renamed into place when the state is still the same.
    """
    from pipeline.overview.record import page_files

    state = page_state(eng, res, acceptance, writer)
    files = (ahead["files"] if ahead is not None and ahead["state"] == state
             else page_files(res.pack, **state, manifest=manifest))
    for name, data in (files or {}).items():
        writer.put(name, data)
    record_last_pack(eng.root, res.pack)


def page_state(eng, res, acceptance: dict, writer) -> dict:
    """The check part from what the build verified, the sign-off part from the ledger:
    {"check": ..., "signoff": ...} as overview.record takes them."""
    from pipeline.ledger.events import LEDGER, LedgerError, read_ledger
    from pipeline.ledger.status import Rule, compute
    from pipeline.overview.record import signoff_state

    items: dict[str, dict] = {}
    for o in res.outputs:
        key = o.job.key
        item = items.setdefault(key, {"status": "pass", "errors": 0, "warnings": 0})
        # Rendered now: verified before writing. Up to date: as built, unless edited by hand since.
        if not o.reasons and writer.is_edited(o.rel):
            item["status"] = "edited"
    check = {"by": "build", "on": None, "complete": all(i["status"] == "pass" for i in items.values()),
             "deliverables": items}
    signoff = None
    try:
        events, _ = read_ledger(Path(eng.root) / LEDGER)
        rules = {s: Rule(a.review_days, a.day_type, a.deemed_accepted, a.rule) for s, a in acceptance.items()}
        seen, delivs = set(), []
        for o in res.outputs:
            if o.job.key not in seen:
                seen.add(o.job.key)
                delivs.append((o.job.spec.service, o.job.deliverable.id, o.job.deliverable.seed_name))
        on = as_of(eng, events) if events else None
        signoff = signoff_state(compute(events, delivs, rules, on) if on is not None else [], on)
    except (LedgerError, ValueError):
        pass  # the sign-off commands report a damaged ledger; the page keeps what it showed
    return {"check": check, "signoff": signoff}


def as_of(eng, events) -> dt.date:
    """The day a build shows the sign-off state as of: $SOWPACK_TODAY, else the later of the last
    ledger event and the end of the last service bought (the acceptance reports' rule, ledger/view.py).
    Never the clock: building the same inputs and ledger again, another day or in another time
    zone, gives the same index.html."""
    from pipeline.ledger.status import TODAY_ENV, today

    if os.environ.get(TODAY_ENV):
        return today()
    return max([e.on for e in events] + [p.end or eng.date for p in eng.purchases])
