"""`sowpack check`: judge a pack folder on disk; text, JSON or JUnit output."""
from __future__ import annotations

import json
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import click

from pipeline.checks.pack import check_outputs
from pipeline.errors import Finding, Location, relpath
from pipeline.manifest import MANIFEST, read_manifest


def run_check(pack: Path, fmt: str, spec_dir: Path | None) -> int:
    manifest = read_manifest(pack)
    if manifest is None:
        click.echo(f"Error: input: {relpath(pack / MANIFEST)} is missing or not valid JSON; "
                   "point sowpack check at a pack folder written by `sowpack build`", err=True)
        return 2
    if spec_dir is not None:
        from pipeline.checks.expected import expected_from_specs
        manifest, pre = expected_from_specs(manifest, spec_dir)
    else:
        pre = []
    findings = pre + check_outputs(pack, manifest)
    errors = [f for f in findings if f.is_error]
    if fmt == "json":
        click.echo(json.dumps({"pack": relpath(pack), "engagement": manifest.get("engagement"),
                               "complete": not errors, "deliverables": len(manifest.get("deliverables", [])),
                               "errors": len(errors), "warnings": len(findings) - len(errors),
                               "findings": [f.to_json() for f in findings]}, ensure_ascii=False, indent=2))
    elif fmt == "junit":
        click.echo(junit(manifest, findings))
    else:
        for f in findings:
            click.echo(str(f))
        n = len(manifest.get("deliverables", []))
        click.echo(f"{relpath(pack)}: {n} file(s) checked, {len(errors)} error(s), "
                   f"{len(findings) - len(errors)} warning(s): {'complete' if not errors else 'INCOMPLETE'}")
    return 1 if errors else 0


def junit(manifest: dict, findings: list[Finding]) -> str:
    cases: dict[tuple, list[Finding]] = {}
    for d in manifest.get("deliverables", []):
        cases.setdefault((d["service"], d["deliverable"]), [])
    for f in findings:
        cases.setdefault((f.service, f.deliverable), []).append(f)
    failures = sum(1 for fs in cases.values() if any(f.is_error for f in fs))
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           f'<testsuite name={quoteattr("sowpack check " + str(manifest.get("engagement")))} '
           f'tests="{len(cases)}" failures="{failures}">']
    for (service, did), fs in sorted(cases.items(), key=lambda kv: (kv[0][0] or 0, kv[0][1] or "")):
        out.append(f'  <testcase classname="service-{service}" name={quoteattr(str(did))}>')
        errs = [f for f in fs if f.is_error]
        if errs:
            body = "\n".join(str(f) for f in errs)
            out.append(f'    <failure message={quoteattr(errs[0].message)} type={quoteattr(errs[0].code)}>'
                       f'{escape(body)}</failure>')
        out.append("  </testcase>")
    out.append("</testsuite>")
    return "\n".join(out)
