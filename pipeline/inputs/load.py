"""engagement.yaml + answers/*.yaml (+ Excel) -> Engagement, with every problem located."""
from __future__ import annotations

import datetime as dt
import difflib
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pipeline.core.errors import Finding, Location, relpath
from pipeline.inputs.excel_source import read_rows
from pipeline.inputs.model import Answers, DeliverableAnswers, Engagement, Purchase, Rows
from pipeline.inputs.records import check_names, read_meeting, read_project
from pipeline.inputs.team import SERVICE_KEYS, build_teams, check_service, raw_service_keys
from pipeline.core.text import bad_char, char_kind, quote
from pipeline.core.validate import Collector, keyname
from pipeline.core.yamlio import Positions, load_yaml, loc, may_hold_bad_chars

INPUT_VERSION = 1


def _scan_chars(c: Collector, value: Any, kp: tuple, keys_only: bool = False) -> None:
    """Reject characters documents cannot hold (controls, bidirectional marks, lone surrogates) at their place.

    Args:
        keys_only: scan only the keys of mappings (their values are scanned where they are assembled).
    """
    if isinstance(value, str):
        bad = bad_char(value)
        if bad:
            what = ("a bidirectional control, which makes text display in another order than it is stored"
                    if char_kind(bad) == "bidirectional control"
                    else "a control character or half of a surrogate pair, which documents cannot hold")
            c.add("bad-value", f"'{keyname(kp)}' contains the character {bad} ({what}); delete it", kp)
    elif isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, str) or bad_char(k):
                _scan_chars(c, str(k), kp + (k,))
            if not keys_only:
                if not isinstance(v, str) or bad_char(v):  # a clean string needs no path (large registers)
                    _scan_chars(c, v, kp + (k,))
            elif isinstance(v, (dict, list)):
                _scan_chars(c, v, kp + (k,), keys_only=True)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            if not keys_only or isinstance(v, (dict, list)):
                _scan_chars(c, v, kp + (i,), keys_only=keys_only)


def _no_scan(c: Collector, value: Any, kp: tuple, keys_only: bool = False) -> None:
    """_scan_chars for a file that holds no such character (yamlio.may_hold_bad_chars)."""


def _inside(root: Path, rel: str) -> Path | None:
    """Resolve rel against the engagement folder, links followed; None when it leaves the folder."""
    allowed = root.resolve()
    p = (allowed / rel).resolve()
    return p if allowed in p.parents else None


