"""`sowpack new`: an engagement skeleton in the spec's shape, that the build reads as it is."""
from __future__ import annotations

import re

import yaml
from click.testing import CliRunner
from openpyxl import load_workbook

from conftest import SPECS
from pipeline.cli import main
from pipeline.specs.load import load_specs
from pipeline.specs.needs import needs_answer, needs_rows

SERVICES = ["--service", "12:通用版", "--service", "23:标准版"]


def _new(path, *extra):
    return CliRunner().invoke(main, ["new", str(path), "--customer", "华东顶峰制造有限公司", "--short", "顶峰制造",
                                     *SERVICES, "--start", "2026-05-06", "--end", "2026-06-30", *extra])


def _specs():
    specs, _ = load_specs(SPECS)
    return {s.service: s for s in specs}


def _tree(sections):
    return {s.title: (_tree(s.children) if s.children else None) for s in sections}


def _keys(value):
    return {k: (_keys(v) if isinstance(v, dict) else None) for k, v in value.items()}


def test_new_writes_engagement_answers_in_the_spec_nesting_and_workbooks(tmp_path):
    eng = tmp_path / "acme"
    result = _new(eng)
    assert result.exit_code == 0, result.output
    data = yaml.safe_load((eng / "engagement.yaml").read_text(encoding="utf-8"))
    assert data["customer"] == {"name": "华东顶峰制造有限公司", "short_name": "顶峰制造"}
    assert [(s["service"], s["package"], s["answers"]) for s in data["services"]] == [
        (12, "通用版", "answers/12-database-migration-consulting.yaml"),
        (23, "标准版", "answers/23-it-governance.yaml")]
    specs = _specs()
    for svc, package in ((12, "通用版"), (23, "标准版")):
        spec = specs[svc]
        text = (eng / f"answers/{spec.folder}.yaml").read_text(encoding="utf-8")
        answers = yaml.safe_load(text)
        for d in spec.for_package(package):
            got = answers["deliverables"][d.id]
            if d.sections:
                assert _keys(got["sections"]) == _tree(d.sections), d.id
            if needs_rows(d):
                assert got["rows_from"]["file"] == f"registers/{spec.folder}.xlsx"
    text12 = (eng / "answers/12-database-migration-consulting.yaml").read_text(encoding="utf-8")
    assert "# SOW：确认乙方的数据库上云策略与风险控制策略" in text12          # the seed's words as a comment
    assert "业务重要性（文本；可选值：核心、重要、一般）" in text12 and "数据量（GB）（数字）" in text12
    assert "sample_app_count:" in text12                                   # the facts the rules read
    wb = load_workbook(eng / "registers/12-database-migration-consulting.xlsx")
    ws = wb["数据库上云项目调研报告"]
    header = [c.value for c in ws[1]]
    assert header == [c.name for c in specs[12].deliverable("survey-report").columns]
    assert ws.freeze_panes == "A2"
    formulas = {dv.formula1: str(dv.sqref) for dv in ws.data_validations.dataValidation}
    assert formulas['"核心,重要,一般"'].startswith("G2:")
    col = {h: i for i, h in enumerate(header, 1)}
    assert ws.cell(row=2, column=col["数据量（GB）"]).number_format == "0.##"
    assert ws.cell(row=2, column=col["业务表数量"]).number_format == "0"
    issues = wb["数据库上云方案验证问题处理清单"]
    date_col = [c.value for c in issues[1]].index("发现日期") + 1
    assert issues.cell(row=5, column=date_col).number_format == "yyyy-mm-dd"
    assert any(dv.type == "date" for dv in issues.data_validations.dataValidation)


def test_new_refuses_an_existing_engagement_and_unknown_packages(tmp_path):
    eng = tmp_path / "acme"
    assert _new(eng).exit_code == 0
    before = (eng / "engagement.yaml").read_bytes()
    again = _new(eng)
    assert again.exit_code == 2 and "already holds an engagement" in again.output
    assert (eng / "engagement.yaml").read_bytes() == before
    bad = CliRunner().invoke(main, ["new", str(tmp_path / "b"), "--customer", "甲", "--short", "甲",
                                    "--service", "2:基础版"])
    assert bad.exit_code == 2 and "did you mean '基础包'?" in bad.output and not (tmp_path / "b").exists()
    bad = CliRunner().invoke(main, ["new", str(tmp_path / "c"), "--customer", "甲", "--short", "甲", "--service", "12"])
    assert bad.exit_code == 2 and "SERVICE:PACKAGE" in bad.output


