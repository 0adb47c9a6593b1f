"""Spec YAML -> SowSpec, collecting every problem with its line (MkDocs-style)."""
from __future__ import annotations

import dataclasses
import hashlib
import os
import pickle
from functools import lru_cache
from pathlib import Path
from typing import Any

from pipeline.core import cache
from pipeline.core.errors import Finding, SpecError, errors_in, relpath
from pipeline.specs.model import (ANCHORS, COLUMN_TYPES, FORMATS, KIND_PHASES, PLAN_ROLES, REVIEW_OF,
                                  SECTION_REQUIRES, Acceptance, ColumnSpec, DeliverableSpec, FactSpec, Kind,
                                  PackageSpec, PhaseSpec, SectionSpec, SowSpec, TaskSpec)
from pipeline.core.text import unfold
from pipeline.core.validate import SLUG, Collector, keyname
from pipeline.core.yamlio import load_yaml
from pipeline.rules.types import validate_rule

SPEC_VERSION = 1
KINDS_FILE = "_kinds.yaml"


def _sections(c: Collector, raw: Any, keypath: tuple, from_kind: bool) -> tuple[SectionSpec, ...]:
    if raw is None:
        return ()
    if not c.typed(raw, keypath, list):
        return ()
    out = []
    for i, item in enumerate(raw):
        kp = keypath + (i,)
        if isinstance(item, str):
            out.append(SectionSpec(item.strip(), (), from_kind))
        elif isinstance(item, dict):
            m = c.mapping(item, kp, ["title"], ["children", "hint", "requires"])
            if m and c.typed(m.get("title"), kp + ("title",), str):
                kids = _sections(c, m.get("children"), kp + ("children",), from_kind)
                hint = m.get("hint")
                if hint is not None and not c.typed(hint, kp + ("hint",), str):
                    hint = None
                requires = m.get("requires") or []
                if not c.typed(requires, kp + ("requires",), list, what=f"a list of {', '.join(SECTION_REQUIRES)}"):
                    requires = []
                requires = [r for j, r in enumerate(requires) if c.choice(r, kp + ("requires", j), SECTION_REQUIRES)]
                out.append(SectionSpec(m["title"].strip(), kids, from_kind, unfold(hint or "").strip(),
                                       tuple(requires)))
        else:
            c.typed(item, kp, (str, dict), what="a section title or {title, children}")
    return tuple(out)


def _columns(c: Collector, raw: Any, keypath: tuple) -> tuple[ColumnSpec, ...]:
    if raw is None:
        return ()
    if not c.typed(raw, keypath, list):
        return ()
    out = []
    for i, item in enumerate(raw):
        kp = keypath + (i,)
        if isinstance(item, str):
            out.append(ColumnSpec(item.strip()))
            continue
        m = c.mapping(item, kp, ["name"], ["allowed", "type", "width"])
        if not m or not c.typed(m.get("name"), kp + ("name",), str):
            continue
        allowed = m.get("allowed") or []
        if not c.typed(allowed, kp + ("allowed",), list):
            allowed = []
        ctype = m.get("type", "text")
        c.choice(ctype, kp + ("type",), COLUMN_TYPES)
        width = m.get("width")
        if width is not None:
            c.typed(width, kp + ("width",), (int, float))
        out.append(ColumnSpec(m["name"].strip(), tuple(str(a) for a in allowed), ctype,
                              float(width) if isinstance(width, (int, float)) else None))
    return tuple(out)


def _formats(c: Collector, raw: Any, keypath: tuple) -> tuple[str, ...]:
    if not c.typed(raw, keypath, list):
        return ()
    out = []
    for i, fmt in enumerate(raw):
        if c.choice(fmt, keypath + (i,), FORMATS, code="bad-format"):
            out.append(fmt)
    return tuple(out)


class KindTable(dict):
    """The kinds of _kinds.yaml by name, and the default plan for a SOW whose spec has none."""

    #: Phases of the default plan; their `deliverables` stay empty (kinds place themselves).
    plan: tuple[PhaseSpec, ...] = ()


