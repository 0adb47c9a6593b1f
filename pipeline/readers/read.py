"""read(): open one file as it is on disk and return what a reader sees (Seen).

Dispatches through the format table (core.formats): the row's container says what the
bytes must be, its reader reads them; raises UnreadableFile or WrongType, never anything else.
"""
from __future__ import annotations

import dataclasses
import marshal
import operator
import zipfile
import zlib
from functools import lru_cache
from pathlib import Path

from lxml import etree

from pipeline.core import cache
from pipeline.core.formats import FORMATS, load
from pipeline.core.manifest import sha256_file
from pipeline.readers.common import FORMAT_NAMES, Heading, Seen, Sheet, Text, UnreadableFile, WrongType, _Package, sniff


def read(path: Path, fmt: str | None = None) -> Seen:
    """Read a file as format fmt (default: its extension).

    What a file shows depends on its bytes alone, so it is remembered in the user's
    cache by their hash (core.cache): `check` does not parse again a file the build
    already verified, or a pack checked before.

    Raises:
        WrongType: the bytes are another format than the extension says.
        UnreadableFile: empty, corrupt or truncated, or no format of the table has this suffix.
    """
    fmt = fmt or path.suffix.lstrip(".").lower()
    if not cache.enabled():
        return _read(path, fmt)
    try:
        name = f"{_readers_version()}-{fmt}-{sha256_file(path)}"
    except OSError:
        return _read(path, fmt)
    # marshal of tuples, not JSON or dicts: a 10,000-row register's view loads in a fraction of the time.
    return cache.remembered("seen", name, lambda: _read(path, fmt),
                            lambda seen: marshal.dumps(_to_record(seen)),
                            lambda raw: _from_record(marshal.loads(raw)))


@lru_cache(maxsize=1)
def _readers_version() -> str:
    """A digest of the code that decides what a file shows, and of its libraries' versions."""
    here = Path(__file__).resolve().parent
    return cache.code_digest([*sorted(here.glob("*.py")), here.parent / "core" / "text.py"], ("lxml", "pypdf"))


def _fields(cls) -> operator.attrgetter:
    """A getter of an object's fields as a tuple, in the order its class takes them."""
    return operator.attrgetter(*(f.name for f in dataclasses.fields(cls)))


_HEADING, _TEXT = _fields(Heading), _fields(Text)


def _to_record(seen: Seen) -> tuple:
    """What marshal stores of a Seen: plain tuples, in field order (test_yamlio checks every field round-trips)."""
    return (seen.format, [_HEADING(h) for h in seen.headings], [_TEXT(t) for t in seen.texts], seen.tables,
            [(s.name, s.grid) for s in seen.sheets], seen.toc, seen.page_mm, seen.fonts, seen.date)


def _from_record(r: tuple) -> Seen:
    """The Seen that _to_record(seen) was made from."""
    fmt, headings, texts, tables, sheets, toc, page_mm, fonts, date = r
    return Seen(fmt, [Heading(*h) for h in headings], [Text(*t) for t in texts], tables,
                [Sheet(name, grid) for name, grid in sheets], toc,  # marshal keeps (row, cells) tuples
                tuple(page_mm) if page_mm is not None else None, [(n, e) for n, e in fonts], date)


def _read(path: Path, fmt: str) -> Seen:
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
