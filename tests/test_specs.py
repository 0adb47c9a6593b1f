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
    assert hc["health-report"]["sections"][1:7] == ["网络架构检查结果", "弹性计算架构检查结果", "存储架构检查结果",
                                                    "数据库架构检查结果", "中间件架构检查结果", "安全架构检查结果"]
    catalogue = {d["id"]: d for d in services[1]["deliverables"]}
    resource = next(d for d in catalogue.values() if "数据资源目录" in d["seed_name"])
    assert resource["formats"] == ["xlsx"]
    assert resource["columns"] == ["表英文名称", "表中文名称", "表的数据内容描述", "业务系统名称", "所属业务系统数据库名"]
    for key in ("id", "seed_name", "aliases", "formats", "sections", "columns"):
        assert key in hc["health-report"]
