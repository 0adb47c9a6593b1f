"""The spec catalogue printed by `sowpack specs`: JSON for scripts, a tree for people."""
from __future__ import annotations

from pipeline.core.text import unfold
from pipeline.specs.hints import section_hint
from pipeline.specs.model import ColumnSpec, DeliverableSpec, SectionSpec, SowSpec
from pipeline.specs.needs import needs_answer, needs_rows, templated

TYPE_LABELS = {"text": "文本", "int": "整数", "number": "数字", "date": "日期 YYYY-MM-DD"}


def _section(spec: SowSpec, d: DeliverableSpec, s: SectionSpec) -> dict:
    return {"title": s.title, "required": needs_answer(d, s), "templated": templated(d, s),
            "hint": section_hint(spec, d, s), "children": [_section(spec, d, c) for c in s.children]}


def column_json(c: ColumnSpec) -> dict:
    return {"name": c.name, "type": c.type, "allowed": list(c.allowed)}


def select(specs: list[SowSpec], service: int | None = None, package: str | None = None) -> list[SowSpec]:
    """The specs to show, restricted to a service and a package (with what the package includes)."""
    import dataclasses
    import difflib

    from pipeline.core.errors import UsageError

    out = [s for s in specs if service is None or s.service == service]
    if not out:
        raise UsageError(f"no service {service}; known services: {', '.join(str(s.service) for s in specs)}")
    if package is not None and not any(package in s.package_names for s in out):
        names = sorted({p for s in out for p in s.package_names})
        close = difflib.get_close_matches(package, names, n=1)
        raise UsageError(f"no package '{package}'" + (f" in service {service}" if service else "") +
                         f"; packages: {', '.join(names)}" + (f"; did you mean '{close[0]}'?" if close else ""))
    if package is not None:
        out = [dataclasses.replace(s, deliverables=tuple(s.for_package(package, [d.id for d in s.deliverables])))
               for s in out if package in s.package_names]
    return out


def catalogue(specs: list[SowSpec]) -> dict:
    """The machine-readable catalogue (`sowpack specs --json`); keys are only ever added."""
    return {"services": [{
        "service": s.service, "title": s.title, "slug": s.slug, "spec": s.path,
        "packages": s.package_names,
        "package_details": [{"name": p.name, "description": p.description, "includes": list(p.includes)}
                            for p in s.packages],
        "formats_rule": s.formats_rule,
        "acceptance": {"rule": s.acceptance.rule, "review_days": s.acceptance.review_days,
                       "day_type": s.acceptance.day_type, "deemed_accepted": s.acceptance.deemed_accepted},
        "rules": [{k: v for k, v in r.items() if k != "line"} for r in s.rules],
        "deliverables": [{
            "id": d.id, "seed_name": d.seed_name, "aliases": list(d.aliases), "kind": d.kind,
            "formats": list(d.formats), "packages": list(d.packages) or s.package_names, "optional": d.optional,
            "choice": d.choice,
            "sections": [_section(s, d, x) for x in d.sections],
            "columns": [column_json(c) for c in d.columns],
            "required": any(needs_answer(d, x) for x in d.all_sections()) or needs_rows(d),
            "rows_required": needs_rows(d),
        } for d in s.deliverables]} for s in specs]}


def _tree(spec: SowSpec, d: DeliverableSpec, sections, depth: int, lines: list[str]) -> None:
    for s in sections:
        if s.children:
            mark = "   "
            note = "(heading: answer its subsections)"
        elif needs_answer(d, s):
            mark, note = " * ", "needs an answer"
        else:
            mark, note = "   ", "written by the template; an answer replaces it"
        lines.append(f"      {mark}{'  ' * depth}{s.title}  — {note}")
        _tree(spec, d, s.children, depth + 1, lines)


def catalogue_table(specs: list[SowSpec]) -> str:
    """Every service with its packages, rules and deliverables; each deliverable's section tree and columns."""
    lines = []
    for s in specs:
        lines.append(f"{s.service:>2}  {s.title}  [{' / '.join(s.package_names)}]  ({len(s.deliverables)} deliverables)"
                     f"  {s.path}")
        for p in s.packages:
            inc = f" (includes {'、'.join(p.includes)})" if p.includes else ""
            lines.append(f"    package {p.name}{inc}: {unfold(p.description)}".rstrip(": "))
        a = s.acceptance
        days = (f"{a.review_days} {'working' if a.day_type == 'working' else 'calendar'} days" if a.review_days
                else "no review period")
        lines.append(f"    acceptance: {days}{', deemed accepted when silent' if a.deemed_accepted else ''}")
        if s.formats_rule:
            lines.append(f"    formats rule: {s.formats_rule}")
        for r in s.rules:
            detail = ", ".join(f"{k}={v}" for k, v in r.items() if k not in ("type", "cite", "line"))
            cite = unfold(str(r.get("cite", "")))
            cite = f": {cite[:60]}{'…' if len(cite) > 60 else ''}" if r["type"] == "note" else ""
            lines.append(f"    rule {r['type']}{f' ({detail})' if detail else ''}{cite}")
        for d in s.deliverables:
            pk = f"  <{'、'.join(d.packages)}>" if d.packages else ""
            pk += "  (optional: chosen per engagement)" if d.optional else ""
            lines.append(f"  {d.id:<28} {','.join(d.formats):<15} {d.seed_name}  [{d.kind}]{pk}")
            if d.sections:
                lines.append("      sections (* needs an answer):")
                _tree(s, d, d.sections, 0, lines)
            if d.columns:
                rows = "rows needed" if needs_rows(d) else "rows from engagement.yaml people unless given"
                lines.append(f"      columns ({rows}):")
                for c in d.columns:
                    allowed = f"  allowed: {'、'.join(c.allowed)}" if c.allowed else ""
                    lines.append(f"         {c.name}  {c.type}{allowed}")
    lines.append("* = a leaf section the build needs an answer for (answers/NN-slug.yaml, "
                 "deliverables.<id>.sections.<title>); other sections are written by the kind's template.")
    return "\n".join(lines)
