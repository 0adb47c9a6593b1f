"""The findings register any report may carry (health check, security, operability, risk,
cost and resource analysis): one row per finding, with an ID, an owner, a due date and a
status, and the blocks that show it: a table per domain, and a summary (counts by level
and by domain, and a chart) computed from the rows.

In the answers:

    deliverables:
      health-report:
        findings:                       # or findings_from: {file: 问题清单.xlsx, sheet: 问题清单}
          - {ID: NET-01, 领域: 网络, 检查项: SLB 后端跨可用区, 现状与证据: ..., 风险等级: 高,
             影响: ..., 建议: ..., 责任人: 赵磊, 计划完成: 2026-04-30, 状态: 整改中}
        sections:
          检查概述:
            - 共识别风险 {=findings.risks} 项，其中高风险 {=findings.高} 项。
            - findings-summary: {}      # counts by domain and level, and a chart
          网络架构检查结果:
            - findings: {领域: 网络}     # the rows of one domain (any column = value filters)
"""
from __future__ import annotations

from typing import Any

from pipeline.core.errors import Finding
from pipeline.core.values import BadValue, parse
from pipeline.core.facts import RISK_LEVELS
from pipeline.document.nodes import Chart, ColumnDef, Register, Table
from pipeline.inputs.model import Rows

TITLE = "问题与风险清单"
#: 风险等级: three risk levels, 无 (an observation without risk) and 通过 (the check passed).
LEVELS = RISK_LEVELS + ("无", "通过")
STATUSES = ("待处理", "整改中", "已完成", "无需处理")
COLUMNS = (ColumnDef("ID", width=12), ColumnDef("领域", width=10), ColumnDef("检查项", width=20),
           ColumnDef("现状与证据", width=44), ColumnDef("风险等级", LEVELS, width=10), ColumnDef("影响", width=30),
           ColumnDef("建议", width=40), ColumnDef("责任人", width=10), ColumnDef("计划完成", type="date", width=12),
           ColumnDef("状态", STATUSES, width=10))
NAMES = tuple(c.name for c in COLUMNS)
#: Blank in no row.
REQUIRED = ("ID", "领域", "检查项", "现状与证据", "风险等级", "状态")
#: Blank in no risk (高/中/低): who fixes it, how and by when.
REQUIRED_FOR_RISKS = ("建议", "责任人", "计划完成")
#: The columns a report's table shows (影响 stays in the register sheet); 领域 only when
#: the table is not one domain's.
SHOWN = ("ID", "领域", "检查项", "现状与证据", "风险等级", "建议", "责任人", "计划完成", "状态")


