"""The rule types a spec's `rules:` may use, one class each, and their table RULES."""
from __future__ import annotations

import math
from typing import Any, Iterable

from pipeline.core.validate import Collector, keyname
from pipeline.core.workdays import CalendarUnknown, add_working_days, holidays_between, working_days_between
from pipeline.rules.base import Emitter, Key, Rule, fmt, registry
from pipeline.rules.facts import UNITS_FACT, ServiceFacts, number, onsite


class LeadTime(Rule):
    """The customer applies at least N Chinese working days before the service starts."""

    type = "lead-time"
    keys = (Key("working_days", "int", True, "working days between `applied_on` and `start`, at least"),)
    codes = ("rules.lead-time", "rules.missing-date", "rules.calendar-unknown")

    def check(self, out: Emitter) -> None:
        sf, n = out.sf, int(self.get("working_days") or 0)
        if sf.applied_on is None or sf.start is None:
            missing = " and ".join(k for k, v in (("applied_on", sf.applied_on), ("start", sf.start)) if v is None)
            out.add("rules.missing-date", f"{missing} missing in engagement.yaml, so the {n}-working-day lead time "
                    "cannot be checked", self, target="applied_on")
            return
        try:
            deadline = add_working_days(sf.start, -n)
            have = working_days_between(sf.applied_on, sf.start)
        except CalendarUnknown as exc:
            out.add("rules.calendar-unknown", f"lead time not checked: {exc}", self, target="applied_on")
            return
        if sf.applied_on > deadline:
            out.add("rules.lead-time", f"applied on {sf.applied_on}, only {have} Chinese working day(s) before the "
                    f"start {sf.start}; the SOW needs at least {n} (apply by {deadline})", self, target="applied_on")


class PackageLimit(Rule):
    """A fact the bought package caps (`limits`) and, optionally, the least it is sold for (`minimums`)."""

    type = "package-limit"
    keys = (Key("fact", "text", True, "the answers' fact it checks"),
            Key("label", "text", False, "the fact's name in findings (default: the fact)"),
            Key("limits", "package-numbers", True, "package -> the most it covers"),
            Key("minimums", "package-numbers", False, "package -> the least it is sold for"))
    codes = ("rules.package-limit", "rules.package-minimum", "rules.package-oversized", "rules.missing-fact")

    @classmethod
    def validate(cls, c: Collector, raw: dict, kp: tuple, packages: list[str]) -> None:
        limits, minimums = raw.get("limits"), raw.get("minimums")
        if not isinstance(limits, dict) or not isinstance(minimums, dict):
            return
        for p, low in minimums.items():
            high = limits.get(p)
            lo, hi = number(low), number(high)
            if lo is not None and hi is not None and lo > hi:
                c.add("bad-value", f"'{keyname(kp + ('minimums', p))}' ({low}) is over the {p} limit ({high})",
                      kp + ("minimums", p))

    @staticmethod
    def _fits(value: float, minimums: dict, pairs) -> list[tuple[float, str]]:
        """(limit, package) of the given packages that are sold for value (no minimum over it), smallest first."""
        return sorted((v, k) for k, v in pairs if minimums.get(k) is None or minimums[k] <= value)

    def check(self, out: Emitter) -> None:
        sf = out.sf
        limits = {k: number(v) for k, v in (self.get("limits") or {}).items()}
        minimums = {k: number(v) for k, v in (self.get("minimums") or {}).items()}
        limit, minimum = limits.get(sf.package), minimums.get(sf.package)
        if limit is not None:
            bound = f"limit of {fmt(limit)}"
        elif minimum is not None:
            bound = f"minimum of {fmt(minimum)}"
        else:
            return
        label, name = self.get("label") or self.get("fact"), self.get("fact")
        value = out.fact(self, f"the {sf.package} {bound}")
        if value is None:
            return
        where = sf.fact_where.get(name)
        if limit is not None and value > limit:
            bigger = self._fits(value, minimums, ((k, v) for k, v in limits.items() if v is not None and v >= value))
            hint = (f"; {bigger[0][1]} covers up to {fmt(bigger[0][0])}" if bigger else
                    "; no package covers it (the largest allows "
                    f"{fmt(max(v for v in limits.values() if v is not None))}): outside the SOW")
            out.add("rules.package-limit",
                    f"{label} is {fmt(value)}, over the {sf.package} limit of {fmt(limit)}{hint}",
                    self, where, target=name)
            return
        if minimum is not None and value < minimum:
            meant = self._fits(value, minimums, ((k, v) for k, v in limits.items() if k != sf.package and v is not None
                                                 and v >= value))
            hint = f"; {meant[0][1]} (up to {fmt(meant[0][0])}) is meant for it" if meant else ""
            out.add("rules.package-minimum", f"{label} is {fmt(value)}, under the {sf.package} minimum of "
                    f"{fmt(minimum)}{hint}", self, where, target=name)
            return
        if limit is None:
            return
        smaller = self._fits(value, minimums,
                             ((k, v) for k, v in limits.items() if v is not None and value <= v < limit))
        if smaller:
            out.add("rules.package-oversized", f"{label} is {fmt(value)}: {smaller[0][1]} (up to {fmt(smaller[0][0])}) "
                    f"would cover it too", self, where, target=name)


