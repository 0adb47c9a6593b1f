"""Shared fixtures: the project root, built sample packs, small engagement trees."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "deliverable_specs"
SAMPLES = ROOT / "sample_inputs"
ROOTS = Path(__file__).resolve().parent / "roots"
GOLDEN = Path(__file__).resolve().parent / "golden"

os.environ.setdefault("TZ", "Asia/Shanghai")


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true", help="rewrite tests/golden/ from the current outputs")


def sample_engagements() -> list[Path]:
    return sorted(p.parent for p in SAMPLES.glob("*/engagement.yaml"))


@pytest.fixture(scope="session")
def built_samples(tmp_path_factory) -> Path:
    """Every sample engagement built once per test session; returns the output folder."""
    from pipeline.build import build
    from pipeline.reporting import MemoryReporter

    out = tmp_path_factory.mktemp("packs")
    reporter = MemoryReporter()
    build(sample_engagements(), out, reporter)
    assert not [f for f in reporter.findings if f.is_error], [str(f) for f in reporter.findings]
    return out


@pytest.fixture
def root_copy(tmp_path):
    """Copy tests/roots/<name> (or a sample engagement) into tmp_path and return the copy."""
    def make(name: str) -> Path:
        src = ROOTS / name if (ROOTS / name).exists() else SAMPLES / name
        dst = tmp_path / name
        shutil.copytree(src, dst)
        return dst
    return make


def write_tree(base: Path, files: dict[str, str | bytes]) -> Path:
    """Create files under base from {relative path: text or bytes}."""
    for rel, content in files.items():
        p = base / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(content, encoding="utf-8")
    return base
