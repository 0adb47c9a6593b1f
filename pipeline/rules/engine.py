"""Running the business rules: in the build's CHECK phase, and in `sowpack check` from the facts the manifest
recorded."""
from __future__ import annotations

from pipeline.core.errors import INFO, Finding, Location, relpath
from pipeline.rules.base import Emitter, RuleFinding
from pipeline.rules.facts import ServiceFacts, from_engagement, from_manifest, manifest_entry
from pipeline.rules.types import RULES

__all__ = ["evaluate", "report_rules", "check_manifest", "manifest_entry"]


def evaluate(services: list[ServiceFacts]) -> list[RuleFinding]:
    """Every rule of every bought service; findings in service and rule order."""
    bought = {s.service for s in services}
    findings: list[RuleFinding] = []
    for sf in services:
        out = Emitter(sf, bought)
        for raw in sf.rules:
            cls = RULES.get(raw.get("type", ""))
            if cls is not None:  # a manifest may record a rule type this sowpack no longer has
                cls(raw).check(out)
        findings.extend(out.items)
    return findings


def report_rules(eng, specs: dict, reporter) -> list[RuleFinding]:
    """Build CHECK phase: errors and warnings become findings (errors stop the build); INFO lines are printed."""
    found = evaluate(from_engagement(eng, specs))
    for f in found:
        if f.severity == INFO:
            reporter.info(f"{eng.name}: {f.message} [{f.code}]")
        else:
            reporter.finding(f)
    return found


def check_manifest(manifest: dict, specs: dict | None = None) -> list[Finding]:
    """`sowpack check`: the rules re-run from the manifest's recorded facts."""
    services, skipped = from_manifest(manifest, specs)
    out: list[Finding] = list(evaluate(services))
    if skipped:
        out.append(Finding("rules.not-recorded", f"manifest.json has no rule facts for service(s) "
                           f"{', '.join(skipped)} (built by an older sowpack); rebuild to check the business rules",
                           Location(relpath(manifest.get("_path", "manifest.json")))))
    return out