def _not_regular(path: Path) -> str | None:
    """What an existing input is when it is not a regular file (a FIFO would block the build forever)."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return None
    if stat.S_ISREG(mode):
        return None
    return "a folder" if stat.S_ISDIR(mode) else "a FIFO" if stat.S_ISFIFO(mode) else \
        "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "a socket" if stat.S_ISSOCK(mode) else \
        "not a regular file"


def load_engagement(root: Path) -> tuple[Engagement | None, list[Finding]]:
    """Load an engagement folder: engagement.yaml, then each bought service's answers."""
    path = root / "engagement.yaml"
    kind = _not_regular(path)
    if kind or (path.exists() and _inside(root, path.name) is None):
        what = kind or "a link that leads outside the engagement folder"
        return None, [Finding("input.bad-value", f"engagement.yaml is {what}, not a regular file; replace it with the "
                              "file itself", Location(relpath(path)))]
    if not path.is_file():
        return None, [Finding("input.missing-file",
                              f"no engagement.yaml in {relpath(root)}; an engagement folder needs one "
                              "(see deliverable_specs/README.md)",
                              Location(relpath(path)))]
    data, pos, findings = load_yaml(path, "input")
    if data is None:
        if not findings:  # an empty file (or only comments) is valid YAML that says nothing
            findings = [Finding("input.missing-key", "engagement.yaml is empty; it must give version, customer, "
                                "project, date and services (see deliverable_specs/README.md)",
                                Location(relpath(path)))]
        return None, findings
    bad = bad_char(root.resolve().name)
    if bad:
        findings.append(Finding("input.bad-value", f"the engagement folder name {quote(root.resolve().name)} contains "
                                f"the {char_kind(bad)} {bad}, and the pack folder is named after it; rename the folder",
                                Location(relpath(root))))
    c = Collector(path, pos, "input")
    top = c.mapping(data, (), ["version", "customer", "project", "date", "services"],
                    ["vendor", "document_control", "people", "engagement"])
    if not top:
        return None, findings + c.findings
    _scan_chars(c, top, ())
    if top.get("version") != INPUT_VERSION:
        c.add("bad-value", f"unsupported engagement version {top.get('version')!r}; write 'version: {INPUT_VERSION}'",
              ("version",))
    customer = c.mapping(top.get("customer"), ("customer",), ["name"], ["short_name", "industry", "address"]) or {}
    for k, v in customer.items():
        c.typed(v, ("customer", k), str)
    if not c.typed(top.get("project"), ("project",), str):
        top["project"] = str(top.get("project") or "")
    date = c.date(top.get("date"), ("date",))
    dc = top.get("document_control") or {}
    dc = c.mapping(dc, ("document_control",), [], ["version", "author", "reviewer", "approver", "classification"]) or {}
    people = top.get("people") or []
    if c.typed(people, ("people",), list):
        for i, p in enumerate(people):
            c.mapping(p, ("people", i), ["name", "org", "role"], ["phone", "email", "dept", "services"])
        people = [p for p in people if isinstance(p, dict)]
    else:
        people = []
    purchases, team_keys = _purchases(c, top, root, path, pos)
    # Teams: who works on each service, then each service's managers, signatories, author, reviewer.
    vendor = str(top.get("vendor") or "阿里云")
    teams = build_teams(c, people, vendor, [p.service for p in purchases])
    purchases = [check_service(c, p, kp, raw, teams.get(p.service, ()), dc)
                 for p, (kp, raw) in zip(purchases, team_keys, strict=True)]
    findings = findings + c.findings
    answers: dict[int, Answers] = {}
    files = [path]
    for p in purchases:
        if p.answers_path is None:
            continue
        a, found = load_answers(p.answers_path, p.service, root)
        findings += found
        if a is not None:
            answers[p.service] = a
            files.append(p.answers_path)
            files.extend(a.excel_files)
    names = [str(p["name"]) for p in people if isinstance(p, dict) and p.get("name") is not None]
    for service, a in answers.items():
        meetings = [(did, d.meeting) for did, d in a.deliverables.items() if d.meeting is not None]
        for did, m in meetings + [(None, None)]:
            for message, where in check_names(m, a.project if did is None else None, list(teams.get(service, ())),
                                              service, names):
                findings.append(Finding("input.not-on-team", message, where, service=service, deliverable=did))
    # An engagement with errors is still returned (the build stops after assembling it),
    # so one build reports the problems of every answers file at once.
    eng = Engagement(name=root.resolve().name, root=root, customer=customer, project=top["project"],
                     vendor=vendor, date=date or dt.date(2000, 1, 1), document_control=dc,
                     people=people, purchases=purchases, answers=answers, files=sorted(set(files)),
                     people_location=loc(path, pos, ("people",)), teams=teams)
    return eng, findings


class _CellLocations(Mapping):
    """(row index, column name) -> Location of a YAML register cell, made when asked for
    (only a finding needs one; a 10,000-row register has 80,000 cells)."""

    def __init__(self, path: Path, pos: Positions, kp: tuple, raw_index: list[int], rows: list[dict]) -> None:
        self._path, self._pos, self._kp, self._raw_index, self._rows = path, pos, kp, raw_index, rows

    def __getitem__(self, key: tuple[int, str]) -> Location:
        i, name = key
        if not (isinstance(i, int) and 0 <= i < len(self._rows) and name in self._rows[i]):
            raise KeyError(key)
        return loc(self._path, self._pos, self._kp + (self._raw_index[i], name))

    def __iter__(self):
        return ((i, k) for i, row in enumerate(self._rows) for k in row)

    def __len__(self) -> int:
        return sum(len(row) for row in self._rows)



