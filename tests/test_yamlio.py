"""YAML with positions: a parse is remembered by the file's bytes, and only a good parse."""
from __future__ import annotations

import datetime as dt

import pipeline.core.yamlio as yamlio
import pipeline.core.yamlparse as yamlparse


def test_a_parse_is_remembered_and_forgotten_when_the_file_changes(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    f = tmp_path / "answers.yaml"
    f.write_text("version: 1\nfacts:\n  start: 2026-03-02\n  when: 2026-03-02 10:00:00+08:00\n  1: [a, {b: 2.5}]\n",
                 encoding="utf-8")
    first = yamlio.load_yaml(f, "input")
    assert first[0]["facts"]["start"] == dt.date(2026, 3, 2) and first[1][("facts", "1")] == (5, 3)

    def no_parse(text):
        raise AssertionError("parsed again")
    monkeypatch.setattr(yamlparse, "_compose", no_parse)
    assert yamlio.load_yaml(f, "input") == first
    monkeypatch.undo()
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    f.write_text("version: 1\nfacts: [\n", encoding="utf-8")  # now broken: the message, not the old data
    data, _, findings = yamlio.load_yaml(f, "input")
    assert data is None and findings[0].code == "input.yaml" and findings[0].location.line == 3



def test_the_cells_of_a_long_register_are_located_from_the_cache_when_asked_for(tmp_path, monkeypatch):
    """The positions inside a long list are read from the record only when a location inside it is
    asked for; then every one is where a fresh parse puts it."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("SOWPACK_NO_CACHE", raising=False)
    n = yamlio.LONG_LIST + 5
    f = tmp_path / "answers.yaml"
    f.write_text("version: 1\nrows:\n" + "".join(f"  - {{编号: R-{i}, 状态: 启用}}\n" for i in range(n))
                 + "short: [a, b]\n", encoding="utf-8")
    _, fresh, _ = yamlio.load_yaml(f, "input")
    data, cached, _ = yamlio.load_yaml(f, "input")
    assert isinstance(cached, yamlio._Positions) and len(data["rows"]) == n
    assert cached[("rows",)] == fresh[("rows",)] and cached[("short", 1)] == fresh[("short", 1)]
    assert ("rows", 0) not in cached._near and cached._inside is None  # not read yet
    assert yamlio.loc(f, cached, ("rows", n - 1, "状态")).line == n + 2
    assert ("rows", n) not in cached and ("rows", 3, "没有") not in cached
    assert dict(cached) == dict(fresh) and len(cached) == len(fresh)


def test_what_a_reader_saw_round_trips_through_the_check_cache():
    """A field added to Seen must survive the cache's record (marshal), or `check` forgets it on a cache hit."""
    import dataclasses
    import marshal

    from pipeline.readers.common import Heading, Seen, Sheet, Text
    from pipeline.readers.read import _from_record, _to_record

    seen = Seen("docx", [Heading("总结", 1, 3, "一、总结")], [Text("正文", "Normal")], [[["a", "b"]]],
                [Sheet("表", [(1, ["x"])])], {"entries": ["一、总结"], "unrefreshed": False}, (210, 297),
                [("NotoSansCJKsc", True)], "2026-03-26")
    assert {f.name for f in dataclasses.fields(Seen)} == {"format", "headings", "texts", "tables", "sheets", "toc",
                                                          "page_mm", "fonts", "date"}
    assert _from_record(marshal.loads(marshal.dumps(_to_record(seen)))) == seen
