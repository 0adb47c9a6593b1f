"""Every sample pack, service by service, against its golden text dump (`make golden` rewrites them)."""
from __future__ import annotations

import difflib
import json

import pytest

from conftest import GOLDEN, per_engagement
from golden import dump_service


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

