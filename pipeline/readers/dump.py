"""Reopen written files and read back what a reader sees: headings, tables, sheets, slides, fonts.

Used by the golden text dumps (tests/golden.py) and, for PDFs, by `sowpack check` (readers/pdf.py).
Every reader raises UnreadableFile (never anything else) on a file that will not open.
"""
from __future__ import annotations

import re
import subprocess
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.core.formats import FORMATS, load
from pipeline.core.text import strip_number
from pipeline.readers.office import SECTION_SEP, SECTION_SHAPE


class UnreadableFile(Exception):
    """The file is corrupt, truncated, or not what its extension says."""


@dataclass
class Heading:
    title: str  # number prefix stripped
    level: int
    content: int = 0  # characters of body text (tables, pictures count) before the next heading


@dataclass
class View:
    """What a reader of one output file sees."""

    format: str
    headings: list[Heading] = field(default_factory=list)
    #: Every piece of visible text: body, tables, headers, footers, notes.
    texts: list[str] = field(default_factory=list)
    #: sheet name -> (header, data rows)
    sheets: dict[str, tuple[list[str], list[list[object]]]] = field(default_factory=dict)
    #: (font name, embedded) for PDFs; (slot, font) for Office files.
    fonts: list[tuple[str, bool]] = field(default_factory=list)
    #: Tables as lists of rows (docx, pptx).
    tables: list[list[list[str]]] = field(default_factory=list)
    #: Canonical text dump for golden files.
    dump: list[str] = field(default_factory=list)
    info: dict = field(default_factory=dict)


def read(path: Path) -> View:
    """Read a file as its extension says, with the row's dump reader from the format table.

    Raises:
        UnreadableFile: no format of the table has this suffix, or the file will not open.
    """
    row = FORMATS.get(path.suffix.lstrip(".").lower())
    if row is None:
        raise UnreadableFile(f"unknown file type '{path.suffix}'")
    reader = load(row.dump)
    try:
        return reader(path)
    except UnreadableFile:
        raise
    except Exception as exc:  # noqa: BLE001 - the Office libraries raise a zoo of types on bad files
        raise UnreadableFile(f"{type(exc).__name__}: {str(exc)[:200]}") from None


def _zip_guard(path: Path) -> None:
    if not zipfile.is_zipfile(path):
        raise UnreadableFile("not an Office Open XML file (not a zip archive)")
    with zipfile.ZipFile(path) as zf:
        bad = zf.testzip()
        if bad:
            raise UnreadableFile(f"corrupt zip member {bad}")


