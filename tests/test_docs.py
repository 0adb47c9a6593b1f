"""The docs work from a fresh clone: their links resolve, and the seed they point at is the one the specs cite."""
from __future__ import annotations

import re

from conftest import ROOT, SPECS
from pipeline.core.paths import SEED
from pipeline.specs.load import load_specs


def test_readme_links_resolve_inside_the_repository():
    for doc in (ROOT / "README.md", SPECS / "README.md"):
        links = re.findall(r"\]\(([^)#:]+)\)", doc.read_text(encoding="utf-8"))
        assert links, doc
        for link in links:
            assert (doc.parent / link).resolve().is_file(), f"{doc.name}: {link}"
    assert "seed/000_e82516de50cc8a61.txt" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_each_spec_starts_where_the_seed_starts_its_sow():
    lines = SEED.read_text(encoding="utf-8").splitlines()
    specs, _ = load_specs(SPECS)
    for s in specs:
        first = lines[s.seed_lines[0] - 1]
        assert re.match(rf"\s*{s.service}[.、]", first), (s.path, first)
