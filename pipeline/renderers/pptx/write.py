"""Draw a slide plan with python-pptx on the layouts of templates/pptx/reference.pptx (16:9).

Every content slide shows its section path above the title in a text box named
SECTION_SHAPE, which `check` reads back to find the section a slide belongs to; charts are
native PowerPoint charts, diagrams pictures laid out by Graphviz; the speaker notes hold the
full text that the bullets shorten.
"""
from __future__ import annotations

import copy
import datetime as dt
import io
import re

from pptx import Presentation
from pptx.chart.data import CategoryChartData
from pptx.dml.color import RGBColor
from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION
from pptx.enum.shapes import PP_PLACEHOLDER
from pptx.opc.constants import CONTENT_TYPE as CT, RELATIONSHIP_TYPE as RT
from pptx.opc.packuri import PackURI
from pptx.opc.serialized import PackageWriter
from pptx.parts.slide import NotesSlidePart
from pptx.oxml.ns import qn
from pptx.util import Emu, Inches, Pt

from pipeline.core.fonts import SLIDE_EA, SLIDE_LATIN
from pipeline.core.paths import TEMPLATES
from pipeline.core.text import clean
from pipeline.document.nodes import Chart, Document, Gantt
from pipeline.renderers.charts import LEVEL_COLORS
from pipeline.renderers.diagrams import diagram_png, png_size_mm
from pipeline.renderers.base import core_properties
from pipeline.renderers.normalize import Members, write_package
from pipeline.readers.office import SECTION_SHAPE
from pipeline.renderers.pptx.plan import SlidePlan

REFERENCE = TEMPLATES / "pptx" / "reference.pptx"
LAYOUTS = ("Title Slide", "Title and Content", "Section Header", "Title Only")


def _fonts(run, size: float | None = None, bold: bool | None = None, color: str | None = None) -> None:
    """The fonts (Latin and East Asian), size, weight and colour of a run (its a:r element), written
    on its a:rPr directly: the XML python-pptx's font properties write, without a lookup per
    property (a deck's runs are thousands)."""
    rpr = run.find(_RPR)
    if rpr is None:
        rpr = run.makeelement(_RPR, {})
        run.insert(0, rpr)  # before a:t, its only other child
    if size:
        rpr.set("sz", str(Pt(size).centipoints))
    if bold is not None:
        rpr.set("b", "1" if bold else "0")
    if color:
        fill = rpr.makeelement(_SOLID_FILL, {})
        fill.append(fill.makeelement(_SRGB, {"val": str(RGBColor.from_string(color))}))
        rpr.append(fill)
    for tag, face in ((_LATIN, SLIDE_LATIN), (_EA, SLIDE_EA), (_CS, SLIDE_EA)):
        rpr.append(rpr.makeelement(tag, {"typeface": face}))
    rpr.set("lang", "zh-CN")
    rpr.set("altLang", "en-US")


_RPR, _SOLID_FILL, _SRGB = qn("a:rPr"), qn("a:solidFill"), qn("a:srgbClr")
_LATIN, _EA, _CS = qn("a:latin"), qn("a:ea"), qn("a:cs")


def _set_text(body, lines: list[tuple[int, str]], size: float | None = None, bold: bool | None = None,
              color: str | None = None) -> None:
    """The text of a text body (p:txBody or a:txBody): one paragraph per (level, text) line, each one
    run in the deck's fonts.

    The XML TextFrame.clear(), add_paragraph(), paragraph.level and add_run() write, written on
    the elements directly: python-pptx finds each child by XPath, thousands of times a deck.
    """
    paragraphs = body.findall(_P)
    for extra in paragraphs[1:]:
        body.remove(extra)
    first = paragraphs[0]
    for el in [e for e in first if e.tag in _CONTENT]:
        first.remove(el)
    for i, (level, text) in enumerate(lines):
        if i == 0:
            p = first
        else:
            p = body.makeelement(_P, {})
            body.append(p)
        ppr = p.find(_PPR)
        if ppr is None:
            ppr = p.makeelement(_PPR, {})
            _insert(p, ppr, _PPR_AFTER)
        if level:
            ppr.set("lvl", str(level))
        else:
            ppr.attrib.pop("lvl", None)
        r = p.makeelement(_R, {})
        t = r.makeelement(_T, {})
        r.append(t)
        _insert(p, r, (_END,))
        # A carriage return would be stored as the literal text _x000D_: a line break is "\n".
        t.text = _CONTROL.sub(lambda m: "_x%04X_" % ord(m.group(1)),
                              clean(text).replace("\r\n", "\n").replace("\r", "\n"))
        _fonts(r, size, bold, color)


