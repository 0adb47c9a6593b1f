"""Bad input gets one clear line: every case of tests/bad_inputs/ fails with its file, place and fix,
no traceback and no partial output."""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import ROOT
from pipeline.cli import main

CORPUS = Path(__file__).resolve().parent / "bad_inputs"
BASE_SPECS = CORPUS / "_base" / "specs"
CASES = sorted(p.name for p in CORPUS.iterdir() if p.is_dir() and not p.name.startswith("_"))

#: case -> (finding code, file the first line must name)
EXPECTED = {
    "answers-in-sibling-folder": ("input.bad-value", "engagement.yaml:14:5"),
    "answers-outside-folder": ("input.bad-value", "engagement.yaml:14:5"),
    "chart-inside-text": ("input.misplaced-block", "answers/90-mini.yaml:8"),
    "fact-wrong-type": ("input.bad-type", "answers/90-mini.yaml:4:3"),
    "reference-unknown-fact": ("input.bad-reference", "answers/90-mini.yaml:8:7"),
    "register-date-without-year": ("input.bad-type", "answers/90-mini.yaml:12:42"),
    "register-number-in-words": ("input.bad-type", "answers/90-mini.yaml:13:42"),
    "control-character": ("input.yaml", "answers/90-mini.yaml:6:17"),
    "excel-blank-cell": ("input.blank-cell", "资源清单.xlsx[资源清单]!B2"),
    "excel-empty-sheet": ("input.missing-rows", "资源清单.xlsx[资源清单]!A1"),
    "excel-missing-column": ("input.missing-column", "资源清单.xlsx[资源清单]"),
    "excel-not-allowed": ("input.not-allowed", "资源清单.xlsx[资源清单]!C2"),
    "excel-renamed-column": ("input.missing-column", "资源清单.xlsx[资源清单]"),
    "excel-wrong-sheet": ("input.bad-excel", "资源清单.xlsx"),
    "ledger-broken-chain": ("signoff.ledger-damaged", "signoff.jsonl:2"),
    "ledger-not-json": ("signoff.ledger-damaged", "signoff.jsonl:2"),
    "ledger-path-outside-pack": ("signoff.ledger-damaged", "signoff.jsonl:1"),
    "list-for-mapping": ("input.bad-type", "engagement.yaml:3:1"),
    "malformed-yaml": ("input.yaml", "answers/90-mini.yaml:6:13"),
    "missing-answer": ("input.missing-answer", "answers/90-mini.yaml:4:3"),
    "missing-answers-file": ("input.missing-file", "engagement.yaml:14:5"),
    "no-engagement-yaml": ("input.missing-file", "engagement.yaml"),
    "not-utf8-yaml": ("input.yaml", "answers/90-mini.yaml"),
    "rows-from-folder": ("input.bad-value", "answers/90-mini.yaml:11:17"),
    "spec-list-for-mapping": ("spec.bad-type", "specs/90-mini.yaml:9:1"),
    "spec-rule-typo": ("spec.unknown-rule-key", "specs/90-mini.yaml:16:5"),
    "spec-unknown-format": ("spec.bad-format", "specs/90-mini.yaml:18:21"),
    "tab-indented-yaml": ("input.yaml", "answers/90-mini.yaml:6:1"),
    "template-printed-heading": ("template.unknown-section", "templates/text/report.md.j2"),
    "template-syntax": ("template.syntax", "templates/text/report.md.j2:4"),
    "total-contradicts-rows": ("input.total-mismatch", "answers/90-mini.yaml:6:7"),
    "template-undefined": ("template.undefined", "templates/text/report.md.j2:4"),
    "template-unknown-heading": ("template.unknown-section", "templates/text/report.md.j2:2"),
    "unknown-package": ("input.unknown-package", "engagement.yaml:12:5"),
    "unknown-service": ("input.unknown-service", "engagement.yaml:12:5"),
    "wrong-type-date": ("input.bad-type", "engagement.yaml:6:1"),
    "wrong-type-service": ("input.bad-type", "engagement.yaml:12:5"),
    "xlsx-is-text": ("input.bad-excel", "资源清单.xlsx"),
    # Resource bombs and hostile text (issue 9): bounded work, one located line.
    "yaml-alias-bomb": ("input.yaml", "answers/90-mini.yaml:10:7"),
    "yaml-too-deep": ("input.yaml", "answers/90-mini.yaml:4:39"),
    "yaml-recursive-alias": ("input.yaml", "answers/90-mini.yaml:4:9"),
    "excel-huge-dimension": ("input.bad-excel", "资源清单.xlsx[资源清单]"),
    "excel-malformed-xml": ("input.bad-excel", "资源清单.xlsx[资源清单]"),
    "bidi-control": ("input.bad-value", "answers/90-mini.yaml:6:7"),
    "c1-control": ("input.bad-value", "engagement.yaml:4:1"),
    "escape-sequence-in-key": ("input.bad-value", "answers/90-mini.yaml:7:7"),
    "empty-engagement": ("input.missing-key", "engagement.yaml"),
    "no-services": ("input.bad-value", "engagement.yaml:11:1"),
}

