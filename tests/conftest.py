"""Shared fixtures: the project root, sample packs built on demand, small engagement trees.

Tiers: a test that needs a built sample pack (a full build of one engagement under
sample_inputs/) is marked `packs`; `make test-unit` runs everything else. Such a test names
its engagement in its id (parametrized with per_engagement), and `--dist loadgroup` sends
every test of one engagement to one xdist worker, which builds that pack once.
"""
from __future__ import annotations

import os
import re
import shutil
from functools import lru_cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "deliverable_specs"
SAMPLES = ROOT / "sample_inputs"
GOLDEN = Path(__file__).resolve().parent / "golden"

os.environ.setdefault("TZ", "Asia/Shanghai")


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true", help="rewrite tests/golden/ from the current outputs")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """A test that asks for a sample pack must be marked `packs`, or `make test-unit` would build one."""
    unmarked = [item.nodeid for item in items
                if "sample_pack" in getattr(item, "fixturenames", ()) and item.get_closest_marker("packs") is None]
    if unmarked:
        raise pytest.UsageError("these tests use sample_pack but are not parametrized with per_engagement "
                                "(or marked @pytest.mark.packs):\n  " + "\n  ".join(unmarked))


def engagement_in(nodeid: str, names: list[str]) -> str | None:
    """The engagement of `names` a test id names in its parameters.

    The longest name wins: hengxin-retail-b, not hengxin-retail.
    """
    params = nodeid.partition("[")[2].rpartition("]")[0]
    hits = [n for n in names if re.search(rf"(?:^|-){re.escape(n)}(?:-|$)", params)]
    return max(hits, key=len, default=None)


@pytest.hookimpl(tryfirst=True, optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """`--dist loadgroup`, grouped by the engagement a test id names: one worker runs all its tests and builds it once.

    Not xdist's own loadgroup: with pytest 9.2 its xdist_group marks are silently ignored
    (pytest-dev/pytest-xdist#1386). Tests that name no engagement are spread one by one.
    """
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    names = [d.name for d in sample_engagements()]

    class ByEngagement(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return engagement_in(nodeid, names) or nodeid

    return ByEngagement(config, log)


def sample_engagements() -> list[Path]:
    return sorted(p.parent for p in SAMPLES.glob("*/engagement.yaml"))


@lru_cache(maxsize=1)
def loaded_specs() -> dict:
    """{service: SowSpec} of deliverable_specs/, loaded once per process (do not modify them)."""
    from pipeline.specs.load import require_specs

    return {s.service: s for s in require_specs(SPECS)[0]}


@lru_cache(maxsize=1)
def loaded_samples() -> dict:
    """{name: Engagement} of every sample, loaded once per process (do not modify them).

    Fails on one that does not load.
    """
    from pipeline.inputs.load import load_engagement

    out = {}
    for d in sample_engagements():
        eng, findings = load_engagement(d)
        assert eng is not None, [str(f) for f in findings]
        out[d.name] = eng
    return out


def per_engagement(names: list[str] | None = None) -> list:
    """One pytest.param per sample engagement (all by default), marked `packs`, its id the engagement's name.

    For @pytest.mark.parametrize("engagement", ...), or as the params of a fixture that uses one pack.
    """
    names = [d.name for d in sample_engagements()] if names is None else names
    return [pytest.param(n, id=n, marks=pytest.mark.packs) for n in names]


@pytest.fixture(scope="session")
def sample_pack(tmp_path_factory):
    """sample_pack(name) builds sample_inputs/<name> once per session (per xdist worker) and returns its pack folder.

    The folder is shared by every test of the session: read it, or copy it before changing anything.
    """
    from pipeline.build.run import build
    from pipeline.core.reporting import MemoryReporter

    built: dict[str, Path] = {}

    def get(name: str) -> Path:
        if name not in built:
            assert (SAMPLES / name / "engagement.yaml").is_file(), f"no sample engagement {name!r}"
            out = tmp_path_factory.mktemp(f"pack-{name}")
            reporter = MemoryReporter()
            build([SAMPLES / name], out, reporter)
            assert not [f for f in reporter.findings if f.is_error], [str(f) for f in reporter.findings]
            built[name] = out / name
        return built[name]
    return get


@pytest.fixture
def sample_copy(tmp_path):
    """Copy sample_inputs/<name> into tmp_path and return the copy, free to edit."""
    def make(name: str) -> Path:
        dst = tmp_path / name
        shutil.copytree(SAMPLES / name, dst)
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


@pytest.fixture(scope="session")
def _mini_built_once(tmp_path_factory) -> MiniEngagement:
    """The tiny engagement built once per session, from its own folder as a test would (built_mini copies it)."""
    m = MiniEngagement(tmp_path_factory.mktemp("mini"))
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(m.root)
        result = m.build()
    assert result.exit_code == 0, result.output
    return m


@pytest.fixture
def built_mini(mini_engagement, _mini_built_once) -> MiniEngagement:
    """mini_engagement after its first build: a copy of one build per session (manifest paths are relative)."""
    shutil.copytree(_mini_built_once.out, mini_engagement.out)
    return mini_engagement


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


def write_workbook(path: Path, rows, title: str = "资源清单") -> Path:
    """An .xlsx at path (written by openpyxl, as a customer's Excel would be) with one sheet of these rows."""
    from openpyxl import Workbook
    wb = Workbook()
    ws = wb.active
    ws.title = title
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path
