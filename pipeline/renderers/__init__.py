"""Renderers: the table of output formats and one writer per format, Document -> bytes.

May import: core, document, readers.
"""

from __future__ import annotations

import difflib

from pipeline.core.errors import SpecError
from pipeline.core.formats import FORMATS, load
from pipeline.renderers.base import Renderer


def get_renderer(fmt: str) -> Renderer:
    """A renderer for the format named in the table core.formats.FORMATS."""
    if fmt not in FORMATS:
        close = difflib.get_close_matches(fmt, FORMATS, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        raise SpecError(f"unknown format '{fmt}'; known formats: {', '.join(sorted(FORMATS))}{hint}")
    cls = load(FORMATS[fmt].renderer)
    if cls.format != fmt:
        raise TypeError(f"{cls.__name__} renders '{cls.format}', but the format table lists it for '{fmt}'")
    return cls()


def warm(formats) -> None:
    """Import what rendering and checking files of these formats needs (each worker of a
    parallel build, as it starts)."""
    for fmt in sorted(set(formats) & set(FORMATS)):
        get_renderer(fmt).warm()
        load(FORMATS[fmt].reader)
