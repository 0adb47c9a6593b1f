"""Read a filled questionnaire back into the engagement's answers.

Nothing in the workbook is evaluated (a formula is refused, never computed); every
value goes through the same limits as any input (control characters, placeholders,
allowed values, types, size), and every refused cell is reported with its place. An
answer is written only when the answers file still holds what the questionnaire was
exported with (or nothing): one changed by hand since is kept and reported, unless
--force. Importing the same file again changes nothing.
"""
from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.core.errors import Finding, InputError, Location, UsageError, relpath
from pipeline.core.text import bad_char, find_placeholder
from pipeline.core.values import BadValue, parse
from pipeline.core.writer import OutputWriter
from pipeline.core.yamlio import load_yaml
from pipeline.inputs.excel_source import MAX_ROWS, guard_workbook
from pipeline.inputs.load import load_engagement
from pipeline.questionnaire.model import (ANSWER, BASE, INDEX, KEY, PEOPLE_COLUMNS, PEOPLE_SHEET, RegisterSheet,
                                          ServiceQuestions, cell_text, digest, load, parse_project, parse_services,
                                          people_columns, people_rows, project_text, rows_digest)
from pipeline.scaffold.answers_file import render_answers
from pipeline.scaffold.flat import flat_sections
from pipeline.scaffold.workbook import NUMBER_FORMATS, put, typed
from pipeline.specs.model import ColumnSpec, SowSpec

#: Longest answer accepted in one cell (Excel holds 32,767 characters).
MAX_ANSWER_CHARS = 30_000

@dataclass
class ImportResult:
    """What an import did: answers written, kept and refused."""

    imported: list[str] = field(default_factory=list)
    unchanged: int = 0
    findings: list[Finding] = field(default_factory=list)
    #: (status word, path) of every file written.
    written: list[tuple[str, str]] = field(default_factory=list)

    @property
    def refused(self) -> list[Finding]:
        return [f for f in self.findings if f.code == "questionnaire.refused"]

    @property
    def conflicts(self) -> list[Finding]:
        return [f for f in self.findings if f.code == "questionnaire.conflict"]


class _Cells:
    """Refusals located in the questionnaire as Q.xlsx[Sheet]!C12."""

    def __init__(self, path: Path, result: ImportResult) -> None:
        self.shown, self.result = relpath(path), result

    def refuse(self, sheet: str, cell: str, message: str) -> None:
        self.result.findings.append(Finding("questionnaire.refused", message,
                                            Location(self.shown, sheet=sheet, cell=cell)))


def _letter(i: int) -> str:
    from openpyxl.utils import get_column_letter
    return get_column_letter(i + 1)


_XESC = re.compile(r"_x([0-9A-Fa-f]{4})_")


def excel_unescape(text: str) -> str:
    """What Excel shows for a stored string: _xHHHH_ is the character U+HHHH (openpyxl keeps the escape)."""
    return _XESC.sub(lambda m: chr(int(m.group(1), 16)), text)


def _text(cells: _Cells, sheet: str, cell: str, value: Any) -> str | None:
    """A text answer, cleaned; None when refused."""
    if isinstance(value, str):
        value = excel_unescape(value)
    if isinstance(value, dt.datetime):
        value = value.date() if value.time() == dt.time() else value
    text = cell_text(value).replace("\r\n", "\n").replace("\r", "\n")
    text = "\n".join(line.rstrip() for line in text.strip().splitlines())
    bad = bad_char(text)
    if bad:
        cells.refuse(sheet, cell, f"contains the character {bad}, which documents cannot hold; delete it")
        return None
    ph = find_placeholder(text)
    if ph:
        cells.refuse(sheet, cell, f"still contains the placeholder '{ph}'; write the real text")
        return None
    if len(text) > MAX_ANSWER_CHARS:
        cells.refuse(sheet, cell, f"{len(text)} characters, over the {MAX_ANSWER_CHARS} allowed in one answer")
        return None
    return text


def _number(value: Any) -> float | int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return int(value) if isinstance(value, float) and value.is_integer() else value
    if isinstance(value, str):
        try:
            n = float(value.strip().replace(",", ""))
        except ValueError:
            return None
        return int(n) if n.is_integer() else n
    return None


