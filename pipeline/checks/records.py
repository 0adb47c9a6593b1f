"""Checks of the project records in a pack: document dates in plan order, minutes with a conclusion and actions.

Dates are read from the files as they are (Office core properties, a PDF's creation
date), else taken from the manifest: within a service nothing may be dated before its
kickoff or after its acceptance report, and minutes of a review not before the
documents they review. Minutes must state their conclusion (for a review: 通过,
有条件通过 or 不通过) and list at least one action with its owner, due date and status.
"""
from __future__ import annotations

import re
from typing import Any
from pathlib import Path

from pipeline.checks.expected import Expected
from pipeline.core.errors import Finding, Location, relpath
from pipeline.readers.common import Seen, norm_title

#: The conclusions a review meeting can reach (inputs.model.VERDICTS).
VERDICTS = ("有条件通过", "不通过", "通过")
#: How minutes state a review's verdict: 评审结论：有条件通过.
VERDICT = re.compile(r"结论\s*[:：]\s*(?:有条件通过|不通过|通过)")
#: Where minutes hold their conclusion and their actions (the minutes kind's sections).
CONCLUSION, ACTIONS = "会议结论", "待办事项"
#: Columns an actions table must fill for every action.
ACTION_COLUMNS = ("责任人", "完成时间", "状态")

def check_minutes(e: Expected, seen: Seen, path: Path) -> list[Finding]:
    """A minutes file's conclusion and actions."""
    if e.kind != "minutes" or seen.format not in ("docx", "pdf"):
        return []
    where = Location(relpath(path))
    ids: dict[str, Any] = dict(service=e.service, deliverable=e.deliverable, format=seen.format)
    out = []
    text = "".join(t.text for t in seen.texts if t.section == norm_title(CONCLUSION) and t.where in ("body", "page")
                   and norm_title(t.text) != norm_title(CONCLUSION))
    if not text.strip():
        out.append(Finding("completeness.no-conclusion", f"{e.seed_name}: the minutes state no conclusion under "
                           f"'{CONCLUSION}'", where, target=CONCLUSION, **ids))
    elif e.reviews and not VERDICT.search(text):
        out.append(Finding("completeness.no-conclusion", f"{e.seed_name}: the minutes of a review state no verdict "
                           f"under '{CONCLUSION}' ({' / '.join(reversed(VERDICTS))})", where, target=CONCLUSION, **ids))
    if not _has_actions(seen):
        out.append(Finding("completeness.no-actions", f"{e.seed_name}: the minutes list no action with its "
                           f"{'、'.join(ACTION_COLUMNS)} under '{ACTIONS}'", where, target=ACTIONS, **ids))
    return out


def _has_actions(seen: Seen) -> bool:
    if seen.format == "docx":
        for t in seen.tables:
            head = [c.strip() for c in t[0]] if t else []
            if all(c in head for c in ACTION_COLUMNS):
                cols = [head.index(c) for c in ACTION_COLUMNS]
                if any(all(j < len(r) and r[j].strip() for j in cols) for r in t[1:]):
                    return True
        return False
    # A PDF's table is text under its heading: a header naming the columns and at least one row after it.
    lines = [t.text for t in seen.texts if t.section == norm_title(ACTIONS)]
    joined = "\n".join(lines)
    return all(c in joined for c in ACTION_COLUMNS) and len([x for x in joined.splitlines() if x.strip()]) > 2


def check_dates(pack: Path, expected: list[Expected], dates: dict[tuple, str]) -> list[Finding]:
    """Within each service: nothing before the kickoff or after the acceptance report; reviews after what they review.

    Args:
        dates: (service, deliverable) -> the ISO date its files carry (else the manifest's).
    """
    out = []
    by_service: dict[int, list[Expected]] = {}
    for e in expected:
        by_service.setdefault(e.service, []).append(e)
    for service, items in by_service.items():
        day = {e.deliverable: dates.get((e.service, e.deliverable)) or e.date for e in items}
        kickoffs = [x for e in items if e.kind == "kickoff" and (x := day[e.deliverable])]
        closes = [x for e in items if e.kind == "acceptance-report" and (x := day[e.deliverable])]
        first, last = (min(kickoffs) if kickoffs else None), (max(closes) if closes else None)
        for e in items:
            d = day[e.deliverable]
            if not d:
                continue
            where = Location(relpath(pack / e.paths[e.formats[0]])) if e.formats else Location(relpath(pack))
            ids: dict[str, Any] = dict(service=service, deliverable=e.deliverable)
            if first and e.kind != "kickoff" and d < first:
                out.append(Finding("plan.before-kickoff", f"{e.seed_name} is dated {d}, before the kickoff ({first})",
                                   where, **ids))
            if last and e.kind != "acceptance-report" and d > last:
                out.append(Finding("plan.after-acceptance", f"{e.seed_name} is dated {d}, after the acceptance report "
                                   f"({last})", where, **ids))
            for r in e.reviews:
                other = day.get(r)
                if other and e.review_of == "final" and d < other:
                    out.append(Finding("plan.review-before-document", f"{e.seed_name} is dated {d}, before '{r}' "
                                       f"which the meeting reviews ({day[r]})", where, **ids))
                elif other and e.review_of == "draft" and other < d:
                    out.append(Finding("plan.final-before-review", f"'{r}' is dated {day[r]}, before the meeting "
                                       f"{e.seed_name} that reviewed its draft ({d})", where, **ids))
    return out
