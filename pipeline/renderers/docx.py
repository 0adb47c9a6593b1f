"""Renderer for Word documents: reference.docx styles, cover, control table, TOC, numbered headings."""
from __future__ import annotations

import io

from docx import Document as load_docx
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm

from pipeline.document.nodes import Chart, Document, Gantt, ListBlock, Paragraph, Register, Table
from pipeline.document.walk import unknown_block
from pipeline.renderers.normalize import normalize_bytes
from pipeline.renderers.base import Renderer, iter_numbered
from pipeline.renderers.charts import chart_png, gantt_png
from pipeline.renderers.xlsx import text_width
from pipeline.core.paths import TEMPLATES
from pipeline.core.text import clean

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
    """Append a complex field (PAGE, NUMPAGES, TOC...) with a visible cached result."""
    def run_with(el):
        r = OxmlElement("w:r")
        r.append(el)
        paragraph._p.append(r)
        return r
    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    begin.set(qn("w:dirty"), "true")
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

    def gantt(self, g: Gantt) -> None:
        self.doc.add_picture(io.BytesIO(gantt_png(g)), width=Mm(155))
        self.doc.paragraphs[-1].alignment = 1
        self.doc.add_paragraph(clean(f"图：{g.title}"), style="Caption")

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
            elif isinstance(b, Gantt):
                self.gantt(b)
            else:
                raise unknown_block(b)

    # --- page furniture -----------------------------------------------------
    def cover(self) -> None:
        m = self.src.meta
        for _ in range(6):
            self.doc.add_paragraph(style="Cover Text")
        self.doc.add_paragraph(clean(m.customer), style="Subtitle")
        self.doc.add_paragraph(clean(m.title), style="Title")
        self.doc.add_paragraph(clean(m.project), style="Subtitle")
        for _ in range(8):
            self.doc.add_paragraph(style="Cover Text")
        self.doc.add_paragraph(clean(m.vendor), style="Cover Text")
        self.doc.add_paragraph(m.date_cn, style="Cover Text")
        self.doc.paragraphs[-1].add_run().add_break(WD_BREAK.PAGE)

    def control(self) -> None:
        m = self.src.meta
        self.doc.add_paragraph("文档控制", style="TOC Heading")
        self.table(("版本", "日期", "作者", "审核人", "说明"),
                   [(m.version, m.date_cn, m.author, m.reviewer, "首次发布")])
        self.table(("项目", "内容"), [("客户", m.customer), ("项目名称", m.project),
                                      ("服务", f"{m.service}. {m.service_title}"), ("交付物", m.title)])
        self.doc.paragraphs[-1].add_run().add_break(WD_BREAK.PAGE)

    def toc(self, entries) -> None:
        self.doc.add_paragraph("目录", style="TOC Heading")
        # A TOC field pre-filled with the headings (Word refreshes page numbers on
        # open thanks to updateFields; the list is never empty meanwhile).
        p = self.doc.add_paragraph(style="toc 1")
        _field(p, 'TOC \\o "1-3" \\h \\z \\u')
        fld_end = p._p[-1]
        p._p.remove(fld_end)
        # No page numbers in the cached entries: a guessed number would be wrong, and
        # LibreOffice does not compute PAGEREF fields on load. Word fills them in.
        for text, level, _ in entries:
            e = self.doc.add_paragraph(style=f"toc {min(level, 3)}")
            e.add_run(clean(text))
        last = self.doc.paragraphs[-1]
        last._p.append(fld_end)
        last.add_run().add_break(WD_BREAK.PAGE)

    def header_footer(self) -> None:
        sec = self.doc.sections[0]
        sec.different_first_page_header_footer = True
        h = sec.header.paragraphs[0]
        h.style = self.doc.styles["Header"]
        h.text = clean(f"{self.src.meta.customer_short} · {self.src.meta.title}")
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

    def build(self) -> bytes:
        entries = []
        for s, num, level in iter_numbered(self.src.sections):
            entries.append((f"{num}{s.title}", level, s))
        reg = self.src.register
        reg_number = ""
        if reg is not None and self.src.sections:
            from pipeline.renderers.base import numbered
            reg_number = numbered(1, len(self.src.sections) + 1)
            entries.append((f"{reg_number}附表：{reg.title}", 1, None))
        self.cover()
        self.control()
        self.toc(entries)
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
        settings = self.doc.settings.element
        upd = OxmlElement("w:updateFields")
        upd.set(qn("w:val"), "true")
        settings.append(upd)
        m = self.src.meta
        cp = self.doc.core_properties
        cp.title, cp.author, cp.subject = m.title, m.author or m.vendor, m.project
        cp.language = "zh-CN"
        buf = io.BytesIO()
        self.doc.save(buf)
        return normalize_bytes(buf.getvalue(), f"{m.date}T00:00:00Z")


class DocxRenderer(Renderer):
    format = "docx"

    def write(self, document: Document) -> bytes:
        return _Writer(document).build()
