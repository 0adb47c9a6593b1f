"""`sowpack new`: a fresh engagement folder to fill in, that the build reads as it is."""
from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path

from pipeline.core.errors import UsageError, relpath
from pipeline.core.writer import OutputWriter
from pipeline.scaffold.answers_file import comment, dump_value, render_answers
from pipeline.scaffold.workbook import register_sheet, sheet_title
from pipeline.specs.model import SowSpec
from pipeline.specs.needs import needs_rows

VENDOR = "阿里云"
#: The project managers' names when `sowpack new` is not given them: marked 待定 so that
#: `sowpack check` flags every document that still carries one.
VENDOR_PM = "服务方项目经理（待定）"
CUSTOMER_PM = "客户项目经理（待定）"


@dataclass(frozen=True)
class Bought:
    """One `--service N:PACKAGE`."""

    service: int
    package: str


def parse_service(text: str) -> Bought:
    """'12:通用版' -> Bought(12, '通用版').

    Raises:
        UsageError: not N:PACKAGE.
    """
    number, sep, package = text.partition(":")
    if not sep or not number.strip().isdigit() or not package.strip():
        raise UsageError(f"--service takes SERVICE:PACKAGE, e.g. 12:通用版 (got '{text}')")
    return Bought(int(number), package.strip())


def check_bought(bought: list[Bought], specs: dict[int, SowSpec]) -> None:
    """Every service exists and its package is one the SOW sells; each service once."""
    import difflib

    seen = set()
    for b in bought:
        spec = specs.get(b.service)
        if spec is None:
            raise UsageError(f"no service {b.service}; known services: {', '.join(map(str, sorted(specs)))}")
        if b.package not in spec.package_names:
            close = difflib.get_close_matches(b.package, spec.package_names, n=1)
            raise UsageError(f"service {b.service} ({spec.title}) has no package '{b.package}'; packages: "
                             f"{', '.join(spec.package_names)}" + (f"; did you mean '{close[0]}'?" if close else ""))
        if b.service in seen:
            raise UsageError(f"service {b.service} is given twice; an engagement buys each service once")
        seen.add(b.service)


def answers_rel(spec: SowSpec) -> str:
    return f"answers/{spec.folder}.yaml"


def workbook_rel(spec: SowSpec) -> str:
    return f"registers/{spec.folder}.xlsx"


def register_sheets(spec: SowSpec, deliverables, short: str) -> dict[str, str]:
    """deliverable id -> sheet name, for the registers the answers must give rows for."""
    taken: set[str] = set()
    return {d.id: sheet_title(d.display_title(short), taken) for d in deliverables if needs_rows(d)}


