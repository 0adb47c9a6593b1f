"""Every resource limit in one place: no input, however hostile, costs more than a few
seconds or a few hundred MB (measured on the project's 2-core machine kind, FACTS.md).

Each limit is far above what a real engagement needs (the largest sample answers file
is 52 KB with about 2,000 values; the largest sample workbook a few hundred cells) and
far below what makes a build or `check` slow. A value over a limit is an error that
names the file, the limit and the fix; nothing is ever silently cut.
"""
from __future__ import annotations

# --- YAML (specs, engagement.yaml, answers) -------------------------------------------
#: Largest YAML file read at all (hand-written text; big registers belong in Excel).
MAX_YAML_BYTES = 5 * 1024 * 1024
#: Values in one YAML file once aliases are expanded. Aliases share one object, but
#: the position map, the character scan and every JSON digest walk each use of it: 1 KB
#: of nested aliases ("billion laughs") would grow past 5 GB. 200,000 values is a 2 MB
#: register written out by hand and costs about a second to load and index.
MAX_YAML_NODES = 200_000
#: Nesting depth of one YAML file (the deepest real input is about 8 levels). PyYAML's
#: composer and every walk over the data recurse once per level, so 500 levels would
#: end in a RecursionError.
MAX_YAML_DEPTH = 32

# --- Excel input workbooks -----------------------------------------------------------
#: Largest .xlsx file read at all.
MAX_XLSX_BYTES = 20 * 1024 * 1024
#: All parts of one workbook together, unpacked (a zip bomb is refused before it is opened).
MAX_XLSX_UNPACKED = 200 * 1024 * 1024
#: Data rows of one register sheet.
MAX_ROWS = 100_000
#: Columns of one register sheet (Excel 2003's 256; registers use fewer than 30). A
#: sheet that declares column XFD would otherwise make every row 16,384 cells wide.
MAX_COLUMNS = 256
#: Cells written in one sheet (filled or not), e.g. 20,000 rows of 10 columns. openpyxl
#: reads about 30,000 cells a second on a quiet machine (100,000 x 4 cells took 62 s with
#: the 2 cores shared), so this bounds a sheet to a few seconds; a 5 KB file can
#: declare billions of cells.
MAX_CELLS = 200_000
#: Unpacked size of one worksheet part of an input workbook. Worksheets are streamed,
#: never held whole; openpyxl's inline strings take about 70 bytes a cell, so a sheet of
#: MAX_CELLS cells needs about 15 MB; the margin is for long texts.
MAX_SHEET_PART_BYTES = 64 * 1024 * 1024

# --- Office files opened by `build` (inputs) and `check` (outputs) ---------------------
#: Unpacked size of any zip part parsed whole into memory (every part `check` reads; an
#: input workbook's shared strings, styles and workbook part), and of all the XML `check`
#: parses from one file together: lxml holds about 13 bytes of tree per byte of dense
#: XML, so 32 MiB costs at most ~420 MB. A sowpack document part is well under 1 MiB,
#: a sheet of MAX_CELLS cells written by sowpack about 8 MiB.
MAX_XML_PART_BYTES = 32 * 1024 * 1024

# --- JSON the tool reads back (manifest.json, the build journal) ------------------------
#: A pack's manifest is tens of KB; anything near this limit was not written by sowpack.
MAX_JSON_BYTES = 16 * 1024 * 1024

# --- File names ------------------------------------------------------------------------
#: Most file systems (ext4, NTFS, APFS) allow 255 bytes per name.
MAX_NAME_BYTES = 255
#: A name derived from input text (a title, a folder name) is cut to this many UTF-8
#: bytes, so that '<name>.bak-NNN.docx' and its temporary '.<name>.XXXXXXXX.tmp' still
#: fit MAX_NAME_BYTES (200 + 9 + 5 + 14 = 228).
MAX_DERIVED_NAME_BYTES = 200
