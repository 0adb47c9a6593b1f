"""The build, one linear function: read, check, assemble, plan, render, verify, write, record."""
from __future__ import annotations

import collections
import contextlib
import dataclasses
import difflib
import functools
import signal
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from pipeline import __version__
from pipeline.document.assemble import Job, assemble, context, jobs_for
from pipeline.document.plan import plans_for
from pipeline.document.nodes import Document
from pipeline.core.errors import (BusyError, Finding, InputError, Location, PipelineError, RenderError, SpecError,
                                  errors_in, relpath)
from pipeline.inputs.load import load_engagement
from pipeline.inputs.typed import check_answers
from pipeline.inputs.model import Engagement
from pipeline.build import stamp
from pipeline.build.incremental import document_digest, fingerprints, reasons
from pipeline.build.overview import page_state, record_build
from pipeline.overview.record import page_files
from pipeline.build.parallel import RenderPool, render_cost
from pipeline.build.verify import StagedChecks, StagedFile
from pipeline.core.manifest import MANIFEST, dumps, entries_by_path, read_manifest, sha256_bytes, sha256_file
from pipeline.renderers import get_renderer, warm as warm_renderers
from pipeline.renderers.finish import FINISHED
from pipeline.core.reporting import Reporter
from pipeline.rules.engine import report_rules
from pipeline.specs.load import load_specs
from pipeline.specs.model import SowSpec
from pipeline.core.paths import DEFAULT_SPECS, TEMPLATES
from pipeline.ledger.anchor import LedgerRefused, guard_build
from pipeline.ledger.events import LEDGER
from pipeline.ledger.status import Rule
from pipeline.core.text import quote
from pipeline.core.writer import JOURNAL, ConflictError, OutputWriter, safe_name



@dataclass
class Output:
    job: Job
    format: str
    rel: str  # relative to the pack folder
    data: bytes = b""
    doc: Document | None = None
    #: What it is built from now (incremental.Fingerprint.to_json()).
    built_from: dict = field(default_factory=dict)
    #: Why it is rebuilt; empty when it is up to date and not rendered at all.
    reasons: list[str] = field(default_factory=list)
    #: sha256 the manifest records for rel, and the extra manifest keys (built_from, pending, edited).
    sha256: str | None = None
    record: dict = field(default_factory=dict)
    #: Left as it is because `build --only` did not select it.
    skipped: bool = False


@dataclass
class PackResult:
    engagement: str
    pack: Path
    outputs: list[Output] = field(default_factory=list)
    #: One line per deliverable: rebuilt or not, and why (`build --explain`).
    explanations: list[str] = field(default_factory=list)
    #: (path, note) of every file kept because it was edited by hand or signed off.
    conflicts: list[tuple[str, str]] = field(default_factory=list)
    #: Deliverables (09/health-report) with a signed-off file kept: reopening their sign-off delivers the new version.
    reopen: list[str] = field(default_factory=list)
    #: (path, reason) of every file that could not be written.
    failures: list[tuple[str, str]] = field(default_factory=list)
    #: The pack's record of the sign-off ledger (manifest `signoff`), None without a ledger.
    anchor: dict | None = None


@contextlib.contextmanager
def phase(name: str, what: str = ""):
    """Name the phase (and deliverable) in any unexpected failure."""
    try:
        yield
    except PipelineError:
        raise
    except Exception as exc:
        raise RenderError(f"{name} failed{f' for {what}' if what else ''}: {type(exc).__name__}: {exc}") from exc


def _render(doc: Document, fmt: str, what: str,
            staged: StagedFile | None = None) -> tuple[bytes, list[Finding] | None]:
    """One output's bytes, and what its checks found when it is staged (run in a worker process
    when building with several jobs: the worker that renders a file checks it too)."""
    with phase("render", what):
        data = get_renderer(fmt).render(doc)
    if staged is None:
        return data, None  # checked later (a Word file LibreOffice lays out first), or not at all
    try:
        return data, staged.check(data)
    except OSError as exc:
        raise _staging_error(exc) from None


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
        if spec is not None and p.select:
            optional = [d for d in spec.deliverables if d.optional and d.included_in(p.package)]
            names = sorted({d.choice or d.id for d in optional})
            for chosen in p.select:
                if not any(d.selected_by({chosen}) for d in optional):
                    out.append(Finding("input.bad-value", f"'select' names '{chosen}', which is not an optional "
                                       f"deliverable of service {p.service} ({p.package}); choose among "
                                       f"{'、'.join(names) or 'none (the package has no optional deliverable)'}",
                                       p.location, service=p.service))
    return out


def pdf_environment_problems() -> list[str]:
    """What on this machine would make PDFs slow or unreadable (FACTS.md), said before rendering."""
    import shutil
    import subprocess

    problems = []
    if not _harfbuzz_subset():
        problems.append("warning: libharfbuzz-subset0 is missing, so PDFs render many times slower; "
                        "install it: apt-get install -y libharfbuzz-subset0")
    if shutil.which("fc-list"):
        out = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True).stdout
        if "Noto Sans CJK SC" not in out:
            problems.append("warning: the Noto CJK SC fonts are not installed, so Chinese PDF text cannot be "
                            "embedded; install them: apt-get install -y fonts-noto-cjk")
    return problems


def _harfbuzz_subset() -> bool:
    """Whether WeasyPrint finds libharfbuzz-subset: its own answer when it is loaded, else whether
    the library loads (importing WeasyPrint just to ask costs the build half a second)."""
    import sys

    fonts = sys.modules.get("weasyprint.pdf.fonts")
    if fonts is not None:
        return getattr(fonts, "harfbuzz_subset", None) is not None
    import ctypes
    import ctypes.util

    for name in ("libharfbuzz-subset.so.0", "libharfbuzz-subset.0.dylib", "libharfbuzz-subset-0.dll", None):
        name = name or ctypes.util.find_library("harfbuzz-subset")  # the slow way last
        try:
            if name:
                ctypes.CDLL(name)
                return True
        except OSError:
            continue
    return False


