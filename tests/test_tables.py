"""Excel and Word tables that read: content sheets as real cell ranges, typed dates and times,
wrapped rows with their height, printed headers and footers; Word and PDF column widths that
follow the content, fill the type area and never split an ID, an address or a CIDR."""
from __future__ import annotations

import datetime as dt
import io

import pytest
from docx import Document as open_docx
from openpyxl import load_workbook

from pipeline.document.nodes import ColumnDef, Document, ListBlock, Meta, Paragraph, Register, Run, Section, Table
from pipeline.renderers import get_renderer
from pipeline.renderers.base import _width, column_widths

NETWORK = Table(("交换机", "可用区", "网段", "用途"),
                (("vsw-app-a / vsw-app-d", "A / D", "10.60.0.0/20、10.60.16.0/20", "ECS应用"),
                 ("vsw-ack-a / vsw-ack-d", "A / D", "10.60.32.0/19、10.60.64.0/19",
                  "ACK节点与Pod（Terway），按可用区对称划分，便于IDC直接访问Pod"),
                 ("合计", "", "", "")))


def _doc() -> Document:
    meta = Meta("网络规划", "《网络规划》", 10, "迁云服务", "测试客户有限公司", "测试客户", "测试项目", "阿里云",
                "2026-03-02", "2026年3月2日", "V1.0", "张伟", "李娜", "report", "plan")
    long = "生产VPC按可用区A、D对称划分，应用层、数据层、管理层分别独立，便于安全组与网络ACL分层控制。" * 3
    sections = [Section("VSwitch规划", 1, [Paragraph((Run(long),)), NETWORK,
                                          ListBlock((Paragraph((Run("应用层"),)), Paragraph((Run("数据层"),))))])]
    register = Register("事件清单", [ColumnDef("编号"), ColumnDef("告警时间", type="datetime"),
                                  ColumnDef("发现日期", type="date"), ColumnDef("签到时间", type="time"),
                                  ColumnDef("数量", type="int")],
                        [["E-1", "2026-04-09 14:03", "2026-04-09", "09:30", 3]])
    return Document(meta, sections, register)


def test_widths_follow_content_fill_the_area_and_keep_tokens_whole():
    widths = column_widths(NETWORK.header, NETWORK.rows, 84)
    assert abs(sum(widths) - 84) < 1e-6
    assert widths[1] < widths[2] and widths[1] < widths[3]  # a short column stays short
    for j in range(3):
        longest = max([_width(t) for r in NETWORK.rows for t in r[j].replace("、", " ").split() if t.isascii()] + [0])
        assert widths[j] >= longest + 2, (j, widths[j], longest)


@pytest.fixture(scope="module")
def xlsx():
    return load_workbook(io.BytesIO(get_renderer("xlsx").render(_doc())))


def test_content_sheet_tables_are_cell_ranges(xlsx):
    ws = xlsx["内容"]
    assert (ws["A1"].value, ws["B1"].value) == ("章节", "内容")
    assert ws["A2"].value == "一、VSwitch规划"
    header_row = next(r for r in range(2, ws.max_row + 1) if ws.cell(row=r, column=2).value == "交换机")
    assert [ws.cell(row=header_row, column=j).value for j in range(2, 6)] == list(NETWORK.header)
    assert ws.cell(row=header_row + 1, column=4).value == "10.60.0.0/20、10.60.16.0/20"
    assert ws.cell(row=header_row + 3, column=2).value == "合计"
    assert ws.row_dimensions[2].height and ws.row_dimensions[2].height >= 30  # the long paragraph wraps


def test_register_dates_and_times_are_real(xlsx):
    ws = xlsx["事件清单"]
    assert ws["B2"].value == dt.datetime(2026, 4, 9, 14, 3) and ws["B2"].number_format == "yyyy-mm-dd hh:mm"
    assert ws["C2"].value == dt.datetime(2026, 4, 9) and ws["C2"].number_format == "yyyy-mm-dd"
    assert ws["D2"].value == dt.time(9, 30) and ws["D2"].number_format == "hh:mm"
    assert ws["E2"].value == 3


def test_every_sheet_prints_a_header_and_page_numbers(xlsx):
    for ws in xlsx.worksheets:
        assert ws.oddHeader.center.text == "测试客户 · 网络规划"
        assert ws.oddFooter.center.text == "第 &P 页 共 &N 页"


def test_word_tables_fill_the_type_area_with_content_widths():
    from pipeline.renderers.docx import TYPE_AREA_MM
    doc = open_docx(io.BytesIO(get_renderer("docx").render(_doc())))
    table = next(t for t in doc.tables if t.rows[0].cells[0].text == "交换机")
    widths = [c.width.mm for c in table.rows[0].cells]
    assert abs(sum(widths) - TYPE_AREA_MM) < 1
    assert widths[1] < widths[2]


def test_pdf_tables_carry_their_column_widths():
    from pipeline.renderers.pdf import to_html
    html = to_html(_doc())
    assert html.count("<colgroup>") >= 2 and '<col style="width:' in html


def test_word_cells_never_break_an_identifier(tmp_path):
    from docx.oxml.ns import qn
    from pipeline.readers.dump import read as dump_read
    from pipeline.readers.read import read as check_read
    data = get_renderer("docx").render(_doc())
    doc = open_docx(io.BytesIO(data))
    table = next(t for t in doc.tables if t.rows[0].cells[0].text == "交换机")
    cell = table.rows[1].cells[0]._tc
    assert cell.findall(".//" + qn("w:noBreakHyphen"))  # vsw-app-a keeps its hyphens on one line
    net = "".join(t.text for t in table.rows[1].cells[2]._tc.iter(qn("w:t")))
    assert net == "10.60.0.0/20、\u200b10.60.16.0/20"  # a line may break after 、, never inside a CIDR
    path = tmp_path / "t.docx"
    path.write_bytes(data)
    for tables in (dump_read(path).tables, check_read(path).tables):
        rows = next(t for t in tables if t[0][0] == "交换机")
        assert rows[1][0] == "vsw-app-a / vsw-app-d" and rows[1][2] == "10.60.0.0/20、10.60.16.0/20"
