"""Text rules shared by inputs, checks and renderers: placeholders, unsafe characters."""
from __future__ import annotations

import datetime as dt
import re
from typing import Callable, Iterable

#: Leftover placeholder text that must never reach a customer.
_PLACEHOLDERS = (r"【\s*X+\s*】|X{4}|(?<![A-Za-z])xxx(?![A-Za-z])|\bTODO\b|\bTBD\b|待补充|待定|"
                 r"\{\{.*?\}\}|\{%.*?%\}")
#: The characters a placeholder can start with. Each pattern below opens with a lookahead on
#: them: Python's re tries every alternative at every position otherwise, and one class test
#: per position makes a search of a register's megabyte of text about 7 times faster.
PLACEHOLDER_STARTS = "【XxT待{"
PLACEHOLDER = re.compile(f"(?=[{PLACEHOLDER_STARTS}])(?:{_PLACEHOLDERS})")

#: Bidirectional controls: they make text display in another order than it is stored
#: ("Trojan Source"), so a file name or a sentence can say something else than it reads.
BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
#: What never reaches a document or a file name: C0 controls but tab, LF and CR (CR is a
#: line break to every format), DEL, C1 controls, bidirectional controls, lone
#: surrogates, non-characters.
BAD_CHARS = f"\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f{BIDI}\\ud800-\\udfff\\ufffe\\uffff"
_BAD_RE = re.compile(f"[{BAD_CHARS}]")
_SUSPECT = re.compile(f"(?=[{PLACEHOLDER_STARTS}{BAD_CHARS}])(?:{_PLACEHOLDERS}|[{BAD_CHARS}])")
#: What is escaped wherever text is shown on a terminal: all of the above, plus tab, line
#: breaks (a message is one line) and the Unicode line and paragraph separators.
_UNSHOWN = re.compile(f"[\\x00-\\x1f\\x7f-\\x9f{BIDI}\\u2028\\u2029\\ud800-\\udfff\\ufffe\\uffff]")
_UNSHOWN_KEEP_NL = re.compile(f"[\\x00-\\x09\\x0b-\\x1f\\x7f-\\x9f{BIDI}\\u2028\\u2029\\ud800-\\udfff\\ufffe\\uffff]")


def find_placeholder(text: str) -> str | None:
    m = PLACEHOLDER.search(text)
    return m.group(0) if m else None


def suspect(text: str) -> bool:
    """Whether find_placeholder or bad_char could find anything: one search for both, for the
    cells of large registers, most of which hold neither."""
    return _SUSPECT.search(text) is not None


def found_in_any(search: Callable[[str], object], texts: Iterable[str]) -> bool:
    """Whether search (find_placeholder, bad_char, suspect) may find something in one of the texts,
    by one search over them all joined: for the thousands of cells of a register, most of which
    hold nothing. A match in one text is a match in the joined text; a match across two only
    costs the caller its search text by text."""
    return bool(search("\n".join(texts)))


def bad_char(text: str) -> str | None:
    """The first character that must not reach a document or a file name, as U+XXXX, or None."""
    m = _BAD_RE.search(text)
    return f"U+{ord(m.group(0)):04X}" if m else None


def char_kind(code: str) -> str:
    """What a character bad_char() found is, in words: 'U+202E' -> 'bidirectional control'."""
    return "bidirectional control" if re.fullmatch(f"[{BIDI}]", chr(int(code[2:], 16))) else "control character"


def clean(text: str) -> str:
    """Drop characters that must not reach a document (renderers' last line of defence)."""
    return _BAD_RE.sub("", text)


def _escape_one(m: re.Match) -> str:
    n = ord(m.group(0))
    return {9: "\\t", 10: "\\n", 13: "\\r"}.get(n) or (f"\\x{n:02x}" if n < 0x100 else f"\\u{n:04x}")


def printable(text: str, keep_newlines: bool = False) -> str:
    """Text safe to print: controls, bidirectional marks and line breaks shown as \\x1b, \\u202e, \\n."""
    return (_UNSHOWN_KEEP_NL if keep_newlines else _UNSHOWN).sub(_escape_one, text)


def quote(value) -> str:
    """A value quoted in a message: 'text' with anything unprintable escaped."""
    return "'" + printable(str(value)) + "'"


def truncate_bytes(text: str, limit: int) -> str:
    """The longest prefix of text whose UTF-8 encoding fits limit bytes (never half a character)."""
    data = text.encode("utf-8", "surrogatepass")
    if len(data) <= limit:
        return text
    return data[:limit].decode("utf-8", "ignore")


# Only the numbers renderers write: 一、 （一） 1. （1）; "5天课程" keeps its 5.
_HEADING_NUMBER = re.compile(r"^\s*(?:[一二三四五六七八九十百]+、|（[一二三四五六七八九十百]+）|（\d+）"
                             r"|\d+(?:\.\d+)*(?:[.、]\s*|\s+))\s*")


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
