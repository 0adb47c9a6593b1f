"""Every sample pack, service by service, against its golden text dump (`make golden` rewrites them)."""
from __future__ import annotations

import difflib

import pytest

from conftest import GOLDEN, sample_engagements
from golden import dump_service


def _cases():
    from pipeline.specs.load import load_specs
    from pipeline.inputs.load import load_engagement
    from conftest import SPECS
    specs = {s.service: s for s in load_specs(SPECS)[0]}
    out = []
    for eng_dir in sample_engagements():
        eng, _ = load_engagement(eng_dir)
        if eng is None:
            continue
        for p in eng.purchases:
            if p.service in specs:
                out.append((eng.name, specs[p.service].folder))
    return out


@pytest.mark.parametrize("engagement,folder", _cases())
def test_golden(built_samples, request, engagement, folder):
    actual = dump_service(built_samples / engagement / folder)
    golden = GOLDEN / engagement / f"{folder}.txt"
    if request.config.getoption("--update-golden"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(actual, encoding="utf-8")
        pytest.skip("golden updated")
    assert golden.exists(), f"no golden file {golden}; run `make golden` and review the diff"
    expected = golden.read_text(encoding="utf-8")
    if actual != expected:
        diff = "".join(difflib.unified_diff(expected.splitlines(True), actual.splitlines(True),
                                            str(golden), "actual", n=2))
        pytest.fail(f"golden mismatch for {engagement}/{folder} (run `make golden` if intended):\n{diff[:6000]}")
