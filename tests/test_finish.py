"""Word TOC page numbers: written into the TOC's result when measured, never an update prompt."""
from __future__ import annotations

import zipfile

import pytest

from pipeline.renderers.docx import DocxRenderer, toc_entries
from pipeline.renderers.finish import match_pages, soffice, toc_pages
from test_renderers import sample_document


def test_pages_follow_the_bookmarks_in_order():
    outline = [("一、检查概述", 5), ("（一）检查范围", 5), ("二、网络架构检查结果", 6), ("三、附表：资源清单", 7)]
    entries = ["一、检查概述", "（一）检查范围", "二、网络架构 检查结果", "三、附表：资源清单", "四、不存在"]
    assert match_pages(entries, outline) == [5, 5, 6, 7, None]


def test_measured_pages_go_into_the_toc_result(tmp_path):
    from pipeline.readers.read import read

    doc = sample_document()
    assert toc_entries(doc) == ["一、检查概述", "（一）检查范围", "二、网络架构检查结果", "三、附表：资源清单"]
    path = tmp_path / "finished.docx"
    path.write_bytes(DocxRenderer().render(doc, pages=[4, 4, 5, 6]))
    with zipfile.ZipFile(path) as zf:
        body = zf.read("word/document.xml").decode()
        settings = zf.read("word/settings.xml").decode()
    assert "<w:tab/><w:t>5</w:t>" in body and "updateFields" not in settings and "w:dirty" not in body
    seen = read(path, "docx")
    assert seen.toc["entries"] == ["一、检查概述", "（一）检查范围", "二、网络架构检查结果", "三、附表：资源清单"]


@pytest.mark.skipif(soffice() is None, reason="LibreOffice is not installed (the finishing step is optional)")
def test_libreoffice_lays_the_document_out_and_gives_each_entry_its_page():
    doc = sample_document()
    pages = toc_pages({"doc": (DocxRenderer().render(doc), toc_entries(doc))}, soffice())["doc"]
    # Cover, document control, TOC: the body starts on page 4 or later, in order.
    assert all(p is not None for p in pages) and pages == sorted(pages) and pages[0] >= 4
