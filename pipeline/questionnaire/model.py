"""What the questionnaire asks: per service its questions (sections that need an answer, the facts
the SOW's rules read) and its registers, with what is already answered."""
from __future__ import annotations

import re

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.core.errors import InputError, errors_in, relpath
from pipeline.core.values import BadValue, parse
from pipeline.inputs.load import load_engagement
from pipeline.core.yamlio import load_yaml
from pipeline.inputs.model import RISK_LEVELS, Engagement, Purchase
from pipeline.scaffold.answers_file import PROJECT_KINDS, dump_value, rule_facts
from pipeline.specs.hints import section_hint
from pipeline.specs.model import ColumnSpec, DeliverableSpec, SowSpec
from pipeline.specs.needs import needs_answer, needs_rows

#: Sheet of the instructions; hidden sheet mapping register sheets to deliverables.
INSTRUCTIONS = "填写说明"
INDEX = "_sowpack"
ANSWER = "回答"
KEY = "键"
BASE = "导出时"
QUESTION_HEADER = ("编号", "交付物", "章节", "问题", "说明", ANSWER, KEY, BASE)


@dataclass
class Question:
    """One row of a service's sheet: a section to write, or a fact to give."""

    key: str  # "12|survey-report|调研概述" or "12|facts|sample_app_count"
    deliverable: str  # the deliverable's title ('' for a fact)
    path: str  # 父节 / 子节
    question: str
    hint: str
    current: Any = None
    #: the answer holds charts or tables: shown, but edited in the YAML only.
    structured: bool = False
    fact: bool = False

    @property
    def text(self) -> str:
        """The current answer as a cell shows it."""
        return cell_text(self.current)


@dataclass
class RegisterSheet:
    """A register the customer fills row by row."""

    service: int
    deliverable: DeliverableSpec
    title: str
    columns: tuple[ColumnSpec, ...]
    rows: list[dict] = field(default_factory=list)


#: The project members sheet: column -> key of engagement.yaml's people entries (the first three required).
PEOPLE_SHEET = "项目人员"
PEOPLE_COLUMNS = (("姓名", "name"), ("单位", "org"), ("职务", "role"), ("部门", "dept"), ("电话", "phone"),
                  ("邮箱", "email"), ("参与服务", "services"))
#: How the 参与服务 cell separates services ("12、23", "9：健康检查架构师；12").
_SERVICE_SEP = re.compile(r"[、,，;；\s]+")


def people_columns() -> tuple[ColumnSpec, ...]:
    return tuple(ColumnSpec(name) for name, _ in PEOPLE_COLUMNS)


def people_rows(people: list[dict]) -> list[dict]:
    """engagement.yaml's people as sheet rows (their services as the text services_text() writes)."""
    return [{name: (services_text(p.get(k)) if k == "services" else p.get(k)) for name, k in PEOPLE_COLUMNS
             if p.get(k) not in (None, "", [], {})} for p in people if isinstance(p, dict)]


def services_text(value) -> str:
    """A person's `services` as a 参与服务 cell: [1, 9] -> '1、9'; {9: 架构师} -> '9：架构师'."""
    if isinstance(value, dict):
        return "、".join(f"{n}：{role}" if role else str(n) for n, role in value.items())
    if isinstance(value, list):
        return "、".join(str(n) for n in value)
    return str(value)


def parse_services(text: str) -> list[int] | dict[int, str] | None:
    """A 参与服务 cell back to `services`: '1、9' -> [1, 9]; '9：架构师、12' -> {9: '架构师', 12: ''};
    None when a part is not a service number (with its role after a colon)."""
    out: dict[int, str] = {}
    for part in _SERVICE_SEP.split(text.strip()):
        if not part:
            continue
        number, _, role = part.replace("：", ":").partition(":")
        if not number.strip().isdigit():
            return None
        out[int(number)] = role.strip()
    if not out:
        return None
    return out if any(out.values()) else list(out)


@dataclass
class ServiceQuestions:
    spec: SowSpec
    purchase: Purchase
    questions: list[Question] = field(default_factory=list)
    registers: list[RegisterSheet] = field(default_factory=list)