def _plan(c: Collector, raw: Any, kp: tuple, ids: list[str] | None, packages: list[str]) -> tuple[PhaseSpec, ...]:
    """A `plan:` list of phases; ids are the spec's deliverable ids (None in _kinds.yaml)."""
    if raw is None or not c.typed(raw, kp, list):
        return ()
    phases: list[PhaseSpec] = []
    placed: dict[str, int] = {}
    for i, item in enumerate(raw):
        pk = kp + (i,)
        m = c.mapping(item, pk, ["phase"], ["weight", "milestone", "tasks", "deliverables", "packages"])
        if not m or not c.typed(m.get("phase"), pk + ("phase",), str):
            continue
        weight = m.get("weight", 1)
        if not c.typed(weight, pk + ("weight",), (int, float)) or weight <= 0:
            if isinstance(weight, (int, float)):
                c.add("bad-value", f"'weight' of phase '{m['phase']}' must be more than 0 (got {weight})",
                      pk + ("weight",))
            weight = 1
        tasks = []
        raw_tasks = m.get("tasks") or []
        if c.typed(raw_tasks, pk + ("tasks",), list):
            for j, t in enumerate(raw_tasks):
                tk = pk + ("tasks", j)
                tm = c.mapping(t, tk, ["name", "owner"], [])
                if (tm and c.typed(tm.get("name"), tk + ("name",), str)
                        and c.choice(tm.get("owner"), tk + ("owner",), PLAN_ROLES)):
                    tasks.append(TaskSpec(unfold(tm["name"].strip()), tm["owner"]))
        delivs = m.get("deliverables") or []
        if ids is None and delivs:
            c.add("bad-value", "the default plan of _kinds.yaml places deliverables by kind; remove 'deliverables'",
                  pk + ("deliverables",))
            delivs = []
        if not c.typed(delivs, pk + ("deliverables",), list):
            delivs = []
        for j, did in enumerate(delivs):
            if c.choice(did, pk + ("deliverables", j), ids or []):
                if did in placed:
                    c.add("duplicate", f"deliverable '{did}' is closed by phase {placed[did] + 1} already; a "
                                       "deliverable belongs to one phase", pk + ("deliverables", j))
                placed[did] = i
        pkgs = m.get("packages") or []
        if c.typed(pkgs, pk + ("packages",), list):
            for j, name in enumerate(pkgs):
                c.choice(name, pk + ("packages", j), packages)
        else:
            pkgs = []
        milestone = m.get("milestone")
        if milestone is not None:
            c.typed(milestone, pk + ("milestone",), str)
        phases.append(PhaseSpec(m["phase"].strip(), float(weight),
                                unfold(milestone.strip()) if isinstance(milestone, str) else "",
                                tuple(tasks), tuple(str(d) for d in delivs), tuple(str(p) for p in pkgs),
                                c.positions.get(pk, (None,))[0]))
    names = [p.name for p in phases]
    for n in sorted({n for n in names if names.count(n) > 1}):
        c.add("duplicate", f"phase '{n}' appears twice in the plan; phase names must be unique", kp)
    return tuple(phases)


def load_kinds(spec_dir: Path) -> tuple[KindTable, list[Finding]]:
    """Load deliverable_specs/_kinds.yaml: the kinds and the default plan."""
    path = spec_dir / KINDS_FILE
    data, pos, findings = load_yaml(path, "spec")
    kinds = KindTable()
    if data is None:
        return kinds, findings
    c = Collector(path, pos, "spec")
    top = c.mapping(data, (), ["version", "kinds"], ["plan"])
    if top and top.get("version") != SPEC_VERSION:
        c.add("bad-version", f"unsupported version {top.get('version')!r}; this sowpack reads version {SPEC_VERSION}",
              ("version",))
    if top and isinstance(top.get("kinds"), dict):
        for name, raw in top["kinds"].items():
            kp = ("kinds", name)
            m = c.mapping(raw, kp, ["label", "formats", "template"],
                          ["sections", "closing", "columns", "phase", "anchor"])
            if not m:
                continue
            phase = m.get("phase", "main")
            c.choice(phase, kp + ("phase",), KIND_PHASES)
            anchor = m.get("anchor")
            if anchor is not None:
                c.choice(anchor, kp + ("anchor",), ANCHORS)
            kinds[name] = Kind(name, str(m.get("label", "")), _formats(c, m.get("formats", []), kp + ("formats",)),
                               str(m.get("template", "report")),
                               _sections(c, m.get("sections"), kp + ("sections",), True),
                               _columns(c, m.get("columns"), kp + ("columns",)),
                               _sections(c, m.get("closing"), kp + ("closing",), True),
                               phase if phase in KIND_PHASES else "main", anchor if anchor in ANCHORS else None)
    if top:
        kinds.plan = _plan(c, top.get("plan"), ("plan",), None, [])
    return kinds, findings + c.findings


