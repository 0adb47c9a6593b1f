"""A section's answer -> document blocks: Markdown text, and the blocks a list item may be
(`chart`, `table`, `findings`, `findings-summary`, `diagram`), with every `{=...}` reference
computed from the facts and tables it names (core/facts.py).

    费用走势:
      - 近 12 个月累计 {=sum(月度费用.费用（万元）)} 万元。          # Markdown with references
      - chart: {type: line, title: 月度费用, unit: 万元,
                categories: 月度费用.月份, series: {费用: 月度费用.费用（万元）}}
      - table: {data: 闲置资源, total: [数量, 月费用（万元）]}
      - table: {data: feature-list.rows, group: 业务域, count: 功能特性数}   # one row per value, with a 合计 row
      - findings: {领域: 网络}
      - findings-summary: {}
      - diagram: {...}                                           # see document/diagrams.py

A training module teaches with three more blocks, each a list or a text: `objectives`
(学习目标), `exercise` (课堂练习) and `summary` (本节小结).
"""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any

from pipeline.core.errors import Finding, Location
from pipeline.core.text import bad_char, char_kind, find_placeholder, unfold
from pipeline.document import findings as reg
from pipeline.core.facts import Facts, Num, as_num, resolve
from pipeline.core.totals import check_totals
from pipeline.document.markdown import to_blocks
from pipeline.document.nodes import Block, Chart, ListBlock, Paragraph, Run, Table
from pipeline.inputs.load import BLOCK_KEYS  # the blocks a list item may be, by its key

#: A training module's teaching blocks and the label each is shown under (renderers/pptx/plan.py
#: gives each a slide of its own).
TEACHING = {"objectives": "学习目标", "exercise": "课堂练习", "summary": "本节小结"}
#: A block written inside a text answer: `- chart: {`, `table:`, `diagram:` at the start of a line.
MISPLACED = re.compile(r"^[ \t]*(?:-[ \t]*)?(chart|table|diagram|findings|findings-summary)[ \t]*:[ \t]*(?:\{|$)", re.M)


def misplaced_block(text: str, where: Location, title: str, **ids) -> Finding | None:
    """Text that holds a block written as a line of YAML (`- chart: {...}` inside `|`) is an error saying
    how to write it."""
    m = MISPLACED.search(text)
    if m is None:
        return None
    kind = m.group(1)
    line = text[m.start():].split("\n", 1)[0].strip()
    if "\n" in text.strip() and where.line is not None:
        # A `|` block starts on the line after its key: point at the offending line itself.
        where = dataclasses.replace(where, line=where.line + 1 + text[:m.start()].count("\n"), column=None)
    return Finding("input.misplaced-block",
                   f"section '{title}' has the line '{line[:50]}' inside its text, where it would print as a "
                   f"bullet; a {kind} must be a block of its own: write the section as a list whose items are the "
                   f"text and the {kind} ({title}:  - 一段文字……  - {kind}: {{...}}), with no '|' before the list",
                   where, **ids)


def _strings(value: Any):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield str(k)
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def scan_text(value: Any, where: Location, what: str, **ids) -> list[Finding]:
    """Placeholders and characters Office cannot store, in any answer."""
    out = []
    for s in _strings(value):
        ph = find_placeholder(s)
        if ph:
            out.append(Finding("input.placeholder",
                               f"{what} still contains the placeholder '{ph}'; write the real text", where, **ids))
            break
    for s in _strings(value):
        bad = bad_char(s)
        if bad:
            why = ("makes text display in another order than it is stored" if char_kind(bad) == "bidirectional control"
                   else "documents cannot hold")
            out.append(Finding("input.bad-value", f"{what} contains the {char_kind(bad)} {bad}, which {why}; delete it",
                               where, **ids))
            break
    return out