def _insert(parent, child, before: tuple[str, ...]) -> None:
    """child into parent before its first child with one of those tags, else last (python-pptx's rule)."""
    nxt = next((e for e in parent if e.tag in before), None)
    if nxt is None:
        parent.append(child)
    else:
        nxt.addprevious(child)


_P, _PPR, _R, _T, _END = qn("a:p"), qn("a:pPr"), qn("a:r"), qn("a:t"), qn("a:endParaRPr")
_CONTENT = (_R, qn("a:br"), qn("a:fld"))
_PPR_AFTER = (*_CONTENT, _END)
#: The control characters python-pptx writes as _xHHHH_ (tab and line feed stay).
_CONTROL = re.compile(r"([\x00-\x08\x0B-\x1F])")
_BODY_PR = qn("a:bodyPr")
_PH_PATH = f"{qn('p:nvPr')}/{qn('p:ph')}"  # below a shape's first child (p:nvSpPr, p:nvPicPr...)


def _placeholders(tree):
    """(shape element, type, idx) of each placeholder of a shape tree (p:spTree), in order: what
    python-pptx's placeholder lookups find, read from the XML once instead of by XPath per shape."""
    for el in tree:
        ph = el[0].find(_PH_PATH) if len(el) else None
        if ph is not None:
            yield el, ph.get("type", "obj"), int(ph.get("idx", "0"))


def _serial(day: dt.date) -> int:
    """A date as the serial number Office charts count days in (1900 date system)."""
    return (day - dt.date(1899, 12, 30)).days


def _gantt(slide, g: Gantt, left, top, width, height) -> None:
    """A native Gantt: a stacked bar chart whose first, unfilled series offsets each bar to its start."""
    bars = [(("◆ " if b.milestone else "") + b.label, dt.date.fromisoformat(b.start), dt.date.fromisoformat(b.end))
            for b in g.bars]
    data = CategoryChartData()
    data.categories = [clean(label) for label, _, _ in bars]
    data.add_series("开始", [_serial(s) for _, s, _ in bars])
    data.add_series("工期（天）", [(e - s).days + 1 for _, s, e in bars])
    gf = slide.shapes.add_chart(XL_CHART_TYPE.BAR_STACKED, left, top, width, height, data)
    chart = gf.chart
    chart.has_legend = False
    chart.has_title = True
    chart.chart_title.text_frame.text = clean(g.title).replace("\r\n", "\n").replace("\r", "\n")
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
    if bars:
        values.minimum_scale = min(_serial(s) for _, s, _ in bars)
        values.maximum_scale = max(_serial(e) for _, _, e in bars) + 1
    values.major_unit = 7
    values.tick_labels.number_format = "m/d"
    values.tick_labels.number_format_is_linked = False
    values.tick_labels.font.size = Pt(9)
    values.has_major_gridlines = True


def _furniture(prs, doc: Document) -> None:
    """Footer (the running header: title, after the customer unless it names them) and slide number on
    every slide but the title slide, copied from the layout's own placeholders so they sit where the
    deck design puts them."""
    footer = clean(doc.meta.running_header)
    wanted: dict = {}  # layout part -> its footer and slide-number placeholders, looked up once
    for n, slide in enumerate(prs.slides, 1):
        if n == 1:
            continue
        layout = slide.slide_layout
        if layout.part not in wanted:
            wanted[layout.part] = [(kind, ph._element) for ph in layout.placeholders
                                   if (kind := ph.placeholder_format.type) in (PP_PLACEHOLDER.FOOTER,
                                                                               PP_PLACEHOLDER.SLIDE_NUMBER)]
        tree = slide.shapes._spTree
        next_id = slide.shapes._next_shape_id  # the largest numeric id in the slide's XML, plus one
        for kind, element in wanted[layout.part]:
            el = copy.deepcopy(element)
            # A shape id must be unique within its slide, or PowerPoint offers to repair the file.
            el.nvSpPr.cNvPr.id = next_id
            next_id += 1
            tree.append(el)
            for t in el.iter(qn("a:t")):
                # The slide-number field's cached text is the number itself, for
                # readers that do not compute fields; the footer gets its text.
                t.text = str(n) if kind == PP_PLACEHOLDER.SLIDE_NUMBER else ""
            if kind == PP_PLACEHOLDER.FOOTER:
                _set_text(el.get_or_add_txBody(), [(0, footer)], 10)


