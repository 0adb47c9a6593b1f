"""Up-to-date checks with reasons (doit's config_changed, Ninja's build log): what each output was built from."""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import sys
from typing import Any
from functools import lru_cache
from pathlib import Path

import jinja2
from jinja2 import meta

from pipeline import __version__
from pipeline.core.manifest import sha256_bytes, sha256_file
from pipeline.core.formats import FORMATS
from pipeline.core.paths import PIPELINE, TEMPLATES
from pipeline.document.templating import environment

#: Libraries whose version changes the bytes of an output.
_LIBRARIES = ("python-docx", "python-pptx", "openpyxl", "weasyprint", "jinja2", "markdown-it-py", "matplotlib")


@lru_cache(maxsize=1)
def tool_version() -> str:
    """sowpack's version plus a digest of its own code and the renderers' library versions.

    The code digest makes an edited-but-unreleased pipeline count as a new tool, so a
    developer never keeps outputs rendered by older code.
    """
    h = hashlib.sha256()
    for p in sorted(PIPELINE.rglob("*.py")):
        h.update(p.relative_to(PIPELINE).as_posix().encode() + b"\0" + p.read_bytes() + b"\0")
    versions = _versions()
    for lib in _LIBRARIES:
        if lib in versions:
            h.update(f"{lib}={versions[lib]}\n".encode())
    return f"{__version__}+{h.hexdigest()[:12]}"


def _versions() -> dict[str, str]:
    """Installed versions of _LIBRARIES (what importlib.metadata.version says, without its import cost:
    the wheel's `name-version.dist-info` folder names both)."""
    wanted = {re.sub(r"[-_.]+", "_", lib).lower(): lib for lib in _LIBRARIES}
    found: dict[str, str] = {}
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for n in names:
            if n.endswith(".dist-info") and "-" in n:
                dist, _, ver = n[:-len(".dist-info")].partition("-")
                lib = wanted.get(re.sub(r"[-_.]+", "_", dist).lower())
                if lib is not None and lib not in found:
                    found[lib] = ver
    if len(found) < len(wanted):  # an unusual install (egg, .egg-link...): ask importlib.metadata
        from importlib.metadata import PackageNotFoundError, version
        for lib in _LIBRARIES:
            if lib not in found:
                try:
                    found[lib] = version(lib)
                except PackageNotFoundError:
                    pass
    return found


def _stable(value) -> str:
    """The text a digest is made of. ASCII (\\uXXXX escapes): only hashed, never read, and json's
    ASCII writer is the faster one (a 10,000-row register's rows: 50 ms -> 32 ms)."""
    return json.dumps(value, sort_keys=True, default=str)


def spec_digest(spec, deliverable, package: str, selected=()) -> str:
    """Hash of the spec entry of one deliverable and the service-level fields its documents quote."""
    d = dataclasses.asdict(deliverable)
    d.pop("line", None)  # moving an entry within the file changes nothing in the output
    # _stable({"deliverable": d, "service": service}), with the service's part made once per
    # spec and package (it is the same for each of their deliverables).
    return sha256_bytes(('{"deliverable": ' + _stable(d) + ', "service": '
                         + _service_part(spec, package, tuple(selected)) + "}").encode())


_SERVICE_PARTS: dict[tuple, tuple[Any, str]] = {}


def _service_part(spec, package: str, selected: tuple) -> str:
    key = (id(spec), package, selected)
    hit = _SERVICE_PARTS.get(key)
    if hit is not None and hit[0] is spec:
        return hit[1]
    service = {"service": spec.service, "title": spec.title, "name": spec.name, "slug": spec.slug,
               "formats_rule": spec.formats_rule,
               "packages": [dataclasses.asdict(p) for p in spec.packages],
               "acceptance": dataclasses.asdict(spec.acceptance), "package": package,
               # The plan dates every document of the service.
               "plan": [dict(dataclasses.asdict(p), line=None) for p in spec.plan],
               # Acceptance reports and work plans list the package's other deliverables.
               "siblings": [[x.id, x.seed_name, x.title, x.kind, list(x.formats), [s.title for s in x.sections],
                             x.stage] for x in spec.for_package(package, selected)]}
    _SERVICE_PARTS[key] = (spec, _stable(service))  # the spec is kept: its id is not reused
    return _SERVICE_PARTS[key][1]


def _digest(value) -> str:
    return sha256_bytes(_stable(value).encode())


def _record(value):
    """A meeting or project record as plain data, without where it is written (moving it changes nothing)."""
    if value is None:
        return None
    return {k: v for k, v in dataclasses.asdict(value).items() if k not in ("location", "locations")}


def _in_engagement(eng, path) -> str:
    p = Path(path).resolve()
    try:
        return p.relative_to(eng.root.resolve()).as_posix()
    except ValueError:
        return p.as_posix()


