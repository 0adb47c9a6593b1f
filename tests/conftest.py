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
    from pipeline.build.run import build
    from pipeline.core.reporting import MemoryReporter

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


MINI = Path(__file__).resolve().parent / "bad_inputs" / "_base"


class MiniEngagement:
    """A fresh copy of the tiny engagement and specs in tests/bad_inputs/_base, and ways to poke it."""

    def __init__(self, root: Path) -> None:
        shutil.copytree(MINI / "engagement", root / "eng")
        shutil.copytree(MINI / "specs", root / "specs")
        self.root = root
        self.eng = root / "eng"
        self.specs = root / "specs"
        self.out = root / "out"
        self.pack = root / "out" / "eng"

    def build(self, *args: str):
        from click.testing import CliRunner
        from pipeline.cli import main
        return CliRunner().invoke(main, ["build", str(self.eng), "--specs", str(self.specs),
                                         "--out", str(self.out), *args])

    def edit(self, rel: str, old: str, new: str) -> None:
        p = self.root / rel if rel.startswith("specs/") else self.eng / rel
        text = p.read_text(encoding="utf-8")
        assert old in text
        p.write_text(text.replace(old, new, 1), encoding="utf-8")

    def load(self, rel: str) -> dict:
        import yaml
        return yaml.safe_load((self.eng / rel).read_text(encoding="utf-8"))

    def save(self, rel: str, data: dict) -> None:
        import yaml
        # allow_unicode=False: control characters and surrogates are written as YAML escapes.
        (self.eng / rel).write_text(yaml.safe_dump(data, allow_unicode=False, sort_keys=False), encoding="utf-8")

    def answers(self, **sections) -> dict:
        data = self.load("answers/90-mini.yaml")
        data["deliverables"]["report"]["sections"].update(sections)
        return data

    def manifest(self) -> dict:
        import json
        return json.loads((self.pack / "manifest.json").read_text(encoding="utf-8"))

    def entry(self, rel: str) -> dict:
        return next(d for d in self.manifest()["deliverables"] if d["path"] == rel)

    def files(self) -> dict[str, bytes]:
        return {p.relative_to(self.pack).as_posix(): p.read_bytes()
                for p in sorted(self.pack.rglob("*")) if p.is_file()}


@pytest.fixture
def mini_engagement(tmp_path, monkeypatch) -> MiniEngagement:
    """The tiny engagement copied into tmp_path (the working directory), not yet built."""
    monkeypatch.chdir(tmp_path)
    return MiniEngagement(tmp_path)


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