class PricingUnit(Rule):
    """A fact billed in units of `unit`: every started unit counts."""

    type = "pricing-unit"
    keys = (Key("fact", "text", True, "the answers' fact it bills"),
            Key("label", "text", False, "the fact's name in findings (default: the fact)"),
            Key("unit", "number", False, "the size of one pricing unit (default 1)"),
            Key("purchased_fact", "text", False, f"the fact giving the units bought (default: `{UNITS_FACT}`)"))
    codes = ("rules.pricing-units", "rules.pricing-unit-exceeded", "rules.missing-fact")

    def _bought(self, sf: ServiceFacts) -> tuple[float, str]:
        if self.get("purchased_fact") and (n := number(sf.facts.get(self.get("purchased_fact")))) is not None:
            return n, f"fact {self.get('purchased_fact')}"
        given = sf.facts.get(UNITS_FACT)
        if isinstance(given, dict) and (n := number(given.get(self.get("fact")))) is not None:
            return n, f"fact {UNITS_FACT}.{self.get('fact')}"
        if (n := number(given)) is not None:
            return n, f"fact {UNITS_FACT}"
        return 1, "one purchase"

    def check(self, out: Emitter) -> None:
        sf = out.sf
        unit = number(self.get("unit")) or 1
        label = self.get("label") or self.get("fact")
        value = out.fact(self, "the pricing units")
        if value is None:
            return
        units = math.ceil(value / unit) if value > 0 else 0
        where = sf.fact_where.get(self.get("fact"))
        per = f"每 {fmt(unit)} 计 1 个单位，不足 1 个单位按 1 个计" if unit != 1 else "每 1 计 1 个单位"
        out.add("rules.pricing-units", f"{label} {fmt(value)} → {units} pricing unit(s) ({per})", self, where,
                target=self.get("fact"))
        bought, source = self._bought(sf)
        if units > bought:
            out.add("rules.pricing-unit-exceeded",
                    f"{label} {fmt(value)} needs {units} pricing unit(s) of {fmt(unit)}; "
                    f"{source} covers {fmt(bought)}: buy {fmt(units - bought)} more or reduce the scope "
                    f"(say how many were bought with facts: {UNITS_FACT}: N)", self, where, target=self.get("fact"))


class OnsiteCap(Rule):
    """On-site person-days at most `person_days` (or per package, `packages`)."""

    type = "onsite-cap"
    keys = (Key("person_days", "number", False, "the cap for every package"),
            Key("packages", "package-numbers", False, "package -> its cap, when the cap is per package"))
    codes = ("rules.onsite-cap",)

    @classmethod
    def validate(cls, c: Collector, raw: dict, kp: tuple, packages: list[str]) -> None:
        if raw.get("person_days") is None and raw.get("packages") is None:
            c.add("missing-key", f"'{keyname(kp)}' needs 'person_days' or 'packages'", kp)

    def check(self, out: Emitter) -> None:
        sf = out.sf
        cap = number(self.get("person_days"))
        if cap is None:
            cap = number((self.get("packages") or {}).get(sf.package))
        days = onsite(sf)
        if cap is None or days is None:
            return
        if days > cap:
            out.add("rules.onsite-cap", f"{fmt(days)} on-site person-days, over the SOW's cap of {fmt(cap)}", self,
                    target="onsite_days")


