"""read(): open one file as it is on disk and return what a reader sees (Seen).

Dispatches through the format table (core.formats): the row's container says what the
bytes must be, its reader reads them; raises UnreadableFile or WrongType, never anything else.
"""
from __future__ import annotations

import zipfile
import zlib
from pathlib import Path

from lxml import etree

from pipeline.core.formats import FORMATS, load
from pipeline.readers.common import FORMAT_NAMES, Seen, UnreadableFile, WrongType, _Package, sniff


def read(path: Path, fmt: str | None = None) -> Seen:
    """Read a file as format fmt (default: its extension).

    Raises:
        WrongType: the bytes are another format than the extension says.
        UnreadableFile: empty, corrupt or truncated, or no format of the table has this suffix.
    """
    fmt = fmt or path.suffix.lstrip(".").lower()
    row = FORMATS.get(fmt)
    # Loaded outside the try below: a reader that fails to import is a bug, not a damaged file.
    reader = load(row.reader) if row is not None else None
    try:
        kind = sniff(path)
    except OSError as exc:
        raise UnreadableFile(f"cannot open: {exc.strerror}") from None
    if kind == "empty":
        raise UnreadableFile("the file is empty (0 bytes)")
    try:
        if row is None or reader is None:
            raise UnreadableFile(f"no reader for '.{fmt}' files")
        if kind != row.container:
            raise _wrong(fmt, kind, path)
        if row.container != "zip":
            return reader(path)
        try:
            zf = zipfile.ZipFile(path)
        except zipfile.BadZipFile:
            raise UnreadableFile("corrupt or truncated: the zip directory at the end of the file is missing") from None
        with zf:
            pkg = _Package(zf)
            actual = pkg.format()
            if actual != fmt:
                raise WrongType(f"this is {FORMAT_NAMES.get(actual or '', 'not an Office file')}, not "
                                f"{FORMAT_NAMES[fmt]} (wrong extension?)")
            seen = reader(pkg)
            seen.date = pkg.created()
            return seen
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
