"""Renderer for Word documents: reference.docx styles, cover, control table, TOC, numbered headings."""
from __future__ import annotations

import io

from docx import Document as load_docx
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, RGBColor

from pipeline.document.nodes import Chart, Document, ListBlock, Paragraph, Register, Table
from pipeline.document.walk import unknown_block
from pipeline.renderers.normalize import normalize_bytes
from pipeline.renderers.base import Renderer, cleaned, core_properties, front_matter, iter_numbered, numbered
from pipeline.renderers.charts import chart_png
from pipeline.renderers.xlsx import text_width
from pipeline.core.paths import TEMPLATES
from pipeline.core.text import DRAFT_MARK, clean

REFERENCE = TEMPLATES / "docx" / "reference.docx"
#: Width of the type area on the reference document's A4 page (210 - 28 - 26 mm).
TYPE_AREA_MM = 156
#: About how many half-width characters of 五号 table text fit across it.
TABLE_UNITS = 80

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


def _shade(cell, fill: str) -> None:
    tcpr = cell._tc.get_or_add_tcPr()
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    tcpr.append(shd)


def _repeat_header(row) -> None:
    trpr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    trpr.append(el)


def _bookmark(paragraph, name: str, bid: int) -> None:
    start = OxmlElement("w:bookmarkStart")
    start.set(qn("w:id"), str(bid))
    start.set(qn("w:name"), name)
    end = OxmlElement("w:bookmarkEnd")
    end.set(qn("w:id"), str(bid))
    paragraph._p.insert(1 if paragraph._p.pPr is not None else 0, start)
    paragraph._p.append(end)


def _toc_bookmark(n: int) -> str:
    return f"_Toc{n:06d}"