def output_rel(spec: SowSpec, doc: Document, fmt: str) -> str:
    return f"{spec.folder}/{safe_name(doc.meta.title)}.{fmt}"


def templates_digest() -> str:
    """A digest of every file under templates/ (the manifest's templates_sha256)."""
    files = sorted(p for p in TEMPLATES.rglob("*") if p.is_file())
    return _templates_digest(tuple((p, st.st_size, st.st_mtime_ns) for p in files for st in (p.stat(),)))


@functools.lru_cache(maxsize=4)
def _templates_digest(stats: tuple) -> str:
    # Hashed once per state of the folder: a build asks twice per pack.
    return sha256_bytes("\n".join(f"{p.relative_to(TEMPLATES)}:{sha256_file(p)}" for p, _, _ in stats).encode())


def _manifest(eng: Engagement, specs: dict[int, SowSpec], res: PackResult) -> dict:
    services = []
    for p in eng.purchases:
        spec = specs[p.service]
        services.append({"service": spec.service, "title": spec.title, "package": p.package,
                         "folder": spec.folder, "spec": spec.path, "spec_sha256": spec.digest,
                         "select": list(p.select),
                         "applied_on": p.applied_on.isoformat() if p.applied_on else None,
                         "start": p.start.isoformat() if p.start else None,
                         "end": p.end.isoformat() if p.end else None,
                         "acceptance": {"rule": spec.acceptance.rule, "review_days": spec.acceptance.review_days,
                                        "day_type": spec.acceptance.day_type,
                                        "deemed_accepted": spec.acceptance.deemed_accepted,
                                        "document": spec.acceptance.document}})
    deliverables = []
    for o in res.outputs:
        if o.skipped and o.sha256 is None:
            continue  # `--only` left it unbuilt: the manifest lists only what the pack holds
        d = o.job.deliverable
        # The date the document carries (an acceptance report's may be the ledger's), else its planned date.
        day = o.job.plan.date_of(d.id) if o.job.plan is not None and o.job.plan.dated else None
        date = (o.doc.meta.date if o.doc is not None
                else o.record.get("date", day.isoformat() if day else None))  # `--only` keeps the recorded one
        deliverables.append({
            "service": o.job.spec.service, "deliverable": d.id, "seed_name": d.seed_name, "kind": d.kind,
            "format": o.format, "path": o.rel, "sha256": o.sha256, **o.record,
            # The document's planned date and what it reviews: `sowpack check` orders them.
            "date": date, "reviews": list(d.reviews), "review_of": d.review_of,
            "sections": [{"title": s.title, "level": lvl, "leaf": not s.children,
                          **({"requires": list(s.requires)} if s.requires else {})}
                         for s, lvl in _walk_levels(d.sections)],
            "columns": [c.name for c in d.columns],
            # The numbers computed from the deliverable's registers: `check` recomputes them.
            **({"computed": o.doc.computed} if o.doc is not None and o.doc.computed else {})})
    inputs = [{"path": relpath(f), "sha256": sha256_file(f)} for f in eng.files]
    # --- sign-off gate (pipeline/rules/): the facts and rules `sowpack check` re-runs from
    # the pack alone, and the customer short name that file names derive from.
    from pipeline.rules.engine import manifest_entry
    for p, s in zip(eng.purchases, services, strict=True):
        s.update(manifest_entry(eng, p, specs[p.service]))
    gate = {"customer_short": eng.customer_short}
    # --- end sign-off gate
    # The sign-off anchor (pipeline/ledger/anchor.py) only when there is a ledger: packs
    # without one keep the manifest they always had.
    anchor = {"signoff": res.anchor} if res.anchor is not None else {}
    return {"schema": 1, "engagement": eng.name, "customer": eng.customer_name, "project": eng.project,
            "tool": "sowpack", "tool_version": __version__, "build_date": eng.date.isoformat(),
            "services": services, "deliverables": deliverables, "inputs": inputs,
            "templates_sha256": templates_digest(), **gate, **anchor}


def _walk_levels(sections, level=1):
    for s in sections:
        yield s, level
        yield from _walk_levels(s.children, level + 1)


LOCK = ".sowpack.lock"


@contextlib.contextmanager
def output_lock(out_dir: Path):
    """One build at a time per output folder: a second one stops with a clear line instead of
    interleaving its writes and manifests with the first.

    The lock is OUT/.sowpack.lock, with the packs it guards: any two builds of one pack
    meet there, whatever their TMPDIR, user or working directory. A build that stops
    before writing removes the folder it created for the lock, so bad input still
    leaves no output folder behind.
    """
    import fcntl
    import os

    out = Path(out_dir)
    created = not out.exists()
    try:
        out.mkdir(parents=True, exist_ok=True)
        fh = open(out / LOCK, "a+")
    except OSError as exc:
        raise WriteError(f"cannot create the lock file {relpath(out / LOCK)}: {exc.strerror or exc}; check that the "
                         "output folder is writable (--out)") from None
    try:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            # The lock file may have been removed and created anew between open and flock
            # by a build that created the folder and is now leaving: then ours is stale.
            same = os.path.samestat(os.fstat(fh.fileno()), os.stat(out / LOCK))
        except (BlockingIOError, FileNotFoundError):
            same = False
        if not same:
            raise BusyError(f"another sowpack build is writing to {relpath(out_dir)}; wait for it to finish")
        try:
            yield
        finally:
            if created and not any(p.name != LOCK for p in out.iterdir()):
                (out / LOCK).unlink(missing_ok=True)  # still holding the lock: nobody else is inside
                with contextlib.suppress(OSError):
                    out.rmdir()
    finally:
        fh.close()


