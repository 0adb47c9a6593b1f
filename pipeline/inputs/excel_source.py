"""Register rows from a customer-filled .xlsx: read-only, values only, size-guarded."""
from __future__ import annotations

import zipfile
from pathlib import Path

from pipeline.core.errors import Finding, Location, relpath
from pipeline.inputs.model import Rows

MAX_XLSX_BYTES = 20 * 1024 * 1024
MAX_XLSX_UNPACKED = 200 * 1024 * 1024
MAX_ROWS = 100_000


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
            unpacked = sum(i.file_size for i in zf.infolist())
    except zipfile.BadZipFile as exc:
        return Finding("input.bad-excel", f"corrupt workbook: {exc}", Location(shown))
    if unpacked > MAX_XLSX_UNPACKED:
        return Finding("input.bad-excel", f"workbook unpacks to {unpacked} bytes, over the {MAX_XLSX_UNPACKED} "
                                          "allowed (zip bomb?)", Location(shown))
    return None


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
        return None, [Finding("input.bad-excel", f"cannot open workbook: {type(exc).__name__}: {exc}", Location(shown))]
    try:
        if sheet not in wb.sheetnames:
            return None, [Finding("input.bad-excel", f"no sheet named '{sheet}' (sheets: {', '.join(wb.sheetnames)}); "
                                                   "rename the sheet or fix 'rows_from.sheet'",
                                  Location(shown))]
        ws = wb[sheet]
        it = ws.iter_rows(values_only=True)
        header_row = next(it, None)
        if not header_row or all(v is None for v in header_row):
            return None, [Finding("input.missing-rows", "the sheet is empty: row 1 must hold the column names",
                                  Location(shown, sheet=sheet, cell="A1"))]
        header = [str(v).strip() if v is not None else "" for v in header_row]
        locations = {(-1, h): Location(shown, sheet=sheet, cell=f"{get_column_letter(i + 1)}1")
                     for i, h in enumerate(header) if h}
        rows: list[dict] = []
        for r, values in enumerate(it):
            if r >= MAX_ROWS:
                return None, [Finding("input.bad-excel", f"more than {MAX_ROWS} rows", Location(shown, sheet=sheet))]
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
        return Rows(header, rows, locations, Location(shown, sheet=sheet)), []
    finally:
        wb.close()


#: The size, zip and zip-bomb guard of input workbooks, for other readers of customer files.
guard_workbook = _guard
