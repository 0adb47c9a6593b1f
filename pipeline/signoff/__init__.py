"""Sign-off operations: submit, accept, reject, status, verify and repair against a pack.

May import: core, specs, ledger, readers, renderers, checks, overview.
"""

from pipeline.ledger.events import LEDGER, Event, LedgerError, append, read_ledger
from pipeline.signoff.ops import (SignoffError, Workspace, accept, ledger_problems, reject, repair, status, submit,
                                  verify, workspace)
from pipeline.ledger.status import LABELS, Rule, State, compute, due_date, today

__all__ = ["LEDGER", "Event", "LedgerError", "append", "read_ledger", "SignoffError", "Workspace", "accept",
           "ledger_problems", "reject", "repair", "status", "submit", "verify", "workspace", "LABELS", "Rule", "State",
           "compute", "due_date", "today"]