def build(engagement_dirs: list[Path], out_dir: Path, reporter: Reporter, **options) -> list[PackResult]:
    """Build the pack of every engagement (see _build), holding the output folder's lock."""
    with output_lock(out_dir):
        return _build(engagement_dirs, out_dir, reporter, **options)


def _shared_packs(engagements: list[Engagement], out_dir: Path) -> list[Finding]:
    """Two engagements whose packs would be one folder ('a:b' and 'a_b', or 'A' and 'a' on a
    case-insensitive share): an error naming both, before anything is written."""
    seen: dict[str, Engagement] = {}
    out = []
    for eng in engagements:
        first = seen.setdefault(safe_name(eng.name).casefold(), eng)
        if first is eng:
            continue
        if first.root.resolve() == eng.root.resolve():
            msg = "this engagement folder is given twice; give it once"
        else:
            msg = (f"the engagement folders {quote(relpath(first.root))} and {quote(relpath(eng.root))} would both "
                   f"build into {quote(relpath(Path(out_dir) / safe_name(eng.name)))}; rename one of them or build "
                   "them with different --out folders")
        out.append(Finding("input.bad-value", msg, Location(relpath(eng.root))))
    return out


def _build(engagement_dirs: list[Path], out_dir: Path, reporter: Reporter, *, spec_dir: Path = DEFAULT_SPECS,
           strict: bool = False, verify: bool = True, force: bool = False, keep_edits: bool = False,
           explain: bool = False, templates: Path | None = None, jobs: int = 1,
           only: tuple[str, ...] = (), finish: bool = False) -> list[PackResult]:
    """Build the pack of every engagement; nothing is written unless all inputs are complete.

    Args:
        force: rebuild every output, and replace hand-edited files (each kept as <name>.bak-N.<ext>).
        keep_edits: keep hand-edited files as they are and record them as current.
        explain: report, per deliverable, why it is or is not rebuilt.
        templates: a folder whose text/*.md.j2 override the project's text templates.
        jobs: how many processes render (the bytes are the same for any number).
        only: render just these deliverables ("09/health-report"); every other file of the
            pack and its manifest record stay as they are.
        finish: lay Word files out in LibreOffice, when installed, for their TOC page numbers
            (renderers/finish.py); without LibreOffice a note says the TOCs have none.

    Raises:
        PipelineError: on any error finding (after every finding has been reported).
        ConflictError: after writing, when hand-edited or signed-off files were kept.
    """
    # Packs whose stamp holds are up to date as they are: nothing of them is read again,
    # their messages are printed again (pipeline/build/stamp.py).
    # A --finish build checks every pack (its Word files differ from an unfinished build's).
    fresh = ({} if force or only or explain or finish
             else _fresh(engagement_dirs, out_dir, spec_dir, templates, reporter))
    _stop_on_errors(reporter, strict, "input")
    if fresh and all(d in fresh for d in engagement_dirs):
        return [fresh[d] for d in engagement_dirs]
    # READ: specs, then every engagement with its answers and sheets.
    specs_list, specs, engagements, taps, plans = _read(engagement_dirs, out_dir, reporter, spec_dir, strict,
                                                        templates, fresh)
    # GUARD: the sign-off ledger must match what each pack last recorded of it, or nobody
    # can tell which files are signed off: then nothing at all is written (refused after
    # the assembly below, so that every input problem is reported first).
    guards = _guards(engagements, specs_list, out_dir)
    selected = _select(only, engagements, specs, plans, reporter, strict)
    soffice = finishing_tool(reporter) if finish else None
    checks = _staged_checks() if verify else None
    # The RENDER workers (with several jobs) import the renderers of the build's formats as they
    # start. When whole packs render (a first build, --force) and so several files, they start now,
    # to do that while this process assembles the first pack; otherwise at the second task.
    formats = [fmt for eng in engagements for job in jobs_for(eng, specs, plans[eng.name])
               for fmt in job.deliverable.formats]
    pool = RenderPool(_render, jobs, warm=functools.partial(warm_renderers, sorted(set(formats))))
    if not only and len(formats) > 1 and (force or _new_packs(engagement_dirs, fresh, out_dir)):
        pool.start()
    refused = any(found for _, _, found in guards)
    # ASSEMBLE: one Document per deliverable; missing answers surface here.
    # PLAN: which outputs are out of date, and why (nothing is rendered for the others).
    # RENDER: everything in memory first, so a failure leaves no half-written pack. While no
    # input problem has been found, each pack goes to the render pool as soon as it is
    # planned, so the workers render it while the next one is assembled.
    # VERIFY: each rendered file reopened from a staging folder as it arrives, before
    # anything is written, so a pack never holds files that fail their structural checks.
    contexts: dict[int, dict] = {}  # id(job) -> its template context, made once for assembly and planning
    results: list[tuple[Engagement, PackResult, OutputWriter]] = []
    todo: list[tuple[PackResult, Output]] = []
    numbers: dict[Path, int] = {}
    aheads: dict[Path, _Ahead] = {}  # each pack's manifest and overview page, made as its last file arrives
    acceptance = {s.service: s.acceptance for s in specs_list}  # the overview pages' sign-off rules
    pdf_problems: list[str] | None = None
    # Rendered files are written ahead beside their places while the rest render (_collect);
    # whatever of that no pack placed, the build stopping or not, is removed at the end.
    try:
        try:
            for eng, (signed, anchor, _) in zip(engagements, guards, strict=True):
                docs = _assemble_pack(eng, specs, plans[eng.name], selected, templates, contexts, taps[eng.name][0])
                if refused or _problems(reporter, strict):
                    continue  # the build stops below; still assemble the rest, to report every problem
                planned = _plan(eng, docs, out_dir, force, keep_edits, templates, signed, anchor, contexts,
                                soffice is not None)
                results.append(planned)
                if _submit(eng, planned[1], specs, pool, checks, todo, numbers, soffice) and pdf_problems is None:
                    pdf_problems = pdf_environment_problems()
            _stop_on_errors(reporter, strict, "input")
            _refuse(engagements, guards, reporter)
            if explain:
                for _, res, _ in results:
                    for line in res.explanations:
                        reporter.info(line)
            for problem in pdf_problems or []:
                reporter.info(problem)
            _collect(pool, todo, checks, numbers, soffice, reporter, {res.pack: writer for _, res, writer in results},
                     functools.partial(_prepare_ahead, {res.pack: (eng, writer) for eng, res, writer in results},
                                       specs, acceptance, aheads))
            if checks is not None:
                for _, res, _ in results:
                    if res.pack in numbers:
                        reporter.findings_from(checks.findings(numbers[res.pack]))
                _stop_on_errors(reporter, strict, "render")
        finally:
            pool.close()
            if checks is not None:
                checks.close()
        # WRITE + RECORD: atomic replace per file, never over a hand edit or a signed-off
        # file; the manifest last. SIGTERM is turned into an exception here so that,
        # like Ctrl-C, it leaves each file old or new and no temporary file behind.
        with _terminate_as_exit():
            for eng, res, writer in results:
                stamp.forget(res.pack)
                manifest = _commit_pack(eng, res, writer, specs, acceptance, reporter, aheads.get(res.pack))
                if not (only or finish or res.conflicts or res.failures):
                    tap, files = taps[eng.name]
                    stamp.save(res.pack, spec_dir, templates, files,
                               {d["path"]: d["sha256"] for d in manifest["deliverables"] if d.get("sha256")},
                               tap.messages)
    finally:
        for _, _, writer in results:
            writer.discard()
    failures = [f for _, res, _ in results for f in res.failures]
    if failures:
        path, why = failures[0]
        raise WriteError(f"{len(failures)} file(s) could not be written ({path}: {why}); close them if they are "
                         "open in another program, then build again")
    if any(res.conflicts for _, res, _ in results):
        raise _conflict_error([c for _, res, _ in results for c in res.conflicts],
                              [(eng.root, key) for eng, res, _ in results for key in res.reopen])
    built = {r.engagement: r for _, r, _ in results}
    return [fresh[d] if d in fresh else built[Path(d).resolve().name] for d in engagement_dirs
            if d in fresh or Path(d).resolve().name in built]


