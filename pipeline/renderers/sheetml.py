"""A small SpreadsheetML (.xlsx) writer: the cells, styles and parts sowpack's workbooks use, written as
text straight into a deterministic zip.

openpyxl builds an object per cell and serialises it through lxml; a 10,000-row register took
seconds that way. Here a cell is a (value, style id) pair in a dict of rows, and each part is
joined from strings once. openpyxl still reads every workbook (checks, dumps, the customers'
files): what this writes is what it, Excel and LibreOffice read.

Covered: inline strings (never formulas), numbers, booleans, dates and times as serial numbers;
cell styles (font, fill, thin border, alignment, number format); column widths, row heights,
merged cells, frozen panes, autofilter, list validations; A4 print setup with print titles,
header and footer; native bar and line charts; core and app properties.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from pipeline.core.text import clean
from pipeline.renderers.normalize import write_package

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_R = "http://schemas.openxmlformats.org/package/2006/relationships"
_C = "http://schemas.openxmlformats.org/drawingml/2006/chart"
_A = "http://schemas.openxmlformats.org/drawingml/2006/main"
_XDR = "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"
_CORE_REL = "http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties"
_DECL =  '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_CT = "application/vnd.openxmlformats-officedocument"

#: Excel reads "_x0041_" in a string as an escaped character: the underscore is escaped.
_OOXML_ESCAPE = re.compile(r"_(x[0-9A-Fa-f]{4}_)")
_EPOCH = dt.datetime(1899, 12, 30)
_EPOCH_DATE = _EPOCH.date()


def column_letter(n: int) -> str:
    """1 -> A, 27 -> AA."""
    out = ""
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


_LETTERS = [""] + [column_letter(n) for n in range(1, 703)]


def _letter(n: int) -> str:
    return _LETTERS[n] if n < len(_LETTERS) else column_letter(n)


def esc(text: str) -> str:
    """Text as XML character data (and attribute values: quotes too)."""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    if '"' in text:
        text = text.replace('"', "&quot;")
    return text


@dataclass(frozen=True)
class Style:
    """A cell's look. Every font is the workbook's (微软雅黑 unless told), size in points; colors RRGGBB."""

    bold: bool = False
    size: float = 11
    color: str | None = None
    fill: str | None = None
    border: bool = False
    halign: str | None = None
    valign: str | None = None
    wrap: bool = False
    numfmt: str | None = None


@dataclass
class BarLineChart:
    """A native chart of a sheet's table: categories in column 1, one series per further column."""

    kind: str  # "bar" or "line"
    title: str
    unit: str | None
    first_row: int  # the header row; data below it
    last_row: int
    last_col: int
    anchor: tuple[int, int]  # (row, column) of the top-left cell
    width_cm: float = 18
    height_cm: float = 9


@dataclass
class Sheet:
    name: str
    rows: dict[int, dict[int, tuple[Any, int]]] = field(default_factory=dict)
    widths: dict[int, float] = field(default_factory=dict)
    heights: dict[int, float] = field(default_factory=dict)
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)
    freeze: tuple[int, int] | None = None  # (row, column) of the first unfrozen cell
    autofilter: tuple[int, int] | None = None  # (last row, last column) of a filter from A1
    validations: list[tuple[str, str, str]] = field(default_factory=list)  # (sqref, list formula, error)
    charts: list[BarLineChart] = field(default_factory=list)
    landscape: bool = False
    title_rows: bool = False  # repeat row 1 on every printed page
    header: str = ""  # centred, in Excel's header codes: &P page, &N pages, && a literal &
    footer: str = ""

    def set(self, row: int, col: int, value: Any, style: int = 0) -> None:
        self.rows.setdefault(row, {})[col] = (value, style)

    def get(self, row: int, col: int) -> Any:
        return self.rows.get(row, {}).get(col, (None, 0))[0]

    @property
    def max_column(self) -> int:
        return max((max(cells) for cells in self.rows.values() if cells), default=1)

    @property
    def max_row(self) -> int:
        return max(self.rows, default=1)


@dataclass
class Properties:
    title: str = ""
    subject: str = ""
    creator: str = ""
    keywords: str = ""
    description: str = ""
    category: str = ""
    language: str = "zh-CN"


