"""The spec catalogue printed by `sowpack specs`."""
from __future__ import annotations

from pipeline.specs.model import SowSpec


def catalogue(specs: list[SowSpec]) -> dict:
    return {"services": [{
        "service": s.service, "title": s.title, "slug": s.slug, "spec": s.path,
        "packages": s.package_names,
        "acceptance": {"rule": s.acceptance.rule, "review_days": s.acceptance.review_days,
                       "day_type": s.acceptance.day_type, "deemed_accepted": s.acceptance.deemed_accepted},
        "rules": [{k: v for k, v in r.items() if k != "line"} for r in s.rules],
        "deliverables": [{
            "id": d.id, "seed_name": d.seed_name, "aliases": list(d.aliases), "kind": d.kind,
            "formats": list(d.formats), "packages": list(d.packages) or s.package_names, "optional": d.optional, "choice": d.choice,
            "sections": [x.title for x in d.all_sections()], "columns": [c.name for c in d.columns],
        } for d in s.deliverables]} for s in specs]}


def catalogue_table(specs: list[SowSpec]) -> str:
    lines = []
    for s in specs:
        lines.append(f"{s.service:>2}  {s.title}  [{' / '.join(s.package_names)}]  ({len(s.deliverables)} deliverables)")
        for d in s.deliverables:
            pk = f"  <{'、'.join(d.packages)}>" if d.packages else ""
            pk += "  (optional: chosen per engagement)" if d.optional else ""
            lines.append(f"      {d.id:<28} {','.join(d.formats):<15} {d.seed_name}{pk}")
    return "\n".join(lines)