def _deliverable(c: Collector, raw: Any, kp: tuple, kinds: dict[str, Kind],
                 packages: list[str]) -> DeliverableSpec | None:
    m = c.mapping(raw, kp, ["id", "seed_name", "kind"],
                  ["aliases", "formats", "packages", "sections", "columns", "template",
                   "evidence_for", "title", "optional", "choice", "sign_in", "stage", "reviews", "review_of"])
    if not m:
        return None
    did = m.get("id")
    if isinstance(did, str) and not SLUG.match(did):
        c.add("bad-value", f"'id' must be lowercase ASCII letters, digits and dashes (got '{did}')", kp + ("id",))
    kind = kinds.get(m.get("kind", ""))
    if kind is None and m.get("kind") is not None:
        c.choice(m.get("kind"), kp + ("kind",), sorted(kinds), code="unknown-kind")
    aliases = m.get("aliases") or []
    if not c.typed(aliases, kp + ("aliases",), list):
        aliases = []
    pk = m.get("packages") or []
    if c.typed(pk, kp + ("packages",), list):
        for i, p in enumerate(pk):
            c.choice(p, kp + ("packages", i), packages)
    else:
        pk = []
    formats = _formats(c, m["formats"], kp + ("formats",)) if "formats" in m else (kind.formats if kind else ())
    if not formats:
        c.add("missing-key", f"deliverable '{did}' has no formats", kp)
    own = _sections(c, m.get("sections"), kp + ("sections",), False)
    # Kind sections, then the spec's own, then the kind's closing ones (signatures, to-dos).
    sections = (kind.sections if kind else ()) + own + (kind.closing if kind else ())
    columns = (kind.columns if kind else ()) + _columns(c, m.get("columns"), kp + ("columns",))
    titles = [s.title for top in sections for s in top.walk()]
    for t in sorted({t for t in titles if titles.count(t) > 1}):
        c.add("duplicate", f"section title '{t}' appears twice in deliverable '{did}'; titles must be unique",
              kp + ("sections",))
    names = [col.name for col in columns]
    for n in sorted({n for n in names if names.count(n) > 1}):
        c.add("duplicate", f"column '{n}' appears twice in deliverable '{did}'", kp + ("columns",))
    if "xlsx" in formats and not columns and not sections:
        c.add("bad-value", f"deliverable '{did}' is an xlsx with neither columns nor sections", kp)
    for key in ("seed_name", "evidence_for", "title", "template", "stage"):
        if m.get(key) is not None:
            c.typed(m[key], kp + (key,), str)
    optional = m.get("optional", False)
    c.typed(optional, kp + ("optional",), bool)
    if m.get("choice") is not None:
        c.typed(m["choice"], kp + ("choice",), str)
        if optional is not True:
            c.add("bad-value", f"'choice' only applies to an optional deliverable; add 'optional: true' to '{did}'",
                  kp + ("choice",))
    reviews = m.get("reviews") or []
    if not c.typed(reviews, kp + ("reviews",), list, what="a list of deliverable ids"):
        reviews = []
    elif reviews and (kind is None or kind.name != "minutes"):
        c.add("bad-value", f"'reviews' applies to minutes of a review meeting; '{did}' is a {m.get('kind')}",
              kp + ("reviews",))
    review_of = m.get("review_of", "final")
    if c.choice(review_of, kp + ("review_of",), REVIEW_OF) and "review_of" in m and not reviews:
        c.add("bad-value", f"'review_of' needs 'reviews' (the deliverables the meeting reviews) in '{did}'",
              kp + ("review_of",))
    if not all(isinstance(m.get(k), str) for k in ("id", "seed_name")):
        return None
    return DeliverableSpec(
        id=m["id"], seed_name=m["seed_name"], kind=str(m.get("kind")), formats=formats,
        template=str(m.get("template") or (kind.template if kind else "report")),
        aliases=tuple(str(a) for a in aliases), packages=tuple(str(p) for p in pk),
        sections=sections, columns=columns, evidence_for=m.get("evidence_for"),
        title=m.get("title"), line=c.positions.get(kp, (None,))[0], optional=optional is True,
        choice=m.get("choice") if isinstance(m.get("choice"), str) else None,
        stage=m.get("stage") if isinstance(m.get("stage"), str) else None,
        reviews=tuple(str(r) for r in reviews), review_of=review_of if review_of in REVIEW_OF else "final",
        phase=kind.phase if kind else "main",
        anchor=kind.anchor if kind else None)


