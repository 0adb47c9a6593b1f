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
    """{present, as_of, rows: {deliverable id: {...}}, total, closed, all_closed, summary} for the templates."""
    spec, package = job.spec, job.purchase.package
    try:
        events, problems = read_ledger(eng.root / LEDGER)
    except LedgerError:
        events, problems = [], [Problem(0, "unreadable")]
    events = [e for e in events if e.service == spec.service]
    if os.environ.get(TODAY_ENV):
        as_of = today()
    else:
        as_of = max([default_as_of] + [e.on for e in events])
    acc = spec.acceptance
    rule = Rule(acc.review_days, acc.day_type, acc.deemed_accepted, acc.rule)
    ds = spec.for_package(package, job.purchase.select)
    states = {s.deliverable: s for s in compute(events, [(spec.service, d.id, d.seed_name) for d in ds],
                                                {spec.service: rule}, as_of)}
    rows = {}
    for d in ds:
        st = states[d.id]
        closed_on = st.closed_on if st.state in CLOSED else None
        rows[d.id] = {"state": st.state, "status": st.label, "submitted": cn_date(st.submitted_on) or "—",
                      "due": _due_text(st), "closed": cn_date(closed_on) or "—", "closed_by": st.closed_by or "",
                      "rejected": cn_date(st.closed_on) if st.state == "rejected" else "",
                      "issues": list(st.issues)}
    others = [d.id for d in ds if d.id != job.deliverable.id]
    counts = Counter(rows[i]["state"] for i in others)
    closed = sum(counts[s] for s in CLOSED)
    summary = "、".join(f"{LABELS[s]}{counts[s]}项" for s in LABELS if counts.get(s) and s not in CLOSED)
    damaged = any(getattr(p, "waived", None) is None for p in problems)
    return {"present": bool(events), "damaged": damaged, "as_of": cn_date(as_of), "rows": rows,
            "total": len(others), "closed": closed, "deemed": counts.get("deemed-accepted", 0),
            "all_closed": bool(others) and closed == len(others), "summary": summary}

