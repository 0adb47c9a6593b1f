"""Fast readers for `sowpack check`: open a file as it is on disk and see what a reader sees.

The Office formats are read straight from their XML parts with lxml (a tenth of the
time python-docx, python-pptx and openpyxl take to build their object models, which
keeps a full pack of every SOW under the time budget). The readers follow what Word,
PowerPoint and Excel write after a hand edit: tracked insertions (deletions are not
text), content controls (a refreshed Word TOC sits in one), nested fields, styles
inherited through basedOn, headings by outline level, header rows below a title row.

Every reader raises UnreadableFile or WrongType, never anything else.
"""
from __future__ import annotations

import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from pipeline.text import strip_number

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
P = "{http://schemas.openxmlformats.org/presentationml/2006/main}"
S = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
PR = "{http://schemas.openxmlformats.org/package/2006/relationships}"
CT = "{http://schemas.openxmlformats.org/package/2006/content-types}"
MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"

#: Main-part content types -> format; macro-enabled and template variants included.
MAIN_TYPES = (("wordprocessingml", "docx"), ("spreadsheetml", "xlsx"), ("presentationml", "pptx"),
              ("ms-word.", "docx"), ("ms-excel.", "xlsx"), ("ms-powerpoint.", "pptx"))
FORMAT_NAMES = {"docx": "a Word document", "xlsx": "an Excel workbook", "pptx": "a PowerPoint deck",
                "pdf": "a PDF", "ole": "a legacy Office file (.doc/.xls/.ppt) or an encrypted one"}
#: Text Word shows in a TOC field that was inserted but never updated.
TOC_UNREFRESHED = re.compile(r"右键|更新域|未找到目录项|No table of contents entries|update field|"
                             r"Right-click|Error! No", re.I)
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_blank_text=False)


class UnreadableFile(Exception):
    """The file is empty, corrupt or truncated."""


class WrongType(UnreadableFile):
    """The file is readable but is not what its extension says."""


@dataclass
class Heading:
    """A heading (docx/pdf), slide title (pptx) or 章节 row (xlsx) with the body under it."""

    title: str  # number prefix stripped, whitespace removed
    level: int
    content: int = 0  # characters of body text, tables and pictures before the next heading
    shown: str = ""  # as written


@dataclass
class Text:
    """One piece of visible text and where it is."""

    text: str
    where: str  # body, table, header, footer, footnote, comment, notes, cell
    section: str | None = None  # heading it sits under (docx/pptx/pdf) or column (xlsx)
    cell: str | None = None
    sheet: str | None = None


@dataclass
class Sheet:
    """A worksheet's non-empty rows; the checks decide which row is the header."""

    name: str
    grid: list[tuple[int, list[str]]]  # (1-based row number, cell texts by column index)


@dataclass
class Seen:
    """What a reader of one file sees."""

    format: str
    headings: list[Heading] = field(default_factory=list)
    texts: list[Text] = field(default_factory=list)
    tables: list[list[list[str]]] = field(default_factory=list)
    sheets: list[Sheet] = field(default_factory=list)
    #: docx: None when there is no TOC field, else {"entries": [...], "unrefreshed": bool}
    toc: dict | None = None
    page_mm: tuple[int, int] | None = None
    #: pdf: (font name, embedded)
    fonts: list[tuple[str, bool]] = field(default_factory=list)


def norm_title(text: str) -> str:
    """Heading text as compared with a spec title: number prefix and all whitespace removed."""
    return re.sub(r"\s+", "", strip_number(text))


def sniff(path: Path) -> str:
    """What the bytes are: zip, pdf, ole, empty or unknown."""
    with open(path, "rb") as fh:
        head = fh.read(8)
    if not head:
        return "empty"
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return "zip"
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "ole"
    return "unknown"