#: What `sign_in:` may set on the sheet; everything else comes from the training or the kind.
SIGN_IN_KEYS = ("id", "seed_name", "title", "evidence_for")


def _sign_in(c: Collector, raw: Any, kp: tuple, training: DeliverableSpec,
             kinds: dict[str, Kind]) -> DeliverableSpec | None:
    """The sign-in sheet a training's `sign_in:` adds (true, or a mapping of SIGN_IN_KEYS)."""
    if raw is False:
        return None
    if raw is True:
        raw = {}
    if not c.typed(raw, kp, (bool, dict), what="true or a mapping {id?, seed_name?, title?, evidence_for?}"):
        return None
    m = c.mapping(raw, kp, [], SIGN_IN_KEYS) or {}
    if training.kind != "training":
        c.add("bad-value", f"'sign_in' adds the sign-in sheet of a training; '{training.id}' is kind "
                           f"'{training.kind}'", kp)
        return None
    kind = kinds.get("sign-in")
    if kind is None:
        c.add("unknown-kind", f"'sign_in' of '{training.id}' needs the kind 'sign-in' in {KINDS_FILE}", kp)
        return None
    own = {k: m[k] for k in SIGN_IN_KEYS if k in m and c.typed(m[k], kp + (k,), str)}
    did = own.get("id", f"{training.id}-sign-in")
    if not SLUG.match(did):
        c.add("bad-value", f"'id' must be lowercase ASCII letters, digits and dashes (got '{did}')", kp + ("id",))
    topic = str(training.title or training.seed_name).strip().strip("《》")
    seed_name = own.get("seed_name", training.seed_name)
    title = own.get("title", f"{topic}签到表")
    # Packages, optional and choice are the training's: a sheet is bought and chosen with its course.
    return dataclasses.replace(
        training, id=did, seed_name=seed_name, kind=kind.name, formats=kind.formats, template=kind.template,
        aliases=(), sections=kind.sections + kind.closing, columns=kind.columns, title=title,
        evidence_for=own.get("evidence_for") or training.evidence_for or f"培训：{topic}",
        line=c.positions.get(kp, (None,))[0], reviews=(), review_of="final", phase=kind.phase, anchor=kind.anchor)


#: The keys of one course in `courses.list`.
COURSE_KEYS = ("id", "name", "title", "aliases", "sections")


def _courses(c: Collector, raw: Any, kinds: dict[str, Kind], packages: list[str]) -> list[DeliverableSpec]:
    """`courses:` -> per course, its training `course-<id>` and its sign-in sheet `signin-<id>`."""
    if raw is None:
        return []
    m = c.mapping(raw, ("courses",), ["list"], ["packages", "optional"])
    if not m:
        return []
    # The block's packages and optional are checked here once, not once per course.
    pk = m.get("packages")
    if pk is not None:
        pk = ([p for i, p in enumerate(pk) if c.choice(p, ("courses", "packages", i), packages)]
              if c.typed(pk, ("courses", "packages"), list) else None)
    optional = m.get("optional", False)
    if not c.typed(optional, ("courses", "optional"), bool):
        optional = False
    if not c.typed(m.get("list"), ("courses", "list"), list):
        return []
    out: list[DeliverableSpec] = []
    for i, item in enumerate(m["list"]):
        kp = ("courses", "list", i)
        e = c.mapping(item, kp, ["id", "name"], COURSE_KEYS[2:])  # reports a missing id or name
        if not e or [k for k in ("id", "name") if e.get(k) is None or not c.typed(e[k], kp + (k,), str)]:
            continue
        if not SLUG.match(e["id"]):
            c.add("bad-value", f"'{keyname(kp + ('id',))}' must be lowercase ASCII letters, digits and dashes "
                               f"(got '{e['id']}')", kp + ("id",))
            continue
        name = e["name"]
        raw_training = {"id": f"course-{e['id']}", "seed_name": name, "kind": "training",
                        "evidence_for": f"培训：{name}", **{k: e[k] for k in COURSE_KEYS[2:] if k in e}}
        if pk is not None:
            raw_training["packages"] = pk
        if optional:
            raw_training.update(optional=True, choice=name)
        training = _deliverable(c, raw_training, kp, kinds, packages)
        if training is None:
            continue
        out.append(training)
        sheet = _sign_in(c, {"id": f"signin-{e['id']}", "seed_name": "签到表"}, kp, training, kinds)
        if sheet is not None:
            out.append(sheet)
    return out