def _typed(cells: _Cells, sheet: str, cell: str, value: Any, col: ColumnSpec) -> tuple[bool, Any]:
    """A register cell as its column's type; (False, None) when refused."""
    if col.type == "date":
        if isinstance(value, dt.datetime):
            return True, value.date()
        if isinstance(value, dt.date):
            return True, value
        if isinstance(value, str):
            try:
                return True, dt.date.fromisoformat(value.strip())
            except ValueError:
                pass
        cells.refuse(sheet, cell, f"column '{col.name}' takes a date such as 2026-03-02 (got {value!r:.40})")
        return False, None
    if col.type in ("time", "datetime"):
        try:
            return True, parse(value, col.type)  # "09:30", "2026-03-02 09:30"
        except BadValue as exc:
            cells.refuse(sheet, cell, f"column '{col.name}' {exc}")
            return False, None
    if col.type in ("int", "number"):
        n = _number(value)
        if n is None or (col.type == "int" and not isinstance(n, int)):
            cells.refuse(sheet, cell, f"column '{col.name}' takes "
                                      f"{'a whole number' if col.type == 'int' else 'a number'} (got {value!r:.40})")
            return False, None
        return True, n
    text = _text(cells, sheet, cell, value)
    if text is None:
        return False, None
    if col.allowed and text not in col.allowed:
        cells.refuse(sheet, cell,
                     f"'{text}' is not allowed in column '{col.name}'; choose one of {'、'.join(col.allowed)}")
        return False, None
    return True, text


def _is_formula(c) -> bool:
    return getattr(c, "data_type", None) == "f" or (isinstance(getattr(c, "value", None), str)
                                                   and getattr(c, "data_type", None) == "f")


@dataclass
class _Change:
    service: int
    deliverable: str  # 'facts' for a fact
    target: str  # section title, fact name, or '' for a register's rows
    value: Any
    label: str


def _decide(result: ImportResult, new: str, current: str, fingerprint: str, baseline: str | None, force: bool,
            where: Location, what: str) -> bool:
    """Write new? Unchanged: no. The answers still as exported (fingerprint == baseline) or empty: yes.
    Else the answers were changed by hand since the export: a conflict (unless force)."""
    if new == current:
        result.unchanged += 1
        return False
    if not current or (baseline is not None and fingerprint == baseline) or force:
        return True
    result.findings.append(Finding("questionnaire.conflict", f"{what} was changed in the answers since the "
                                   "questionnaire was exported; kept the answers' version (--force takes the "
                                   "questionnaire's)", where))
    return False


def _questions(ws, q_by_key: dict, cells: _Cells, result: ImportResult, force: bool) -> list[_Change]:
    rows = ws.iter_rows()
    header = [str(c.value).strip() if c.value is not None else "" for c in next(rows, ())]
    if ANSWER not in header or KEY not in header:
        cells.refuse(ws.title, "A1", f"the sheet has no '{ANSWER}' or '{KEY}' column; it was not read (do not rename "
                                     "or delete columns)")
        return []
    ia, ik = header.index(ANSWER), header.index(KEY)
    ib = header.index(BASE) if BASE in header else None
    out = []
    for r, row in enumerate(rows, 2):
        if r > MAX_ROWS:
            cells.refuse(ws.title, f"A{r}", f"more than {MAX_ROWS} rows; the rest was not read")
            break
        row = list(row)
        key = row[ik].value if ik < len(row) else None
        if not key:
            continue
        where = f"{_letter(ia)}{r}"
        hit = q_by_key.get(str(key).strip())
        if hit is None:
            result.findings.append(Finding("questionnaire.unknown", f"question '{key}' is not in this engagement "
                                           "(another package or engagement?); ignored",
                                           Location(cells.shown, sheet=ws.title, cell=f"{_letter(ik)}{r}")))
            continue
        sq, q = hit
        cell = row[ia] if ia < len(row) else None
        if cell is None or cell.value is None or (isinstance(cell.value, str) and not cell.value.strip()):
            continue  # not answered: nothing to import (an answer is never erased from here)
        if _is_formula(cell):
            cells.refuse(ws.title, where, "a formula; formulas are never evaluated: type the answer itself")
            continue
        baseline = row[ib].value if ib is not None and ib < len(row) else None
        current = q.text
        value: Any
        text: str | None
        if q.fact:
            n = _number(cell.value)
            if n is None:
                cells.refuse(ws.title, where, f"'{q.path}' takes a number (got {cell.value!r:.40})")
                continue
            value, text = n, cell_text(n)
        else:
            text = _text(cells, ws.title, where, cell.value)
            if text is None:
                continue
            value = text
            if q.key.split("|")[1] == "project":
                value, why = parse_project(q.key.split("|")[2], text)
                if why:
                    cells.refuse(ws.title, where, why)
                    continue
                text = project_text(q.key.split("|")[2], value) or text  # compared as the answers show it
            if q.structured and text != current:
                cells.refuse(ws.title, where, "this answer holds a chart or a table, which the questionnaire cannot "
                                              "carry; change it in the answers file")
                continue
        service, did, target = q.key.split("|", 2)
        if _decide(result, text, current, digest(current), baseline, force,
                   Location(cells.shown, sheet=ws.title, cell=where), f"answer '{q.path}'"):
            out.append(_Change(int(service), did, target, value, f"{q.deliverable or '事实'} / {q.path}"))
    return out