# --- docx ---------------------------------------------------------------------
def read_docx(path: Path) -> View:
    from docx import Document
    from docx.oxml.ns import qn

    _zip_guard(path)
    doc = Document(str(path))
    v = View("docx")
    body = doc.element.body
    # Field nesting: a refreshed TOC holds one nested PAGEREF field per entry.
    depth = 0
    toc_depth = None
    toc_entries = 0
    for el in body.iterchildren():
        if el.tag == qn("w:p"):
            style_id = el.pPr.pStyle.val if el.pPr is not None and el.pPr.pStyle is not None else ""
            style = doc.styles.get_by_id(style_id, 1).name if style_id else "Normal"
            text = "".join(t.text or "" for t in el.iter(qn("w:t")))
            has_pic = any(True for _ in el.iter(qn("w:drawing")))
            in_toc_before = toc_depth is not None
            for node in el.iter(qn("w:fldChar"), qn("w:instrText")):
                if node.tag == qn("w:instrText"):
                    if (node.text or "").strip().startswith("TOC") and toc_depth is None:
                        toc_depth = depth
                elif node.get(qn("w:fldCharType")) == "begin":
                    depth += 1
                elif node.get(qn("w:fldCharType")) == "end":
                    depth -= 1
                    if toc_depth is not None and depth < toc_depth:
                        toc_depth = None
            if (in_toc_before or toc_depth is not None) and style.lower().startswith("toc ") and text.strip():
                toc_entries += 1
            m = re.match(r"Heading (\d)", style)
            if m:
                v.headings.append(Heading(strip_number(text), int(m.group(1))))
                v.dump.append(f"H{m.group(1)} {text}")
            elif text.strip() or has_pic:
                if v.headings:
                    v.headings[-1].content += len(text.strip()) + (10 if has_pic else 0)
                v.dump.append(f"P[{style}] {text}" + (" [picture]" if has_pic else ""))
            if text:
                v.texts.append(text)
        elif el.tag == qn("w:tbl"):
            _docx_table(el, v)
    for sec in doc.sections:
        for part, name in ((sec.header, "HEADER"), (sec.footer, "FOOTER")):
            text = "".join(p.text for p in part.paragraphs)
            instr = "".join(t.text or "" for t in part._element.iter(qn("w:instrText")))
            v.dump.append(f"{name} {text}" + (f" {{{instr.strip()}}}" if instr.strip() else ""))
            v.texts.append(text)
        if sec.page_width is None or sec.page_height is None:
            raise UnreadableFile("corrupt: a section has no page size")
        v.info["page_mm"] = (round(sec.page_width.mm), round(sec.page_height.mm))
    v.info["toc_entries"] = toc_entries
    ea = set()
    for rf in doc.styles.element.iter(qn("w:rFonts")):
        if rf.get(qn("w:eastAsia")):
            ea.add(rf.get(qn("w:eastAsia")))
    v.fonts = [(f, True) for f in sorted(ea)]
    lang = doc.styles.element.find(".//" + qn("w:lang"))
    v.info["lang_eastAsia"] = lang.get(qn("w:eastAsia")) if lang is not None else None
    v.dump.insert(0, f"PAGE {v.info['page_mm'][0]}x{v.info['page_mm'][1]}mm TOC-ENTRIES {toc_entries} "
                     f"EA-FONTS {','.join(sorted(ea))} LANG-EA {v.info['lang_eastAsia']}")
    return v


def _docx_table(el, v: View) -> None:
    """A body-level w:tbl of read_docx: its rows into the view, its text into the heading above."""
    from docx.oxml.ns import qn

    rows = []
    for tr in el.iter(qn("w:tr")):
        # A non-breaking hyphen is a hyphen; a zero-width space only marks where a line may break.
        rows.append(["".join("-" if t.tag == qn("w:noBreakHyphen") else (t.text or "").replace("\u200b", "")
                             for t in tc.iter(qn("w:t"), qn("w:noBreakHyphen")))
                     for tc in tr.iter(qn("w:tc"))])
    ncols = max((len(r) for r in rows), default=0)
    v.tables.append(rows)
    v.dump.append(f"TABLE {len(rows)}x{ncols}")
    for r in rows:
        v.dump.append("| " + " | ".join(r) + " |")
        v.texts.extend(c for c in r if c)
    if v.headings and len(rows) > 1:
        v.headings[-1].content += sum(len(c) for r in rows[1:] for c in r)


