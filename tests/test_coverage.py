"""Issue 4's promise: every deliverable of every spec is built by some sample engagement, and passes check."""
from __future__ import annotations

import json

import pytest

from conftest import loaded_samples, loaded_specs, per_engagement
from pipeline.checks.pack import check_outputs


def _purchases():
    return [p for eng in loaded_samples().values() for p in eng.purchases]


def _bought() -> dict[int, set[str]]:
    bought: dict[int, set[str]] = {}
    for p in _purchases():
        bought.setdefault(p.service, set()).add(p.package)
    return bought


def test_every_service_and_deliverable_is_bought_somewhere():
    specs = loaded_specs().values()
    purchases = _purchases()
    missing = []
    for s in specs:
        mine = [p for p in purchases if p.service == s.service]
        if not mine:
            missing.append(f"service {s.service}: no sample engagement buys it")
            continue
        built = {d.id for p in mine for d in s.for_package(p.package, p.select)}
        for d in s.deliverables:
            if d.id not in built:
                missing.append(f"service {s.service} {d.id}: no sample builds it (packages {list(d.packages) or 'all'}"
                               f"{', optional: select ' + (d.choice or d.id) if d.optional else ''})")
    assert not missing, "\n".join(missing)


def test_every_package_whose_deliverables_differ_is_bought():
    specs = loaded_specs().values()
    bought = _bought()
    missing = []
    for s in specs:
        # Packages that deliver the same set are interchangeable; each distinct set must be built.
        sets = {p: frozenset(d.id for d in s.for_package(p)) for p in s.package_names}
        built = {sets[p] for p in bought.get(s.service, set()) if p in sets}
        for p in s.package_names:
            if sets[p] not in built:
                missing.append(f"service {s.service}: package {p} delivers a set no sample builds")
    assert not missing, "\n".join(missing)


@pytest.mark.parametrize("engagement", per_engagement())
def test_every_sample_pack_passes_check(sample_pack, engagement):
    pack = sample_pack(engagement)
    manifest = json.loads((pack / "manifest.json").read_text(encoding="utf-8"))
    findings = check_outputs(pack, manifest)
    assert [str(f) for f in findings if f.is_error] == []
    specs = loaded_specs()
    for svc in manifest["services"]:
        spec = specs[svc["service"]]
        expected = {(d.id, fmt) for d in spec.for_package(svc["package"], svc.get("select") or ())
                    for fmt in d.formats}
        got = {(d["deliverable"], d["format"]) for d in manifest["deliverables"] if d["service"] == svc["service"]}
        assert expected == got, (svc["service"], expected ^ got)
