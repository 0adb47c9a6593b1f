"""Word reader for `sowpack check`: headings by style or outline level, TOC fields, headers, footers, notes."""
from __future__ import annotations

import re

from pipeline.readers.common import MC, W, Heading, Seen, Text, UnreadableFile, _Package, norm_title

#: Text Word shows in a TOC field that was inserted but never updated.
TOC_UNREFRESHED = re.compile(r"右键|更新域|未找到目录项|No table of contents entries|update field|"
                             r"Right-click|Error! No", re.I)
_STYLE_CACHE: dict[tuple[int, int], dict] = {}


def _docx_styles(pkg: _Package, rels: dict) -> dict[str, tuple[str, int | None]]:
    """styleId -> (lowercase name, heading level or None), following basedOn.

    Every document of a pack shares the reference styles: the map is cached by the
    part's CRC and size, which saves parsing the largest part of each file again.
    """
    part = next((n for t, n in rels.values() if t == "styles"), None)
    if part is None or part not in pkg.names:
        return {}
    info = pkg.zf.getinfo(part)
    key = (info.CRC, info.file_size)
    if key not in _STYLE_CACHE:
        if len(_STYLE_CACHE) > 64:
            _STYLE_CACHE.clear()
        _STYLE_CACHE[key] = _parse_styles(pkg, part)
    return _STYLE_CACHE[key]


def _parse_styles(pkg: _Package, part: str) -> dict[str, tuple[str, int | None]]:
    raw: dict[str, tuple[str, str | None, int | None]] = {}
    for st in pkg.xml(part).iter(W + "style"):
        sid = st.get(W + "styleId")
        name_el = st.find(W + "name")
        name = (name_el.get(W + "val") if name_el is not None else sid or "").lower()
        based = st.find(W + "basedOn")
        lvl = st.find(f"{W}pPr/{W}outlineLvl")
        level = int(lvl.get(W + "val")) + 1 if lvl is not None and lvl.get(W + "val", "").isdigit() else None
        m = re.fullmatch(r"heading ([1-9])", name)
        if m:
            level = int(m.group(1))
        raw[sid] = (name, based.get(W + "val") if based is not None else None, level)
    out = {}
    for sid, (name, based, level) in raw.items():
        seen, cur = {sid}, based
        while level is None and cur in raw and cur not in seen:
            seen.add(cur)
            level, cur = raw[cur][2], raw[cur][1]
        out[sid] = (name, level if level is not None and level <= 9 else None)
    return out


class _Fields:
    """Complex-field state across runs: which field instructions enclose the current text."""

    def __init__(self) -> None:
        self.stack: list[list] = []  # [instruction, in result part]

    def feed(self, el) -> None:
        if el.tag == W + "fldChar":
            t = el.get(W + "fldCharType")
            if t == "begin":
                self.stack.append(["", False])
            elif t == "separate" and self.stack:
                self.stack[-1][1] = True
            elif t == "end" and self.stack:
                self.stack.pop()
        elif el.tag == W + "instrText" and self.stack:
            self.stack[-1][0] += el.text or ""

    @property
    def in_toc(self) -> bool:
        return any(instr.strip().upper().startswith("TOC") for instr, _ in self.stack)

    @property
    def in_instruction(self) -> bool:
        return bool(self.stack) and not self.stack[-1][1]


_TEXT_TAGS = (W + "t", W + "tab", W + "br", W + "cr", W + "fldChar", W + "instrText", W + "drawing", W + "pict",
              W + "fldSimple", W + "moveFrom", W + "del", W + "noBreakHyphen")
#: Characters a writer adds only to steer line breaking (a break opportunity after 、): not text.
BREAK_HINTS = str.maketrans("", "", "\u200b")


def _para_text(p, fields: _Fields) -> tuple[str, bool, bool]:
    """(visible text, has picture, is inside a TOC field) of a w:p; tabs as \\t."""
    parts: list[str] = []
    pic = False
    toc = fields.in_toc
    for el in _iter_para(p):
        tag = el.tag
        if tag == W + "fldChar" or tag == W + "instrText":
            fields.feed(el)
            toc = toc or fields.in_toc
        elif tag == W + "t":
            if not fields.in_instruction:
                parts.append((el.text or "").translate(BREAK_HINTS))
        elif tag == W + "noBreakHyphen":
            parts.append("-")
        elif tag == W + "tab":
            parts.append("\t")
        elif tag in (W + "br", W + "cr"):
            parts.append("\n")
        elif tag in (W + "drawing", W + "pict"):
            pic = True
        elif tag == W + "fldSimple" and (el.get(W + "instr") or "").strip().upper().startswith("TOC"):
            toc = True
    return "".join(parts), pic, toc


def _iter_para(p):
    """Descendants of a paragraph in document order, minus deleted/moved-away text and fallbacks."""
    for child in p:
        if not isinstance(child.tag, str) or child.tag in (MC + "Fallback", W + "del", W + "moveFrom",
                                                             W + "pPr", W + "rPr"):
            continue
        if child.tag in _TEXT_TAGS:
            yield child
            if child.tag in (W + "drawing", W + "pict", W + "fldSimple"):
                # Text boxes inside a drawing are text too.
                for t in child.iter(W + "t"):
                    yield t
            continue
        yield from _iter_para(child)


