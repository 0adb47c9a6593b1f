"""After a build: the pack's overview page, and where the engagement was last built (for `signoff`)."""
from __future__ import annotations

from pathlib import Path

from pipeline.core.lastpack import record_last_pack


def record_build(eng, res, acceptance: dict, writer) -> None:
    """The check part from what the build verified, the sign-off part from the ledger; then the page."""
    from pipeline.ledger.events import LEDGER, LedgerError, read_ledger
    from pipeline.ledger.status import Rule, compute, today
    from pipeline.overview.record import record, signoff_state

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
        on = today() if events else None
        signoff = signoff_state(compute(events, delivs, rules, on) if on is not None else [], on)
    except (LedgerError, ValueError):
        pass  # the sign-off commands report a damaged ledger; the page keeps what it showed
    record(res.pack, check=check, signoff=signoff)
    record_last_pack(eng.root, res.pack)