def read(path: Path, fmt: str | None = None) -> Seen:
    """Read a file as format fmt (default: its extension).

    Raises:
        WrongType: the bytes are another format than the extension says.
        UnreadableFile: empty, corrupt or truncated.
    """
    fmt = fmt or path.suffix.lstrip(".").lower()
    try:
        kind = sniff(path)
    except OSError as exc:
        raise UnreadableFile(f"cannot open: {exc.strerror}") from None
    if kind == "empty":
        raise UnreadableFile("the file is empty (0 bytes)")
    try:
        if fmt == "pdf":
            if kind != "pdf":
                raise _wrong(fmt, kind, path)
            return _read_pdf(path)
        if fmt not in ("docx", "xlsx", "pptx"):
            raise UnreadableFile(f"no reader for '.{fmt}' files")
        if kind != "zip":
            raise _wrong(fmt, kind, path)
        try:
            zf = zipfile.ZipFile(path)
        except zipfile.BadZipFile:
            raise UnreadableFile("corrupt or truncated: the zip directory at the end of the file is missing") from None
        with zf:
            pkg = _Package(zf)
            actual = pkg.format()
            if actual != fmt:
                raise WrongType(f"this is {FORMAT_NAMES.get(actual, 'not an Office file')}, not "
                                f"{FORMAT_NAMES[fmt]} (wrong extension?)")
            return {"docx": _read_docx, "xlsx": _read_xlsx, "pptx": _read_pptx}[fmt](pkg)
    except UnreadableFile:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, etree.XMLSyntaxError, KeyError, ValueError,
            IndexError, OSError) as exc:
        raise UnreadableFile(f"corrupt or truncated ({type(exc).__name__}: {str(exc)[:160]})") from None


def _wrong(fmt: str, kind: str, path: Path) -> UnreadableFile:
    if kind == "unknown":
        return UnreadableFile(f"not {FORMAT_NAMES[fmt]}: the file starts with {_head(path)!r}")
    if kind == "zip" and fmt == "pdf":
        return WrongType("this is a zip (an Office file?), not a PDF (wrong extension?)")
    return WrongType(f"this is {FORMAT_NAMES.get(kind, kind)}, not {FORMAT_NAMES[fmt]} (wrong extension?)")


def _head(path: Path) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(12)


# --- OPC package ---------------------------------------------------------------
class _Package:
    """Parts and relationships of an Office Open XML zip."""

    def __init__(self, zf: zipfile.ZipFile) -> None:
        self.zf = zf
        self.names = set(zf.namelist())
        self._cache: dict[str, etree._Element] = {}

    def xml(self, name: str) -> etree._Element:
        if name not in self._cache:
            try:
                data = self.zf.read(name)
            except KeyError:
                raise UnreadableFile(f"corrupt: the part '{name}' is missing") from None
            except (zipfile.BadZipFile, EOFError, OSError) as exc:
                raise UnreadableFile(f"corrupt or truncated part '{name}' ({exc})") from None
            self._cache[name] = etree.fromstring(data, _PARSER)
        return self._cache[name]

    def rels(self, part: str) -> dict[str, tuple[str, str]]:
        """rId -> (type suffix, part name) for the part's relationships."""
        d, base = posixpath.split(part)
        rels_name = posixpath.join(d, "_rels", base + ".rels")
        if rels_name not in self.names:
            return {}
        out = {}
        for r in self.xml(rels_name).iter(PR + "Relationship"):
            if r.get("TargetMode") == "External":
                continue
            target = r.get("Target", "")
            name = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(d, target))
            out[r.get("Id")] = (r.get("Type", "").rsplit("/", 1)[-1], name)
        return out

    def main(self) -> str:
        for rtype, name in self.rels("").values():
            if rtype == "officeDocument":
                return name
        raise UnreadableFile("not an Office Open XML package: no main document part")

    def format(self) -> str | None:
        if "[Content_Types].xml" not in self.names:
            return None
        main = "/" + self.main()
        for o in self.xml("[Content_Types].xml").iter(CT + "Override"):
            if o.get("PartName") == main:
                ctype = o.get("ContentType", "")
                return next((f for key, f in MAIN_TYPES if key in ctype), None)
        return None


# --- docx ---------------------------------------------------------------------
def _docx_styles(pkg: _Package, rels: dict) -> dict[str, tuple[str, int | None]]:
    """styleId -> (lowercase name, heading level or None), following basedOn."""
    part = next((n for t, n in rels.values() if t == "styles"), None)
    if part is None or part not in pkg.names:
        return {}
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
              W + "fldSimple", W + "moveFrom", W + "del")


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
                parts.append(el.text or "")
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
    return "\n".join("".join(t.text or "" for t in _iter_para(p) if t.tag == W + "t") for p in tc.iter(W + "p"))


