"""Totals in tables: a row whose first cell is 合计/总计/小计 sums the rows above it.

`{=sum}` (also `{=avg}`, `{=count}`, `{=min}`, `{=max}`) in such a row stands for that
column over the rows above; a number typed there instead is checked against them, so a
declared total that contradicts its rows is an error with its place.
"""
from __future__ import annotations

import re

from pipeline.core.facts import Num, as_num, decimals_of

#: First cells that make a row a total of the rows above it.
TOTAL_LABELS = ("合计", "总计", "小计", "总体", "全部")

_UNIT = re.compile(r"^\s*([+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?)\s*(\S{0,4})\s*$")


def _cell_number(text: str) -> tuple[Num, str] | None:
    """'46 个' -> (46, '个'); '2.2' -> (2.2, ''); percentages and text -> None."""
    m = _UNIT.match(text or "")
    if not m or m.group(2).endswith("%"):
        return None
    n = as_num(m.group(1))
    return None if n is None else (n, m.group(2))


def is_total_row(row: tuple[str, ...]) -> bool:
    first = next((c.strip() for c in row if c.strip()), "")
    return first in TOTAL_LABELS


def check_totals(header: tuple[str, ...],
                 rows: tuple[tuple[str, ...], ...]) -> tuple[tuple[tuple[str, ...], ...], list[str]]:
    """Fill `{=sum}` cells of total rows and check the numbers typed in them.

    A total row (first cell 合计/总计/小计) sums the rows above it, back to the previous
    total row. A typed number is checked only in a column whose rows above all hold
    numbers (with the same unit), never in a percentage column.

    Returns:
        (rows with the bare aggregates computed, a message per total that contradicts its rows).
    """
    out: list[tuple[str, ...]] = []
    problems: list[str] = []
    start = 0
    for r in rows:
        if not is_total_row(r):
            out.append(r)
            continue
        above = out[start:]
        cells = list(r)
        for j, cell in enumerate(cells):
            name = header[j] if j < len(header) else f"#{j + 1}"
            col = [a[j] if j < len(a) else "" for a in above]
            bare = re.fullmatch(r"\{=(sum|avg|count|min|max)\}\s*(\S{0,4})", cell.strip())
            parsed = [_cell_number(c) for c in col if c.strip()]
            numbers = [p for p in parsed if p is not None]
            complete = bool(parsed) and len(numbers) == len(parsed)  # every cell above is a number
            if bare:
                fn, unit = bare.group(1), bare.group(2)
                if fn == "count":
                    cells[j] = f"{sum(1 for c in col if c.strip())}{' ' + unit if unit else ''}"
                    continue
                if not complete:
                    bad = next((c for c in col if c.strip() and _cell_number(c) is None), "")
                    problems.append(f"the {r[0] or '合计'} row's '{{={fn}}}' in column '{name}' needs numbers above it "
                                    f"(found '{bad}')")
                    continue
                nums = [p[0] for p in numbers]
                d = decimals_of(*nums)
                if fn == "sum":
                    value = Num(sum(n.value for n in nums), d)
                elif fn == "avg":
                    value = Num(sum(n.value for n in nums) / len(nums), d)
                else:
                    value = (min if fn == "min" else max)(nums, key=lambda n: n.value)
                cells[j] = f"{value.text()}{' ' + unit if unit else ''}"
                continue
            typed = _cell_number(cell)
            if j == 0 or typed is None or not complete:
                continue
            if any(p[1] != typed[1] for p in numbers):
                continue
            nums = [p[0] for p in numbers]
            total = sum(n.value for n in nums)
            tolerance = 0.5 * 10 ** -(typed[0].decimals or 0) + 1e-9
            if abs(total - typed[0].value) > tolerance:
                shown = Num(total, decimals_of(*nums)).text()
                problems.append(f"the {r[0] or '合计'} row says {cell.strip()} in column '{name}', but the {len(nums)} "
                                f"row(s) above sum to {shown}; write {{=sum}} there to compute it")
        out.append(tuple(cells))
        start = len(out)
    return tuple(out), problems
