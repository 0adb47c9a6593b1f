"""The reader `sowpack check` uses and the golden dump reader see the same structure in a built pack."""
from __future__ import annotations

import shutil

import pytest
import yaml

from conftest import SAMPLES
from pipeline.core.formats import FORMATS
from pipeline.readers import dump
from pipeline.readers.common import norm_title
from pipeline.readers.read import read

#: Service 1 of this engagement is the smallest sample that holds a file of every format.
ENGAGEMENT, SERVICE = "hengxin-retail", 1


@pytest.fixture(scope="module")
def pack(tmp_path_factory):
    """The sample engagement, cut down to one service, built once."""
    from pipeline.build.run import build
    from pipeline.core.reporting import MemoryReporter

    eng = tmp_path_factory.mktemp("eng") / ENGAGEMENT
    shutil.copytree(SAMPLES / ENGAGEMENT, eng)
    data = yaml.safe_load((eng / "engagement.yaml").read_text(encoding="utf-8"))
    data["services"] = [s for s in data["services"] if s["service"] == SERVICE]
    (eng / "engagement.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    out = tmp_path_factory.mktemp("out")
    reporter = MemoryReporter()
    build([eng], out, reporter, verify=False)
    assert not [f for f in reporter.findings if f.is_error], [str(f) for f in reporter.findings]
    return sorted(p for p in (out / ENGAGEMENT).rglob("*") if p.suffix[1:] in FORMATS)


def _headings(path):
    """(title, level) of every heading: Word headings, PDF bookmarks."""
    return ([(h.title, h.level) for h in read(path).headings],
            [(norm_title(h.title), h.level) for h in dump.read(path).headings])


def _slide_sections(path):
    """The section of every slide, in order (the path shown above its title, else its title), each run once."""
    def runs(titles):
        return [t for k, t in enumerate(titles) if k == 0 or titles[k - 1] != t]
    return (runs([h.title for h in read(path).headings]),
            runs([norm_title(h.title) for h in dump.read(path).headings]))


def _sheet_headers(path):
    """Every worksheet's name and header row (its first row), without trailing blank cells."""
    def trim(cells):
        cells = [str(c).strip() for c in cells]
        while cells and not cells[-1]:
            cells.pop()
        return cells
    return ([(s.name, trim(s.grid[0][1]) if s.grid else []) for s in read(path).sheets],
            [(name, trim(header)) for name, (header, _) in dump.read(path).sheets.items()])


#: What both readers must agree on, per format.
COMPARED = {"docx": _headings, "pdf": _headings, "pptx": _slide_sections, "xlsx": _sheet_headers}


def test_every_format_is_compared():
    assert set(COMPARED) == set(FORMATS)


def test_the_pack_holds_every_format(pack):
    assert {p.suffix[1:] for p in pack} == set(FORMATS)


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_check_reader_and_dump_reader_agree(pack, fmt):
    for path in (p for p in pack if p.suffix[1:] == fmt):
        seen, dumped = COMPARED[fmt](path)
        assert seen, f"{path.name}: nothing to compare"
        assert seen == dumped, path.name


def test_a_workbooks_cells_are_texts_when_asked(tmp_path):
    """Every cell that shows something is a Text of every_text(), sheet by sheet with its header
    and footer after it, and strings() holds the same text without making one per cell."""
    import openpyxl

    from pipeline.readers.common import Text

    wb = openpyxl.Workbook()
    cover = wb.active
    cover.title = "封面"
    cover["A1"], cover["B3"], cover["C3"] = "资源台账", "（草稿）", "   "
    reg = wb.create_sheet("资源台账")
    reg.append(["资源ID", "状态"])
    reg.append(["i-001", "待补充"])
    reg["AA4"] = 42
    reg.oddHeader.center.text = "页眉文字"
    path = tmp_path / "台账.xlsx"
    wb.save(path)

    seen = read(path)
    cells = [Text("资源台账", "cell", None, "A1", "封面"), Text("（草稿）", "cell", None, "B3", "封面"),
             Text("资源ID", "cell", None, "A1", "资源台账"), Text("状态", "cell", None, "B1", "资源台账"),
             Text("i-001", "cell", None, "A2", "资源台账"), Text("待补充", "cell", None, "B2", "资源台账"),
             Text("42", "cell", None, "AA4", "资源台账")]
    every = list(seen.every_text())
    assert [t for t in every if t.where == "cell"] == cells
    header = [i for i, t in enumerate(every) if t.where == "header"]
    assert header == [len(every) - 1] and "页眉文字" in every[-1].text and every[-1].sheet == "资源台账"
    assert all(t.where != "cell" for t in seen.texts)  # cells live in the sheets only
    assert {s for s in seen.strings() if s.strip()} == {t.text for t in every}
