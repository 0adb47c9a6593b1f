"""What the SOW says about a section: an explicit `hint` in the spec, else the seed's own sentence.

The hint is shown to consultants (answers skeleton comments, `sowpack specs`) and to
customers (the questionnaire's 说明 column). It is the seed's line that names the
section's title, or shares the longest run of characters with it, within the SOW's
`seed_lines`; nothing is invented.
"""
from __future__ import annotations

import re
from functools import lru_cache

from pipeline.core.paths import SEED
from pipeline.specs.model import DeliverableSpec, SectionSpec, SowSpec

#: Longest hint kept (characters); longer seed lines are cut around the match.
MAX_HINT = 160
#: Shortest run of characters shared with the title that counts as a match.
MIN_RUN = 4
_BULLET = re.compile(r"^\s*(?:[-•·*]|\d+(?:\.\d+)*[.、)]?|[（(]?\d+[）)])\s*")


@lru_cache(maxsize=1)
def _seed_lines() -> tuple[str, ...]:
    try:
        return tuple(SEED.read_text(encoding="utf-8").splitlines())
    except OSError:
        return ()


_TAG = re.compile(r"<[^>]+>")
#: Where a seed line splits into sentences: 。；, table cells, and numbered steps ("2.根据…").
_SPLIT = re.compile(r"[。；;\t]|\s(?=\d+[.、])|<p>|</p>")


@lru_cache(maxsize=64)
def _sow_sentences(first: int, last: int) -> tuple[str, ...]:
    """The SOW's sentences (table cells and numbered steps apart), bullets and HTML tags stripped."""
    out = []
    for line in _seed_lines()[max(first - 1, 0):last]:
        for part in _SPLIT.split(line):
            text = _BULLET.sub("", _TAG.sub("", part)).strip(" ，,")
            if len(text) >= 8:
                out.append(text)
    return tuple(out)


def _cut(line: str, at: int) -> str:
    if len(line) <= MAX_HINT:
        return line
    start = max(0, min(at - MAX_HINT // 3, len(line) - MAX_HINT))
    text = line[start:start + MAX_HINT]
    return ("…" if start else "") + text + ("…" if start + MAX_HINT < len(line) else "")


def _longest_run(title: str, line: str) -> tuple[int, int]:
    """(length, position in line) of the longest substring of title found in line."""
    for n in range(len(title), MIN_RUN - 1, -1):
        for i in range(len(title) - n + 1):
            at = line.find(title[i:i + n])
            if at >= 0:
                return n, at
    return 0, -1


def seed_hint(spec: SowSpec, words: str) -> str:
    """The SOW line that best matches words ('' when none shares MIN_RUN characters)."""
    if len(spec.seed_lines) != 2:
        return ""
    best = (0, 0, "", -1)
    for line in _sow_sentences(*spec.seed_lines):
        if len(line) < len(words) + 4:
            continue  # a heading or a table cell that only repeats the title says nothing more
        n, at = _longest_run(words, line)
        # Prefer the longest shared run, then the shorter (more specific) line.
        if n and (n, -len(line)) > (best[0], best[1]):
            best = (n, -len(line), line, at)
    n, _, line, at = best
    return _cut(line, at) if n else ""


def section_hint(spec: SowSpec, d: DeliverableSpec, s: SectionSpec) -> str:
    """The spec's own hint for the section, else the seed's line about it."""
    if s.hint:
        return s.hint
    return seed_hint(spec, s.title)


def deliverable_hint(spec: SowSpec, d: DeliverableSpec) -> str:
    """The seed's line that names the deliverable."""
    return seed_hint(spec, d.seed_name.strip("《》"))
