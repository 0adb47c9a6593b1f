"""Fast readers for `sowpack check`: open a file as it is on disk and see what a reader sees.

The Office formats are read straight from their XML parts with lxml (a tenth of the
time python-docx, python-pptx and openpyxl take to build their object models, which
keeps a full pack of every SOW under the time budget). The readers follow what Word,
PowerPoint and Excel write after a hand edit: tracked insertions (deletions are not
text), content controls (a refreshed Word TOC sits in one), nested fields, styles
inherited through basedOn, headings by outline level, header rows below a title row.

This module holds what a reader sees (Seen), the format sniffer and the OPC package
reader; read.py dispatches through the format table (core.formats), docx.py and
office.py hold the Office readers, pdf.py the PDF reader.
"""
from __future__ import annotations

import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from lxml import etree

from pipeline.core.formats import FORMATS
from pipeline.core.limits import MAX_XML_PART_BYTES
from pipeline.core.text import strip_number

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
#: How messages name what a file is: every format of the table, and the OLE files sniff() finds.
FORMAT_NAMES = {**{f.name: f.label for f in FORMATS.values()},
                "ole": "a legacy Office file (.doc/.xls/.ppt) or an encrypted one"}
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_blank_text=False)


class UnreadableFile(Exception):
    """The file is empty, corrupt or truncated."""


class WrongType(UnreadableFile):
    """The file is readable but is not what its extension says."""


class TooLarge(UnreadableFile):
    """The file is over a limit of core.limits (a zip bomb, a sheet declaring millions of cells)."""


@dataclass
class Heading:
    """A heading (docx/pdf), slide title (pptx) or 章节 row (xlsx) with the body under it."""

    title: str  # number prefix stripped, whitespace removed
    level: int
    content: int = 0  # characters of body text, tables and pictures before the next heading
    shown: str = ""  # as written
    pictures: int = 0  # pictures and charts before the next heading (a diagram, a chart)


@dataclass(slots=True)  # a register's view holds one per cell: slots halve the time to make them
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

    def cell_texts(self) -> Iterator[Text]:
        """A Text (where "cell", at its A1 reference) for each cell that shows something."""
        name = self.name
        for rnum, cells in self.grid:
            for col, val in enumerate(cells):
                if val and not val.isspace():
                    yield Text(val, "cell", None, f"{col_letter(col)}{rnum}", name)


def col_letter(i: int) -> str:
    """A column's letters from its 0-based index: 0 -> A, 26 -> AA."""
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


@dataclass
class Seen:
    """What a reader of one file sees."""

    format: str
    headings: list[Heading] = field(default_factory=list)
    #: Every piece of visible text but a workbook's cells, which its sheets hold (every_text()).
    texts: list[Text] = field(default_factory=list)
    tables: list[list[list[str]]] = field(default_factory=list)
    sheets: list[Sheet] = field(default_factory=list)
    #: docx: None when there is no TOC field, else {"entries": [...], "unrefreshed": bool}
    toc: dict | None = None
    page_mm: tuple[int, int] | None = None
    #: pdf: (font name, embedded)
    fonts: list[tuple[str, bool]] = field(default_factory=list)
    #: The date the file carries (ISO): Office core properties' created, a PDF's CreationDate.
    date: str | None = None

    def every_text(self) -> Iterator[Text]:
        """Every piece of visible text: `texts`, and each cell that shows something, sheet by sheet
        (a sheet's cells, then its header and footer). A Text per cell is only made here, when
        asked: a 10,000-row register has 80,000 of them, which a check looks through only once
        strings() held what it looks for."""
        if not self.sheets:
            yield from self.texts
            return
        names = {s.name for s in self.sheets}
        yield from (t for t in self.texts if t.sheet not in names)
        for sheet in self.sheets:
            yield from sheet.cell_texts()
            yield from (t for t in self.texts if t.sheet == sheet.name)

    def strings(self) -> Iterator[str]:
        """The text of every_text(), without making a Text per cell."""
        yield from (t.text for t in self.texts)
        for sheet in self.sheets:
            for _, cells in sheet.grid:
                yield from cells


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


# --- OPC package ---------------------------------------------------------------
class _Package:
    """Parts and relationships of an Office Open XML zip."""

    def __init__(self, zf: zipfile.ZipFile) -> None:
        self.zf = zf
        self.names = set(zf.namelist())
        self._cache: dict[str, etree._Element] = {}
        #: Unpacked bytes of the XML parsed so far (bounded by MAX_XML_PART_BYTES, all parts together).
        self.parsed = 0

    def xml(self, name: str) -> etree._Element:
        if name not in self._cache:
            try:
                # zipfile never unpacks more than a member's recorded size (or fails its CRC),
                # so checking the recorded size bounds memory before anything is inflated.
                size = self.zf.getinfo(name).file_size
            except KeyError:
                raise UnreadableFile(f"corrupt: the part '{name}' is missing") from None
            if size > MAX_XML_PART_BYTES - self.parsed:
                raise TooLarge(f"the part '{name}' unpacks to {size} bytes; sowpack reads at most "
                               f"{MAX_XML_PART_BYTES} bytes of XML from one file (zip bomb?)")
            self.parsed += size
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

    def created(self) -> str | None:
        """The ISO date of the package's core properties (dcterms:created), if any."""
        part = next((name for rtype, name in self.rels("").values() if rtype == "core-properties"), None)
        if part is None or part not in self.names:
            return None
        el = self.xml(part).find("{http://purl.org/dc/terms/}created")
        text = (el.text or "").strip() if el is not None else ""
        return text[:10] if re.match(r"\d{4}-\d{2}-\d{2}", text) else None

    def format(self) -> str | None:
        if "[Content_Types].xml" not in self.names:
            return None
        main = "/" + self.main()
        for o in self.xml("[Content_Types].xml").iter(CT + "Override"):
            if o.get("PartName") == main:
                ctype = o.get("ContentType", "")
                return next((f for key, f in MAIN_TYPES if key in ctype), None)
        return None
