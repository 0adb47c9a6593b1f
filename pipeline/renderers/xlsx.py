"""Renderer for Excel workbooks: a cover sheet, one register sheet, native charts, a Gantt in cells, text never
a formula."""
from __future__ import annotations

import datetime as dt
from copy import copy
import io
import math
import re

from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from pipeline.document.nodes import Chart, Diagram, Document, Gantt, ListBlock, Paragraph, Table
from pipeline.document.walk import unknown_block
from pipeline.core.fonts import SLIDE_EA
from pipeline.renderers.normalize import normalize_bytes
from pipeline.renderers.base import Renderer, iter_numbered, text_width
from pipeline.core.text import clean
from pipeline.core.values import to_python

HEADER_FILL = PatternFill("solid", fgColor="1F3A5F")
HEADER_FONT = Font(name=SLIDE_EA, bold=True, color="FFFFFF")
BODY_FONT = Font(name=SLIDE_EA)
THIN = Side(style="thin", color="A6A6A6")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
TOP_WRAP = Alignment(vertical="top", wrap_text=True)


def sheet_title(text: str, taken: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", "_", text)[:31] or "Sheet"
    name, n = base, 2
    while name in taken:
        name = f"{base[:28]}_{n}"
        n += 1
    taken.add(name)
    return name


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_OOXML_ESCAPE = re.compile(r"_(x[0-9A-Fa-f]{4}_)")


def put(ws, row: int, col: int, value, font=BODY_FONT):
    """Write a cell; strings are stored as strings, even when they start with '='."""
    cell = _value(ws, row, col, value)
    cell.font = font
    return cell


def _value(ws, row: int, col: int, value):
    cell = ws.cell(row=row, column=col)
    if isinstance(value, str):
        # Excel reads "_x0041_" in a string as an escaped character: escape the underscore.
        cell.value = _OOXML_ESCAPE.sub(r"_x005F_\1", clean(value))
        cell.data_type = "s"  # never a formula, whatever the survey text starts with
    else:
        cell.value = value
    return cell


def _cover(ws, doc: Document) -> None:
    m = doc.meta
    rows = [("文档名称", m.title), ("客户", m.customer), ("项目名称", m.project),
            ("服务", m.service_line), ("版本", m.version), ("日期", m.date_cn),
            ("作者", m.author), ("审核人", m.reviewer), ("批准人", m.approver or "—"), ("密级", m.classification),
            ("编制单位", m.vendor)]
    put(ws, 1, 1, m.title, Font(name=SLIDE_EA, bold=True, size=16))
    for i, (k, v) in enumerate(rows, 3):
        put(ws, i, 1, k, Font(name=SLIDE_EA, bold=True)).border = BORDER
        put(ws, i, 2, v).border = BORDER
    ws.column_dimensions["A"].width = 14
    ws.column_dimensions["B"].width = 60


#: How a typed column's cells are shown (core.values.TYPES).
NUMBER_FORMATS = {"date": "yyyy-mm-dd", "time": "hh:mm", "datetime": "yyyy-mm-dd hh:mm"}
#: Points per line of wrapped 11 pt text.
LINE_PT = 15
_ISO_TIME = re.compile(r"^\d{2}:\d{2}$")
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$")


def typed(value, vtype: str | None = None):
    """A cell value as Excel stores it: ISO dates, times and date-times as real ones, so Excel sorts
    and filters them; a column's declared type decides, else the value's own form."""
    if not isinstance(value, str):
        return value
    if vtype in NUMBER_FORMATS:
        return to_python(value, vtype)
    if vtype is None:
        for kind, pattern in (("date", _ISO_DATE), ("time", _ISO_TIME), ("datetime", _ISO_DATETIME)):
            if pattern.match(value):
                return to_python(value, kind)
    return value


def _number_format(value) -> str | None:
    if isinstance(value, dt.datetime):
        return NUMBER_FORMATS["datetime"]
    if isinstance(value, dt.date):
        return NUMBER_FORMATS["date"]
    if isinstance(value, dt.time):
        return NUMBER_FORMATS["time"]
    return None


def lines(value, width: float) -> int:
    """How many lines a wrapped cell of this width (in characters) shows."""
    text = "" if value is None or not isinstance(value, str) else value
    if not text:
        return 1
    per = max(int(width) - 1, 1)
    return sum(max(1, math.ceil(text_width(part) / per)) for part in text.split("\n"))


def fit_rows(ws, first: int, last: int, widths: dict[int, float]) -> None:
    """Give each row of first..last the height its wrapped cells need (Excel does not on open)."""
    for r in range(first, last + 1):
        n = max([lines(ws.cell(row=r, column=j).value, w) for j, w in widths.items()] or [1])
        if n > 1:
            ws.row_dimensions[r].height = n * LINE_PT


def _table_sheet(ws, header, rows, columns=None) -> None:
    for j, h in enumerate(header, 1):
        c = put(ws, 1, j, h, HEADER_FONT)
        c.fill, c.border = HEADER_FILL, BORDER
        c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    # Every body cell has one style per number format (text, date, time...): openpyxl registers a style on each
    # assignment by hashing it, most of a large register's time, so each style is assigned
    # to its first cell and copied to the others (the same style ids, the same bytes).
    styled: dict[str | None, StyleArray] = {}
    for i, row in enumerate(rows, 2):
        for j, v in enumerate(row, 1):
            v = typed(v, columns[j - 1].type if columns and j - 1 < len(columns) else None)
            fmt = _number_format(v)
            if fmt in styled:
                _value(ws, i, j, v)._style = copy(styled[fmt])
                continue
            c = put(ws, i, j, v)
            c.border = BORDER
            c.alignment = TOP_WRAP
            if fmt:
                c.number_format = fmt
            styled[fmt] = copy(c._style)
    widths = {}
    for j, h in enumerate(header, 1):
        spec_w = columns[j - 1].width if columns and columns[j - 1].width else None
        longest = max([text_width(h)] + [text_width(r[j - 1]) for r in rows if j - 1 < len(r)])
        widths[j] = spec_w or min(max(10, longest + 2), 60)
        ws.column_dimensions[get_column_letter(j)].width = widths[j]
    fit_rows(ws, 1, len(rows) + 1, widths)
    ws.freeze_panes = "A2"
    if rows:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(header))}{len(rows) + 1}"
    if columns:
        last = max(len(rows) + 1, 200)
        for j, col in enumerate(columns, 1):
            if col.allowed:
                formula = '"' + ",".join(a.replace('"', "") for a in col.allowed) + '"'
                if len(formula) <= 255:  # Excel's limit for an inline list
                    dv = DataValidation(type="list", formula1=formula, allow_blank=True,
                                        showErrorMessage=True, error=f"请从列表中选择：{col.name}")
                    letter = get_column_letter(j)
                    dv.add(f"{letter}2:{letter}{last}")
                    ws.add_data_validation(dv)


