"""The same inputs give the same bytes, whatever the clock and the time zone say."""
from __future__ import annotations

import time

import pytest

from conftest import SAMPLES, loaded_samples, loaded_specs, per_engagement
from pipeline.build.run import build
from pipeline.core.reporting import MemoryReporter

#: Samples that together build every kind of deliverable in every format, and line and bar charts
#: (jinghua-logistics, jinghua-fresh): each costs a second full build, so not all 24 of them.
DETERMINISM_SAMPLES = ["hengxin-retail", "jinghua-fresh", "jinghua-logistics", "mingde-logistics", "tianyu-energy",
                       "xinghe-futures", "yunhai-insurance"]


def _kinds_and_formats(names) -> set[tuple[str, str]]:
    specs = loaded_specs()
    return {(d.kind, fmt) for name in names for p in loaded_samples()[name].purchases
            for d in specs[p.service].for_package(p.package, p.select) for fmt in d.formats}


def test_the_determinism_samples_build_every_kind_in_every_format():
    missing = _kinds_and_formats(loaded_samples()) - _kinds_and_formats(DETERMINISM_SAMPLES)
    assert not missing, f"add a sample that builds {sorted(missing)} to DETERMINISM_SAMPLES"


#: The pack overview: index.html and its record.
OVERVIEW = ("index.html", ".sowpack-overview.json")


@pytest.mark.parametrize("engagement", per_engagement(DETERMINISM_SAMPLES))
def test_two_builds_are_byte_identical(sample_pack, tmp_path, monkeypatch, engagement):
    # The session's build (conftest sets TZ=Asia/Shanghai), made earlier or just now: every file of the
    # second build is written at least one whole build later, so its timestamps differ.
    a = sample_pack(engagement)
    monkeypatch.setenv("TZ", "America/Los_Angeles")
    # Everything made again, charts and diagrams drawn again: nothing taken from the user's cache.
    monkeypatch.setenv("SOWPACK_NO_CACHE", "1")
    time.tzset()
    try:
        build([SAMPLES / engagement], tmp_path, MemoryReporter())
    finally:
        monkeypatch.undo()
        time.tzset()
    b = tmp_path / engagement
    files_a = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    assert files_a == files_b and len(files_a) > 1
    # The overview page records what `check` and `signoff` last found, and other tests run those on the
    # shared pack: it is compared between two fresh builds below, not here.
    different = [str(f) for f in files_a if (a / f).read_bytes() != (b / f).read_bytes()
                 and str(f) not in OVERVIEW]
    assert not different


@pytest.mark.packs
def test_the_overview_of_two_fresh_builds_is_byte_identical(tmp_path, monkeypatch):
    build([SAMPLES / "hengxin-outlets"], tmp_path / "a", MemoryReporter())
    monkeypatch.setenv("TZ", "America/Los_Angeles")
    time.tzset()
    try:
        build([SAMPLES / "hengxin-outlets"], tmp_path / "b", MemoryReporter())
    finally:
        monkeypatch.undo()
        time.tzset()
    for name in OVERVIEW:
        assert (tmp_path / "a" / "hengxin-outlets" / name).read_bytes() == \
            (tmp_path / "b" / "hengxin-outlets" / name).read_bytes(), name
