"""Each renderer, reopened as a reader would: headings, fonts, page size, columns, slides, PDF fonts."""
from __future__ import annotations


import io
import zipfile

import pytest
from docx import Document as open_docx
from docx.oxml.ns import qn
from openpyxl import load_workbook
from pptx import Presentation
from pptx.enum.chart import XL_CHART_TYPE

from pipeline.document.nodes import (Chart, ColumnDef, Document, Gantt, GanttBar, ListBlock, Meta, Paragraph,
                                     Register, Run, Section, Table)
from pipeline.core.formats import FORMATS
from pipeline.readers.dump import read
from pipeline.renderers import get_renderer


#: A two-phase schedule: two tasks and a milestone.
GANTT = Gantt("整改计划（甘特图）", (
    GanttBar("网络整改", "2026-03-02", "2026-03-06", "整改实施"),
    GanttBar("数据库整改", "2026-03-09", "2026-03-20", "整改实施"),
    GanttBar("整改验证通过", "2026-03-20", "2026-03-20", "整改实施", milestone=True),
    GanttBar("复测", "2026-03-23", "2026-03-27", "验证"),
))


def sample_document() -> Document:
    meta = Meta(title="华东测试集团架构健康报告", seed_name="《XXXX项目架构健康报告》", service=9,
                service_title="健康检查服务", customer="华东测试集团有限公司", customer_short="华东测试集团",
                project="云上架构健康检查项目", vendor="阿里云", date="2026-03-02", date_cn="2026年3月2日",
                version="V1.0", author="张伟", reviewer="李娜", kind_label="report", deliverable="health-report",
                package="基础版", approver="王海", distribution=(("刘芳", "华东测试集团有限公司", "验收人"),),
                glossary=(("SLB", "负载均衡（Server Load Balancer），将访问流量分发到多台后端服务器"),))
    chart = Chart("line", "月度费用走势", ("1月", "2月", "3月"), (("实际费用", (10.0, 12.5, 11.2)),), "万元")
    sections = [
        Section("检查概述", 1, [Paragraph((Run("本次检查覆盖"), Run("86 个", bold=True), Run("云资源。")))], [
            Section("检查范围", 2, [ListBlock((Paragraph((Run("网络"),)), Paragraph((Run("存储"),))))]),
        ]),
        Section("网络架构检查结果", 1, [Table(("检查项", "结论"), (("SLB 健康检查", "通过"),)), chart, GANTT]),
    ]
    register = Register("资源清单", [ColumnDef("资源ID"), ColumnDef("架构领域", ("网络", "存储"))],
                        [["i-001", "网络"], ["=1+1", "存储"]])
    return Document(meta, sections, register)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    out = tmp_path_factory.mktemp("render")
    doc = sample_document()
    paths = {}
    for fmt in FORMATS:
        p = out / f"doc.{fmt}"
        p.write_bytes(get_renderer(fmt).render(doc))
        paths[fmt] = p
    return paths


def test_docx_headings_numbered_and_in_order(rendered):
    view = read(rendered["docx"])
    assert [(h.level, h.title) for h in view.headings] == [
        (1, "检查概述"), (2, "检查范围"), (1, "网络架构检查结果"), (1, "附表：资源清单")]
    texts = [line for line in view.dump if line.startswith("H")]
    assert texts[0] == "H1 一、检查概述" and texts[1] == "H2 （一）检查范围"


def test_docx_a4_east_asian_fonts_and_language(rendered):
    doc = open_docx(str(rendered["docx"]))
    sec = doc.sections[0]
    assert (round(sec.page_width.mm), round(sec.page_height.mm)) == (210, 297)
    styles = doc.styles.element
    lang = styles.find(qn("w:docDefaults")).find(".//" + qn("w:lang"))
    assert lang.get(qn("w:eastAsia")) == "zh-CN"
    heading = doc.styles["Heading 1"].element.find(qn("w:rPr")).find(qn("w:rFonts"))
    assert heading.get(qn("w:eastAsia")) == "黑体"
    assert heading.get(qn("w:asciiTheme")) is None and heading.get(qn("w:eastAsiaTheme")) is None
    normal = doc.styles["Normal"].element.find(qn("w:rPr")).find(qn("w:rFonts"))
    assert normal.get(qn("w:eastAsia")) == "宋体"


