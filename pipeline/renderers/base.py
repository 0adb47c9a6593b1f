"""The Renderer interface: Document -> bytes."""
from __future__ import annotations

import dataclasses
import re
import unicodedata
from typing import Any
from abc import ABC, abstractmethod
from collections.abc import Callable
from functools import lru_cache

from pipeline.document.nodes import (Chart, ColumnDef, Diagram, Document, Gantt, GanttBar, Meta, Register, Run,
                                     Section, Table)
from pipeline.document.walk import walk
from pipeline.core.text import DRAFT_MARK, bad_char, clean, found_in_any


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

    def warm(self) -> None:  # noqa: B027 - a hook with nothing to do by default
        """Import the libraries rendering will need (see renderers.warm); nothing by default."""

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
    if isinstance(value, tuple):
        return tuple(_text(v) for v in value)
    return clean(value) if isinstance(value, str) else value


_CJK = re.compile(r"[\u3000-\u30ff\u3400-\u9fff\uff00-\uffef]")


def _run(r: Run) -> Run:
    """Clean a run; Chinese in italics is set in bold instead (CJK fonts have no italic: Word and
    LibreOffice would slant the glyphs)."""
    if r.italic and _CJK.search(r.text):
        return dataclasses.replace(r, text=clean(r.text), italic=False, bold=True)
    return dataclasses.replace(r, text=clean(r.text))


def _clean_meta(m: Meta) -> Meta:
    return dataclasses.replace(m, **{f.name: _text(getattr(m, f.name)) for f in dataclasses.fields(m)})


def _clean_table(t: Table) -> Table:
    return dataclasses.replace(t, header=tuple(map(_text, t.header)), rows=tuple(tuple(map(_text, r)) for r in t.rows),
                               caption=clean(t.caption))


def _clean_chart(c: Chart) -> Chart:
    return dataclasses.replace(c, title=clean(c.title), unit=clean(c.unit), categories=tuple(map(clean, c.categories)),
                               series=tuple((clean(n), v) for n, v in c.series))


def _clean_diagram(d: Diagram) -> Diagram:
    return dataclasses.replace(
        d, title=clean(d.title),
        nodes=tuple(dataclasses.replace(n, label=clean(n.label)) for n in d.nodes),
        groups=tuple(dataclasses.replace(g, label=clean(g.label)) for g in d.groups),
        edges=tuple(dataclasses.replace(e, label=clean(e.label)) for e in d.edges))


#: What cleaning does to each node holding text; ListBlocks and Paragraphs hold it in their Runs.
_CLEAN: dict[type, Callable[[Any], Any]] = {
    Meta: _clean_meta,
    Section: lambda s: dataclasses.replace(s, title=clean(s.title)),
    Run: _run,
    Table: _clean_table,
    Chart: _clean_chart,
    Diagram: _clean_diagram,
    Gantt: lambda g: dataclasses.replace(g, title=clean(g.title)),
    GanttBar: lambda b: dataclasses.replace(b, label=clean(b.label), group=clean(b.group)),
    Register: lambda r: dataclasses.replace(r, title=clean(r.title), rows=_clean_rows(r.rows)),
    ColumnDef: lambda c: dataclasses.replace(c, name=clean(c.name), allowed=tuple(map(clean, c.allowed))),
}


def _clean_rows(rows: list[list]) -> list[list]:
    """A register's rows, cleaned cell by cell only when one search over all its text finds something to clean."""
    if (not any(isinstance(v, tuple) for row in rows for v in row)
            and not found_in_any(bad_char, (v for row in rows for v in row if isinstance(v, str)))):
        return [list(row) for row in rows]
    return [[_text(v) for v in row] for row in rows]


def text_width(value) -> float:
    """Width in half-width characters (a wide or full-width character, CJK, counts two), for column widths."""
    s = str(value)
    if s.isascii():
        return len(s)
    if _ASTRAL.search(s):
        return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)
    return len(s.translate(_wide_table()))  # a 10,000-row register measures 80,000 cells


_ASTRAL = re.compile("[\U00010000-\U0010FFFF]")


@lru_cache(maxsize=1)
def _wide_table() -> dict[int, str]:
    """str.translate's table doubling each wide or full-width character of the BMP (none is below U+1100)."""
    return {cp: "  " for cp in range(0x1100, 0x10000) if unicodedata.east_asian_width(chr(cp)) in "WF"}