def input_digests(job, eng) -> dict[str, str]:
    """Hash of each input value one deliverable reads, named `file#key.path` (an Excel sheet `file[sheet]`).

    Only what this deliverable's document is made of: the engagement values on its cover
    and header, its purchase, and its own answers, section by section (its register and findings
    register too). Another
    deliverable's answers, or facts only the business rules read, are not among them;
    values a text template reads are tracked as template values, and the document's own
    hash (Fingerprint.document) catches anything else.
    """
    out = {f"engagement.yaml#{key}": _digest(value) for key, value in (
        ("customer", eng.customer), ("project", eng.project), ("vendor", eng.vendor), ("date", eng.date),
        ("document_control", eng.document_control))}
    p = job.purchase
    # The team and the plan: who works on the service and signs, and the dates every document carries.
    out["engagement.yaml#people"] = _digest(eng.people)
    out[f"engagement.yaml#services.{p.service}"] = _digest(
        {"package": p.package, "applied_on": p.applied_on, "start": p.start, "end": p.end, "select": p.select,
         "managers": p.managers, "signatories": p.signatories, "author": p.author, "reviewer": p.reviewer,
         "dates": p.dates, **p.extra})
    did = job.deliverable.id
    if job.answers is not None:
        where = _in_engagement(eng, job.answers.path)
        name = f"{where}#deliverables.{did}"
        da = job.answers.deliverables.get(did)
        if job.deliverable.kind in ("kickoff", "work-plan"):
            # Their project facts, and the meeting calendar of every recorded meeting.
            out[f"{where}#project"] = _digest(_record(job.answers.project))
            out[f"{where}#meetings"] = _digest({k: _record(v.meeting) for k, v in job.answers.deliverables.items()})
        if da is not None and da.meeting is not None:
            out[f"{name}.meeting"] = _digest(_record(da.meeting))
        if da is None:
            out[name] = "none"
        else:
            for title, value in da.sections.items():
                out[f"{name}.sections.{title}"] = _digest(value)
            if da.rows is not None:
                src = da.rows.source
                rows = f"{_in_engagement(eng, src.path)}[{src.sheet}]" if src.sheet else f"{name}.rows"
                out[rows] = _digest([da.rows.header, da.rows.rows])
            if da.findings is not None:
                src = da.findings.source
                key = f"{_in_engagement(eng, src.path)}[{src.sheet}]" if src.sheet else f"{name}.findings"
                out[key] = _digest([da.findings.header, da.findings.rows])
    return out


def _plain(obj):
    if dataclasses.is_dataclass(obj):
        return [type(obj).__name__] + [getattr(obj, f.name) for f in dataclasses.fields(obj)]
    return str(obj)


def document_digest(doc) -> str:
    """Hash of the format-neutral document: every renderer is a pure function of it (and of the tool
    and the format's template assets), so an output whose document, tool and assets are unchanged
    would be the same bytes."""
    return sha256_bytes(json.dumps(doc, default=_plain, sort_keys=True).encode())  # ASCII, as _stable


def _text_template_files(name: str, overlay: Path | None) -> tuple[dict[str, str], set[str] | None]:
    """The text template and every template it includes, extends or imports, with their hashes,
    and the context names they read (None when that cannot be told)."""
    env = environment(*_roots(overlay))
    assert env.loader is not None  # environment() always has a file loader
    out: dict[str, str] = {}
    names: set[str] | None = set()
    todo = [name]
    while todo:
        n = todo.pop()
        if n in out:
            continue
        try:
            source, filename, _ = env.loader.get_source(env, n)
        except jinja2.TemplateNotFound:
            out[n] = "missing"
            continue
        assert filename is not None  # a file loader always gives the file's path
        out[n] = sha256_file(Path(filename))
        parsed = _analyse(source)
        if parsed is None:
            names = None
            continue
        undeclared, refs = parsed
        if names is not None:
            names |= undeclared
        if any(r is None for r in refs):
            # A computed include name: depend on every text template to be safe.
            todo.extend(env.loader.list_templates())
        todo.extend(r for r in refs if r is not None)
    return out, names


@lru_cache(maxsize=256)
def _analyse(source: str) -> tuple[frozenset[str], tuple[str | None, ...]] | None:
    """The names a template source reads and the templates it references; None on a syntax error.

    Cached by source text: every output of every deliverable asks about the same few
    templates, and parsing them is most of the planning time.
    """
    try:
        ast = environment().parse(source)
    except jinja2.TemplateSyntaxError:
        return None
    return frozenset(meta.find_undeclared_variables(ast)), tuple(meta.find_referenced_templates(ast))


def _roots(overlay: Path | None) -> tuple[str, ...]:
    return (str(overlay), str(TEMPLATES)) if overlay else (str(TEMPLATES),)