class Workbook:
    def __init__(self, font: str) -> None:
        self.font = font
        self.sheets: list[Sheet] = []
        self.properties = Properties()
        self._xfs: dict[Style, int] = {Style(): 0}

    def add_sheet(self, name: str) -> Sheet:
        sheet = Sheet(name)
        self.sheets.append(sheet)
        return sheet

    def style(self, style: Style) -> int:
        """The id of a cell style (registered on first use)."""
        sid = self._xfs.get(style)
        if sid is None:
            sid = self._xfs[style] = len(self._xfs)
        return sid

    # --- parts --------------------------------------------------------------------------------
    def to_bytes(self, iso_datetime: str) -> bytes:
        members: list[tuple[str, bytes]] = []
        overrides = [("/xl/workbook.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"),
                     ("/xl/styles.xml", f"{_CT}.spreadsheetml.styles+xml"),
                     ("/docProps/core.xml", "application/vnd.openxmlformats-package.core-properties+xml"),
                     ("/docProps/app.xml", f"{_CT}.extended-properties+xml")]
        sheet_rels, chart_no = [], 0
        for i, sheet in enumerate(self.sheets, 1):
            overrides.append((f"/xl/worksheets/sheet{i}.xml", f"{_CT}.spreadsheetml.worksheet+xml"))
            drawing = None
            if sheet.charts:
                drawing = f"drawing{i}.xml"
                anchors, rels = [], []
                for k, chart in enumerate(sheet.charts, 1):
                    chart_no += 1
                    members.append((f"xl/charts/chart{chart_no}.xml", _chart_xml(sheet, chart, self.font).encode()))
                    overrides.append((f"/xl/charts/chart{chart_no}.xml", f"{_CT}.drawingml.chart+xml"))
                    rels.append((f"rId{k}", f"{_R}/chart", f"../charts/chart{chart_no}.xml"))
                    anchors.append(_anchor_xml(chart, k))
                members.append((f"xl/drawings/{drawing}", (
                    f'{_DECL}<xdr:wsDr xmlns:xdr="{_XDR}" xmlns:a="{_A}">{"".join(anchors)}</xdr:wsDr>').encode()))
                members.append((f"xl/drawings/_rels/{drawing}.rels", _rels_xml(rels).encode()))
                overrides.append((f"/xl/drawings/{drawing}", f"{_CT}.drawing+xml"))
                members.append((f"xl/worksheets/_rels/sheet{i}.xml.rels",
                                _rels_xml([("rId1", f"{_R}/drawing", f"../drawings/{drawing}")]).encode()))
            members.append((f"xl/worksheets/sheet{i}.xml", _sheet_xml(sheet, i == 1, drawing is not None)))
            sheet_rels.append((f"rId{i}", f"{_R}/worksheet", f"worksheets/sheet{i}.xml"))
        sheet_rels.append((f"rId{len(self.sheets) + 1}", f"{_R}/styles", "styles.xml"))
        parts = [
            ("[Content_Types].xml", _content_types(overrides)),
            ("_rels/.rels", _rels_xml([("rId1", f"{_R}/officeDocument", "xl/workbook.xml"),
                                       ("rId2", _CORE_REL, "docProps/core.xml"),
                                       ("rId3", f"{_R}/extended-properties", "docProps/app.xml")])),
            ("docProps/app.xml", self._app_xml()),
            ("docProps/core.xml", self._core_xml(iso_datetime)),
            ("xl/workbook.xml", self._workbook_xml()),
            ("xl/_rels/workbook.xml.rels", _rels_xml(sheet_rels)),
            ("xl/styles.xml", self._styles_xml()),
        ]
        return write_package([(n, b.encode()) for n, b in parts] + members, iso_datetime)

    def _workbook_xml(self) -> str:
        sheets = "".join(f'<sheet name="{esc(s.name)}" sheetId="{i}" r:id="rId{i}"/>'
                         for i, s in enumerate(self.sheets, 1))
        names = []
        for i, s in enumerate(self.sheets):
            quoted = "'" + esc(s.name.replace("'", "''")) + "'"
            if s.autofilter:
                last_row, last_col = s.autofilter
                names.append(f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i}" hidden="1">'
                             f"{quoted}!$A$1:${_letter(last_col)}${last_row}</definedName>")
            if s.title_rows:
                names.append(f'<definedName name="_xlnm.Print_Titles" localSheetId="{i}">{quoted}!$1:$1</definedName>')
        defined = f"<definedNames>{''.join(names)}</definedNames>" if names else ""
        return (f'{_DECL}<workbook xmlns="{_MAIN}" xmlns:r="{_R}"><workbookPr/><bookViews><workbookView activeTab="0"/>'
                f"</bookViews><sheets>{sheets}</sheets>{defined}<calcPr calcId=\"124519\" fullCalcOnLoad=\"1\"/>"
                "</workbook>")

    def _styles_xml(self) -> str:
        numfmts: dict[str, int] = {}
        fonts: dict[tuple, int] = {}
        fills: dict[str, int] = {}
        xfs = []
        for style in self._xfs:  # in id order
            fmt_id = 0
            if style.numfmt:
                fmt_id = numfmts.setdefault(style.numfmt, 164 + len(numfmts))
            font_id = fonts.setdefault((style.bold, style.size, style.color), len(fonts))
            fill_id = fills.setdefault(style.fill, len(fills) + 2) if style.fill else 0
            align = ""
            if style.halign or style.valign or style.wrap:
                align = ("<alignment" + (f' horizontal="{style.halign}"' if style.halign else "")
                         + (f' vertical="{style.valign}"' if style.valign else "")
                         + (' wrapText="1"' if style.wrap else "") + "/>")
            xfs.append(f'<xf numFmtId="{fmt_id}" fontId="{font_id}" fillId="{fill_id}" borderId="{int(style.border)}" '
                       f'xfId="0"' + (' applyNumberFormat="1"' if fmt_id else "") + ' applyFont="1"'
                       + (' applyFill="1"' if fill_id else "") + (' applyBorder="1"' if style.border else "")
                       + (f' applyAlignment="1">{align}</xf>' if align else "/>"))
        font_name = esc(self.font)
        font_xml = "".join(
            "<font>" + ("<b/>" if bold else "") + f'<sz val="{size:g}"/>'
            + (f'<color rgb="00{color}"/>' if color else "")
            + f'<name val="{font_name}"/><family val="2"/><charset val="134"/></font>'
            for bold, size, color in fonts)
        fill_xml = "".join(f'<fill><patternFill patternType="solid"><fgColor rgb="00{c}"/><bgColor indexed="64"/>'
                           "</patternFill></fill>" for c in fills)
        thin = '<{0} style="thin"><color rgb="00A6A6A6"/></{0}>'
        fmts = "".join(f'<numFmt numFmtId="{i}" formatCode="{esc(f)}"/>' for f, i in numfmts.items())
        return (f'{_DECL}<styleSheet xmlns="{_MAIN}">'
                + (f'<numFmts count="{len(numfmts)}">{fmts}</numFmts>' if numfmts else "")
                + f'<fonts count="{len(fonts)}">{font_xml}</fonts>'
                f'<fills count="{len(fills) + 2}"><fill><patternFill patternType="none"/></fill>'
                f'<fill><patternFill patternType="gray125"/></fill>{fill_xml}</fills>'
                '<borders count="2"><border><left/><right/><top/><bottom/><diagonal/></border><border>'
                + "".join(thin.format(side) for side in ("left", "right", "top", "bottom"))
                + "<diagonal/></border></borders>"
                '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
                f'<cellXfs count="{len(xfs)}">{"".join(xfs)}</cellXfs>'
                '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
                "</styleSheet>")

    def _core_xml(self, iso_datetime: str) -> str:
        p = self.properties
        fields = [("dc:title", p.title), ("dc:subject", p.subject), ("dc:creator", p.creator),
                  ("cp:keywords", p.keywords), ("dc:description", p.description), ("cp:lastModifiedBy", p.creator),
                  ("cp:category", p.category), ("dc:language", p.language)]
        body = "".join(f"<{k}>{esc(clean(v))}</{k}>" for k, v in fields if v)
        return (f'{_DECL}<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/'
                'core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" '
                'xmlns:dcterms="http://purl.org/dc/terms/" '
                'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
                f'{body}<dcterms:created xsi:type="dcterms:W3CDTF">{iso_datetime}</dcterms:created>'
                f'<dcterms:modified xsi:type="dcterms:W3CDTF">{iso_datetime}</dcterms:modified></cp:coreProperties>')

    def _app_xml(self) -> str:
        return (f'{_DECL}<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
                "<Application>sowpack</Application></Properties>")