def _table(slide, sp: SlidePlan, left, top, width) -> None:
    assert sp.table is not None  # only table slides are drawn here
    header, rows = sp.table
    ncols = max(1, len(header))
    shape = slide.shapes.add_table(len(rows) + 1, ncols, left, top, width, Emu(int(Inches(0.4)) * (len(rows) + 1)))
    t = shape.table
    total = sum(sp.widths) or ncols
    for j, w in enumerate(sp.widths or (1,) * ncols):
        t.columns[j].width = Emu(int(width * w / total))
    size = 12 if ncols <= 5 else 11 if ncols <= 7 else 10
    cells = [tr.tc_lst for tr in t._tbl.tr_lst]  # each found once, not by XPath per cell access
    for j, h in enumerate(header):
        _set_text(cells[0][j].get_or_add_txBody(), [(0, h)], size, True)
    for i, row in enumerate(rows, 1):
        for j in range(ncols):
            body = cells[i][j].get_or_add_txBody()
            _set_text(body, [(0, row[j] if j < len(row) else "")], size)
            body.find(_BODY_PR).set("wrap", "square")  # TextFrame.word_wrap = True


def _chart(slide, c: Chart, left, top, width, height) -> None:
    data = CategoryChartData()
    data.categories = list(c.categories)
    for name, values in c.series:
        data.add_series(name, list(values))
    kind = XL_CHART_TYPE.LINE_MARKERS if c.type == "line" else XL_CHART_TYPE.COLUMN_CLUSTERED
    chart = slide.shapes.add_chart(kind, left, top, width, height, data).chart
    chart.has_legend = True
    chart.legend.position = XL_LEGEND_POSITION.BOTTOM
    chart.legend.include_in_layout = False
    chart.has_title = False  # the slide's title says what it shows
    for plot in chart.plots:
        for s in plot.series:
            color = LEVEL_COLORS.get(s.name)
            if color:
                fill = s.format.fill
                fill.solid()
                fill.fore_color.rgb = RGBColor.from_string(color.lstrip("#"))
    chart.font.size = Pt(12)
    chart.font.name = SLIDE_LATIN


def _picture(slide, png: bytes, W, top, box_w, box_h) -> None:
    w, h = png_size_mm(png)
    scale = min(box_w / (w * 36000), box_h / (h * 36000), 1.5)
    pw, ph = int(w * 36000 * scale), int(h * 36000 * scale)
    slide.shapes.add_picture(io.BytesIO(png), Emu(int((W - pw) / 2)), top, Emu(pw), Emu(ph))


def _add_slide(prs, layout, placeholders: dict[str, list]):
    """prs.slides.add_slide(layout), with the layout's placeholders cloned by python-pptx once per
    layout and copied after that (the same XML: shape ids and names start afresh on each slide)."""
    rid, slide = prs.slides.part.add_slide(layout)
    tree = slide.shapes._spTree
    if layout.name in placeholders:
        for el in placeholders[layout.name]:
            tree.append(copy.deepcopy(el))
    else:
        before = len(tree)
        slide.shapes.clone_layout_placeholders(layout)
        placeholders[layout.name] = [copy.deepcopy(el) for el in list(tree)[before:]]
    prs.slides._sldIdLst.add_sldId(rid)
    return slide


