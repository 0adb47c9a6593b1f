"""Pictures remembered in the user cache (renderers/remembered.py): drawn once, drawn again when anything
that decides them changes."""
from __future__ import annotations

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