# --- pptx ---------------------------------------------------------------------
def read_pptx(path: Path) -> View:
    from pptx import Presentation
    from pptx.util import Emu

    _zip_guard(path)
    prs = Presentation(str(path))
    v = View("pptx")
    if prs.slide_width is None or prs.slide_height is None:
        raise UnreadableFile("corrupt: the presentation has no slide size")
    v.info["slide_size"] = (prs.slide_width, prs.slide_height)
    v.dump.append(f"SIZE {Emu(prs.slide_width).inches:.2f}x{Emu(prs.slide_height).inches:.2f}in")
    ea = set()
    for n, slide in enumerate(prs.slides, 1):
        title_shape = slide.shapes.title
        title = title_shape.text_frame.text if title_shape is not None and title_shape.has_text_frame else ""
        v.dump.append(f"SLIDE {n} [{slide.slide_layout.name}] {title}")
        body_chars = 0
        section_slide = slide.slide_layout.name == "Section Header"
        kicker = ""
        for shape in slide.shapes:
            if shape is title_shape:
                continue
            if not shape.is_placeholder and shape.name == SECTION_SHAPE and shape.has_text_frame:
                # The section path a sowpack deck shows above a slide's title.
                kicker = shape.text_frame.text.strip()
                v.dump.append(f"  SECTION {kicker}")
                continue
            # A section slide's subtitle repeats the document title: it is not section content.
            furniture = shape.is_placeholder and (
                section_slide or str(shape.placeholder_format.type).split(" ")[0] in ("FOOTER", "SLIDE_NUMBER", "DATE"))
            if shape.has_text_frame and shape.text_frame.text.strip():
                for p in shape.text_frame.paragraphs:
                    if p.text.strip():
                        v.dump.append(f"  {'  ' * p.level}- {p.text}")
                        v.texts.append(p.text)
                        body_chars += 0 if furniture else len(p.text)
            if getattr(shape, "has_table", False) and shape.has_table:
                rows = [[c.text for c in r.cells] for r in shape.table.rows]
                v.tables.append(rows)
                v.dump.append(f"  TABLE {len(rows)}x{len(rows[0]) if rows else 0}")
                for r in rows:
                    v.dump.append("  | " + " | ".join(r) + " |")
                    v.texts.extend(c for c in r if c)
                body_chars += sum(len(c) for r in rows[1:] for c in r)
            if getattr(shape, "has_chart", False) and shape.has_chart:
                ch = shape.chart
                v.dump.append(f"  CHART {ch.chart_type} series={[s.name for s in ch.plots[0].series]}")
                body_chars += 10
            if shape.shape_type is not None and str(shape.shape_type).startswith("PICTURE"):
                v.dump.append(f"  PICTURE {Emu(shape.width).inches:.1f}x{Emu(shape.height).inches:.1f}in")
                body_chars += 10
        if slide.has_notes_slide:
            for line in slide.notes_slide.notes_text_frame.text.split("\n"):
                if line.strip():
                    v.dump.append(f"  NOTES {line}")
                    v.texts.append(line)
        for el in slide.shapes._spTree.iter("{http://schemas.openxmlformats.org/drawingml/2006/main}ea"):
            ea.add(el.get("typeface"))
        if title:
            v.texts.append(title)
            level = 1 if section_slide else 2
            trail = [x.strip() for x in kicker.split(SECTION_SEP)] if kicker else [title]
            for k, name in enumerate(trail):
                content = body_chars if k == len(trail) - 1 else 0
                # A section's slides (section header, then content or table slides) share
                # its title: they are one heading whose content is the sum.
                if v.headings and v.headings[-1].title == strip_number(name):
                    v.headings[-1].content += content
                else:
                    parent = k < len(trail) - 1
                    v.headings.append(Heading(strip_number(name), (1 if k == 0 and parent else 2) if kicker else level,
                                              content))
    v.fonts = [(f, True) for f in sorted(ea)]
    return v


# --- xlsx ---------------------------------------------------------------------
def read_xlsx(path: Path) -> View:
    from openpyxl import load_workbook

    _zip_guard(path)
    wb = load_workbook(path, data_only=False)
    v = View("xlsx")
    for ws in wb.worksheets:
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
        v.dump.append(f"SHEET {ws.title} dims={ws.dimensions} freeze={ws.freeze_panes}")
        for dv in ws.data_validations.dataValidation:
            v.dump.append(f"  VALIDATION {dv.sqref} {dv.type} {dv.formula1}")
        for row in ws.iter_rows():
            for c in row:
                if c.value is not None:
                    fmt = f" ({c.number_format})" if c.number_format != "General" else ""
                    v.dump.append(f"  {c.coordinate} [{c.data_type}] {c.value}{fmt}")
                    v.texts.append(str(c.value))
        for ch in ws._charts:
            v.dump.append(f"  CHART {type(ch).__name__} {len(ch.series)} series")
        header = [str(x).strip() if x is not None else "" for x in (rows[0] if rows else [])]
        data = [r for r in rows[1:] if any(x not in (None, "") for x in r)]
        v.sheets[ws.title] = (header, data)
    return v


