"""Deterministic OOXML: fixed zip member timestamps, stable order, fixed core dates.

An OOXML package is written in one pass from its parts (write_package), each part
compressed once; parts that repeat from file to file (the reference document's 350 KB
styles) are compressed once per process. The bytes are exactly those of
`zipfile.ZipFile.writestr` with a fixed `ZipInfo` (normalize_bytes, kept for zips
other libraries write, is the reference; a test holds both to the same bytes), but for a
part of 1 MiB or more (a 10,000-row register's sheet: 4.9 MB): it is deflated in two halves
side by side, as pigz does (_deflate).
"""
from __future__ import annotations

import io
import re
import struct
import sys
import zipfile
import zlib
from collections import OrderedDict
from pathlib import Path
from typing import Iterable

#: Zip timestamp written on every member (the zip format cannot go before 1980).
FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)

_CORE_DATE = re.compile(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)")
#: The application a file names in docProps/app.xml: the libraries' own defaults say
#: "Microsoft Macintosh Word" (python-docx's template) or "Openpyxl", neither true.
APPLICATION = b"sowpack"
_APP = re.compile(rb"<Application>[^<]*</Application>")
_APP_VERSION = re.compile(rb"<AppVersion>[^<]*</AppVersion>")
_CONTENT_TYPES = "[Content_Types].xml"

# The zip records zipfile writes for a ZipInfo(name, FIXED_ZIP_TIME), deflated, mode 644,
# no zip64 (APPNOTE.TXT sections 4.3.7, 4.3.12 and 4.3.16).
_LOCAL = struct.Struct("<4s2B4HL2L2H")
_CENTRAL = struct.Struct("<4s4B4HL2L5H2L")
_END = struct.Struct("<4s4H2LH")
_VERSION = 20  # zipfile's DEFAULT_VERSION: deflate
_SYSTEM = 0 if sys.platform == "win32" else 3  # what ZipInfo records as the creating system
_ATTR = 0o644 << 16
_DOSTIME = FIXED_ZIP_TIME[3] << 11 | FIXED_ZIP_TIME[4] << 5 | FIXED_ZIP_TIME[5] // 2
_DOSDATE = (FIXED_ZIP_TIME[0] - 1980) << 9 | FIXED_ZIP_TIME[1] << 5 | FIXED_ZIP_TIME[2]
#: Parts at least this large are remembered compressed (styles, themes, fonts tables).
_CACHE_MIN = 8 * 1024
_CACHE_SIZE = 32
_deflated: OrderedDict[bytes, tuple[int, bytes]] = OrderedDict()


#: Parts at least this large are deflated in two halves at once (_deflate).
SPLIT_MIN = 1 << 20
#: Deflate's window: how far back the second half may refer into the first.
_WINDOW = 32 * 1024


def _deflate(data: bytes) -> tuple[int, bytes]:
    """(CRC-32, raw deflate at zlib's default level) of data, as zipfile computes them.

    A part of SPLIT_MIN bytes or more is deflated in two halves at once, in two threads (zlib
    works without the GIL): the first half ends with a sync flush (an empty stored block, on a
    byte boundary), the second starts with the window before it as its dictionary, so the two
    make one deflate stream any inflater reads, 0.01 % longer. The register's 4.9 MB sheet:
    54 ms -> 28 ms. The same bytes for the same part, every time.
    """
    if len(data) >= _CACHE_MIN:
        hit = _deflated.get(data)
        if hit is not None:
            _deflated.move_to_end(data)
            return hit
    if len(data) >= SPLIT_MIN:
        out = zlib.crc32(data), _deflate_halves(data)
    else:
        c = _deflater()
        out = zlib.crc32(data), c.compress(data) + c.flush()
    if len(data) >= _CACHE_MIN:
        _deflated[data] = out
        if len(_deflated) > _CACHE_SIZE:
            _deflated.popitem(last=False)
    return out


def _deflater(dictionary: bytes | None = None):
    """A raw deflate (no zlib header, as zip holds it) at zlib's default level, primed with dictionary."""
    if dictionary is None:
        return zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
    return zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15, zdict=dictionary)


