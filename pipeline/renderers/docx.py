"""Renderer for Word documents: reference.docx styles, cover, control table, TOC, numbered headings."""
from __future__ import annotations

import copy
import io
from typing import Any
import re
from pathlib import Path

from docx import Document as load_docx
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.opc.oxml import serialize_part_xml
from docx.opc.pkgwriter import PackageWriter
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Mm, RGBColor
from docx.styles import BabelFish
from docx.text.paragraph import Paragraph as DocxParagraph

from pipeline.document.nodes import Chart, Diagram, Document, Gantt, ListBlock, Paragraph, Register, Table
from pipeline.document.walk import unknown_block
from pipeline.renderers.normalize import Members, write_package
from pipeline.renderers.base import (Renderer, cleaned, column_widths, core_properties, front_matter, iter_numbered,
                                     numbered)
from pipeline.renderers.charts import chart_png, gantt_png
from pipeline.renderers.diagrams import diagram_png, png_size_mm
from pipeline.core.paths import TEMPLATES
from pipeline.core.text import DRAFT_MARK, clean

REFERENCE = TEMPLATES / "docx" / "reference.docx"
#: Width of the type area on the reference document's A4 page (210 - 28 - 26 mm).
TYPE_AREA_MM = 156
#: About how many half-width characters of 五号 table text fit across it (cell margins included).
TABLE_UNITS = 84

#: Every style name this renderer uses; a test checks they exist in reference.docx.
STYLES = ("Title", "Subtitle", "Cover Text", "TOC Heading", "toc 1", "toc 2", "toc 3", "Heading 1",
          "Heading 2", "Heading 3", "Heading 4", "Body Text", "List Bullet", "List Number",
          "Table Grid", "Table Text", "Table Header", "Caption", "Header", "Footer")


def _field(paragraph, instr: str, result: str = "") -> None:
    """Append a complex field (PAGE, NUMPAGES, TOC...) with a visible cached result.

    No field is marked dirty and the settings carry no updateFields: either makes Word ask
    to update fields at every open. Word and LibreOffice compute PAGE and NUMPAGES while
    laying out pages anyway; the TOC's result is written out in full.
    """
    def run_with(el):
        r = OxmlElement("w:r")
        r.append(el)
        paragraph._p.append(r)
        return r
    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    run_with(begin)
    it = OxmlElement("w:instrText")
    it.set(qn("xml:space"), "preserve")
    it.text = f" {instr} "
    run_with(it)
    sep = OxmlElement("w:fldChar")
    sep.set(qn("w:fldCharType"), "separate")
    run_with(sep)
    if result:
        paragraph.add_run(result)
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    run_with(end)


def _bookmark(paragraph, name: str, bid: int) -> None:
    start = OxmlElement("w:bookmarkStart")
    start.set(qn("w:id"), str(bid))
    start.set(qn("w:name"), name)
    end = OxmlElement("w:bookmarkEnd")
    end.set(qn("w:id"), str(bid))
    paragraph._p.insert(1 if paragraph._p.pPr is not None else 0, start)
    paragraph._p.append(end)


def _content_xml(text: str) -> list[str]:
    """The content of a <w:r> as python-docx's add_run(text) writes it: tabs and line breaks become elements."""
    parts: list[str] = []
    for k, piece in enumerate(_BREAKS.split(text)):
        if k % 2:
            parts.append("<w:tab/>" if piece == "\t" else "<w:br/>")
        elif piece:
            space = ' xml:space="preserve"' if len(piece.strip()) < len(piece) else ""
            parts.append(f"<w:t{space}>{xml_escape(piece)}</w:t>")
    return parts


def _run_xml(text: str, rpr: str = "") -> str:
    """A <w:r> as python-docx's add_run(text) writes it, with run properties `rpr` as its
    Run.bold, .italic and .font.name setters add them."""
    if not text:
        return f"<w:r>{rpr}</w:r>" if rpr else "<w:r/>"
    return f"<w:r>{rpr}{''.join(_content_xml(text))}</w:r>"


