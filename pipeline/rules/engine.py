"""The SOWs' business rules, checked from an engagement's inputs: lead time, package limits,
pricing units, on-site caps, the holiday rate, packages that cannot be bought alone.

Each spec lists its rules (`rules:` in deliverable_specs/NN-slug.yaml) with the seed's
words (`cite`); every finding carries that citation. The same evaluation runs in the
build's CHECK phase (from the loaded engagement) and in `sowpack check` (from what the
build recorded in manifest.json), so a pack folder alone is enough to re-check it.

Severities (pipeline/core/findings.py): a purchase outside what the SOW sells is an
ERROR and stops the build (over a package limit or the on-site cap, a package bought
without the one it requires, holiday days that do not add up); a commercial risk
the vendor may accept is a WARNING (late application, more pricing units needed than
bought, a fact or date missing so a rule cannot be checked, a year the calendar does
not know); what is billed is INFO (pricing units, holiday person-days at 3x).
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

from pipeline.core.errors import INFO, Finding, Location, relpath
from pipeline.core.workdays import CalendarUnknown, add_working_days, holidays_between, working_days_between

#: Facts an engagement may give to say how many pricing units it bought.
UNITS_FACT = "units_purchased"


@dataclass(frozen=True)
class RuleFinding(Finding):
    """A finding from a business rule, citing the seed's words and where the spec records them."""

    cite: str | None = None
    rule_at: str | None = None  # deliverable_specs/NN-slug.yaml:LINE

    def to_json(self) -> dict:
        out = super().to_json()
        out["cite"] = {"text": self.cite, "spec": self.rule_at} if self.cite else None
        return out


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


def _number(value: Any) -> float | None:
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
            onsite_days=_number(p.extra.get("onsite_days")), holiday_onsite_days=_number(p.extra.get("holiday_onsite_days")),
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
            onsite_days=_number(s.get("onsite_days")), holiday_onsite_days=_number(s.get("holiday_onsite_days")),
            facts=dict(s.get("facts") or {}), rules=rules, spec_path=spec_path,
            where=Location(str(s.get("location") or manifest.get("engagement", ""))),
            fact_where={k: Location(str(v)) for k, v in (s.get("fact_locations") or {}).items()}))
    return out, skipped


# --- evaluation ------------------------------------------------------------------
def _fmt(n: float) -> str:
    return str(int(n)) if float(n).is_integer() else f"{n:g}"


def _short(cite: str, n: int = 48) -> str:
    cite = " ".join(str(cite).split())
    return cite if len(cite) <= n else cite[:n] + "…"


class _Out:
    def __init__(self, sf: ServiceFacts) -> None:
        self.sf = sf
        self.items: list[RuleFinding] = []

    def add(self, code: str, message: str, rule: dict, where: Location | None = None, target: str | None = None):
        cite = rule.get("cite")
        at = f"{self.sf.spec_path}:{rule['line']}" if rule.get("line") and self.sf.spec_path else (self.sf.spec_path or None)
        text = f"service {self.sf.service} ({self.sf.package}): {message} — SOW: 「{_short(cite)}」" if cite else \
            f"service {self.sf.service} ({self.sf.package}): {message}"
        self.items.append(RuleFinding(code, text, where or self.sf.where, service=self.sf.service, target=target,
                                      cite=" ".join(str(cite).split()) if cite else None, rule_at=at))


def _fact(out: _Out, rule: dict, purpose: str) -> float | None:
    sf, name = out.sf, rule.get("fact")
    label = rule.get("label") or name
    if name not in sf.facts:
        out.add("rules.missing-fact", f"fact '{name}' ({label}) is not in the answers, so {purpose} cannot be "
                f"checked; add it under facts:", rule, target=name)
        return None
    value = _number(sf.facts[name])
    if value is None:
        out.add("rules.missing-fact", f"fact '{name}' ({label}) must be a number (got {sf.facts[name]!r:.30})",
                rule, sf.fact_where.get(name), target=name)
    return value