def test_docx_cover_control_toc_header_footer(rendered):
    view = read(rendered["docx"])
    text = "\n".join(view.dump)
    assert "P[Title] 华东测试集团架构健康报告" in text
    assert "| 版本 | 日期 | 作者 | 审核人 | 批准人 | 修订说明 |" in text
    assert "| V1.0 | 2026年3月2日 | 张伟 | 李娜 | 王海 | 首次发布 |" in text
    assert "| 密级 | 内部 |" in text and "| 1 | 刘芳 | 华东测试集团有限公司 | 验收人 |" in text
    assert "| SLB | 负载均衡（Server Load Balancer），将访问流量分发到多台后端服务器 |" in text
    assert view.info["toc_entries"] == 4
    # The title names the customer already: the header does not repeat the short name.
    assert "HEADER 华东测试集团架构健康报告" in view.dump
    assert any("PAGE" in line and "NUMPAGES" in line for line in view.dump if line.startswith("FOOTER"))
    with zipfile.ZipFile(rendered["docx"]) as zf:
        # Neither makes Word ask to update fields at every open.
        assert b"w:updateFields" not in zf.read("word/settings.xml")
        assert b"w:dirty" not in zf.read("word/document.xml")


def test_office_properties_name_the_document_not_the_library(rendered):
    for fmt in ("docx", "pptx", "xlsx"):
        with zipfile.ZipFile(rendered[fmt]) as zf:
            props = zf.read("docProps/core.xml") + zf.read("docProps/app.xml")
        for word in (b"python-docx", b"python-pptx", b"Macintosh", b"Steve Canny", b"penpyxl"):
            assert word not in props, (fmt, word)
        assert b"zh-CN" in props and "华东测试集团架构健康报告".encode() in props
    with zipfile.ZipFile(rendered["docx"]) as zf:
        assert b'w:eastAsia="zh-CN"' in zf.read("word/settings.xml")  # theme language


def test_no_style_or_run_slants_chinese():
    import dataclasses
    from pipeline.renderers.docx import REFERENCE
    with zipfile.ZipFile(REFERENCE) as zf:
        styles = zf.read("word/styles.xml")
    assert b"<w:i/>" not in styles and b"<w:iCs/>" not in styles
    doc = sample_document()
    doc.sections[0].blocks.append(Paragraph((Run("重点", italic=True), Run("ECS", italic=True))))
    out = get_renderer("docx").render(dataclasses.replace(doc))
    with zipfile.ZipFile(__import__("io").BytesIO(out)) as zf:
        body = zf.read("word/document.xml").decode()
    assert "<w:i/><w:t>重点" not in body and body.count("<w:i/>") == 1  # only the Latin run


def test_draft_is_marked_on_cover_and_header_in_word_and_pdf(tmp_path):
    import dataclasses
    doc = sample_document()
    draft = dataclasses.replace(doc, meta=dataclasses.replace(doc.meta, draft=True))
    docx = read_rendered(tmp_path, draft, "docx")
    assert "P[Subtitle] （草稿）" in docx.dump and "HEADER 草稿 · 华东测试集团架构健康报告" in docx.dump
    pdf = read_rendered(tmp_path, draft, "pdf")
    assert any("（草稿）" in t for t in pdf.texts) and any("草稿 · 华东测试集团架构健康报告" in t for t in pdf.texts)


def read_rendered(tmp_path, doc, fmt):
    p = tmp_path / f"draft.{fmt}"
    p.write_bytes(get_renderer(fmt).render(doc))
    return read(p)


def test_docx_chart_is_a_picture(rendered):
    view = read(rendered["docx"])
    assert any("[picture]" in line for line in view.dump)