def cell_text(value: Any) -> str:
    """An answer as plain text: Markdown stays as written, structured answers as YAML."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip("\n")
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return dump_value(value)


def row_values(row: dict, columns) -> list[str]:
    """A register row as comparable text, one entry per column."""
    out = []
    for c in columns:
        v = row.get(c.name)
        if isinstance(v, dt.datetime):
            v = v.date() if c.type == "date" else v
        if c.type in ("time", "datetime") and v is not None:
            try:
                v = parse(v, c.type)  # as the import writes it: "09:30", "2026-03-02 09:30"
            except BadValue:
                pass
        out.append(cell_text(v))
    return out


def digest(value: Any) -> str:
    """The fingerprint of an answer as exported, to tell later whether the YAML changed by hand."""
    return hashlib.sha256(json.dumps(value, ensure_ascii=False, sort_keys=True).encode()).hexdigest()[:16]


def rows_digest(rows: list[dict], columns) -> str:
    return digest([row_values(r, columns) for r in rows if any(row_values(r, columns))])


def _question(title: str, d: DeliverableSpec, short: str) -> str:
    return f"请说明「{title}」的情况（用于《{d.display_title(short)}》）。"


def _walk(d: DeliverableSpec, sections, trail=()):
    for s in sections:
        yield s, trail + (s.title,)
        yield from _walk(d, s.children, trail + (s.title,))


def questions_for(eng: Engagement, specs: dict[int, SowSpec]) -> list[ServiceQuestions]:
    """Every service of the engagement with its questions and registers, pre-filled with the answers so far."""
    out = []
    short = eng.customer_short
    for p in eng.purchases:
        spec = specs.get(p.service)
        if spec is None:
            continue
        sq = ServiceQuestions(spec, p)
        answers = eng.answers.get(p.service)
        facts = answers.facts if answers else {}
        for name, label in rule_facts(spec):
            sq.questions.append(Question(f"{spec.service}|facts|{name}", "", "（数字）", f"请填写{label}。",
                                         "填写一个数字，用于核对服务套餐的范围。", facts.get(name), fact=True))
        for d in spec.for_package(p.package, p.select):
            da = answers.deliverables.get(d.id) if answers else None
            for s, trail in _walk(d, d.sections):
                if not needs_answer(d, s):
                    continue
                value = da.sections.get(s.title) if da else None
                sq.questions.append(Question(f"{spec.service}|{d.id}|{s.title}", d.display_title(short),
                                             " / ".join(trail), _question(s.title, d, short),
                                             section_hint(spec, d, s), value,
                                             structured=value is not None and not isinstance(value, (str, int, float))))
            if needs_rows(d):
                rows = list(da.rows.rows) if da and da.rows else []
                sq.registers.append(RegisterSheet(spec.service, d, d.display_title(short), d.columns, rows))
        written = [d.display_title(short) for d in spec.for_package(p.package, p.select) if d.kind in PROJECT_KINDS]
        if written:
            sq.questions += project_questions(spec.service, _raw_project(p.answers_path), "、".join(written))
        out.append(sq)
    return out


#: project key -> (章节 shown, question, hint); the kickoff and work plan are written from them.
PROJECT_QUESTIONS = {
    "background": ("项目背景", "请说明本服务的项目背景：现状与要解决的问题。", "必填；一段或几段文字。"),
    "objectives": ("项目目标", "请列出本服务的项目目标。", "每行一个目标。"),
    "risks": ("项目风险", "请列出项目风险及应对措施。",
              "必填；每行一个风险，写作：风险；影响程度（高、中、低）；应对措施；责任人（本服务人员姓名）。"),
}
#: How a 项目风险 line separates its four parts.
RISK_SEP = re.compile(r"\s*[;；]\s*")


def _raw_project(path: Path | None) -> dict:
    """The answers file's `project:` as written (the questionnaire shows and compares the text itself)."""
    if path is None or not Path(path).is_file():
        return {}
    data, _, _ = load_yaml(Path(path), "input")
    project = data.get("project") if isinstance(data, dict) else None
    return project if isinstance(project, dict) else {}


def project_text(key: str, value: Any) -> str | None:
    """A `project:` value as its cell shows it: objectives a line each, risks a line each."""
    if value in (None, "", []):
        return None
    if key == "objectives" and isinstance(value, list):
        return "\n".join(str(v) for v in value)
    if key == "risks" and isinstance(value, list):
        return "\n".join("；".join(str(r.get(k, "")) for k in ("risk", "impact", "mitigation", "owner"))
                         if isinstance(r, dict) else str(r) for r in value)
    return value if isinstance(value, str) else cell_text(value)


def parse_project(key: str, text: str) -> tuple[Any, str | None]:
    """A 项目情况 answer back to its `project:` value; (None, why) when it cannot be read."""
    lines = [line.strip().removeprefix("- ").strip() for line in text.splitlines() if line.strip()]
    if key == "objectives":
        return lines, None
    if key == "risks":
        risks = []
        for i, line in enumerate(lines, 1):
            parts = RISK_SEP.split(line)
            if len(parts) != 4 or not all(parts):
                return None, (f"line {i} of '项目风险' must be 风险；影响程度；应对措施；责任人 (four parts "
                              f"separated by ；), got '{line[:40]}'")
            if parts[1] not in RISK_LEVELS:
                return None, f"line {i} of '项目风险': the impact must be {'、'.join(RISK_LEVELS)} (got '{parts[1]}')"
            risks.append(dict(zip(("risk", "impact", "mitigation", "owner"), parts, strict=True)))
        return risks, None
    return text, None


def project_questions(service: int, project: dict, written: str) -> list[Question]:
    return [Question(f"{service}|project|{key}", "项目情况", title, question, f"用于《{written}》。{hint}",
                     project_text(key, project.get(key)))
            for key, (title, question, hint) in PROJECT_QUESTIONS.items()]


def load(root: Path, specs: dict[int, SowSpec]) -> tuple[Engagement, list[ServiceQuestions]]:
    """The engagement and its questionnaire.

    Raises:
        InputError: the engagement's files do not load (each problem is in the error's findings).
    """
    eng, findings = load_engagement(Path(root))
    if eng is None or errors_in(findings):
        raise InputError(f"{len(errors_in(findings)) or 1} problem(s) in {relpath(root)}; fix them first",
                         errors_in(findings))
    return eng, questions_for(eng, specs)