#: An ID, a host name or an address whose hyphens must not end a line (vsw-app-a, rm-uf6order).
_HYPHENATED = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.]*(?:-[A-Za-z0-9_.]+)+")
#: Chinese list punctuation before a Latin token: a line may break after it (Word and LibreOffice
#: keep "10.60.0.0/20、10.60.16.0/20" in one piece otherwise).
_BREAK_AFTER = re.compile(r"(?<=[、，；])(?=[A-Za-z0-9])")


def _unbroken_xml(text: str) -> str:
    """A table cell's <w:r> in which no identifier breaks inside: the hyphens of a token are
    non-breaking (w:noBreakHyphen, read back as "-"), and a zero-width space after 、 lets a
    line break before one."""
    text = _BREAK_AFTER.sub("\u200b", text)
    parts: list[str] = []
    pos = 0
    for m in _HYPHENATED.finditer(text):
        parts += _content_xml(text[pos:m.start()])
        for k, piece in enumerate(m.group().split("-")):
            if k:
                parts.append("<w:noBreakHyphen/>")
            parts += _content_xml(piece)
        pos = m.end()
    parts += _content_xml(text[pos:])
    return f"<w:r>{''.join(parts)}</w:r>" if parts else "<w:r/>"


def _ppr_xml(style_id: str | None) -> str:
    return f'<w:pPr><w:pStyle w:val="{style_id}"/></w:pPr>' if style_id is not None else "<w:pPr/>"


def _para_xml(runs, style_id: str | None) -> str:
    """A body paragraph of Runs: every run carries rPr (python-docx adds it when bold/italic are set)."""
    out = [f"<w:p {_W}>", _ppr_xml(style_id)]
    for r in runs:
        props = ('<w:rFonts w:ascii="Consolas" w:hAnsi="Consolas"/>' if r.code else "") + \
            ("<w:b/>" if r.bold else "") + ("<w:i/>" if r.italic else "")
        out.append(_run_xml(clean(r.text), f"<w:rPr>{props}</w:rPr>" if props else "<w:rPr/>"))
    out.append("</w:p>")
    return "".join(out)


def xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_W = nsdecls("w")
_BREAKS = re.compile(r"([\t\r\n])")
_TBL_LOOK = ('<w:tblLook w:firstColumn="1" w:firstRow="1" w:lastColumn="0" w:lastRow="0" w:noHBand="0" '
             'w:noVBand="1" w:val="04A0"/>')


def _cell_xml(twips: int, style: str | None, text: str | None, shade: str = "", run=_run_xml) -> str:
    fill = f'<w:shd w:val="clear" w:color="auto" w:fill="{shade}"/>' if shade else ""
    head = f'<w:tc><w:tcPr><w:tcW w:type="dxa" w:w="{twips}"/>{fill}</w:tcPr>'
    if text is None:  # a cell the row does not fill
        return head + "<w:p/></w:tc>"
    ppr = f'<w:pPr><w:pStyle w:val="{style}"/></w:pPr>' if style is not None else "<w:pPr/>"
    return f"{head}<w:p>{ppr}{run(text)}</w:p></w:tc>"


def _table_xml(header, rows, ncols: int, twips: list[int], table_style: str | None, header_style: str | None,
               text_style: str | None) -> str:
    """A <w:tbl>: header row shaded and repeated on each page, fixed column widths on grid and cells;
    identifiers in body cells never break inside (_unbroken_xml)."""
    tstyle = f'<w:tblStyle w:val="{table_style}"/>' if table_style is not None else ""
    out = [(f'<w:tbl {_W}><w:tblPr>{tstyle}<w:tblW w:type="auto" w:w="0"/><w:jc w:val="center"/>'
            f'<w:tblLayout w:type="fixed"/>{_TBL_LOOK}</w:tblPr><w:tblGrid>')]
    out += [f'<w:gridCol w:w="{w}"/>' for w in twips]
    out.append('</w:tblGrid><w:tr><w:trPr><w:tblHeader w:val="true"/></w:trPr>')
    for i in range(ncols):
        out.append(_cell_xml(twips[i], header_style, clean(str(header[i])), "D9E2F3") if i < len(header)
                   else _cell_xml(twips[i], None, None))
    out.append("</w:tr>")
    for row in rows:
        out.append("<w:tr>")
        for i in range(ncols):
            out.append(_cell_xml(twips[i], text_style, clean("" if row[i] is None else str(row[i])), run=_unbroken_xml)
                       if i < len(row) else _cell_xml(twips[i], None, None))
        out.append("</w:tr>")
    out.append("</w:tbl>")
    return "".join(out)


