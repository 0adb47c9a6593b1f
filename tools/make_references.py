"""Regenerate templates/docx/reference.docx and templates/pptx/reference.pptx.

The reference files carry styles and layouts only (Pandoc's reference-doc idea);
renderers use their named styles. Run: .venv/bin/python tools/make_references.py
"""
from __future__ import annotations

import sys
from pathlib import Path

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING, WD_TAB_ALIGNMENT, WD_TAB_LEADER
from docx.oxml.ns import qn
from docx.oxml import OxmlElement
from pptx.oxml import parse_xml
from docx.shared import Mm, Pt, RGBColor
from pptx import Presentation
from pptx.util import Emu

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from pipeline import fonts  # noqa: E402
from pipeline.renderers.normalize import normalize_zip  # noqa: E402


def set_fonts(rpr_owner, ea: str, latin: str) -> None:
    rpr = rpr_owner.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.insert(0, rfonts)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        rfonts.attrib.pop(qn(attr), None)
    rfonts.set(qn("w:ascii"), latin)
    rfonts.set(qn("w:hAnsi"), latin)
    rfonts.set(qn("w:eastAsia"), ea)
    rfonts.set(qn("w:cs"), latin)


def style(doc, name, kind=WD_STYLE_TYPE.PARAGRAPH, base=None):
    try:
        s = doc.styles[name]
    except KeyError:
        s = doc.styles.add_style(name, kind)
        if base:
            s.base_style = doc.styles[base]
    return s


def make_docx(path: Path) -> None:
    doc = Document()
    # Language defaults: without eastAsia zh-CN LibreOffice picks Japanese glyphs.
    rpr_default = doc.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    lang = rpr_default.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr_default.append(lang)
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")
    rfonts = rpr_default.find(qn("w:rFonts"))
    for attr in list(rfonts.attrib):
        del rfonts.attrib[attr]
    rfonts.set(qn("w:ascii"), fonts.BODY_LATIN)
    rfonts.set(qn("w:hAnsi"), fonts.BODY_LATIN)
    rfonts.set(qn("w:eastAsia"), fonts.BODY_EA)
    rfonts.set(qn("w:cs"), fonts.BODY_LATIN)

    normal = doc.styles["Normal"]
    normal.font.size = Pt(12)
    set_fonts(normal.element, fonts.BODY_EA, fonts.BODY_LATIN)
    pf = normal.paragraph_format
    pf.line_spacing_rule = WD_LINE_SPACING.ONE_POINT_FIVE
    pf.space_after = Pt(4)

    body = style(doc, "Body Text", base="Normal")
    body.paragraph_format.first_line_indent = Pt(24)

    sizes = {1: 16, 2: 14, 3: 13, 4: 12}
    for level, size in sizes.items():
        h = doc.styles[f"Heading {level}"]
        h.font.size = Pt(size)
        h.font.bold = True
        h.font.color.rgb = RGBColor(0x1F, 0x3A, 0x5F)
        set_fonts(h.element, fonts.HEADING_EA, fonts.HEADING_LATIN)
        h.paragraph_format.space_before = Pt(12 if level == 1 else 8)
        h.paragraph_format.space_after = Pt(6)
        h.paragraph_format.keep_with_next = True

    for name, size, bold in (("Title", 26, True), ("Subtitle", 16, False)):
        s = doc.styles[name]
        s.font.size = Pt(size)
        s.font.bold = bold
        s.font.color.rgb = RGBColor(0x1F, 0x3A, 0x5F)
        set_fonts(s.element, fonts.HEADING_EA, fonts.HEADING_LATIN)
        s.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
        # The default Title draws a bottom border; a cover does not want it.
        ppr = s.element.find(qn("w:pPr"))
        if ppr is not None and ppr.find(qn("w:pBdr")) is not None:
            ppr.remove(ppr.find(qn("w:pBdr")))

    cover = style(doc, "Cover Text", base="Normal")
    cover.font.size = Pt(14)
    cover.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    set_fonts(cover.element, fonts.HEADING_EA, fonts.HEADING_LATIN)

    toc_heading = style(doc, "TOC Heading", base="Normal")
    toc_heading.font.size = Pt(16)
    toc_heading.font.bold = True
    toc_heading.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    set_fonts(toc_heading.element, fonts.HEADING_EA, fonts.HEADING_LATIN)
    for level in (1, 2, 3):
        t = style(doc, f"toc {level}", base="Normal")
        t.paragraph_format.left_indent = Pt(12 * (level - 1))
        t.paragraph_format.space_after = Pt(0)
        # Page numbers flush right after a dotted leader, at the type area's edge.
        t.paragraph_format.tab_stops.add_tab_stop(Mm(156), WD_TAB_ALIGNMENT.RIGHT, WD_TAB_LEADER.DOTS)

    for name in ("Table Text", "Table Header"):
        t = style(doc, name, base="Normal")
        t.font.size = Pt(10.5)
        t.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
        t.paragraph_format.space_after = Pt(0)
        if name == "Table Header":
            t.font.bold = True
            set_fonts(t.element, fonts.HEADING_EA, fonts.HEADING_LATIN)
    caption = doc.styles["Caption"]
    caption.font.size = Pt(10.5)
    caption.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    set_fonts(caption.element, fonts.BODY_EA, fonts.BODY_LATIN)
    for name in ("Header", "Footer"):
        s = style(doc, name, base="Normal")
        s.font.size = Pt(9)
        s.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for name in ("List Bullet", "List Number"):
        set_fonts(doc.styles[name].element, fonts.BODY_EA, fonts.BODY_LATIN)

    sec = doc.sections[0]
    sec.page_width, sec.page_height = Mm(210), Mm(297)
    sec.top_margin, sec.bottom_margin = Mm(30), Mm(25)
    sec.left_margin, sec.right_margin = Mm(28), Mm(26)
    sec.header_distance = sec.footer_distance = Mm(12)
    doc.core_properties.author = "sowpack"
    doc.save(path)
    normalize_zip(path, path)