def _read_docx(pkg: _Package) -> Seen:
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
                ppr = el.find(W + "pPr")
                sid = None
                level = None
                if ppr is not None:
                    ps = ppr.find(W + "pStyle")
                    sid = ps.get(W + "val") if ps is not None else None
                    ol = ppr.find(W + "outlineLvl")
                    if ol is not None and ol.get(W + "val", "").isdigit() and int(ol.get(W + "val")) < 9:
                        level = int(ol.get(W + "val")) + 1
                name, style_level = styles.get(sid, ((sid or "normal").lower(), None))
                level = level or style_level
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
                if text.strip():
                    seen.texts.append(Text(text, "body", current.title if current else None))
            elif tag == W + "tbl":
                rows = []
                for tr in el.iter(W + "tr"):
                    rows.append([_cell_text(tc) for tc in tr if tc.tag == W + "tc" or tc.tag == W + "sdt"])
                seen.tables.append(rows)
                for r in rows:
                    for c in r:
                        if c.strip():
                            seen.texts.append(Text(c, "table", current.title if current else None))
                if current is not None and len(rows) > 1:
                    current.content += sum(len(c.strip()) for r in rows[1:] for c in r)
            elif tag in (W + "sdt", W + "customXml", W + "ins", W + "smartTag"):
                if tag == W + "sdt":
                    gallery = el.find(f"{W}sdtPr/{W}docPartObj/{W}docPartGallery")
                    if gallery is not None and "contents" in (gallery.get(W + "val") or "").lower():
                        toc_found = True
                inner = el.find(W + "sdtContent") if tag == W + "sdt" else el
                if inner is not None:
                    walk(inner)
            elif tag == W + "sectPr":
                _page(el)

    def _page(sect):
        pg = sect.find(W + "pgSz")
        if pg is not None and pg.get(W + "w") and pg.get(W + "h"):
            w, h = int(pg.get(W + "w")), int(pg.get(W + "h"))
            seen.page_mm = (round(w / 1440 * 25.4), round(h / 1440 * 25.4))

    walk(body)
    if toc_found:
        seen.toc = {"entries": toc_entries, "unrefreshed": toc_unrefreshed}
    for rtype, part in sorted(rels.values(), key=lambda x: x[1]):
        if rtype in ("header", "footer", "footnotes", "endnotes", "comments") and part in pkg.names:
            where = rtype.rstrip("s") if rtype != "comments" else "comment"
            for p in pkg.xml(part).iter(W + "p"):
                text, _, _ = _para_text(p, _Fields())
                if text.strip():
                    seen.texts.append(Text(text, where))
    return seen


# --- pptx ---------------------------------------------------------------------
def _a_paragraphs(el) -> list[str]:
    return ["".join(t.text or "" for t in p.iter(A + "t")) for p in el.iter(A + "p")]


def _read_pptx(pkg: _Package) -> Seen:
    main = pkg.main()
    rels = pkg.rels(main)
    seen = Seen("pptx")
    lst = pkg.xml(main).find(P + "sldIdLst")
    ids = [s.get(R + "id") for s in lst] if lst is not None else []
    layout_names: dict[str, str] = {}
    for n, rid in enumerate(ids, 1):
        if rid not in rels:
            raise UnreadableFile(f"corrupt: slide {n} is listed but its part is missing")
        part = rels[rid][1]
        srels = pkg.rels(part)
        layout = ""
        notes = None
        for rtype, target in srels.values():
            if rtype == "slideLayout" and target in pkg.names:
                if target not in layout_names:
                    csld = pkg.xml(target).find(P + "cSld")
                    layout_names[target] = (csld.get("name") if csld is not None else "") or ""
                layout = layout_names[target]
            elif rtype == "notesSlide" and target in pkg.names:
                notes = target
        tree = pkg.xml(part).find(f"{P}cSld/{P}spTree")
        title, body = "", 0
        where = f"slide {n}"
        texts: list[tuple[str, str]] = []
        for sp in (tree.iter(P + "sp") if tree is not None else ()):
            ph = sp.find(f"{P}nvSpPr/{P}nvPr/{P}ph")
            ptype = ph.get("type") if ph is not None else None
            paras = [t for t in _a_paragraphs(sp) if t.strip()]
            if ptype in ("title", "ctrTitle") and not title:
                title = "".join(_a_paragraphs(sp)).strip()
                continue
            for t in paras:
                texts.append((t, where))
                if ptype not in ("dt", "ftr", "sldNum"):
                    body += len(re.sub(r"\s+", "", t))
        for gf in (tree.iter(P + "graphicFrame") if tree is not None else ()):
            tbl = gf.find(f".//{A}tbl")
            if tbl is not None:
                rows = [["\n".join(_a_paragraphs(tc)) for tc in tr.iter(A + "tc")] for tr in tbl.iter(A + "tr")]
                seen.tables.append(rows)
                for r in rows:
                    texts.extend((c, where) for c in r if c.strip())
                body += sum(len(c.strip()) for r in rows[1:] for c in r)
            elif gf.find(f".//{A}graphicData") is not None and "chart" in (gf.find(f".//{A}graphicData").get("uri") or ""):
                body += 10
        if tree is not None and any(True for _ in tree.iter(P + "pic")):
            body += 10
        if title:
            seen.texts.append(Text(title, where, norm_title(title)))
            level = 1 if layout.lower() in ("section header", "节标题") else 2
            seen.headings.append(Heading(norm_title(title), level, body, title))
        sect = norm_title(title) if title else None
        seen.texts.extend(Text(t, w, sect) for t, w in texts)
        if notes is not None:
            nt = pkg.xml(notes).find(f"{P}cSld/{P}spTree")
            for sp in (nt.iter(P + "sp") if nt is not None else ()):
                ph = sp.find(f"{P}nvSpPr/{P}nvPr/{P}ph")
                if ph is not None and ph.get("type") in ("sldImg", "sldNum", "hdr", "dt", "ftr"):
                    continue
                seen.texts.extend(Text(t, f"notes of slide {n}", sect) for t in _a_paragraphs(sp) if t.strip())
    return seen