class HolidayRate(Rule):
    """On-site work on statutory holidays is billed at `multiplier` times."""

    type = "holiday-rate"
    keys = (Key("multiplier", "number", False, "the holiday rate (default 3)"),)
    codes = ("rules.holiday-rate", "rules.holiday-days", "rules.no-holiday-in-period", "rules.calendar-unknown")

    def check(self, out: Emitter) -> None:
        sf = out.sf
        mult = number(self.get("multiplier")) or 3
        holiday = sf.holiday_onsite_days
        if holiday is None:
            holiday = number(sf.facts.get("holiday_onsite_days"))
        if not holiday:
            return
        days = onsite(sf)
        if days is None or holiday > days:
            out.add("rules.holiday-days", f"holiday_onsite_days {fmt(holiday)} is more than onsite_days "
                    f"{fmt(days or 0)}; holiday days are part of the on-site days", self, target="holiday_onsite_days")
            return
        billed = days - holiday + holiday * mult
        out.add("rules.holiday-rate", f"{fmt(holiday)} of {fmt(days)} on-site person-day(s) on statutory holidays at "
                f"{fmt(mult)}×: {fmt(billed)} person-days billed", self, target="holiday_onsite_days")
        if sf.start and sf.end:
            try:
                found = holidays_between(sf.start, sf.end)
            except CalendarUnknown as exc:
                out.add("rules.calendar-unknown", f"holiday days not checked: {exc}", self,
                        target="holiday_onsite_days")
                return
            if not found:
                out.add("rules.no-holiday-in-period", f"holiday_onsite_days is {fmt(holiday)} but no statutory holiday "
                        f"falls between {sf.start} and {sf.end}", self, target="holiday_onsite_days")


class RequiresPackage(Rule):
    """A package that cannot be bought alone: with one that includes `requires`, or with service `requires_service`."""

    type = "requires-package"
    keys = (Key("package", "package", True, "the package that cannot be bought alone"),
            Key("requires", "package", False, "the package it must come with (bought as one that `includes` it)"),
            Key("requires_service", "int", False, "the service the engagement must also buy"))
    codes = ("rules.requires-package", "rules.requires-service")

    @classmethod
    def validate(cls, c: Collector, raw: dict, kp: tuple, packages: list[str]) -> None:
        if raw.get("requires") is None and raw.get("requires_service") is None:
            c.add("missing-key", f"'{keyname(kp)}' needs 'requires' or 'requires_service'", kp)

    def check(self, out: Emitter) -> None:
        sf = out.sf
        if self.get("package") == sf.package:
            need = self.get("requires")
            if need and need != sf.package and need not in sf.includes:
                out.add("rules.requires-package", f"{sf.package} cannot be bought alone: it requires {need} "
                        f"(buy a package that includes {need})", self, target="package")
        need_service = self.get("requires_service")
        if (isinstance(need_service, int) and self.get("package") in (None, sf.package)
                and need_service not in out.bought):
            out.add("rules.requires-service", f"{sf.package} cannot be bought alone: it requires service "
                    f"{need_service}, which this engagement does not buy", self, target="package")


class Note(Rule):
    """Any other scope rule of the SOW, recorded for reviewers; nothing is checked."""

    type = "note"

    def check(self, out: Emitter) -> None:
        pass


#: Every rule type, by its `type:` (the order is the one spec findings list them in).
RULES = registry(LeadTime, PackageLimit, PricingUnit, OnsiteCap, HolidayRate, RequiresPackage, Note)


def validate_rule(c: Collector, raw: Any, kp: tuple, packages: Iterable[str]) -> dict | None:
    """Check one entry of a spec's `rules:` against its class; returns it when it can be kept.

    An unknown key is an error (spec.unknown-rule-key), not the spec-wide warning: a typo
    such as `working_day:` would otherwise load and silently change a contract rule.
    """
    packages = list(packages)
    if not c.typed(raw, kp, dict):
        return None
    if "type" not in raw or "cite" not in raw:
        c.add("missing-key", f"'{keyname(kp)}' needs 'type' and 'cite' (the seed's words)", kp)
        return None
    if not c.choice(raw["type"], kp + ("type",), RULES):
        return None
    cls = RULES[raw["type"]]
    keys = cls.all_keys()
    c.mapping(raw, kp, [k.name for k in keys if k.required], [k.name for k in keys if not k.required],
              unknown="unknown-rule-key")
    for key in keys:
        if raw.get(key.name) is not None:
            key.validate(c, raw[key.name], kp + (key.name,), packages)
    cls.validate(c, raw, kp, packages)
    return raw
