"""The table of output formats: one row per format, the only place a format is declared.

A row names the format's file suffix and media type, its renderer class (as "module:Class",
imported only when first used: WeasyPrint alone costs 0.6 s at import), and the template assets the renderer reads, which the
incremental build fingerprints. Specs may name exactly the formats listed here.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Format:
    """One output format."""

    #: Format name as specs write it, also the file suffix without the dot.
    name: str
    #: Media type of the written file.
    media_type: str
    #: "module:Class" of the Renderer that writes it.
    renderer: str
    #: Paths under templates/ the renderer reads (a folder ends in "/").
    assets: tuple[str, ...] = ()

    @property
    def suffix(self) -> str:
        return "." + self.name


FORMATS: dict[str, Format] = {f.name: f for f in (
    Format("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
           "pipeline.renderers.docx:DocxRenderer", ("docx/reference.docx",)),
    Format("pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation",
           "pipeline.renderers.pptx:PptxRenderer", ("pptx/reference.pptx",)),
    Format("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
           "pipeline.renderers.xlsx:XlsxRenderer", ()),
    Format("pdf", "application/pdf", "pipeline.renderers.pdf:PdfRenderer", ("pdf/",)),
)}


def load(ref: str) -> Any:
    """The object a table row names (imported on first use)."""
    module, _, attr = ref.partition(":")
    return getattr(importlib.import_module(module), attr)
