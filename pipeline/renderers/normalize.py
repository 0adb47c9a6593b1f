"""Deterministic OOXML: fixed zip member timestamps, stable order, fixed core dates."""
from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

#: Zip timestamp written on every member (the zip format cannot go before 1980).
FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)

_CORE_DATE = re.compile(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)")


def normalize_bytes(data: bytes, iso_datetime: str | None = None) -> bytes:
    """Rewrite an OOXML zip so equal content gives equal bytes."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    names = src.namelist()
    # [Content_Types].xml first, then the original order: some readers expect it.
    order = sorted(names, key=lambda n: (n != "[Content_Types].xml", names.index(n)))
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in order:
            body = src.read(name)
            if name == "docProps/core.xml" and iso_datetime:
                body = _CORE_DATE.sub(lambda m: m.group(1) + iso_datetime.encode() + m.group(3), body)
            elif name.endswith(".xlsx") and "/embeddings/" in name:
                # A native chart's data workbook (python-pptx writes it with xlsxwriter, which
                # stamps the clock into its own zip and core properties).
                body = normalize_bytes(body, iso_datetime or "2000-01-01T00:00:00Z")
            info = zipfile.ZipInfo(name, FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            dst.writestr(info, body)
    return out.getvalue()


def normalize_zip(src: Path, dst: Path, iso_datetime: str | None = None) -> None:
    dst.write_bytes(normalize_bytes(Path(src).read_bytes(), iso_datetime))