def _new_packs(engagement_dirs, fresh: dict, out_dir: Path) -> bool:
    """Whether a pack to build has never been built into out_dir (it has no manifest): all of it renders."""
    return any(not (Path(out_dir) / safe_name(Path(d).resolve().name) / MANIFEST).is_file()
               for d in engagement_dirs if d not in fresh)


def _fresh(engagement_dirs, out_dir: Path, spec_dir: Path, templates: Path | None,
           reporter: Reporter) -> dict[Path, PackResult]:
    """The packs whose stamp holds, as the last build left them, their messages printed again."""
    names = [Path(d).resolve().name for d in engagement_dirs]
    out = {}
    for d, name in zip(engagement_dirs, names, strict=True):
        pack = Path(out_dir) / safe_name(name)
        data = stamp.holds(pack, spec_dir, templates) if names.count(name) == 1 else None
        if data is None:
            continue
        res = PackResult(name, pack)
        stamp.replay(data.get("messages") or [], reporter)
        for e in (read_manifest(pack) or {}).get("deliverables") or []:
            # A record only (nothing reads the job of a pack that is not rebuilt).
            o = Output(None, e.get("format"), e.get("path"), sha256=e.get("sha256"),  # type: ignore[arg-type]
                       record={k: e[k] for k in ("built_from", "edited", "pending") if k in e})
            res.outputs.append(o)
            shown = relpath(pack / o.rel)
            if e.get("edited"):
                reporter.status("edited", f"{shown} (edited by hand; kept, nothing it is built from changed)")
            else:
                reporter.status("identical", shown)
        reporter.status("identical", relpath(pack / MANIFEST))
        out[d] = res
    return out


class WriteError(PipelineError):
    """An output could not be written (permissions, a full disk, a file locked by another program)."""

    category = "write"


def _conflict_error(conflicts: list[tuple[str, str]], reopen: list[tuple[Path, str]] | tuple[()] = ()) -> ConflictError:
    """One line saying what was kept and how to resolve it (the per-file lines came before)."""
    signed = sum(1 for _, note in conflicts if note.startswith("signed"))
    edited = len(conflicts) - signed
    parts = []
    if edited:
        parts.append(f"{edited} file(s) edited by hand were not overwritten; review the *.new.* file(s) beside them, "
                     "then rerun with --force to replace your version (it is kept as *.bak-N.*) or --keep-edits "
                     "to keep it")
    if signed:
        cmds = [f"sowpack signoff submit {relpath(root)} {key} --reopen --by NAME" for root, key in sorted(set(reopen))]
        # A line a user can read: the first commands, then how many more (the per-file lines name them all).
        how = "; ".join(cmds[:3]) + (f"; and {len(cmds) - 3} more like it" if len(cmds) > 3 else "")
        parts.append(f"{signed} signed-off file(s) would change and were kept; the new version(s) are in *.new.*"
                     + (f"; to deliver them, reopen the sign-off (this puts the *.new.* file(s) in place and records "
                        f"them): {how}" if how else ""))
    return ConflictError("; ".join(parts))