def _acceptance(c: Collector, raw: Any) -> Acceptance:
    m = c.mapping(raw, ("acceptance",), ["rule"], ["review_days", "day_type", "deemed_accepted", "document",
                                                   "stages"]) or {}
    days = m.get("review_days")
    if days is not None:
        c.typed(days, ("acceptance", "review_days"), int)
    day_type = m.get("day_type", "working")
    c.choice(day_type, ("acceptance", "day_type"), ("working", "calendar"))
    deemed = m.get("deemed_accepted", False)
    c.typed(deemed, ("acceptance", "deemed_accepted"), bool)
    stages = m.get("stages") or []
    if not c.typed(stages, ("acceptance", "stages"), list):
        stages = []
    stages = [s for i, s in enumerate(stages) if c.typed(s, ("acceptance", "stages", i), str)]
    for s in sorted({s for s in stages if stages.count(s) > 1}):
        c.add("duplicate", f"acceptance stage '{s}' is listed twice", ("acceptance", "stages"))
    return Acceptance(unfold(str(m.get("rule", ""))), days if isinstance(days, int) else None,
                      str(day_type), bool(deemed), m.get("document"), tuple(stages))


#: Words that name the contract document, not the service the customer buys.
CONTRACT_WORDS = ("工作说明书", "说明书")


def _stages(c: Collector, acceptance: Acceptance, deliverables: list[DeliverableSpec]) -> None:
    """Every deliverable of a staged SOW names one of its stages; every stage has its acceptance report."""
    for i, d in enumerate(deliverables):
        kp = ("deliverables", i)
        if not acceptance.stages:
            if d.stage is not None:
                c.add("bad-value", f"deliverable '{d.id}' names the stage '{d.stage}', but 'acceptance' lists no "
                                   "'stages'", kp)
        elif d.stage is None:
            c.add("missing-key", f"deliverable '{d.id}' needs a 'stage': the SOW accepts in stages "
                                 f"({'、'.join(acceptance.stages)})", kp)
        elif d.stage not in acceptance.stages:
            c.choice(d.stage, kp + ("stage",), acceptance.stages)
    for s in acceptance.stages:
        if not any(d.kind == "acceptance-report" and d.stage == s for d in deliverables):
            c.add("bad-value", f"acceptance stage '{s}' has no acceptance report (a deliverable of kind "
                               "'acceptance-report' with this stage)", ("acceptance", "stages"))


def _facts(c: Collector, raw: Any, rules: tuple[dict, ...]) -> tuple[FactSpec, ...]:
    """`facts:` -> FactSpecs: `name: type` or `name: {type, label?, allowed?, required?}`; every rule's
    `fact` and `purchased_fact` not declared there is a number."""
    out: dict[str, FactSpec] = {}
    if raw is not None and c.typed(raw, ("facts",), dict):
        for name, item in raw.items():
            kp = ("facts", name)
            if isinstance(item, str):
                item = {"type": item}
            m = c.mapping(item, kp, ["type"], ["label", "allowed", "required"])
            if not m or not c.choice(m.get("type"), kp + ("type",), COLUMN_TYPES):
                continue
            allowed = m.get("allowed") or []
            if not c.typed(allowed, kp + ("allowed",), list):
                allowed = []
            required = m.get("required", False)
            c.typed(required, kp + ("required",), bool)
            out[str(name)] = FactSpec(str(name), m["type"], str(m.get("label") or name),
                                      tuple(str(a) for a in allowed), required is True)
    for r in rules:
        for key in ("fact", "purchased_fact"):
            name = r.get(key)
            if isinstance(name, str) and name not in out:
                out[name] = FactSpec(name, "number", str(r.get("label") or name) if key == "fact" else name)
    return tuple(out.values())


