"""Renderer for PowerPoint decks, 16:9 from reference.pptx: title, agenda, section and content slides.

Two stages (Pandoc's Powerpoint writer): plan() turns the Document into plain slide
descriptions without python-pptx; write() draws them.
"""
from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import re
from dataclasses import dataclass, field

from pptx import Presentation
from pptx.chart.data import CategoryChartData
from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION
from pptx.enum.shapes import PP_PLACEHOLDER
from pptx.opc.serialized import PackageWriter
from pptx.oxml.ns import qn
from pptx.util import Emu, Pt

from pipeline.document.nodes import Chart, Document, Gantt, ListBlock, Paragraph, Table
from pipeline.document.walk import unknown_block
from pipeline.core.fonts import SLIDE_EA, SLIDE_LATIN
from pipeline.renderers.normalize import Members, write_package
from pipeline.renderers.base import Renderer, core_properties, iter_numbered
from pipeline.core.paths import TEMPLATES
from pipeline.core.text import DRAFT_MARK, clean

REFERENCE = TEMPLATES / "pptx" / "reference.pptx"
LAYOUTS = ("Title Slide", "Title and Content", "Section Header", "Title Only")
MAX_BULLETS = 7
MAX_ROWS = 8
#: Tasks per Gantt slide; a longer schedule continues on the next slide.
MAX_GANTT_BARS = 16


@dataclass
class SlidePlan:
    layout: str
    title: str
    subtitle: str = ""
    bullets: list[tuple[int, str]] = field(default_factory=list)
    table: tuple[tuple[str, ...], list[tuple[str, ...]]] | None = None
    chart: Chart | None = None
    gantt: Gantt | None = None


def plan(doc: Document) -> list[SlidePlan]:
    m = doc.meta
    draft = f"（{DRAFT_MARK}）\n" if m.draft else ""
    slides = [SlidePlan("Title Slide", m.title, f"{draft}{m.customer}\n{m.project}\n{m.vendor}  {m.date_cn}")]
    tops = [(s, num) for s, num, level in iter_numbered(doc.sections) if level == 1]
    agenda = [(0, f"{num}{s.title}") for s, num in tops]
    if doc.register is not None:
        agenda.append((0, f"附表：{doc.register.title}"))
    for i in range(0, len(agenda), MAX_BULLETS + 3):
        slides.append(SlidePlan("Title and Content", "目录", bullets=agenda[i:i + MAX_BULLETS + 3]))
    for s, num, level in iter_numbered(doc.sections):
        title = f"{num}{s.title}"
        if level == 1:
            slides.append(SlidePlan("Section Header", title))
        bullets: list[tuple[int, str]] = []

        def flush(title: str = title, bullets: list[tuple[int, str]] = bullets) -> None:
            for k in range(0, len(bullets), MAX_BULLETS):
                slides.append(SlidePlan("Title and Content", title, bullets=bullets[k:k + MAX_BULLETS]))
            bullets.clear()
        for b in s.blocks:
            if isinstance(b, Paragraph):
                bullets.append((0, b.text))
            elif isinstance(b, ListBlock):
                bullets.extend((1 if bullets else 0, i.text) for i in b.items)
            elif isinstance(b, Table):
                flush()
                for k in range(0, max(len(b.rows), 1), MAX_ROWS):
                    slides.append(SlidePlan("Title Only", title, table=(b.header, list(b.rows[k:k + MAX_ROWS]))))
            elif isinstance(b, Chart):
                flush()
                slides.append(SlidePlan("Title Only", title, chart=b))
            elif isinstance(b, Gantt):
                flush()
                for k in range(0, max(len(b.bars), 1), MAX_GANTT_BARS):
                    part = dataclasses.replace(b, bars=b.bars[k:k + MAX_GANTT_BARS])
                    slides.append(SlidePlan("Title Only", title, gantt=part))
            else:
                raise unknown_block(b)
        flush()
    if doc.register is not None:
        reg = doc.register
        header = tuple(c.name for c in reg.columns)
        rows = [tuple("" if v is None else str(v) for v in r) for r in reg.rows] or [("",) * len(header)]
        for k in range(0, len(rows), MAX_ROWS):
            slides.append(SlidePlan("Title Only", f"附表：{reg.title}", table=(header, rows[k:k + MAX_ROWS])))
    if m.glossary:
        # The deck's glossary closes it, as the front matter of a Word or PDF document holds it.
        terms = [tuple(t) for t in m.glossary]
        for k in range(0, len(terms), MAX_ROWS):
            slides.append(SlidePlan("Title Only", "术语与缩略语", table=(("术语", "说明"), terms[k:k + MAX_ROWS])))
    return slides


