"""The acceptance report tells the truth: stages, drafts until everything is accepted, names, plain rules."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import MINI, SPECS
from pipeline.cli import main

STAGED = """\
version: 1
service: 91
title: 分阶段服务工作说明书
name: 分阶段服务
slug: staged
packages:
  - name: 标准版
acceptance:
  rule: 文档内容经过评审会，由甲方指定的代表进行签收确认。验收在公共云服务系统页面上点击验收确认按钮。
  review_days: null
  document: acc-final
  stages: [方案设计完成, 割接完成]
deliverables:
  - {id: plan, seed_name: 《迁移方案》, kind: report, stage: 方案设计完成, sections: [迁移步骤]}
  - {id: acc-design, seed_name: 《验收报告》, title: 方案设计阶段验收报告, kind: acceptance-report, stage: 方案设计完成}
  - {id: cutover, seed_name: 《割接报告》, kind: report, stage: 割接完成, sections: [割接过程]}
  - {id: acc-final, seed_name: 《验收报告》, title: 割接阶段验收报告, kind: acceptance-report, stage: 割接完成}
"""
ANSWERS = """\
version: 1
service: 91
deliverables:
  plan: {sections: {迁移步骤: 分三批迁移。}}
  cutover: {sections: {割接过程: 周六夜间完成割接。}}
"""


@pytest.fixture
def staged(tmp_path):
    """A tiny engagement buying a SOW accepted in two stages, with the project's kinds."""
    specs = tmp_path / "specs"
    specs.mkdir()
    shutil.copy(SPECS / "_kinds.yaml", specs / "_kinds.yaml")
    (specs / "91-staged.yaml").write_text(STAGED, encoding="utf-8")
    eng = tmp_path / "eng"
    shutil.copytree(MINI / "engagement", eng)
    (eng / "answers" / "91-staged.yaml").write_text(ANSWERS, encoding="utf-8")
    text = (eng / "engagement.yaml").read_text(encoding="utf-8")
    text = text.replace("  - service: 90\n    package: 标准服务\n    answers: answers/90-mini.yaml",
                        "  - service: 91\n    package: 标准版\n    start: 2026-03-02\n    end: 2026-04-30\n"
                        "    answers: answers/91-staged.yaml")
    text = text.replace("role: 信息中心主任", "role: 信息中心主任（验收人）")
    text = text.replace("services: [90]", "services: [91]")  # the people work on the service bought
    (eng / "engagement.yaml").write_text(text, encoding="utf-8")
    return tmp_path


def _run(root: Path, *args: str):
    r = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return r


def _build(root: Path):
    r = _run(root, "build", str(root / "eng"), "--specs", str(root / "specs"), "--out", str(root / "out"))
    assert r.exit_code == 0, r.output
    return root / "out" / "eng"


def _signoff(root: Path, verb: str, *args: str):
    r = _run(root, "signoff", verb, str(root / "eng"), "--pack", str(root / "out" / "eng"),
             "--specs", str(root / "specs"), *args)
    assert r.exit_code == 0, r.output


def _text(pack: Path, title: str) -> list[str]:
    from pipeline.readers.dump import read
    return read(next(pack.glob(f"*/{title}.docx"))).dump


def test_each_stage_report_covers_its_own_stage_only(staged):
    from pipeline.specs.load import require_specs
    spec = {s.service: s for s in require_specs(staged / "specs")[0]}[91]
    report = {d.id: d for d in spec.deliverables}
    assert [d.id for d in spec.covered_by(report["acc-design"], "标准版")] == ["plan"]
    assert [d.id for d in spec.covered_by(report["acc-final"], "标准版")] == ["cutover"]


def test_draft_until_every_deliverable_of_its_stage_is_accepted(staged, monkeypatch):
    monkeypatch.delenv("SOWPACK_TODAY", raising=False)
    pack = _build(staged)
    design = _text(pack, "方案设计阶段验收报告")
    assert "P[Subtitle] （草稿）" in design and "HEADER 草稿 · 测试客户 · 方案设计阶段验收报告" in design
    assert not any("割接" in line for line in design if line.startswith("|"))  # never lists a later stage
    assert any("本报告为草稿，暂不具备签署条件" in line for line in design)
    # Names, not only dates, on the signature rows; no date until it can be signed.
    assert "| 客户验收人 | 测试客户有限公司 | 王芳 |  |  |" in design
    assert "| 服务方项目经理 | 阿里云 | 张伟 |  |  |" in design
    # The rule in plain words: no 甲方, no "点击验收确认按钮".
    assert not any(word in line for line in design for word in ("甲方", "乙方", "点击", "工作说明书"))
    report = json.loads(_run(staged, "check", str(pack), "--specs", str(staged / "specs"), "--format", "json").output)
    drafts = sorted(f["deliverable"] for f in report["findings"] if f["code"] == "completeness.draft")
    assert drafts == ["acc-design", "acc-final"] and report["complete"]

    _signoff(staged, "submit", "91/plan", "--by", "张伟", "--on", "2026-03-20")
    _signoff(staged, "accept", "91/plan", "--by", "王芳", "--on", "2026-03-24")
    pack = _build(staged)
    design = _text(pack, "方案设计阶段验收报告")
    assert "P[Subtitle] （草稿）" not in design and "HEADER 测试客户 · 方案设计阶段验收报告" in design
    assert any("同意“方案设计完成”阶段通过验收" in line for line in design)
    # Dated the day its last deliverable was accepted, when it became signable (not the service end).
    assert "| 客户验收人 | 测试客户有限公司 | 王芳 |  | 2026年3月24日 |" in design
    # The design stage is signed without waiting for the cut-over, which stays a draft.
    assert "HEADER 草稿 · 测试客户 · 割接阶段验收报告" in _text(pack, "割接阶段验收报告")
    report = json.loads(_run(staged, "check", str(pack), "--specs", str(staged / "specs"), "--format", "json").output)
    assert [f["deliverable"] for f in report["findings"] if f["code"] == "completeness.draft"] == ["acc-final"]


def test_staged_specs_are_validated(staged):
    from pipeline.specs.load import load_specs
    path = staged / "specs" / "91-staged.yaml"
    path.write_text(STAGED.replace(", stage: 割接完成, sections: [割接过程]", ", sections: [割接过程]")
                    .replace("name: 分阶段服务\n", "name: 分阶段服务工作说明书\n"), encoding="utf-8")
    _, findings = load_specs(staged / "specs")
    got = sorted((f.code, f.message.split(";")[0][:40]) for f in findings)
    assert any(code == "spec.missing-key" and msg.startswith("deliverable 'cutover' needs a 'stage'")
               for code, msg in got)
    assert any(code == "spec.bad-value" and "'name' is the service" in msg for code, msg in got)