@dataclass
class BlockMaker:
    """Turns the answers of one deliverable's sections into blocks, recording what it computed."""

    facts: Facts
    #: The deliverable's typed findings rows (None: it has no findings register).
    findings_rows: list[dict] | None
    ids: dict
    #: Every reference computed, as Computed.to_json() dicts (recorded in the manifest).
    computed: list[dict] = field(default_factory=list)
    #: Titles of the sections holding each kind of block (for a spec's `requires:`).
    holds: dict[str, set[str]] = field(default_factory=dict)
    #: IDs of the findings some section shows.
    shown: set[str] = field(default_factory=set)

    def _note(self, kind: str, title: str) -> None:
        self.holds.setdefault(kind, set()).add(title)

    def text(self, text: str, where: Location, title: str, out: list[Finding]) -> list[Block]:
        """Markdown with its references computed and its tables' totals checked."""
        ids = dict(self.ids, target=title)
        bad = misplaced_block(text, where, title, **ids)
        if bad:
            out.append(bad)
        resolved, done, errors = resolve(unfold(text), self.facts, title)
        self.computed += [c.to_json() for c in done]
        out += [Finding("input.bad-reference", f"section '{title}': {e}", where, **ids) for e in errors]
        blocks = []
        for b in to_blocks(resolved):
            if isinstance(b, Table):
                b = self.totals(b, where, title, out)
            blocks.append(b)
        return blocks

    def totals(self, t: Table, where: Location, title: str, out: list[Finding]) -> Table:
        rows, problems = check_totals(t.header, t.rows)
        named = "“" + t.header[0] + "…”" if t.header else ""
        out += [Finding("input.total-mismatch", f"section '{title}', table {named}: {p}", where,
                        **dict(self.ids, target=title)) for p in problems]
        self._note("table", title)
        return dataclasses.replace(t, rows=rows)

    def content(self, value: Any, where: Location, title: str) -> tuple[list[Block], list[Finding]]:
        """An answer (Markdown, or a list of Markdown and blocks) -> blocks."""
        ids = dict(self.ids, target=title)
        out: list[Finding] = []
        if value is None:
            return [], []
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if isinstance(value, str):
            return self.text(value, where, title, out), out
        if isinstance(value, dict):
            value = [value]
        if not isinstance(value, list):
            return [], [Finding("input.bad-type", f"section '{title}' must be Markdown text or a list of blocks",
                                where, **ids)]
        blocks: list[Block] = []
        for item in value:
            if isinstance(item, (str, int, float)) and not isinstance(item, bool):
                blocks += self.text(str(item), where, title, out)
                continue
            key = next((k for k in BLOCK_KEYS if isinstance(item, dict) and k in item), None)
            if key is None or len(item) != 1 or not isinstance(item[key], (list, str) if key in TEACHING else dict):
                out.append(Finding("input.bad-type", f"section '{title}': each item must be Markdown text or one "
                                   f"block, {{{': ...}, {'.join(BLOCK_KEYS)}: ...}}", where, **ids))
                continue
            made = getattr(self, key.replace("-", "_"))(item[key], where, title, out)
            if made and key not in TEACHING:
                self._note("findings" if key.startswith("findings") else key, title)
                if key == "findings-summary":
                    self._note("chart", title)
            blocks += made
        return blocks, out

    # --- one method per block key ------------------------------------------------------
    def _column(self, ref: Any, what: str, where: Location, title: str, out: list[Finding]) -> list | None:
        """A list written inline, or 'TABLE.列' naming a column of a data table."""
        if isinstance(ref, list):
            return ref
        if isinstance(ref, str) and "." in ref:
            for k in range(len(ref)):
                if ref[k] == "." and ref[:k] in self.facts.sources:
                    src, col = self.facts.sources[ref[:k]], ref[k + 1:]
                    if col in src.columns:
                        self.computed.append({"section": title, "expr": ref, "value": f"{len(src.rows)} values",
                                              "sources": [src.name]})
                        return [r.get(col) for r in src.rows]
        out.append(Finding("input.bad-reference", f"section '{title}': chart {what} must be a list or TABLE.列 "
                           "naming a "
                           f"column of a table (tables: {', '.join(sorted(self.facts.sources)) or 'none'}); got "
                           f"{ref!r:.40}", where, **dict(self.ids, target=title)))
        return None

    def chart(self, c: dict, where: Location, title: str, out: list[Finding]) -> list[Block]:
        ids = dict(self.ids, target=title)
        cats = self._column(c.get("categories") or [], "categories", where, title, out)
        if cats is None:
            return []
        cats = [str(x) for x in cats]
        series = []
        raw_series = c.get("series") or {}
        if not isinstance(raw_series, dict):
            out.append(Finding("input.bad-value", f"chart in section '{title}': 'series' must map a series name to "
                               "its numbers (a list, or TABLE.列)", where, **ids))
            return []
        for name, vals in raw_series.items():
            vals = self._column(vals or [], f"series '{name}'", where, title, out)
            if vals is None:
                return []
            nums: list[Num | None] = [as_num(v) for v in vals]
            if len(nums) != len(cats) or any(n is None for n in nums):
                out.append(Finding("input.bad-value", f"chart series '{name}' in section '{title}' needs "
                                   f"{len(cats)} numbers, one per category", where, **ids))
                kept = [n for n in nums if n is not None][:len(cats)]
                nums = [*kept, *[None] * (len(cats) - len(kept))]
            series.append((str(name), tuple(float(n.value) if n else 0.0 for n in nums)))
        if not cats or not series:
            out.append(Finding("input.bad-value", f"chart in section '{title}' needs 'categories' and 'series'",
                               where, **ids))
            return []
        ctype = c.get("type", "line")
        if ctype not in ("line", "bar"):
            out.append(Finding("input.bad-value", f"chart type must be line or bar (got '{ctype}')", where, **ids))
            ctype = "line"
        return [Chart(ctype, str(c.get("title", title)), tuple(cats), tuple(series), str(c.get("unit", "")))]

    def table(self, t: dict, where: Location, title: str, out: list[Finding]) -> list[Block]:
        ids = dict(self.ids, target=title)
        if "data" in t:
            src = self.facts.sources.get(str(t["data"]))
            if src is None:
                out.append(Finding("input.bad-reference", f"section '{title}': no table named '{t['data']}' (tables: "
                                   f"{', '.join(sorted(self.facts.sources)) or 'none'})", where, **ids))
                return []
            if "group" in t:
                return self._grouped(src, t, where, title, out)
            cols = [str(x) for x in (t.get("columns") or src.columns)]
            unknown = [x for x in cols if x not in src.columns]
            if unknown:
                out.append(Finding("input.bad-reference", f"section '{title}': table '{src.name}' has no column "
                                   f"'{unknown[0]}' (columns: {'、'.join(src.columns)})", where, **ids))
                return []
            rows = [tuple(_shown(r.get(x)) for x in cols) for r in src.rows]
            total = t.get("total") or []
            if total:
                sums = [("{=sum}" if x in total else "") for x in cols[1:]]
                rows.append(("合计", *sums))
            self.computed.append({"section": title, "expr": f"table {src.name}", "value": f"{len(src.rows)} rows",
                                  "sources": [src.name]})
            return [self.totals(Table(tuple(cols), tuple(rows), str(t.get("caption", ""))), where, title, out)]
        header = tuple(str(h) for h in t.get("header") or [])
        body = tuple(tuple("" if v is None else self._ref_cell(str(v), where, title, out) for v in r)
                     for r in t.get("rows") or [])
        return [self.totals(Table(header, body, str(t.get("caption", ""))), where, title, out)]

    def _grouped(self, src, t: dict, where: Location, title: str, out: list[Finding]) -> list[Block]:
        """One row per value of `group` (in first-seen order): its row count (`count: 标题`) and the
        sums of the `sum:` columns, then a 合计 row."""
        ids = dict(self.ids, target=title)
        group = str(t["group"])
        sums = [str(x) for x in (t.get("sum") or [])]
        missing = [c for c in [group] + sums if c not in src.columns]
        if missing:
            out.append(Finding("input.bad-reference", f"section '{title}': table '{src.name}' has no column "
                               f"'{missing[0]}' (columns: {'、'.join(src.columns)})", where, **ids))
            return []
        count = str(t.get("count") or "数量") if t.get("count") or not sums else ""
        header = (group,) + ((count,) if count else ()) + tuple(sums)
        keys = list(dict.fromkeys(str(r.get(group, "")) for r in src.rows))
        rows = []
        for k in keys:
            mine = [r for r in src.rows if str(r.get(group, "")) == k]
            cells = [str(len(mine))] if count else []
            for c in sums:
                found = [as_num(r.get(c)) for r in mine]
                nums = [n for n in found if n is not None]
                if len(nums) < len(found):
                    out.append(Finding("input.bad-reference", f"section '{title}': column '{c}' of '{src.name}' must "
                                       "hold numbers to be summed", where, **ids))
                    return []
                d = max([n.decimals or 0 for n in nums] or [0])
                cells.append(f"{sum(n.value for n in nums):.{d}f}")
            rows.append((k, *cells))
        rows.append(("合计",) + ("{=sum}",) * (len(header) - 1))
        self.computed.append({"section": title, "expr": f"table {src.name} by {group}", "value": f"{len(keys)} rows",
                              "sources": [src.name]})
        return [self.totals(Table(header, tuple(rows), str(t.get("caption", ""))), where, title, out)]

    def _ref_cell(self, text: str, where: Location, title: str, out: list[Finding]) -> str:
        resolved, done, errors = resolve(text, self.facts, title)
        self.computed += [c.to_json() for c in done]
        out += [Finding("input.bad-reference", f"section '{title}': {e}", where, **dict(self.ids, target=title))
                for e in errors]
        return resolved

    def _need_findings(self, what: str, where: Location, title: str, out: list[Finding]) -> bool:
        if self.findings_rows is None:
            out.append(Finding("input.bad-reference", f"section '{title}' shows {what}, but the deliverable has no "
                               f"findings register: add deliverables.{self.ids.get('deliverable')}.findings (rows of "
                               f"{'、'.join(reg.NAMES)})", where, **dict(self.ids, target=title)))
            return False
        return True

    def findings(self, f: dict, where: Location, title: str, out: list[Finding]) -> list[Block]:
        if not self._need_findings("findings", where, title, out):
            return []
        assert self.findings_rows is not None  # _need_findings reported a deliverable without one
        unknown = [k for k in f if k not in reg.NAMES and k != "caption"]
        if unknown:
            out.append(Finding("input.bad-value", f"section '{title}': a findings block filters by columns of the "
                               f"register ({'、'.join(reg.NAMES)}); '{unknown[0]}' is not one", where,
                               **dict(self.ids, target=title)))
            return []
        filters = {k: v for k, v in f.items() if k != "caption"}
        t = reg.table(self.findings_rows, filters, str(f.get("caption", "")))
        self.shown |= {r[0] for r in t.rows}
        if not t.rows:
            out.append(Finding("input.bad-value", f"section '{title}': no finding matches "
                               f"{', '.join(f'{k}={v}' for k, v in filters.items())}; a domain with no finding "
                               "needs a row saying what was checked (风险等级 通过)", where,
                               **dict(self.ids, target=title)))
        self.computed.append({"section": title,
                              "expr": "findings table " + ", ".join(f"{k}={v}" for k, v in filters.items()),
                              "value": f"{len(t.rows)} rows", "sources": ["findings"]})
        return [t]

    def findings_summary(self, f: dict, where: Location, title: str, out: list[Finding]) -> list[Block]:
        if not self._need_findings("a findings summary", where, title, out):
            return []
        assert self.findings_rows is not None  # _need_findings reported a deliverable without one
        table, chart = reg.summary(self.findings_rows, str(f.get("title", "")))
        self.computed.append({"section": title, "expr": "findings summary", "value": table.rows[-1][-1] + " findings",
                              "sources": ["findings"]})
        return [table, chart]

    def _teaching(self, key: str, value: Any, where: Location, title: str, out: list[Finding]) -> list[Block]:
        """A labelled block: the label in bold, then the items as a list (or the text as a paragraph)."""
        label = Paragraph((Run(TEACHING[key], bold=True),))
        if isinstance(value, str):
            return [label] + self.text(value, where, title, out)
        items = [self.text(str(v), where, title, out) for v in value] if isinstance(value, list) else []
        paras = tuple(b for group in items for b in group if isinstance(b, Paragraph))
        if not paras:
            out.append(Finding("input.bad-type", f"section '{title}': '{key}' must be text or a list of items",
                               where, **dict(self.ids, target=title)))
            return []
        return [label, ListBlock(paras)]

    def objectives(self, v, where, title, out):
        return self._teaching("objectives", v, where, title, out)

    def exercise(self, v, where, title, out):
        return self._teaching("exercise", v, where, title, out)

    def summary(self, v, where, title, out):
        return self._teaching("summary", v, where, title, out)

    def diagram(self, d: dict, where: Location, title: str, out: list[Finding]) -> list[Block]:
        from pipeline.document.diagrams import diagram_block
        block, problems = diagram_block(d, title)
        out += [Finding("input.bad-diagram", f"section '{title}': {p}", where, **dict(self.ids, target=title))
                for p in problems]
        return [block] if block is not None else []


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


__all__ = ["BLOCK_KEYS", "BlockMaker", "misplaced_block", "scan_text"]
