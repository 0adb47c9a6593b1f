"""Text rules shared by inputs, checks and renderers: placeholders, unsafe characters."""
from __future__ import annotations

import datetime as dt
import re

#: Leftover placeholder text that must never reach a customer.
PLACEHOLDER = re.compile(r"【\s*X+\s*】|X{4}|(?<![A-Za-z])xxx(?![A-Za-z])|\bTODO\b|\bTBD\b|待补充|待定|\{\{.*?\}\}|\{%.*?%\}")

_BAD_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def find_placeholder(text: str) -> str | None:
    m = PLACEHOLDER.search(text)
    return m.group(0) if m else None


def bad_char(text: str) -> str | None:
    """The first character that Office formats cannot store, as U+XXXX, or None."""
    m = _BAD_CHARS.search(text)
    return f"U+{ord(m.group(0)):04X}" if m else None


def clean(text: str) -> str:
    """Drop characters that Office XML cannot hold (renderers' last line of defence)."""
    return _BAD_CHARS.sub("", text)


# Only the numbers renderers write: 一、 （一） 1. （1）; "5天课程" keeps its 5.
_HEADING_NUMBER = re.compile(r"^\s*(?:[一二三四五六七八九十百]+、|（[一二三四五六七八九十百]+）|（\d+）|\d+(?:\.\d+)*(?:[.、]\s*|\s+))\s*")


def strip_number(title: str) -> str:
    """Remove the heading number a renderer prefixed (一、 （一） 1. 1.2)."""
    return _HEADING_NUMBER.sub("", title, count=1).strip()


_CJK = "\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef"
_FOLD_SPACE = re.compile(rf"(?<=[{_CJK}]) +(?=[{_CJK}])")


def unfold(text: str) -> str:
    """Drop the spaces YAML's folded scalars (>-) put between two Chinese characters."""
    return _FOLD_SPACE.sub("", text)


def cn_date(value) -> str:
    """2026-03-02 -> 2026年3月2日 (GB/T 9704 date style)."""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value)
    if value is None:
        return ""
    return f"{value.year}年{value.month}月{value.day}日"


#: The mark of a draft (an acceptance report awaiting its deliverables' acceptance): on its
#: cover and at the start of its running header; `sowpack check` looks for it there.
DRAFT_MARK = "草稿"