def make_pptx(path: Path) -> None:
    prs = Presentation()
    prs.slide_width, prs.slide_height = Emu(12192000), Emu(6858000)  # 16:9, 13.333 x 7.5 in
    # Stretch placeholders from the 4:3 default to the 16:9 width. Layout
    # placeholders without their own xfrm inherit the master's: leave them alone.
    ratio = 12192000 / 9144000

    def stretch(shape):
        if shape._element.xpath("./p:spPr/a:xfrm"):
            shape.left, shape.width = int(shape.left * ratio), int(shape.width * ratio)

    for master in prs.slide_masters:
        for shape in master.placeholders:
            stretch(shape)
        for layout in master.slide_layouts:
            for shape in layout.placeholders:
                stretch(shape)
    # A brand band on the master: a dark-blue bar at the top and a thin rule at the bottom.
    master = prs.slide_masters[0]
    tree = master.shapes._spTree
    for n, (y, h, color) in enumerate(((0, 228600, "1F3A5F"), (6217920, 18288, "8EA9DB")), 100):
        tree.insert(2, parse_xml(
            f'<p:sp xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main" '
            f'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main">'
            f'<p:nvSpPr><p:cNvPr id="{n}" name="sowpack band {n}"/><p:cNvSpPr/><p:nvPr userDrawn="1"/></p:nvSpPr>'
            f'<p:spPr><a:xfrm><a:off x="0" y="{y}"/><a:ext cx="12192000" cy="{h}"/></a:xfrm>'
            f'<a:prstGeom prst="rect"><a:avLst/></a:prstGeom><a:solidFill><a:srgbClr val="{color}"/></a:solidFill>'
            f'<a:ln><a:noFill/></a:ln></p:spPr></p:sp>'))
    prs.core_properties.author = "sowpack"
    prs.save(path)
    normalize_zip(path, path)


if __name__ == "__main__":
    make_docx(ROOT / "templates/docx/reference.docx")
    make_pptx(ROOT / "templates/pptx/reference.pptx")
    print("wrote templates/docx/reference.docx and templates/pptx/reference.pptx")
