"""Deterministic OOXML zips: the one-pass package writer gives exactly zipfile's bytes."""
from __future__ import annotations

import io
import zipfile

from pipeline.renderers.normalize import FIXED_ZIP_TIME, normalize_bytes, write_package


def _zipfile_bytes(members) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members:
            z.writestr(name, data)
    return buf.getvalue()


def test_write_package_matches_zipfile_and_normalize():
    core = (b'<cp:coreProperties xmlns:dcterms="http://purl.org/dc/terms/">'
            b'<dcterms:created xsi:type="dcterms:W3CDTF">2020-01-01T00:00:00Z</dcterms:created></cp:coreProperties>')
    members = [("word/document.xml", "<w:document>正文</w:document>".encode()), ("[Content_Types].xml", b"<Types/>"),
               ("docProps/core.xml", core), ("word/styles.xml", b"<w:styles>" + b"<w:style/>" * 5000 + b"</w:styles>"),
               ("media/empty.bin", b""), ("名字.xml", b"<x/>")]
    expected = normalize_bytes(_zipfile_bytes(members), "2026-03-02T00:00:00Z")
    assert write_package(members, "2026-03-02T00:00:00Z") == expected
    # A second time the large part comes from the compression cache: the same bytes.
    assert write_package(members, "2026-03-02T00:00:00Z") == expected
    z = zipfile.ZipFile(io.BytesIO(expected))
    assert z.namelist()[0] == "[Content_Types].xml"
    assert {i.date_time for i in z.infolist()} == {FIXED_ZIP_TIME}
    assert b"2026-03-02T00:00:00Z" in z.read("docProps/core.xml")
    assert z.testzip() is None


def test_a_large_part_is_deflated_in_two_halves_that_read_back_whole():
    """A part of normalize.SPLIT_MIN bytes or more (a 10,000-row register's sheet) is deflated in
    two halves at once: one deflate stream that zipfile reads back whole, about as short as one
    pass gives, and the same bytes every time (the cache set aside)."""
    import zlib

    from pipeline.renderers import normalize

    rows = "".join(f'<row r="{i}"><c r="A{i}" t="inlineStr"><is><t>资源{i:05d} ECS 华东2（上海）</t></is></c></row>'
                   for i in range(1, 40_000)).encode()
    assert len(rows) > normalize.SPLIT_MIN
    members = [("[Content_Types].xml", b"<Types/>"), ("xl/worksheets/sheet1.xml", rows)]
    first = write_package(members)
    normalize._deflated.clear()
    assert write_package(members) == first
    z = zipfile.ZipFile(io.BytesIO(first))
    assert z.testzip() is None and z.read("xl/worksheets/sheet1.xml") == rows
    one_pass = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
    single = len(one_pass.compress(rows) + one_pass.flush())
    assert z.getinfo("xl/worksheets/sheet1.xml").compress_size <= single * 1.01
