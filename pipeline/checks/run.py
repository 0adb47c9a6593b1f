"""`sowpack check`: judge a pack folder on disk, with the business rules; text, JSON or JUnit output.

The JSON report is a stable interface (README.md, "sowpack check --format json"):
keys appear in a fixed order, and new keys are only ever added.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path


from pipeline import __version__
from pipeline.checks.expected import Expected, from_manifest, from_specs, load_needed_specs
from pipeline.checks.pack import check_deliverable, extra_files
from pipeline.checks.records import check_dates
from pipeline.core.errors import ERROR, WARNING, Finding, Location, relpath
from pipeline.core.limits import MAX_JSON_BYTES
from pipeline.core.manifest import MANIFEST, ShapeError, check_shape
from pipeline.core.reporting import echo
from pipeline.core.text import printable
from pipeline.core.writer import JOURNAL

JSON_SCHEMA = 1


class UsageError(Exception):
    """The pack folder or the specs cannot be used at all (exit 2)."""


@dataclass
class Report:
    """Everything `sowpack check` found in one pack."""

    pack: Path
    manifest: dict
    against: str  # "specs" or "manifest"
    expected: list[Expected]
    #: (service, deliverable) -> findings on its files
    by_deliverable: dict[tuple, list[Finding]] = field(default_factory=dict)
    #: findings not about one deliverable: unknown services, business rules, extra files
    general: list[Finding] = field(default_factory=list)

    @property
    def findings(self) -> list[Finding]:
        """Pack-level notes first, then each deliverable's findings in spec order, then rules and extra files."""
        per = [f for e in self.expected for f in self.by_deliverable.get((e.service, e.deliverable), [])]
        head = [f for f in self.general if f.code.startswith("check.")]
        tail = [f for f in self.general if not f.code.startswith("check.")]
        return head + per + tail

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == ERROR]

    def count(self, severity: str) -> int:
        return sum(1 for f in self.findings if f.severity == severity)


