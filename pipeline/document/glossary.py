"""The glossary of a document: the terms of templates/glossary.yaml its text uses, in order of first use."""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Iterable

from pipeline.core.errors import TemplateError
from pipeline.core.paths import TEMPLATES
from pipeline.core.yamlio import load_yaml
from pipeline.document.nodes import Chart, Document, ListBlock, Paragraph, Table

GLOSSARY = TEMPLATES / "glossary.yaml"


@lru_cache(maxsize=4)
def _terms(path: str) -> tuple[tuple[str, str, bool], ...]:
    """(term, explanation, latin) of each term."""
    # A parse the user cache remembers. The glossary is project data like the specs (their codes);
    # a broken one stops the build as a template error, on one line naming its place.
    data, _, found = load_yaml(Path(path), "spec")
    if found:
        raise TemplateError(f"{found[0].location}: {found[0].message}")
    out = []
    for term, text in ((data or {}).get("terms") or {}).items():
        term = str(term)
        out.append((term, str(text), bool(_LATIN.search(term))))
    return tuple(out)


_LATIN = re.compile(r"[A-Za-z0-9]")


def _first(text: str, term: str, latin: bool) -> int:
    """Where the term is first used, or -1. A Latin term counts only as a word of its own:
    "RAM" is not in "PROGRAM". str.find, not a regular expression per term: a 10,000-row
    register's text is megabytes."""
    at = text.find(term)
    while latin and at >= 0:
        end = at + len(term)
        if not ((at and _LATIN.match(text, at - 1)) or (end < len(text) and _LATIN.match(text, end))):
            return at
        at = text.find(term, at + 1)
    return at


def _texts(doc: Document) -> Iterable[str]:
    yield doc.meta.title
    yield doc.meta.project
    for s in doc.walk():
        yield s.title
        for b in s.blocks:
            if isinstance(b, Paragraph):
                yield b.text
            elif isinstance(b, ListBlock):
                yield from (i.text for i in b.items)
            elif isinstance(b, Table):
                yield b.caption
                yield from b.header
                yield from (str(c) for r in b.rows for c in r)
            elif isinstance(b, Chart):
                yield b.title
                yield from b.categories
                yield from (name for name, _ in b.series)
    if doc.register is not None:
        yield from (c.name for c in doc.register.columns)
        yield from ("" if v is None else str(v) for r in doc.register.rows for v in r)


def glossary(doc: Document, path=GLOSSARY) -> tuple[tuple[str, str], ...]:
    """(term, explanation) of every glossary term the document's text uses, in order of first use."""
    text = "\n".join(t for t in _texts(doc) if t)
    found = []
    for term, explanation, latin in _terms(str(path)):
        at = _first(text, term, latin)
        if at >= 0:
            found.append((at, term, explanation))
    return tuple((term, explanation) for _, term, explanation in sorted(found))
