"""Renderer registry: one Renderer class per output format."""
from __future__ import annotations

import difflib

from pipeline.errors import SpecError
from pipeline.renderers.base import Renderer

REGISTRY: dict[str, type[Renderer]] = {}


def register(cls: type[Renderer]) -> type[Renderer]:
    if not getattr(cls, "format", None):
        raise TypeError(f"{cls.__name__} has no 'format'")
    if cls.format in REGISTRY:
        raise TypeError(f"format '{cls.format}' is already registered by {REGISTRY[cls.format].__name__}")
    REGISTRY[cls.format] = cls
    return cls


def get_renderer(fmt: str) -> Renderer:
    _load_all()
    if fmt not in REGISTRY:
        close = difflib.get_close_matches(fmt, REGISTRY, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        raise SpecError(f"unknown format '{fmt}'; known formats: {', '.join(sorted(REGISTRY))}{hint}")
    return REGISTRY[fmt]()


def _load_all() -> None:
    # Imported lazily: WeasyPrint alone costs ~0.6 s at import.
    from pipeline.renderers import docx, pdf, pptx, xlsx  # noqa: F401
