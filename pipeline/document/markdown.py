"""Markdown (from templates and survey answers) -> document blocks. Raw HTML is never honoured."""
from __future__ import annotations

import hashlib
import marshal
import re
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.core import cache
from pipeline.document.nodes import Block, ListBlock, Paragraph, Run, Table
from pipeline.core.text import clean

if TYPE_CHECKING:
    from markdown_it import MarkdownIt


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    # Imported here: a build whose answers are all in the user cache never parses Markdown.
    from markdown_it import MarkdownIt

    # html=False: "<link rel=attachment ...>" in an answer stays literal text.
    return MarkdownIt("commonmark", {"html": False}).enable("table").disable(["image", "link"])


def _runs(inline) -> tuple[Run, ...]:
    runs: list[Run] = []
    bold = italic = False
    for t in inline.children or ():
        if t.type == "text":
            runs.append(Run(clean(t.content), bold, italic))
        elif t.type == "code_inline":
            runs.append(Run(clean(t.content), bold, italic, code=True))
        elif t.type == "softbreak":
            continue  # Chinese lines join without a space
        elif t.type == "hardbreak":
            runs.append(Run("\n", bold, italic))
        elif t.type == "strong_open":
            bold = True
        elif t.type == "strong_close":
            bold = False
        elif t.type == "em_open":
            italic = True
        elif t.type == "em_close":
            italic = False
        elif t.content:
            runs.append(Run(clean(t.content), bold, italic))
    merged: list[Run] = []
    for r in runs:
        if merged and (merged[-1].bold, merged[-1].italic, merged[-1].code) == (r.bold, r.italic, r.code):
            merged[-1] = Run(merged[-1].text + r.text, r.bold, r.italic, r.code)
        else:
            merged.append(r)
    return tuple(r for r in merged if r.text)


#: What may start markup anywhere in a line (entities, escapes, code, emphasis, links, tables,
#: raw HTML) or open a block at the start of one (lists, quotes, headings, rules, setext
#: underlines, fences); tabs and carriage returns too.
_MARKUP = re.compile(r"[\\`*_\[\]<>&|#\t\r]|^[-+=>]|^~~~|^\d{1,9}[.)]", re.M)


def _plain(text: str) -> list[Block] | None:
    """The paragraphs of text that holds no Markdown at all, as the parser would make them
    (lines joined without a space, as Chinese lines are); None when it may hold some.

    Most answers are plain Chinese prose: parsing them with markdown-it was the largest part
    of assembling a pack.
    """
    if _MARKUP.search(text):
        return None
    blocks: list[Block] = []
    lines: list[str] = []
    for line in text.split("\n") + [""]:
        if line != line.strip():
            return None  # indentation, trailing spaces (a hard break), blank-looking lines
        if line:
            lines.append(line)
        elif lines:
            joined = clean("".join(lines))
            if joined:
                blocks.append(Paragraph((Run(joined),)))
            lines = []
    return blocks


def to_blocks(text: str) -> list[Block]:
    """Parse Markdown into paragraphs, lists and tables.

    Text with Markdown in it is parsed once per machine: the blocks are remembered in the user
    cache (core.cache) by the text and the code that parses it.
    """
    plain = _plain(text)
    if plain is not None:
        return plain
    name = hashlib.sha256(f"{_version()}\0{text}".encode("utf-8", "surrogatepass")).hexdigest()[:40]
    return cache.remembered("markdown", name, lambda: _parse(text), lambda blocks: marshal.dumps(_pack(blocks)),
                            lambda raw: _unpack(marshal.loads(raw)))


@lru_cache(maxsize=1)
def _version() -> str:
    here = Path(__file__).resolve()
    return cache.code_digest([here, here.parent / "nodes.py"], ("markdown_it",))


def _pack(blocks: list[Block]) -> list:
    """Blocks as marshal stores them (tuples; a cache record is data, never code)."""
    def runs(rs):
        return tuple((r.text, r.bold, r.italic, r.code) for r in rs)
    out: list = []
    for b in blocks:
        if isinstance(b, Paragraph):
            out.append((0, runs(b.runs)))
        elif isinstance(b, ListBlock):
            out.append((1, tuple(runs(p.runs) for p in b.items), b.ordered))
        elif isinstance(b, Table):
            out.append((2, b.header, b.rows, b.caption))
        else:
            raise TypeError(type(b).__name__)
    return out


def _unpack(packed: list) -> list[Block]:
    def para(rs) -> Paragraph:
        return Paragraph(tuple(Run(*r) for r in rs))
    out: list[Block] = []
    for item in packed:
        if item[0] == 0:
            out.append(para(item[1]))
        elif item[0] == 1:
            out.append(ListBlock(tuple(para(p) for p in item[1]), item[2]))
        else:
            out.append(Table(tuple(item[1]), tuple(tuple(r) for r in item[2]), item[3]))
    return out


def _parse(text: str) -> list[Block]:
    tokens = _parser().parse(text)
    blocks: list[Block] = []
    i = 0
    list_stack: list[tuple[bool, list[Paragraph]]] = []
    table: dict | None = None
    while i < len(tokens):
        t = tokens[i]
        if t.type in ("bullet_list_open", "ordered_list_open"):
            list_stack.append((t.type == "ordered_list_open", []))
        elif t.type in ("bullet_list_close", "ordered_list_close"):
            ordered, items = list_stack.pop()
            if list_stack:  # nested list: flatten into the parent
                list_stack[-1][1].extend(items)
            elif items:
                blocks.append(ListBlock(tuple(items), ordered))
        elif t.type == "table_open":
            table = {"header": [], "rows": [], "row": None, "in_head": False}
        elif t.type == "thead_open" and table is not None:
            table["in_head"] = True
        elif t.type == "thead_close" and table is not None:
            table["in_head"] = False
        elif t.type == "tr_open" and table is not None:
            table["row"] = []
        elif t.type == "tr_close" and table is not None:
            (table["header"] if table["in_head"] else table["rows"]).append(table["row"])
        elif t.type == "table_close" and table is not None:
            header = tuple(table["header"][0]) if table["header"] else ()
            rows = tuple(tuple(r) + ("",) * (len(header) - len(r)) for r in table["rows"])
            blocks.append(Table(header, rows))
            table = None
        elif t.type == "inline":
            runs = _runs(t)
            if table is not None and table["row"] is not None:
                table["row"].append("".join(r.text for r in runs))
            elif runs:
                para = Paragraph(runs)
                if list_stack:
                    list_stack[-1][1].append(para)
                elif tokens[i - 1].type == "heading_open":
                    blocks.append(Paragraph(tuple(Run(r.text, True, r.italic, r.code) for r in runs)))
                else:
                    blocks.append(para)
        elif t.type in ("fence", "code_block") and t.content.strip():
            blocks.append(Paragraph((Run(clean(t.content.rstrip("\n")), code=True),)))
        i += 1
    return blocks
