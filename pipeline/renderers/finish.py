"""Optional finishing of Word files through LibreOffice: page numbers for the table of contents.

A Word TOC is a field; its page numbers are whatever was cached in it when the file was
saved. python-docx lays out no pages, so sowpack cannot know them, and asking Word to
recompute fields at every open (`updateFields`) makes Word prompt each time; LibreOffice
never recomputes them on load. `sowpack build --finish` therefore lays every Word file
out once in LibreOffice (headless, its own profile, a timeout), reads the page of each
heading from the PDF's bookmarks, and renders the file again with those numbers in the
TOC's cached result: the rest of the file stays sowpack's own, byte for byte
deterministic. Without LibreOffice (or without --finish) the TOC lists every heading
without page numbers; updating the field in Word (F9) adds them.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

#: Environment variable naming the LibreOffice binary (default: soffice, then libreoffice on PATH).
SOFFICE_ENV = "SOWPACK_SOFFICE"
#: What the fingerprint of a finished file records (incremental builds rebuild when it changes).
FINISHED = "toc-pages:libreoffice"


def soffice() -> str | None:
    """The LibreOffice binary, or None when it is not installed."""
    named = os.environ.get(SOFFICE_ENV)
    if named:
        return shutil.which(named) or (named if Path(named).is_file() else None)
    return shutil.which("soffice") or shutil.which("libreoffice")


def _key(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _outline(pdf: Path) -> list[tuple[str, int]]:
    """(title, 1-based page) of every bookmark of a PDF, in document order."""
    from pypdf import PdfReader

    reader = PdfReader(str(pdf))
    out: list[tuple[str, int]] = []

    def walk(items):
        for it in items:
            if isinstance(it, list):
                walk(it)
            else:
                out.append((str(it.title), reader.get_destination_page_number(it) + 1))
    walk(reader.outline)
    return out


def match_pages(entries: list[str], outline: list[tuple[str, int]]) -> list[int | None]:
    """The page of each TOC entry: the next bookmark with the same text (whitespace aside), in order."""
    pages: list[int | None] = []
    pos = 0
    for entry in entries:
        key = _key(entry)
        hit = next((i for i in range(pos, len(outline)) if _key(outline[i][0]) == key), None)
        if hit is None:
            pages.append(None)
            continue
        pages.append(outline[hit][1])
        pos = hit + 1
    return pages


def toc_pages(files: dict[str, tuple[bytes, list[str]]], binary: str,
              timeout_per_file: float = 20.0) -> dict[str, list[int | None]]:
    """Lay Word files out in LibreOffice and return the page of each of their TOC entries.

    Args:
        files: name -> (docx bytes, TOC entry texts in order).
        binary: the soffice binary.

    Returns:
        name -> pages (None for an entry LibreOffice did not bookmark); files it could not
        convert are left out.

    Raises:
        RuntimeError: LibreOffice failed or timed out (the message says which).
    """
    if not files:
        return {}
    with tempfile.TemporaryDirectory(prefix="sowpack-finish-") as tmp:
        root = Path(tmp)
        names = {}
        for i, (name, (data, _)) in enumerate(sorted(files.items())):
            src = root / f"f{i:04d}.docx"
            src.write_bytes(data)
            names[src.stem] = name
        # Its own profile, so a finishing step never clashes with a LibreOffice the user has open.
        cmd = [binary, f"-env:UserInstallation={(root / 'profile').as_uri()}", "--headless", "--norestore",
               "--convert-to", "pdf", "--outdir", str(root / "pdf"), *sorted(str(root / f"{s}.docx") for s in names)]
        try:
            subprocess.run(cmd, capture_output=True, timeout=60 + timeout_per_file * len(files), check=False)
        except subprocess.TimeoutExpired:
            raise RuntimeError(f"LibreOffice took too long laying out {len(files)} Word file(s)") from None
        except OSError as exc:
            raise RuntimeError(f"LibreOffice could not start ({exc.strerror or exc})") from None
        out = {}
        for stem, name in names.items():
            pdf = root / "pdf" / f"{stem}.pdf"
            if pdf.is_file():
                out[name] = match_pages(files[name][1], _outline(pdf))
        if not out:
            raise RuntimeError("LibreOffice wrote no PDF")
        return out
