"""The format table is the one place a format is declared: renderers, readers, spec formats, fingerprints."""
from __future__ import annotations

import inspect
import sys
from pathlib import Path

import pytest

from pipeline.core.formats import FORMATS, load
from pipeline.core.paths import TEMPLATES
from pipeline.renderers import get_renderer
from pipeline.renderers.base import Renderer

ROWS = sorted(FORMATS)


def _asset_files(rel: str) -> set[str]:
    base = TEMPLATES / rel
    files = sorted(p for p in base.rglob("*") if p.is_file()) if rel.endswith("/") else [base]
    return {p.relative_to(TEMPLATES).as_posix() for p in files}


@pytest.mark.parametrize("name", ROWS)
def test_row_renderer_writes_the_row_format(name):
    row = FORMATS[name]
    cls = load(row.renderer)
    assert issubclass(cls, Renderer) and cls.format == name == row.suffix[1:]
    assert type(get_renderer(name)) is cls


@pytest.mark.parametrize("name", ROWS)
def test_row_readers_load(name):
    row = FORMATS[name]
    for ref in (row.reader, row.dump):
        fn = load(ref)
        assert callable(fn) and len(inspect.signature(fn).parameters) == 1, ref
    assert row.container in ("zip", "pdf")  # what readers.common.sniff can tell
    assert row.label and row.media_type.count("/") == 1


def test_specs_may_name_exactly_the_table_formats():
    from pipeline.specs.model import FORMATS as SPEC_FORMATS
    assert list(SPEC_FORMATS) == list(FORMATS)


def test_messages_name_every_format_from_the_table():
    from pipeline.readers.common import FORMAT_NAMES
    assert {k: v for k, v in FORMAT_NAMES.items() if k in FORMATS} == {n: f.label for n, f in FORMATS.items()}


@pytest.mark.parametrize("name", ROWS)
def test_fingerprints_hash_the_row_assets(name):
    from pipeline.build.incremental import template_digests
    digests = template_digests("report", name)
    assets = set().union(*map(_asset_files, FORMATS[name].assets)) if FORMATS[name].assets else set()
    # Besides its text templates and its row's assets, every output depends on the glossary
    # its front matter draws from, whatever the format.
    assert {k for k in digests if not k.startswith("text/")} == assets | {"glossary.yaml"}
    assert all(digests[k] != "missing" for k in assets | {"glossary.yaml"})


@pytest.mark.parametrize("name", ROWS)
def test_row_assets_cover_every_template_path_its_renderer_names(name):
    module = sys.modules[load(FORMATS[name].renderer).__module__]
    roots = [TEMPLATES / rel for rel in FORMATS[name].assets]
    for attr, value in vars(module).items():
        if isinstance(value, Path) and TEMPLATES in value.parents:
            assert any(value == r or r in value.parents for r in roots), f"{module.__name__}.{attr} = {value}"
