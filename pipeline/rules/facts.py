"""What the rules know about one bought service, from an engagement or from a pack's manifest."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from pipeline.core.errors import Location

#: Facts an engagement may give to say how many pricing units it bought.
UNITS_FACT = "units_purchased"


@dataclass
class ServiceFacts:
    """What the rules need to know about one bought service."""

    service: int
    title: str
    package: str
    includes: tuple[str, ...]
    applied_on: dt.date | None
    start: dt.date | None
    end: dt.date | None
    onsite_days: float | None
    holiday_onsite_days: float | None
    facts: dict[str, Any]
    rules: list[dict]
    spec_path: str = ""
    where: Location | None = None
    fact_where: dict[str, Location] = field(default_factory=dict)


# --- building ServiceFacts ------------------------------------------------------
def package_includes(spec, package: str) -> tuple[str, ...]:
    """Packages that `package` includes per the spec (`packages[].includes`, transitively)."""
    return tuple(sorted(spec.covered(package) - {package}))


def number(value: Any) -> float | None:
    """A fact's value as a number: ints, floats and numeric text ("1,000"); None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        try:
            return float(value.replace(",", ""))
        except ValueError:
            return None
    return None


def onsite(sf: ServiceFacts) -> float | None:
    """On-site person-days: engagement.yaml's `onsite_days`, else the answers' facts."""
    if sf.onsite_days is not None:
        return sf.onsite_days
    for k in ("onsite_days", "onsite_person_days"):
        if number(sf.facts.get(k)) is not None:
            return number(sf.facts[k])
    return None


def _json_safe(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return str(value)


def _rule_json(rule: dict) -> dict:
    return {k: _json_safe(v) for k, v in rule.items() if k != "line"}


def from_engagement(eng, specs: dict) -> list[ServiceFacts]:
    """ServiceFacts for every bought service that has a spec and a known package."""
    out = []
    for p in eng.purchases:
        spec = specs.get(p.service)
        if spec is None or p.package not in spec.package_names:
            continue  # reported by check_purchases
        ans = eng.answers.get(p.service)
        out.append(ServiceFacts(
            service=p.service, title=spec.title, package=p.package, includes=package_includes(spec, p.package),
            applied_on=p.applied_on, start=p.start, end=p.end,
            onsite_days=number(p.extra.get("onsite_days")),
            holiday_onsite_days=number(p.extra.get("holiday_onsite_days")),
            facts=dict(ans.facts) if ans else {}, rules=[dict(r) for r in spec.rules], spec_path=spec.path,
            where=p.location, fact_where=dict(ans.fact_locations) if ans else {}))
    return out


def manifest_entry(eng, purchase, spec) -> dict:
    """What `sowpack check` needs to re-run the rules from the pack alone (merged into manifest services)."""
    ans = eng.answers.get(purchase.service)
    return {
        "includes": list(package_includes(spec, purchase.package)),
        "onsite_days": _json_safe(purchase.extra.get("onsite_days")),
        "holiday_onsite_days": _json_safe(purchase.extra.get("holiday_onsite_days")),
        "facts": {k: _json_safe(v) for k, v in sorted((ans.facts if ans else {}).items())},
        "fact_locations": {k: str(v) for k, v in sorted((ans.fact_locations if ans else {}).items())},
        "rules": [dict(_rule_json(r), spec_line=r.get("line")) for r in spec.rules],
        "location": str(purchase.location),
    }


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def from_manifest(manifest: dict, specs: dict | None = None) -> tuple[list[ServiceFacts], list[str]]:
    """ServiceFacts from a manifest; rules and includes from specs when given, else as recorded.

    Returns the facts and the services whose manifest predates rule data (skipped).
    """
    out, skipped = [], []
    for s in manifest.get("services") or []:
        if not isinstance(s, dict) or not isinstance(s.get("service"), int):
            continue
        if "facts" not in s:
            skipped.append(str(s.get("service")))
            continue
        spec = (specs or {}).get(s["service"])
        if spec is not None and s.get("package") in spec.package_names:
            rules, includes, spec_path = [dict(r) for r in spec.rules], package_includes(spec, s["package"]), spec.path
        else:
            rules = [dict(r, line=r.get("spec_line")) for r in s.get("rules") or [] if isinstance(r, dict)]
            includes, spec_path = tuple(s.get("includes") or ()), str(s.get("spec") or "")
        out.append(ServiceFacts(
            service=s["service"], title=str(s.get("title", "")), package=str(s.get("package", "")), includes=includes,
            applied_on=_date(s.get("applied_on")), start=_date(s.get("start")), end=_date(s.get("end")),
            onsite_days=number(s.get("onsite_days")), holiday_onsite_days=number(s.get("holiday_onsite_days")),
            facts=dict(s.get("facts") or {}), rules=rules, spec_path=spec_path,
            where=Location(str(s.get("location") or manifest.get("engagement", ""))),
            fact_where={k: Location(str(v)) for k, v in (s.get("fact_locations") or {}).items()}))
    return out, skipped
