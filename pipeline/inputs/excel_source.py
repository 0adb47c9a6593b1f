"""Register rows from a customer-filled .xlsx: read-only, values only, size-guarded.

A workbook is untrusted: before openpyxl sees it, the zip is checked part by part
(core.limits), and the register sheet's XML is scanned once, streaming, to find the
cells that hold values. openpyxl then reads only that range, whatever dimension the
sheet declares, so a 5 KB file cannot make it walk a billion empty cells.
"""
from __future__ import annotations

import re
import zipfile
from pathlib import Path

from pipeline.core.errors import Finding, Location, relpath
from pipeline.core.limits import (MAX_CELLS, MAX_COLUMNS, MAX_ROWS, MAX_SHEET_PART_BYTES, MAX_XLSX_BYTES,
                                  MAX_XLSX_UNPACKED, MAX_XML_PART_BYTES)
from pipeline.inputs.model import Rows

_S = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REF = re.compile(r"([A-Z]{1,3})(\d+)$")


def _guard(path: Path, shown: str) -> Finding | None:
    try:
        size = path.stat().st_size
    except OSError as exc:
        return Finding("input.missing-file", f"cannot read Excel file: {exc.strerror}; fix 'rows_from.file' "
                                                 "or add the file", Location(shown))
    if size > MAX_XLSX_BYTES:
        return Finding("input.bad-excel", f"file is {size} bytes, over the {MAX_XLSX_BYTES} allowed; split it",
                       Location(shown))
    if not zipfile.is_zipfile(path):
        return Finding("input.bad-excel", "not an Excel workbook (.xlsx is a zip file; this is not); "
                                          "save it from Excel as .xlsx", Location(shown))
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        return Finding("input.bad-excel", f"corrupt workbook: {exc}", Location(shown))
    unpacked = sum(i.file_size for i in infos)
    if unpacked > MAX_XLSX_UNPACKED:
        return Finding("input.bad-excel", f"workbook unpacks to {unpacked} bytes, over the {MAX_XLSX_UNPACKED} "
                                          "allowed (zip bomb?)", Location(shown))
    for i in infos:
        # zipfile never unpacks more than a member's recorded size, so these bounds hold.
        # Worksheets are streamed; every other part is parsed whole by openpyxl.
        limit = MAX_SHEET_PART_BYTES if i.filename.startswith("xl/worksheets/") else MAX_XML_PART_BYTES
        if i.file_size > limit:
            return Finding("input.bad-excel", f"the part {i.filename} unpacks to {i.file_size} bytes, over the "
                                              f"{limit} allowed (zip bomb?); keep only the register in this workbook",
                           Location(shown))
    return None