#: Width of the 内容 columns of a content sheet: text spans them all, a table takes one each.
CONTENT_WIDTH = 90
SECTION_WIDTH = 28


def _content_sheet(ws, document: Document) -> None:
    """The sections as real cells: a section's title in column A, its text in column B (wrapped
    across the table width), each table as a cell range with its own header row."""
    put(ws, 1, 1, "章节", HEADER_FONT)
    put(ws, 1, 2, "内容", HEADER_FONT)
    tables = [b for s in document.walk() for b in s.blocks if isinstance(b, Table)]
    ncols = max([len(t.header) for t in tables] + [1])
    for j in range(1, ncols + 2):
        c = ws.cell(row=1, column=j)
        c.fill, c.border = HEADER_FILL, BORDER
        c.font = HEADER_FONT
    if ncols > 1:
        ws.merge_cells(start_row=1, start_column=2, end_row=1, end_column=ncols + 1)
    # Text spans the table columns: their widths add up to the content width.
    col_w = max(CONTENT_WIDTH / ncols, 12)
    widths = {1: SECTION_WIDTH, **{j: col_w for j in range(2, ncols + 2)}}
    for j, w in widths.items():
        ws.column_dimensions[get_column_letter(j)].width = w
    row = 2

    def text_row(text: str, bold: bool = False) -> None:
        nonlocal row
        c = put(ws, row, 2, text, Font(name=SLIDE_EA, bold=bold))
        c.alignment = Alignment(vertical="top", wrap_text=True)
        if ncols > 1:
            ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=ncols + 1)
        n = lines(text, col_w * ncols)
        if n > 1:
            ws.row_dimensions[row].height = n * LINE_PT
        row += 1

    for s, num, _ in iter_numbered(document.sections):
        title = put(ws, row, 1, f"{num}{s.title}", Font(name=SLIDE_EA, bold=True))
        title.alignment = Alignment(vertical="top", wrap_text=True)
        if not s.blocks:
            row += 1
            continue
        for b in s.blocks:
            if isinstance(b, Paragraph):
                text_row(b.text, bold=all(r.bold for r in b.runs))
            elif isinstance(b, ListBlock):
                for k, item in enumerate(b.items, 1):
                    text_row(f"{k}. {item.text}" if b.ordered else f"• {item.text}")
            elif isinstance(b, Table):
                if b.caption:
                    text_row(b.caption, bold=True)
                first = row
                for j, h in enumerate(b.header, 2):
                    c = put(ws, row, j, h, HEADER_FONT)
                    c.fill, c.border = HEADER_FILL, BORDER
                    c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
                row += 1
                for r in b.rows:
                    for j, v in enumerate(r, 2):
                        v = typed(_number(v))
                        c = put(ws, row, j, v)
                        c.border = BORDER
                        c.alignment = Alignment(vertical="top", wrap_text=True)
                        if _number_format(v):
                            c.number_format = _number_format(v)
                    row += 1
                fit_rows(ws, first, row - 1, {j: col_w for j in range(2, len(b.header) + 2)})
            elif isinstance(b, (Chart, Diagram, Gantt)):
                text_row(_block_text(b))
            else:
                raise unknown_block(b)
    ws.freeze_panes = "A2"


