"""Fast readers for `sowpack check`: open a file as it is on disk and see what a reader sees.

The Office formats are read straight from their XML parts with lxml (a tenth of the
time python-docx, python-pptx and openpyxl take to build their object models, which
keeps a full pack of every SOW under the time budget). The readers follow what Word,
PowerPoint and Excel write after a hand edit: tracked insertions (deletions are not
text), content controls (a refreshed Word TOC sits in one), nested fields, styles
inherited through basedOn, headings by outline level, header rows below a title row.

This module holds what a reader sees (Seen), the package reader, the PDF reader and
read(); read_docx.py and read_pptx_xlsx.py hold the Office readers. read() raises
UnreadableFile or WrongType, never anything else.
"""
from __future__ import annotations

import posixpath
import re
import zipfile
import zlib
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
            from pipeline.checks.read_docx import read_docx
            from pipeline.checks.read_pptx_xlsx import read_pptx, read_xlsx

            return {"docx": read_docx, "xlsx": read_xlsx, "pptx": read_pptx}[fmt](pkg)
    except UnreadableFile:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, etree.XMLSyntaxError, KeyError,
            ValueError, IndexError, OSError, UnicodeDecodeError) as exc:
        raise UnreadableFile(f"corrupt or truncated ({type(exc).__name__}: {str(exc)[:160]})") from None
    except Exception as exc:  # noqa: BLE001 - a damaged file must be a finding, never a crash
        raise UnreadableFile(f"does not parse ({type(exc).__name__}: {str(exc)[:160]})") from None


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
