"""Sign-off: an append-only ledger of submissions and acceptances, and each deliverable's status."""
from pipeline.signoff.ledger import LEDGER, Event, LedgerError, append, read_ledger
from pipeline.signoff.ops import (SignoffError, Workspace, accept, reject, status, submit, verify, workspace)
from pipeline.signoff.status import LABELS, Rule, State, compute, due_date, today

__all__ = ["LEDGER", "Event", "LedgerError", "append", "read_ledger", "SignoffError", "Workspace", "accept", "reject",
           "status", "submit", "verify", "workspace", "LABELS", "Rule", "State", "compute", "due_date", "today"]