def _read(engagement_dirs: list[Path], out_dir: Path, reporter: Reporter, spec_dir: Path, strict: bool,
          templates: Path | None, fresh: dict) -> tuple[list[SowSpec], dict[int, SowSpec], list[Engagement], dict,
                                                          dict[str, dict]]:
    """READ, CHECK and PLAN: every spec, every engagement (but the fresh ones) with its answers, each
    bought service's plan; stops on spec errors, and on input errors only when no engagement could be
    read (the others stop after ASSEMBLE).

    Returns the taps too (per engagement, what its stamp replays (stamp.Tap) and the files it read),
    and the plans (engagement name -> service -> ServicePlan).
    """
    specs_list, found = load_specs(spec_dir)
    spec_tap = stamp.Tap(reporter)  # what each pack's stamp replays
    spec_tap.findings_from(found)  # every spec problem is printed before the one-line summary
    if errors_in(found):
        raise SpecError(f"{len(errors_in(found))} error(s) in {relpath(spec_dir)}; nothing was written")
    specs = {s.service: s for s in specs_list}
    engagements: list[Engagement] = []
    taps: dict[str, tuple[stamp.Tap, dict]] = {}
    plans: dict[str, dict] = {}
    shared: dict[str, str] | None = None  # the spec and template files' hashes, for each pack's stamp
    for d in engagement_dirs:
        if d in fresh:
            continue
        tap = stamp.Tap(reporter, list(spec_tap.messages))
        eng, found = load_engagement(Path(d))
        tap.findings_from(found)
        if eng is not None:
            if shared is None:
                shared = stamp.shared_files(spec_dir, templates)
            taps[eng.name] = (tap, stamp.read_files(shared, eng.files, eng.root / LEDGER))
            tap.findings_from(check_purchases(eng, specs))
            tap.findings_from(check_answers(eng, specs))
            with phase("check rules", eng.name):
                report_rules(eng, specs, tap)  # CHECK: the SOW's business rules, citing the seed
            # PLAN: every deliverable's date from the spec's phases and the inputs' overrides and meetings.
            known = {p.service: specs[p.service] for p in eng.purchases
                     if p.service in specs and p.package in specs[p.service].package_names}
            plans[eng.name] = plans_for(eng, known)
            for plan in plans[eng.name].values():
                tap.findings_from(plan.findings)
            engagements.append(eng)
    reporter.findings_from(_shared_packs(engagements, out_dir))
    if not engagements and not fresh:
        if not errors_in(reporter.findings):
            raise InputError("no engagement to build; nothing was written")
        _stop_on_errors(reporter, strict, "input")
    # Every engagement that could be read is assembled even when its inputs have errors,
    # so one build reports every input problem (an unknown package does not hide the
    # answers' errors); _build stops once, after assembling.
    return specs_list, specs, engagements, taps, plans


def _assemble_pack(eng: Engagement, specs: dict[int, SowSpec], plans: dict, selected, templates: Path | None,
                   contexts: dict, tap: stamp.Tap) -> list[tuple[Job, Document | None]]:
    """ASSEMBLE one pack: a Document per selected deliverable (None for the others); findings go to its tap."""
    docs: list[tuple[Job, Document | None]] = []
    for job in jobs_for(eng, specs, plans):
        if not selected(job):
            docs.append((job, None))  # `--only` leaves it as it is: nothing to assemble
            continue
        with phase("assemble", job.key):
            contexts[id(job)] = context(job, eng)
            doc, found = assemble(job, eng, templates, contexts[id(job)])
        tap.findings_from(found)
        docs.append((job, doc))
    return docs


def _submit(eng: Engagement, res: PackResult, specs: dict[int, SowSpec], pool: RenderPool,
            checks: StagedChecks | None, todo: list, numbers: dict[Path, int], soffice: str | None) -> bool:
    """Send a planned pack's out-of-date outputs to the render pool, heaviest first, and tell the
    staged checks what to expect of them; each task carries its staged file, checked by the process
    that renders it (but a file LibreOffice lays out later). True when one of them is a PDF."""
    costs = {id(o): render_cost(o.doc, o.format) for o in res.outputs if o.reasons}
    rendered = sorted((o for o in res.outputs if o.reasons), key=lambda o: -costs[id(o)])
    if checks is not None and rendered:
        numbers[res.pack] = checks.add_pack(res.pack, _manifest(eng, specs, dataclasses.replace(
            res, outputs=[o for o in res.outputs if o.reasons])))
    for o in rendered:
        todo.append((res, o))
        staged = (checks.staged(numbers[res.pack], o.rel)
                  if checks is not None and not _finished_later(o, soffice) else None)
        pool.submit((o.doc, o.format, f"{o.job.key} ({o.format})", staged), f"{res.engagement} {o.rel}",
                    costs[id(o)])
    pool.flush()
    return any(o.format == "pdf" for o in rendered)


def _guards(engagements: list[Engagement], specs_list: list[SowSpec],
            out_dir: Path) -> list[tuple[dict[str, str | None], dict | None, list[Finding]]]:
    """Each pack's sign-off state: (signed files, the ledger's anchor, problems)."""
    rules = {s.service: Rule(s.acceptance.review_days, s.acceptance.day_type, s.acceptance.deemed_accepted,
                             s.acceptance.rule) for s in specs_list}
    return [guard_build(eng.root, Path(out_dir) / safe_name(eng.name), rules) for eng in engagements]


def _refuse(engagements: list[Engagement], guards: list, reporter: Reporter) -> None:
    """LedgerRefused when any ledger fails its pack's record (after reporting every problem)."""
    for _, _, found in guards:
        reporter.findings_from(found)
    refused = [(eng, found) for eng, (_, _, found) in zip(engagements, guards, strict=True) if found]
    if refused:
        eng, found = refused[0]
        where = found[0].location.path if found[0].location else eng.root
        raise LedgerRefused(f"{sum(len(f) for _, f in refused)} problem(s) in the sign-off ledger "
                            f"{where}: signed-off files cannot be told apart, so nothing was written",
                            [f for _, fs in refused for f in fs])


