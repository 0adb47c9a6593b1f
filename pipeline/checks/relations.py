"""Summaries against their registers, as the files are on disk.

The build records in the manifest every number it computed from a deliverable's registers
(`{section, expr, value, sources}`, see core/facts.py). `check` reads the registers back
from each file (the findings tables of a Word document or a deck, the sheets of a
workbook), recomputes each number and flags a summary that no longer agrees: a finding
added to the register by hand while the summary still counts the old ones, or a summary
edited without its register. Numbers read from tables the pack does not show (the
answers' data tables, facts) are not rechecked.
"""
from __future__ import annotations

from pipeline.core.facts import ExprError, Facts, Source, as_num, evaluate
from pipeline.readers.common import Seen, norm_title

#: Columns that mark a table (or sheet) as the findings register.
FINDINGS_MARK = ("ID", "风险等级")


def _tables(seen: Seen) -> list[list[list[str]]]:
    """Every table a reader sees: Word and deck tables, and each sheet from its header row."""
    if seen.format != "xlsx":
        return [t for t in seen.tables if t]
    out = []
    for sh in seen.sheets:
        rows = [r for _, r in sh.grid]
        for k, row in enumerate(rows[:10]):
            cells = [c.strip() for c in row]
            if all(m in cells for m in FINDINGS_MARK):
                out.append(rows[k:])
                break
        else:
            if rows:
                out.append(rows)
    return out


def registers(seen: Seen, columns: list[str]) -> dict[str, Source]:
    """The findings register and the deliverable's register as the file shows them.

    A register split over several tables (one per domain, or a deck's continued
    tables) is read as their union; a row shown twice (same ID) counts once.
    """
    out: dict[str, Source] = {}
    found: dict[str, dict] = {}
    header_union: list[str] = []
    register_rows: list[dict] = []
    for t in _tables(seen):
        header = [c.strip() for c in t[0]]
        body = [r for r in t[1:] if any(c.strip() for c in r)]
        if all(m in header for m in FINDINGS_MARK):
            header_union += [h for h in header if h not in header_union]
            for r in body:
                row = {h: (r[j].strip() if j < len(r) else "") for j, h in enumerate(header)}
                found.setdefault(row["ID"], row)
        elif columns and all(c in header for c in columns):
            register_rows += [{h: (r[j].strip() if j < len(r) else "") for j, h in enumerate(header)} for r in body]
    if found:
        out["findings"] = Source("findings", header_union, list(found.values()), "the findings register")
    if register_rows:
        out["rows"] = Source("rows", list(columns), register_rows, "the register")
    return out


def _same(now: str, recorded: str) -> bool:
    """Equal as shown, or as numbers to the decimals the summary printed (a sheet stores 84.0 as 84)."""
    if now == recorded:
        return True
    a, b = as_num(now.rstrip("%")), as_num(recorded.rstrip("%"))
    if a is None or b is None or now.endswith("%") != recorded.endswith("%"):
        return False
    return abs(a.value - b.value) < 0.5 * 10 ** -(b.decimals or 0) + 1e-9


def _summary_table(seen: Seen) -> list[list[str]] | None:
    for t in seen.tables if seen.format != "xlsx" else []:
        if t and t[0] and t[0][0].strip() == "领域" and t[0][-1].strip() == "合计":
            return t
    return None


def check_relations(seen: Seen, computed: list[dict], columns: list[str]) -> list[tuple[str, str]]:
    """(section, message) per section holding numbers its register, as this file shows it, contradicts:
    the first such number, and how many more the section holds."""
    found = _mismatches(seen, computed, columns)
    out: list[tuple[str, str]] = []
    for section in dict.fromkeys(s for s, _ in found):
        messages = [m for s, m in found if s == section]
        more = f" ({len(messages) - 1} more number(s) of '{section}' disagree too)" if len(messages) > 1 else ""
        out.append((section, messages[0] + more))
    return out


def _mismatches(seen: Seen, computed: list[dict], columns: list[str]) -> list[tuple[str, str]]:
    """(section, message) for every recorded number its register, as this file shows it, contradicts."""
    if not computed or seen.format == "pdf":
        return []
    sources = registers(seen, columns)
    facts = Facts({}, sources)
    out: list[tuple[str, str]] = []
    for c in computed:
        expr, value, section = str(c.get("expr", "")), str(c.get("value", "")), str(c.get("section", ""))
        used = c.get("sources") or []
        if not used or not set(used) <= set(sources):
            continue
        if expr == "findings summary":
            table = _summary_table(seen)
            if table is None:
                continue
            levels = [h.strip().removesuffix("风险") for h in table[0][1:-1]]
            total_row = next((r for r in table[1:] if r and r[0].strip() == "合计"), None)
            if total_row is None:
                continue
            for lv, cell in zip(levels, total_row[1:-1], strict=False):
                have = str(sum(1 for r in sources["findings"].rows if r.get("风险等级") == lv))
                if cell.strip() != have:
                    out.append((section, (f"the findings summary counts {cell.strip()} at level {lv}, but the "
                                          f"findings register in this file lists {have}: rebuild, or make the two "
                                          "agree")))
            continue
        if expr.startswith(("findings table", "table ")):
            continue
        try:
            now, _ = evaluate(expr, facts)
        except ExprError:
            continue  # a column this format does not show (a domain table without 领域)
        if not _same(now, value):
            out.append((section, (f"'{section}' says {value} ({{={expr}}}), but the register in this file now "
                                  f"gives {now}: rebuild the pack, or correct the register or the summary")))
            continue
        if seen.format == "docx":
            key = norm_title(section)
            # The section's own text, its heading left out (an emptied section is completeness.empty-section).
            shown = {h.shown for h in seen.headings}
            text = "".join(t.text for t in seen.texts
                           if t.section == key and t.where in ("body", "table") and t.text.strip() not in shown)
            if text and value not in text.replace(" ", ""):
                out.append((section, (f"'{section}' no longer shows {value} ({{={expr}}}), which its register "
                                      "gives: the summary was edited by hand; rebuild or correct it")))
    return out
