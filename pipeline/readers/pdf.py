"""PDF reader for `sowpack check`: bookmarks as headings, page text under them, embedded fonts."""
from __future__ import annotations

from pathlib import Path

from pipeline.readers import dump
from pipeline.readers.common import Heading, Seen, Text, UnreadableFile, norm_title


def read_pdf(path: Path) -> Seen:
    """Read a PDF through the pypdf view of the golden dumps, after checking it is complete.

    Args:
        path: a file whose bytes start as a PDF's.

    Returns:
        Its headings (from the bookmarks), texts, fonts and page size.

    Raises:
        UnreadableFile: truncated or corrupt.
    """
    with open(path, "rb") as fh:
        fh.seek(0, 2)
        size = fh.tell()
        fh.seek(max(0, size - 2048))
        tail = fh.read()
    if b"%%EOF" not in tail:
        raise UnreadableFile("truncated: the PDF has no %%EOF marker at its end")
    try:
        view = dump.read_pdf(path)
    except dump.UnreadableFile as exc:
        raise UnreadableFile(str(exc)) from None
    except Exception as exc:  # noqa: BLE001 - pypdf raises many types on damaged files
        raise UnreadableFile(f"corrupt ({type(exc).__name__}: {str(exc)[:160]})") from None
    seen = Seen("pdf", fonts=list(view.fonts), page_mm=view.info.get("page_mm"), date=view.info.get("created"))
    for h in view.headings:
        seen.headings.append(Heading(norm_title(h.title), h.level, h.content, h.title))
    titles = {h.shown for h in seen.headings}
    current = None
    for t in view.texts:
        if t in titles:
            current = norm_title(t)
        seen.texts.append(Text(t, "page", current))
    return seen
