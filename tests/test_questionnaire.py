"""The questionnaire round trip: export, fill (as a customer would), import, build."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from openpyxl import load_workbook

from conftest import SPECS
from pipeline.cli import main
from pipeline.core.errors import errors_in
from pipeline.document.assemble import assemble, jobs_for
from pipeline.inputs.load import load_engagement
from pipeline.questionnaire.importer import import_questionnaire
from pipeline.questionnaire.run import export
from pipeline.scaffold.new import Bought, new_engagement
from pipeline.specs.load import load_specs
from questionnaire_fill import fill

SPEC_LIST, _ = load_specs(SPECS)
SPEC_MAP = {s.service: s for s in SPEC_LIST}


def _largest(spec):
    return max(spec.package_names, key=lambda p: len(spec.for_package(p)))


def _new(root: Path, *bought: tuple[int, str]) -> Path:
    new_engagement(root, "华东顶峰制造有限公司", "顶峰制造", [Bought(s, p) for s, p in bought], SPEC_MAP,
                   dt.date(2026, 5, 6), dt.date(2026, 6, 30), today=dt.date(2026, 4, 1))
    return root


def _answers(root: Path, svc: int) -> dict:
    return yaml.safe_load((root / f"answers/{SPEC_MAP[svc].folder}.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("spec", SPEC_LIST, ids=lambda s: s.folder)
def test_round_trip_on_every_spec(tmp_path, spec):
    """new -> export -> fill -> import leaves nothing the build would refuse (assembled, not rendered)."""
    eng_dir = _new(tmp_path / "eng", (spec.service, _largest(spec)))
    q = tmp_path / "q.xlsx"
    export(eng_dir, q, None, SPEC_MAP)
    fill(q)
    result = import_questionnaire(eng_dir, q, SPEC_MAP)
    assert not result.findings, [str(f) for f in result.findings]
    eng, found = load_engagement(eng_dir)
    assert eng is not None and not errors_in(found), [str(f) for f in found]
    problems = []
    for job in jobs_for(eng, SPEC_MAP):
        _, found = assemble(job, eng)
        problems += [str(f) for f in errors_in(found)]
    assert problems == []
    again = import_questionnaire(eng_dir, q, SPEC_MAP)
    assert again.imported == [] and again.written == [] and not again.findings


def test_export_fill_import_build_check(tmp_path, monkeypatch):
    """The whole round trip through the CLI, built and checked (service 12, a small pack)."""
    monkeypatch.chdir(tmp_path)
    run = CliRunner().invoke
    assert run(main, ["new", "eng", "--customer", "华东顶峰制造有限公司", "--short", "顶峰制造",
                      "--service", "12:通用版", "--start", "2026-05-06", "--end", "2026-06-30"]).exit_code == 0
    r = run(main, ["questionnaire", "eng", "--out", "问卷.xlsx"])
    assert r.exit_code == 0, r.output
    fill(Path("问卷.xlsx"))
    r = run(main, ["questionnaire", "import", "eng", "问卷.xlsx"])
    assert r.exit_code == 0, r.output
    r = run(main, ["build", "eng", "--out", "out"])
    assert r.exit_code == 0, r.output
    r = run(main, ["check", "out/eng"])
    assert r.exit_code == 0 and r.output.rstrip().endswith("complete"), r.output


def test_the_questionnaire_is_in_chinese_with_answers_prefilled(tmp_path):
    eng_dir = _new(tmp_path / "eng", (12, "通用版"))
    data = _answers(eng_dir, 12)
    data["deliverables"]["survey-report"]["sections"]["调研概述"] = "已有的回答"
    (eng_dir / "answers/12-database-migration-consulting.yaml").write_text(
        yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    q = tmp_path / "q.xlsx"
    export(eng_dir, q, None, SPEC_MAP)
    wb = load_workbook(q)
    assert wb.sheetnames[0] == "填写说明" and "调研问卷" in wb["填写说明"]["A1"].value
    ws = wb["12 数据库上云咨询服务"]
    header = [c.value for c in ws[1]]
    assert header[:6] == ["编号", "交付物", "章节", "问题", "说明", "回答"]
    rows = {r[2]: r for r in ws.iter_rows(min_row=2, values_only=True)}
    assert rows["调研概述"][5] == "已有的回答"
    assert rows["数据库上云策略与风险控制策略"][3].startswith("请说明「数据库上云策略与风险控制策略」")
    assert rows["数据库上云策略与风险控制策略"][4] == "确认乙方的数据库上云策略与风险控制策略"
    reg = wb["12 数据库上云项目调研报告"]
    assert [c.value for c in reg[1]] == [c.name for c in SPEC_MAP[12].deliverable("survey-report").columns]
    assert any(dv.formula1 == '"核心,重要,一般"' for dv in reg.data_validations.dataValidation)
    docx = tmp_path / "q.docx"
    export(eng_dir, docx, None, SPEC_MAP)
    from docx import Document
    text = "\n".join(c.text for t in Document(docx).tables for row in t.rows for c in row.cells)
    assert "请说明「调研概述」" in text and "已有的回答" in text


def _row(path: Path, sheet: str, section: str) -> int:
    """The row of the question on `section` in a service's question sheet (章节 column)."""
    ws = load_workbook(path)[sheet]
    col = [c.value for c in ws[1]].index("章节")
    return next(i for i, r in enumerate(ws.iter_rows(min_row=2, values_only=True), 2) if r[col] == section)


