"""Property-based: arbitrary Unicode (control characters, lone surrogates, markup, any script) through every
renderer; each file must render, reopen, and show the text minus what documents cannot hold."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pipeline.document.markdown import to_blocks
from pipeline.document.nodes import ColumnDef, Document, Meta, Paragraph, Register, Run, Section, Table
from pipeline.readers.dump import View, read
from pipeline.renderers import get_renderer
from pipeline.core.text import clean

#: Every code point, surrogates included (hypothesis leaves them out unless asked).
ANY = st.text(st.characters(exclude_categories=()), min_size=1, max_size=40)
#: What a PDF can be read back exactly: Latin, digits, punctuation and common Chinese.
READABLE = st.text(st.sampled_from("abcdefgXYZ0123456789<>&\"'=+-@;:,.!?()[]{}/\\#%*_~`|"
                                   "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动"),
                   min_size=1, max_size=40)


def document(text: str) -> Document:
    """A document carrying text in every place a renderer writes: meta, headings, runs, tables, a register."""
    meta = Meta(title=f"标题{text}", seed_name=text, service=90, service_title=f"服务{text}", customer=f"客户{text}",
                customer_short=text, project=f"项目{text}", vendor=text, date="2026-03-02", date_cn="2026年3月2日",
                version=text, author=text, reviewer=text, kind_label=text, deliverable="prop")
    sections = [Section(f"章节{text}", 1, [Paragraph((Run(text),)), Paragraph((Run(text, bold=True),)),
                                          Table(("列", text), ((text, "值"),), caption=text)],
                        [Section(f"小节{text}", 2, to_blocks(text))])]
    register = Register(f"清单{text}", [ColumnDef("名称"), ColumnDef(f"列{text}")], [[text, f"={text}"]])
    return Document(meta, sections, register)


def render_and_read(fmt: str, text: str, tmp: Path) -> View:
    data = get_renderer(fmt).render(document(text))
    path = tmp / f"prop.{fmt}"
    path.write_bytes(data)
    return read(path)  # raises UnreadableFile if the file does not open


def roundtrip(fmt: str, text: str, tmp: Path) -> str:
    return "\n".join(render_and_read(fmt, text, tmp).texts)


def squash(s: str) -> str:
    return "".join(s.split())


PROPS = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
#: A PDF costs WeasyPrint about half a second: fewer new examples per run (each run draws new ones).
PDF_PROPS = settings(PROPS, max_examples=10)


@pytest.mark.parametrize("fmt", ["docx", "pptx", "xlsx"])
@PROPS
@given(text=ANY)
@example(text="\x00\x07\x1b\ud800\udfff\ufffe\uffff")
@example(text="<w:p><w:r><w:t>x</w:t></w:r></w:p>&amp;]]><![CDATA[")
@example(text="=1+1")
@example(text="_x0041_ \r\n\t")
@example(text="0\r#")  # python-pptx wrote a lone carriage return as the text _x000D_
@example(text="0\r\x001")  # a lone CR: python-pptx would write it as the text _x000D_
def test_office_files_keep_any_text_minus_what_they_cannot_hold(fmt, text, tmp_path):
    got = squash(roundtrip(fmt, text, tmp_path))
    want = squash(clean(text))
    if want:
        assert want in got
    if fmt == "xlsx":
        from openpyxl import load_workbook
        wb = load_workbook(tmp_path / "prop.xlsx")
        assert all(c.data_type != "f" for ws in wb.worksheets for row in ws.iter_rows() for c in row)


@PDF_PROPS
@given(text=ANY)
@example(text="\x00\x07\ud800<link rel=attachment href=file:///etc/hostname>")
def test_pdf_renders_and_reopens_any_text(text, tmp_path):
    """What a reader checks first: A4 pages, every font embedded (Chinese ones too), the headings as bookmarks."""
    from pypdf import PdfReader

    view = render_and_read("pdf", text, tmp_path)
    sizes = {(round(float(p.mediabox.width) * 25.4 / 72), round(float(p.mediabox.height) * 25.4 / 72))
             for p in PdfReader(str(tmp_path / "prop.pdf")).pages}
    assert sizes == {(210, 297)}
    assert [name for name, embedded in view.fonts if not embedded] == []
    assert any("CJK" in name for name, _ in view.fonts), view.fonts
    shown = clean(text)
    assert [(squash(title), level) for title, level, _ in view.info["outline"]] == [
        (squash(f"一、章节{shown}"), 1), (squash(f"（一）小节{shown}"), 2), (squash(f"二、附表：清单{shown}"), 1)]


@PDF_PROPS
@given(text=READABLE)
@example(text="<script>alert(1)</script>")
def test_pdf_shows_readable_text_as_written(text, tmp_path):
    assert squash(text) in squash(roundtrip("pdf", text, tmp_path))


#: Prose as answers are written: Chinese, Latin, digits, the punctuation of both, spaces and line breaks.
PROSE = st.text(st.sampled_from("的一是在不了有和人这中大为上个abcXYZ0123456789"
                                "，。、；：（）“”《》!?.,:;()=+-~%/ \n\u3000"), max_size=60)


@settings(max_examples=300, deadline=None)
@given(PROSE)
@example("第一段\n第二行\n\n第二段")
@example("1. 不是列表\n- 也不是")
@example("行尾两个空格  \n下一行")
@example("=== \n---")
def test_plain_prose_becomes_the_paragraphs_the_parser_makes(text):
    """The shortcut for text without Markdown (markdown._plain) gives exactly what markdown-it would."""
    import pipeline.document.markdown as md

    fast = md._plain(text)
    if fast is not None:
        assert fast == md._parse(text)


def test_parsed_markdown_is_remembered_as_the_same_blocks(tmp_path, monkeypatch):
    """Blocks parsed once come back from the user cache equal, lists, tables, emphasis and code included."""
    import pipeline.document.markdown as md

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("SOWPACK_NO_CACHE", raising=False)
    text = ("**结论**：`ecs.g7` 规格\n\n1. 第一项\n2. 第二项 *说明*\n\n- 甲\n  - 乙\n\n"
            "| 序号 | 检查项 |\n|---|---|\n| 1 | 网络 |\n\n    代码块\n")
    first = md.to_blocks(text)
    assert list((tmp_path / "cache" / "sowpack" / "markdown").iterdir())
    calls = []
    monkeypatch.setattr(md, "_parse", lambda t: calls.append(t) or [])
    assert md.to_blocks(text) == first
    assert calls == []  # from the cache, not parsed again
    assert {type(b).__name__ for b in first} == {"Paragraph", "ListBlock", "Table"}


#: Text near the placeholders: their letters, brackets and characters, Chinese, controls.
NEAR_PLACEHOLDERS = st.lists(st.sampled_from(list("【】XxTODBtodb待补充定{}% \n-_a中\u202e\x07") +
                                            ["TODO", "TBD", "XXXX", "xxx", "待补充", "{{", "}}", "{%", "%}"]),
                            max_size=30).map("".join) | ANY


@settings(max_examples=500, deadline=None)
@given(NEAR_PLACEHOLDERS)
@example("【 XX 】")
@example("aXXXXb xxx fxxx TODOs TBD")
@example("{{ 客户 }} {% if a %}")
def test_the_placeholder_searches_find_what_their_plain_patterns_find(text):
    """The lookahead on a placeholder's first characters (core.text) changes the speed, never the match."""
    import re

    import pipeline.core.text as t

    plain = re.compile(t._PLACEHOLDERS)
    assert t.PLACEHOLDER.search(text) is None or t.PLACEHOLDER.search(text).span() == plain.search(text).span()
    assert (t.PLACEHOLDER.search(text) is None) == (plain.search(text) is None)
    assert t.suspect(text) == bool(plain.search(text) or t._BAD_RE.search(text))