def _members(package, ref: _Reference) -> list[tuple[str, bytes]]:
    """The zip members python-docx's Document.save writes, in its order, without zipping them."""
    parts = package.parts
    for part in parts:
        part.before_marshal()
    out = Members()
    PackageWriter._write_content_types_stream(out, parts)
    PackageWriter._write_pkg_rels(out, package.rels)
    for part in parts:  # PackageWriter._write_parts, but the shared styles are serialized once
        out.write(part.partname, ref.styles_blob if getattr(part, "_element", None) is ref.styles else part.blob)
        if len(part.rels):
            out.write(part.partname.rels_uri, part.rels.xml)
    return out.items


def _toc_bookmark(n: int) -> str:
    return f"_Toc{n:06d}"


class _Reference:
    """reference.docx read once per process (and again when the file changes).

    Every document starts as a copy of the reference with its body emptied. The styles
    part, by far the largest, is never modified by the renderer: the copies share its
    XML, and its serialized bytes are computed once.
    """

    def __init__(self, path: Path) -> None:
        self.doc = load_docx(str(path))
        body = self.doc.element.body
        for child in list(body):
            if child.tag != qn("w:sectPr"):
                body.remove(child)
        self.styles = self.doc.part._styles_part.element
        self.styles_blob = serialize_part_xml(self.styles)
        #: (style name, style type) -> style id, None for the type's default style.
        self.style_ids: dict[tuple, str | None] = {}
        # One pass over the styles instead of python-docx's XPath per name (first style of a
        # name; the last default of a type, as the spec says).
        self._by_name: dict[str, Any] = {}
        self._defaults: dict[Any, Any] = {}
        for st in self.styles.style_lst:
            if st.name_val is not None:
                self._by_name.setdefault(st.name_val, st)
            if st.default:
                self._defaults[st.type] = st

    def new_document(self):
        return copy.deepcopy(self.doc, {id(self.styles): self.styles})

    def style_id(self, name: str, kind) -> str | None:
        """The id python-docx would resolve `name` to, looked up once.

        python-docx resolves a style name by scanning every style (and again for the
        default style) on each assignment: more than half of the Word time (FACTS.md).
        """
        key = (name, kind)
        if key not in self.style_ids:
            st = self._by_name.get(BabelFish.ui2internal(name))
            if st is None or st.type != kind:
                # Not found, or of another type: python-docx raises the error it always did.
                self.style_ids[key] = self.doc.part.get_style_id(name, kind)
            else:
                self.style_ids[key] = None if st is self._defaults.get(kind) else st.styleId
        return self.style_ids[key]


_REFERENCES: dict[tuple, _Reference] = {}


def _reference() -> _Reference:
    st = REFERENCE.stat()
    key = (str(REFERENCE), st.st_size, st.st_mtime_ns)
    if key not in _REFERENCES:
        _REFERENCES.clear()
        _REFERENCES[key] = _Reference(REFERENCE)
    return _REFERENCES[key]