def _rules(c: Collector, raw: Any, packages: list[str]) -> tuple[dict, ...]:
    if raw is None:
        return ()
    if not c.typed(raw, ("rules",), list):
        return ()
    out = []
    for i, r in enumerate(raw):
        kp = ("rules", i)
        if validate_rule(c, r, kp, packages) is None:
            continue
        r = {k: unfold(v) if isinstance(v, str) else v for k, v in r.items()}
        out.append(dict(r, line=c.positions.get(kp, (None,))[0]))
    return tuple(out)



def _packages(c: Collector, raw: Any) -> list[PackageSpec]:
    """`packages`: name, description, includes (each naming another package of the spec)."""
    packages: list[PackageSpec] = []
    if c.typed(raw, ("packages",), list):
        for i, p in enumerate(raw):
            m = c.mapping(p, ("packages", i), ["name"], ["description", "includes"])
            if m and c.typed(m.get("name"), ("packages", i, "name"), str):
                inc = m.get("includes") or []
                if not c.typed(inc, ("packages", i, "includes"), list):
                    inc = []
                packages.append(PackageSpec(m["name"], unfold(str(m.get("description") or "")), tuple(map(str, inc))))
    names = [p.name for p in packages]
    for i, p in enumerate(packages):
        for j, inc in enumerate(p.includes):
            c.choice(inc, ("packages", i, "includes", j), [n for n in names if n != p.name])
    return packages


def _deliverables(c: Collector, raw_list: Any, kinds: dict[str, Kind], names: list[str]) -> list[DeliverableSpec]:
    """`deliverables`, each training followed by its sign-in sheet when it asks for one."""
    deliverables: list[DeliverableSpec] = []
    if c.typed(raw_list, ("deliverables",), list):
        for i, raw in enumerate(raw_list):
            d = _deliverable(c, raw, ("deliverables", i), kinds, names)
            if d is None:
                continue
            deliverables.append(d)
            # A training's sign-in sheet follows it.
            if isinstance(raw, dict) and raw.get("sign_in") is not None:
                sheet = _sign_in(c, raw["sign_in"], ("deliverables", i, "sign_in"), d, kinds)
                if sheet is not None:
                    deliverables.append(sheet)
    return deliverables