def _number(value):
    """A table cell that is a plain number is stored as one (sums and filters work); other text stays text."""
    if (isinstance(value, str) and re.fullmatch(r"-?\d+(\.\d+)?", value.strip())
            and not re.fullmatch(r"0\d+", value.strip())):
        return float(value) if "." in value else int(value)
    return value


def _chart_sheet(ws, chart: Chart) -> None:
    header = ["类别"] + [name for name, _ in chart.series]
    rows = [[cat] + [vals[i] for _, vals in chart.series] for i, cat in enumerate(chart.categories)]
    _table_sheet(ws, header, rows)
    ch = LineChart() if chart.type == "line" else BarChart()
    ch.title = chart.title
    ch.y_axis.title = chart.unit or None
    ch.height, ch.width = 9, 18
    data = Reference(ws, min_col=2, max_col=len(header), min_row=1, max_row=len(rows) + 1)
    cats = Reference(ws, min_col=1, min_row=2, max_row=len(rows) + 1)
    ch.add_data(data, titles_from_data=True)
    ch.set_categories(cats)
    ws.add_chart(ch, f"{get_column_letter(len(header) + 2)}2")


#: Fill of a Gantt week cell a task runs in, and of a milestone's week.
BAR_FILL = PatternFill("solid", fgColor="1F5C99")
MILESTONE_FONT = Font(name=SLIDE_EA, bold=True, color="B5523B")


