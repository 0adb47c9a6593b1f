"""Renderer for Excel workbooks: a cover sheet, one register sheet, native charts, a Gantt in cells, text never
a formula."""
from __future__ import annotations

import dataclasses
import datetime as dt
import math
import re

from pipeline.document.nodes import Chart, Diagram, Document, Gantt, ListBlock, Paragraph, Table
from pipeline.document.walk import unknown_block
from pipeline.core.fonts import SLIDE_EA
from pipeline.renderers.base import Renderer, iter_numbered, text_width
from pipeline.renderers.sheetml import BarLineChart, Sheet, Style, Workbook, column_letter
from pipeline.core.values import to_python

HEADER = Style(bold=True, color="FFFFFF", fill="1F3A5F", border=True, halign="center", valign="center", wrap=True)
BODY = Style(border=True, valign="top", wrap=True)


def sheet_title(text: str, taken: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", "_", text)[:31] or "Sheet"
    name, n = base, 2
    while name in taken:
        name = f"{base[:28]}_{n}"
        n += 1
    taken.add(name)
    return name


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _cover(wb: Workbook, ws: Sheet, doc: Document) -> None:
    m = doc.meta
    rows = [("文档名称", m.title), ("客户", m.customer), ("项目名称", m.project),
            ("服务", m.service_line), ("版本", m.version), ("日期", m.date_cn),
            ("作者", m.author), ("审核人", m.reviewer), ("批准人", m.approver or "—"), ("密级", m.classification),
            ("编制单位", m.vendor)]
    ws.set(1, 1, m.title, wb.style(Style(bold=True, size=16)))
    key, value = wb.style(Style(bold=True, border=True)), wb.style(Style(border=True))
    for i, (k, v) in enumerate(rows, 3):
        ws.set(i, 1, k, key)
        ws.set(i, 2, v, value)
    ws.widths[1] = 14
    ws.widths[2] = 60


#: How a typed column's cells are shown (core.values.TYPES).
NUMBER_FORMATS = {"date": "yyyy-mm-dd", "time": "hh:mm", "datetime": "yyyy-mm-dd hh:mm"}
#: Points per line of wrapped 11 pt text: 1.5 times the size. 微软雅黑's line is 1.32 em (14.5 pt),
#: and where it is missing (LibreOffice on Linux) Noto Sans CJK's is 1.45 em (15.9 pt): at 15 pt a
#: row of three lines lost the foot of its third.
LINE_PT = 16.5
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
    if len(text) * 2 <= per and "\n" not in text:
        return 1  # fits, whatever its characters' widths
    return sum(max(1, math.ceil(text_width(part) / per)) for part in text.split("\n"))


def fit_rows(ws: Sheet, first: int, last: int, widths: dict[int, float]) -> None:
    """Give each row of first..last the height its wrapped cells need (Excel does not on open)."""
    # lines()'s own first test, per column once: text this short fits on one line whatever it is.
    fits = [(j, w, max(int(w) - 1, 1)) for j, w in widths.items()]
    for r in range(first, last + 1):
        cells = ws.rows.get(r)
        if not cells:
            continue
        n = 1
        for j, w, per in fits:
            cell = cells.get(j)
            if cell is not None and isinstance(v := cell[0], str) and (len(v) * 2 > per or "\n" in v):
                n = max(n, lines(v, w))
        if n > 1:
            ws.heights[r] = n * LINE_PT


def _widest(values) -> tuple[float, bool]:
    """The largest text_width of the values, and whether a text among them holds a line break.

    Each text is measured once, longest first: a value of n characters is at most 2n wide, so
    once the widest so far is 2n, no shorter one is measured (a register's column of 10,000
    names, or of a few types repeated, measures a handful)."""
    texts: set[str] = set()
    others = []
    for v in values:
        if isinstance(v, str):
            texts.add(v)
        else:
            others.append(v)
    best = 0.0
    for s in sorted(texts, key=len, reverse=True):
        if 2 * len(s) <= best:
            break
        best = max(best, text_width(s))
    for v in others:
        s = str(v)
        if 2 * len(s) > best:
            best = max(best, text_width(s))
    return best, any("\n" in s for s in texts)


def _table_sheet(wb: Workbook, ws: Sheet, header, rows, columns=None) -> None:
    head = wb.style(HEADER)
    for j, h in enumerate(header, 1):
        ws.set(1, j, h, head)
    # One style per number format (text, date, time...), looked up once per format.
    styles: dict[str | None, int] = {}
    types = [c.type for c in columns] if columns else []
    # Per column: whether a text cell may become a date or a time (typed()): never when the column
    # is declared otherwise, nor when the text does not start with a digit, as ISO forms all do.
    dated = [j < len(types) and types[j] in NUMBER_FORMATS for j in range(len(header))]
    for i, row in enumerate(rows, 2):
        cells = ws.rows.setdefault(i, {})
        for j, v in enumerate(row, 1):
            if type(v) is str and not (v[:1].isdigit() or (j <= len(dated) and dated[j - 1])):
                fmt = None
            else:
                v = typed(v, types[j - 1] if j - 1 < len(types) else None)
                fmt = None if isinstance(v, (str, int, float)) else _number_format(v)
            sid = styles.get(fmt)
            if sid is None:
                sid = styles[fmt] = wb.style(dataclasses.replace(BODY, numfmt=fmt))
            cells[j] = (v, sid)
    widths = {}
    wrapping = {}  # the columns where a cell may need more than one line
    for j, h in enumerate(header, 1):
        spec_w = columns[j - 1].width if columns and columns[j - 1].width else None
        widest, breaks = _widest([h] + [r[j - 1] for r in rows if j - 1 < len(r)])
        widths[j] = ws.widths[j] = spec_w or min(max(10, widest + 2), 60)
        # A column as wide as its widest text plus two keeps every cell on one line (lines()).
        if spec_w or widest + 2 > 60 or breaks:
            wrapping[j] = widths[j]
    if wrapping:
        fit_rows(ws, 1, len(rows) + 1, wrapping)
    ws.freeze = (2, 1)
    if rows:
        ws.autofilter = (len(rows) + 1, len(header))
    if columns:
        last = max(len(rows) + 1, 200)
        for j, col in enumerate(columns, 1):
            if col.allowed:
                formula = '"' + ",".join(a.replace('"', "") for a in col.allowed) + '"'
                if len(formula) <= 255:  # Excel's limit for an inline list
                    letter = column_letter(j)
                    ws.validations.append((f"{letter}2:{letter}{last}", formula, f"请从列表中选择：{col.name}"))


#: Width of the 内容 columns of a content sheet: text spans them all, a table takes one each.
CONTENT_WIDTH = 90
SECTION_WIDTH = 28


def _content_sheet(wb: Workbook, ws: Sheet, document: Document) -> None:
    """The sections as real cells: a section's title in column A, its text in column B (wrapped
    across the table width), each table as a cell range with its own header row."""
    head = wb.style(HEADER)
    tables = [b for s in document.walk() for b in s.blocks if isinstance(b, Table)]
    ncols = max([len(t.header) for t in tables] + [1])
    ws.set(1, 1, "章节", head)
    ws.set(1, 2, "内容", head)
    for j in range(3, ncols + 2):
        ws.set(1, j, None, head)
    if ncols > 1:
        ws.merges.append((1, 2, 1, ncols + 1))
    # Text spans the table columns: their widths add up to the content width.
    col_w = max(CONTENT_WIDTH / ncols, 12)
    ws.widths.update({1: SECTION_WIDTH, **{j: col_w for j in range(2, ncols + 2)}})
    text_style = {b: wb.style(Style(bold=b, valign="top", wrap=True)) for b in (False, True)}
    body = wb.style(BODY)
    row = 2

    def text_row(text: str, bold: bool = False) -> None:
        nonlocal row
        ws.set(row, 2, text, text_style[bold])
        if ncols > 1:
            ws.merges.append((row, 2, row, ncols + 1))
        n = lines(text, col_w * ncols)
        if n > 1:
            ws.heights[row] = n * LINE_PT
        row += 1

    for s, num, _ in iter_numbered(document.sections):
        ws.set(row, 1, f"{num}{s.title}", text_style[True])
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
                    ws.set(row, j, h, head)
                row += 1
                for r in b.rows:
                    for j, v in enumerate(r, 2):
                        v = typed(_number(v))
                        fmt = _number_format(v)
                        ws.set(row, j, v, wb.style(dataclasses.replace(BODY, numfmt=fmt)) if fmt else body)
                    row += 1
                fit_rows(ws, first, row - 1, {j: col_w for j in range(2, len(b.header) + 2)})
            elif isinstance(b, (Chart, Diagram, Gantt)):
                text_row(_block_text(b))
            else:
                raise unknown_block(b)
    ws.freeze = (2, 1)


def _number(value):
    """A table cell that is a plain number is stored as one (sums and filters work); other text stays text."""
    if (isinstance(value, str) and re.fullmatch(r"-?\d+(\.\d+)?", value.strip())
            and not re.fullmatch(r"0\d+", value.strip())):
        return float(value) if "." in value else int(value)
    return value


def _chart_sheet(wb: Workbook, ws: Sheet, chart: Chart) -> None:
    header = ["类别"] + [name for name, _ in chart.series]
    rows = [[cat] + [vals[i] for _, vals in chart.series] for i, cat in enumerate(chart.categories)]
    _table_sheet(wb, ws, header, rows)
    ws.charts.append(BarLineChart("line" if chart.type == "line" else "bar", chart.title, chart.unit or None,
                                  first_row=1, last_row=len(rows) + 1, last_col=len(header),
                                  anchor=(2, len(header) + 2)))


#: A Gantt week cell a task runs in is filled; a milestone's week shows ◆.
BAR = dataclasses.replace(BODY, fill="1F5C99")
MILESTONE = Style(bold=True, color="B5523B", border=True, halign="center")


def _gantt_sheet(wb: Workbook, ws: Sheet, g: Gantt) -> None:
    """A Gantt in cells: one row per task with its dates, one column per week, the task's weeks filled."""
    bars = [(b, dt.date.fromisoformat(b.start), dt.date.fromisoformat(b.end)) for b in g.bars]
    first = min(s for _, s, _ in bars)
    monday = first - dt.timedelta(days=first.weekday())
    last = max(e for _, _, e in bars)
    weeks = [monday + dt.timedelta(weeks=k) for k in range((last - monday).days // 7 + 1)]
    header = ["阶段", "任务/里程碑", "开始", "结束"] + [f"{w.month}/{w.day}" for w in weeks]
    rows = [[b.group, ("◆ " if b.milestone else "") + b.label, s, e] + [""] * len(weeks) for b, s, e in bars]
    _table_sheet(wb, ws, header, rows)
    bar, milestone = wb.style(BAR), wb.style(MILESTONE)
    for i, (b, s, e) in enumerate(bars, 2):
        for k, w in enumerate(weeks):
            if s <= w + dt.timedelta(days=6) and e >= w:
                if b.milestone:
                    ws.set(i, 5 + k, "◆", milestone)
                else:
                    ws.set(i, 5 + k, None, bar)
    for k in range(len(weeks)):
        ws.widths[5 + k] = 6
    ws.widths[1] = 14
    ws.widths[2] = 30
    ws.freeze = (2, 5)


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
        wb = Workbook(SLIDE_EA)
        taken: set[str] = set()
        _cover(wb, wb.add_sheet(sheet_title("封面", taken)), document)
        reg = document.register
        if reg is not None:
            ws = wb.add_sheet(sheet_title(reg.title or "清单", taken))
            _table_sheet(wb, ws, [c.name for c in reg.columns], reg.rows, reg.columns)
        if document.findings is not None:
            f = document.findings
            _table_sheet(wb, wb.add_sheet(sheet_title(f.title, taken)), [c.name for c in f.columns], f.rows,
                         f.columns)
        if document.sections:
            _content_sheet(wb, wb.add_sheet(sheet_title("内容", taken)), document)
        for k, chart in enumerate(document.charts(), 1):
            _chart_sheet(wb, wb.add_sheet(sheet_title(f"图表{k}", taken)), chart)
        for g in document.gantts():
            if g.bars:
                _gantt_sheet(wb, wb.add_sheet(sheet_title("甘特图", taken)), g)
        m = document.meta
        for ws in wb.sheets:
            # Printable as delivered: A4, one page wide, the header row repeated; printed pages say
            # what they are and where they stand.
            ws.landscape = ws.max_column > 4
            ws.title_rows = ws.freeze == (2, 1)
            ws.header = f"{m.customer_short} · {m.title}".replace("&", "&&")
            ws.footer = "第 &P 页 共 &N 页"
        props = wb.properties
        props.title, props.subject, props.creator = m.title, m.project, m.author or m.vendor
        props.description = f"{m.customer}：{m.service_line}"
        props.keywords = "；".join(x for x in (m.customer_short, m.service_title) if x)
        props.category, props.language = f"密级：{m.classification}", "zh-CN"
        return wb.to_bytes(f"{m.date}T00:00:00Z")
