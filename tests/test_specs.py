"""Every spec validates cleanly; the spec loader reports every problem with its line."""
from __future__ import annotations

import dataclasses
import json

from click.testing import CliRunner

from conftest import ROOT, SPECS, write_tree
from pipeline.cli import main
from pipeline.core.paths import TEMPLATES
from pipeline.document.templating import template_headings, undeclared_headings
from pipeline.specs.load import load_spec, load_kinds, load_specs


def test_all_specs_load_without_findings():
    specs, findings = load_specs(SPECS)
    assert [str(f) for f in findings] == []
    assert [s.service for s in specs] == list(range(1, 30))


def test_every_deliverable_has_formats_and_content():
    specs, _ = load_specs(SPECS)
    for s in specs:
        assert s.acceptance.document in {d.id for d in s.deliverables}, s.path
        for d in s.deliverables:
            assert d.formats, (s.path, d.id)
            assert d.sections or d.columns, (s.path, d.id)


def test_bad_spec_reports_all_problems_with_lines(tmp_path):
    kinds, _ = load_kinds(SPECS)
    spec = write_tree(tmp_path, {"99-bad.yaml": """version: 1
service: 99
title: 坏规格
slug: Bad Slug
packages:
  - name: 标准服务
acceptance:
  rule: 5个工作日
  day_type: weekly
deliverables:
  - id: report
    seed_name: 《报告》
    kind: reprot
    formats: [docx, doc]
    sectons: [概述]
"""}) / "99-bad.yaml"
    model, findings = load_spec(spec, kinds)
    assert model is None
    lines = sorted((f.location.line, f.code) for f in findings)
    assert (4, "spec.bad-value") in lines          # slug
    assert (9, "spec.bad-value") in lines         # day_type
    assert (13, "spec.unknown-kind") in lines      # kind typo
    assert (14, "spec.bad-format") in lines        # doc
    assert (15, "spec.unknown-key") in lines       # sectons
    msg = next(str(f) for f in findings if f.code == "spec.unknown-kind")
    assert "did you mean 'report'?" in msg and "99-bad.yaml:13:" in msg