def _fonts(run, size: float | None = None, bold: bool | None = None) -> None:
    f = run.font
    f.name = SLIDE_LATIN
    if size:
        f.size = Pt(size)
    if bold is not None:
        f.bold = bold
    rpr = run._r.get_or_add_rPr()
    for tag in ("a:ea", "a:cs"):
        el = rpr.find(qn(tag))
        if el is None:
            el = rpr.makeelement(qn(tag), {})
            rpr.append(el)
        el.set("typeface", SLIDE_EA)
    rpr.set("lang", "zh-CN")
    rpr.set("altLang", "en-US")


_CR = re.compile(r"\r\n?")


def _set_text(frame, lines: list[tuple[int, str]], size: float | None = None, bold: bool | None = None) -> None:
    frame.clear()
    for i, (level, text) in enumerate(lines):
        p = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        p.level = level
        r = p.add_run()
        # CR is a line break (core/text.py), as LF: python-pptx would write a lone CR as the
        # literal text _x000D_, which PowerPoint shows as it is.
        r.text = _CR.sub("\n", clean(text))
        _fonts(r, size, bold)


def _furniture(prs, doc: Document) -> None:
    """Footer (the running header: title, after the customer unless it names them) and slide number on every
    slide but the title slide, copied from the layout's own placeholders so they sit where the deck design puts them."""
    footer = clean(doc.meta.running_header)
    for n, slide in enumerate(prs.slides, 1):
        if n == 1:
            continue
        for ph in slide.slide_layout.placeholders:
            kind = ph.placeholder_format.type
            if kind not in (PP_PLACEHOLDER.FOOTER, PP_PLACEHOLDER.SLIDE_NUMBER):
                continue
            el = copy.deepcopy(ph._element)
            # A shape id must be unique within its slide, or PowerPoint offers to repair the file.
            el.nvSpPr.cNvPr.id = slide.shapes._next_shape_id
            slide.shapes._spTree.append(el)
            for t in el.iter(qn("a:t")):
                # The slide-number field's cached text is the number itself, for
                # readers that do not compute fields; the footer gets its text.
                t.text = str(n) if kind == PP_PLACEHOLDER.SLIDE_NUMBER else ""
            if kind == PP_PLACEHOLDER.FOOTER:
                shape = slide.shapes[-1]
                _set_text(shape.text_frame, [(0, footer)], 10)


def _serial(day: dt.date) -> int:
    """A date as the serial number Office charts count days in (1900 date system)."""
    return (day - dt.date(1899, 12, 30)).days


def _gantt(slide, g: Gantt, left, top, width, height) -> None:
    """A native Gantt: a stacked bar chart whose first, unfilled series offsets each bar to its start."""
    from pptx.dml.color import RGBColor

    bars = [(("◆ " if b.milestone else "") + b.label, dt.date.fromisoformat(b.start), dt.date.fromisoformat(b.end))
            for b in g.bars]
    data = CategoryChartData()
    data.categories = [label for label, _, _ in bars]
    data.add_series("开始", [_serial(s) for _, s, _ in bars])
    data.add_series("工期（天）", [(e - s).days + 1 for _, s, e in bars])
    gf = slide.shapes.add_chart(XL_CHART_TYPE.BAR_STACKED, left, top, width, height, data)
    chart = gf.chart
    chart.has_legend = False
    chart.has_title = True
    chart.chart_title.text_frame.text = _CR.sub("\n", clean(g.title))
    offset, duration = chart.plots[0].series
    offset.format.fill.background()
    offset.format.line.fill.background()
    duration.format.fill.solid()
    duration.format.fill.fore_color.rgb = RGBColor(0x1F, 0x5C, 0x99)
    chart.plots[0].gap_width = 40
    cats = chart.category_axis
    cats.reverse_order = True  # the first task on top, as in the Word and PDF charts
    cats.tick_labels.font.size = Pt(9)
    values = chart.value_axis
    values.minimum_scale = min(_serial(s) for _, s, _ in bars)
    values.maximum_scale = max(_serial(e) for _, _, e in bars) + 1
    values.major_unit = 7
    values.tick_labels.number_format = "m/d"
    values.tick_labels.number_format_is_linked = False
    values.tick_labels.font.size = Pt(9)
    values.has_major_gridlines = True