def _purchases(c: Collector, top: dict, root: Path, path: Path,
               pos: Positions) -> tuple[list[Purchase], list[tuple[tuple, dict]]]:
    """engagement.yaml's `services`: each purchase with its answers file, located findings into c;
    beside each purchase, its key path and its raw team keys (inputs/team.py checks them)."""
    purchases: list[Purchase] = []
    team_keys: list[tuple[tuple, dict]] = []
    if c.typed(top.get("services"), ("services",), list):
        if not top["services"]:
            c.add("bad-value", "'services' is empty, so there is nothing to build; list each service bought "
                               "(service, package, answers)", ("services",))
        for i, s in enumerate(top["services"]):
            kp = ("services", i)
            m = c.mapping(s, kp, ["service", "package", "answers"],
                          ["applied_on", "start", "end", "onsite_days", "holiday_onsite_days", "select",
                           *SERVICE_KEYS])
            if not m or not c.typed(m.get("service"), kp + ("service",), int):
                continue
            ans = None
            if isinstance(m.get("answers"), str):
                ans = _inside(root, m["answers"])
                if ans is None:
                    c.add("bad-value", f"'answers' path '{m['answers']}' leaves the engagement folder "
                                       f"{relpath(root)}; copy the file into the folder and name it from there",
                          kp + ("answers",))
                elif _not_regular(ans):
                    c.add("bad-value", f"'answers' path '{m['answers']}' is {_not_regular(ans)}, not a regular "
                                       "file; point it at a YAML file", kp + ("answers",))
                    ans = None
                elif not ans.is_file():
                    c.add("missing-file", f"answers file '{m['answers']}' does not exist in {relpath(root)}; "
                                          "create it or fix 'answers'", kp + ("answers",))
                    ans = None
            extra = {k: m[k] for k in ("onsite_days", "holiday_onsite_days") if k in m}
            select = m.get("select") or []
            if not c.typed(select, kp + ("select",), list, what="a list of deliverable ids"):
                select = []
            purchases.append(Purchase(m["service"], str(m.get("package")),
                                      c.date(m.get("applied_on"), kp + ("applied_on",), False),
                                      c.date(m.get("start"), kp + ("start",), False),
                                      c.date(m.get("end"), kp + ("end",), False),
                                      ans, loc(path, pos, kp), extra, tuple(str(x) for x in select)))
            team_keys.append((kp, raw_service_keys(c, m, kp)))
        seen = [p.service for p in purchases]
        for dup in sorted({s for s in seen if seen.count(s) > 1}):
            c.add("bad-value", f"service {dup} is bought twice; an engagement buys each service once", ("services",))
    return purchases, team_keys


def _rows_from_yaml(c: Collector, raw: Any, kp: tuple, path: Path, pos: Positions) -> Rows | None:
    if not c.typed(raw, kp, list):
        return None
    rows: list[dict[str, Any]] = []
    raw_index: list[int] = []
    header: dict[str, None] = {}  # the column names in the order they first appear
    for i, r in enumerate(raw):
        if type(r) is not dict and not c.typed(r, kp + (i,), dict):
            continue
        if r.keys() <= header.keys():  # most rows: columns already seen, so names (the header's are str)
            row = dict(r)
        else:
            row = dict(r) if all(type(k) is str for k in r) else {str(k): v for k, v in r.items()}
            header.update(dict.fromkeys(row))
        rows.append(row)
        raw_index.append(i)
    return Rows(list(header), rows, _CellLocations(path, pos, kp, raw_index, rows), loc(path, pos, kp))


#: Keys that make a mapping one content block (a chart, a table, a diagram...) rather than a group of
#: subsections; document/blocks.py makes a block of each.
BLOCK_KEYS = ("chart", "table", "findings", "findings-summary", "diagram", "objectives", "exercise", "summary")


def is_group(value: Any) -> bool:
    """A mapping of subsection titles (the spec's nesting), as opposed to a {chart}/{table} block."""
    return isinstance(value, dict) and not any(k in value for k in BLOCK_KEYS)


def flatten_sections(c: Collector, secs: dict, kp: tuple, path: Path, pos: Positions
                     ) -> tuple[dict[str, Any], dict[str, Location]]:
    """Section answers keyed by title at any depth: a section with subsections may hold them as a
    mapping (the spec's nesting, as `sowpack new` writes it) or they may be listed flat."""
    values: dict[str, Any] = {}
    where: dict[str, Location] = {}

    def walk(mapping: dict, at: tuple) -> None:
        for k, v in mapping.items():
            title = str(k).strip()
            if is_group(v) and v:
                walk(v, at + (k,))
                continue
            if title in values:
                c.add("bad-value", f"section '{title}' is answered twice; keep one answer", at + (k,))
                continue
            values[title] = v
            where[title] = loc(path, pos, at + (k,))
    walk(secs, kp)
    return values, where


