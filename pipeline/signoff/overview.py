"""After a sign-off command: the pack's overview page shows each deliverable's sign-off status."""
from __future__ import annotations

import datetime as dt

from pipeline.ledger.status import compute
from pipeline.overview.record import record, signoff_state


def refresh_overview(ws, on: dt.date) -> None:
    """Record every deliverable's sign-off state as of `on` on the pack's index.html."""
    states = compute(ws.events(), [(e.service, e.deliverable, e.seed_name) for e in ws.expected], ws.rules, on)
    record(ws.pack, signoff=signoff_state(states, on))