def _collect(pool: RenderPool, todo: list[tuple[PackResult, Output]], checks: StagedChecks | None,
             numbers: dict[Path, int], soffice: str | None, reporter: Reporter,
             writers: dict[Path, OutputWriter], pack_done: Callable[[PackResult], None]) -> None:
    """Each rendered file into its Output as it arrives, with what its checks found where it was
    rendered (with --finish, the Word files are checked here once LibreOffice has laid them out),
    and written ahead beside its place in the pack (OutputWriter.prepare), while the rest renders;
    pack_done(res) once all of a pack's files have arrived (not with --finish)."""
    waiting = collections.Counter(res.pack for res, _ in todo)

    def arrived(i: int, rendered: tuple[bytes, list[Finding] | None]) -> None:
        res, o = todo[i]
        o.data, found = rendered
        if checks is not None and found is not None:
            checks.record(numbers[res.pack], o.rel, found)
        if not _finished_later(o, soffice):
            try:
                writers[res.pack].prepare(o.rel, o.data)
            except OSError:
                pass  # a full disk, a locked folder: placing it writes it again and says so in one line
        waiting[res.pack] -= 1
        if not waiting[res.pack] and soffice is None:
            pack_done(res)
    pool.collect(arrived, reporter.progress)
    lost = [o for _, o in todo if not o.data]
    if lost:  # every rendered file is checked as it arrives: one that never did is no file to write
        raise RenderError(f"{len(lost)} file(s) came back from rendering empty ({lost[0].rel}); nothing was written")
    if soffice is not None:
        _finish([o for _, o in todo if _finished_later(o, soffice)], soffice, reporter)
        if checks is not None:
            for res, o in todo:
                if _finished_later(o, soffice):
                    _check_staged(checks, numbers[res.pack], o)


def _prepare_ahead(packs: dict[Path, tuple[Engagement, OutputWriter]], specs: dict[int, SowSpec],
                   acceptance: dict, aheads: dict[Path, _Ahead], res: PackResult) -> None:
    """_prepare_commit for a pack whose files have all arrived, into aheads (nothing on an OSError:
    the commit then writes the manifest itself, and says so in one line if it cannot)."""
    eng, writer = packs[res.pack]
    try:
        aheads[res.pack] = _prepare_commit(eng, res, writer, specs, acceptance)
    except OSError:
        pass


def _finished_later(o: Output, soffice: str | None) -> bool:
    """A Word file of a `--finish` build: LibreOffice lays it out once all are rendered, and it is
    checked after that, in this process."""
    return soffice is not None and o.format == "docx"


def _check_staged(checks: StagedChecks, number: int, o: Output) -> None:
    try:
        checks.check(number, o.rel, o.data)
    except OSError as exc:
        raise _staging_error(exc) from None


def _staged_checks() -> StagedChecks:
    try:
        return StagedChecks()
    except OSError as exc:
        raise _staging_error(exc) from None


def _staging_error(exc: OSError) -> WriteError:
    import tempfile

    return WriteError(f"cannot stage the rendered files in {tempfile.gettempdir()} to check them: "
                      f"{exc.strerror or exc}; free some space there or point TMPDIR elsewhere; nothing was "
                      "written")


def _commit_pack(eng: Engagement, res: PackResult, writer: OutputWriter, specs: dict[int, SowSpec],
                 acceptance: dict, reporter: Reporter, ahead: _Ahead | None = None) -> dict:
    """WRITE + RECORD one pack: journal, files, manifest, overview; every OSError is one line.

    ahead: the manifest and overview page prepared while the build rendered (_prepare_commit), used
    when the manifest is the one computed now. Returns the manifest written."""
    try:
        writer.begin({o.rel: {"sha256": sha256_bytes(o.data), "built_from": o.built_from}
                      for o in res.outputs if o.reasons})
    except OSError as exc:
        raise WriteError(f"cannot write {relpath(res.pack / JOURNAL)}: {exc.strerror or exc}; nothing in "
                         f"{relpath(res.pack)} was changed; free some space or fix the permissions, then build "
                         "again") from None
    try:
        _write_pack(res, writer, reporter)
    except OSError as exc:  # a backup, a removal, a folder: each file written so far is journaled
        where = relpath(exc.filename) if exc.filename else relpath(res.pack)
        raise WriteError(f"cannot write {where}: {exc.strerror or exc}; the files written so far are listed "
                         f"in {JOURNAL}, so the next build records them; fix the cause, then build "
                         "again") from None
    manifest = _manifest(eng, specs, res)
    if ahead is not None and ahead.manifest != manifest:
        ahead = None  # placing went otherwise than prepared for (a conflict, a failure...)
    try:
        word = writer.put(MANIFEST, ahead.data if ahead is not None else dumps(manifest).encode())
    except OSError as exc:
        raise WriteError(f"cannot write {relpath(res.pack / MANIFEST)}: {exc.strerror or exc}; the files "
                         f"written are listed in {JOURNAL}, so the next build records them; free some space "
                         "or fix the permissions, then build again") from None
    writer.commit()
    reporter.status(word, relpath(res.pack / MANIFEST))
    record_build(eng, res, acceptance, writer, manifest,  # index.html; last pack
                 ahead.page if ahead is not None else None)
    writer.discard()  # what was written ahead and not placed (a file identical to the new one...)
    return manifest


def finishing_tool(reporter: Reporter) -> str | None:
    """LibreOffice for `--finish`, or None with a note on what the Word files will lack."""
    from pipeline.renderers.finish import soffice

    binary = soffice()
    if binary is None:
        reporter.info("note: --finish needs LibreOffice (soffice), which is not installed: Word tables of contents "
                      "list their headings without page numbers (Word adds them when the field is updated, F9)")
    return binary


