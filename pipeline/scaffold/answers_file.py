"""Write a service's answers file (answers/NN-slug.yaml) in the spec's nesting, the SOW's words as comments.

`sowpack new` writes it with every value empty; the questionnaire import writes it again
with the values it brings, keeping every other value that was there (facts, answers to
sections or deliverables the spec no longer has, charts and tables as they were written).
"""
from __future__ import annotations

import json
from typing import Any

import yaml

from pipeline.specs.catalogue import TYPE_LABELS
from pipeline.specs.hints import deliverable_hint, section_hint
from pipeline.specs.model import DeliverableSpec, SectionSpec, SowSpec
from pipeline.specs.needs import needs_rows, templated

INDENT = "  "
_BREAKS = {"\u2028": "\\u2028", "\u2029": "\\u2029", "\x85": "\\x85"}


class _Dumper(yaml.SafeDumper):
    """Block style for multi-line text, plain or quoted scalars otherwise."""


def _str(dumper, value: str):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def dump_value(value: Any) -> str:
    """One YAML value (scalar, block text, list or mapping) as text, without a document end marker."""
    if isinstance(value, str) and any(ch in value for ch in _BREAKS):
        # Unicode line separators would be read back as line breaks: keep them as escapes.
        text = json.dumps(value, ensure_ascii=False)
        for ch, esc in _BREAKS.items():
            text = text.replace(ch, esc)
        return text
    if isinstance(value, str) and "\n" in value:
        value = "\n".join(line.rstrip() for line in value.strip("\n").splitlines())
        if "\n" not in value:
            return dump_value(value)
    text = yaml.dump(value, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=10 ** 9,
                     default_flow_style=False)
    if text.endswith("...\n"):
        text = text[:-4]
    return text.rstrip("\n")


def key(text: str) -> str:
    """A mapping key, quoted when YAML needs it."""
    return dump_value(str(text))


def entry(name: str, value: Any, depth: int) -> list[str]:
    """`name: value` at depth, with block values indented under the key."""
    pad = INDENT * depth
    if value is None:
        return [f"{pad}{key(name)}:"]
    text = dump_value(value)
    if isinstance(value, (dict, list)) and value:
        return [f"{pad}{key(name)}:"] + [f"{pad}{INDENT}{line}" if line else "" for line in text.splitlines()]
    lines = text.splitlines()
    if len(lines) == 1:
        return [f"{pad}{key(name)}: {lines[0]}"]
    # "|" (or "|-", "|2") header on the key's line, the text indented one level deeper than the key.
    return [f"{pad}{key(name)}: {lines[0]}"] + [f"{pad}{line}" if line.strip() else "" for line in lines[1:]]


def comment(text: str, depth: int) -> list[str]:
    pad = INDENT * depth
    return [f"{pad}# {line}".rstrip() for line in text.splitlines() if line.strip()] if text else []


def rule_facts(spec: SowSpec) -> list[tuple[str, str]]:
    """The facts the spec's rules read, with what they mean."""
    out: dict[str, str] = {}
    for r in spec.rules:
        fact = r.get("fact")
        if r.get("type") == "package-limit" and fact:
            limits = "、".join(f"{k} ≤ {v}" for k, v in (r.get("limits") or {}).items())
            out.setdefault(fact, f"{r.get('label') or fact}（数字；套餐上限：{limits}）")
        elif r.get("type") == "pricing-unit" and fact:
            out.setdefault(fact, f"{r.get('label') or fact}（数字；每 {r.get('unit')} 计 1 个计费单位）")
    return list(out.items())


def column_lines(d: DeliverableSpec) -> list[str]:
    out = []
    for c in d.columns:
        allowed = f"；可选值：{'、'.join(c.allowed)}" if c.allowed else ""
        out.append(f"  {c.name}（{TYPE_LABELS.get(c.type, c.type)}{allowed}）")
    return out


def _sections(spec: SowSpec, d: DeliverableSpec, sections: tuple[SectionSpec, ...], values: dict[str, Any],
              depth: int, lines: list[str]) -> None:
    for s in sections:
        hint = section_hint(spec, d, s)
        if s.children:
            lines += comment(f"{s.title}：以下各小节分别填写", depth)
            lines.append(f"{INDENT * depth}{key(s.title)}:")
            _sections(spec, d, s.children, values, depth + 1, lines)
            continue
        notes = []
        if templated(d, s):
            notes.append("模板已写本节；在此写入内容则替换模板文字")
        elif hint:
            notes.append(f"SOW：{hint}")
        lines += comment("；".join(notes), depth)
        lines += entry(s.title, values.pop(s.title, None), depth)