class _Notes:
    """Notes slides, the first made by python-pptx, the others copied from it before its text was set.

    python-pptx clones the notes master's placeholders for every notes slide and finds each new
    part's name by walking every part of the package: a quarter of a deck's time. The copies
    are the same XML, named and related in the same order.
    """

    def __init__(self) -> None:
        self.proto = None
        self.number = 0
        self.master_part = None

    def body(self, slide):
        """The text body of the slide's notes (NotesSlide.notes_text_frame)."""
        part = slide.part
        if self.proto is None:
            notes_slide = slide.notes_slide
            self.proto = copy.deepcopy(notes_slide._element)
            self.master_part = notes_slide.part.part_related_by(RT.NOTES_MASTER)
            self.number = int(str(notes_slide.part.partname).rsplit("notesSlide", 1)[1].split(".")[0])
            return notes_slide.notes_text_frame._txBody
        self.number += 1
        element = copy.deepcopy(self.proto)
        notes_part = NotesSlidePart(PackURI(f"/ppt/notesSlides/notesSlide{self.number}.xml"), CT.PML_NOTES_SLIDE,
                                    part.package, element)
        notes_part.relate_to(self.master_part, RT.NOTES_MASTER)
        notes_part.relate_to(part, RT.SLIDE)
        part.relate_to(notes_part, RT.NOTES_SLIDE)
        # The notes placeholder: the first of type body (NotesSlide.notes_placeholder).
        return next(el for el, kind, _ in _placeholders(element.cSld.spTree) if kind == "body").get_or_add_txBody()


def write(slides: list[SlidePlan], doc: Document) -> bytes:
    """The deck of a plan, as normalised .pptx bytes."""
    prs = Presentation(str(REFERENCE))
    layouts = {layout.name: layout for layout in prs.slide_layouts}
    W, H = prs.slide_width, prs.slide_height
    assert W is not None and H is not None  # the reference deck sets its slide size
    notes = _Notes()
    placeholders: dict[str, list] = {}
    for sp in slides:
        slide = _add_slide(prs, layouts[sp.layout], placeholders)
        found = list(_placeholders(slide.shapes._spTree))
        title = next(el for el, _, idx in found if idx == 0)  # slide.shapes.title
        _set_text(title.get_or_add_txBody(), [(0, sp.title)], 36 if sp.kind == "title" else 28, True)
        for el, _, idx in found:
            if idx != 1:
                continue
            body = el.get_or_add_txBody()
            if sp.kind == "title":
                _set_text(body, [(0, line) for line in sp.subtitle.split("\n")], 18)
            elif sp.kind in ("bullets", "agenda"):
                _set_text(body, [(b.level, b.text) for b in sp.bullets], 22 if len(sp.bullets) <= 4 else 20)
            elif sp.kind == "divider":
                _set_text(body, [(0, sp.subtitle)], 16)
        if sp.section and sp.kind != "divider":
            box = slide.shapes.add_textbox(Inches(0.67), Inches(0.02), Inches(12.0), Inches(0.32))
            box.name = SECTION_SHAPE
            # Light on the layout's dark top band, where the section path sits.
            _set_text(box.text_frame._txBody, [(0, sp.section)], 11, False, "DCE6F2")
        left, top, width = Emu(int(W * 0.055)), Emu(int(H * 0.24)), Emu(int(W * 0.89))
        if sp.table is not None:
            _table(slide, sp, left, top, width)
        if sp.chart is not None:
            _chart(slide, sp.chart, left, top, width, Emu(int(H * 0.68)))
        if sp.gantt is not None:
            _gantt(slide, sp.gantt, left, top, width, Emu(int(H * 0.72)))
        if sp.diagram is not None:
            _picture(slide, diagram_png(sp.diagram), W, top, W * 0.89, H * 0.70)
        if sp.notes:
            _set_text(notes.body(slide), [(0, line) for line in sp.notes.split("\n")], 12)
    _furniture(prs, doc)
    m = doc.meta
    core_properties(prs.core_properties, m)
    return write_package(_members(prs.part.package), f"{m.date}T00:00:00Z")


def _members(package) -> list[tuple[str, bytes]]:
    """The zip members python-pptx's Presentation.save writes, in its order, without zipping them."""
    writer = PackageWriter(None, package._rels, tuple(package.iter_parts()))  # type: ignore[arg-type]  # no file: parts are collected
    out = Members()
    # Members duck-types the zip writer python-pptx expects (it only calls write(name, blob)).
    writer._write_content_types_stream(out)  # type: ignore[arg-type]
    writer._write_pkg_rels(out)  # type: ignore[arg-type]
    writer._write_parts(out)  # type: ignore[arg-type]
    return out.items
