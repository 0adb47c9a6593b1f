"""The ledger as the closing document sees it: each deliverable's dates and status.

Used by document/assemble.py for the acceptance report, which passes the document's
date as the default 'as of'. The status is computed as
of $SOWPACK_TODAY when set, else as of the later of the document's date (the
service's end) and the service's last ledger event: never the clock, so the same
inputs and ledger give the same bytes. Without a ledger every deliverable honestly
shows 未提交.
"""
from __future__ import annotations

import os
from collections import Counter

from pipeline.ledger.events import LEDGER, LedgerError, Problem, read_ledger
from pipeline.ledger.status import CLOSED, LABELS, TODAY_ENV, Rule, compute, today
from pipeline.core.text import cn_date


def _due_text(st) -> str:
    if st.submission is None:
        return "—"
    if st.due is not None:
        return cn_date(st.due)
    if st.due_note and "calendar" in st.due_note:
        return "无法计算（节假日日历尚无该年数据）"
    return "以客户确认为准"


def ledger_context(job, eng, default_as_of) -> dict:
    """What an acceptance report shows of the ledger, for the deliverables it covers.

    An acceptance report covers the deliverables of its stage (all of them when the SOW
    accepts at once), never itself nor any other acceptance report (spec.covered_by), so
    it never waits on itself or on a later stage. Its 'as of' day is $SOWPACK_TODAY, else
    the later of default_as_of and the last event on a covered deliverable, or, once all
    are accepted, the day the last one was: the report's own acceptance never changes
    what it says.

    Returns:
        {present, damaged, as_of, as_of_date, rows: {deliverable id: {...}}, covered: [ids],
        total, closed, deemed, all_closed, last_closed, summary}
    """
    spec, package = job.spec, job.purchase.package
    covered = spec.covered_by(job.deliverable, package, job.purchase.select)
    ids = {d.id for d in covered}
    try:
        events, problems = read_ledger(eng.root / LEDGER)
    except LedgerError:
        events, problems = [], [Problem(0, "unreadable")]
    events = [e for e in events if e.service == spec.service and e.deliverable in ids]
    if os.environ.get(TODAY_ENV):
        as_of = today()
    else:
        as_of = max([default_as_of] + [e.on for e in events])
    acc = spec.acceptance
    rule = Rule(acc.review_days, acc.day_type, acc.deemed_accepted, acc.rule)
    states = {s.deliverable: s for s in compute(events, [(spec.service, d.id, d.seed_name) for d in covered],
                                                {spec.service: rule}, as_of)}
    # The note the customer recorded with each acceptance (`signoff accept --note`): its opinion.
    notes: dict[str, str] = {}
    for e in sorted(events, key=lambda e: e.seq):
        st = states.get(e.deliverable)
        if (e.event == "accept" and st is not None and st.submission is not None
                and e.submission == st.submission.seq and e.on <= as_of and (e.raw.get("note") or "").strip()):
            notes[e.deliverable] = str(e.raw["note"]).strip()
    rows = {}
    for d in covered:
        st = states[d.id]
        closed_on = st.closed_on if st.state in CLOSED else None
        rows[d.id] = {"state": st.state, "status": st.label, "submitted": cn_date(st.submitted_on) or "—",
                      "due": _due_text(st), "closed": cn_date(closed_on) or "—", "closed_by": st.closed_by or "",
                      "rejected": cn_date(st.closed_on) if st.state == "rejected" else "",
                      "issues": list(st.issues), "note": notes.get(d.id, "")}
    counts = Counter(rows[d.id]["state"] for d in covered)
    closed = sum(counts[s] for s in CLOSED)
    closed_days = [day for d in covered if states[d.id].state in CLOSED and (day := states[d.id].closed_on)]
    summary = "、".join(f"{LABELS[s]}{counts[s]}项" for s in LABELS if counts.get(s) and s not in CLOSED)
    if closed_days and closed == len(covered) and not os.environ.get(TODAY_ENV):
        # Everything is accepted: the report is dated the day the last deliverable was, the day
        # it became signable (a first stage's report is not dated at the service's end). Every
        # state is the same on that day: nothing happened to these deliverables after it.
        as_of = max(closed_days)
    damaged = any(getattr(p, "waived", None) is None for p in problems)
    return {"present": bool(events), "damaged": damaged, "as_of": cn_date(as_of), "as_of_date": as_of.isoformat(),
            "rows": rows, "covered": [d.id for d in covered], "total": len(covered), "closed": closed,
            "deemed": counts.get("deemed-accepted", 0), "all_closed": bool(covered) and closed == len(covered),
            "last_closed": cn_date(max(closed_days)) if closed_days else "", "summary": summary,
            "notes": [notes[d.id] for d in covered if d.id in notes]}