def test_the_build_lists_everything_still_empty_in_one_pass_and_writes_nothing(tmp_path):
    eng, out = tmp_path / "acme", tmp_path / "out"
    assert _new(eng).exit_code == 0
    result = CliRunner().invoke(main, ["build", str(eng), "--out", str(out)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    specs = _specs()
    expected = {(f"answers/{specs[s].folder}.yaml", d.id, x.title) for s, p in ((12, "通用版"), (23, "标准版"))
                for d in specs[s].for_package(p) for x in d.all_sections() if needs_answer(d, x)}
    missing = [line for line in result.output.splitlines() if "[input.missing-answer]" in line]
    assert len(missing) == len(expected)
    # each points at the empty key's own line
    assert all(line.split(":")[1].isdigit() for line in missing)
    rows = [line for line in result.output.splitlines() if "[input.missing-rows]" in line]
    assert any("registers/12-database-migration-consulting.xlsx[数据库上云项目调研报告]" in line for line in rows)
    # the sign-in sheets list the customer's project manager `new` wrote, who still needs a phone
    blank = [line for line in result.output.splitlines() if "[input.blank-cell]" in line]
    assert blank and all(line.startswith(f"{eng}/engagement.yaml:") and "客户项目经理（待定）" in line
                         and "add phone:" in line for line in blank)
    # what kickoffs, work plans and minutes are written from: one finding each, at its own line
    records = [line for line in result.output.splitlines()
               if "[input.missing-meeting]" in line or "[input.missing-project]" in line]
    kinds = {"minutes": "input.missing-meeting", "kickoff": "input.missing-project",
             "work-plan": "input.missing-project"}
    assert sorted((line.split("('")[1].split("')")[0], line.rsplit("[", 1)[1].rstrip("]")) for line in records) == \
        sorted((d.id, kinds[d.kind]) for s, p in ((12, "通用版"), (23, "标准版")) for d in specs[s].for_package(p)
               if d.kind in kinds)
    assert all(line.split(":")[1].isdigit() for line in records)
    assert not any("[input.no-team]" in line or "[input.not-on-team]" in line for line in result.output.splitlines())
    assert result.output.rstrip().splitlines()[-1].startswith("Error: input:")
    assert not out.exists()


def test_new_names_the_project_managers_as_every_service_s_team(tmp_path):
    eng = tmp_path / "acme"
    assert _new(eng, "--vendor-pm", "张伟", "--customer-pm", "黄晓梅").exit_code == 0
    data = yaml.safe_load((eng / "engagement.yaml").read_text(encoding="utf-8"))
    assert data["people"] == [
        {"name": "张伟", "org": "阿里云", "role": "项目经理", "services": [12, 23]},
        {"name": "黄晓梅", "org": "华东顶峰制造有限公司", "role": "项目经理", "services": [12, 23]}]
    assert [s["managers"] for s in data["services"]] == [{"vendor": "张伟", "customer": "黄晓梅"}] * 2
    assert (data["document_control"]["author"], data["document_control"]["reviewer"]) == ("张伟", "张伟")
    # without them, the entries are marked 待定, which `sowpack check` flags in every document that shows them
    other = tmp_path / "other"
    assert _new(other).exit_code == 0
    data = yaml.safe_load((other / "engagement.yaml").read_text(encoding="utf-8"))
    assert [p["name"] for p in data["people"]] == ["服务方项目经理（待定）", "客户项目经理（待定）"]
    bad = CliRunner().invoke(main, ["new", str(tmp_path / "b"), "--customer", "甲", "--short", "甲",
                                    "--service", "12:通用版", "--vendor-pm", " "])
    assert bad.exit_code == 2 and "--vendor-pm must not be empty" in bad.output


def test_a_team_emptied_by_hand_is_located_findings_not_a_crash(tmp_path):
    eng, out = tmp_path / "acme", tmp_path / "out"
    assert _new(eng).exit_code == 0
    path = eng / "engagement.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("people:\n")
    path.write_text(text[:start] + "people: []\n" + text[text.index("services:\n"):], encoding="utf-8")
    result = CliRunner().invoke(main, ["build", str(eng), "--out", str(out)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if ": ERROR: " in line]
    # Every error has its file and line (one build reports the unanswered questions of the new
    # answers files too); the team's are in engagement.yaml.
    assert lines and all(re.match(rf"{re.escape(str(eng))}/[^:\[]+(:\d+|\.xlsx\[)", line) for line in lines)
    team = [line for line in lines if "[input.no-team]" in line or "[input.not-on-team]" in line]
    assert team and all(line.startswith(f"{eng}/engagement.yaml:") for line in team)
    assert sum("[input.no-team]" in line for line in lines) == 4          # both sides of both services
    assert sum("[input.not-on-team]" in line for line in lines) >= 4      # the managers named, on no team
    assert not out.exists()
