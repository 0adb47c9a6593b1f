"""The build, one linear function: read, check, assemble, render, write, verify, record."""
from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path

from pipeline import __version__
from pipeline.document.assemble import Job, assemble, jobs_for
from pipeline.document.nodes import Document
from pipeline.errors import (Finding, InputError, Location, PipelineError, RenderError, errors_in, relpath)
from pipeline.inputs.load import load_engagement
from pipeline.inputs.model import Engagement
from pipeline.manifest import MANIFEST, dumps, sha256_bytes, sha256_file
from pipeline.renderers import get_renderer
from pipeline.reporting import Reporter
from pipeline.specs.load import require_specs
from pipeline.specs.model import SowSpec
from pipeline.templating import TEMPLATES
from pipeline.writer import OutputWriter, safe_name

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SPECS = ROOT / "deliverable_specs"


@dataclass
class Output:
    job: Job
    format: str
    rel: str  # relative to the pack folder
    data: bytes = b""


@dataclass
class PackResult:
    engagement: str
    pack: Path
    outputs: list[Output] = field(default_factory=list)


@contextlib.contextmanager
def phase(name: str, what: str = ""):
    """Name the phase (and deliverable) in any unexpected failure."""
    try:
        yield
    except PipelineError:
        raise
    except Exception as exc:
        raise RenderError(f"{name} failed{f' for {what}' if what else ''}: {type(exc).__name__}: {exc}") from exc


def check_purchases(eng: Engagement, specs: dict[int, SowSpec]) -> list[Finding]:
    """Every bought service and package exists in the specs."""
    out = []
    for p in eng.purchases:
        spec = specs.get(p.service)
        if spec is None:
            out.append(Finding("input.unknown-service", f"service {p.service} has no spec; known services: "
                               f"{', '.join(map(str, sorted(specs)))}", p.location, service=p.service))
        elif p.package not in spec.package_names:
            out.append(Finding("input.unknown-package", f"service {p.service} ({spec.title}) has no package "
                               f"'{p.package}'; choose one of {', '.join(spec.package_names)}", p.location,
                               service=p.service))
        elif p.answers_path is not None and p.service not in eng.answers:
            out.append(Finding("input.missing-file", f"answers file for service {p.service} not loaded", p.location))
    return out


def output_rel(spec: SowSpec, doc: Document, fmt: str) -> str:
    return f"{spec.folder}/{safe_name(doc.meta.title)}.{fmt}"


def templates_digest() -> str:
    parts = []
    for p in sorted(TEMPLATES.rglob("*")):
        if p.is_file():
            parts.append(f"{p.relative_to(TEMPLATES)}:{sha256_file(p)}")
    return sha256_bytes("\n".join(parts).encode())


def _manifest(eng: Engagement, specs: dict[int, SowSpec], res: PackResult) -> dict:
    pack = res.pack
    services = []
    for p in eng.purchases:
        spec = specs[p.service]
        services.append({"service": spec.service, "title": spec.title, "package": p.package,
                         "folder": spec.folder, "spec": spec.path, "spec_sha256": spec.digest,
                         "applied_on": p.applied_on.isoformat() if p.applied_on else None,
                         "start": p.start.isoformat() if p.start else None,
                         "end": p.end.isoformat() if p.end else None,
                         "acceptance": {"rule": spec.acceptance.rule, "review_days": spec.acceptance.review_days,
                                        "day_type": spec.acceptance.day_type,
                                        "deemed_accepted": spec.acceptance.deemed_accepted,
                                        "document": spec.acceptance.document}})
    deliverables = []
    for o in res.outputs:
        d = o.job.deliverable
        deliverables.append({
            "service": o.job.spec.service, "deliverable": d.id, "seed_name": d.seed_name, "kind": d.kind,
            "format": o.format, "path": o.rel, "sha256": sha256_bytes(o.data),
            "sections": [{"title": s.title, "level": lvl, "leaf": not s.children}
                         for s, lvl in _walk_levels(d.sections)],
            "columns": [c.name for c in d.columns]})
    inputs = [{"path": relpath(f), "sha256": sha256_file(f)} for f in eng.files]
    return {"schema": 1, "engagement": eng.name, "customer": eng.customer_name, "project": eng.project,
            "tool": "sowpack", "tool_version": __version__, "build_date": eng.date.isoformat(),
            "services": services, "deliverables": deliverables, "inputs": inputs,
            "templates_sha256": templates_digest()}


