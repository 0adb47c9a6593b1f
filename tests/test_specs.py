"""Every spec validates cleanly; the spec loader reports every problem with its line."""
from __future__ import annotations

import json

from click.testing import CliRunner

from conftest import SPECS, write_tree
from pipeline.cli import main
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