def _finish(outputs: list[Output], binary: str, reporter: Reporter) -> None:
    """Put LibreOffice's page numbers into the TOC of every rendered Word file (renderers/finish.py)."""
    from pipeline.renderers.docx import DocxRenderer, toc_entries
    from pipeline.renderers.finish import toc_pages

    if not outputs:
        return
    renderer = DocxRenderer()
    try:
        with phase("finish"):
            pages = toc_pages({o.rel: (o.data, toc_entries(o.doc)) for o in outputs if o.doc is not None}, binary)
    except RuntimeError as exc:
        reporter.info(f"note: {exc}: Word tables of contents list their headings without page numbers")
        return
    for o in outputs:
        if o.doc is not None and any(pages.get(o.rel) or ()):
            with phase("finish", o.rel):
                o.data = renderer.render(o.doc, pages=pages[o.rel])
    reporter.info(f"finished {sum(1 for o in outputs if any(pages.get(o.rel) or ()))} of {len(outputs)} Word "
                  "file(s): page numbers in their tables of contents (LibreOffice)")


def _plan(eng: Engagement, docs: list[tuple[Job, Document | None]], out_dir: Path, force: bool, keep_edits: bool,
          templates: Path | None, signed: dict[str, str | None], anchor: dict | None,
          contexts: dict | None = None, finish: bool = False) -> tuple[Engagement, PackResult, OutputWriter]:
    """Decide, per output file, whether it must be rendered, with the reasons (doit's get_status)."""
    res = PackResult(eng.name, Path(out_dir) / safe_name(eng.name), anchor=anchor)
    previous = entries_by_path(read_manifest(res.pack))
    writer = OutputWriter(res.pack, previous, signed, force=force, keep_edits=keep_edits)
    writer.recover()  # files an interrupted build finished writing are not hand edits
    memo: dict = {}
    for job, doc in docs:
        mine = []
        if doc is None:
            # Not selected by --only: the files the last build recorded for it, as they are.
            for fmt in job.deliverable.formats:
                rel = next((r for r, e in previous.items() if (e.get("service"), e.get("deliverable"),
                                                              e.get("format")) == (job.spec.service, job.deliverable.id,
                                                                                   fmt)), None)
                if rel is not None:
                    writer.claim(rel, job.key)
                    mine.append(Output(job, fmt, rel, skipped=True))
            res.outputs += mine
            res.explanations.append(f"{eng.name} {job.key} [{', '.join(job.deliverable.formats)}]: not rebuilt: "
                                    "not selected by --only")
            continue
        ctx = (contexts or {}).get(id(job)) or context(job, eng)
        fps = fingerprints(job, job.deliverable.formats, eng, templates, ctx, document_digest(doc), memo)
        for fmt in job.deliverable.formats:
            rel = output_rel(job.spec, doc, fmt)
            writer.claim(rel, job.key)
            fp = fps[fmt]
            if finish and fmt == "docx":
                # A finished Word file differs from an unfinished one: switching --finish rebuilds it.
                fp = dataclasses.replace(fp, values={**fp.values, "finish": FINISHED})
            why = reasons(fp, previous.get(rel), writer.target(rel).is_file())
            if force and not why:
                why = ["--force"]
            mine.append(Output(job, fmt, rel, doc=doc, built_from=fp.to_json(), reasons=why))
        res.outputs += mine
        res.explanations += _explain(eng.name, job, mine, writer)
    return eng, res, writer


class SelectionError(PipelineError):
    """`build --only` names a deliverable that is not in any of the packs."""

    category = "usage"
    exit_code = 2


def _select(only, engagements: list[Engagement], specs: dict[int, SowSpec], plans: dict[str, dict],
            reporter: Reporter, strict: bool):
    """_selector over every job of the engagements; an input error, which may be why a selected
    deliverable is missing, stops the build before the selection error does."""
    try:
        return _selector(only, [job for eng in engagements for job in jobs_for(eng, specs, plans[eng.name])])
    except SelectionError:
        _stop_on_errors(reporter, strict, "input")
        raise


def _selector(only, jobs: list[Job]):
    """A test of whether `build --only` selects a job; every selector must name one of the jobs."""
    if not only:
        return lambda job: True
    keys = {job.key for job in jobs}
    wanted = set()
    for text in only:
        service, _, deliverable = str(text).partition("/")
        key = f"{int(service):02d}/{deliverable}" if service.strip().isdigit() else str(text)
        if key not in keys:
            close = difflib.get_close_matches(key, sorted(keys), n=1)
            raise SelectionError(f"--only {text}: no such deliverable in the pack(s)"
                                 + (f"; did you mean {close[0]}?" if close else
                                    f"; name one as SERVICE/DELIVERABLE, e.g. {min(keys)}" if keys else ""))
        wanted.add(key)
    return lambda job: job.key in wanted


def _explain(engagement: str, job: Job, outputs: list[Output], writer: OutputWriter) -> list[str]:
    """One line per deliverable (per group of its formats sharing the same reasons)."""
    groups: dict[tuple[str, ...], list[str]] = {}
    for o in outputs:
        groups.setdefault(tuple(o.reasons), []).append(o.format)
    lines = []
    for why, fmts in groups.items():
        head = f"{engagement} {job.key} [{', '.join(fmts)}]"
        if why:
            lines.append(f"{head}: rebuilt: {'; '.join(why)}")
        else:
            edited = [o.rel for o in outputs if o.format in fmts and writer.is_edited(o.rel)]
            tail = "; edited by hand, kept" if edited else ""
            lines.append(f"{head}: not rebuilt: spec, inputs, templates and tool unchanged{tail}")
    return lines