# --- one sheet -----------------------------------------------------------------------------------------
def _serial(value) -> float:
    if isinstance(value, dt.datetime):
        delta = value.replace(tzinfo=None) - _EPOCH
        return delta.days + delta.seconds / 86400 + delta.microseconds / 86_400_000_000
    if isinstance(value, dt.date):
        return float((value - _EPOCH_DATE).days)
    return (value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6) / 86400


def _number(x: float) -> str:
    return str(int(x)) if x == int(x) else repr(x)


def _cell(ref: str, value, s: int) -> str:
    style = f' s="{s}"' if s else ""
    if value is None or value == "":
        return f'<c r="{ref}"{style}/>' if s else ""
    if isinstance(value, str):
        return _text_cell(ref, style, value)
    if isinstance(value, bool):
        return f'<c r="{ref}"{style} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int):
        return f'<c r="{ref}"{style}><v>{value}</v></c>'
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return _cell(ref, str(value), s)
        return f'<c r="{ref}"{style}><v>{_number(value)}</v></c>'
    if isinstance(value, (dt.date, dt.time)):
        return f'<c r="{ref}"{style}><v>{_number(_serial(value))}</v></c>'
    return _cell(ref, str(value), s)


def _text_cell(ref: str, style: str, text: str) -> str:
    """A cell of non-empty text, inline (cleaned: the renderer cleans the document's text first,
    renderers.base); Excel's _xHHHH_ escapes stay literal, spaces at either end are kept."""
    if "_x" in text:
        text = _OOXML_ESCAPE.sub(r"_x005F_\1", text)
    space = ' xml:space="preserve"' if text[0].isspace() or text[-1].isspace() else ""
    return f'<c r="{ref}"{style} t="inlineStr"><is><t{space}>{esc(text)}</t></is></c>'