def _col(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def _forget(el) -> None:
    """Drop a parsed element and its earlier siblings: memory stays flat however long the sheet."""
    el.clear()
    while el.getprevious() is not None:
        del el.getparent()[0]


def _extent(fh, shown: str, sheet: str) -> tuple[int, int] | Finding:
    """(last row, last column) holding a value, from one streaming pass over the sheet XML.

    Counts every cell against MAX_CELLS and refuses values beyond MAX_ROWS / MAX_COLUMNS;
    the <dimension> the sheet declares is ignored (a hostile file can declare A1:XFD1048576).
    """
    from lxml import etree

    where = Location(shown, sheet=sheet)
    cells = last_row = last_col = row = 0
    try:
        # A few Python steps per row, none per cell (lxml counts them): the pass costs a
        # fraction of what openpyxl then spends on the same cells.
        for _, el in etree.iterparse(fh, events=("end",), tag=_S + "row", resolve_entities=False,
                                     no_network=True, huge_tree=False):
            r = el.get("r")
            row = int(r) if r and r.isdigit() else row + 1
            n = len(el)
            cells += n
            if cells > MAX_CELLS:
                return Finding("input.bad-excel", f"the sheet has more than {MAX_CELLS} cells, more than sowpack "
                                                  "reads; keep only the register in it", where)
            # The last cell holding something (<v>, <is> or <f>); cells come in column order.
            i = n - 1
            while i >= 0 and not len(el[i]):
                i -= 1
            if i >= 0:
                ref = el[i].get("r") or ""
                m = _REF.match(ref)
                col = _col(m.group(1)) if m else i + 1
                cell = ref if m else f"row {row}, column {col}"
                if col > MAX_COLUMNS:
                    return Finding("input.bad-excel", f"cell {cell} holds a value beyond the first {MAX_COLUMNS} "
                                                      "columns, more than sowpack reads; delete it or move the "
                                                      "register to a sheet of its own", where)
                if row > MAX_ROWS + 1:
                    return Finding("input.bad-excel", f"cell {cell} holds a value below row {MAX_ROWS + 1}: more than "
                                                      f"{MAX_ROWS} rows; split the register", where)
                last_row, last_col = max(last_row, row), max(last_col, col)
            _forget(el)
    except etree.XMLSyntaxError as exc:
        return Finding("input.bad-excel", f"the sheet's XML is malformed (line {exc.lineno}: {exc.msg}); open the "
                                          "workbook in Excel and save it again", where)
    return last_row, last_col


def read_rows(path: Path, sheet: str) -> tuple[Rows | None, list[Finding]]:
    """Read a sheet whose first row is the header; returns rows keyed by header name."""
    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter

    shown = relpath(path)
    bad = _guard(path, shown)
    if bad:
        return None, [bad]
    try:
        # data_only: take the values Excel stored; formulas are never evaluated here.
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many types on malformed files
        return None, [Finding("input.bad-excel", f"cannot open workbook: {type(exc).__name__}: {exc}; open it in "
                                                 "Excel and save it again", Location(shown))]
    try:
        if sheet not in wb.sheetnames:
            return None, [Finding("input.bad-excel", f"no sheet named '{sheet}' (sheets: {', '.join(wb.sheetnames)}); "
                                                   "rename the sheet or fix 'rows_from.sheet'",
                                  Location(shown))]
        ws = wb[sheet]
        part = getattr(ws, "_worksheet_path", None)
        if part is None:  # not a worksheet (a chartsheet): nothing to read
            return None, [Finding("input.bad-excel", f"'{sheet}' is not a worksheet; the register must be a "
                                                     "plain sheet", Location(shown))]
        with wb._archive.open(part) as fh:
            extent = _extent(fh, shown, sheet)
        if isinstance(extent, Finding):
            return None, [extent]
        last_row, last_col = extent
        empty = [Finding("input.missing-rows", "the sheet is empty: row 1 must hold the column names",
                         Location(shown, sheet=sheet, cell="A1"))]
        if not last_row:
            return None, empty
        try:
            it = ws.iter_rows(min_row=1, max_row=last_row, min_col=1, max_col=last_col, values_only=True)
            header_row = next(it, None)
            if not header_row or all(v is None for v in header_row):
                return None, empty
            header = [str(v).strip() if v is not None else "" for v in header_row]
            locations = {(-1, h): Location(shown, sheet=sheet, cell=f"{get_column_letter(i + 1)}1")
                         for i, h in enumerate(header) if h}
            rows: list[dict] = []
            for r, values in enumerate(it):
                if r >= MAX_ROWS:
                    return None, [Finding("input.bad-excel", f"more than {MAX_ROWS} rows",
                                          Location(shown, sheet=sheet))]
                if all(v is None or str(v).strip() == "" for v in values):
                    continue
                row = {}
                for i, h in enumerate(header):
                    if not h:
                        continue
                    v = values[i] if i < len(values) else None
                    row[h] = v
                    locations[(len(rows), h)] = Location(shown, sheet=sheet, cell=f"{get_column_letter(i + 1)}{r + 2}")
                rows.append(row)
        except Exception as exc:  # noqa: BLE001 - a damaged sheet is a finding, never a traceback
            return None, [Finding("input.bad-excel", f"cannot read the sheet: {type(exc).__name__}: {exc}; open the "
                                                     "workbook in Excel and save it again",
                                  Location(shown, sheet=sheet))]
        return Rows(header, rows, locations, Location(shown, sheet=sheet)), []
    finally:
        wb.close()


#: The size, zip and zip-bomb guard of input workbooks, for other readers of customer files.
guard_workbook = _guard