def _write_pack(res: PackResult, writer: OutputWriter, reporter: Reporter) -> None:
    """Place every output, retire the ones no longer produced; fills each Output's manifest record."""
    for p in writer.sweep():
        reporter.status("remove", f"{relpath(p)} (left by an interrupted build)")
    for o in res.outputs:
        prev = writer.previous.get(o.rel) or {}
        shown = relpath(res.pack / o.rel)
        if o.skipped:
            o.sha256, o.record = _kept(o, prev)
            reporter.status("skip", shown)
            continue
        if not o.reasons:
            o.sha256, o.record = _kept(o, prev)
            old = prev.get("pending") or {}
            if old.get("path") and writer.drop_pending(old["path"], old.get("sha256")):
                # The inputs went back to what the kept file was built from: that .new is stale.
                reporter.status("remove", relpath(res.pack / old["path"]))
            edited = writer.is_edited(o.rel)
            reporter.status("edited" if edited else "identical",
                            f"{shown} (edited by hand; kept, nothing it is built from changed)" if edited else shown)
            continue
        try:
            placed = writer.place(o.rel, o.data)
        except OSError as exc:
            # A file open in Word on a share, a full disk: keep the old record so the next build retries.
            o.sha256 = prev.get("sha256")
            o.record = {k: prev[k] for k in ("built_from", "edited", "pending") if k in prev}
            res.failures.append((shown, f"{exc.strerror or exc}"))
            reporter.status("error", f"{shown}: not written: {exc.strerror or exc}")
            continue
        o.sha256 = placed.sha256
        if placed.pending:
            # Unresolved: keep the old record, so the next build still sees the output as out of date.
            o.record = {k: prev[k] for k in ("built_from", "edited") if k in prev}
            o.record["pending"] = {"path": placed.pending, "sha256": sha256_bytes(o.data)}
            res.conflicts.append((shown, placed.note))
            if placed.word == "signed" and o.job.key not in res.reopen:
                res.reopen.append(o.job.key)
        else:
            o.record = _placed(o, placed.edited)
        reporter.status(placed.word, f"{shown}: {placed.note}" if placed.note else shown)
        if placed.backup:
            reporter.status("backup", relpath(res.pack / placed.backup))
        old = prev.get("pending") or {}
        if not placed.pending and old.get("path") and writer.drop_pending(old["path"], old.get("sha256")):
            reporter.status("remove", f"{relpath(res.pack / old['path'])} (the conflict is resolved)")
    produced = {o.rel for o in res.outputs}
    if any(o.skipped for o in res.outputs):
        return  # `--only`: files of deliverables no longer produced are left for a full build
    for rel in sorted(set(writer.previous) - produced):
        old = writer.previous[rel].get("pending") or {}
        if old.get("path"):
            writer.drop_pending(old["path"], old.get("sha256"))
        retired = writer.retire(rel)
        if retired is not None:
            shown = relpath(res.pack / rel)
            reporter.status(retired.word, f"{shown}: {retired.note}" if retired.note else shown)
            if retired.backup:
                reporter.status("backup", relpath(res.pack / retired.backup))


def _kept(o: Output, prev: dict) -> tuple[str | None, dict]:
    """The manifest's sha256 and record of an output not rendered now: up to date, its previous
    record as it is (a hand edit included); not selected by --only, its whole record (the numbers
    computed for it included: `check` recomputes them)."""
    keys = ("built_from", "edited", "pending", "computed", "date") if o.skipped else ("built_from", "edited")
    return prev.get("sha256"), {k: prev[k] for k in keys if k in prev}


def _placed(o: Output, edited: bool = False) -> dict:
    """The manifest's record of an output written now (or kept as a hand edit with --keep-edits)."""
    return {"built_from": o.built_from, **({"edited": True} if edited else {})}


@dataclass
class _Ahead:
    """A pack's manifest and overview page prepared while the rest of the build still renders, as
    they will be when every rendered file is placed (not kept beside a hand edit or a signed-off
    file, nor failing): their bytes are written ahead beside their places, and the commit renames
    them when the manifest it computes (and the page's state) is this one."""

    manifest: dict
    data: bytes
    #: The overview page's state and files for that manifest (build/overview.py record_build).
    page: dict


def _prepare_commit(eng: Engagement, res: PackResult, writer: OutputWriter, specs: dict[int, SowSpec],
                    acceptance: dict) -> _Ahead:
    """The manifest and overview page a pack will have once every rendered file is placed (its
    files have all arrived), written ahead."""
    outputs = []
    for o in res.outputs:
        prev = writer.previous.get(o.rel) or {}
        sha256, record = (_kept(o, prev) if o.skipped or not o.reasons else (sha256_bytes(o.data), _placed(o)))
        outputs.append(dataclasses.replace(o, sha256=sha256, record=record))
    placed = dataclasses.replace(res, outputs=outputs)
    manifest = _manifest(eng, specs, placed)
    state = page_state(eng, placed, acceptance, writer)
    ahead = _Ahead(manifest, dumps(manifest).encode(),
                   {"state": state, "files": page_files(res.pack, **state, manifest=manifest)})
    for name, data in {MANIFEST: ahead.data, **(ahead.page["files"] or {})}.items():
        writer.prepare(name, data)
    return ahead


@contextlib.contextmanager
def _terminate_as_exit():
    """While writing, make SIGTERM raise SystemExit so the writer's cleanup runs (as for Ctrl-C)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, frame):
        raise SystemExit(128 + signum)
    old = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


def _problems(reporter: Reporter, strict: bool) -> bool:
    """Whether what was found so far stops the build (errors; warnings too when strict)."""
    return bool(errors_in(reporter.findings)) or (strict and any(not f.is_error for f in reporter.findings))


def _stop_on_errors(reporter: Reporter, strict: bool, what: str) -> None:
    errs = errors_in(reporter.findings)
    warns = [f for f in reporter.findings if not f.is_error]
    if errs or (strict and warns):
        n = len(errs) + (len(warns) if strict else 0)
        cls = InputError if what == "input" else RenderError
        raise cls(f"{n} problem(s) found; nothing was written" if what == "input"
                  else f"{n} problem(s) found in the written files", reporter.findings)
