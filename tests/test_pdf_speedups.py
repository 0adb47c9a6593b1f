"""pipeline/renderers/pdf_speedups.py: WeasyPrint made faster, its PDFs the same bytes."""
from __future__ import annotations

import re

import pytest

from pipeline.core.paths import ROOT
from pipeline.document.nodes import Document, ListBlock, Paragraph, Run, Section, Table
from pipeline.readers.dump import read
from pipeline.renderers import get_renderer, pdf_speedups
from pipeline.renderers.pdf import _weasyprint
from tests.test_renderers import sample_document

ALL = ["draw_first_line", "split_first_line", "Layout.setup", "Layout.reactivate", "first_line_metrics",
       "Font.__init__", "build_fonts_dictionary", "PDF.write"]

#: Lines of every kind the drafts meet: Chinese only, Chinese with numbers and Latin words, Latin
#: only, long unbreakable tokens, full-width Latin and punctuation, soft hyphens, an emoji and a
#: tab (and, in mixed_document, table cells narrower than a few characters).
TEXTS = [
    "云上架构健康检查覆盖网络、计算、存储、数据库与安全五个领域，逐项核对配置与最佳实践的差距。" * 6,
    "涉及 17 个系统和 427 项配置；ECS 实例 86 台、RDS 实例 12 个，SLB 健康检查 99.95% 达标。" * 5,
    "The Landing Zone baseline covers identity, network, logging and guardrails for every account. " * 6,
    "资源ID：i-bp1a2b3c4d5e6f7g8h9i0jklmnopqrstuvwxyz0123456789，地址 https://example.com/a/very/long/path/x。" * 3,
    "ＡＢＣ１２３全角字符与“引号”、《书名号》、（括号）……——混排。" * 8,
    "带软连字符的英文 docu\u00admen\u00adta\u00adtion 与表情 ✅ 以及制表符\t之后的文字，" * 4,
]


def runs_paragraph() -> Paragraph:
    """A paragraph of several inline boxes per line: bold, italic and code runs inside Chinese text."""
    return Paragraph(tuple(run for k in range(6) for run in (
        Run("本段落在同一行内混排"), Run("加粗的结论", bold=True), Run("、"), Run("斜体的备注", italic=True),
        Run("和命令 "), Run(f"aliyun ecs DescribeInstances --PageSize {k + 10}", code=True), Run(" 的输出。"))))


def mixed_document() -> Document:
    meta = sample_document().meta
    narrow = Table(("序号", "项", "说明"), tuple((str(i), "检查项目名称较长" * 2, TEXTS[i % len(TEXTS)][:90])
                                               for i in range(12)))
    sections = [Section(f"第{i}部分", 1, [Paragraph((Run(t),)) for t in TEXTS] + [runs_paragraph()]
                        + [ListBlock(tuple(Paragraph((Run(t[:60]),)) for t in TEXTS)), narrow])
                for i in range(3)]
    return Document(meta, sections, None)


@pytest.fixture
def speedups():
    """The changes applied, as a PDF render applies them; applied again after the test."""
    _weasyprint()
    yield pdf_speedups.apply()
    pdf_speedups.apply()


def test_every_speedup_is_made_on_the_pinned_weasyprint(speedups):
    pins = dict(re.findall(r"^(\S+)==(\S+)$", (ROOT / "constraints.txt").read_text(), re.M))
    assert (pins["weasyprint"], pins["pydyf"]) == (pdf_speedups.WEASYPRINT_VERSION, pdf_speedups.PYDYF_VERSION), (
        "constraints.txt pins another WeasyPrint or pydyf: read pdf_speedups against their source, then set "
        "WEASYPRINT_VERSION and PYDYF_VERSION")
    assert speedups == ALL


@pytest.mark.parametrize("make", [sample_document, mixed_document], ids=["report", "mixed-text"])
def test_pdfs_are_the_same_bytes_with_and_without_the_speedups(speedups, make, tmp_path):
    doc = make()
    fast = get_renderer("pdf").render(doc)
    pdf_speedups.revert()
    assert pdf_speedups.names() == []
    slow = get_renderer("pdf").render(doc)
    assert fast == slow
    path = tmp_path / "doc.pdf"
    path.write_bytes(fast)
    dump = read(path)
    assert any("CJK" in name and embedded for name, embedded in dump.fonts), dump.fonts
    text = "".join(dump.texts)
    assert doc.sections[0].title in text
    if make is mixed_document:
        assert "涉及 17 个系统" in text and "Landing Zone baseline" in text


def test_apply_is_made_once_and_revert_restores_weasyprint(speedups):
    from weasyprint.pdf import fonts
    from weasyprint.text import line_break

    code = line_break.split_first_line.__code__
    assert pdf_speedups.apply() == ALL and line_break.split_first_line.__code__ is code
    assert "sowpack_draft_length" in code.co_names
    pdf_speedups.revert()
    assert "sowpack_draft_length" not in line_break.split_first_line.__code__.co_names
    assert "file_content" not in vars(fonts.Font)


def test_a_change_whose_lines_are_not_in_the_source_is_left_out(speedups):
    def function(text):
        text = text.strip()
        return text[:4]

    assert not pdf_speedups._rewrite(function, {"return text[:5]": "return text"})
    assert not pdf_speedups._rewrite(function, {"return text[:4]": "return text", "return text[:5]": "return text"})
    assert not pdf_speedups._rewrite(function, {"return text[:4]\ntext = text.strip()": "return text"})
    assert function(" abcdef") == "abcd" and pdf_speedups.names() == speedups


@pytest.mark.parametrize(("changes", "expected"), [
    ({"return text[:4]": "text = text.upper()\nreturn text[:2]"}, "AB"),  # one line by two
    ({"text = text.strip()\nreturn text[:4]": "return text[1:3]"}, "ab"),  # two by one
])
def test_a_change_replaces_its_lines_and_revert_undoes_it(speedups, changes, expected):
    def function(text):
        text = text.strip()
        return text[:4]

    code = function.__code__
    assert pdf_speedups._rewrite(function, changes)
    assert function(" abcdef") == expected and function.__code__.co_firstlineno == code.co_firstlineno
    pdf_speedups.revert()
    assert function.__code__ is code and function(" abcdef") == "abcd"


@pytest.mark.parametrize(("text", "expected"), [
    ("架构" * 100, 45),                      # all full-width: a line and a half
    ("ab" * 100, 89),                        # half-width letters: nearly twice as many
    ("涉及 17 个系统" * 30, None),            # between the two
])
def test_a_draft_holds_about_a_line_and_a_half_of_its_text(text, expected):
    length = pdf_speedups.draft_length(text, 30.0, 4)
    if expected is not None:
        assert length == expected
    ems = sum(1 if not re.match(pdf_speedups._NARROW, c) else 0.25 if c == " " else 0.5 for c in text[:length])
    assert 30 * 1.4 <= ems <= 30 * 1.5 + 1
    assert pdf_speedups.draft_length(text, 30.0, 1) == 30  # never longer than WeasyPrint's own draft
    assert pdf_speedups.draft_length("短文本", 30.0, 4) >= len("短文本")
