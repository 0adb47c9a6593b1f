"""What a pack must contain: from the specs of the services and packages its manifest names,
or, when no specs are at hand, from the structure the build recorded in the manifest."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pipeline.core.errors import Finding, Location, SpecError, errors_in, relpath
from pipeline.core.manifest import MANIFEST
from pipeline.core.writer import safe_name


@dataclass
class Expected:
    """One deliverable the pack must hold, in each of its formats."""

    service: int
    deliverable: str
    seed_name: str
    kind: str
    formats: list[str]
    #: format -> path relative to the pack
    paths: dict[str, str]
    #: [{title, level, leaf, requires?}] in document order (every depth)
    sections: list[dict]
    columns: list[str]
    #: format -> sha256 the build recorded (None when the manifest does not list it)
    built_sha256: dict[str, str | None] = field(default_factory=dict)
    #: The numbers the build computed from the deliverable's registers ({section, expr, value, sources}),
    #: which `check` recomputes from the registers as they are on disk.
    computed: list[dict] = field(default_factory=list)
    #: Minutes of a review: the ids of the deliverables the meeting reviews.
    reviews: list[str] = field(default_factory=list)
    #: The document date the build planned (ISO), when the manifest records it.
    date: str | None = None
    #: final / draft: whether the meeting reviewed the issued documents or their drafts.
    review_of: str = "final"

    @property
    def key(self) -> str:
        return f"{self.service:02d}/{self.deliverable}"


def _walk(sections, level=1):
    for s in sections:
        yield {"title": s.title, "level": level, "leaf": not s.children,
               **({"requires": list(s.requires)} if s.requires else {})}
        yield from _walk(s.children, level + 1)


def from_manifest(manifest: dict) -> list[Expected]:
    """The deliverables the manifest lists, grouped by (service, deliverable)."""
    out: dict[tuple, Expected] = {}
    for d in manifest.get("deliverables") or []:
        if not isinstance(d, dict) or not d.get("path") or not d.get("format"):
            continue
        k = (d.get("service"), d.get("deliverable"))
        e = out.get(k)
        if e is None:
            e = out[k] = Expected(d.get("service") or 0, str(d.get("deliverable")), str(d.get("seed_name", "")),
                                  str(d.get("kind", "")), [], {}, list(d.get("sections") or []),
                                  list(d.get("columns") or []), reviews=[str(r) for r in d.get("reviews") or []],
                                  date=d.get("date") if isinstance(d.get("date"), str) else None,
                                  review_of="draft" if d.get("review_of") == "draft" else "final")
        e.formats.append(d["format"])
        e.paths[d["format"]] = d["path"]
        if isinstance(d.get("computed"), list) and not e.computed:
            e.computed = [c for c in d["computed"] if isinstance(c, dict)]
        e.built_sha256[d["format"]] = d.get("sha256")
    return list(out.values())


def load_needed_specs(spec_dir: Path, services: list[int]) -> tuple[dict, list[Finding]]:
    """Load only the specs of the given services (and _kinds.yaml).

    Raises:
        SpecError: a needed spec has errors.
    """
    from pipeline.specs.load import load_kinds, load_spec

    kinds_path = spec_dir / "_kinds.yaml"
    kinds, findings = _cached(kinds_path, None, lambda: load_kinds(spec_dir))
    if errors_in(findings):
        raise SpecError(f"{len(errors_in(findings))} error(s) in {relpath(kinds_path)}", findings)
    specs = {}
    for n in sorted(set(services)):
        for path in sorted(spec_dir.glob(f"{n:02d}-*.yaml")):
            spec, found = _cached(path, kinds_path, lambda path=path: load_spec(path, kinds))
            if errors_in(found):
                raise SpecError(f"{len(errors_in(found))} error(s) in {relpath(path)}", found)
            if spec is not None and spec.service == n:
                specs[n] = spec
    return specs, []


_SPEC_CACHE: dict[tuple, tuple] = {}


def _stamp(path: Path | None) -> tuple:
    if path is None:
        return ()
    st = path.stat()
    return (str(path.resolve()), st.st_mtime_ns, st.st_size)


def _cached(path: Path, depends: Path | None, load):
    # A process that checks many packs (CI over every engagement, the benchmark, a
    # sign-off session) parses each spec once; an edited file is reloaded.
    key = _stamp(path) + _stamp(depends)
    if key not in _SPEC_CACHE:
        _SPEC_CACHE[key] = load()
    return _SPEC_CACHE[key]


def from_specs(manifest: dict, specs: dict, pack: Path) -> tuple[list[Expected], list[Finding]]:
    """Every deliverable each bought service's spec requires at the package bought.

    Paths come from the manifest when it lists the file; otherwise they are derived the
    way the build names files, so a deliverable absent from the manifest is still found
    missing. Services without a spec fall back to the manifest's structure.
    """
    recorded = {(e.service, e.deliverable): e for e in from_manifest(manifest)}
    short = manifest.get("customer_short")
    where = Location(relpath(pack / MANIFEST))
    out: list[Expected] = []
    findings: list[Finding] = []
    used = set()
    for s in manifest.get("services") or []:
        n, package = s.get("service"), s.get("package")
        spec = specs.get(n)
        if spec is None or package not in spec.package_names:
            what = f"no spec for service {n}" if spec is None else \
                f"service {n} has no package '{package}' in {spec.path}"
            findings.append(Finding("check.unknown-service", f"{what}; judged against the structure recorded in "
                                    "manifest.json instead", where, service=n))
            continue
        if s.get("spec_sha256") and s["spec_sha256"] != spec.digest:
            findings.append(Finding("check.spec-changed", f"{spec.path} changed since this pack was built; judged "
                                    "against the current spec", where, service=n))
        for d in spec.for_package(package, s.get("select") or ()):
            rec = recorded.get((n, d.id))
            used.add((n, d.id))
            paths = {}
            for fmt in d.formats:
                if rec is not None and fmt in rec.paths:
                    paths[fmt] = rec.paths[fmt]
                elif rec is not None and rec.paths:
                    paths[fmt] = str(Path(next(iter(rec.paths.values()))).with_suffix("." + fmt))
                elif short:
                    paths[fmt] = f"{spec.folder}/{safe_name(d.display_title(short))}.{fmt}"
                else:
                    paths[fmt] = f"{spec.folder}/{safe_name(d.display_title(manifest.get('customer') or ''))}.{fmt}"
            out.append(Expected(n, d.id, d.seed_name, d.kind, list(d.formats), paths, list(_walk(d.sections)),
                                [c.name for c in d.columns], dict(rec.built_sha256) if rec else {},
                                list(rec.computed) if rec else [], list(d.reviews), rec.date if rec else None,
                                d.review_of))
    known = {s.get("service") for s in manifest.get("services") or []
             if specs.get(s.get("service")) is not None and s.get("package") in specs[s.get("service")].package_names}
    for k, rec in recorded.items():
        if k in used:
            continue
        if rec.service in known:
            findings.append(Finding("check.not-in-spec", f"'{rec.deliverable}' is in the pack but the spec no longer "
                                    "requires it at this package; checked against its recorded structure", where,
                                    service=rec.service, deliverable=rec.deliverable))
        out.append(rec)
    return out, findings