def test_specs_json_lists_every_service():
    result = CliRunner().invoke(main, ["specs", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    services = {s["service"]: s for s in data["services"]}
    assert sorted(services) == list(range(1, 30))
    hc = {d["id"]: d for d in services[9]["deliverables"]}
    assert [x["title"] for x in hc["health-report"]["sections"][1:7]] == [
        "网络架构检查结果", "弹性计算架构检查结果", "存储架构检查结果", "数据库架构检查结果", "中间件架构检查结果",
        "安全架构检查结果"]
    catalogue = {d["id"]: d for d in services[1]["deliverables"]}
    resource = next(d for d in catalogue.values() if "数据资源目录" in d["seed_name"])
    assert resource["formats"] == ["xlsx"]
    assert [c["name"] for c in resource["columns"]] == ["表英文名称", "表中文名称", "表的数据内容描述", "业务系统名称",
                                                       "所属业务系统数据库名"]
    assert all(set(c) >= {"name", "type", "allowed"} for c in resource["columns"])
    for key in ("id", "seed_name", "aliases", "formats", "sections", "columns"):
        assert key in hc["health-report"]


_HEAD = """version: 1
service: 98
title: 培训服务
slug: trainings
packages:
  - name: 基础包
  - name: 扩展包
acceptance:
  rule: 5个工作日
  document: tool-training
"""


def _deliverables(tmp_path, name: str, text: str):
    kinds, _ = load_kinds(SPECS)
    model, findings = load_spec(write_tree(tmp_path, {name: _HEAD + text}) / name, kinds)
    assert [str(f) for f in findings] == []
    return [dataclasses.replace(d, line=None) for d in model.deliverables]


def test_sign_in_and_courses_expand_to_the_pairs_written_out(tmp_path):
    short = _deliverables(tmp_path, "98-short.yaml", """deliverables:
  - id: tool-training
    seed_name: 《工具培训》
    kind: training
    sections: [工具概述]
    sign_in: true
  - id: admin-training
    seed_name: 管理员培训
    title: 管理员培训课件
    kind: training
    packages: [扩展包]
    sign_in: {id: admin-sheet, seed_name: 签到表}
courses:
  packages: [扩展包]
  optional: true
  list:
    - id: basics
      name: 云计算基础
      sections: [云计算概述, 阿里云简介]
    - id: sap
      name: 国际案例分享 SAP Case Sharing
      title: 国际案例分享
      aliases: [SAP案例]
      sections: [SAP案例分享]
""")
    long = _deliverables(tmp_path, "98-long.yaml", """deliverables:
  - {id: tool-training, seed_name: 《工具培训》, kind: training, sections: [工具概述]}
  - {id: tool-training-sign-in, seed_name: 《工具培训》, kind: sign-in, title: 工具培训签到表,
     evidence_for: 培训：工具培训}
  - {id: admin-training, seed_name: 管理员培训, title: 管理员培训课件, kind: training, packages: [扩展包]}
  - {id: admin-sheet, seed_name: 签到表, kind: sign-in, title: 管理员培训课件签到表, packages: [扩展包],
     evidence_for: 培训：管理员培训课件}
  - {id: course-basics, seed_name: 云计算基础, kind: training, evidence_for: 培训：云计算基础,
     packages: [扩展包], optional: true, choice: 云计算基础, sections: [云计算概述, 阿里云简介]}
  - {id: signin-basics, seed_name: 签到表, kind: sign-in, title: 云计算基础签到表, evidence_for: 培训：云计算基础,
     packages: [扩展包], optional: true, choice: 云计算基础}
  - {id: course-sap, seed_name: 国际案例分享 SAP Case Sharing, title: 国际案例分享, aliases: [SAP案例],
     kind: training, evidence_for: 培训：国际案例分享 SAP Case Sharing, packages: [扩展包], optional: true,
     choice: 国际案例分享 SAP Case Sharing, sections: [SAP案例分享]}
  - {id: signin-sap, seed_name: 签到表, kind: sign-in, title: 国际案例分享签到表,
     evidence_for: 培训：国际案例分享 SAP Case Sharing, packages: [扩展包], optional: true,
     choice: 国际案例分享 SAP Case Sharing}
""")
    assert short == long


def test_spec_24_lists_35_courses_each_with_its_sign_in_sheet():
    spec = next(s for s in load_specs(SPECS)[0] if s.service == 24)
    courses = [d for d in spec.deliverables if d.id.startswith(("course-", "signin-"))]
    assert len(courses) == 70
    for training, sheet in zip(courses[::2], courses[1::2], strict=True):
        assert (training.kind, sheet.kind) == ("training", "sign-in")
        assert sheet.id == "signin-" + training.id.removeprefix("course-")
        assert training.optional and sheet.optional and training.choice == sheet.choice == training.seed_name
        assert sheet.title == (training.title or training.seed_name) + "签到表"


def test_sign_in_and_course_mistakes_are_located(tmp_path):
    kinds, _ = load_kinds(SPECS)
    path = write_tree(tmp_path, {"98-bad.yaml": _HEAD + """deliverables:
  - id: tool-training
    seed_name: 工具培训
    kind: report
    sections: [工具概述]
    sign_in: true
  - id: admin-training
    seed_name: 管理员培训
    kind: training
    sign_in: {seed_nmae: 签到表}
  - id: user-training
    seed_name: 员工培训
    kind: training
    sign_in: 签到表
courses:
  packages: [专家包]
  optional: yes please
  list:
    - id: basics
      sectons: [云计算概述]
    - id: Bad_Id
      name: 云计算进阶
"""}) / "98-bad.yaml"
    model, findings = load_spec(path, kinds)
    assert model is None
    got = sorted((f.location.line, f.code) for f in findings)
    assert got == [(16, "spec.bad-value"),       # sign_in on a report
                   (20, "spec.unknown-key"),     # seed_nmae
                   (24, "spec.bad-type"),        # sign_in: 签到表
                   (26, "spec.bad-value"),       # packages: 专家包, reported once for the block
                   (27, "spec.bad-type"),        # optional: yes please
                   (29, "spec.missing-key"),     # course without a name
                   (30, "spec.unknown-key"),     # sectons
                   (31, "spec.bad-value")], [str(f) for f in findings]  # course-Bad_Id
    by_line = {f.location.line: str(f) for f in findings}
    assert "'sign_in' adds the sign-in sheet of a training; 'tool-training' is kind 'report'" in by_line[16]
    assert "did you mean 'seed_name'?" in by_line[20]
    assert "'courses.list[0].name' is required" in by_line[29]
    assert "did you mean 'sections'?" in by_line[30]
    assert "'courses.list[1].id' must be lowercase ASCII letters, digits and dashes (got 'Bad_Id')" in by_line[31]


def test_every_kind_template_writes_only_sections_its_kind_declares():
    kinds, _ = load_kinds(SPECS)
    for kind in kinds.values():
        path = TEMPLATES / "text" / f"{kind.template}.md.j2"
        declared = [s.title for top in kind.sections + kind.closing for s in top.walk()]
        assert undeclared_headings(path.read_text(encoding="utf-8"), str(path), kind.name, declared) == [], kind.name


def test_a_template_heading_the_kind_does_not_declare_is_located(monkeypatch):
    monkeypatch.chdir(ROOT)  # locations are printed relative to the working directory
    source = "{# 说明\n# 不是标题 #}\n# 会议信息\n正文\n\n# 会议结论\n"
    assert template_headings(source) == [(3, "会议信息"), (6, "会议结论")]
    [finding] = undeclared_headings(source, str(TEMPLATES / "text" / "minutes.md.j2"), "minutes",
                                    ["会议信息", "会议议题", "会议纪要", "待办事项"])
    assert (finding.code, finding.severity, finding.location.line) == ("template.unknown-section", "ERROR", 6)
    assert str(finding).startswith("templates/text/minutes.md.j2:6: ERROR: heading '会议结论' is not a section of "
                                   "kind 'minutes' (it declares 会议信息、会议议题、会议纪要、待办事项)")
RULES_SPEC = """version: 1
service: 98
title: 规则检查
slug: rule-check
packages:
  - name: 基础版
  - name: 企业版
acceptance:
  rule: 客户确认交付物即视为验收合格。
deliverables:
  - id: report
    seed_name: 《报告》
    kind: report
    sections: [概述]
rules:
"""


def _rules_findings(tmp_path, rules: str):
    kinds, _ = load_kinds(SPECS)
    path = write_tree(tmp_path, {"98-rules.yaml": RULES_SPEC + rules}) / "98-rules.yaml"
    model, findings = load_spec(path, kinds)
    if findings:
        assert str(findings[0]).startswith(f"{path}:{findings[0].location.line}:")  # file:line:col
    return model, [(f.location.line, f.code, f.severity, f.message) for f in findings]


def test_a_typo_in_a_rule_key_is_a_located_error(tmp_path):
    model, found = _rules_findings(tmp_path, """  - type: lead-time
    working_day: 10
    cite: 提前10个工作日提出申请。
""")
    assert model is None
    assert found == [(17, "spec.unknown-rule-key", "ERROR",
                      "unknown key 'working_day' in 'rules[0]'; did you mean 'working_days'?"),
                     (16, "spec.missing-key", "ERROR", "'rules[0].working_days' is required")]


def test_rule_keys_are_checked_against_their_type(tmp_path):
    model, found = _rules_findings(tmp_path, """  - type: package-limit
    fact: resource_count
    limits: {基础版: 100, 企业版: lots}
    minimums: {企业版: 101, 豪华版: 1}
    cite: 基础版：适用于资源数量小于等于100个。
  - type: package-limit
    fact: resource_count
    limits: {基础版: 100}
    minimums: {基础版: 200}
    cite: 基础版：适用于资源数量小于等于100个。
  - {type: onsite-cap, cite: 现场服务不超过10人天。}
  - {type: requires-package, package: 企业版, cite: 不单独售卖。}
  - {type: pricing-unit, fact: 3, unit: true, cite: 每50张表计1个单位。}
  - {type: lead-tme, cite: 提前申请。}
  - {type: note}
  - {type: holiday-rate, multiplier: 3, cite: 法定节假日按3倍计费。}
  - {type: note, cite: 其他约定。}
""")
    assert model is None
    assert found == [
        (18, "spec.bad-type", "ERROR", "'rules[0].limits.企业版' must be a number (got a string 'lots')"),
        (19, "spec.bad-value", "ERROR", "'rules[0].minimums.豪华版' must be one of 基础版, 企业版 (got '豪华版')"),
        (24, "spec.bad-value", "ERROR", "'rules[1].minimums.基础版' (200) is over the 基础版 limit (100)"),
        (26, "spec.missing-key", "ERROR", "'rules[2]' needs 'person_days' or 'packages'"),
        (27, "spec.missing-key", "ERROR", "'rules[3]' needs 'requires' or 'requires_service'"),
        (28, "spec.bad-type", "ERROR", "'rules[4].fact' must be a string (got an integer 3)"),
        (28, "spec.bad-type", "ERROR", "'rules[4].unit' must be a number (got true or false True)"),
        (29, "spec.bad-value", "ERROR", ("'rules[5].type' must be one of lead-time, package-limit, pricing-unit, "
                                         "onsite-cap, holiday-rate, requires-package, note (got 'lead-tme'); "
                                         "did you mean 'lead-time'?")),
        (30, "spec.missing-key", "ERROR", "'rules[6]' needs 'type' and 'cite' (the seed's words)"),
    ]


def test_every_rule_type_and_key_is_documented():
    from pipeline.rules.types import RULES

    text = (SPECS / "README.md").read_text(encoding="utf-8")
    rules = text[text.index("## Rules"):text.index("## Survey answers")]
    for name, cls in RULES.items():
        assert f"type: {name}" in rules, name
        for key in cls.keys:
            assert f"{key.name}" in rules, (name, key.name)

def test_specs_json_nests_sections_and_types_columns():
    """Sections carry children and required; columns their type and allowed values."""
    result = CliRunner().invoke(main, ["specs", "23", "--json"])
    assert result.exit_code == 0, result.output
    (svc,) = json.loads(result.output)["services"]
    for key in ("service", "title", "slug", "spec", "packages", "acceptance", "rules", "deliverables"):
        assert key in svc
    plan = next(d for d in svc["deliverables"] if d["id"] == "basic-governance-plan")
    parent = next(s for s in plan["sections"] if s["children"])
    assert parent["required"] is False and all("children" in c and "required" in c for c in parent["children"])
    assert any(c["required"] for c in parent["children"])
    minutes = next(d for d in svc["deliverables"] if d["kind"] == "minutes")
    info = next(s for s in minutes["sections"] if s["title"] == "会议信息")
    assert info["required"] is False and info["templated"] is True
    issues = json.loads(CliRunner().invoke(main, ["specs", "12", "--json"]).output)["services"][0]
    survey = next(d for d in issues["deliverables"] if d["id"] == "survey-report")
    cols = {c["name"]: c for c in survey["columns"]}
    assert cols["数据量（GB）"]["type"] == "number" and cols["业务表数量"]["type"] == "int"
    assert cols["业务重要性"]["allowed"] == ["核心", "重要", "一般"]
    assert survey["required"] is True and survey["rows_required"] is True


def test_specs_text_prints_the_tree_columns_and_rules():
    result = CliRunner().invoke(main, ["specs", "12", "--package", "通用版"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "* 调研概述  — needs an answer" in out
    assert "项目概述  — written by the template; an answer replaces it" in out
    assert "业务重要性  text  allowed: 核心、重要、一般" in out and "数据量（GB）  number" in out
    assert "rule lead-time (working_days=10)" in out
    nested = CliRunner().invoke(main, ["specs", "23"]).output
    parent = next(line for line in nested.splitlines() if "(heading: answer its subsections)" in line)
    child = nested.splitlines()[nested.splitlines().index(parent) + 1]
    assert len(child) - len(child.lstrip(" *")) > len(parent) - len(parent.lstrip(" *"))


def test_specs_refuses_an_unknown_service_or_package():
    r = CliRunner().invoke(main, ["specs", "12", "--package", "通用"])
    assert r.exit_code == 2 and "did you mean '通用版'?" in r.output
    assert CliRunner().invoke(main, ["specs", "99"]).exit_code == 2