def _lead_time(out: _Out, rule: dict) -> None:
    sf, n = out.sf, int(rule.get("working_days") or 0)
    if sf.applied_on is None or sf.start is None:
        missing = " and ".join(k for k, v in (("applied_on", sf.applied_on), ("start", sf.start)) if v is None)
        out.add("rules.missing-date", f"{missing} missing in engagement.yaml, so the {n}-working-day lead time "
                "cannot be checked", rule, target="applied_on")
        return
    try:
        deadline = add_working_days(sf.start, -n)
        have = working_days_between(sf.applied_on, sf.start)
    except CalendarUnknown as exc:
        out.add("rules.calendar-unknown", f"lead time not checked: {exc}", rule, target="applied_on")
        return
    if sf.applied_on > deadline:
        out.add("rules.lead-time", f"applied on {sf.applied_on}, only {have} Chinese working day(s) before the start "
                f"{sf.start}; the SOW needs at least {n} (apply by {deadline})", rule, target="applied_on")


def _package_limit(out: _Out, rule: dict) -> None:
    sf = out.sf
    limits = {k: _number(v) for k, v in (rule.get("limits") or {}).items()}
    limit = limits.get(sf.package)
    if limit is None:
        return
    label = rule.get("label") or rule.get("fact")
    value = _fact(out, rule, f"the {sf.package} limit of {_fmt(limit)}")
    if value is None:
        return
    where = sf.fact_where.get(rule.get("fact"))
    if value > limit:
        bigger = sorted((v, k) for k, v in limits.items() if v is not None and v >= value)
        hint = (f"; {bigger[0][1]} covers up to {_fmt(bigger[0][0])}" if bigger else
                f"; no package covers it (the largest allows {_fmt(max(v for v in limits.values() if v is not None))}): "
                "outside the SOW")
        out.add("rules.package-limit", f"{label} is {_fmt(value)}, over the {sf.package} limit of {_fmt(limit)}{hint}",
                rule, where, target=rule.get("fact"))
        return
    smaller = sorted((v, k) for k, v in limits.items() if v is not None and value <= v < limit)
    if smaller:
        out.add("rules.package-oversized", f"{label} is {_fmt(value)}: {smaller[0][1]} (up to {_fmt(smaller[0][0])}) "
                f"would cover it too", rule, where, target=rule.get("fact"))


def _bought_units(sf: ServiceFacts, rule: dict) -> tuple[float, str]:
    if rule.get("purchased_fact") and _number(sf.facts.get(rule["purchased_fact"])) is not None:
        return _number(sf.facts[rule["purchased_fact"]]), f"fact {rule['purchased_fact']}"
    given = sf.facts.get(UNITS_FACT)
    if isinstance(given, dict) and _number(given.get(rule.get("fact"))) is not None:
        return _number(given[rule["fact"]]), f"fact {UNITS_FACT}.{rule['fact']}"
    if _number(given) is not None:
        return _number(given), f"fact {UNITS_FACT}"
    return 1, "one purchase"


def _pricing_unit(out: _Out, rule: dict) -> None:
    sf = out.sf
    unit = _number(rule.get("unit")) or 1
    label = rule.get("label") or rule.get("fact")
    value = _fact(out, rule, "the pricing units")
    if value is None:
        return
    units = math.ceil(value / unit) if value > 0 else 0
    where = sf.fact_where.get(rule.get("fact"))
    per = f"每 {_fmt(unit)} 计 1 个单位，不足 1 个单位按 1 个计" if unit != 1 else "每 1 计 1 个单位"
    out.add("rules.pricing-units", f"{label} {_fmt(value)} → {units} pricing unit(s) ({per})", rule, where,
            target=rule.get("fact"))
    bought, source = _bought_units(sf, rule)
    if units > bought:
        out.add("rules.pricing-unit-exceeded", f"{label} {_fmt(value)} needs {units} pricing unit(s) of {_fmt(unit)}; "
                f"{source} covers {_fmt(bought)}: buy {_fmt(units - bought)} more or reduce the scope "
                f"(say how many were bought with facts: {UNITS_FACT}: N)", rule, where, target=rule.get("fact"))