class _Writer:
    def __init__(self, document: Document) -> None:
        self.src = document
        self.ref = _reference()
        self.doc = self.ref.new_document()

    def style_id(self, name: str, kind=WD_STYLE_TYPE.PARAGRAPH) -> str | None:
        return self.ref.style_id(name, kind)

    def styled(self, paragraph, name: str):
        """Give a paragraph a style (what `paragraph.style = name` does, without the lookup)."""
        paragraph._p.style = self.style_id(name)
        return paragraph

    def add_paragraph(self, text: str = "", style: str | None = None):
        """Document.add_paragraph(text, style): the same XML, written at once."""
        ppr = _ppr_xml(self.style_id(style)) if style is not None else ""
        return self._append(f"<w:p {_W}>{ppr}{_run_xml(text) if text else ''}</w:p>")

    def _append(self, xml: str):
        p = parse_xml(xml)
        self.doc.element.body._insert_p(p)
        self.last = DocxParagraph(p, self.doc._body)
        return self.last

    def add_heading(self, text: str, level: int):
        return self.add_paragraph(text, f"Heading {level}")

    # --- blocks -------------------------------------------------------------
    def para(self, p: Paragraph, style: str = "Body Text"):
        return self._append(_para_xml(p.runs, self.style_id(style)))

    def table(self, header, rows, caption: str = "") -> None:
        if caption:
            self.add_paragraph(clean(caption), style="Caption")
        ncols = max([len(header)] + [len(r) for r in rows]) or 1
        # Column widths follow the content within the type area (renderers.base.column_widths):
        # a 序号 column stays narrow, and no ID, address or CIDR is split inside.
        weights = column_widths(header, rows, TABLE_UNITS)
        twips = [Mm(TYPE_AREA_MM * w / sum(weights)).twips for w in weights]
        # The XML python-docx would build (add_table, styles, shading, widths), written at once:
        # its table API costs more than the rest of a report.
        xml = _table_xml(header, rows, ncols, twips, self.style_id("Table Grid", WD_STYLE_TYPE.TABLE),
                         self.style_id("Table Header"), self.style_id("Table Text"))
        self.doc.element.body._insert_tbl(parse_xml(xml))
        self.add_paragraph(style="Body Text")

    def chart(self, c: Chart) -> None:
        self.doc.add_picture(io.BytesIO(chart_png(c)), width=Mm(150))
        self.doc.paragraphs[-1].alignment = 1
        self.add_paragraph(clean(f"图：{c.title}"), style="Caption")

    def diagram(self, d: Diagram) -> None:
        png = diagram_png(d)
        w, h = png_size_mm(png)
        # As laid out, shrunk to the type area and to two thirds of the page's height.
        scale = min(1.0, TYPE_AREA_MM / w, 160 / h)
        self.doc.add_picture(io.BytesIO(png), width=Mm(w * scale))
        self.doc.paragraphs[-1].alignment = 1
        self.add_paragraph(clean(f"图：{d.title}"), style="Caption")
    def gantt(self, g: Gantt) -> None:
        self.doc.add_picture(io.BytesIO(gantt_png(g)), width=Mm(155))
        self.doc.paragraphs[-1].alignment = 1
        self.add_paragraph(clean(f"图：{g.title}"), style="Caption")

    def blocks(self, blocks) -> None:
        for b in blocks:
            if isinstance(b, Paragraph):
                self.para(b)
            elif isinstance(b, ListBlock):
                for item in b.items:
                    self.para(item, "List Number" if b.ordered else "List Bullet")
            elif isinstance(b, Table):
                self.table(b.header, b.rows, b.caption)
            elif isinstance(b, Chart):
                self.chart(b)
            elif isinstance(b, Diagram):
                self.diagram(b)
            elif isinstance(b, Gantt):
                self.gantt(b)
            else:
                raise unknown_block(b)

    # --- page furniture -----------------------------------------------------
    def cover(self) -> None:
        """The cover, in the order of the PDF's (templates/pdf/base.html.j2): 密级, customer, title,
        project, the draft mark, vendor, date."""
        m = self.src.meta
        mark = self.add_paragraph(clean(f"密级：{m.classification}"), style="Cover Text")
        mark.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        for _ in range(5):
            self.add_paragraph(style="Cover Text")
        self.add_paragraph(clean(m.customer), style="Subtitle")
        self.add_paragraph(clean(m.title), style="Title")
        self.add_paragraph(clean(m.project), style="Subtitle")
        if m.draft:
            draft = self.add_paragraph(style="Subtitle")
            run = draft.add_run(f"（{DRAFT_MARK}）")
            run.bold = True
            run.font.color.rgb = RGBColor(0xC0, 0x00, 0x00)
        for _ in range(7 if m.draft else 8):
            self.add_paragraph(style="Cover Text")
        self.add_paragraph(clean(m.vendor), style="Cover Text")
        self.add_paragraph(m.date_cn, style="Cover Text")
        self.last.add_run().add_break(WD_BREAK.PAGE)

    def control(self) -> None:
        """Document control: information, revision history (with the approver), distribution, glossary."""
        for title, header, rows in front_matter(self.src.meta):
            if header is None:
                self.add_paragraph(title, style="TOC Heading")
                continue
            self.table(header, rows, title)
        self.last.add_run().add_break(WD_BREAK.PAGE)

    def toc(self, entries, pages=None) -> None:
        self.add_paragraph("目录", style="TOC Heading")
        # A TOC field whose result is the list of headings, written out so that Word and
        # LibreOffice show it as it is: no updateFields prompt on open. Page numbers are
        # there when the build's finishing step measured them (renderers/finish.py);
        # otherwise the entries stand without numbers until someone updates the field.
        p = self.add_paragraph(style="toc 1")
        _field(p, 'TOC \\o "1-3" \\h \\z \\u')
        fld_end = p._p[-1]
        p._p.remove(fld_end)
        for k, (text, level, _) in enumerate(entries):
            e = self.add_paragraph(style=f"toc {min(level, 3)}")
            e.add_run(clean(text))
            if pages and k < len(pages) and pages[k]:
                e.add_run("\t" + str(pages[k]))
        last = self.last
        last._p.append(fld_end)
        last.add_run().add_break(WD_BREAK.PAGE)

    def header_footer(self) -> None:
        sec = self.doc.sections[0]
        sec.different_first_page_header_footer = True
        h = sec.header.paragraphs[0]
        self.styled(h, "Header")
        h.text = clean(self.src.meta.running_header)
        f = sec.footer.paragraphs[0]
        self.styled(f, "Footer")
        f.add_run("第 ")
        _field(f, "PAGE", "1")
        f.add_run(" 页 共 ")
        _field(f, "NUMPAGES", "1")
        f.add_run(" 页")

    def register(self, reg: Register, number: str, bid: int) -> None:
        h = self.add_heading(f"{number}附表：{reg.title}" if number else f"附表：{reg.title}", level=1)
        _bookmark(h, _toc_bookmark(bid), bid)
        self.table([c.name for c in reg.columns], reg.rows)

    @staticmethod
    def entries(document: Document) -> list[tuple[str, int, Any]]:
        """(text, level, section) of every heading in order; the register's appendix last, with section None."""
        out = [(f"{num}{s.title}", level, s) for s, num, level in iter_numbered(document.sections)]
        reg = document.register
        if reg is not None:
            number = numbered(1, len(document.sections) + 1) if document.sections else ""
            out.append((f"{number}附表：{reg.title}", 1, None))
        return out

    def build(self, pages=None) -> bytes:
        """The document's bytes; `pages` gives the page number of each TOC entry when measured."""
        entries = self.entries(self.src)
        reg = self.src.register
        reg_number = numbered(1, len(self.src.sections) + 1) if reg is not None and self.src.sections else ""
        self.cover()
        self.control()
        self.toc(entries, pages)
        self.header_footer()
        bid = 0
        for text, level, s in entries:
            if s is None:
                continue
            h = self.add_heading(clean(text), level=min(level, 4))
            bid += 1
            _bookmark(h, _toc_bookmark(bid), bid)
            self.blocks(s.blocks)
        if reg is not None:
            self.register(reg, reg_number, bid + 1)
        m = self.src.meta
        core_properties(self.doc.core_properties, m)
        return write_package(_members(self.doc.part.package, self.ref), f"{m.date}T00:00:00Z")


def toc_entries(document: Document) -> list[str]:
    """The text of each TOC entry, in order (what the finishing step looks for in the laid-out pages)."""
    return [text for text, _, _ in _Writer.entries(document)]


class DocxRenderer(Renderer):
    format = "docx"

    def warm(self) -> None:
        _reference()

    def render(self, document: Document, pages: list[int | None] | None = None) -> bytes:
        """Render the document; `pages` gives each TOC entry's page number, when measured (renderers/finish.py)."""
        return self.write(cleaned(document), pages)

    def write(self, document: Document, pages=None) -> bytes:
        return _Writer(document).build(pages)
