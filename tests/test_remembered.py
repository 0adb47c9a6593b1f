"""Pictures remembered in the user cache (renderers/remembered.py): drawn once, drawn again when anything
that decides them changes."""
from __future__ import annotations

from conftest import write_workbook

from pipeline.document.nodes import Chart
from pipeline.renderers import remembered as mod


def test_a_picture_is_drawn_once_per_machine_and_again_when_its_data_or_code_changes(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("SOWPACK_NO_CACHE", raising=False)
    drawn: list[str] = []

    def draw(chart: Chart) -> bytes:
        drawn.append(chart.title)
        return f"PNG {chart.title}".encode()

    code = tmp_path / "drawing.py"
    code.write_text("# version 1\n")
    a = Chart("bar", "月度费用", ("1月", "2月"), (("费用", (1.0, 2.0)),))
    assert mod.remembered(a, draw, str(code)) == "PNG 月度费用".encode()
    assert mod.remembered(a, draw, str(code)) == "PNG 月度费用".encode() and drawn == ["月度费用"]
    b = Chart("bar", "月度费用", ("1月", "2月"), (("费用", (1.0, 3.0)),))  # one value differs
    mod.remembered(b, draw, str(code))
    assert drawn == ["月度费用", "月度费用"]
    code.write_text("# version 2\n")  # the drawing code changed
    mod._version.cache_clear()
    mod.remembered(a, draw, str(code))
    assert len(drawn) == 3
    monkeypatch.setenv("SOWPACK_NO_CACHE", "1")
    mod.remembered(a, draw, str(code))
    assert len(drawn) == 4


def test_a_rebuild_from_unchanged_inputs_does_not_load_the_yaml_and_markdown_parsers(mini_engagement, tmp_path):
    """Parsed YAML and Markdown are in the user cache after the first build, so a forced rebuild
    neither parses nor imports PyYAML and markdown-it (70 ms of every command's start), and writes
    the same bytes."""
    import os
    import subprocess
    import sys

    m = mini_engagement
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    env.pop("SOWPACK_NO_CACHE", None)
    code = ("import sys\n"
            "from pipeline.cli import main\n"
            "try:\n"
            "    main(sys.argv[1:])\n"
            "finally:\n"
            "    print('loaded:', sorted(n for n in ('yaml', 'markdown_it') if n in sys.modules), file=sys.stderr)\n")
    args = ["build", str(m.eng), "--specs", str(m.specs), "--out", str(m.out), "--force", "-j", "1"]
    runs = []
    for _ in range(2):
        out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env,
                             timeout=300, cwd=tmp_path)
        assert out.returncode == 0, out.stderr
        runs.append((out.stderr.strip().splitlines()[-1], m.files()))
    assert runs[0][0] == "loaded: ['markdown_it', 'yaml']"  # the first build parses everything
    assert runs[1][0] == "loaded: []"
    assert runs[1][1] == runs[0][1]


def test_a_workbook_read_without_findings_is_remembered_with_its_values_and_cells(tmp_path, monkeypatch):
    """The second read of the same bytes comes from the cache: the same values (dates as dates),
    the same cell of each value (rows after a blank row included), and openpyxl is not opened."""
    import datetime as dt

    import pipeline.inputs.excel_source as xs

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("SOWPACK_NO_CACHE", raising=False)
    path = write_workbook(tmp_path / "台账.xlsx", [["编号", "资源名称", "上线日期"],
                                                   ["R-1", "订单库", dt.datetime(2026, 3, 2)],
                                                   [None, None, None], ["R-2", None, dt.datetime(2026, 4, 1, 9, 30)]])
    first, found = xs.read_rows(path, "资源清单")
    assert found == [] and [r["编号"] for r in first.rows] == ["R-1", "R-2"]
    opened = []
    real = xs._read_rows
    monkeypatch.setattr(xs, "_read_rows", lambda *a: opened.append(a) or real(*a))
    again, found = xs.read_rows(path, "资源清单")
    assert opened == [] and found == []
    assert again.header == first.header and again.rows == first.rows
    assert again.rows[1]["上线日期"] == dt.datetime(2026, 4, 1, 9, 30)
    assert dict(again.locations) == dict(first.locations)
    assert again.locations[(1, "资源名称")].cell == "B4"  # row 3 of the sheet is blank
    assert again.locations[(-1, "上线日期")].cell == "C1" and again.source == first.source
    # Other bytes, another sheet name or lower limits: read again.
    write_workbook(path, [["编号", "资源名称", "上线日期"], ["R-9", "日志库", None]])
    assert [r["编号"] for r in xs.read_rows(path, "资源清单")[0].rows] == ["R-9"] and len(opened) == 1
    assert xs.read_rows(path, "其他")[0] is None and len(opened) == 2
    monkeypatch.setattr(xs, "MAX_ROWS", 0)
    rows, found = xs.read_rows(path, "资源清单")
    assert rows is None and "more than 0 rows" in found[0].message and len(opened) == 3


def test_a_workbook_read_with_a_finding_is_read_again_each_time(tmp_path, monkeypatch):
    import pipeline.inputs.excel_source as xs

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("SOWPACK_NO_CACHE", raising=False)
    path = write_workbook(tmp_path / "台账.xlsx", [["编号", "资源名称"], ["R-1", "订单库"]])
    opened = []
    real = xs._read_rows
    monkeypatch.setattr(xs, "_read_rows", lambda *a: opened.append(a) or real(*a))
    for _ in range(2):
        rows, found = xs.read_rows(path, "没有这张表")
        assert rows is None and "no sheet named" in found[0].message
    assert len(opened) == 2
    assert not list((tmp_path / "cache").rglob("*.bin"))
