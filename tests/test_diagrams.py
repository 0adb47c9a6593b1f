"""Diagrams from data: declared in the answers (nodes, groups, edges, or the text language), laid
out by Graphviz with Chinese labels in Noto CJK and deterministic bytes; vector in PDF, an
image in Word and PowerPoint; a spec's `requires: [diagram]` enforced at build and by check."""
from __future__ import annotations

import io
import shutil
import zipfile

import pytest

from pipeline.document.diagrams import diagram_block
from pipeline.document.nodes import Diagram

pytestmark = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz (apt-get install graphviz) is needed")

NETWORK = {
    "title": "生产网络", "kind": "network",
    "groups": [{"id": "vpc", "label": "生产 VPC 10.64.0.0/16", "kind": "vpc"},
               {"id": "az", "label": "可用区 H", "kind": "zone", "in": "vpc"}],
    "nodes": [{"id": "slb", "label": "公网 SLB", "kind": "network", "in": "vpc"},
              {"id": "web", "label": '商城 "前端" ×6', "in": "az"}, "订单库"],
    "edges": [{"from": "slb", "to": "web", "label": "HTTPS"}, {"web -> 订单库": "SQL"}, "订单库 --> 备库: 同步"],
}


def test_a_diagram_from_data():
    d, problems = diagram_block(dict(NETWORK, nodes=NETWORK["nodes"] + ["备库"]), "网络架构")
    assert problems == []
    assert [n.id for n in d.nodes] == ["slb", "web", "订单库", "备库"]
    assert d.nodes[1].group == "az" and d.groups[1].parent == "vpc"
    assert [(e.source, e.target, e.label, e.style) for e in d.edges] == [
        ("slb", "web", "HTTPS", ""), ("web", "订单库", "SQL", ""), ("订单库", "备库", "同步", "dashed")]


def test_a_diagram_in_the_text_language():
    d, problems = diagram_block({"kind": "flow", "text": "group 云效: 构建, 镜像\n提交 -> 构建 -> 镜像 -> 发布: Helm\n"
                                                         "发布 --> 回滚: 指标异常\n"}, "CICD")
    assert problems == [] and d.title == "CICD" and d.direction == "LR"
    assert [n.id for n in d.nodes] == ["构建", "镜像", "提交", "发布", "回滚"]
    assert {n.id: n.group for n in d.nodes}["构建"] == "云效"
    assert d.edges[2] == d.edges[2].__class__("镜像", "发布", "Helm", "")


@pytest.mark.parametrize("raw,says", [
    ({"nodes": ["a"], "edges": ["a -> b"]}, "the unknown node 'b'"),
    ({"nodes": [{"id": "web", "in": "vcp"}], "groups": [{"id": "vpc"}]}, "did you mean 'vpc'?"),
    ({"nodes": ["a"], "groups": [{"id": "x", "in": "y"}, {"id": "y", "in": "x"}]}, "sits inside itself"),
    ({"nodes": ["a"], "kind": "mindmap"}, "kind must be one of architecture, network, deployment, flow"),
    ({"edges": []}, "a diagram needs nodes"),
    ({"nodes": ["a"], "edge": ["a -> a"]}, "did you mean 'edges'?"),
])
def test_a_diagram_that_cannot_be_drawn_says_why(raw, says):
    d, problems = diagram_block(raw, "图")
    assert d is None and any(says in p for p in problems), problems


def test_layout_is_graphviz_with_cjk_labels_and_deterministic_bytes():
    from pipeline.renderers.diagrams import diagram_png, diagram_svg, dot_source, png_size_mm
    d, _ = diagram_block(dict(NETWORK, nodes=NETWORK["nodes"] + ["备库"]), "网络架构")
    dot = dot_source(d)
    assert 'fontname="Noto Sans CJK SC"' in dot and "subgraph cluster_1" in dot
    assert r'商城 \"前端\" ×6' in dot and "image=" not in dot and "<" not in dot.replace("->", "")
    svg = diagram_svg(d)
    assert b"<svg" in svg and b"graphviz version" not in svg and b"<!--" not in svg
    assert "生产 VPC 10.64.0.0/16".encode() in svg
    diagram_svg.cache_clear(), diagram_png.cache_clear()
    assert diagram_svg(d) == svg
    png = diagram_png(d)
    assert png.startswith(b"\x89PNG") and diagram_png.__wrapped__(d) == png
    w, h = png_size_mm(png)
    assert 20 < w < 400 and 20 < h < 400


def _doc(block: Diagram):
    from pipeline.document.nodes import Document, Meta, Section
    meta = Meta("测试方案", "《测试方案》", 90, "迷你检查服务", "测试客户有限公司", "测试客户", "测试项目", "阿里云",
                "2026-03-02", "2026年3月2日", "V1.0", "张伟", "李娜", "report", "report")
    return Document(meta, [Section("网络架构", 1, [block])])


def test_word_gets_an_image_pdf_a_vector_and_powerpoint_a_picture():
    from pipeline.renderers import get_renderer
    d, _ = diagram_block(dict(NETWORK, nodes=NETWORK["nodes"] + ["备库"]), "网络架构")
    doc = _doc(d)
    docx = get_renderer("docx").render(doc)
    assert any(n.startswith("word/media/") and n.endswith(".png") for n in zipfile.ZipFile(io.BytesIO(docx)).namelist())
    pptx = get_renderer("pptx").render(doc)
    assert any(n.startswith("ppt/media/") for n in zipfile.ZipFile(io.BytesIO(pptx)).namelist())
    pdf = get_renderer("pdf").render(doc)
    from pipeline.renderers.pdf import to_html
    assert "data:image/svg+xml;base64," in to_html(doc)
    assert b"/Subtype /Image" not in pdf and b"/Subtype/Image" not in pdf  # drawn as vectors and text, no bitmap
    assert get_renderer("docx").render(doc) == docx


def test_a_section_the_spec_says_holds_a_diagram_must_hold_one(mini_engagement):
    m = mini_engagement
    m.edit("specs/90-mini.yaml", "      - 检查概述\n", "      - {title: 检查概述, requires: [diagram]}\n")
    result = m.build()
    assert result.exit_code == 1
    line = next(x for x in result.output.splitlines() if "[input.missing-block]" in x)
    assert "section '检查概述' must hold a diagram (the spec requires it)" in line
    m.edit("answers/90-mini.yaml", "      检查概述: 本次检查覆盖 3 个业务系统、42 个云资源。",
           "      检查概述:\n        - 本次检查覆盖 3 个业务系统、42 个云资源。\n"
           "        - diagram: {title: 总体架构, text: \"用户 -> SLB -> 应用 -> 数据库\"}")
    result = m.build()
    assert result.exit_code == 0, result.output
    from click.testing import CliRunner
    from pipeline.cli import main
    assert CliRunner().invoke(main, ["check", str(m.pack), "--specs", str(m.specs)]).exit_code == 0
    # The picture removed by hand: `check` says the section misses its diagram.
    from docx import Document as Docx
    path = next(p for p in m.pack.rglob("*.docx"))
    doc = Docx(str(path))
    for p in doc.paragraphs:
        for r in p.runs:
            for el in r._r.findall(".//{http://schemas.openxmlformats.org/wordprocessingml/2006/main}drawing"):
                el.getparent().remove(el)
    doc.save(str(path))
    check = CliRunner().invoke(main, ["check", str(m.pack), "--specs", str(m.specs)])
    assert check.exit_code == 1
    assert ("section '检查概述' must show a diagram (the spec requires it), but it has no picture or chart"
            in check.output)
