"""Every sample pack, service by service, against its golden text dump (`make golden` rewrites them)."""
from __future__ import annotations

import difflib
import json
import shutil
from pathlib import Path

import pytest

from conftest import GOLDEN, loaded_samples, loaded_specs, per_engagement
from golden import dump_service


def _cases() -> list[tuple[str, str]]:
    """(engagement, service folder) of every service folder the samples produce."""
    specs = loaded_specs()
    return [(name, specs[p.service].folder) for name, eng in loaded_samples().items()
            for p in eng.purchases if p.service in specs]


def _golden_path(engagement: str, folder: str):
    return GOLDEN / engagement / f"{folder}.txt"


@pytest.mark.parametrize("engagement", per_engagement())
def test_golden(sample_pack, request, engagement):
    pack = sample_pack(engagement)
    manifest = json.loads((pack / "manifest.json").read_text(encoding="utf-8"))
    folders = [s["folder"] for s in manifest["services"]]
    assert folders
    actual = {folder: dump_service(pack / folder) for folder in folders}
    if request.config.getoption("--update-golden"):
        for folder, text in actual.items():
            golden = _golden_path(engagement, folder)
            golden.parent.mkdir(parents=True, exist_ok=True)
            golden.write_text(text, encoding="utf-8")
        pytest.skip("golden updated")
    problems = []
    for folder, text in actual.items():
        golden = _golden_path(engagement, folder)
        if not golden.exists():
            problems.append(f"no golden file {golden}")
            continue
        expected = golden.read_text(encoding="utf-8")
        if text != expected:
            diff = "".join(difflib.unified_diff(expected.splitlines(True), text.splitlines(True),
                                                str(golden), "actual", n=2))
            problems.append(f"golden mismatch for {engagement}/{folder}:\n{diff[:6000]}")
    if problems:
        pytest.fail("\n".join(problems) + "\n(run `make golden` if intended, and review the diff)")


def orphans() -> list[Path]:
    """Files and folders under tests/golden/ that no current sample output produces (a folder, not its files)."""
    wanted = {_golden_path(e, f) for e, f in _cases()}
    folders = {p.parent for p in wanted}
    return sorted(p for p in GOLDEN.rglob("*")
                  if p not in wanted and p not in folders and p.parent in folders | {GOLDEN})


def test_no_orphaned_golden_files(request):
    found = orphans()
    if request.config.getoption("--update-golden"):
        for p in found:
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p)
            else:
                p.unlink()
        assert orphans() == []
        return
    assert not found, ("golden files that no sample output produces (a removed engagement or service?); "
                       "run `make golden` to remove them, and review the diff:\n  "
                       + "\n  ".join(p.relative_to(GOLDEN).as_posix() for p in found))