def _pane(sheet: Sheet) -> str:
    if not sheet.freeze:
        return ""
    row, col = sheet.freeze
    ref = f"{_letter(col)}{row}"
    split = (f' xSplit="{col - 1}"' if col > 1 else "") + (f' ySplit="{row - 1}"' if row > 1 else "")
    pane = "bottomRight" if col > 1 and row > 1 else ("topRight" if col > 1 else "bottomLeft")
    return (f'<pane{split} topLeftCell="{ref}" activePane="{pane}" state="frozen"/>'
            f'<selection pane="{pane}" activeCell="{ref}" sqref="{ref}"/>')


def _header_text(text: str) -> str:
    """A centred header or footer of 9 pt text; text is in Excel's codes (&P the page, && a literal &)."""
    return esc("&C&9 " + clean(text))


def _sheet_xml(sheet: Sheet, selected: bool, drawing: bool) -> bytes:
    tab = ' tabSelected="1"' if selected else ""
    out = [(f'{_DECL}<worksheet xmlns="{_MAIN}" xmlns:r="{_R}"><sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>'
           f'<dimension ref="A1:{_letter(sheet.max_column)}{sheet.max_row}"/>'
           f'<sheetViews><sheetView{tab} workbookViewId="0">{_pane(sheet)}'
           '</sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/>')]
    if sheet.widths:
        out.append("<cols>" + "".join(f'<col min="{j}" max="{j}" width="{w:g}" customWidth="1"/>'
                                      for j, w in sorted(sheet.widths.items())) + "</cols>")
    out.append("<sheetData>")
    heights = sheet.heights
    attrs: dict[int, str] = {}  # style id -> its attribute
    for r in sorted(sheet.rows):
        cells = sheet.rows[r]
        h = heights.get(r)
        rs = str(r)
        out.append(f'<row r="{rs}" ht="{h:g}" customHeight="1">' if h else f'<row r="{rs}">')
        for c in sorted(cells):
            value, s = cells[c]
            if type(value) is not str or not value:
                out.append(_cell(_letter(c) + rs, value, s))
                continue
            # Text, most cells of a register, without _cell's tests of the other types.
            style = attrs.get(s)
            if style is None:
                style = attrs[s] = f' s="{s}"' if s else ""
            out.append(_text_cell(_letter(c) + rs, style, value))
        out.append("</row>")
    out.append("</sheetData>")
    if sheet.autofilter:
        out.append(f'<autoFilter ref="A1:{_letter(sheet.autofilter[1])}{sheet.autofilter[0]}"/>')
    if sheet.merges:
        out.append(f'<mergeCells count="{len(sheet.merges)}">' + "".join(
            f'<mergeCell ref="{_letter(c1)}{r1}:{_letter(c2)}{r2}"/>' for r1, c1, r2, c2 in sheet.merges)
            + "</mergeCells>")
    if sheet.validations:
        out.append(f'<dataValidations count="{len(sheet.validations)}">' + "".join(
            f'<dataValidation type="list" allowBlank="1" showErrorMessage="1" error="{esc(error)}" sqref="{sqref}">'
            f"<formula1>{esc(formula)}</formula1></dataValidation>" for sqref, formula, error in sheet.validations)
            + "</dataValidations>")
    out.append('<pageMargins left="0.75" right="0.75" top="1" bottom="1" header="0.5" footer="0.5"/>'
               f'<pageSetup paperSize="9" orientation="{"landscape" if sheet.landscape else "portrait"}" '
               'fitToWidth="1" fitToHeight="0"/>')
    if sheet.header or sheet.footer:
        out.append("<headerFooter>" + (f"<oddHeader>{_header_text(sheet.header)}</oddHeader>" if sheet.header else "")
                   + (f"<oddFooter>{_header_text(sheet.footer)}</oddFooter>" if sheet.footer else "")
                   + "</headerFooter>")
    if drawing:
        out.append('<drawing r:id="rId1"/>')
    out.append("</worksheet>")
    return "".join(out).encode()