def _set(path: Path, sheet: str, column: str, row: int, value, formula: bool = False) -> None:
    wb = load_workbook(path)
    ws = wb[sheet]
    col = [c.value for c in ws[1]].index(column) + 1
    cell = ws.cell(row=row, column=col)
    cell.value = value
    if not formula:
        cell.data_type = "s" if isinstance(value, str) else cell.data_type
    wb.save(path)


def test_import_refuses_bad_cells_with_their_place_and_keeps_hand_edits(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    eng_dir = _new(Path("eng"), (12, "通用版"))
    q = Path("q.xlsx")
    export(eng_dir, q, None, SPEC_MAP)
    fill(q)
    plan, overview = _row(q, "12 数据库上云咨询服务", "访谈计划"), _row(q, "12 数据库上云咨询服务", "调研概述")
    _set(q, "12 数据库上云咨询服务", "回答", plan, "=HYPERLINK(\"http://x\")", formula=True)
    _set(q, "12 数据库上云咨询服务", "回答", overview, "含控制字符_x0007_")
    _set(q, "12 数据库上云项目调研报告", "业务重要性", 3, "非常重要")
    _set(q, "12 数据库上云项目调研报告", "数据量（GB）", 2, "很多")
    r = CliRunner().invoke(main, ["questionnaire", "import", str(eng_dir), str(q)])
    assert r.exit_code == 1
    lines = [line for line in r.output.splitlines() if "[questionnaire.refused]" in line]
    assert any(line.startswith(f"q.xlsx[12 数据库上云咨询服务]!F{plan}: ERROR: a formula") for line in lines), r.output
    assert any(line.startswith(f"q.xlsx[12 数据库上云咨询服务]!F{overview}:") and "U+0007" in line for line in lines)
    assert any(line.startswith("q.xlsx[12 数据库上云项目调研报告]!G3:") and "非常重要" in line for line in lines)
    assert any(line.startswith("q.xlsx[12 数据库上云项目调研报告]!E2:") for line in lines)
    # the refused register was not half-imported; other answers were
    wb = load_workbook(eng_dir / "registers/12-database-migration-consulting.xlsx")
    assert wb["数据库上云项目调研报告"].max_row == 1 or wb["数据库上云项目调研报告"]["A2"].value is None
    answers = _answers(eng_dir, 12)
    assert answers["deliverables"]["survey-report"]["sections"]["调研概述"] is None          # refused
    assert answers["deliverables"]["survey-report"]["sections"]["数据库系统调研"].startswith("客户答复")
    # the same file again changes nothing
    before = {p: p.read_bytes() for p in eng_dir.rglob("*") if p.is_file()}
    again = CliRunner().invoke(main, ["questionnaire", "import", str(eng_dir), str(q)])
    assert again.exit_code == 1 and "0 answer(s) imported" in again.output
    assert before == {p: p.read_bytes() for p in eng_dir.rglob("*") if p.is_file()}


def test_a_hand_written_answer_is_not_overwritten_silently(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    eng_dir = _new(Path("eng"), (12, "通用版"))
    q = Path("q.xlsx")
    export(eng_dir, q, None, SPEC_MAP)
    fill(q)
    path = eng_dir / "answers/12-database-migration-consulting.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("      调研概述:\n", "      调研概述: 顾问手写的概述\n"),
                    encoding="utf-8")
    r = CliRunner().invoke(main, ["questionnaire", "import", str(eng_dir), str(q)])
    assert r.exit_code == 1 and "[questionnaire.conflict]" in r.output and "--force" in r.output
    assert _answers(eng_dir, 12)["deliverables"]["survey-report"]["sections"]["调研概述"] == "顾问手写的概述"
    r = CliRunner().invoke(main, ["questionnaire", "import", str(eng_dir), str(q), "--force"])
    assert r.exit_code == 0, r.output
    assert _answers(eng_dir, 12)["deliverables"]["survey-report"]["sections"]["调研概述"].startswith("客户答复")
