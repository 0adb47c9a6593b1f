"""The CLI as a user meets it: help, exit codes, the first error line, no partial output."""
from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from conftest import SAMPLES, per_engagement
from pipeline.cli import main


def test_help_on_every_command():
    runner = CliRunner()
    for cmd in ([], ["build"], ["specs"], ["check"], ["new"], ["questionnaire"], ["questionnaire", "import"],
                ["questionnaire", "export"]):
        result = runner.invoke(main, cmd + ["--help"])
        assert result.exit_code == 0
        assert "Usage:" in result.output


@pytest.mark.packs
def test_build_writes_pack_and_manifest(tmp_path):
    result = CliRunner().invoke(main, ["build", str(SAMPLES / "hengxin-retail"), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "hengxin-retail" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["engagement"] == "hengxin-retail"
    entry = next(d for d in manifest["deliverables"] if d["service"] == 9 and d["deliverable"] == "health-report")
    assert entry["seed_name"] == "《XXXX项目架构健康报告》" and entry["format"] == "docx"
    assert (tmp_path / "hengxin-retail" / entry["path"]).is_file()
    assert len(entry["sha256"]) == 64
    formats = {d["format"] for d in manifest["deliverables"]}
    assert formats == {"docx", "pptx", "xlsx", "pdf"}


def test_missing_answer_is_one_located_line_and_nothing_written(tmp_path, sample_copy):
    eng = sample_copy("hengxin-retail")
    answers = eng / "answers" / "09-health-check.yaml"
    text = answers.read_text(encoding="utf-8")
    assert "网络架构检查结果:" in text
    answers.write_text(text.replace("网络架构检查结果:", "网络架构检查结论:"), encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["build", str(eng), "--out", str(out)])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if "ERROR" in line]
    assert any("09-health-check.yaml:" in line and "'网络架构检查结果' has no answer" in line
               and "[input.missing-answer]" in line for line in lines), result.output
    assert "Traceback" not in result.output
    assert result.output.rstrip().splitlines()[-1].startswith("Error: input:")
    assert not out.exists()


@pytest.mark.parametrize("engagement", per_engagement(["hengxin-retail"]))
def test_check_passes_on_a_fresh_pack(sample_pack, engagement, tmp_path):
    # A copy: check records what it found in the pack's overview, and the shared pack stays as built.
    pack = tmp_path / engagement
    shutil.copytree(sample_pack(engagement), pack)
    result = CliRunner().invoke(main, ["check", str(pack)])
    assert result.exit_code == 0, result.output
    assert "complete" in result.output.splitlines()[-1]


@pytest.mark.packs
def test_optional_deliverables_follow_the_selection(tmp_path, sample_copy):
    """24's courses are chosen per engagement: only the selected ones are built and required."""
    eng = sample_copy("mingde-insurance")
    # Courses are chosen before anything is signed off: without the sample's ledger, whose signed-off
    # work plan and acceptance form list every course (changing them is a sign-off conflict).
    (eng / "signoff.jsonl").unlink()
    path = eng / "engagement.yaml"
    text = path.read_text(encoding="utf-8")
    head, rest = text.split("    select:\n", 1)
    lines = rest.splitlines(keepends=True)
    courses = [line for line in lines if line.startswith("      - ")]
    keep = [courses[0], courses[5]]
    path.write_text(head + "    select:\n" + "".join(keep) + "".join(lines[len(courses):]), encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(main, ["build", str(eng), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "out" / "mingde-insurance" / "manifest.json").read_text(encoding="utf-8"))
    courses_built = [d for d in manifest["deliverables"] if d["service"] == 24 and d["kind"] in ("training", "sign-in")
                     and d["deliverable"].startswith(("course-", "signin-"))]
    assert len(courses_built) == 4  # two courses, each with slides and a sign-in sheet
    assert runner.invoke(main, ["check", str(tmp_path / "out" / "mingde-insurance")]).exit_code == 0
    path.write_text(head + "    select:\n      - 不存在的课程\n" + "".join(lines[len(courses):]), encoding="utf-8")
    bad = runner.invoke(main, ["build", str(eng), "--out", str(tmp_path / "out2")])
    assert bad.exit_code == 1
    assert any("engagement.yaml:" in line and "'select' names '不存在的课程'" in line and "[input.bad-value]" in line
               for line in bad.output.splitlines()), bad.output


def test_a_second_build_into_the_same_folder_waits_its_turn(tmp_path):
    from pipeline.build.run import output_lock

    out = tmp_path / "out"
    with output_lock(out):
        result = CliRunner().invoke(main, ["build", str(SAMPLES / "hengxin-retail"), "--out", str(out)])
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1] == (f"Error: busy: another sowpack build is writing to {out}; "
                                                      "wait for it to finish")
    assert not out.exists()


def _pdf_environment(monkeypatch, *, harfbuzz_subset: bool, fc_list: str | None) -> None:
    """Pretend this machine has (or lacks) HarfBuzz subsetting, and fc-list printing fc_list (None: no fc-list)."""
    import shutil
    import subprocess

    from weasyprint.pdf import fonts as wp_fonts

    monkeypatch.setattr(wp_fonts, "harfbuzz_subset", object() if harfbuzz_subset else None, raising=False)
    real_which, real_run = shutil.which, subprocess.run
    monkeypatch.setattr(shutil, "which", lambda cmd, *a, **kw: (None if fc_list is None else "/usr/bin/fc-list")
                        if cmd == "fc-list" else real_which(cmd, *a, **kw))

    def run(args, **kw):
        if args[0] != "fc-list":
            return real_run(args, **kw)
        assert fc_list is not None, "fc-list is run though it is not installed"
        return subprocess.CompletedProcess(args, 0, stdout=fc_list, stderr="")
    monkeypatch.setattr(subprocess, "run", run)


NOTO = "Noto Sans CJK SC,Noto Sans CJK SC Regular\nNoto Serif CJK SC\n"


def test_pdf_environment_problems_none_when_both_are_installed(monkeypatch):
    from pipeline.build.run import pdf_environment_problems

    _pdf_environment(monkeypatch, harfbuzz_subset=True, fc_list=NOTO)
    assert pdf_environment_problems() == []


def test_pdf_environment_problems_are_said_plainly(monkeypatch):
    from pipeline.build.run import pdf_environment_problems

    _pdf_environment(monkeypatch, harfbuzz_subset=False, fc_list="DejaVu Sans\n")
    problems = pdf_environment_problems()
    assert len(problems) == 2, problems
    assert problems[0].startswith("warning: libharfbuzz-subset0 is missing")
    assert problems[0].endswith("install it: apt-get install -y libharfbuzz-subset0")
    assert problems[1].startswith("warning: the Noto CJK SC fonts are not installed")
    assert problems[1].endswith("install them: apt-get install -y fonts-noto-cjk")
    _pdf_environment(monkeypatch, harfbuzz_subset=True, fc_list="DejaVu Sans\n")
    assert [p.split(",")[0] for p in pdf_environment_problems()] == \
        ["warning: the Noto CJK SC fonts are not installed"]


@pytest.mark.parametrize(("args", "code"), [
    (["--version"], 0),
    (["specs"], 0),
    (["build"], 2),  # a usage error: click's code
    (["check", "no-such-pack"], 2),
])
def test_the_command_exits_as_click_says_with_all_its_output(args, code, tmp_path):
    """`sowpack` (pipeline.cli.run) ends the process without freeing its objects one by one: the
    same exit code and the same output, to the last byte, as the click command run in-process."""
    import subprocess
    import sys

    from conftest import ROOT

    expected = CliRunner().invoke(main, args, prog_name="python -m pipeline")
    out = subprocess.run([sys.executable, "-m", "pipeline", *args], cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    assert (out.returncode, expected.exit_code) == (code, code)
    assert out.stdout + out.stderr == expected.output


def test_an_error_a_user_causes_is_one_line_and_code_1_through_the_command(tmp_path):
    import subprocess
    import sys

    from conftest import ROOT

    (tmp_path / "eng").mkdir()
    out = subprocess.run([sys.executable, "-m", "pipeline", "build", str(tmp_path / "eng"), "--out",
                          str(tmp_path / "out")], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert out.stderr.strip().splitlines()[-1].startswith("Error: ") and not (tmp_path / "out" / "eng").exists()