def front_matter(m: Meta) -> list[tuple[str, tuple[str, ...] | None, list[tuple[str, ...]]]]:
    """The document-control pages every Word and PDF document opens with, as (title, header, rows):
    a page title (header None), then document information, the revision history with its
    approver, the distribution list and, when the text uses any, the glossary."""
    status = f"{DRAFT_MARK}（待全部交付物验收后定稿）" if m.draft else "正式"
    out: list[tuple[str, tuple[str, ...] | None, list[tuple[str, ...]]]] = [
        ("文档控制", None, []),
        ("文档信息", ("项目", "内容"), [("客户", m.customer), ("项目名称", m.project), ("服务", m.service_line),
                                    ("文档名称", m.title), ("文档状态", status), ("密级", m.classification)]),
        ("修订记录", ("版本", "日期", "作者", "审核人", "批准人", "修订说明"),
         [(m.version, m.date_cn, m.author or "—", m.reviewer or "—", m.approver or "—",
           "草稿，供审阅" if m.draft else "首次发布")]),
    ]
    if m.distribution:
        out.append(("分发范围", ("序号", "姓名", "单位", "角色"),
                    [(str(i), name, org, role) for i, (name, org, role) in enumerate(m.distribution, 1)]))
    if m.glossary:
        out.append(("术语与缩略语", ("术语", "说明"), [tuple(t) for t in m.glossary]))
    return out


def core_properties(cp, m: Meta) -> None:
    """Core properties of a Word or PowerPoint file: the document's own, none of the library's
    ("generated by python-docx", "Steve Canny")."""
    cp.title, cp.subject = m.title, m.project
    cp.author = cp.last_modified_by = m.author or m.vendor
    cp.comments = f"{m.customer}：{m.service_line}"
    cp.keywords = "；".join(x for x in (m.customer_short, m.service_title) if x)
    cp.category = f"密级：{m.classification}"
    cp.language = "zh-CN"
    cp.revision = 1


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


#: A run that must not break across lines: an ID, an address, a CIDR, a date, a version.
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:/\-@#%+=]*[A-Za-z0-9%]|[A-Za-z0-9]")


#: A Latin letter or digit is budgeted wider than half a CJK character: Word sets Times New Roman,
#: but LibreOffice and readers without it substitute wider faces (DejaVu Serif), and a token
#: must fit whichever face the reader has.
LATIN_UNITS = 1.3


def _width(text: str) -> float:
    """Width in half-width units: a CJK character is 2, a Latin character LATIN_UNITS."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else LATIN_UNITS for c in text)


def column_widths(header, rows, total: float) -> list[float]:
    """Column widths (in half-width character units, summing to total) that follow the content.

    Every column gets at least its header and its longest unbreakable token (an ID, an
    address, a CIDR such as 10.64.0.0/16 never splits inside), a short column stays
    short, and what is left goes to the columns holding long text, up to their natural
    width; the widths then fill the type area.

    Args:
        header: the header cells.
        rows: the body rows.
        total: the width to fill, in half-width units.
    """
    n = max([len(header)] + [len(r) for r in rows]) or 1
    floors, natural = [], []
    for j in range(n):
        head = str(header[j]) if j < len(header) else ""
        cells = ["" if j >= len(r) or r[j] is None else str(r[j]) for r in rows]
        token = max([_width(t) for c in cells for t in _TOKEN.findall(c)] + [0])
        longest = max([_width(c) for c in cells] + [0])
        # A header may wrap between its characters; a column of short values (高, 无需处理)
        # shows each on one line; cell padding takes about 3 units.
        floor = max(min(_width(head), 4), token, longest if longest <= 6 else 0, 4) + 3
        floors.append(floor)
        natural.append(max(floor, min(max(longest, _width(head)), 120) + 3))
    if sum(floors) >= total:
        # Too many columns for the page: shrink every one alike (tokens may then wrap).
        return [total * f / sum(floors) for f in floors]
    spare = total - sum(floors)
    wants = [nat - f for nat, f in zip(natural, floors, strict=True)]
    if sum(wants) <= spare:
        # Everything fits at its natural width: the rest is shared in proportion, to fill the area.
        extra = spare - sum(wants)
        return [nat + extra * nat / sum(natural) for nat in natural]
    return [f + spare * w / sum(wants) for f, w in zip(floors, wants, strict=True)]