def workbook_bytes(deliverables, sheets: dict[str, str]) -> bytes:
    """A workbook with one prepared sheet per register (see scaffold.workbook)."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for d in deliverables:
        if d.id in sheets:
            register_sheet(wb, wb.create_sheet(sheets[d.id]), d.columns)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def engagement_yaml(customer: str, short: str, specs: list[SowSpec], bought: list[Bought],
                    start: dt.date | None, end: dt.date | None, today: dt.date,
                    vendor_pm: str = VENDOR_PM, customer_pm: str = CUSTOMER_PM) -> str:
    names = [s.name for s in specs]
    project = f"{short}{names[0]}项目" if len(names) == 1 else f"{short}{names[0]}等{len(names)}项服务项目"
    lines = comment("项目信息（sowpack new 生成）。路径（answers、rows_from.file）均相对于本文件夹。", 0)
    lines += ["version: 1",
              f"customer: {{name: {dump_value(customer)}, short_name: {dump_value(short)}}}",
              f"project: {dump_value(project)}",
              f"vendor: {VENDOR}"]
    lines += comment("封面日期；各文档按服务的开始（启动会、工作计划）或结束日期落款", 0)
    lines.append(f"date: {(start or today).isoformat()}")
    lines += comment("文档编写人（author，服务方）与审核人（reviewer）；各服务可在其条目中另行指定", 0)
    lines.append(f"document_control: {{version: V1.0, author: {dump_value(vendor_pm)}, "
                 f"reviewer: {dump_value(vendor_pm)}}}")
    numbers = ", ".join(str(s.service) for s in specs)
    lines += comment("项目人员：签到表列出客户方人员，启动会材料列出双方。每人一行，services 为其参与的服务", 0)
    lines += comment("（或 {9: 健康检查架构师} 按服务写角色）；姓名含“待定”的请改为真实姓名，例如：", 0)
    lines += comment(f"- {{name: 张伟, org: {VENDOR}, role: 架构师, phone: 138****0001, services: [{numbers}]}}", 1)
    lines.append("people:")
    for name, org in ((vendor_pm, VENDOR), (customer_pm, customer)):
        lines.append(f"  - {{name: {dump_value(name)}, org: {dump_value(org)}, role: 项目经理, "
                     f"services: [{numbers}]}}")
    lines.append("services:")
    for spec, b in zip(specs, bought, strict=True):
        lines += comment(f"{spec.service}. {spec.title}（{b.package}）", 1)
        lines.append(f"  - service: {spec.service}")
        lines.append(f"    package: {dump_value(b.package)}")
        lines += comment("服务申请日（提前期规则据此检查），YYYY-MM-DD", 2)
        lines.append("    applied_on:")
        lines.append(f"    start: {start.isoformat() if start else ''}".rstrip())
        lines.append(f"    end: {end.isoformat() if end else ''}".rstrip())
        if any(r.get("type") in ("onsite-cap", "holiday-rate") for r in spec.rules):
            lines += comment("现场人天（onsite_days）与其中法定节假日人天（holiday_onsite_days）", 2)
            lines += comment("onsite_days: 0", 2)
        optional = [d for d in spec.for_package(b.package, [d.id for d in spec.deliverables]) if d.optional]
        if optional:
            choices = sorted({d.choice or d.id for d in optional})
            lines += comment(f"可选交付物（客户选择后列入 select）：{'、'.join(choices)}", 2)
            lines.append("    select: []")
        lines.append(f"    answers: {answers_rel(spec)}")
        lines += comment("双方项目经理（须为本服务的人员）；可另写 signatories、author、reviewer", 2)
        lines.append(f"    managers: {{vendor: {dump_value(vendor_pm)}, customer: {dump_value(customer_pm)}}}")
    return "\n".join(lines) + "\n"


def new_engagement(root: Path, customer: str, short: str, bought: list[Bought], specs: dict[int, SowSpec],
                   start: dt.date | None = None, end: dt.date | None = None,
                   today: dt.date | None = None, vendor_pm: str | None = None,
                   customer_pm: str | None = None) -> list[tuple[str, str]]:
    """Write a new engagement folder; returns (status word, path) per file written.

    Raises:
        UsageError: the folder already holds files, a service or package is unknown, or the dates are reversed.
    """
    root = Path(root)
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        what = "an engagement" if (root / "engagement.yaml").exists() else "files"
        raise UsageError(f"{relpath(root)} already holds {what}; `sowpack new` only writes a new folder "
                         "(edit the files there, or choose another folder)")
    if not bought:
        raise UsageError("give at least one --service SERVICE:PACKAGE")
    vendor_pm = VENDOR_PM if vendor_pm is None else vendor_pm
    customer_pm = CUSTOMER_PM if customer_pm is None else customer_pm
    for what, value in (("--customer", customer), ("--short", short), ("--vendor-pm", vendor_pm),
                        ("--customer-pm", customer_pm)):
        if not value or not value.strip():
            raise UsageError(f"{what} must not be empty")
    if start and end and end < start:
        raise UsageError(f"--end {end} is before --start {start}")
    check_bought(bought, specs)
    if today is None:
        import os
        env = os.environ.get("SOWPACK_TODAY", "")
        today = dt.date.fromisoformat(env) if len(env) == 10 and env[4] == "-" else dt.date.today()
    chosen = [specs[b.service] for b in bought]
    files: dict[str, bytes] = {"engagement.yaml": engagement_yaml(customer.strip(), short.strip(), chosen, bought,
                                                                   start, end, today, vendor_pm.strip(),
                                                                   customer_pm.strip()).encode()}
    for spec, b in zip(chosen, bought, strict=True):
        delivs = spec.for_package(b.package)
        sheets = register_sheets(spec, delivs, short.strip())
        header = f"服务 {spec.service}. {spec.title}（{b.package}）的调研回答"
        files[answers_rel(spec)] = render_answers(spec, delivs, None, workbook_rel(spec) if sheets else None,
                                                  sheets, header).encode()
        if sheets:
            files[workbook_rel(spec)] = workbook_bytes(delivs, sheets)
    root.mkdir(parents=True, exist_ok=True)
    out = []
    for rel, data in files.items():
        out.append((OutputWriter.write(root / rel, data), relpath(root / rel)))
    return out