def render_answers(spec: SowSpec, deliverables: list[DeliverableSpec], existing: dict | None = None,
                   workbook: str | None = None, sheets: dict[str, str] | None = None,
                   header: str = "") -> str:
    """The answers file of one service.

    Args:
        deliverables: the deliverables the engagement builds (its package and selection).
        existing: the file's current content (yaml.safe_load), whose values are kept.
        workbook: the register workbook (relative to the engagement folder) registers read from by default.
        sheets: deliverable id -> its sheet in the workbook.
        header: comment lines put first.
    """
    existing = dict(existing or {})
    old_delivs = dict(existing.get("deliverables") or {}) if isinstance(existing.get("deliverables"), dict) else {}
    lines = comment(header, 0)
    lines += comment("填写说明：每个章节键下写 Markdown 正文（段落、“- ”列表、| 表格 |）；多行文字用 “|” 起头并缩进。"
                     "带 * 的章节（sowpack specs 中）必须填写，留空的键在 sowpack build 时逐一列出。"
                     "文件路径（rows_from.file）相对于项目文件夹（engagement.yaml 所在处）。", 0)
    lines += ["version: 1", f"service: {spec.service}"]
    facts = dict(existing.get("facts") or {}) if isinstance(existing.get("facts"), dict) else {}
    wanted = rule_facts(spec)
    if wanted or facts:
        lines.append("facts:")
        for name, label in wanted:
            lines += comment(label, 1)
            lines += entry(name, facts.pop(name, None), 1)
        for name, value in facts.items():
            lines += entry(str(name), value, 1)
    project = existing.get("project")
    if project is not None or any(d.kind in PROJECT_KINDS for d in deliverables):
        lines += comment(PROJECT_HELP, 0)
        lines += entry("project", project, 0) if project is not None else comment(PROJECT_EXAMPLE, 0)
    lines.append("deliverables:")
    for d in deliverables:
        old = old_delivs.pop(d.id, None)
        old = dict(old) if isinstance(old, dict) else {}
        formats = "、".join(d.formats)
        lines += comment(f"{d.seed_name}（{formats}）"
                         + (f"：{deliverable_hint(spec, d)}" if deliverable_hint(spec, d) else ""), 1)
        lines.append(f"{INDENT}{key(d.id)}:")
        at = len(lines)
        if d.sections:
            from pipeline.scaffold.flat import flat_sections
            values = flat_sections(old.pop("sections", None))
            lines.append(f"{INDENT * 2}sections:")
            _sections(spec, d, d.sections, values, 3, lines)
            for title, value in values.items():  # answers to sections the spec does not have: kept as written
                lines += entry(title, value, 3)
        else:
            old.pop("sections", None)
        if d.columns:
            cols = column_lines(d)
            if not needs_rows(d):
                lines += comment("签到表默认列出 engagement.yaml 中 people 的客户方人员；也可在此给出 rows。列：", 2)
            else:
                lines += comment("登记表各列（类型；可选值）：", 2)
            lines += comment("\n".join(cols), 2)
            if "rows" in old:
                lines += entry("rows", old.pop("rows"), 2)
            elif "rows_from" in old:
                lines += _flow("rows_from", old.pop("rows_from"), 2)
            elif needs_rows(d) and workbook and sheets and d.id in sheets:
                lines += _flow("rows_from", {"file": workbook, "sheet": sheets[d.id]}, 2)
            elif needs_rows(d):
                lines.append(f"{INDENT * 2}rows: []")
        if d.kind == "minutes":
            lines += comment(MEETING_HELP + ("" if "meeting" in old else "\n" + MEETING_EXAMPLE), 2)
        for k, v in old.items():  # anything else the deliverable had (its meeting record): kept as written
            lines += entry(str(k), v, 2)
        if not any(line.strip() and not line.strip().startswith("#") for line in lines[at:]):
            lines[at - 1] += " {}"  # nothing to answer here (a sign-in sheet lists the people)
    for did, v in old_delivs.items():  # deliverables the package no longer builds: kept as written
        lines += entry(str(did), v, 1)
    return "\n".join(lines) + "\n"


#: The kinds written from the answers' `project:` (inputs/records.py reads it).
PROJECT_KINDS = ("kickoff", "work-plan")
PROJECT_HELP = ("项目情况：启动会材料与工作计划据此编写（background 与 risks 必填；risks 的 owner 须为本服务人员，"
                "impact 取 高、中、低）。问卷的“项目情况”收集背景、目标与风险。")
PROJECT_EXAMPLE = """例如（去掉行首的 # 后填写）：
project:
  background: |
    客户现状与本服务要解决的问题
  objectives: [本服务的目标一, 目标二]
  risks:
    - {risk: 风险描述, impact: 中, mitigation: 应对措施, owner: 本服务人员姓名}
  status_meeting: {when: 每周二 10:00–11:00, place: 会议地点}
  channels: [沟通渠道，如钉钉群]"""
MEETING_HELP = ("会议记录（meeting）：会后填写，纪要据此编写；主持人、记录人、待办责任人须为本服务人员，"
                "评审会须写 verdict（通过、有条件通过、不通过）。问卷不收集此项，由顾问在会后填写。")
MEETING_EXAMPLE = """例如（去掉行首的 # 后填写）：
meeting:
  date: 2026-01-01
  time: 14:00–16:00
  place: 会议地点
  host: 主持人姓名
  recorder: 记录人姓名
  attendees: [参会人姓名, 参会人姓名]
  agenda:
    - {item: 议题, discussion: 讨论情况, comments: [评审意见]}
  verdict: 通过
  conclusion: 会议结论
  actions:
    - {action: 待办事项, owner: 责任人姓名, due: 2026-01-02, status: 未开始}"""


def _flow(name: str, value: Any, depth: int) -> list[str]:
    if isinstance(value, dict):
        inner = ", ".join(f"{key(str(k))}: {dump_value(v)}" for k, v in value.items())
        return [f"{INDENT * depth}{name}: {{{inner}}}"]
    return entry(name, value, depth)