def read_pack_manifest(pack: Path) -> dict:
    """manifest.json of a pack folder.

    Raises:
        UsageError: missing, not JSON, or not a sowpack manifest.
    """
    path = pack / MANIFEST
    if not path.is_file():
        raise UsageError(f"{relpath(path)} is missing; point sowpack check at a pack folder written by `sowpack build`")
    try:
        size = path.stat().st_size
        if size > MAX_JSON_BYTES:
            raise UsageError(f"{relpath(path)} is {size} bytes, more than the {MAX_JSON_BYTES} a sowpack manifest can "
                             "be; rebuild the pack with `sowpack build`")
        data = json.loads(path.read_text(encoding="utf-8"))
    except RecursionError:
        raise UsageError(f"{relpath(path)} is nested too deeply to be a sowpack manifest; rebuild the pack with "
                         "`sowpack build`") from None
    except (ValueError, OSError) as exc:
        raise UsageError(f"{relpath(path)} is not valid JSON ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("deliverables"), list):
        raise UsageError(f"{relpath(path)} is not a sowpack manifest (no 'deliverables' list)")
    try:
        # Every path is checked to stay inside the pack before any file is opened.
        check_shape(data)
    except ShapeError as exc:
        raise UsageError(f"{relpath(path)}: {exc}; rebuild the pack or correct the manifest") from None
    data["_path"] = str(path)
    return data


def check_pack(pack: Path, spec_dir: Path | None, *, rules: bool = True, only: set[str] | None = None) -> Report:
    """Check a pack: every deliverable its services require, then the business rules.

    Args:
        pack: the pack folder (holding manifest.json).
        spec_dir: judge against these specs; None to use the structure the manifest recorded.
        rules: also re-run the SOWs' business rules from the recorded facts.
        only: restrict to these deliverable keys ('09/health-report').

    Raises:
        UsageError: no usable manifest. SpecError: the specs have errors.
    """
    manifest = read_pack_manifest(pack)
    specs: dict = {}
    if spec_dir is not None:
        services = [s.get("service") for s in manifest.get("services") or [] if isinstance(s.get("service"), int)]
        specs, _ = load_needed_specs(spec_dir, services)
        expected, general = from_specs(manifest, specs, pack)
        against = "specs"
    else:
        expected, general, against = from_manifest(manifest), [], "manifest"
    if only is not None:
        expected = [e for e in expected if e.key in only]
        general = []
    report = Report(pack, manifest, against, expected, general=list(general))
    if (pack / JOURNAL).exists():
        report.general.insert(0, Finding("check.interrupted", "the last build into this pack was interrupted while "
                                         f"writing ({JOURNAL} is still there), so manifest.json may not describe the "
                                         "files; run sowpack build again", Location(relpath(pack / JOURNAL))))
    dates: dict = {}
    for e in expected:
        report.by_deliverable[(e.service, e.deliverable)] = check_deliverable(pack, e, signature=True, dates=dates)
    for f in check_dates(pack, expected, dates):
        report.by_deliverable.setdefault((f.service, f.deliverable), []).append(f)
    if only is None:
        report.general.extend(extra_files(pack, expected))
        if rules:
            from pipeline.rules.engine import check_manifest
            report.general.extend(check_manifest(manifest, specs if spec_dir is not None else None))
    return report


# --- output ---------------------------------------------------------------------
def _file(f: Finding, pack: Path) -> str | None:
    if f.location is None or f.format is None:
        return None
    try:
        return Path(f.location.path).resolve().relative_to(pack.resolve()).as_posix()
    except ValueError:
        return f.location.path


def finding_json(f: Finding, pack: Path) -> dict:
    """One finding in the stable JSON form."""
    base = f.to_json()
    return {"code": f.code, "severity": f.severity, "message": f.message, "service": f.service,
            "deliverable": f.deliverable, "format": f.format, "file": _file(f, pack),
            "location": base["location"], "target": f.target, "cite": base.get("cite")}


def _status(fs: list[Finding]) -> str:
    if any(f.code == "completeness.missing-deliverable" for f in fs):
        return "missing"
    return "fail" if any(f.severity == ERROR for f in fs) else "pass"


def to_json(r: Report) -> str:
    deliverables = []
    for e in r.expected:
        fs = r.by_deliverable.get((e.service, e.deliverable), [])
        deliverables.append({"service": e.service, "deliverable": e.deliverable, "seed_name": e.seed_name,
                             "kind": e.kind, "formats": list(e.formats),
                             "files": [e.paths[f] for f in e.formats], "status": _status(fs),
                             "errors": sum(1 for f in fs if f.severity == ERROR),
                             "warnings": sum(1 for f in fs if f.severity == WARNING)})
    data = {"schema": JSON_SCHEMA, "tool": "sowpack", "tool_version": __version__, "pack": relpath(r.pack),
            "engagement": r.manifest.get("engagement"), "judged_against": r.against, "complete": not r.errors,
            "counts": {"deliverables": len(r.expected), "files": sum(len(e.formats) for e in r.expected),
                       "errors": r.count(ERROR), "warnings": r.count(WARNING), "info": r.count("INFO")},
            "deliverables": deliverables, "findings": [finding_json(f, r.pack) for f in r.findings]}
    return json.dumps(data, ensure_ascii=False, indent=2)


def to_text(r: Report) -> str:
    lines = [str(f) for f in r.findings]
    lines.append(f"{relpath(r.pack)}: {len(r.expected)} deliverable(s), {sum(len(e.formats) for e in r.expected)} "
                 f"file(s) checked against the {r.against}: {r.count(ERROR)} error(s), {r.count(WARNING)} warning(s), "
                 f"{r.count('INFO')} note(s): {'complete' if not r.errors else 'INCOMPLETE'}")
    return "\n".join(lines)


def to_junit(r: Report) -> str:
    """One <testcase> per deliverable (and one per service for its business rules)."""
    from xml.sax.saxutils import escape, quoteattr  # only JUnit output needs it

    cases: list[tuple[str, str, list[Finding]]] = []
    for e in r.expected:
        cases.append((f"service-{e.service:02d}", f"{e.deliverable} {e.seed_name}",
                      r.by_deliverable.get((e.service, e.deliverable), [])))
    rules: dict[int, list[Finding]] = {}
    pack_level: list[Finding] = []
    for f in r.general:
        if f.code.startswith("rules.") and f.service is not None:
            rules.setdefault(f.service, []).append(f)
        else:
            pack_level.append(f)
    services = sorted({e.service for e in r.expected} | set(rules))
    for s in services:
        cases.append((f"service-{s:02d}", "business rules", rules.get(s, [])))
    cases.append(("pack", "pack", pack_level))
    failures = sum(1 for _, _, fs in cases if any(f.severity == ERROR for f in fs))
    name = f"sowpack check {r.manifest.get('engagement')}"
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           f'<testsuites name={quoteattr(name)} tests="{len(cases)}" failures="{failures}" errors="0">',
           f'  <testsuite name={quoteattr(name)} tests="{len(cases)}" failures="{failures}" errors="0" skipped="0">']
    for classname, cname, fs in cases:
        out.append(f'    <testcase classname={quoteattr(classname)} name={quoteattr(cname)}>')
        errs = [f for f in fs if f.severity == ERROR]
        if errs:
            out.append(f'      <failure message={quoteattr(errs[0].message)} type={quoteattr(errs[0].code)}>'
                       f'{escape(chr(10).join(str(f) for f in errs))}</failure>')
        rest = [f for f in fs if f.severity != ERROR]
        if rest:
            out.append(f"      <system-out>{escape(chr(10).join(str(f) for f in rest))}</system-out>")
        out.append("    </testcase>")
    out += ["  </testsuite>", "</testsuites>"]
    return "\n".join(out)


def overview_state(r: Report) -> dict:
    """The check part of the pack's overview page (pipeline.overview)."""
    items = {}
    for e in r.expected:
        fs = r.by_deliverable.get((e.service, e.deliverable), [])
        items[e.key] = {"status": _status(fs), "errors": sum(1 for f in fs if f.severity == ERROR),
                        "warnings": sum(1 for f in fs if f.severity == WARNING)}
    return {"by": "check", "on": None, "complete": not r.errors, "deliverables": items}


def run_check(pack: Path, fmt: str, spec_dir: Path | None, *, strict: bool = False, echo=echo,
              on_report=None) -> int:
    """The `sowpack check` command: print the report; 0 complete, 1 incomplete, 2 usage or input error.

    Args:
        on_report: called with the Report before it is printed (the CLI records it on the overview page).
    """
    from pipeline.core.errors import SpecError

    try:
        report = check_pack(pack, spec_dir)
    except UsageError as exc:
        echo(f"Error: input: {printable(str(exc))}", err=True)
        return 2
    except SpecError as exc:
        for f in exc.findings:
            echo(str(f), err=True)
        echo(f"Error: spec: {exc.message}", err=True)
        return 2
    if on_report is not None:
        on_report(report)
    text = {"json": to_json, "junit": to_junit}.get(fmt, to_text)(report)
    echo(printable(text, keep_newlines=True) if fmt == "text" else text)
    if report.errors or (strict and report.count(WARNING)):
        return 1
    return 0