def _deflate_halves(data: bytes) -> bytes:
    """_deflate's two halves: the first in a thread of its own (joined here: no thread outlives
    the call, so none is left for a forked render worker or the command's exit to wait on)."""
    import threading

    half = len(data) // 2
    view = memoryview(data)

    def first() -> bytes:
        c = _deflater()
        return c.compress(view[:half]) + c.flush(zlib.Z_SYNC_FLUSH)

    head: list[bytes] = []

    def in_thread() -> None:
        try:
            head.append(first())
        except MemoryError:
            pass  # done again below, in this thread
    thread = threading.Thread(target=in_thread, name="deflate")
    thread.start()
    c = _deflater(bytes(view[half - _WINDOW:half]))
    tail = c.compress(view[half:]) + c.flush()
    thread.join()
    return (head[0] if head else first()) + tail


def _fix_core(name: str, body: bytes, iso_datetime: str | None) -> bytes:
    """The build date in core.xml; sowpack, not the library's default, as app.xml's application; an
    embedded workbook normalised in turn."""
    if name == "docProps/core.xml" and iso_datetime:
        return _CORE_DATE.sub(lambda m: m.group(1) + iso_datetime.encode() + m.group(3), body)
    if name == "docProps/app.xml":
        return _APP_VERSION.sub(b"", _APP.sub(b"<Application>" + APPLICATION + b"</Application>", body))
    if name.endswith(".xlsx") and "/embeddings/" in name:
        # A native chart's data workbook (python-pptx writes it with xlsxwriter, which
        # stamps the clock into its own zip and core properties).
        return normalize_bytes(body, iso_datetime or "2000-01-01T00:00:00Z")
    return body


def write_package(members: Iterable[tuple[str, bytes]], iso_datetime: str | None = None) -> bytes:
    """A deterministic zip of (name, bytes) members: [Content_Types].xml first, then the given order.

    Args:
        iso_datetime: written as dcterms:created and dcterms:modified in docProps/core.xml.
    """
    members = list(members)
    members.sort(key=lambda m: m[0] != _CONTENT_TYPES)  # stable: the rest keep their order
    out = io.BytesIO()
    central = []
    for name, body in members:
        body = _fix_core(name, body, iso_datetime)
        if name.endswith(".xlsx") and "/embeddings/" in name:
            # A chart's data workbook, which python-pptx has XlsxWriter write with the time of day.
            body = normalize_bytes(body, iso_datetime)
        crc, packed = _deflate(body)
        try:
            raw, flags = name.encode("ascii"), 0
        except UnicodeEncodeError:
            raw, flags = name.encode("utf-8"), 0x800
        offset = out.tell()
        out.write(_LOCAL.pack(b"PK\x03\x04", _VERSION, 0, flags, zipfile.ZIP_DEFLATED, _DOSTIME, _DOSDATE, crc,
                              len(packed), len(body), len(raw), 0))
        out.write(raw)
        out.write(packed)
        central.append(_CENTRAL.pack(b"PK\x01\x02", _VERSION, _SYSTEM, _VERSION, 0, flags, zipfile.ZIP_DEFLATED,
                                     _DOSTIME, _DOSDATE, crc, len(packed), len(body), len(raw), 0, 0, 0, 0,
                                     _ATTR, offset) + raw)
    start = out.tell()
    for record in central:
        out.write(record)
    size = out.tell() - start
    out.write(_END.pack(b"PK\x05\x06", 0, 0, len(central), len(central), size, start, 0))
    return out.getvalue()


class Members:
    """A stand-in for python-docx's and python-pptx's zip writer that keeps the (name, bytes)
    members they write, in order, for write_package."""

    def __init__(self) -> None:
        self.items: list[tuple[str, bytes]] = []

    def write(self, pack_uri, blob: bytes) -> None:
        self.items.append((pack_uri.membername, blob))


def normalize_bytes(data: bytes, iso_datetime: str | None = None) -> bytes:
    """Rewrite an OOXML zip so equal content gives equal bytes."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    names = src.namelist()
    # [Content_Types].xml first, then the original order: some readers expect it.
    order = sorted(names, key=lambda n: (n != _CONTENT_TYPES, names.index(n)))
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in order:
            body = _fix_core(name, src.read(name), iso_datetime)
            info = zipfile.ZipInfo(name, FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            dst.writestr(info, body)
    return out.getvalue()


def normalize_zip(src: Path, dst: Path, iso_datetime: str | None = None) -> None:
    dst.write_bytes(normalize_bytes(Path(src).read_bytes(), iso_datetime))
