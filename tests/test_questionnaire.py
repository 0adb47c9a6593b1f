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


#: deliverable kind -> the one finding a questionnaire's answers leave for it.
RECORD_OF = {"minutes": "input.missing-meeting"}
RECORDS = set(RECORD_OF.values())


def _largest(spec):
    return max(spec.package_names, key=lambda p: len(spec.for_package(p)))


def _new(root: Path, *bought: tuple[int, str]) -> Path:
    new_engagement(root, "华东顶峰制造有限公司", "顶峰制造", [Bought(s, p) for s, p in bought], SPEC_MAP,
                   dt.date(2026, 5, 6), dt.date(2026, 6, 30), today=dt.date(2026, 4, 1), vendor_pm="张伟",
                   customer_pm="黄晓梅")
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
    problems, expected, blocks = [], [], set()
    for job in jobs_for(eng, SPEC_MAP):
        _, found = assemble(job, eng)
        # A diagram or a findings register that a spec section requires is data a questionnaire's
        # text cannot carry: the consultant adds it, and the build names exactly those sections.
        blocks |= {(f.deliverable, f.target) for f in errors_in(found) if f.code == "input.missing-block"}
        problems += [(f.code, f.deliverable) if f.code in RECORDS else str(f) for f in errors_in(found)
                     if f.code != "input.missing-block"]
        expected += [(RECORD_OF[job.deliverable.kind], job.deliverable.id)] if job.deliverable.kind in RECORD_OF else []
    # Nor can it carry a meeting record (written after the meeting, by the consultant in the
    # answers): exactly the minutes lack theirs. Project facts come from the questionnaire.
    assert sorted(problems) == sorted(expected)
    assert blocks == {(job.deliverable.id, s.title) for job in jobs_for(eng, SPEC_MAP)
                      for s in job.deliverable.all_sections() if s.requires}
    again = import_questionnaire(eng_dir, q, SPEC_MAP)
    assert again.imported == [] and again.written == [] and not again.findings


def test_export_fill_import_build_check(tmp_path, monkeypatch):
    """The whole round trip through the CLI, built and checked (service 12, a small pack)."""
    monkeypatch.chdir(tmp_path)
    run = CliRunner().invoke
    assert run(main, ["new", "eng", "--customer", "华东顶峰制造有限公司", "--short", "顶峰制造",
                      "--service", "12:通用版", "--start", "2026-05-06", "--end", "2026-06-30",
                      "--vendor-pm", "张伟", "--customer-pm", "黄晓梅"]).exit_code == 0
    r = run(main, ["questionnaire", "eng", "--out", "问卷.xlsx"])
    assert r.exit_code == 0, r.output
    fill(Path("问卷.xlsx"))
    r = run(main, ["questionnaire", "import", "eng", "问卷.xlsx"])
    assert r.exit_code == 0, r.output
    r = run(main, ["build", "eng", "--out", "out"])
    # What a questionnaire does not carry, said at its place: the review's meeting record, which the
    # consultant writes in the answers after the meeting (the work plan's project facts were imported).
    records = sorted(line.split(": ERROR: ")[0].split(":")[0] + " " + line.rsplit("[", 1)[1]
                     for line in r.output.splitlines() if ": ERROR: " in line)
    where = "eng/answers/12-database-migration-consulting.yaml"
    assert r.exit_code == 1, r.output
    assert records == [f"{where} input.missing-meeting]"], r.output
    answers = Path("eng/answers/12-database-migration-consulting.yaml")
    data = yaml.safe_load(answers.read_text(encoding="utf-8"))
    assert [r["owner"] for r in data["project"]["risks"]] == ["黄晓梅", "张伟"]
    data["deliverables"]["review-minutes"]["meeting"] = {
        "date": "2026-06-29", "time": "14:00–16:00", "place": "顶峰制造信息中心会议室", "host": "黄晓梅",
        "recorder": "张伟", "attendees": ["黄晓梅", "张伟", "许志强"],
        "agenda": [{"item": "方案评审", "discussion": "双方逐项评审四份方案。"}],
        "verdict": "通过", "conclusion": "四份方案通过评审。",
        "actions": [{"action": "提交方案定稿", "owner": "张伟", "due": "2026-06-30", "status": "未开始"}]}
    answers.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
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