# --- xlsx ---------------------------------------------------------------------
_CELL = re.compile(r"([A-Z]+)(\d+)")


def _col_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def _col_letter(i: int) -> str:
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


def _read_xlsx(pkg: _Package) -> Seen:
    main = pkg.main()
    rels = pkg.rels(main)
    shared: list[str] = []
    sst = next((n for t, n in rels.values() if t == "sharedStrings"), None)
    if sst and sst in pkg.names:
        for si in pkg.xml(sst).iter(S + "si"):
            shared.append("".join(t.text or "" for t in si.iter(S + "t") if t.getparent().tag != S + "rPh"))
    seen = Seen("xlsx")
    sheets_el = pkg.xml(main).find(S + "sheets")
    for sh in (sheets_el if sheets_el is not None else ()):
        name = sh.get("name", "")
        rid = sh.get(R + "id")
        if rid not in rels or rels[rid][0] != "worksheet":
            continue  # chartsheets and dialog sheets hold no register
        ws = pkg.xml(rels[rid][1])
        grid: list[tuple[int, list[str]]] = []
        for row in ws.iter(S + "row"):
            rnum = int(row.get("r")) if row.get("r", "").isdigit() else (grid[-1][0] + 1 if grid else 1)
            cells: list[str] = []
            for j, c in enumerate(row.iter(S + "c")):
                ref = c.get("r")
                m = _CELL.match(ref or "")
                col = _col_index(m.group(1)) if m else j
                t = c.get("t")
                if t == "inlineStr":
                    val = "".join(x.text or "" for x in c.iter(S + "t"))
                else:
                    v = c.find(S + "v")
                    val = v.text if v is not None and v.text is not None else ""
                    if t == "s" and val.strip().isdigit():
                        k = int(val)
                        val = shared[k] if k < len(shared) else ""
                    elif t == "b":
                        val = "TRUE" if val == "1" else "FALSE"
                while len(cells) <= col:
                    cells.append("")
                cells[col] = val
                if val.strip():
                    seen.texts.append(Text(val, "cell", None, f"{_col_letter(col)}{rnum}", name))
            if any(x.strip() for x in cells):
                grid.append((rnum, cells))
        hf = ws.find(S + "headerFooter")
        if hf is not None:
            for part in hf:
                if part.text and part.text.strip():
                    where = "header" if "Header" in part.tag else "footer"
                    seen.texts.append(Text(re.sub(r"&[A-Z\d\"]+(?:\"[^\"]*\")?", " ", part.text), where, None,
                                           None, name))
        seen.sheets.append(Sheet(name, grid))
    return seen


# --- pdf ----------------------------------------------------------------------
def _read_pdf(path: Path) -> Seen:
    with open(path, "rb") as fh:
        fh.seek(0, 2)
        size = fh.tell()
        fh.seek(max(0, size - 2048))
        tail = fh.read()
    if b"%%EOF" not in tail:
        raise UnreadableFile("truncated: the PDF has no %%EOF marker at its end")
    from pipeline import inspect

    try:
        view = inspect.read_pdf(path)
    except inspect.UnreadableFile as exc:
        raise UnreadableFile(str(exc)) from None
    except Exception as exc:  # pypdf raises many types on damaged files
        raise UnreadableFile(f"corrupt ({type(exc).__name__}: {str(exc)[:160]})") from None
    seen = Seen("pdf", fonts=list(view.fonts), page_mm=view.info.get("page_mm"))
    for h in view.headings:
        seen.headings.append(Heading(norm_title(h.title), h.level, h.content, h.title))
    titles = {h.shown for h in seen.headings}
    current = None
    for t in view.texts:
        if t in titles:
            current = norm_title(t)
        seen.texts.append(Text(t, "page", current))
    return seen