def validate(rows: Rows, ids: dict) -> tuple[list[dict[str, Any]], list[Finding]]:
    """Typed finding rows, with a located finding for every problem of the register.

    Args:
        rows: the answers' `findings:` (or `findings_from:`) rows.
        ids: service / deliverable for the findings.
    """
    out: list[Finding] = []
    for n in NAMES:
        if n not in rows.header and n in REQUIRED + REQUIRED_FOR_RISKS:
            out.append(Finding("input.missing-column", f"the findings register needs the column '{n}'; its columns are "
                               f"{'、'.join(NAMES)}", rows.source, target=n, **ids))
    for h in rows.header:
        if h and h not in NAMES:
            out.append(Finding("input.unknown-column", f"column '{h}' is not a column of the findings register "
                               f"({'、'.join(NAMES)}); it is ignored", rows.locations.get((-1, h), rows.source),
                               target=h, **ids))
    typed: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for i, row in enumerate(rows.rows):
        t: dict[str, Any] = {}
        for c in COLUMNS:
            where = rows.locations.get((i, c.name), rows.source)
            raw = row.get(c.name)
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                t[c.name] = ""
                continue
            try:
                t[c.name] = parse(raw, c.type)
            except BadValue as exc:
                out.append(Finding("input.bad-type", f"findings register, column '{c.name}' in row {i + 1} {exc}",
                                   where, target=c.name, **ids))
                t[c.name] = str(raw).strip()
                continue
            if c.allowed and str(t[c.name]) not in c.allowed:
                out.append(Finding("input.not-allowed", f"'{t[c.name]}' is not allowed in column '{c.name}' of the "
                                   f"findings register; use one of {'、'.join(c.allowed)}", where, target=c.name,
                                   **ids))
        level = t.get("风险等级")
        needed = REQUIRED + (REQUIRED_FOR_RISKS if level in RISK_LEVELS else ())
        for n in needed:
            if t.get(n) == "" and n in rows.header:
                why = f" (a {level}-level risk needs who fixes it, how and by when)" if n in REQUIRED_FOR_RISKS else ""
                out.append(Finding("input.blank-cell", f"findings register: column '{n}' is blank in row {i + 1}{why}; "
                                   "fill it", rows.locations.get((i, n), rows.source), target=n, **ids))
        fid = str(t.get("ID") or "")
        if fid:
            if fid in seen:
                out.append(Finding("input.bad-value", f"finding ID '{fid}' is used by rows {seen[fid]} and {i + 1}; "
                                   "every finding needs its own ID", rows.locations.get((i, "ID"), rows.source),
                                   target="ID", **ids))
            seen.setdefault(fid, i + 1)
        typed.append(t)
    return typed, out


def register(rows: list[dict[str, Any]]) -> Register:
    """The whole register, as the Excel sheet shows it."""
    return Register(TITLE, list(COLUMNS), [[r.get(n, "") for n in NAMES] for r in rows])


def matches(row: dict, filters: dict[str, Any]) -> bool:
    """A row kept by a findings block's filters ({领域: 网络}, {风险等级: 高/中})."""
    for col, want in filters.items():
        options = [w.strip() for w in str(want).split("/")]
        if str(row.get(col, "")).strip() not in options:
            return False
    return True


def table(rows: list[dict[str, Any]], filters: dict[str, Any], caption: str = "") -> Table:
    """The rows a findings block selects, in register order, with the columns a report shows."""
    shown = [n for n in SHOWN if not (n == "领域" and "领域" in filters)]
    kept = [r for r in rows if matches(r, filters)]
    return Table(tuple(shown), tuple(tuple(str(r.get(n, "")) for n in shown) for r in kept), caption)


def domains(rows: list[dict[str, Any]]) -> list[str]:
    """Domains in the order the register first names them."""
    return list(dict.fromkeys(str(r.get("领域", "")) for r in rows if r.get("领域")))


def summary(rows: list[dict[str, Any]], title: str = "") -> tuple[Table, Chart]:
    """Counts by domain and level (with totals) and a bar chart of the risks by domain, from the rows."""
    levels = [lv for lv in LEVELS if lv in RISK_LEVELS or any(r.get("风险等级") == lv for r in rows)]
    header = ("领域",) + tuple(f"{lv}风险" if lv in RISK_LEVELS else lv for lv in levels) + ("合计",)
    body = []
    for d in domains(rows):
        counts = [sum(1 for r in rows if r.get("领域") == d and r.get("风险等级") == lv) for lv in levels]
        body.append((d,) + tuple(map(str, counts)) + (str(sum(counts)),))
    totals = [sum(1 for r in rows if r.get("风险等级") == lv) for lv in levels]
    body.append(("合计",) + tuple(map(str, totals)) + (str(len(rows)),))
    cats = tuple(domains(rows))
    series = tuple((f"{lv}风险", tuple(float(sum(1 for r in rows if r.get("领域") == d and r.get("风险等级") == lv))
                                      for d in cats)) for lv in RISK_LEVELS)
    chart = Chart("bar", title or "各领域风险数量", cats, series, "项")
    return Table(header, tuple(body), "问题与风险统计（按领域与风险等级）"), chart