def _register(ws, reg: RegisterSheet, baseline: str | None, cells: _Cells, result: ImportResult,
              force: bool) -> list[_Change]:
    rows = ws.iter_rows()
    header = [str(c.value).strip() if c.value is not None else "" for c in next(rows, ())]
    missing = [c.name for c in reg.columns if c.name not in header]
    if missing:
        cells.refuse(ws.title, "A1", f"row 1 must hold the register's column names; missing {'、'.join(missing)}; "
                                     "the sheet was not read")
        return []
    before = len(result.refused)
    out_rows = []
    for r, row in enumerate(rows, 2):
        if r > MAX_ROWS + 1:
            cells.refuse(ws.title, f"A{r}", f"more than {MAX_ROWS} rows")
            break
        row = list(row)
        values = {c.name: (row[header.index(c.name)] if header.index(c.name) < len(row) else None) for c in reg.columns}
        if all(v is None or v.value is None or (isinstance(v.value, str) and not v.value.strip())
               for v in values.values()):
            continue
        got: dict[str, Any] = {}
        for col in reg.columns:
            cell = values[col.name]
            where = f"{_letter(header.index(col.name))}{r}"
            if cell is None or cell.value is None or (isinstance(cell.value, str) and not cell.value.strip()):
                got[col.name] = None
                continue
            if _is_formula(cell):
                cells.refuse(ws.title, where, "a formula; formulas are never evaluated: type the value itself")
                continue
            ok, value = _typed(cells, ws.title, where, cell.value, col)
            if ok:
                got[col.name] = value
        out_rows.append(got)
    if len(result.refused) > before:
        return []  # a register is taken whole or not at all: no half-imported rows
    if not out_rows:
        return []
    new = rows_digest(out_rows, reg.columns)
    cur = rows_digest(reg.rows, reg.columns)
    if _decide(result, new, cur if reg.rows else "", cur, baseline, force, Location(cells.shown, sheet=ws.title),
               f"the rows of '{reg.title}'"):
        return [_Change(reg.service, reg.deliverable.id if reg.deliverable else "people", "", out_rows,
                        f"{reg.title} / {len(out_rows)} 行")]
    return []


def _people(ws, eng, baseline: str | None, cells: _Cells, result: ImportResult, force: bool) -> list[_Change]:
    """The project members sheet -> engagement.yaml's people (name, org and role required)."""
    cols = people_columns()
    # The one register without a deliverable; _register() writes its change as "people".
    reg = RegisterSheet(0, None, PEOPLE_SHEET, cols, people_rows(eng.people))  # type: ignore[arg-type]
    changes = _register(ws, reg, baseline, cells, result, force)
    if not changes:
        return []
    rows = changes[0].value
    header = [str(c.value).strip() if c.value is not None else "" for c in next(ws.iter_rows(max_row=1), ())]
    before = len(result.refused)
    people = []
    n = 1
    for row in rows:
        n += 1
        for name, _key in PEOPLE_COLUMNS[:3]:
            if not row.get(name):
                cells.refuse(ws.title, f"{_letter(header.index(name))}{n}", f"'{name}' is required for every person")
        if not row.get("电话") and not row.get("邮箱"):
            cells.refuse(ws.title, f"{_letter(header.index('电话'))}{n}", "give a phone (电话) or an email (邮箱): "
                                                                        "sign-in sheets list it")
        person: dict = {k: " ".join(str(row[name]).split()) for name, k in PEOPLE_COLUMNS if row.get(name)}
        services = parse_services(str(row.get("参与服务") or ""))
        if services is None:
            cells.refuse(ws.title, f"{_letter(header.index('参与服务'))}{n}",
                         "'参与服务' lists the numbers of the services the person works on, e.g. 12、23 "
                         "(a role that differs per service after a colon: 9：健康检查架构师)")
        else:
            if isinstance(services, dict):  # a service without its own role takes the person's
                services = {k: v or person.get("role", "") for k, v in services.items()}
            person["services"] = services
        people.append(person)
    if len(result.refused) > before:
        return []
    return [_Change(0, "people", "", people, f"{PEOPLE_SHEET} / {len(people)} 人")]


