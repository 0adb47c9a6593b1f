"""What every rule type is: its keys (a small declarative schema), the codes it emits, its check."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from pipeline.core.errors import Finding, Location
from pipeline.core.findings import CODES
from pipeline.core.validate import Collector
from pipeline.rules.facts import ServiceFacts, number

#: What a key's value must be: kind -> how the spec loader checks it.
KINDS = ("text", "int", "number", "package", "package-numbers")


@dataclass(frozen=True)
class Key:
    """One key a rule type reads.

    Attributes:
        name: the key as written in the spec.
        kind: text, int, number, package (one of the spec's packages) or package-numbers
            (a mapping from the spec's packages to numbers).
        required: the rule is refused without it.
        doc: what the key says, one line.
    """

    name: str
    kind: str
    required: bool = False
    doc: str = ""

    def validate(self, c: Collector, value: Any, kp: tuple, packages: list[str]) -> None:
        """Findings (through c) for a value of the wrong kind, at its line."""
        if self.kind == "text":
            c.typed(value, kp, str)
        elif self.kind == "int":
            c.typed(value, kp, int)
        elif self.kind == "number":
            c.typed(value, kp, (int, float), what="a number")
        elif self.kind == "package":
            c.choice(value, kp, packages)
        elif self.kind == "package-numbers" and c.typed(value, kp, dict):
            for p, n in value.items():
                c.choice(p, kp + (p,), packages)
                c.typed(n, kp + (p,), (int, float), what="a number")


#: Keys every rule has: its type and the seed's words it enforces.
COMMON_KEYS = (Key("type", "text", True, "the rule type"),
               Key("cite", "text", True, "the seed's words, quoted in every finding"))


class Rule:
    """One rule of a spec's `rules:`; a subclass per rule type.

    Subclasses set the class attributes and implement check(); validate() adds the checks
    a single key cannot make (one of two keys required, a minimum over its limit).
    """

    #: The `type:` value in the spec.
    type: ClassVar[str] = ""
    #: The keys it reads besides `type` and `cite`.
    keys: ClassVar[tuple[Key, ...]] = ()
    #: Every finding code its check may emit (severities and meanings: pipeline/core/findings.py).
    codes: ClassVar[tuple[str, ...]] = ()

    def __init__(self, raw: dict) -> None:
        #: The rule as the spec (or the manifest) records it, with its `line` in the spec.
        self.raw = raw

    def get(self, key: str, default: Any = None) -> Any:
        return self.raw.get(key, default)

    @classmethod
    def all_keys(cls) -> tuple[Key, ...]:
        return COMMON_KEYS + cls.keys

    @classmethod
    def severities(cls) -> dict[str, str]:
        """Each code this rule type emits, with its severity."""
        return {code: CODES[code].severity for code in cls.codes}

    @classmethod
    def validate(cls, c: Collector, raw: dict, kp: tuple, packages: list[str]) -> None:
        """Checks across keys; the keys one by one are checked from `keys`."""

    def check(self, out: Emitter) -> None:
        """Add a finding to out for everything this rule finds wrong (or bills) in out.sf."""
        raise NotImplementedError


@dataclass(frozen=True)
class RuleFinding(Finding):
    """A finding from a business rule, citing the seed's words and where the spec records them."""

    cite: str | None = None
    rule_at: str | None = None  # deliverable_specs/NN-slug.yaml:LINE

    def to_json(self) -> dict:
        out = super().to_json()
        out["cite"] = {"text": self.cite, "spec": self.rule_at} if self.cite else None
        return out


def fmt(n: float) -> str:
    return str(int(n)) if float(n).is_integer() else f"{n:g}"


def _short(cite: str, n: int = 48) -> str:
    cite = " ".join(str(cite).split())
    return cite if len(cite) <= n else cite[:n] + "…"


class Emitter:
    """The findings of one bought service's rules, each citing its rule."""

    def __init__(self, sf: ServiceFacts, bought: set[int]) -> None:
        self.sf = sf
        #: Every service the engagement buys (for rules that need another service).
        self.bought = bought
        self.items: list[RuleFinding] = []

    def add(self, code: str, message: str, rule: Rule, where: Location | None = None, target: str | None = None):
        if code not in rule.codes:
            raise ValueError(f"{type(rule).__name__} emits '{code}', which its `codes` do not declare")
        sf, cite = self.sf, rule.get("cite")
        at = f"{sf.spec_path}:{rule.get('line')}" if rule.get("line") and sf.spec_path else (sf.spec_path or None)
        text = f"service {sf.service} ({sf.package}): {message} — SOW: 「{_short(cite)}」" if cite else \
            f"service {sf.service} ({sf.package}): {message}"
        self.items.append(RuleFinding(code, text, where or sf.where, service=sf.service, target=target,
                                      cite=" ".join(str(cite).split()) if cite else None, rule_at=at))

    def fact(self, rule: Rule, purpose: str) -> float | None:
        """The rule's `fact` as a number; a rules.missing-fact finding when it is absent or not a number."""
        sf, name = self.sf, rule.get("fact")
        label = rule.get("label") or name
        if name not in sf.facts:
            self.add("rules.missing-fact", f"fact '{name}' ({label}) is not in the answers, so {purpose} cannot be "
                     f"checked; add it under facts:", rule, target=name)
            return None
        value = number(sf.facts[name])
        if value is None:
            self.add("rules.missing-fact", f"fact '{name}' ({label}) must be a number (got {sf.facts[name]!r:.30})",
                     rule, sf.fact_where.get(name), target=name)
        return value


def registry(*classes: type[Rule]) -> dict[str, type[Rule]]:
    """The table type -> class; refuses a class without a type, a type twice, or a code not catalogued."""
    table: dict[str, type[Rule]] = {}
    for cls in classes:
        if not cls.type or cls.type in table:
            raise TypeError(f"{cls.__name__}: rule type '{cls.type}' is missing or listed twice")
        unknown = [c for c in cls.codes if c not in CODES or not c.startswith("rules.")]
        bad = [k.name for k in cls.keys if k.kind not in KINDS]
        if unknown or bad:
            raise TypeError(f"{cls.__name__}: codes not in the catalogue {unknown}, keys of unknown kind {bad}")
        table[cls.type] = cls
    return table
