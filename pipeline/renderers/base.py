"""The Renderer interface: Document -> bytes."""
from __future__ import annotations

from abc import ABC, abstractmethod

from pipeline.document.nodes import Document


class Renderer(ABC):
    """Turns a format-neutral Document into the bytes of one file."""

    #: Format name, also the file suffix without the dot.
    format: str = ""
    suffix: str = ""
    media_type: str = ""

    @abstractmethod
    def render(self, document: Document) -> bytes:
        """Render the document; must be deterministic for equal input."""


def numbered(level: int, index: int) -> str:
    """GB/T 9704 heading numbers: 一、 then （一） then 1. then （1）."""
    cn = "零一二三四五六七八九十"

    def chinese(n: int) -> str:
        if n <= 10:
            return cn[n]
        if n < 20:
            return "十" + (cn[n - 10] if n > 10 else "")
        return cn[n // 10] + "十" + (cn[n % 10] if n % 10 else "")

    if level == 1:
        return f"{chinese(index)}、"
    if level == 2:
        return f"（{chinese(index)}）"
    if level == 3:
        return f"{index}. "
    return f"（{index}）"


def iter_numbered(sections, level: int = 1, prefix=()):
    """Yield (section, number text, depth) in document order."""
    for i, s in enumerate(sections, 1):
        yield s, numbered(level, i), level
        yield from iter_numbered(s.children, level + 1)