def _onsite(sf: ServiceFacts) -> float | None:
    if sf.onsite_days is not None:
        return sf.onsite_days
    for k in ("onsite_days", "onsite_person_days"):
        if _number(sf.facts.get(k)) is not None:
            return _number(sf.facts[k])
    return None


def _onsite_cap(out: _Out, rule: dict) -> None:
    sf = out.sf
    cap = _number(rule.get("person_days"))
    if cap is None:
        cap = _number((rule.get("packages") or {}).get(sf.package))
    onsite = _onsite(sf)
    if cap is None or onsite is None:
        return
    if onsite > cap:
        out.add("rules.onsite-cap", f"{_fmt(onsite)} on-site person-days, over the SOW's cap of {_fmt(cap)}", rule,
                target="onsite_days")


def _holiday_rate(out: _Out, rule: dict) -> None:
    sf = out.sf
    mult = _number(rule.get("multiplier")) or 3
    holiday = sf.holiday_onsite_days
    if holiday is None:
        holiday = _number(sf.facts.get("holiday_onsite_days"))
    if not holiday:
        return
    onsite = _onsite(sf)
    if onsite is None or holiday > onsite:
        out.add("rules.holiday-days", f"holiday_onsite_days {_fmt(holiday)} is more than onsite_days "
                f"{_fmt(onsite or 0)}; holiday days are part of the on-site days", rule, target="holiday_onsite_days")
        return
    billed = onsite - holiday + holiday * mult
    out.add("rules.holiday-rate", f"{_fmt(holiday)} of {_fmt(onsite)} on-site person-day(s) on statutory holidays at "
            f"{_fmt(mult)}×: {_fmt(billed)} person-days billed", rule, target="holiday_onsite_days")
    if sf.start and sf.end:
        try:
            days = holidays_between(sf.start, sf.end)
        except CalendarUnknown as exc:
            out.add("rules.calendar-unknown", f"holiday days not checked: {exc}", rule, target="holiday_onsite_days")
            return
        if not days:
            out.add("rules.no-holiday-in-period", f"holiday_onsite_days is {_fmt(holiday)} but no statutory holiday "
                    f"falls between {sf.start} and {sf.end}", rule, target="holiday_onsite_days")


def _requires(out: _Out, rule: dict, bought: set[int]) -> None:
    sf = out.sf
    if rule.get("type") == "requires-package" and rule.get("package") == sf.package:
        need = rule.get("requires")
        if need and need != sf.package and need not in sf.includes:
            out.add("rules.requires-package", f"{sf.package} cannot be bought alone: it requires {need} "
                    f"(buy a package that includes {need})", rule, target="package")
    need_service = rule.get("requires_service")
    if isinstance(need_service, int) and rule.get("package") in (None, sf.package) and need_service not in bought:
        out.add("rules.requires-service", f"{sf.package} cannot be bought alone: it requires service "
                f"{need_service}, which this engagement does not buy", rule, target="package")


_CHECKS = {"lead-time": _lead_time, "package-limit": _package_limit, "pricing-unit": _pricing_unit,
           "onsite-cap": _onsite_cap, "holiday-rate": _holiday_rate}


def evaluate(services: list[ServiceFacts]) -> list[RuleFinding]:
    """Every rule of every bought service; findings in service and rule order."""
    bought = {s.service for s in services}
    findings: list[RuleFinding] = []
    for sf in services:
        out = _Out(sf)
        for rule in sf.rules:
            fn = _CHECKS.get(rule.get("type"))
            if fn is not None:
                fn(out, rule)
            _requires(out, rule, bought)
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