def template_digests(template: str, fmt: str, overlay: Path | None = None) -> dict[str, str]:
    """Hash of every template file one output is rendered from, keyed by its path under templates/."""
    out, _ = _text_template_files(f"text/{template}.md.j2", overlay)
    # Every document's front matter lists the glossary terms its text uses.
    glossary = TEMPLATES / "glossary.yaml"
    out["glossary.yaml"] = sha256_file(glossary) if glossary.is_file() else "missing"
    for rel in FORMATS[fmt].assets if fmt in FORMATS else ():
        base = TEMPLATES / rel
        files = sorted(p for p in base.rglob("*") if p.is_file()) if rel.endswith("/") else [base]
        for p in files:
            out[p.relative_to(TEMPLATES).as_posix()] = sha256_file(p) if p.is_file() else "missing"
    return dict(sorted(out.items()))


@dataclasses.dataclass(frozen=True)
class Fingerprint:
    """What one output file was built from; stored in the manifest entry as 'built_from'."""

    spec: str
    inputs: dict
    templates: dict
    tool: str
    #: Hash of each value the text template reads that is not in the input files (the
    #: sign-off ledger's state, dates computed from $SOWPACK_TODAY...).
    values: dict = dataclasses.field(default_factory=dict)
    #: Hash of the assembled document (document_digest).
    document: str = ""

    def to_json(self) -> dict:
        return {"spec": self.spec, "inputs": dict(sorted(self.inputs.items())),
                "templates": dict(sorted(self.templates.items())), "tool": self.tool,
                "values": dict(sorted(self.values.items())), "document": self.document}


def value_digests(template: str, ctx: dict, overlay: Path | None = None) -> dict[str, str]:
    """Hash of each context value the text template (and what it includes) reads."""
    _, names = _text_template_files(f"text/{template}.md.j2", overlay)
    keys = sorted(ctx) if names is None else sorted(n for n in names if n in ctx)
    return {k: sha256_bytes(_stable(ctx[k]).encode()) for k in keys}


def fingerprint(job, fmt: str, eng, overlay: Path | None = None, ctx: dict | None = None,
                doc_digest: str = "") -> Fingerprint:
    """What one output of a job is built from (see fingerprints)."""
    return fingerprints(job, (fmt,), eng, overlay, ctx, doc_digest)[fmt]


def fingerprints(job, fmts, eng, overlay: Path | None = None, ctx: dict | None = None, doc_digest: str = "",
                 memo: dict | None = None) -> dict[str, Fingerprint]:
    """What each output of a job is built from, by format.

    Args:
        ctx: the job's template context (document.assemble.context), when already computed.
        doc_digest: document_digest() of the job's assembled document.
        memo: shared by the calls of one build, so that each template's files are hashed once.
    """
    if ctx is None:
        from pipeline.document.assemble import context
        ctx = context(job, eng)
    memo = {} if memo is None else memo
    template = job.deliverable.template
    key = ("spec", id(job.spec), job.deliverable.id, job.purchase.package, tuple(job.purchase.select))
    if key not in memo:  # the spec objects outlive the memo: one build
        memo[key] = spec_digest(job.spec, job.deliverable, job.purchase.package, job.purchase.select)
    spec = memo[key]
    inputs = input_digests(job, eng)
    values = value_digests(template, ctx, overlay)
    out = {}
    for fmt in fmts:
        tkey = (template, fmt, overlay)
        if tkey not in memo:
            memo[tkey] = template_digests(template, fmt, overlay)
        out[fmt] = Fingerprint(spec, inputs, dict(memo[tkey]), tool_version(), values, doc_digest)
    return out


def _changed(kind: str, old: dict, new: dict) -> list[str]:
    names = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
    return [f"{kind} changed: {', '.join(names)}"] if names else []


def reasons(fp: Fingerprint, previous: dict | None, output_exists: bool) -> list[str]:
    """Why an output must be rebuilt; an empty list means it is up to date.

    Args:
        fp: what the output would be built from now.
        previous: the output's entry in the last manifest, or None.
        output_exists: whether the file is on disk.
    """
    if not output_exists:
        return ["output missing"]
    built = (previous or {}).get("built_from")
    if not isinstance(built, dict):
        return ["no record of a previous build"]
    out = []
    if built.get("spec") != fp.spec:
        out.append("spec changed")
    out += _changed("input", built.get("inputs") or {}, fp.inputs)
    out += _changed("template", built.get("templates") or {}, fp.templates)
    out += _changed("template value", built.get("values") or {}, fp.values)
    if built.get("tool") != fp.tool:
        out.append(f"tool version changed: {built.get('tool')} -> {fp.tool}")
    if not out and built.get("document") != fp.document:
        # Nothing named above changed, yet the document did: rebuild (never keep a stale file).
        out.append("document changed")
    return out