class _Tables:
    """The register rows and data tables of one answers file: YAML rows, Excel sheets (inside the
    engagement folder, regular files only) or a table of the answers' `data:`."""

    def __init__(self, c: Collector, path: Path, pos: Positions, root: Path) -> None:
        self.c, self.path, self.pos, self.root = c, path, pos, root
        self.data: dict[str, Rows] = {}
        self.excel: list[Path] = []
        self.findings: list[Finding] = []

    def rows(self, key: str, kp: tuple, m: dict) -> Rows | None:
        """Rows under `key` (a list of mappings) or `key_from`: {file, sheet} of an Excel workbook, or
        {data: NAME}, a table of the answers' `data:` (a course's attendees, listed once for every sheet)."""
        c = self.c
        if key in m:
            return _rows_from_yaml(c, m[key], kp + (key,), self.path, self.pos)
        src = f"{key}_from"
        if src not in m:
            return None
        if isinstance(m[src], dict) and "data" in m[src]:
            rf = c.mapping(m[src], kp + (src,), ["data"], [])
            name = str((rf or {}).get("data"))
            if name not in self.data:
                close = difflib.get_close_matches(name, list(self.data), n=1)
                c.add("bad-value", f"'{src}.data' names '{name}', which is not a table of 'data:' (tables: "
                                   f"{', '.join(self.data) or 'none'})"
                                   f"{'; did you mean ' + repr(close[0]) + '?' if close else ''}", kp + (src, "data"))
                return None
            return self.data[name]
        rf = c.mapping(m[src], kp + (src,), ["file", "sheet"], [])
        if rf and isinstance(rf.get("file"), str):
            # Excel files are named relative to the engagement folder.
            xp = _inside(self.root, rf["file"])
            if xp is None:
                c.add("bad-value", f"'{src}.file' '{rf['file']}' leaves the engagement folder "
                                   f"{relpath(self.root)}; copy the workbook into the folder and name it from there",
                      kp + (src, "file"))
            elif _not_regular(xp):
                c.add("bad-value", f"'{src}.file' '{rf['file']}' is {_not_regular(xp)}, not a regular file; point "
                                   "it at an .xlsx workbook", kp + (src, "file"))
            else:
                rows, found = read_rows(xp, str(rf.get("sheet")))
                self.findings += found
                self.excel.append(xp)
                return rows
        return None


def load_answers(path: Path, service: int, root: Path) -> tuple[Answers | None, list[Finding]]:
    """Load one service's answers file (and the Excel sheets it points to)."""
    data, pos, findings = load_yaml(path, "input")
    if data is None:
        return None, findings
    c = Collector(path, pos, "input")
    top = c.mapping(data, (), ["version", "service"], ["facts", "data", "deliverables", "project"])
    if not top:
        return None, findings + c.findings
    if top.get("service") != service:
        c.add("bad-value", f"answers are for service {top.get('service')!r} but engagement.yaml uses this file "
                           f"for service {service}", ("service",))
    facts = top.get("facts") or {}
    # A text with no such character and no backslash (YAML's escapes: "\x1b", "\u202e") has
    # none in any of its strings: one search over the file instead of a walk over its rows.
    scan = _scan_chars if may_hold_bad_chars(path) else _no_scan
    scan(c, facts, ("facts",))  # sections and rows are scanned where they are assembled,
    scan(c, top.get("deliverables"), ("deliverables",), keys_only=True)  # their keys here
    if not c.typed(facts, ("facts",), dict):
        facts = {}
    delivs: dict[str, DeliverableAnswers] = {}
    raw_d = top.get("deliverables") or {}
    tables = _Tables(c, path, pos, root)
    table = tables.rows
    raw_data = top.get("data") or {}
    if c.typed(raw_data, ("data",), dict, what="a mapping of table name -> rows"):
        for name, raw in raw_data.items():
            kp = ("data", name)
            if isinstance(raw, dict):  # {rows_from: {file, sheet}}
                dm = c.mapping(raw, kp, [], ["rows", "rows_from"]) or {}
                rows = table("rows", kp, dm)
            else:
                rows = _rows_from_yaml(c, raw, kp, path, pos)
            if rows is not None:
                tables.data[str(name).strip()] = rows
    if c.typed(raw_d, ("deliverables",), dict):
        for did, raw in raw_d.items():
            kp = ("deliverables", did)
            m = c.mapping(raw, kp, [], ["sections", "rows", "rows_from", "findings", "findings_from", "meeting"])
            if m is None:
                continue
            secs = m.get("sections") or {}
            if not c.typed(secs, kp + ("sections",), dict):
                secs = {}
            values, where = flatten_sections(c, secs, kp + ("sections",), path, pos)
            meeting = read_meeting(c, m["meeting"], kp + ("meeting",)) if "meeting" in m else None
            if meeting is not None:
                scan(c, m["meeting"], kp + ("meeting",))
            delivs[str(did)] = DeliverableAnswers(values, where, table("rows", kp, m), loc(path, pos, kp),
                                                  table("findings", kp, m), meeting)
    project = None
    if top.get("project") is not None:
        project = read_project(c, top["project"], ("project",))
        scan(c, top["project"], ("project",))
    findings = findings + tables.findings + c.findings
    # Returned even with errors: its sections are assembled (and checked) before the build stops.
    return Answers(service, path, facts, {str(k): loc(path, pos, ("facts", k)) for k in facts},
                   delivs, Location(relpath(path)), tables.excel, tables.data, project), findings