def _write_people(path: Path, people: list[dict]) -> tuple[str, str]:
    """Replace the top-level `people:` block of engagement.yaml, leaving every other line as it is."""
    from pipeline.scaffold.answers_file import dump_value

    lines = path.read_text(encoding="utf-8").splitlines()
    def value(v) -> str:
        if isinstance(v, list):
            return "[" + ", ".join(str(n) for n in v) + "]"
        if isinstance(v, dict):
            return "{" + ", ".join(f"{n}: {dump_value(str(r))}" for n, r in v.items()) + "}"
        return dump_value(str(v))

    block = ["people:"] + ["  - {" + ", ".join(f"{k}: {value(v)}" for k, v in p.items()) + "}" for p in people]
    start = next((i for i, line in enumerate(lines) if line.startswith("people:")), None)
    if start is None:
        lines += block
    else:
        end = start + 1
        while end < len(lines) and (not lines[end] or lines[end][0] in " \t-#"):
            end += 1
        # comment and blank lines at column 0 just above the next key belong to that key
        while end > start + 1 and (not lines[end - 1].strip() or lines[end - 1].startswith("#")):
            end -= 1
        lines[start:end] = block
    return OutputWriter.write(path, ("\n".join(lines) + "\n").encode()), relpath(path)


def read_changes(path: Path, eng, services: list[ServiceQuestions], force: bool, result: ImportResult) -> list[_Change]:
    """Every answer of the workbook that should be written (refusals and conflicts go to result)."""
    from openpyxl import load_workbook

    bad = guard_workbook(path, relpath(path))
    if bad:
        raise InputError(bad.message, [bad])
    try:
        # read_only, formulas kept as formulas (data_only=False) so that they can be refused, never computed.
        wb = load_workbook(path, read_only=True, data_only=False)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many types on malformed files
        raise InputError(f"cannot open {relpath(path)}: {type(exc).__name__}: {exc}") from None
    cells = _Cells(path, result)
    q_by_key = {q.key: (sq, q) for sq in services for q in sq.questions}
    regs = {(r.service, r.deliverable.id): r for sq in services for r in sq.registers}
    changes: list[_Change] = []
    try:
        index = []
        if INDEX in wb.sheetnames:
            for row in list(wb[INDEX].iter_rows(values_only=True))[1:]:
                if row and row[0]:
                    index.append(tuple(row) + (None,) * 5)
        else:
            raise InputError(f"{relpath(path)} has no '{INDEX}' sheet: it is not a questionnaire written by "
                             "`sowpack questionnaire` (or that sheet was deleted)")
        for name, kind, service, did, baseline, *_ in index:
            if name not in wb.sheetnames:
                cells.refuse(str(name), "A1", "this sheet is missing (renamed or deleted?); its answers were not read")
                continue
            if kind == "people":
                changes += _people(wb[name], eng, baseline, cells, result, force)
            elif kind == "questions":
                changes += _questions(wb[name], q_by_key, cells, result, force)
            elif kind == "register":
                reg = regs.get((int(service), str(did)))
                if reg is None:
                    result.findings.append(Finding("questionnaire.unknown", f"register '{did}' of service {service} "
                                                   "is not in this engagement; ignored",
                                                   Location(cells.shown, sheet=str(name))))
                    continue
                changes += _register(wb[name], reg, baseline, cells, result, force)
    finally:
        wb.close()
    return changes