def test_gantt_is_a_picture_in_docx_and_pdf(rendered):
    from pipeline.renderers.charts import gantt_png
    png = gantt_png(GANTT)
    assert png.startswith(b"\x89PNG") and png == gantt_png(GANTT)  # deterministic
    view = read(rendered["docx"])
    assert sum("[picture]" in line for line in view.dump) == 2
    assert "P[Caption] 图：整改计划（甘特图）" in view.dump
    assert "图：整改计划（甘特图）" in "\n".join(read(rendered["pdf"]).texts)


def test_gantt_is_a_native_bar_chart_in_pptx(rendered):
    prs = Presentation(str(rendered["pptx"]))
    charts = [sh.chart for slide in prs.slides for sh in slide.shapes
              if getattr(sh, "has_chart", False) and sh.has_chart]
    gantt = [c for c in charts if c.chart_type == XL_CHART_TYPE.BAR_STACKED]
    assert len(gantt) == 1
    offset, duration = gantt[0].plots[0].series
    assert list(gantt[0].plots[0].categories) == ["网络整改", "数据库整改", "◆ 整改验证通过", "复测"]
    assert list(duration.values) == [5, 12, 1, 5]
    assert gantt[0].category_axis.reverse_order


def test_gantt_is_shaded_week_cells_in_xlsx(rendered):
    wb = load_workbook(rendered["xlsx"])
    ws = wb["甘特图"]
    assert [c.value for c in ws[1]][:6] == ["阶段", "任务/里程碑", "开始", "结束", "3/2", "3/9"]
    filled = [[c.fill.fgColor.rgb == "001F5C99" for c in row[4:]] for row in ws.iter_rows(min_row=2)]
    assert filled[0] == [True, False, False, False]  # 网络整改: the week of 3/2 only
    assert filled[1] == [False, True, True, False]  # 数据库整改: two weeks
    assert ws["G4"].value == "◆"  # the milestone in its week


def test_docx_uses_only_reference_styles():
    from pipeline.renderers.docx import REFERENCE, STYLES
    names = {s.name for s in open_docx(str(REFERENCE)).styles}
    assert set(STYLES) <= names, set(STYLES) - names


def test_pptx_16_9_titles_and_east_asian_font(rendered):
    prs = Presentation(str(rendered["pptx"]))
    assert (prs.slide_width, prs.slide_height) == (12192000, 6858000)
    titles = [s.shapes.title.text_frame.text for s in prs.slides]
    assert titles[0] == "华东测试集团架构健康报告"
    assert titles[1] == "目录"
    assert "检查概述" in titles and "检查范围" in titles and "附表：资源清单" in titles
    # The numbered section path shows above each content slide's title.
    kickers = [sh.text_frame.text for s in prs.slides for sh in s.shapes if sh.name == "Section"]
    assert "一、检查概述 › （一）检查范围" in kickers and "二、网络架构检查结果" in kickers
    view = read(rendered["pptx"])
    assert ("微软雅黑", True) in view.fonts
    assert any(line.strip().startswith("CHART LINE_MARKERS") for line in view.dump)


def test_pptx_layouts_exist_in_reference():
    from pipeline.renderers.pptx import LAYOUTS, REFERENCE
    names = {lay.name for lay in Presentation(str(REFERENCE)).slide_layouts}
    assert set(LAYOUTS) <= names


def test_xlsx_header_frozen_validation_and_formula_text(rendered):
    wb = load_workbook(rendered["xlsx"])
    assert wb.sheetnames[0] == "封面"
    ws = wb["资源清单"]
    assert [c.value for c in ws[1]] == ["资源ID", "架构领域"]
    assert ws.freeze_panes == "A2"
    assert ws["A1"].font.bold
    assert ws.column_dimensions["A"].width >= 10
    assert ws["A3"].value == "=1+1" and ws["A3"].data_type == "s"
    lists = [dv.formula1 for dv in ws.data_validations.dataValidation]
    assert '"网络,存储"' in lists
    charts = [ws for ws in wb.worksheets if ws._charts]
    assert charts, "the chart must be a native Excel chart"