class _Writer:
    def __init__(self, document: Document) -> None:
        self.src = document
        self.doc = load_docx(str(REFERENCE))
        body = self.doc.element.body
        for child in list(body):
            if child.tag != qn("w:sectPr"):
                body.remove(child)

    # --- blocks -------------------------------------------------------------
    def para(self, p: Paragraph, style: str = "Body Text"):
        out = self.doc.add_paragraph(style=style)
        for r in p.runs:
            run = out.add_run(clean(r.text))
            run.bold = r.bold or None
            run.italic = r.italic or None
            if r.code:
                run.font.name = "Consolas"
        return out

    def table(self, header, rows, caption: str = "") -> None:
        if caption:
            self.doc.add_paragraph(clean(caption), style="Caption")
        ncols = max([len(header)] + [len(r) for r in rows]) or 1
        t = self.doc.add_table(rows=1 + len(rows), cols=ncols)
        t.style = self.doc.styles["Table Grid"]
        t.alignment = WD_TABLE_ALIGNMENT.CENTER
        for i, h in enumerate(header):
            cell = t.rows[0].cells[i]
            cell.paragraphs[0].style = self.doc.styles["Table Header"]
            cell.paragraphs[0].add_run(clean(str(h)))
            _shade(cell, "D9E2F3")
        _repeat_header(t.rows[0])
        for r, row in enumerate(rows, 1):
            cells = t.rows[r].cells
            for i, v in enumerate(row):
                cells[i].paragraphs[0].style = self.doc.styles["Table Text"]
                cells[i].paragraphs[0].add_run(clean("" if v is None else str(v)))
        # Column widths follow the content (a 序号 column stays narrow) within the type
        # area: every column gets at least its header, the rest goes to the long ones.
        natural, minimum = [], []
        for i in range(ncols):
            head = str(header[i]) if i < len(header) else ""
            cells = ["" if i >= len(r) or r[i] is None else str(r[i]) for r in rows]
            shortest = max(text_width(head), min(max([text_width(c) for c in cells] or [0]), 10), 4) + 3
            minimum.append(shortest)
            natural.append(max(shortest, min(max([text_width(c) for c in cells] or [0]), 60) + 2))
        spare = max(sum(natural) - sum(minimum), 1)
        room = max(TABLE_UNITS - sum(minimum), 0)
        weights = [m + (n - m) * min(1.0, room / spare) for m, n in zip(minimum, natural)]
        t.autofit = False
        widths = [Mm(TYPE_AREA_MM * w / sum(weights)) for w in weights]
        # LibreOffice lays out by the grid, Word by the cells: set both.
        for gc, width in zip(t._tbl.tblGrid.gridCol_lst, widths):
            gc.w = width
        for row in t.rows:
            for cell, width in zip(row.cells, widths):
                cell.width = width
        self.doc.add_paragraph(style="Body Text")

    def chart(self, c: Chart) -> None:
        self.doc.add_picture(io.BytesIO(chart_png(c)), width=Mm(150))
        self.doc.paragraphs[-1].alignment = 1
        self.doc.add_paragraph(clean(f"图：{c.title}"), style="Caption")

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
            else:
                raise unknown_block(b)

    # --- page furniture -----------------------------------------------------
    def cover(self) -> None:
        """The cover, in the order of the PDF's (templates/pdf/base.html.j2): 密级, customer, title,
        project, the draft mark, vendor, date."""
        m = self.src.meta
        mark = self.doc.add_paragraph(clean(f"密级：{m.classification}"), style="Cover Text")
        mark.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        for _ in range(5):
            self.doc.add_paragraph(style="Cover Text")
        self.doc.add_paragraph(clean(m.customer), style="Subtitle")
        self.doc.add_paragraph(clean(m.title), style="Title")
        self.doc.add_paragraph(clean(m.project), style="Subtitle")
        if m.draft:
            draft = self.doc.add_paragraph(style="Subtitle")
            run = draft.add_run(f"（{DRAFT_MARK}）")
            run.bold = True
            run.font.color.rgb = RGBColor(0xC0, 0x00, 0x00)
        for _ in range(7 if m.draft else 8):
            self.doc.add_paragraph(style="Cover Text")
        self.doc.add_paragraph(clean(m.vendor), style="Cover Text")
        self.doc.add_paragraph(m.date_cn, style="Cover Text")
        self.doc.paragraphs[-1].add_run().add_break(WD_BREAK.PAGE)

    def control(self) -> None:
        """Document control: information, revision history (with the approver), distribution, glossary."""
        for title, header, rows in front_matter(self.src.meta):
            if header is None:
                self.doc.add_paragraph(title, style="TOC Heading")
                continue
            self.table(header, rows, title)
        self.doc.paragraphs[-1].add_run().add_break(WD_BREAK.PAGE)

    def toc(self, entries, pages=None) -> None:
        self.doc.add_paragraph("目录", style="TOC Heading")
        # A TOC field whose result is the list of headings, written out so that Word and
        # LibreOffice show it as it is: no updateFields prompt on open. Page numbers are
        # there when the build's finishing step measured them (renderers/finish.py);
        # otherwise the entries stand without numbers until someone updates the field.
        p = self.doc.add_paragraph(style="toc 1")
        _field(p, 'TOC \\o "1-3" \\h \\z \\u')
        fld_end = p._p[-1]
        p._p.remove(fld_end)
        for k, (text, level, _) in enumerate(entries):
            e = self.doc.add_paragraph(style=f"toc {min(level, 3)}")
            e.add_run(clean(text))
            if pages and k < len(pages) and pages[k]:
                e.add_run("\t" + str(pages[k]))
        last = self.doc.paragraphs[-1]
        last._p.append(fld_end)
        last.add_run().add_break(WD_BREAK.PAGE)

    def header_footer(self) -> None:
        sec = self.doc.sections[0]
        sec.different_first_page_header_footer = True
        h = sec.header.paragraphs[0]
        h.style = self.doc.styles["Header"]
        h.text = clean(self.src.meta.running_header)
        f = sec.footer.paragraphs[0]
        f.style = self.doc.styles["Footer"]
        f.add_run("第 ")
        _field(f, "PAGE", "1")
        f.add_run(" 页 共 ")
        _field(f, "NUMPAGES", "1")
        f.add_run(" 页")

    def register(self, reg: Register, number: str, bid: int) -> None:
        h = self.doc.add_heading(f"{number}附表：{reg.title}" if number else f"附表：{reg.title}", level=1)
        _bookmark(h, _toc_bookmark(bid), bid)
        self.table([c.name for c in reg.columns], reg.rows)

    @staticmethod
    def entries(document: Document) -> list[tuple[str, int, object]]:
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
            h = self.doc.add_heading(clean(text), level=min(level, 4))
            bid += 1
            _bookmark(h, _toc_bookmark(bid), bid)
            self.blocks(s.blocks)
        if reg is not None:
            self.register(reg, reg_number, bid + 1)
        m = self.src.meta
        core_properties(self.doc.core_properties, m)
        buf = io.BytesIO()
        self.doc.save(buf)
        return normalize_bytes(buf.getvalue(), f"{m.date}T00:00:00Z")


def toc_entries(document: Document) -> list[str]:
    """The text of each TOC entry, in order (what the finishing step looks for in the laid-out pages)."""
    return [text for text, _, _ in _Writer.entries(document)]


class DocxRenderer(Renderer):
    format = "docx"

    def render(self, document: Document, pages: list[int | None] | None = None) -> bytes:
        """Render the document; `pages` gives each TOC entry's page number, when measured (renderers/finish.py)."""
        return self.write(cleaned(document), pages)

    def write(self, document: Document, pages=None) -> bytes:
        return _Writer(document).build(pages)
