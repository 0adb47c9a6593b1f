"""The same inputs give the same bytes, whatever the clock says."""
from __future__ import annotations

from conftest import SAMPLES
from pipeline.build.run import build
from pipeline.core.reporting import MemoryReporter


def test_two_builds_are_byte_identical(tmp_path):
    eng = SAMPLES / "hengxin-retail"
    a, b = tmp_path / "a", tmp_path / "b"
    build([eng], a, MemoryReporter())
    build([eng], b, MemoryReporter())
    files_a = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    assert files_a == files_b and len(files_a) > 10
    different = [str(f) for f in files_a if (a / f).read_bytes() != (b / f).read_bytes()]
    assert not different
