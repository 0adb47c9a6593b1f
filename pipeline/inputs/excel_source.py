"""Register rows from a customer-filled .xlsx: read-only, values only, size-guarded.

A workbook is untrusted: before openpyxl sees it, the zip is checked part by part
(core.limits), and the register sheet's XML is scanned once, streaming, to find the
cells that hold values. openpyxl then reads only that range, whatever dimension the
sheet declares, so a 5 KB file cannot make it walk a billion empty cells.

A sheet read without a finding is remembered in the user's cache by the workbook's hash
(core.cache): a build whose workbooks have not changed neither opens them nor imports
openpyxl (about 0.2 s, numpy included).
"""
from __future__ import annotations

import hashlib
import marshal
import re
import zipfile
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from pipeline.core import cache
from pipeline.core.errors import Finding, Location, relpath
from pipeline.core.limits import (MAX_CELLS, MAX_COLUMNS, MAX_ROWS, MAX_SHEET_PART_BYTES, MAX_XLSX_BYTES,
                                  MAX_XLSX_UNPACKED, MAX_XML_PART_BYTES)
from pipeline.core.manifest import sha256_file
from pipeline.core.yamlio import pack, unpack
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


class _SheetLocations(Mapping):
    """(row index, column name) -> Location of a register cell read from a sheet, made when asked
    for (only a finding needs one); (-1, name) is the header cell."""

    def __init__(self, shown: str, sheet: str, letters: dict[str, str], numbers: list[int],
                 rows: list[dict[str, Any]]) -> None:
        #: letters: column name -> its column's letter; numbers: each row's row number in the sheet.
        self._shown, self._sheet, self._letters, self._numbers, self._rows = shown, sheet, letters, numbers, rows

    def __getitem__(self, key: tuple[int, str]) -> Location:
        i, name = key
        if name not in self._letters or not isinstance(i, int) or not -1 <= i < len(self._numbers):
            raise KeyError(key)
        return Location(self._shown, sheet=self._sheet, cell=f"{self._letters[name]}{1 if i < 0 else self._numbers[i]}")

    def __iter__(self):
        yield from ((-1, name) for name in self._letters)
        yield from ((i, name) for i, row in enumerate(self._rows) for name in row)

    def __len__(self) -> int:
        return len(self._letters) + sum(len(row) for row in self._rows)


def read_rows(path: Path, sheet: str) -> tuple[Rows | None, list[Finding]]:
    """Read a sheet whose first row is the header; returns rows keyed by header name."""
    shown = relpath(path)
    if not cache.enabled():
        return _read_rows(path, sheet, shown)
    try:
        name = (f"{_code_version()}-{_limits()}-{sha256_file(path)}-"
                f"{hashlib.sha256(sheet.encode()).hexdigest()[:16]}")
    except OSError:
        return _read_rows(path, sheet, shown)
    known = _from_record(cache.load_bytes("excel-rows", name), shown, sheet)
    if known is not None:
        return known, []
    rows, found = _read_rows(path, sheet, shown)
    if rows is not None and not found and isinstance(rows.locations, _SheetLocations):
        record = _to_record(rows)
        if record is not None:  # a value marshal cannot hold (a time of day) is read again next time
            cache.store_bytes("excel-rows", name, record)
    return rows, found


@lru_cache(maxsize=1)
def _code_version() -> str:
    here = Path(__file__).resolve()
    return cache.code_digest([here, here.parent / "model.py", here.parent.parent / "core" / "limits.py"],
                             ("openpyxl",))


def _limits() -> str:
    """The limits in force (a test lowers them): a record read under others is not one for these."""
    values = (MAX_CELLS, MAX_COLUMNS, MAX_ROWS, MAX_SHEET_PART_BYTES, MAX_XLSX_BYTES, MAX_XLSX_UNPACKED,
              MAX_XML_PART_BYTES)
    return hashlib.sha256(repr(values).encode()).hexdigest()[:12]


def _to_record(rows: Rows) -> bytes | None:
    loc = rows.locations
    assert isinstance(loc, _SheetLocations)
    dates: list = []
    try:
        return marshal.dumps((rows.header, pack(rows.rows, (), dates), dates, loc._letters, loc._numbers))
    except (TypeError, ValueError):
        return None


def _from_record(raw: bytes | None, shown: str, sheet: str) -> Rows | None:
    if raw is None:
        return None
    try:
        header, packed, dates, letters, numbers = marshal.loads(raw)
        rows = unpack(packed, dates)
    except (EOFError, ValueError, TypeError, IndexError, KeyError):
        return None
    return Rows(header, rows, _SheetLocations(shown, sheet, letters, numbers, rows), Location(shown, sheet=sheet))


def _read_rows(path: Path, sheet: str, shown: str) -> tuple[Rows | None, list[Finding]]:
    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter

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
            # A name given to two columns names the later one, as its cells are read below.
            letters = {h: get_column_letter(i + 1) for i, h in enumerate(header) if h}
            numbers: list[int] = []
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
                    row[h] = values[i] if i < len(values) else None
                numbers.append(r + 2)
                rows.append(row)
        except Exception as exc:  # noqa: BLE001 - a damaged sheet is a finding, never a traceback
            return None, [Finding("input.bad-excel", f"cannot read the sheet: {type(exc).__name__}: {exc}; open the "
                                                     "workbook in Excel and save it again",
                                  Location(shown, sheet=sheet))]
        located = _SheetLocations(shown, sheet, letters, numbers, rows)
        return Rows(header, rows, located, Location(shown, sheet=sheet)), []
    finally:
        wb.close()


#: The size, zip and zip-bomb guard of input workbooks, for other readers of customer files.
guard_workbook = _guard
