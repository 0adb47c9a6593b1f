"""The Renderer interface: Document -> bytes."""
from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod

from pipeline.document.nodes import Chart, ColumnDef, Document, Gantt, GanttBar, Meta, Register, Run, Section, Table
from pipeline.document.walk import walk
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

    Raises:
        TypeError: a section holds a block of a type no renderer knows.
    """
    return walk(document, _CLEAN)


def _text(value):
    return clean(value) if isinstance(value, str) else value


def _clean_meta(m: Meta) -> Meta:
    return dataclasses.replace(m, **{f.name: _text(getattr(m, f.name)) for f in dataclasses.fields(m)})


def _clean_table(t: Table) -> Table:
    return dataclasses.replace(t, header=tuple(map(_text, t.header)), rows=tuple(tuple(map(_text, r)) for r in t.rows),
                               caption=clean(t.caption))


def _clean_chart(c: Chart) -> Chart:
    return dataclasses.replace(c, title=clean(c.title), unit=clean(c.unit), categories=tuple(map(clean, c.categories)),
                               series=tuple((clean(n), v) for n, v in c.series))


#: What cleaning does to each node holding text; ListBlocks and Paragraphs hold it in their Runs.
_CLEAN = {
    Meta: _clean_meta,
    Section: lambda s: dataclasses.replace(s, title=clean(s.title)),
    Run: lambda r: dataclasses.replace(r, text=clean(r.text)),
    Table: _clean_table,
    Chart: _clean_chart,
    Gantt: lambda g: dataclasses.replace(g, title=clean(g.title)),
    GanttBar: lambda b: dataclasses.replace(b, label=clean(b.label), group=clean(b.group)),
    Register: lambda r: dataclasses.replace(r, title=clean(r.title), rows=[[_text(v) for v in row] for row in r.rows]),
    ColumnDef: lambda c: dataclasses.replace(c, name=clean(c.name), allowed=tuple(map(clean, c.allowed))),
}


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
