"""read(): open one file as it is on disk and return what a reader sees (Seen).

Dispatches on the format to the Office readers (docx.py, office.py) and the PDF reader
(through dump.py's pypdf view); raises UnreadableFile or WrongType, never anything else.
"""
from __future__ import annotations

import zipfile
import zlib
from pathlib import Path

from lxml import etree

from pipeline.readers import dump as inspect
from pipeline.readers.common import FORMAT_NAMES, Heading, Seen, Text, UnreadableFile, WrongType, _Package, norm_title, sniff
from pipeline.readers.docx import read_docx
from pipeline.readers.office import read_pptx, read_xlsx


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


# --- pdf ----------------------------------------------------------------------
def _read_pdf(path: Path) -> Seen:
    with open(path, "rb") as fh:
        fh.seek(0, 2)
        size = fh.tell()
        fh.seek(max(0, size - 2048))
        tail = fh.read()
    if b"%%EOF" not in tail:
        raise UnreadableFile("truncated: the PDF has no %%EOF marker at its end")
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
