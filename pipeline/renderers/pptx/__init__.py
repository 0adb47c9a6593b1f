"""Renderer for PowerPoint decks, in two stages (Pandoc's Powerpoint writer): plan.py turns
the Document into plain slide descriptions by the deck's rules, with no python-pptx; write.py
draws them on the reference deck's layouts. python-pptx is imported only to write, so the
plan can be used (and tested) without it."""
from __future__ import annotations

from pipeline.document.nodes import Document
from pipeline.renderers.base import Renderer
from pipeline.renderers.pptx.plan import SlidePlan, plan

__all__ = ["LAYOUTS", "REFERENCE", "PptxRenderer", "SlidePlan", "plan"]


class PptxRenderer(Renderer):
    format = "pptx"

    def write(self, document: Document) -> bytes:
        from pipeline.renderers.pptx.write import write
        slides, _ = plan(document)
        return write(slides, document)


def __getattr__(name: str):
    if name in ("LAYOUTS", "REFERENCE"):
        from pipeline.renderers.pptx import write
        return getattr(write, name)
    raise AttributeError(name)
