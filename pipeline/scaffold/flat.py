"""Section answers as written (nested in the spec's shape, or flat) -> {title: value}."""
from __future__ import annotations

from typing import Any

from pipeline.inputs.load import is_group


def flat_sections(raw: Any) -> dict[str, Any]:
    """Every answered title at any depth, in file order (a title given twice keeps the first)."""
    out: dict[str, Any] = {}

    def walk(m: dict) -> None:
        for k, v in m.items():
            if is_group(v) and v:
                walk(v)
            else:
                out.setdefault(str(k).strip(), v)
    if isinstance(raw, dict):
        walk(raw)
    return out