def write(slides: list[SlidePlan], doc: Document) -> bytes:
    prs = Presentation(str(REFERENCE))
    layouts = {lay.name: lay for lay in prs.slide_layouts}
    W, H = prs.slide_width, prs.slide_height
    assert W is not None and H is not None  # the reference deck sets its slide size
    for sp in slides:
        slide = prs.slides.add_slide(layouts[sp.layout])
        _set_text(slide.shapes.title.text_frame, [(0, sp.title)], 36 if sp.layout == "Title Slide" else 28, True)
        for ph in slide.placeholders:
            idx = ph.placeholder_format.idx
            if idx == 0:
                continue
            if sp.layout == "Title Slide" and idx == 1:
                _set_text(ph.text_frame, [(0, line) for line in sp.subtitle.split("\n")], 18)
            elif sp.layout == "Title and Content" and idx == 1:
                _set_text(ph.text_frame, sp.bullets, 20 if len(sp.bullets) <= 5 else 16)
            elif sp.layout == "Section Header" and idx == 1:
                _set_text(ph.text_frame, [(0, f"{doc.meta.customer_short} · {doc.meta.title}")], 16)
        left, top, width = Emu(int(W * 0.06)), Emu(int(H * 0.2)), Emu(int(W * 0.88))
        if sp.table is not None:
            header, rows = sp.table
            ncols = max(1, len(header))
            shape = slide.shapes.add_table(len(rows) + 1, ncols, left, top, width, Emu(int(H * 0.07) * (len(rows) + 1)))
            t = shape.table
            for j, h in enumerate(header):
                _set_text(t.cell(0, j).text_frame, [(0, h)], 12, True)
            for i, row in enumerate(rows, 1):
                for j in range(ncols):
                    _set_text(t.cell(i, j).text_frame, [(0, row[j] if j < len(row) else "")], 11)
        if sp.chart is not None:
            c = sp.chart
            data = CategoryChartData()
            data.categories = list(c.categories)
            for name, values in c.series:
                data.add_series(name, list(values))
            kind = XL_CHART_TYPE.LINE_MARKERS if c.type == "line" else XL_CHART_TYPE.COLUMN_CLUSTERED
            gf = slide.shapes.add_chart(kind, left, top, width, Emu(int(H * 0.72)), data)
            gf.chart.has_legend = True
            gf.chart.legend.position = XL_LEGEND_POSITION.BOTTOM
            gf.chart.legend.include_in_layout = False
            gf.chart.has_title = True
            gf.chart.chart_title.text_frame.text = _CR.sub("\n", clean(c.title + (f"（{c.unit}）" if c.unit else "")))
        if sp.gantt is not None:
            _gantt(slide, sp.gantt, left, top, width, Emu(int(H * 0.72)))
    _furniture(prs, doc)
    m = doc.meta
    core_properties(prs.core_properties, m)
    return write_package(_members(prs.part.package), f"{m.date}T00:00:00Z")


def _members(package) -> list[tuple[str, bytes]]:
    """The zip members python-pptx's Presentation.save writes, in its order, without zipping them."""
    # No file: the parts are collected (Members duck-types the zip writer, which only gets write(name, blob)).
    writer = PackageWriter(None, package._rels, tuple(package.iter_parts()))  # type: ignore[arg-type]
    out = Members()
    writer._write_content_types_stream(out)  # type: ignore[arg-type]
    writer._write_pkg_rels(out)  # type: ignore[arg-type]
    writer._write_parts(out)  # type: ignore[arg-type]
    return out.items


class PptxRenderer(Renderer):
    format = "pptx"

    def write(self, document: Document) -> bytes:
        return write(plan(document), document)