#: The exact first line of a few cases, as a user sees it.
FIRST_LINES = {
    "malformed-yaml": "tests/bad_inputs/malformed-yaml/answers/90-mini.yaml:6:13: ERROR: invalid YAML: found "
                      "unexpected end of stream (while scanning a quoted scalar); check the quotes, brackets, "
                      "colons and indentation here [input.yaml]",
    "list-for-mapping": "tests/bad_inputs/list-for-mapping/engagement.yaml:3:1: ERROR: 'customer' must be a mapping "
                        "(got a list) [input.bad-type]",
    "missing-answer": "tests/bad_inputs/missing-answer/answers/90-mini.yaml:4:3: ERROR: "
                      "《【XXX】迷你检查报告》 ('report'): section '检查结论' has no answer; "
                      "add it under deliverables.report.sections [input.missing-answer]",
    "unknown-package": "tests/bad_inputs/unknown-package/engagement.yaml:12:5: ERROR: service 90 (迷你检查服务) has no "
                       "package '豪华版'; choose one of 标准服务 [input.unknown-package]",
    "excel-renamed-column": "tests/bad_inputs/excel-renamed-column/资源清单.xlsx[资源清单]: ERROR: "
                            "required column '资源名称' is missing (found '资源名': renamed?); "
                            "the columns must be 编号、资源名称、状态 [input.missing-column]",
    "xlsx-is-text": "tests/bad_inputs/xlsx-is-text/资源清单.xlsx: ERROR: not an Excel workbook (.xlsx is a zip file; "
                    "this is not); save it from Excel as .xlsx [input.bad-excel]",
    "spec-unknown-format": "tests/bad_inputs/spec-unknown-format/specs/90-mini.yaml:18:21: ERROR: "
                           "'deliverables[0].formats[1]' must be one of docx, pptx, xlsx, pdf (got 'ppt'); "
                           "did you mean 'pptx'? [spec.bad-format]",
    "template-unknown-heading": "tests/bad_inputs/template-unknown-heading/templates/text/report.md.j2:2: ERROR: "
                                "heading '附注' is not a section of kind 'report' (it declares none); a template "
                                "writes only the bodies of its kind's sections, whose titles live in _kinds.yaml: "
                                "use one of them or declare the section there [template.unknown-section]",
    "spec-rule-typo": "tests/bad_inputs/spec-rule-typo/specs/90-mini.yaml:16:5: ERROR: unknown key 'working_day' in "
                      "'rules[0]'; did you mean 'working_days'? [spec.unknown-rule-key]",
    "register-date-without-year": "tests/bad_inputs/register-date-without-year/answers/90-mini.yaml:12:42: ERROR: "
                                  "column '启用日期' in row 1 must be a date with its year, written 2026-04-30 or "
                                  "2026年4月30日, or an Excel date cell (got '7月14日'; the year is missing) "
                                  "[input.bad-type]",
    "wrong-type-date": "tests/bad_inputs/wrong-type-date/engagement.yaml:6:1: ERROR: 'date' must be a date written "
                       "YYYY-MM-DD (got '2026-13-45') [input.bad-type]",
    "answers-in-sibling-folder": "tests/bad_inputs/answers-in-sibling-folder/engagement.yaml:14:5: ERROR: 'answers' "
                                 "path '../_base/engagement/answers/90-mini.yaml' leaves the engagement folder "
                                 "tests/bad_inputs/answers-in-sibling-folder; copy the file into the folder and name "
                                 "it from there [input.bad-value]",
    "rows-from-folder": "tests/bad_inputs/rows-from-folder/answers/90-mini.yaml:11:17: ERROR: 'rows_from.file' "
                        "'answers' is a folder, not a regular file; point it at an .xlsx workbook [input.bad-value]",
    "ledger-not-json": "tests/bad_inputs/ledger-not-json/signoff.jsonl:2: ERROR: not a JSON event (Expecting property "
                       "name enclosed in double quotes: line 1 column 8 (char 7)); restore it, or accept it as it is "
                       "with `sowpack signoff repair tests/bad_inputs/ledger-not-json --by NAME` "
                       "[signoff.ledger-damaged]",
    "ledger-broken-chain": "tests/bad_inputs/ledger-broken-chain/signoff.jsonl:2: ERROR: hash chain broken: the line "
                           "before it was changed, removed or reordered; restore it, or accept it as it is with "
                           "`sowpack signoff repair tests/bad_inputs/ledger-broken-chain --by NAME` "
                           "[signoff.ledger-damaged]",
    "ledger-path-outside-pack": "tests/bad_inputs/ledger-path-outside-pack/signoff.jsonl:1: ERROR: not a valid event: "
                                "'files[0].path' must be a relative path inside the pack (got '../../etc/passwd'); "
                                "restore it, or accept it as it is with `sowpack signoff repair "
                                "tests/bad_inputs/ledger-path-outside-pack --by NAME` [signoff.ledger-damaged]",
    "yaml-alias-bomb": "tests/bad_inputs/yaml-alias-bomb/answers/90-mini.yaml:10:7: ERROR: this value holds more than "
                       "200000 YAML values once its aliases (*name) are expanded, which sowpack does not read; write "
                       "the values out, or put a large register in an Excel sheet (rows_from) [input.yaml]",
    "yaml-too-deep": "tests/bad_inputs/yaml-too-deep/answers/90-mini.yaml:4:39: ERROR: nested more than 32 levels "
                     "deep, which sowpack does not read; flatten the structure here [input.yaml]",
    "yaml-recursive-alias": "tests/bad_inputs/yaml-recursive-alias/answers/90-mini.yaml:4:9: ERROR: an alias (*name) "
                            "refers to the value that contains it, which never ends; remove the alias [input.yaml]",
    "excel-huge-dimension": "tests/bad_inputs/excel-huge-dimension/资源清单.xlsx[资源清单]: ERROR: cell XFD1048576 "
                            "holds a value beyond the first 256 columns, more than sowpack reads; delete it or move "
                            "the register to a sheet of its own [input.bad-excel]",
    "excel-malformed-xml": "tests/bad_inputs/excel-malformed-xml/资源清单.xlsx[资源清单]: ERROR: the sheet's XML is "
                           "malformed (line 1: Opening and ending tag mismatch: broken line 1 and c, line 1, column "
                           "988); open the workbook in Excel and save it again [input.bad-excel]",
    "bidi-control": "tests/bad_inputs/bidi-control/answers/90-mini.yaml:6:7: ERROR: section '检查概述' contains the "
                    "bidirectional control U+202E, which makes text display in another order than it is stored; "
                    "delete it [input.bad-value]",
    "c1-control": "tests/bad_inputs/c1-control/engagement.yaml:4:1: ERROR: 'project' contains the character U+009B (a "
                  "control character or half of a surrogate pair, which documents cannot hold); delete it "
                  "[input.bad-value]",
    # The key's escape sequences are shown as text, never obeyed by the terminal.
    "escape-sequence-in-key": "tests/bad_inputs/escape-sequence-in-key/answers/90-mini.yaml:7:7: ERROR: "
                              "'deliverables.report.sections.\\x1b[2J\\x1b[31m检查概述' contains the character U+001B "
                              "(a control character or half of a surrogate pair, which documents cannot hold); delete "
                              "it [input.bad-value]",
    "empty-engagement": "tests/bad_inputs/empty-engagement/engagement.yaml: ERROR: engagement.yaml is empty; it must "
                        "give version, customer, project, date and services (see deliverable_specs/README.md) "
                        "[input.missing-key]",
    "no-services": "tests/bad_inputs/no-services/engagement.yaml:11:1: ERROR: 'services' is empty, so there is nothing "
                   "to build; list each service bought (service, package, answers) [input.bad-value]",
}


