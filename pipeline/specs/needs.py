"""Which sections of a deliverable need an answer: leaves whose text the kind's template does not write.

A kind's template (templates/text/<template>.md.j2) writes the sections it has a
`# Title` heading for; an answer for such a section replaces the template's text
(real minutes instead of the standard wording). A section with subsections is a
heading only: its subsections are answered, not it.
"""
from __future__ import annotations

import re
from functools import lru_cache

from pipeline.core.paths import TEMPLATES
from pipeline.specs.model import DeliverableSpec, SectionSpec

_HEADING = re.compile(r"^# +(.+?)\s*$", re.M)
#: `{% include "text/_part.md.j2" %}`: a part shared by several templates (the acceptance
#: report and form share _acceptance-ledger's 交付物清单, 验收结论 and 验收意见).
_INCLUDE = re.compile(r"""\{%-?\s*include\s+["']text/([^"'/]+)\.md\.j2["']""")


@lru_cache(maxsize=32)
def written_by_template(template: str) -> frozenset[str]:
    """The section titles the project's text template writes, its included parts' too."""
    return frozenset(_titles(template, frozenset()))


def _titles(template: str, seen: frozenset[str]) -> set[str]:
    if template in seen:
        return set()
    try:
        text = (TEMPLATES / "text" / f"{template}.md.j2").read_text(encoding="utf-8")
    except OSError:
        return set()
    out = {t.strip() for t in _HEADING.findall(text) if "{" not in t}
    for part in _INCLUDE.findall(text):
        out |= _titles(part, seen | {template})
    return out


def templated(d: DeliverableSpec, s: SectionSpec) -> bool:
    """The kind's template writes this section (an answer may still replace it)."""
    return s.title in written_by_template(d.template)


def needs_answer(d: DeliverableSpec, s: SectionSpec) -> bool:
    """A leaf section the template does not write: the build fails until it is answered."""
    return not s.children and not templated(d, s)


def needs_rows(d: DeliverableSpec) -> bool:
    """A register the answers must give rows for (a sign-in sheet lists engagement.yaml's people instead)."""
    return bool(d.columns) and d.template != "sign-in"