# --- packaging -----------------------------------------------------------------------------------------
def _rels_xml(rels: list[tuple[str, str, str]]) -> str:
    return (f'{_DECL}<Relationships xmlns="{_PKG_R}">'
            + "".join(f'<Relationship Id="{i}" Type="{t}" Target="{target}"/>' for i, t, target in rels)
            + "</Relationships>")


def _content_types(overrides: list[tuple[str, str]]) -> str:
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            + "".join(f'<Override PartName="{p}" ContentType="{t}"/>' for p, t in overrides) + "</Types>")


# --- charts --------------------------------------------------------------------------------------------
_EMU_PER_CM = 360_000
#: The series' colours, in order: the documents' blue first.
SERIES_COLORS = ("1F5C99", "E07B39", "5B9B4A", "8E6BB8", "C9A227", "3A9FB0")


def _anchor_xml(chart: BarLineChart, k: int) -> str:
    row, col = chart.anchor
    return (f"<xdr:oneCellAnchor><xdr:from><xdr:col>{col - 1}</xdr:col><xdr:colOff>0</xdr:colOff>"
            f"<xdr:row>{row - 1}</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:from>"
            f'<xdr:ext cx="{int(chart.width_cm * _EMU_PER_CM)}" cy="{int(chart.height_cm * _EMU_PER_CM)}"/>'
            f'<xdr:graphicFrame macro=""><xdr:nvGraphicFramePr><xdr:cNvPr id="{k + 1}" name="图表 {k}"/>'
            '<xdr:cNvGraphicFramePr/></xdr:nvGraphicFramePr><xdr:xfrm><a:off x="0" y="0"/><a:ext cx="0" cy="0"/>'
            f'</xdr:xfrm><a:graphic><a:graphicData uri="{_C}"><c:chart xmlns:c="{_C}" xmlns:r="{_R}" r:id="rId{k}"/>'
            "</a:graphicData></a:graphic></xdr:graphicFrame><xdr:clientData/></xdr:oneCellAnchor>")


def _rich(text: str, size: int, bold: bool, font: str) -> str:
    return (f'<c:tx><c:rich><a:bodyPr/><a:lstStyle/><a:p><a:pPr><a:defRPr sz="{size}" b="{int(bold)}"/></a:pPr>'
            f'<a:r><a:rPr lang="zh-CN" altLang="en-US" sz="{size}" b="{int(bold)}"><a:latin typeface="{esc(font)}"/>'
            f'<a:ea typeface="{esc(font)}"/></a:rPr><a:t>{esc(clean(text))}</a:t></a:r></a:p></c:rich></c:tx>'
            '<c:overlay val="0"/>')


def _str_ref(ref: str, values: list) -> str:
    pts = "".join(f'<c:pt idx="{i}"><c:v>{esc(clean(str(v)))}</c:v></c:pt>' for i, v in enumerate(values))
    return f'<c:strRef><c:f>{esc(ref)}</c:f><c:strCache><c:ptCount val="{len(values)}"/>{pts}</c:strCache></c:strRef>'


def _num_ref(ref: str, values: list) -> str:
    pts = "".join(f'<c:pt idx="{i}"><c:v>{_number(float(v))}</c:v></c:pt>' for i, v in enumerate(values)
                  if isinstance(v, (int, float)) and not isinstance(v, bool))
    return (f'<c:numRef><c:f>{esc(ref)}</c:f><c:numCache><c:formatCode>General</c:formatCode>'
            f'<c:ptCount val="{len(values)}"/>{pts}</c:numCache></c:numRef>')