def load_spec(path: Path, kinds: dict[str, Kind]) -> tuple[SowSpec | None, list[Finding]]:
    """Load and validate one spec file; returns the model (when buildable) and all findings.

    Args:
        kinds: load_kinds()'s table; its default plan serves a spec without `plan:`.
    """
    data, pos, findings = load_yaml(path, "spec")
    if data is None:
        return None, findings
    c = Collector(path, pos, "spec")
    top = c.mapping(data, (), ["version", "service", "title", "slug", "packages", "acceptance", "deliverables"],
                    ["name", "seed_lines", "formats_rule", "rules", "courses", "facts", "plan"])
    if not top:
        return None, findings + c.findings
    if top.get("version") != SPEC_VERSION:
        c.add("bad-version",
              f"unsupported spec version {top.get('version')!r}; this sowpack reads version {SPEC_VERSION}",
              ("version",))
        return None, findings + c.findings
    service: Any = top.get("service")  # checked below; the spec is only built when it has no errors
    if c.typed(service, ("service",), int) and not 1 <= service <= 99:
        c.add("bad-value", f"'service' must be between 1 and 99 (got {service})", ("service",))
    slug: Any = top.get("slug")
    if c.typed(slug, ("slug",), str) and not SLUG.match(slug):
        c.add("bad-value", f"'slug' must be lowercase ASCII letters, digits and dashes (got '{slug}')", ("slug",))
    packages = _packages(c, top.get("packages"))
    names = [p.name for p in packages]
    acceptance = _acceptance(c, top.get("acceptance"))
    rules = _rules(c, top.get("rules"), names)
    facts = _facts(c, top.get("facts"), rules)
    deliverables = _deliverables(c, top.get("deliverables"), kinds, names)
    deliverables += _courses(c, top.get("courses"), kinds, names)
    ids = [d.id for d in deliverables]
    for did in sorted({d for d in ids if ids.count(d) > 1}):
        c.add("duplicate", f"deliverable id '{did}' is used twice", ("deliverables",))
    if acceptance.document and acceptance.document not in ids:
        c.choice(acceptance.document, ("acceptance", "document"), ids)
    _stages(c, acceptance, deliverables)
    name = top.get("name")
    if name is not None and c.typed(name, ("name",), str):
        word = next((w for w in CONTRACT_WORDS if w in name), None)
        if word or any(ch.isdigit() for ch in name[:3]):
            c.add("bad-value", f"'name' is the service as the customer buys it, not the contract's document name "
                               f"or number (got '{name}')", ("name",))
    for i, d in enumerate(deliverables):
        for j, r in enumerate(d.reviews):
            c.choice(r, ("deliverables", i, "reviews", j), [x for x in ids if x != d.id])
    plan = _plan(c, top.get("plan"), ("plan",), ids, names) if "plan" in top else getattr(kinds, "plan", ())
    findings = findings + c.findings
    if errors_in(findings):
        return None, findings
    spec = SowSpec(service=service, title=top["title"], slug=slug, path=relpath(path),
                   packages=tuple(packages), acceptance=acceptance, deliverables=tuple(deliverables),
                   rules=rules,
                   formats_rule=unfold(top["formats_rule"]) if isinstance(top.get("formats_rule"), str) else None,
                   seed_lines=tuple(top.get("seed_lines") or ()), facts=facts, plan=plan,
                   digest=hashlib.sha256(path.read_bytes()).hexdigest(),
                   customer_name=name.strip() if isinstance(name, str) else "")
    return spec, findings


def load_specs(spec_dir: Path) -> tuple[list[SowSpec], list[Finding]]:
    """Load every NN-slug.yaml under spec_dir (sorted), collecting all findings.

    The result is remembered in the user's cache (core.cache) by the specs' bytes, the code that
    reads them and the folder it runs from (locations are relative to it): validating 30 specs is
    a large part of a one-file build.
    """
    paths = sorted(spec_dir.glob("[0-9]*.yaml"))
    try:
        h = hashlib.sha256(f"{_loader_version()}\0{spec_dir.resolve()}\0{os.getcwd()}".encode())
        for path in [spec_dir / KINDS_FILE, *paths]:
            h.update(path.name.encode() + b"\0" + (path.read_bytes() if path.is_file() else b"-") + b"\0")
    except OSError:
        return _load_specs(spec_dir, paths)
    return cache.remembered("specs", h.hexdigest()[:32], lambda: _load_specs(spec_dir, paths),
                            lambda r: pickle.dumps(r, protocol=pickle.HIGHEST_PROTOCOL), pickle.loads)


@lru_cache(maxsize=1)
def _loader_version() -> str:
    """A digest of the code that turns a spec into a SowSpec."""
    root = Path(__file__).resolve().parent.parent
    return cache.code_digest(sorted(p for sub in ("specs", "core", "rules") for p in (root / sub).glob("*.py")))


def _load_specs(spec_dir: Path, paths: list[Path]) -> tuple[list[SowSpec], list[Finding]]:
    kinds, findings = load_kinds(spec_dir)
    specs: list[SowSpec] = []
    seen: dict[int, str] = {}
    for path in paths:
        spec, found = load_spec(path, kinds)
        findings.extend(found)
        if spec is None:
            continue
        if spec.service in seen:
            findings.append(Finding("spec.duplicate", f"service {spec.service} is also defined in {seen[spec.service]}",
                                    None))
            continue
        seen[spec.service] = spec.path
        specs.append(spec)
    return sorted(specs, key=lambda s: s.service), findings


def require_specs(spec_dir: Path) -> tuple[list[SowSpec], list[Finding]]:
    """Like load_specs, but raise one SpecError when any finding is an error."""
    specs, findings = load_specs(spec_dir)
    errs = errors_in(findings)
    if errs:
        raise SpecError(f"{len(errs)} error(s) in {relpath(spec_dir)}", findings)
    return specs, findings