def test_pdf_text_fonts_bookmarks_a4(rendered):
    view = read(rendered["pdf"])
    assert view.info["page_mm"] == (210, 297)
    embedded = [name for name, emb in view.fonts if emb]
    assert any("CJK" in name for name in embedded), view.fonts
    assert not [name for name, emb in view.fonts if not emb]
    assert [t for t, _, _ in view.info["outline"]] == ["一、检查概述", "（一）检查范围", "二、网络架构检查结果",
                                                       "三、附表：资源清单"]
    body = "\n".join(view.texts)
    assert "本次检查覆盖86 个云资源。" in body.replace("\n", "")
    assert "第 1 页" not in body  # the cover has no footer
    toc_line = next(t for t in view.texts if t.startswith("一、检查概述"))
    assert toc_line.rstrip().endswith("4"), toc_line  # real page number from target-counter


def _word_boxes(pdf) -> list[list[tuple[float, float, float, str]]]:
    """Each page's words as pdftotext -bbox places them: (x min, y min, x max, word), in points."""
    import re
    import subprocess

    out = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return [[(float(x0), float(y0), float(x1), w) for x0, y0, x1, w in
             re.findall(r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)<', page)]
            for page in out.split("<page ")[1:]]


def test_pdf_running_header_and_footer_are_centred_on_the_type_area(rendered):
    """The running title and 第 N 页 共 M 页 sit centred over the body text on every page but the cover,
    as the words' boxes show them (pdftotext -bbox), to a point."""
    pages = _word_boxes(rendered["pdf"])
    mm = 72 / 25.4
    centre = (28 * mm + (210 - 26) * mm) / 2  # between the left (28 mm) and right (26 mm) margins
    assert len(pages) >= 4
    for n, words in enumerate(pages[1:], 2):
        footer = [w for w in words if w[1] > (297 - 25) * mm]  # in the bottom margin
        header = [w for w in words if w[1] < 30 * mm]  # in the top margin
        assert "".join(w[3] for w in footer) == f"第{n}页共{len(pages)}页", footer
        assert "".join(w[3] for w in header) == "华东测试集团架构健康报告", header
        for line in (footer, header):
            assert abs((line[0][0] + line[-1][2]) / 2 - centre) < 1, (n, line)


def test_pdf_latin_words_in_chinese_text_keep_plain_spaces(tmp_path):
    """A wrapped Chinese paragraph with Latin words in it is set flush left: the spaces around
    OneData stay one space wide (justified, WeasyPrint widened only them, to gaps of 10 to 17 pt)."""
    doc = sample_document()
    text = ("恒信集团数据中台以阿里巴巴 OneData 方法论为指导，按照“统一建模、统一口径、统一服务”的原则建设。"
            "根据合同约定，本章仅阐述 OneModel 建模方法论，OneID 与 OneService 在后续实施阶段另行设计。") * 2
    doc.sections[0].blocks.append(Paragraph((Run(text),)))
    path = tmp_path / "doc.pdf"
    path.write_bytes(get_renderer("pdf").render(doc))
    words = [w for page in _word_boxes(path) for w in page]
    gaps = [b[0] - a[2] for a, b in zip(words, words[1:], strict=False)
            if abs(a[1] - b[1]) < 1 and ("OneData" in (a[3], b[3]) or "OneModel" in (a[3], b[3]))]
    assert len(gaps) >= 6, words  # both words, both times, a space each side
    assert max(gaps) < 5, gaps  # a space of 11 pt text is under 4 pt


def test_a_pdf_render_leaves_the_cycle_collector_as_it_was(monkeypatch):
    """WeasyPrint renders with the cycle collector run less often; the build's own setting comes
    back after, and after a failed render too."""
    import gc

    import pipeline.renderers.pdf as pdf

    before = gc.get_threshold()
    gc.set_threshold(700, 9, 8)
    try:
        get_renderer("pdf").render(sample_document())
        assert gc.get_threshold() == (700, 9, 8)
        during = []

        def failing(document):
            during.append(gc.get_threshold())
            raise RuntimeError("boom")
        monkeypatch.setattr(pdf, "to_html", failing)
        with pytest.raises(RuntimeError):
            pdf.PdfRenderer().write(sample_document())
        assert during == [(20_000, 9, 8)] and gc.get_threshold() == (700, 9, 8)
    finally:
        gc.set_threshold(*before)


def test_pdf_escapes_markup(tmp_path):
    markup = '<link rel="attachment" href="file:///etc/hostname"> & <b>x</b>'
    doc = sample_document()
    doc.sections[0].blocks.append(Paragraph((Run(markup),)))
    data = get_renderer("pdf").render(doc)
    assert b"/EmbeddedFile" not in data
    path = tmp_path / "doc.pdf"
    path.write_bytes(data)
    assert "".join(markup.split()) in "".join("".join(read(path).texts).split())  # shown as written


def test_xlsx_date_columns_hold_real_dates(tmp_path):
    import datetime as dt

    doc = sample_document()
    doc.register = Register("问题清单", [ColumnDef("编号"), ColumnDef("发现日期", type="date")],
                            [["W-1", "2026-03-02"], ["W-2", "三月初"]])
    path = tmp_path / "r.xlsx"
    path.write_bytes(get_renderer("xlsx").render(doc))
    ws = load_workbook(path)["问题清单"]
    assert ws["B2"].value == dt.datetime(2026, 3, 2) and ws["B2"].number_format == "yyyy-mm-dd"
    assert ws["B3"].value == "三月初" and ws["B3"].data_type == "s"  # not a date: kept as the text given


def test_xlsx_cells_styles_and_print_setup_as_excel_reads_them(tmp_path):
    """The SpreadsheetML writer's output, reopened with openpyxl: typed cells, escapes, styles,
    merged cells, row heights, print titles, header and footer, a native chart with its series."""
    import datetime as dt

    doc = sample_document()
    doc.register = Register("台账 & 清单", [ColumnDef("名称"), ColumnDef("数量", type="int"),
                                         ColumnDef("时间", type="datetime"), ColumnDef("说明")],
                            [["_x0041_ <b>&", 3, "2026-03-02 09:30", "很长的说明" * 30],
                             [" 前后空格 ", 0, "", "=SUM(A1)"]])
    path = tmp_path / "r.xlsx"
    path.write_bytes(get_renderer("xlsx").render(doc))
    wb = load_workbook(path)
    ws = wb["台账 & 清单"]
    # Excel reads "_x0041_" as "A": the underscore is escaped (openpyxl shows the escape as stored).
    sheet_xml = zipfile.ZipFile(path).read("xl/worksheets/sheet2.xml").decode()
    assert "<t>_x005F_x0041_ &lt;b&gt;&amp;</t>" in sheet_xml and ws["A3"].value == " 前后空格 "
    assert ws["B2"].value == 3 and ws["B3"].value == 0 and ws["B2"].data_type == "n"
    assert ws["C2"].value == dt.datetime(2026, 3, 2, 9, 30) and ws["C2"].number_format == "yyyy-mm-dd hh:mm"
    assert ws["D3"].value == "=SUM(A1)" and ws["D3"].data_type == "s"
    assert ws["A1"].font.bold and ws["A1"].font.name == "微软雅黑" and ws["A1"].fill.fgColor.rgb == "001F3A5F"
    assert ws["A2"].border.left.style == "thin" and ws["A2"].alignment.wrap_text
    assert ws.row_dimensions[2].height > 15  # the long note wraps
    assert ws.auto_filter.ref == "A1:D3" and ws.freeze_panes == "A2"
    assert ws.print_title_rows == "$1:$1" and ws.page_setup.paperSize == 9
    assert ws.page_setup.orientation == "portrait" and ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.oddFooter.center.text == "第 &P 页 共 &N 页"
    content = wb["内容"]
    assert content.merged_cells.ranges and content["A2"].value.startswith("一、")
    chart = next(c for w in wb.worksheets for c in w._charts)
    assert len(chart.series) >= 1 and chart.series[0].val.numRef.f.startswith("'图表1'!$B$2")
    assert wb.properties.title == doc.meta.title and wb.properties.language == "zh-CN"


def _line_pt(family: str, size: float) -> float:
    """The line height, in points, of an installed font at this size (hhea ascender, descender, gap)."""
    import subprocess

    from fontTools.ttLib import TTFont

    path, index = subprocess.run(["fc-match", "-f", "%{file}|%{index}", family], capture_output=True,
                                 text=True, check=True).stdout.split("|")
    hhea_font = TTFont(path, fontNumber=int(index), lazy=True)
    hhea, em = hhea_font["hhea"], hhea_font["head"].unitsPerEm
    return (hhea.ascent - hhea.descent + hhea.lineGap) / em * size


def test_xlsx_wrapped_rows_are_tall_enough_for_every_line(tmp_path):
    """A cell that wraps to three lines gets a row that shows all three, in 微软雅黑 (1.32 em a line)
    and in Noto Sans CJK SC, which LibreOffice draws in its place on Linux (1.45 em): at 15 pt a
    line, LibreOffice cut the foot off the third line."""
    from pipeline.renderers.xlsx import lines

    doc = sample_document()
    note = "记录门店每笔销售小票的单号、门店编码、收银机号、收银员、交易时间、应收与实收金额、会员卡号等核心交易信息"
    doc.register = Register("台账", [ColumnDef("名称"), ColumnDef("说明", width=48)], [["小票", note]])
    path = tmp_path / "r.xlsx"
    path.write_bytes(get_renderer("xlsx").render(doc))
    ws = load_workbook(path)["台账"]
    assert lines(note, 48) == 3
    noto = _line_pt("Noto Sans CJK SC", 11)
    assert noto > 15.5  # the font LibreOffice uses here, as measured from its file
    assert ws.row_dimensions[2].height >= 3 * max(noto, 1.32 * 11)


def test_xlsx_only_rows_with_a_line_break_or_a_capped_column_grow(tmp_path):
    """A register column as wide as its widest text keeps every cell on one line; a line break in
    a short text, or a text wider than the 60 characters a column is capped at, makes its row taller."""
    doc = sample_document()
    rows = [["小票", "第一行\n第二行", "短"], ["会员", "一行", "很长的备注" * 20], ["门店", "一行", "短"]]
    doc.register = Register("台账", [ColumnDef("名称"), ColumnDef("说明"), ColumnDef("备注")], rows)
    path = tmp_path / "r.xlsx"
    path.write_bytes(get_renderer("xlsx").render(doc))
    ws = load_workbook(path)["台账"]
    assert ws.column_dimensions["B"].width == 15 and ws.column_dimensions["C"].width == 60
    assert ws.row_dimensions[2].height >= 2 * 15 and ws.row_dimensions[3].height >= 3 * 15
    assert ws.row_dimensions[4].height is None and ws.row_dimensions[1].height is None


def test_pptx_slides_carry_footer_and_number(rendered):
    from pptx.enum.shapes import PP_PLACEHOLDER

    prs = Presentation(str(rendered["pptx"]))
    for n, slide in enumerate(prs.slides, 1):
        kinds = {sh.placeholder_format.type: sh for sh in slide.placeholders}
        ids = [sh.shape_id for sh in slide.shapes]
        assert len(ids) == len(set(ids)), f"slide {n}: duplicate shape ids"
        if n == 1:
            assert PP_PLACEHOLDER.SLIDE_NUMBER not in kinds
            continue
        assert kinds[PP_PLACEHOLDER.SLIDE_NUMBER].text_frame.text == str(n)
        assert kinds[PP_PLACEHOLDER.FOOTER].text_frame.text == "华东测试集团架构健康报告"


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_every_renderer_raises_on_an_unknown_block(fmt):
    from dataclasses import dataclass

    @dataclass(frozen=True)
    class Callout:
        text: str

    doc = sample_document()
    doc.sections[0].children[0].blocks.append(Callout("x"))
    renderer = get_renderer(fmt)
    with pytest.raises(TypeError, match="unknown block type .*Callout"):
        renderer.render(doc)  # stopped by cleaned()
    with pytest.raises(TypeError, match="unknown block type .*Callout"):
        renderer.write(doc)  # the renderer's own dispatch, bypassing cleaned()
def _unbroken_run(paragraph, text):
    """A body cell's run as the renderer built it with python-docx's API: add_run's tabs and
    breaks, the hyphens of an identifier non-breaking, a zero-width space after 、 before one."""
    from docx.oxml import OxmlElement
    from docx.oxml.text.run import _RunContentAppender

    from pipeline.renderers.docx import _BREAK_AFTER, _HYPHENATED

    text = _BREAK_AFTER.sub("\u200b", text)
    run = paragraph.add_run()
    appender = _RunContentAppender(run._r)
    pos = 0
    for m in _HYPHENATED.finditer(text):
        appender.add_text(text[pos:m.start()])
        for k, piece in enumerate(m.group().split("-")):
            if k:
                run._r.append(OxmlElement("w:noBreakHyphen"))
            appender.add_text(piece)
        pos = m.end()
    appender.add_text(text[pos:])


def _python_docx_table(header, rows, widths_twips, style_ids):
    """The table as python-docx's own API builds it (what the renderer wrote before writing the XML at once)."""
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.oxml import OxmlElement
    from docx.shared import Twips

    from pipeline.renderers.docx import REFERENCE

    doc = open_docx(str(REFERENCE))
    ncols = max([len(header)] + [len(r) for r in rows]) or 1
    t = doc.add_table(rows=1 + len(rows), cols=ncols)
    t._tbl.tblStyle_val = style_ids[0]
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    for i, h in enumerate(header):
        cell = t.rows[0].cells[i]
        cell.paragraphs[0]._p.style = style_ids[1]
        cell.paragraphs[0].add_run(str(h))
        shd = OxmlElement("w:shd")
        for k, v in (("w:val", "clear"), ("w:color", "auto"), ("w:fill", "D9E2F3")):
            shd.set(qn(k), v)
        cell._tc.get_or_add_tcPr().append(shd)
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    t.rows[0]._tr.get_or_add_trPr().append(el)
    for r, row in enumerate(rows, 1):
        for i, v in enumerate(row):
            t.rows[r].cells[i].paragraphs[0]._p.style = style_ids[2]
            _unbroken_run(t.rows[r].cells[i].paragraphs[0], "" if v is None else str(v))
    t.autofit = False
    for gc, w in zip(t._tbl.tblGrid.gridCol_lst, widths_twips, strict=False):
        gc.w = Twips(w)
    for row in t.rows:
        for cell, w in zip(row.cells, widths_twips, strict=False):
            cell.width = Twips(w)
    return doc, t._tbl


@pytest.mark.parametrize("header, rows", [
    (("序号", "检查项", "结论"), [("1", "SLB\t健康检查", None), ("2", " 前后空格 ", "a\nb\r\nc")]),
    (("项目",), [("a", "比表头长", "x"), ()]),
    ((), [("<&>", '"引号"')]),
    (("交换机", "网段"), [("vsw-app-a / vsw-app-d", "10.60.0.0/20、10.60.16.0/20"), ("rm-uf6 a-b\tx-y", " 、ab-c ")]),
])
def test_docx_table_xml_is_what_python_docx_builds(header, rows):
    from lxml import etree
    from docx.oxml import parse_xml

    from pipeline.renderers.docx import _table_xml

    ncols = max([len(header)] + [len(r) for r in rows]) or 1
    widths = [1000 + 137 * i for i in range(ncols)]
    ids = ("TableGrid", "TableHeader", "TableText")
    doc, theirs = _python_docx_table(header, rows, widths, ids)
    ours = parse_xml(_table_xml(header, rows, ncols, widths, *ids))
    doc.element.body._insert_tbl(ours)  # in the same document, as the renderer places it
    assert etree.tostring(ours) == etree.tostring(theirs)


@pytest.mark.parametrize("runs", [
    (Run("本次检查覆盖"), Run("86 个", bold=True), Run("云资源。", italic=True)),
    (Run(" 前后空格 ", bold=True, italic=True), Run("a\tb\nc", code=True), Run("", bold=True), Run("<&>")),
    (),
])
def test_docx_paragraph_xml_is_what_python_docx_builds(runs):
    from lxml import etree
    from docx.oxml import parse_xml

    from pipeline.renderers.docx import REFERENCE, _para_xml

    doc = open_docx(str(REFERENCE))
    theirs = doc.add_paragraph()
    theirs._p.style = "BodyText"
    for r in runs:
        run = theirs.add_run(r.text)
        run.bold = r.bold or None
        run.italic = r.italic or None
        if r.code:
            run.font.name = "Consolas"
    ours = parse_xml(_para_xml(runs, "BodyText"))
    doc.element.body._insert_p(ours)
    assert etree.tostring(ours) == etree.tostring(theirs._p)


def test_a_deck_with_a_chart_is_the_same_bytes_a_second_later():
    """python-pptx has XlsxWriter write each chart's data workbook with the time of day; the deck
    must not change with it (a signed-off deck would otherwise differ at every build)."""
    import time

    doc = sample_document()
    first = get_renderer("pptx").render(doc)
    with zipfile.ZipFile(io.BytesIO(first)) as z:
        assert any("/embeddings/" in n and n.endswith(".xlsx") for n in z.namelist())
    time.sleep(1.1)
    assert get_renderer("pptx").render(doc) == first


def test_weasyprint_is_imported_without_asking_ctypes_or_loading_unused_font_tools():
    """A PDF render imports WeasyPrint without ctypes.util.find_library (each call runs ldconfig, gcc
    and ld: 0.3 s per process) and without fontTools' subsetter and instancer (0.08 s), and the
    PDF still renders with its fonts embedded. Whatever imports those modules after gets the real ones."""
    import subprocess
    import sys

    code = ("import ctypes.util, sys\n"
            "calls = []\n"
            "real = ctypes.util.find_library\n"
            "ctypes.util.find_library = lambda name: calls.append(name) or real(name)\n"
            "from pipeline.renderers.pdf import DEFERRED_MODULES\n"
            "from pipeline.renderers import get_renderer\n"
            "from tests.test_renderers import sample_document\n"
            "pdf = get_renderer('pdf').render(sample_document())\n"
            "assert 'weasyprint' in sys.modules and pdf.startswith(b'%PDF')\n"
            "print(len(calls), sorted(set(DEFERRED_MODULES) & set(sys.modules)))\n"
            "import fontTools.subset, fontTools.varLib.instancer\n"
            "print(type(fontTools.subset.Subsetter).__name__, fontTools.varLib.instancer.__file__ is not None)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[:2] == ["0 []", "type True"]


def test_pdf_fonts_are_still_subset_by_font_tools_without_harfbuzz_subset(monkeypatch, tmp_path):
    """Without libharfbuzz-subset WeasyPrint subsets with fontTools: the deferred module is imported
    then, and the fonts are embedded as subsets."""
    import sys

    from pipeline.renderers.pdf import _weasyprint

    _weasyprint()
    import weasyprint.pdf.fonts

    monkeypatch.setattr(weasyprint.pdf.fonts, "harfbuzz_subset", None)
    path = tmp_path / "doc.pdf"
    path.write_bytes(get_renderer("pdf").render(sample_document()))
    fonts = read(path).fonts
    assert fonts and all(embedded for _, embedded in fonts), fonts
    assert any("CJK" in name for name, _ in fonts), fonts
    assert "Subsetter" in vars(sys.modules["fontTools.subset"])  # the real module did the work
