"""Answers against what their spec declares: typed facts, known deliverables.

Facts are converted in place to their canonical values (core.values), so that templates,
rules and computed references all read the same number.
"""
from __future__ import annotations

import difflib
from typing import Any

from pipeline.core.errors import Finding
from pipeline.core.values import BadValue, parse
from pipeline.inputs.model import Answers, Engagement
from pipeline.specs.model import SowSpec


def check_facts(answers: Answers, spec: SowSpec) -> list[Finding]:
    """Every declared fact the answers give is of its type and among its allowed values.

    Returns:
        input.bad-type / input.not-allowed / input.missing-key findings at each fact's line.
    """
    out = []
    ids: dict[str, Any] = dict(service=spec.service)
    for f in spec.facts:
        where = answers.fact_locations.get(f.name, answers.location)
        if f.name not in answers.facts or answers.facts[f.name] is None:
            if f.required:
                out.append(Finding("input.missing-key", f"fact '{f.name}' ({f.label or f.name}) is required by service "
                                   f"{spec.service}; add it under facts:", answers.location, target=f.name, **ids))
            continue
        value = answers.facts[f.name]
        if isinstance(value, (dict, list)):
            out.append(Finding("input.bad-type", f"fact '{f.name}' ({f.label or f.name}) must be one value, not a "
                               f"{'mapping' if isinstance(value, dict) else 'list'}", where, target=f.name, **ids))
            continue
        try:
            value = parse(value, f.type)
        except BadValue as exc:
            out.append(Finding("input.bad-type", f"fact '{f.name}' ({f.label or f.name}) {exc}", where,
                               target=f.name, **ids))
            continue
        if f.allowed and str(value) not in f.allowed:
            out.append(Finding("input.not-allowed", f"fact '{f.name}' is '{value}'; use one of {'、'.join(f.allowed)}",
                               where, target=f.name, **ids))
            continue
        answers.facts[f.name] = value
    return out


def check_deliverable_ids(answers: Answers, spec: SowSpec) -> list[Finding]:
    """Answers given for a deliverable the spec does not have are ignored: say so, with a did-you-mean."""
    known = [d.id for d in spec.deliverables]
    out = []
    for did, da in answers.deliverables.items():
        if did in known:
            continue
        close = difflib.get_close_matches(did, known, n=1)
        hint = f"did you mean '{close[0]}'?" if close else f"known: {', '.join(known)}"
        out.append(Finding("input.unknown-key", f"'deliverables.{did}' is not a deliverable of service {spec.service} "
                           f"({spec.title}); its answers are ignored; {hint}", da.location, service=spec.service))
    return out


def check_answers(eng: Engagement, specs: dict[int, SowSpec]) -> list[Finding]:
    """Each bought service's answers against its spec (facts and deliverable ids)."""
    out = []
    for p in eng.purchases:
        spec, answers = specs.get(p.service), eng.answers.get(p.service)
        if spec is None or answers is None:
            continue
        out += check_facts(answers, spec)
        out += check_deliverable_ids(answers, spec)
    return out