def _chart_xml(sheet: Sheet, chart: BarLineChart, font: str) -> str:
    quoted = "'" + sheet.name.replace("'", "''") + "'"
    first, last = chart.first_row + 1, chart.last_row
    cats = [sheet.get(r, 1) for r in range(first, last + 1)]
    series = []
    for k, col in enumerate(range(2, chart.last_col + 1)):
        letter = _letter(col)
        name = sheet.get(chart.first_row, col)
        values = [sheet.get(r, col) for r in range(first, last + 1)]
        color = SERIES_COLORS[k % len(SERIES_COLORS)]
        if chart.kind == "line":
            look = (f'<c:spPr><a:ln w="28575" cap="rnd"><a:solidFill><a:srgbClr val="{color}"/></a:solidFill>'
                    '<a:round/></a:ln></c:spPr><c:marker><c:symbol val="circle"/><c:size val="6"/>'
                    f'<c:spPr><a:solidFill><a:srgbClr val="{color}"/></a:solidFill></c:spPr></c:marker>')
        else:
            look = (f'<c:spPr><a:solidFill><a:srgbClr val="{color}"/></a:solidFill></c:spPr>'
                    '<c:invertIfNegative val="0"/>')
        series.append(
            f'<c:ser><c:idx val="{k}"/><c:order val="{k}"/>'
            f"<c:tx>{_str_ref(f'{quoted}!${letter}${chart.first_row}', [name])}</c:tx>{look}"
            f"<c:cat>{_str_ref(f'{quoted}!$A${first}:$A${last}', cats)}</c:cat>"
            f"<c:val>{_num_ref(f'{quoted}!${letter}${first}:${letter}${last}', values)}</c:val>"
            + ('<c:smooth val="0"/>' if chart.kind == "line" else "") + "</c:ser>")
    if chart.kind == "line":
        plot = (f'<c:lineChart><c:grouping val="standard"/><c:varyColors val="0"/>{"".join(series)}'
                '<c:marker val="1"/><c:axId val="10"/><c:axId val="100"/></c:lineChart>')
    else:
        plot = (f'<c:barChart><c:barDir val="col"/><c:grouping val="clustered"/><c:varyColors val="0"/>'
                f'{"".join(series)}<c:gapWidth val="150"/><c:axId val="10"/><c:axId val="100"/></c:barChart>')
    axis = ('<c:scaling><c:orientation val="minMax"/></c:scaling><c:delete val="0"/>')
    unit = f"<c:title>{_rich(chart.unit, 900, False, font)}</c:title>" if chart.unit else ""
    return (f'{_DECL}<c:chartSpace xmlns:c="{_C}" xmlns:a="{_A}" xmlns:r="{_R}"><c:roundedCorners val="0"/><c:chart>'
            f"<c:title>{_rich(chart.title, 1400, True, font)}</c:title><c:autoTitleDeleted val=\"0\"/>"
            f"<c:plotArea><c:layout/>{plot}"
            f'<c:catAx><c:axId val="10"/>{axis}<c:axPos val="b"/><c:numFmt formatCode="General" sourceLinked="1"/>'
            '<c:majorTickMark val="out"/><c:minorTickMark val="none"/><c:tickLblPos val="nextTo"/>'
            '<c:crossAx val="100"/>'
            '<c:crosses val="autoZero"/><c:auto val="1"/><c:lblAlgn val="ctr"/><c:lblOffset val="100"/>'
            '<c:noMultiLvlLbl val="0"/></c:catAx>'
            f'<c:valAx><c:axId val="100"/>{axis}<c:axPos val="l"/><c:majorGridlines/>{unit}'
            '<c:numFmt formatCode="General" sourceLinked="1"/><c:majorTickMark val="out"/><c:minorTickMark val="none"/>'
            '<c:tickLblPos val="nextTo"/><c:crossAx val="10"/><c:crosses val="autoZero"/>'
            '<c:crossBetween val="between"/></c:valAx></c:plotArea>'
            '<c:legend><c:legendPos val="r"/><c:overlay val="0"/></c:legend><c:plotVisOnly val="1"/>'
            '<c:dispBlanksAs val="gap"/></c:chart>'
            '<c:txPr><a:bodyPr/><a:lstStyle/><a:p><a:pPr><a:defRPr>'
            f'<a:latin typeface="{esc(font)}"/><a:ea typeface="{esc(font)}"/>'
            "</a:defRPr></a:pPr><a:endParaRPr lang=\"zh-CN\"/></a:p></c:txPr></c:chartSpace>")