def _gantt_sheet(ws, g: Gantt) -> None:
    """A Gantt in cells: one row per task with its dates, one column per week, the task's weeks filled."""
    bars = [(b, dt.date.fromisoformat(b.start), dt.date.fromisoformat(b.end)) for b in g.bars]
    first = min(s for _, s, _ in bars)
    monday = first - dt.timedelta(days=first.weekday())
    last = max(e for _, _, e in bars)
    weeks = [monday + dt.timedelta(weeks=k) for k in range((last - monday).days // 7 + 1)]
    header = ["阶段", "任务/里程碑", "开始", "结束"] + [f"{w.month}/{w.day}" for w in weeks]
    rows = [[b.group, ("◆ " if b.milestone else "") + b.label, s, e] + [""] * len(weeks) for b, s, e in bars]
    _table_sheet(ws, header, rows)
    for i, (b, s, e) in enumerate(bars, 2):
        for k, w in enumerate(weeks):
            if s <= w + dt.timedelta(days=6) and e >= w:
                c = ws.cell(row=i, column=5 + k)
                if b.milestone:
                    c.value = "◆"
                    c.font = MILESTONE_FONT
                    c.alignment = Alignment(horizontal="center")
                else:
                    c.fill = BAR_FILL
    for k in range(len(weeks)):
        ws.column_dimensions[get_column_letter(5 + k)].width = 6
    ws.column_dimensions["A"].width = 14
    ws.column_dimensions["B"].width = 30
    ws.freeze_panes = "E2"


def _block_text(b) -> str:
    if isinstance(b, Paragraph):
        return b.text
    if isinstance(b, ListBlock):
        return "\n".join(f"• {i.text}" for i in b.items)
    if isinstance(b, Table):
        return "\n".join(" | ".join(r) for r in (b.header,) + b.rows)
    if isinstance(b, Chart):
        return f"图：{b.title}（见图表工作表）"
    if isinstance(b, Diagram):
        return f"图：{b.title}（见同名 Word/PDF 文档）"
    if isinstance(b, Gantt):
        return f"图：{b.title}（见甘特图工作表）\n" + "\n".join(f"{x.label}：{x.start} 至 {x.end}" for x in b.bars)
    raise unknown_block(b)


class XlsxRenderer(Renderer):
    format = "xlsx"

    def write(self, document: Document) -> bytes:
        wb = Workbook()
        taken: set[str] = set()
        cover = wb.active
        cover.title = sheet_title("封面", taken)
        _cover(cover, document)
        reg = document.register
        if reg is not None:
            ws = wb.create_sheet(sheet_title(reg.title or "清单", taken))
            _table_sheet(ws, [c.name for c in reg.columns], reg.rows, reg.columns)
        if document.findings is not None:
            f = document.findings
            _table_sheet(wb.create_sheet(sheet_title(f.title, taken)), [c.name for c in f.columns], f.rows, f.columns)
        if document.sections:
            _content_sheet(wb.create_sheet(sheet_title("内容", taken)), document)
        for k, chart in enumerate(document.charts(), 1):
            _chart_sheet(wb.create_sheet(sheet_title(f"图表{k}", taken)), chart)
        for g in document.gantts():
            if g.bars:
                _gantt_sheet(wb.create_sheet(sheet_title("甘特图", taken)), g)
        for ws in wb.worksheets:
            # Printable as delivered: A4, one page wide, header row repeated.
            ws.page_setup.paperSize = ws.PAPERSIZE_A4
            ws.page_setup.orientation = "landscape" if ws.max_column > 4 else "portrait"
            ws.sheet_properties.pageSetUpPr.fitToPage = True
            ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
            if ws.freeze_panes == "A2":
                ws.print_title_rows = "1:1"
            # Printed pages say what they are and where they stand.
            ws.oddHeader.center.text = clean(f"{document.meta.customer_short} · {document.meta.title}")
            ws.oddHeader.center.size = 9
            ws.oddFooter.center.text = "第 &P 页 共 &N 页"
            ws.oddFooter.center.size = 9
        m = document.meta
        props = wb.properties
        props.title, props.subject, props.creator = m.title, m.project, m.author or m.vendor
        props.lastModifiedBy, props.description = props.creator, f"{m.customer}：{m.service_line}"
        props.keywords = "；".join(x for x in (m.customer_short, m.service_title) if x)
        props.category, props.language = f"密级：{m.classification}", "zh-CN"
        buf = io.BytesIO()
        wb.save(buf)
        return normalize_bytes(buf.getvalue(), f"{m.date}T00:00:00Z")