def _walk_levels(sections, level=1):
    for s in sections:
        yield s, level
        yield from _walk_levels(s.children, level + 1)


def build(engagement_dirs: list[Path], out_dir: Path, reporter: Reporter, *, spec_dir: Path = DEFAULT_SPECS,
          strict: bool = False, verify: bool = True) -> list[PackResult]:
    """Build the pack of every engagement; nothing is written unless all inputs are complete.

    Raises:
        PipelineError: on any error finding (after every finding has been reported).
    """
    # READ: specs, then every engagement with its answers and sheets.
    specs_list, found = require_specs(spec_dir)
    reporter.findings_from(found)
    specs = {s.service: s for s in specs_list}
    engagements: list[Engagement] = []
    for d in engagement_dirs:
        eng, found = load_engagement(Path(d))
        reporter.findings_from(found)
        if eng is not None:
            reporter.findings_from(check_purchases(eng, specs))
            engagements.append(eng)
    names = [e.name for e in engagements]
    for n in sorted({n for n in names if names.count(n) > 1}):
        reporter.finding(Finding("input.bad-value", f"two engagement folders are named '{n}'", Location(n)))
    _stop_on_errors(reporter, strict, "input")
    # ASSEMBLE: one Document per deliverable; missing answers surface here.
    planned: list[tuple[Engagement, list[tuple[Job, Document]]]] = []
    for eng in engagements:
        docs = []
        for job in jobs_for(eng, specs):
            with phase("assemble", job.key):
                doc, found = assemble(job, eng)
            reporter.findings_from(found)
            docs.append((job, doc))
        planned.append((eng, docs))
    _stop_on_errors(reporter, strict, "input")
    # RENDER: everything in memory first, so a failure leaves no half-written pack.
    results = []
    total = sum(len(j.deliverable.formats) for _, docs in planned for j, _ in docs)
    done = 0
    for eng, docs in planned:
        res = PackResult(eng.name, Path(out_dir) / safe_name(eng.name))
        writer = OutputWriter(res.pack)
        for job, doc in docs:
            for fmt in job.deliverable.formats:
                rel = output_rel(job.spec, doc, fmt)
                writer.claim(rel, job.key)
                with phase("render", f"{job.key} ({fmt})"):
                    data = get_renderer(fmt).render(doc)
                res.outputs.append(Output(job, fmt, rel, data))
                done += 1
                reporter.progress(done, total, f"{eng.name} {rel}")
        results.append((eng, res, writer))
    # WRITE: atomic replace per file; identical bytes are left untouched.
    for eng, res, writer in results:
        for o in res.outputs:
            word = writer.write(writer.target(o.rel), o.data)
            reporter.status(word, relpath(res.pack / o.rel))
    # VERIFY: reopen each file and confirm the required structure survived rendering.
    if verify:
        from pipeline.checks.pack import check_outputs
        for eng, res, _ in results:
            reporter.findings_from(check_outputs(res.pack, _manifest(eng, specs, res)))
        _stop_on_errors(reporter, strict, "render")
    # RECORD: the manifest, written last so it only ever describes a complete pack.
    for eng, res, writer in results:
        word = writer.write(res.pack / MANIFEST, dumps(_manifest(eng, specs, res)).encode())
        reporter.status(word, relpath(res.pack / MANIFEST))
    return [r for _, r, _ in results]


def _stop_on_errors(reporter: Reporter, strict: bool, what: str) -> None:
    errs = errors_in(reporter.findings)
    warns = [f for f in reporter.findings if not f.is_error]
    if errs or (strict and warns):
        n = len(errs) + (len(warns) if strict else 0)
        cls = InputError if what == "input" else RenderError
        raise cls(f"{n} problem(s) found; nothing was written" if what == "input"
                  else f"{n} problem(s) found in the written files", reporter.findings)