def test_the_people_sheet_carries_who_works_on_which_service(tmp_path):
    """参与服务: service numbers, a per-service role after a colon; back to engagement.yaml's `services`."""
    from pipeline.questionnaire.model import parse_services, services_text
    assert parse_services("12、23") == [12, 23] and parse_services("12, 23；9") == [12, 23, 9]
    assert parse_services("9：健康检查架构师、12") == {9: "健康检查架构师", 12: ""}
    assert parse_services("全部") is None and parse_services("") is None
    assert services_text([1, 9]) == "1、9" and services_text({9: "架构师", 1: "顾问"}) == "9：架构师、1：顾问"
    eng_dir = _new(tmp_path / "eng", (12, "通用版"), (23, "标准版"))
    q = tmp_path / "q.xlsx"
    export(eng_dir, q, None, SPEC_MAP)
    ws = load_workbook(q)["项目人员"]
    header = [c.value for c in ws[1]]
    col = header.index("参与服务") + 1
    assert [ws.cell(row=r, column=col).value for r in (2, 3)] == ["12、23", "12、23"]     # prefilled from new
    phone = header.index("电话") + 1
    ws.cell(row=2, column=phone).value = "138****0001"
    ws.cell(row=3, column=phone).value = "139****2001"
    ws.cell(row=3, column=col).value = "12：数据库负责人、23"
    for j, v in enumerate(("许志强", "客户方", "运维工程师"), 1):
        ws.cell(row=4, column=j).value = v
    ws.cell(row=4, column=phone).value = "139****2002"
    ws.cell(row=4, column=col).value = "十二"
    ws.parent.save(q)
    result = import_questionnaire(eng_dir, q, SPEC_MAP)
    assert [f.location.cell for f in result.refused] == [f"{chr(64 + col)}4"], [str(f) for f in result.findings]
    ws = load_workbook(q)["项目人员"]
    ws.cell(row=4, column=col).value = "23"
    ws.parent.save(q)
    result = import_questionnaire(eng_dir, q, SPEC_MAP)
    assert not result.findings, [str(f) for f in result.findings]
    people = yaml.safe_load((eng_dir / "engagement.yaml").read_text(encoding="utf-8"))["people"]
    assert [(p["name"], p["services"]) for p in people] == [
        ("张伟", [12, 23]), ("黄晓梅", {12: "数据库负责人", 23: "项目经理"}), ("许志强", [23])]
    eng, found = load_engagement(eng_dir)
    assert eng is not None and not errors_in(found), [str(f) for f in found]
    assert [m.name for m in eng.teams[23]] == ["张伟", "黄晓梅", "许志强"]


