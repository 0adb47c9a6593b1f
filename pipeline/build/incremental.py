"""Up-to-date checks with reasons (doit's config_changed, Ninja's build log): what each output was built from."""
from __future__ import annotations

import dataclasses
import hashlib
import json
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
    from importlib.metadata import PackageNotFoundError, version

    h = hashlib.sha256()
    for p in sorted(PIPELINE.rglob("*.py")):
        h.update(p.relative_to(PIPELINE).as_posix().encode() + b"\0" + p.read_bytes() + b"\0")
    for lib in _LIBRARIES:
        try:
            h.update(f"{lib}={version(lib)}\n".encode())
        except PackageNotFoundError:
            pass
    return f"{__version__}+{h.hexdigest()[:12]}"


def _stable(value) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def spec_digest(spec, deliverable, package: str, selected=()) -> str:
    """Hash of the spec entry of one deliverable and the service-level fields its documents quote."""
    d = dataclasses.asdict(deliverable)
    d.pop("line", None)  # moving an entry within the file changes nothing in the output
    service = {"service": spec.service, "title": spec.title, "slug": spec.slug, "formats_rule": spec.formats_rule,
               "packages": [dataclasses.asdict(p) for p in spec.packages],
               "acceptance": dataclasses.asdict(spec.acceptance), "package": package,
               # The plan dates every document of the service.
               "plan": [dict(dataclasses.asdict(p), line=None) for p in spec.plan],
               # Acceptance reports and work plans list the package's other deliverables.
               "siblings": [[x.id, x.seed_name, x.title, x.kind, list(x.formats), [s.title for s in x.sections]]
                            for x in spec.for_package(package, selected)]}
    return sha256_bytes(_stable({"deliverable": d, "service": service}).encode())


def input_digests(eng, purchase) -> dict[str, str]:
    """Hash of each input file one bought service reads, keyed by its path inside the engagement folder."""
    files = [eng.root / "engagement.yaml"]
    answers = eng.answers.get(purchase.service)
    if answers is not None:
        files.append(answers.path)
        files.extend(answers.excel_files)
    root = eng.root.resolve()
    out = {}
    for f in files:
        p = Path(f).resolve()
        try:
            key = p.relative_to(root).as_posix()
        except ValueError:
            key = p.as_posix()
        out[key] = sha256_file(p)
    return out


def _text_template_files(name: str, overlay: Path | None) -> tuple[dict[str, str], set[str] | None]:
    """The text template and every template it includes, extends or imports, with their hashes,
    and the context names they read (None when that cannot be told)."""
    env = environment(*_roots(overlay))
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
        out[n] = sha256_file(Path(filename))
        try:
            ast = env.parse(source)
        except jinja2.TemplateSyntaxError:
            names = None
            continue
        if names is not None:
            names |= meta.find_undeclared_variables(ast)
        refs = list(meta.find_referenced_templates(ast))
        if any(r is None for r in refs):
            # A computed include name: depend on every text template to be safe.
            todo.extend(env.loader.list_templates())
        todo.extend(r for r in refs if r is not None)
    return out, names


def _roots(overlay: Path | None) -> tuple[str, ...]:
    return (str(overlay), str(TEMPLATES)) if overlay else (str(TEMPLATES),)


def template_digests(template: str, fmt: str, overlay: Path | None = None) -> dict[str, str]:
    """Hash of every template file one output is rendered from, keyed by its path under templates/."""
    out, _ = _text_template_files(f"text/{template}.md.j2", overlay)
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

    def to_json(self) -> dict:
        return {"spec": self.spec, "inputs": dict(sorted(self.inputs.items())),
                "templates": dict(sorted(self.templates.items())), "tool": self.tool,
                "values": dict(sorted(self.values.items()))}


def value_digests(template: str, ctx: dict, overlay: Path | None = None) -> dict[str, str]:
    """Hash of each context value the text template (and what it includes) reads."""
    _, names = _text_template_files(f"text/{template}.md.j2", overlay)
    keys = sorted(ctx) if names is None else sorted(n for n in names if n in ctx)
    return {k: sha256_bytes(_stable(ctx[k]).encode()) for k in keys}


def fingerprint(job, fmt: str, eng, overlay: Path | None = None, ctx: dict | None = None) -> Fingerprint:
    """What one output of a job is built from.

    Args:
        ctx: the job's template context (document.assemble.context), when already computed.
    """
    if ctx is None:
        from pipeline.document.assemble import context
        ctx = context(job, eng)
    return Fingerprint(spec_digest(job.spec, job.deliverable, job.purchase.package, job.purchase.select), input_digests(eng, job.purchase),
                       template_digests(job.deliverable.template, fmt, overlay), tool_version(),
                       value_digests(job.deliverable.template, ctx, overlay))


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
    return out