# --- pdf ----------------------------------------------------------------------
def _pdftotext(path: Path) -> list[str]:
    try:
        out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, timeout=60)
    except FileNotFoundError:
        raise UnreadableFile("pdftotext is not installed (apt-get install poppler-utils)") from None
    if out.returncode != 0:
        raise UnreadableFile(out.stderr.decode("utf-8", "replace").strip()[:200] or "pdftotext failed")
    return out.stdout.decode("utf-8", "replace").split("\f")


def read_pdf(path: Path) -> View:
    from pypdf import PdfReader

    head = path.read_bytes()[:5]
    if head != b"%PDF-":
        raise UnreadableFile("not a PDF file")
    reader = PdfReader(str(path))
    v = View("pdf")
    pages = _pdftotext(path)
    if pages and not pages[-1].strip():
        pages = pages[:-1]
    box = reader.pages[0].mediabox
    v.info["page_mm"] = (round(float(box.width) * 25.4 / 72), round(float(box.height) * 25.4 / 72))
    created = str(reader.metadata.get("/CreationDate") or "") if reader.metadata else ""
    if len(created) >= 10 and created[2:10].isdigit():
        v.info["created"] = f"{created[2:6]}-{created[6:8]}-{created[8:10]}"
    v.info["pages"] = len(reader.pages)
    fonts: dict[str, bool] = {}
    for page in reader.pages:
        res = page.get("/Resources") or {}
        for f in (res.get("/Font") or {}).values():
            f = f.get_object()
            name = str(f.get("/BaseFont", "")).lstrip("/")
            desc = f.get("/FontDescriptor")
            if desc is None and "/DescendantFonts" in f:
                desc = f["/DescendantFonts"][0].get_object().get("/FontDescriptor")
            desc = desc.get_object() if desc is not None else {}
            embedded = any(k in desc for k in ("/FontFile", "/FontFile2", "/FontFile3"))
            fonts[name] = fonts.get(name, False) or embedded
    v.fonts = sorted(fonts.items())
    outline = []

    def walk(items, level):
        for it in items:
            if isinstance(it, list):
                walk(it, level + 1)
            else:
                outline.append((str(it.title), level, reader.get_destination_page_number(it)))
    walk(reader.outline, 1)
    v.info["outline"] = outline
    v.dump.append(f"PAGES {len(reader.pages)} SIZE {v.info['page_mm'][0]}x{v.info['page_mm'][1]}mm")
    for name, emb in v.fonts:
        v.dump.append(f"FONT {re.sub(r'^[A-Z]{6}[+]', '', name)} embedded={'yes' if emb else 'no'}")
    for title, level, pno in outline:
        v.dump.append(f"BOOKMARK {'  ' * (level - 1)}{title} -> p{pno + 1}")
    for n, text in enumerate(pages, 1):
        v.dump.append(f"PAGE {n}")
        for line in text.splitlines():
            if line.strip():
                v.dump.append(f"  {line.strip()}")
                v.texts.append(line.strip())
    # Headings from the bookmarks; content = body text between one heading and the next.
    if outline:
        first = outline[0][2]
        body = "\n".join(pages[first:])
        pos = 0
        found: list[tuple[Heading, tuple[int, int] | None]] = []
        for title, level, _ in outline:
            i = body.find(title, pos)
            if i < 0:
                found.append((Heading(strip_number(title), level), None))
                continue
            found.append((Heading(strip_number(title), level), (i, i + len(title))))
            pos = i + len(title)
        for k, (h, span) in enumerate(found):
            if span is not None:
                nxt = next((s[0] for _, s in found[k + 1:] if s is not None), len(body))
                chunk = re.sub(r"\s+", "", body[span[1]:nxt])
                # The running header/footer repeat on every page; do not count them.
                h.content = len(chunk)
            v.headings.append(h)
    return v
