"""The same inputs give the same bytes, whatever the clock and the time zone say."""
from __future__ import annotations

import time

import pytest

from conftest import SAMPLES, per_engagement
from pipeline.build.run import build
from pipeline.core.reporting import MemoryReporter


@pytest.mark.parametrize("engagement", per_engagement())
def test_two_builds_are_byte_identical(sample_pack, tmp_path, monkeypatch, engagement):
    # The session's build (conftest sets TZ=Asia/Shanghai), made earlier or just now: every file of the
    # second build is written at least one whole build later, so its timestamps differ.
    a = sample_pack(engagement)
    monkeypatch.setenv("TZ", "America/Los_Angeles")
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
    different = [str(f) for f in files_a if (a / f).read_bytes() != (b / f).read_bytes()]
    assert not different