def _write_rows(root: Path, source: dict, reg: RegisterSheet, rows: list[dict]) -> tuple[str, str]:
    """Put rows into the sheet the answers read them from (values only, header and formatting kept)."""
    from openpyxl import load_workbook

    path = (root / str(source.get("file"))).resolve()
    if root.resolve().parent not in path.parents:
        raise InputError(f"'rows_from.file' {source.get('file')} leaves the inputs folder")
    wb = load_workbook(path)
    sheet = str(source.get("sheet"))
    ws = wb[sheet] if sheet in wb.sheetnames else wb.create_sheet(sheet)
    header = [str(c.value).strip() if c.value is not None else "" for c in ws[1]] if ws.max_row >= 1 else []
    for c in reg.columns:
        if c.name not in header:
            header.append(c.name)
            put(ws, 1, len(header), c.name)
    for row in ws.iter_rows(min_row=2):
        for c in row:
            c.value = None
    for i, row in enumerate(rows, 2):
        for c in reg.columns:
            value = row.get(c.name)
            if value is not None:
                put(ws, i, header.index(c.name) + 1, typed(value, c.type)).number_format = \
                    NUMBER_FORMATS.get(c.type, "General")
    buf = io.BytesIO()
    wb.save(buf)
    return OutputWriter.write(path, buf.getvalue()), relpath(path)


def import_questionnaire(root: Path, path: Path, specs: dict[int, SowSpec], force: bool = False) -> ImportResult:
    """Import a filled questionnaire into ENGAGEMENT_DIR's answers (and register workbooks).

    Raises:
        UsageError: the questionnaire file does not exist.
        InputError: the engagement does not load, or the file is not a questionnaire.
    """
    root, path = Path(root), Path(path)
    if not path.is_file():
        raise UsageError(f"{relpath(path)} does not exist")
    eng, services = load(root, specs)
    result = ImportResult()
    changes = read_changes(path, eng, services, force, result)
    people = [ch for ch in changes if ch.deliverable == "people"]
    if people:
        result.written.append(_write_people(root / "engagement.yaml", people[0].value))
        result.imported.append(f"{relpath(root / 'engagement.yaml')}: {people[0].label}")
        changes = [ch for ch in changes if ch.deliverable != "people"]
    by_service: dict[int, list[_Change]] = {}
    for ch in changes:
        by_service.setdefault(ch.service, []).append(ch)
    for sq in services:
        mine = by_service.get(sq.spec.service)
        if not mine:
            continue
        ans_path = sq.purchase.answers_path
        assert ans_path is not None  # load() refuses a service without its answers file
        raw, _, found = load_yaml(ans_path, "input")
        if found or not isinstance(raw, dict):
            raise InputError(f"cannot read {relpath(ans_path)}", found)
        delivs = raw.setdefault("deliverables", {}) or {}
        raw["deliverables"] = delivs
        for ch in mine:
            if ch.deliverable == "project":
                project = raw["project"] if isinstance(raw.get("project"), dict) else {}
                project[ch.target] = ch.value
                raw["project"] = project
            elif ch.deliverable == "facts":
                facts = raw["facts"] if isinstance(raw.get("facts"), dict) else {}
                facts[ch.target] = ch.value
                raw["facts"] = facts
            elif ch.target:
                d = delivs[ch.deliverable] if isinstance(delivs.get(ch.deliverable), dict) else {}
                secs = flat_sections(d.get("sections"))
                secs[ch.target] = ch.value
                d["sections"] = secs
                delivs[ch.deliverable] = d
            else:
                d = delivs[ch.deliverable] if isinstance(delivs.get(ch.deliverable), dict) else {}
                reg = next(r for r in sq.registers if r.deliverable.id == ch.deliverable)
                if isinstance(d.get("rows_from"), dict) and "rows" not in d:
                    result.written.append(_write_rows(root, d["rows_from"], reg, ch.value))
                else:
                    d["rows"] = [{k: v for k, v in row.items() if v is not None} for row in ch.value]
                    d.pop("rows_from", None)
                delivs[ch.deliverable] = d
            result.imported.append(f"{relpath(ans_path)}: {ch.label}")
        header = _header(ans_path)
        text = render_answers(sq.spec, sq.spec.for_package(sq.purchase.package, sq.purchase.select), raw, header=header)
        result.written.append((OutputWriter.write(ans_path, text.encode()), relpath(ans_path)))
    if result.written:
        # What was written must still load as inputs; a failure here is a bug worth a clear line.
        _, found = load_engagement(root)
        result.findings += [f for f in found if f.is_error]
    return result


def _header(path: Path) -> str:
    """The comment lines that open an answers file (kept when it is written again)."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        text = line[1:].strip()
        if not text.startswith("填写说明"):
            out.append(text)
    return "\n".join(out)