def test_an_import_keeps_the_project_and_meeting_records_the_consultant_wrote(tmp_path):
    """The answers file is written again on import: `project:` and each minutes' `meeting:` stay as they were."""
    eng_dir = _new(tmp_path / "eng", (12, "通用版"))
    path = eng_dir / "answers/12-database-migration-consulting.yaml"
    text = path.read_text(encoding="utf-8")
    assert "# project:" in text and "    # meeting:" in text        # the shapes to fill, as comments
    data = yaml.safe_load(text)
    project = {"background": "MES 系统的 Oracle 数据库计划迁移上云。",
               "risks": [{"risk": "生产库采集需变更审批", "impact": "中", "mitigation": "提前一周申请",
                          "owner": "黄晓梅"}]}
    meeting = {"date": "2026-06-29", "time": "14:00–16:00", "place": "信息中心会议室", "host": "黄晓梅",
               "recorder": "张伟", "attendees": ["黄晓梅", "张伟"],
               "agenda": [{"item": "方案评审", "discussion": "逐项评审。"}], "verdict": "通过",
               "conclusion": "通过评审。",
               "actions": [{"action": "提交定稿", "owner": "张伟", "due": "2026-06-30", "status": "未开始"}]}
    data["project"] = project
    data["deliverables"]["review-minutes"]["meeting"] = meeting
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    q = tmp_path / "q.xlsx"
    export(eng_dir, q, None, SPEC_MAP)
    _set(q, "12 数据库上云咨询服务", "回答", _row(q, "12 数据库上云咨询服务", "调研概述"), "新的调研概述")
    result = import_questionnaire(eng_dir, q, SPEC_MAP)
    assert result.imported and not result.findings, [str(f) for f in result.findings]
    after = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert after["deliverables"]["survey-report"]["sections"]["调研概述"] == "新的调研概述"
    assert after["project"] == project
    assert after["deliverables"]["review-minutes"]["meeting"] == meeting
    text = path.read_text(encoding="utf-8")
    assert "# project:" not in text and "# meeting:" not in text    # no example beside what is written


def test_the_questionnaire_asks_the_project_facts_of_kickoffs_and_work_plans(tmp_path):
    """项目情况: background, objectives a line each, risks 风险；影响程度；应对措施；责任人 a line each."""
    eng_dir = _new(tmp_path / "eng", (12, "通用版"))
    q = tmp_path / "q.xlsx"
    export(eng_dir, q, None, SPEC_MAP)
    sheet = "12 数据库上云咨询服务"
    rows = {r[2]: r for r in load_workbook(q)[sheet].iter_rows(min_row=2, values_only=True)}
    assert rows["项目风险"][1] == "项目情况" and "《数据库上云咨询服务工作计划书》" in rows["项目风险"][4]
    _set(q, sheet, "回答", _row(q, sheet, "项目背景"), "MES 系统的 Oracle 数据库计划迁移上云。")
    _set(q, sheet, "回答", _row(q, sheet, "项目目标"), "- 完成评估\n- 完成方案")
    _set(q, sheet, "回答", _row(q, sheet, "项目风险"), "采集需审批；很高；提前申请；黄晓梅")
    result = import_questionnaire(eng_dir, q, SPEC_MAP)
    assert [(f.location.cell, "impact must be 高、中、低" in f.message) for f in result.refused] == \
        [(f"F{_row(q, sheet, '项目风险')}", True)]
    _set(q, sheet, "回答", _row(q, sheet, "项目风险"), "采集需审批；中；提前申请")
    result = import_questionnaire(eng_dir, q, SPEC_MAP)
    assert len(result.refused) == 1 and "four parts" in result.refused[0].message
    _set(q, sheet, "回答", _row(q, sheet, "项目风险"),
         "采集需审批；中；提前申请；黄晓梅\n割接窗口短; 高; 周末割接; 张伟")
    result = import_questionnaire(eng_dir, q, SPEC_MAP)
    assert not result.findings, [str(f) for f in result.findings]
    project = _answers(eng_dir, 12)["project"]
    assert project == {"background": "MES 系统的 Oracle 数据库计划迁移上云。", "objectives": ["完成评估", "完成方案"],
                       "risks": [{"risk": "采集需审批", "impact": "中", "mitigation": "提前申请", "owner": "黄晓梅"},
                                 {"risk": "割接窗口短", "impact": "高", "mitigation": "周末割接", "owner": "张伟"}]}
    again = import_questionnaire(eng_dir, q, SPEC_MAP)
    assert again.imported == [] and not again.findings
    export(eng_dir, q, None, SPEC_MAP)                       # shown back a line each
    rows = {r[2]: r for r in load_workbook(q)[sheet].iter_rows(min_row=2, values_only=True)}
    assert rows["项目目标"][5] == "完成评估\n完成方案"
    assert rows["项目风险"][5] == "采集需审批；中；提前申请；黄晓梅\n割接窗口短；高；周末割接；张伟"