def run(case: str, out: Path):
    d = CORPUS / case
    args = ["build", f"tests/bad_inputs/{case}", "--out", str(out),
            "--specs", str((d / "specs" if (d / "specs").is_dir() else BASE_SPECS).relative_to(ROOT))]
    if (d / "templates").is_dir():
        args += ["--templates", f"tests/bad_inputs/{case}/templates"]
    return CliRunner().invoke(main, args)


@pytest.fixture(autouse=True)
def _at_root(monkeypatch):
    monkeypatch.chdir(ROOT)  # locations are printed relative to the working directory


def test_every_case_has_an_expectation():
    assert sorted(EXPECTED) == CASES


def test_the_base_engagement_builds(tmp_path):
    result = CliRunner().invoke(main, ["build", "tests/bad_inputs/_base/engagement", "--specs",
                                       "tests/bad_inputs/_base/specs", "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("case", CASES)
def test_bad_input_gets_one_clear_line(case, tmp_path):
    out = tmp_path / "out"
    result = run(case, out)
    code, place = EXPECTED[case]
    assert result.exit_code in (1, 2), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    lines = result.output.splitlines()
    first = lines[0]
    assert first.startswith(f"tests/bad_inputs/{case}/{place}: ERROR: "), first
    assert first.endswith(f"[{code}]"), first
    # The fix: every first line tells the user what to do (or what is expected instead).
    assert any(w in first for w in ("; ", "must", "did you mean")), first
    assert lines[-1].startswith("Error: ") and "nothing was written" in lines[-1], lines[-1]
    if case in FIRST_LINES:
        assert first == FIRST_LINES[case]
    assert not out.exists()  # no partial output


def test_a_missing_engagement_folder_is_a_usage_error(tmp_path):
    result = CliRunner().invoke(main, ["build", "tests/bad_inputs/does-not-exist", "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert ("Error: Invalid value for 'ENGAGEMENT_DIRS...': Directory 'tests/bad_inputs/does-not-exist' "
            "does not exist.") in result.output
    assert not (tmp_path / "o").exists()