def _cell_text(tc) -> str:
    return "\n".join("".join("-" if t.tag == W + "noBreakHyphen" else (t.text or "").translate(BREAK_HINTS)
                             for t in _iter_para(p) if t.tag in (W + "t", W + "noBreakHyphen"))
                     for p in tc.iter(W + "p"))


def read_docx(pkg: _Package) -> Seen:
    main = pkg.main()
    rels = pkg.rels(main)
    styles = _docx_styles(pkg, rels)
    seen = Seen("docx")
    body = pkg.xml(main).find(W + "body")
    if body is None:
        raise UnreadableFile("corrupt: the document has no body")
    fields = _Fields()
    toc_entries: list[str] = []
    toc_found = False
    toc_unrefreshed = False
    current: Heading | None = None

    def walk(container):
        nonlocal current, toc_found, toc_unrefreshed
        for el in container:
            tag = el.tag
            if tag == W + "p":
                name, level = _para_style(el, styles)
                text, pic, in_toc = _para_text(el, fields)
                if in_toc:
                    toc_found = True
                    entry = text.split("\t")[0].strip()
                    if TOC_UNREFRESHED.search(text):
                        toc_unrefreshed = True
                    elif entry and (name.startswith("toc ") or name.startswith("toc")):
                        toc_entries.append(entry)
                    if text.strip():
                        seen.texts.append(Text(text, "body", current.title if current else None))
                    continue
                if level is not None and text.strip():
                    current = Heading(norm_title(text), level, 0, text.strip())
                    seen.headings.append(current)
                elif (text.strip() or pic) and current is not None:
                    current.content += len(re.sub(r"\s+", "", text)) + (10 if pic else 0)
                    current.pictures += 1 if pic else 0
                if text.strip():
                    seen.texts.append(Text(text, "body", current.title if current else None))
            elif tag == W + "tbl":
                _table(el, seen, current)
            elif tag in (W + "sdt", W + "customXml", W + "ins", W + "smartTag"):
                if tag == W + "sdt":
                    gallery = el.find(f"{W}sdtPr/{W}docPartObj/{W}docPartGallery")
                    if gallery is not None and "contents" in (gallery.get(W + "val") or "").lower():
                        toc_found = True
                inner = el.find(W + "sdtContent") if tag == W + "sdt" else el
                if inner is not None:
                    walk(inner)
            elif tag == W + "sectPr":
                _page(el, seen)

    walk(body)
    if toc_found:
        seen.toc = {"entries": toc_entries, "unrefreshed": toc_unrefreshed}
    _other_parts(pkg, rels, seen)
    return seen


def _page(sect, seen: Seen) -> None:
    pg = sect.find(W + "pgSz")
    if pg is not None and pg.get(W + "w") and pg.get(W + "h"):
        w, h = int(pg.get(W + "w")), int(pg.get(W + "h"))
        seen.page_mm = (round(w / 1440 * 25.4), round(h / 1440 * 25.4))


def _para_style(p, styles: dict) -> tuple[str, int | None]:
    """(lowercase style name, heading level or None) of a w:p; a direct outline level wins over the style's."""
    ppr = p.find(W + "pPr")
    sid = None
    level = None
    if ppr is not None:
        ps = ppr.find(W + "pStyle")
        sid = ps.get(W + "val") if ps is not None else None
        ol = ppr.find(W + "outlineLvl")
        if ol is not None and ol.get(W + "val", "").isdigit() and int(ol.get(W + "val")) < 9:
            level = int(ol.get(W + "val")) + 1
    name, style_level = styles.get(sid, ((sid or "normal").lower(), None))
    return name, level or style_level


def _table(tbl, seen: Seen, current: Heading | None) -> None:
    """A w:tbl: its rows, its cells' text, and its body rows' length into the heading above."""
    rows = []
    for tr in tbl.iter(W + "tr"):
        rows.append([_cell_text(tc) for tc in tr if tc.tag == W + "tc" or tc.tag == W + "sdt"])
    seen.tables.append(rows)
    for r in rows:
        for c in r:
            if c.strip():
                seen.texts.append(Text(c, "table", current.title if current else None))
    if current is not None and len(rows) > 1:
        current.content += sum(len(c.strip()) for r in rows[1:] for c in r)


def _other_parts(pkg: _Package, rels: dict, seen: Seen) -> None:
    """The text of headers, footers, footnotes, endnotes and comments."""
    for rtype, part in sorted(rels.values(), key=lambda x: x[1]):
        if rtype in ("header", "footer", "footnotes", "endnotes", "comments") and part in pkg.names:
            where = rtype.rstrip("s") if rtype != "comments" else "comment"
            for p in pkg.xml(part).iter(W + "p"):
                text, _, _ = _para_text(p, _Fields())
                if text.strip():
                    seen.texts.append(Text(text, where))
