"""The table of output formats: one row per format, the only place a format is declared.

A row names everything the pipeline needs to know about one format: its file suffix and
media type, how messages name such a file, its renderer class, the reader `sowpack check`
opens it with and the reader the golden text dumps use, and the template assets the
renderer reads (which the incremental build fingerprints). Code is named as
"module:attribute" and imported only when first used: WeasyPrint alone costs 0.6 s at
import, and a stage low in the layering (core) cannot import the renderers and readers
above it. Specs may name exactly the formats listed here.
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
    #: How messages name a file of this format: "a Word document".
    label: str
    #: "module:Class" of the Renderer that writes it.
    renderer: str
    #: "module:function" that reads it for `sowpack check` (pipeline.readers.read.read). A
    #: reader of a "zip" container gets the opened Office package, any other the file's path.
    reader: str
    #: "module:function" that reads it for the golden text dumps (pipeline.readers.dump.read).
    dump: str
    #: What the file's first bytes must be, as pipeline.readers.common.sniff names them.
    container: str
    #: Paths under templates/ the renderer reads (a folder ends in "/").
    assets: tuple[str, ...] = ()
    #: Whether the file lists the glossary terms its text uses (术语与缩略语): a workbook does not,
    #: so a deliverable written only as one is not searched for them (a register's text is megabytes).
    glossary: bool = True

    @property
    def suffix(self) -> str:
        """The file suffix with its dot: ".docx"."""
        return "." + self.name


FORMATS: dict[str, Format] = {f.name: f for f in (
    Format("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "a Word document",
           renderer="pipeline.renderers.docx:DocxRenderer", reader="pipeline.readers.docx:read_docx",
           dump="pipeline.readers.dump:read_docx", container="zip", assets=("docx/reference.docx",)),
    Format("pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation", "a PowerPoint deck",
           renderer="pipeline.renderers.pptx:PptxRenderer", reader="pipeline.readers.office:read_pptx",
           dump="pipeline.readers.dump:read_pptx", container="zip", assets=("pptx/reference.pptx",)),
    Format("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "an Excel workbook",
           renderer="pipeline.renderers.xlsx:XlsxRenderer", reader="pipeline.readers.office:read_xlsx",
           dump="pipeline.readers.dump:read_xlsx", container="zip", glossary=False),
    Format("pdf", "application/pdf", "a PDF",
           renderer="pipeline.renderers.pdf:PdfRenderer", reader="pipeline.readers.pdf:read_pdf",
           dump="pipeline.readers.dump:read_pdf", container="pdf", assets=("pdf/",)),
)}


def load(ref: str) -> Any:
    """The object a table row names, imported on first use.

    Args:
        ref: "module:attribute", as in a row's renderer, reader or dump.

    Returns:
        The attribute of the imported module.
    """
    module, _, attr = ref.partition(":")
    return getattr(importlib.import_module(module), attr)
