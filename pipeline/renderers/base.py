"""The Renderer interface: Document -> bytes."""
from __future__ import annotations

import dataclasses
import unicodedata
from abc import ABC, abstractmethod

from pipeline.document.nodes import Chart, Document, ListBlock, Paragraph, Register, Section, Table
from pipeline.core.text import clean


class Renderer(ABC):
    """Turns a format-neutral Document into the bytes of one file."""

    #: Format name: the key of this renderer's row in core.formats.FORMATS.
    format: str = ""

    def render(self, document: Document) -> bytes:
        """Render the document; deterministic for equal input.

        Every renderer gets the document already cleaned of characters its
        format cannot hold, so none can forget to.
        """
        return self.write(cleaned(document))

    @abstractmethod
    def write(self, document: Document) -> bytes:
        """The format's own rendering of a cleaned document."""


def cleaned(document: Document) -> Document:
    """A copy of the document without the characters Office XML and PDF text cannot hold.

    Inputs are checked (and such characters rejected with their location) before
    assembly; this is the renderers' last line of defence for text that arrives by
    other roads (specs, templates, facts), so no renderer ever crashes on it.
    """
    def c(v):
        return clean(v) if isinstance(v, str) else v

    def para(p: Paragraph) -> Paragraph:
        return Paragraph(tuple(dataclasses.replace(r, text=clean(r.text)) for r in p.runs))

    def block(b):
        if isinstance(b, Paragraph):
            return para(b)
        if isinstance(b, ListBlock):
            return ListBlock(tuple(para(i) for i in b.items), b.ordered)
        if isinstance(b, Table):
            return Table(tuple(map(c, b.header)), tuple(tuple(map(c, r)) for r in b.rows), clean(b.caption))
        if isinstance(b, Chart):
            return dataclasses.replace(b, title=clean(b.title), unit=clean(b.unit),
                                       categories=tuple(map(clean, b.categories)),
                                       series=tuple((clean(n), v) for n, v in b.series))
        return b

    def section(s: Section) -> Section:
        return Section(clean(s.title), s.level, [block(b) for b in s.blocks], [section(k) for k in s.children])

    meta = dataclasses.replace(document.meta, **{f.name: c(getattr(document.meta, f.name))
                                                 for f in dataclasses.fields(document.meta)})
    reg = document.register
    if reg is not None:
        reg = Register(clean(reg.title), [dataclasses.replace(col, name=clean(col.name),
                                                              allowed=tuple(map(clean, col.allowed)))
                                          for col in reg.columns], [[c(v) for v in row] for row in reg.rows])
    return Document(meta, [section(s) for s in document.sections], reg)


def text_width(value) -> float:
    """Width in half-width characters (a CJK character counts two), for column widths."""
    s = str(value)
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


def numbered(level: int, index: int) -> str:
    """GB/T 9704 heading numbers: 一、 then （一） then 1. then （1）."""
    cn = "零一二三四五六七八九十"

    def chinese(n: int) -> str:
        if n <= 10:
            return cn[n]
        if n < 20:
            return "十" + (cn[n - 10] if n > 10 else "")
        return cn[n // 10] + "十" + (cn[n % 10] if n % 10 else "")

    if level == 1:
        return f"{chinese(index)}、"
    if level == 2:
        return f"（{chinese(index)}）"
    if level == 3:
        return f"{index}. "
    return f"（{index}）"


def iter_numbered(sections, level: int = 1, prefix=()):
    """Yield (section, number text, depth) in document order."""
    for i, s in enumerate(sections, 1):
        yield s, numbered(level, i), level
        yield from iter_numbered(s.children, level + 1)
