"""Register sheets a person fills: header row, drop-downs for allowed values, typed date, time and
number cells, frozen header. Used by `sowpack new` (the register workbook) and the questionnaire."""
from __future__ import annotations

import re
import unicodedata

from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from pipeline.core.text import clean
from pipeline.core.values import BadValue, parse, to_python
from pipeline.specs.model import ColumnSpec

#: Rows prepared with types and drop-downs below the header.
PREPARED_ROWS = 300
#: Excel's limit on a list validation written inline ("a,b,c").
INLINE_LIST_MAX = 255
HEADER_FONT = Font(name="微软雅黑", bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1F3A5F")
BODY_FONT = Font(name="微软雅黑")
#: Number formats per column type.
NUMBER_FORMATS = {"date": "yyyy-mm-dd", "time": "hh:mm", "datetime": "yyyy-mm-dd hh:mm", "int": "0", "number": "0.##",
                  "text": "@"}
_OOXML_ESCAPE = re.compile(r"_(x[0-9A-Fa-f]{4}_)")
LISTS_SHEET = "_lists"


def sheet_title(text: str, taken: set[str]) -> str:
    """A valid, unique Excel sheet name (31 characters, none of []:*?/\\)."""
    base = re.sub(r"[\[\]:*?/\\]", "_", text).strip("'")[:31] or "Sheet"
    name, n = base, 2
    while name.lower() in {t.lower() for t in taken}:
        name = f"{base[:28]}_{n}"
        n += 1
    taken.add(name)
    return name


def width(text: str) -> float:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in str(text))


def put(ws, row: int, col: int, value, font=BODY_FONT):
    """Write a cell; text stays text even when it starts with '=' (never a formula)."""
    cell = ws.cell(row=row, column=col)
    if isinstance(value, str):
        cell.value = _OOXML_ESCAPE.sub(r"_x005F_\1", clean(value))
        cell.data_type = "s"
    else:
        cell.value = value
    cell.font = font
    return cell


def typed(value, ctype: str):
    """A register value as the cell should hold it: real dates, times and numbers where the column is
    typed (core/values.py); a value that is not of its type stays as written."""
    if ctype == "text" or not isinstance(value, str):
        return value
    try:
        return to_python(parse(value, ctype), ctype)
    except (BadValue, KeyError):
        return value


def _list_source(wb, allowed: tuple[str, ...]) -> str:
    """The formula of a list validation: inline when short, else a range on a hidden sheet."""
    inline = ",".join(a.replace('"', "'") for a in allowed)
    if len(inline) <= INLINE_LIST_MAX and "," not in "".join(allowed):
        return f'"{inline}"'
    ws = wb[LISTS_SHEET] if LISTS_SHEET in wb.sheetnames else wb.create_sheet(LISTS_SHEET)
    ws.sheet_state = "hidden"
    col = ws.max_column + 1 if ws.max_row > 1 or ws["A1"].value is not None else 1
    for i, a in enumerate(allowed, 1):
        put(ws, i, col, a)
    letter = get_column_letter(col)
    return f"{LISTS_SHEET}!${letter}$1:${letter}${len(allowed)}"


def register_sheet(wb, ws, columns: tuple[ColumnSpec, ...], rows: list[dict] | tuple[()] = (),
                   first_col: int = 1) -> None:
    """Header row (row 1), the rows given, then prepared rows: drop-downs, typed cells, frozen header."""
    last = max(len(rows) + 1, PREPARED_ROWS + 1)
    for j, c in enumerate(columns, first_col):
        cell = put(ws, 1, j, c.name, HEADER_FONT)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        letter = get_column_letter(j)
        ws.column_dimensions[letter].width = max(10.0, min(40.0, c.width or width(c.name) + 4,
                                                           *(width(a) + 4 for a in c.allowed)))
        for i in range(2, last + 1):
            ws.cell(row=i, column=j).number_format = NUMBER_FORMATS.get(c.type, "General")
        for i, row in enumerate(rows, 2):
            value = row.get(c.name)
            if value is not None and value != "":
                put(ws, i, j, typed(value, c.type)).number_format = NUMBER_FORMATS.get(c.type, "General")
        where = f"{letter}2:{letter}{last}"
        dv = None
        if c.allowed:
            dv = DataValidation(type="list", formula1=_list_source(wb, c.allowed), allow_blank=True,
                                showErrorMessage=True, errorTitle="不在可选值中",
                                error=f"请从下拉列表选择：{'、'.join(c.allowed)}"[:225])
        elif c.type == "date":
            dv = DataValidation(type="date", operator="greaterThan", formula1="1", allow_blank=True,
                                showErrorMessage=True, errorTitle="日期", error="请填写日期，如 2026-03-02")
        elif c.type == "datetime":
            dv = DataValidation(type="date", operator="greaterThan", formula1="1", allow_blank=True,
                                showErrorMessage=True, errorTitle="日期时间",
                                error="请填写日期和时间，如 2026-03-02 09:30")
        elif c.type == "time":
            dv = DataValidation(type="time", operator="between", formula1="0", formula2="0.99999", allow_blank=True,
                                showErrorMessage=True, errorTitle="时间", error="请填写时间，如 09:30")
        elif c.type in ("int", "number"):
            dv = DataValidation(type="whole" if c.type == "int" else "decimal", operator="between",
                                formula1="-1000000000000", formula2="1000000000000", allow_blank=True,
                                showErrorMessage=True, errorTitle="数字",
                                error="请填写整数" if c.type == "int" else "请填写数字")
        if dv is not None:
            dv.promptTitle = c.name[:32]
            ws.add_data_validation(dv)
            dv.add(where)
    ws.freeze_panes = ws.cell(row=2, column=first_col)
