"""Hand edits survive rebuilds; only what changed is rebuilt, with reasons; writes are atomic; one path, one
deliverable."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import ROOT
from pipeline.cli import main
from pipeline.renderers.finish import soffice as finishing_soffice

REPORT = "90-mini-check/测试客户迷你检查报告.docx"
PDF = "90-mini-check/测试客户迷你检查报告.pdf"
#: The pack overview (index.html and its record) is written by every build; it is not a deliverable.
OVERVIEW = ("index.html", ".sowpack-overview.json")
CATALOG = "90-mini-check/测试客户资源清单.xlsx"
ANSWERS = "answers/90-mini.yaml"


@pytest.fixture
def mini(built_mini):
    """The tiny engagement, built once; returns it for rebuilding."""
    return built_mini


def hand_edit_docx(path: Path, text: str = "顾问手工补充的一段话。") -> bytes:
    import docx
    d = docx.Document(str(path))
    d.add_paragraph(text)
    d.save(str(path))
    return path.read_bytes()


def change_answer(m) -> None:
    m.edit(ANSWERS, "覆盖 3 个业务系统", "覆盖 4 个业务系统")


#: What change_answer() changes, as --explain names it.
CHANGED_SECTION = f"{ANSWERS}#deliverables.report.sections.检查概述"


def explained(result) -> dict[str, str]:
    """`--explain` lines keyed by deliverable and formats."""
    out = {}
    for line in result.output.splitlines():
        if line.startswith("eng 90/"):
            head, _, why = line.partition("]: ")
            out[head.split(" ", 1)[1] + "]"] = why
    return out


# --- incremental --------------------------------------------------------------------------------

def test_unchanged_inputs_render_nothing_and_touch_nothing(mini):
    before = {p: (mini.pack / p).stat().st_mtime_ns for p in mini.files()}
    result = mini.build("--explain")
    assert result.exit_code == 0, result.output
    assert explained(result) == {
        "90/report [docx, pptx, pdf]": "not rebuilt: spec, inputs, templates and tool unchanged",
        "90/catalog [xlsx]": "not rebuilt: spec, inputs, templates and tool unchanged"}
    assert "(0 rebuilt, 4 up to date)" in result.output
    assert {p: (mini.pack / p).stat().st_mtime_ns for p in mini.files()} == before


def test_one_changed_answer_rebuilds_only_its_deliverable_and_names_the_value(mini):
    before = mini.files()
    change_answer(mini)
    result = mini.build("--explain")
    assert result.exit_code == 0, result.output
    assert explained(result) == {"90/report [docx, pptx, pdf]": f"rebuilt: input changed: {CHANGED_SECTION}",
                                 "90/catalog [xlsx]": "not rebuilt: spec, inputs, templates and tool unchanged"}
    assert "(3 rebuilt, 1 up to date)" in result.output
    assert mini.files()[CATALOG] == before[CATALOG]


def test_a_changed_register_row_rebuilds_only_the_register(mini):
    mini.edit(ANSWERS, "日志归档桶", "日志归档存储桶")
    result = mini.build("--explain")
    assert explained(result) == {
        "90/report [docx, pptx, pdf]": "not rebuilt: spec, inputs, templates and tool unchanged",
        "90/catalog [xlsx]": f"rebuilt: input changed: {ANSWERS}#deliverables.catalog.rows"}


def test_an_engagement_value_every_document_shows_rebuilds_them_all(mini):
    mini.edit("engagement.yaml", "project: 测试客户迷你检查项目", "project: 测试客户迷你检查二期项目")
    result = mini.build("--explain")
    assert set(explained(result).values()) == {"rebuilt: input changed: engagement.yaml#project"}


def test_an_answer_edit_that_changes_nothing_shown_rebuilds_nothing(mini):
    mini.edit(ANSWERS, "version: 1\n", "version: 1  # 注释不会出现在文档中\n")
    result = mini.build("--explain")
    assert "(0 rebuilt, 4 up to date)" in result.output, result.output


def test_explain_names_the_changed_template_and_only_its_deliverable(mini, tmp_path):
    overlay = tmp_path / "tpl"
    (overlay / "text").mkdir(parents=True)
    (overlay / "text" / "report.md.j2").write_text("{# 改过的模板 #}\n", encoding="utf-8")
    result = mini.build("--explain", "--templates", str(overlay))
    assert result.exit_code == 0, result.output
    assert explained(result) == {"90/report [docx, pptx, pdf]": "rebuilt: template changed: text/report.md.j2",
                                 "90/catalog [xlsx]": "not rebuilt: spec, inputs, templates and tool unchanged"}


def test_explain_names_a_spec_change_of_one_deliverable(mini):
    mini.edit("specs/90-mini.yaml", "allowed: [启用, 停用]", "allowed: [启用, 停用, 待定]")
    result = mini.build("--explain")
    assert result.exit_code == 0, result.output
    assert explained(result)["90/catalog [xlsx]"] == "rebuilt: spec changed"
    assert explained(result)["90/report [docx, pptx, pdf]"].startswith("not rebuilt")


def test_explain_names_a_missing_output_and_the_tool_version(mini, monkeypatch):
    (mini.pack / PDF).unlink()
    result = mini.build("--explain")
    assert explained(result) == {"90/report [docx, pptx]": "not rebuilt: spec, inputs, templates and tool unchanged",
                                 "90/report [pdf]": "rebuilt: output missing",
                                 "90/catalog [xlsx]": "not rebuilt: spec, inputs, templates and tool unchanged"}
    assert (mini.pack / PDF).is_file()
    import pipeline.build.incremental as inc
    old = inc.tool_version()
    monkeypatch.setattr(inc, "tool_version", lambda: "9.9.9+feedface")
    result = mini.build("--explain")
    assert explained(result)["90/catalog [xlsx]"] == f"rebuilt: tool version changed: {old} -> 9.9.9+feedface"


def test_force_rebuilds_everything_with_identical_bytes(mini):
    before = mini.files()
    result = mini.build("--force", "--explain")
    assert result.exit_code == 0, result.output
    assert set(explained(result).values()) == {"rebuilt: --force"}
    assert mini.files() == before  # deterministic: same inputs, same bytes, nothing rewritten


def _consistent(m) -> None:
    """Every file the manifest lists is on disk with the recorded hash."""
    import hashlib
    for d in m.manifest()["deliverables"]:
        assert hashlib.sha256((m.pack / d["path"]).read_bytes()).hexdigest() == d["sha256"], d["path"]


def test_only_renders_the_selected_deliverable_and_leaves_the_rest(mini):
    change_answer(mini)
    mini.edit(ANSWERS, "日志归档桶", "日志归档存储桶")
    before, records = mini.files(), {d["path"]: d for d in mini.manifest()["deliverables"]}
    result = mini.build("--only", "90/report", "--explain")
    assert result.exit_code == 0, result.output
    assert explained(result) == {"90/report [docx, pptx, pdf]": f"rebuilt: input changed: {CHANGED_SECTION}",
                                 "90/catalog [xlsx]": "not rebuilt: not selected by --only"}
    after = mini.files()
    assert after[REPORT] != before[REPORT]
    assert after[CATALOG] == before[CATALOG]
    assert mini.entry(CATALOG) == records[CATALOG]  # still says what the catalog was built from
    _consistent(mini)
    # The catalog is still out of date, and a full build says why.
    assert explained(mini.build("--explain"))["90/catalog [xlsx]"] == \
        f"rebuilt: input changed: {ANSWERS}#deliverables.catalog.rows"
    _consistent(mini)


def test_only_on_an_empty_pack_writes_that_deliverable_and_its_record(mini_engagement):
    m = mini_engagement
    result = m.build("--only", "90/catalog", "--only", "90/catalog")
    assert result.exit_code == 0, result.output
    assert sorted(f for f in m.files() if f not in OVERVIEW) == [CATALOG, "manifest.json"]
    assert [d["path"] for d in m.manifest()["deliverables"]] == [CATALOG]
    _consistent(m)
    result = m.build("--explain")
    assert explained(result)["90/report [docx, pptx, pdf]"] == "rebuilt: output missing"
    assert explained(result)["90/catalog [xlsx]"].startswith("not rebuilt")


def test_only_an_unknown_deliverable_is_a_usage_error(mini):
    before = mini.files()
    result = mini.build("--only", "90/reprot")
    assert result.exit_code == 2
    assert "Error: usage: --only 90/reprot: no such deliverable in the pack(s); did you mean 90/report?" \
        in result.output
    assert mini.files() == before


def test_an_unchanged_pack_is_not_read_again_and_says_the_same(mini, monkeypatch):
    import pipeline.build.run as run
    from pipeline.build import stamp

    mini.edit(ANSWERS, "      检查结论:", "      附加说明: 规格中没有的一节。\n      检查结论:")  # a warning to repeat
    assert mini.build().exit_code == 0
    stamp.forget(mini.pack)
    checked = mini.build("-v")  # read and checked in full: nothing to rebuild
    assert checked.exit_code == 0 and "WARNING" in checked.output and "(0 rebuilt" in checked.output

    def must_not_read(*args, **kw):
        raise AssertionError("an up-to-date pack was read again")
    with monkeypatch.context() as m:
        m.setattr(run, "load_specs", must_not_read)
        again = mini.build("-v")
    assert again.exit_code == 0, again.output
    assert again.output == checked.output
    strict = mini.build("--strict")  # the repeated warning still counts
    assert strict.exit_code == 1


def test_one_job_and_several_give_the_same_bytes(mini_engagement, tmp_path):
    m = mini_engagement
    assert m.build("-j", "1").exit_code == 0
    one = m.files()
    shutil.rmtree(m.pack)
    assert m.build("-j", "3").exit_code == 0
    assert m.files() == one


def _label_and_process(label: str) -> tuple[str, int]:
    return label, os.getpid()


def test_light_tasks_travel_to_the_workers_in_batches_and_come_back_one_by_one_in_order():
    """Each trip to a worker costs it about a millisecond: files that render in a few ms travel
    together, up to about BATCH_MS of work, and a heavy one alone; each result still arrives as
    its own, with its own progress line."""
    from pipeline.build.parallel import BATCH_MS, RenderPool

    pool = RenderPool(_label_and_process, 2)
    costs = [2 * BATCH_MS, 3, 3, 3, BATCH_MS - 5, 3, 3]
    for i, cost in enumerate(costs):
        assert pool.submit((f"t{i}",), f"file {i}", cost) == i
    assert pool.flush() == [[0], [1, 2, 3, 4], [5, 6]]
    assert pool.flush() == []  # nothing new to send
    progress = []
    results = pool.collect(progress=lambda done, total, label: progress.append((done, total, label)))
    assert [label for label, _ in results] == [f"t{i}" for i in range(7)]
    pids = [pid for _, pid in results]
    assert os.getpid() not in pids
    assert len({pids[1], pids[2], pids[3], pids[4]}) == 1 and pids[5] == pids[6]  # a batch is one process
    assert [done for done, _, _ in progress] == list(range(1, 8)) and {total for _, total, _ in progress} == {7}
    assert sorted(label for _, _, label in progress) == [f"file {i}" for i in range(7)]


def test_a_started_pool_renders_a_lone_task_too():
    """Workers started ahead of the tasks get every task, even when only one comes (a pool that
    kept a lone task back for this process to render left it unrendered: an empty file)."""
    from pipeline.build.parallel import RenderPool

    pool = RenderPool(_label_and_process, 2)
    pool.start()
    pool.submit(("only",), "the only file", 5)
    (label, pid), = pool.collect()
    assert label == "only" and pid != os.getpid()


def test_a_parallel_build_of_new_packs_starts_its_workers_before_assembling(mini_engagement, monkeypatch):
    """Packs never built before render whole: once the inputs are read, the workers fork and import
    the renderers while this process assembles. A rebuild forks them only at the second task."""
    from pipeline.build import parallel, run

    events: list[str] = []
    real_start, real_load, real_assemble = parallel.RenderPool.start, run.load_engagement, run.assemble

    def start(self):
        events.append("start" if self._pool is None else "started")
        real_start(self)

    def load(*args, **kwargs):
        events.append("read")
        return real_load(*args, **kwargs)

    def assemble(*args, **kwargs):
        events.append("assemble")
        return real_assemble(*args, **kwargs)
    monkeypatch.setattr(parallel.RenderPool, "start", start)
    monkeypatch.setattr(run, "load_engagement", load)
    monkeypatch.setattr(run, "assemble", assemble)
    m = mini_engagement
    assert m.build("-j", "2").exit_code == 0
    assert events[:3] == ["read", "start", "assemble"], events
    events.clear()
    change_answer(m)
    assert m.build("-j", "2").exit_code == 0
    assert events.index("start") > events.index("assemble"), events


def test_a_file_that_comes_back_empty_is_one_line_and_writes_nothing(mini_engagement, monkeypatch):
    from pipeline.renderers.docx import DocxRenderer

    monkeypatch.setattr(DocxRenderer, "write", lambda self, document, *args, **kwargs: b"")
    for jobs in ("1", "2"):
        result = mini_engagement.build("-j", jobs)
        assert result.exit_code == 1 and "Traceback" not in result.output
        assert result.output.splitlines()[-1] == ("Error: render: 1 file(s) came back from rendering empty "
                                                  f"({REPORT}); nothing was written"), result.output
        assert not mini_engagement.pack.exists()


def test_a_worker_whose_imports_fail_as_it_starts_still_renders_or_reports_one_line(mini_engagement, monkeypatch):
    """What a worker imports as it starts is only a head start: when it fails, the render
    imports again and fails (or not) as one line, never a broken pool."""
    from pipeline.build import run

    def broken(formats):
        raise ImportError("libpango missing")
    monkeypatch.setattr(run, "warm_renderers", broken)
    one = mini_engagement.build("-j", "1")
    assert one.exit_code == 0, one.output
    files = mini_engagement.files()
    shutil.rmtree(mini_engagement.pack)
    two = mini_engagement.build("-j", "2")
    assert two.exit_code == 0, two.output
    assert mini_engagement.files() == files


# --- hand edits ---------------------------------------------------------------------------------

def test_hand_edit_is_kept_when_nothing_changed(mini):
    edited = hand_edit_docx(mini.pack / REPORT)
    result = mini.build()
    assert result.exit_code == 0, result.output
    assert "edited by hand; kept" in result.output
    assert (mini.pack / REPORT).read_bytes() == edited


def test_hand_edit_is_never_overwritten_new_version_goes_beside_it(mini):
    edited = hand_edit_docx(mini.pack / REPORT)
    recorded = mini.entry(REPORT)["sha256"]
    change_answer(mini)
    result = mini.build()
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.output.splitlines()[-1].startswith(
        "Error: conflict: 1 file(s) edited by hand were not overwritten; review the *.new.* file(s) beside them")
    assert "edited by hand since the last build; kept it, new version written to 测试客户迷你检查报告.new.docx" \
        in result.output
    assert (mini.pack / REPORT).read_bytes() == edited
    new = mini.pack / "90-mini-check/测试客户迷你检查报告.new.docx"
    assert "4 个业务系统" in "\n".join(p.text for p in __import__("docx").Document(str(new)).paragraphs)
    # The other files were updated; the manifest still records what sowpack wrote at the edited path.
    assert mini.entry(REPORT)["sha256"] == recorded
    assert mini.entry(REPORT)["pending"]["path"] == "90-mini-check/测试客户迷你检查报告.new.docx"
    # Rerunning does not resolve anything silently, and changes nothing.
    manifest, files = mini.manifest(), mini.files()
    again = mini.build()
    assert again.exit_code == 1
    assert mini.manifest() == manifest and mini.files() == files


def test_force_replaces_a_hand_edit_and_keeps_a_backup(mini):
    edited = hand_edit_docx(mini.pack / REPORT)
    change_answer(mini)
    assert mini.build().exit_code == 1
    result = mini.build("--force")
    assert result.exit_code == 0, result.output
    backup = mini.pack / "90-mini-check/测试客户迷你检查报告.bak-1.docx"
    assert backup.read_bytes() == edited
    assert "edited by hand; saved as 测试客户迷你检查报告.bak-1.docx" in result.output
    assert not (mini.pack / "90-mini-check/测试客户迷你检查报告.new.docx").exists()
    assert mini.entry(REPORT)["sha256"] == __import__("hashlib").sha256((mini.pack / REPORT).read_bytes()).hexdigest()
    assert mini.build().exit_code == 0


def test_keep_edits_adopts_the_hand_edit_and_still_protects_it_later(mini):
    edited = hand_edit_docx(mini.pack / REPORT)
    change_answer(mini)
    assert mini.build().exit_code == 1
    result = mini.build("--keep-edits")
    assert result.exit_code == 0, result.output
    assert (mini.pack / REPORT).read_bytes() == edited
    assert mini.entry(REPORT)["edited"] is True
    assert not (mini.pack / "90-mini-check/测试客户迷你检查报告.new.docx").exists()
    assert mini.build().exit_code == 0
    mini.edit(ANSWERS, "未发现高风险问题", "未发现任何高风险问题")
    assert mini.build().exit_code == 1  # an adopted edit is still a hand edit
    assert (mini.pack / REPORT).read_bytes() == edited


def test_force_and_keep_edits_together_is_a_usage_error(mini):
    result = mini.build("--force", "--keep-edits")
    assert result.exit_code == 2
    assert "choose one of --force and --keep-edits" in result.output


def test_a_file_with_no_record_is_treated_as_a_hand_edit(mini):
    (mini.pack / "manifest.json").unlink()
    hand_edit_docx(mini.pack / REPORT)
    result = mini.build()
    assert result.exit_code == 1
    assert (mini.pack / "90-mini-check/测试客户迷你检查报告.new.docx").is_file()


def test_an_edited_new_file_is_not_overwritten_either(mini):
    hand_edit_docx(mini.pack / REPORT)
    change_answer(mini)
    assert mini.build().exit_code == 1
    pending = mini.pack / "90-mini-check/测试客户迷你检查报告.new.docx"
    merged = hand_edit_docx(pending, "合并到新版本中的修改。")
    mini.edit(ANSWERS, "未发现高风险问题", "未发现任何高风险问题")
    assert mini.build().exit_code == 1
    assert pending.read_bytes() == merged
    assert (mini.pack / "90-mini-check/测试客户迷你检查报告.new-2.docx").is_file()


def test_outputs_no_longer_produced_are_removed_only_if_unedited(mini):
    hand_edit_docx(mini.pack / REPORT)
    # The report is retitled (new paths) and the catalog leaves the spec.
    text = (mini.specs / "90-mini.yaml").read_text(encoding="utf-8")
    text = text.replace("    seed_name: 《【XXX】迷你检查报告》",
                        "    seed_name: 《【XXX】迷你检查报告》\n    title: 迷你体检报告")
    text = text[:text.index("  - id: catalog")]
    (mini.specs / "90-mini.yaml").write_text(text, encoding="utf-8")
    result = mini.build()
    assert result.exit_code == 0, result.output
    assert not (mini.pack / CATALOG).exists() and not (mini.pack / PDF).exists()
    assert (mini.pack / REPORT).is_file()
    assert "no longer produced, but edited by hand: not removed" in result.output
    assert (mini.pack / "90-mini-check/迷你体检报告.pdf").is_file()


def write_ledger(m, accepted: bool = True) -> None:
    """A sign-off ledger in the format of pipeline/signoff/ledger.py: the report submitted, then accepted."""
    from pipeline.ledger.events import GENESIS, LEDGER, line_hash
    sha = m.entry(REPORT)["sha256"]
    lines = [{"v": 1, "seq": 1, "event": "submit", "engagement": "eng", "service": 90, "deliverable": "report",
              "on": "2026-04-01", "by": "张伟", "files": [{"format": "docx", "path": REPORT, "sha256": sha}]},
             {"v": 1, "seq": 2, "event": "accept", "engagement": "eng", "service": 90, "deliverable": "report",
              "on": "2026-04-03", "by": "王芳", "submission": 1}][:2 if accepted else 1]
    prev, raw = GENESIS, b""
    for ev in lines:
        line = json.dumps(dict(ev, prev=prev), ensure_ascii=False, separators=(",", ":")).encode()
        raw += line + b"\n"
        prev = line_hash(line)
    (m.eng / LEDGER).write_bytes(raw)


def test_a_signed_off_file_is_never_overwritten_not_even_with_force(mini):
    signed = (mini.pack / REPORT).read_bytes()
    write_ledger(mini)
    change_answer(mini)
    for args in ((), ("--force",)):
        result = mini.build(*args)
        assert result.exit_code == 1, result.output
        assert "signed off, so never replaced; new version written to 测试客户迷你检查报告.new.docx" in result.output
        assert "1 signed-off file(s) would change and were kept" in result.output.splitlines()[-1]
        assert (mini.pack / REPORT).read_bytes() == signed
    assert (mini.pack / PDF).read_bytes() != signed  # the other formats of the deliverable are rebuilt


# --- atomic writes ------------------------------------------------------------------------------

def test_a_failing_write_leaves_the_old_file_and_no_temp_file(tmp_path, monkeypatch):
    from pipeline.core.writer import OutputWriter
    target = tmp_path / "a.docx"
    target.write_bytes(b"old")

    def boom(fd):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(os, "fsync", boom)
    for exc in (OSError, KeyboardInterrupt):
        if exc is KeyboardInterrupt:
            monkeypatch.setattr(os, "fsync", lambda fd: (_ for _ in ()).throw(KeyboardInterrupt()))
        with pytest.raises(exc):
            OutputWriter.write(target, b"new")
        assert target.read_bytes() == b"old"
        assert [p.name for p in tmp_path.iterdir()] == ["a.docx"]


def test_a_file_written_ahead_is_placed_by_a_rename_and_removed_when_not_placed(tmp_path):
    """A parallel build writes each rendered file beside its place while the rest render
    (OutputWriter.prepare); placing it renames that file, and what is not placed goes."""
    from pipeline.core.writer import OutputWriter
    w = OutputWriter(tmp_path / "pack")
    data = b"new report"
    w.prepare("09-a/report.docx", data)
    (ahead,) = (tmp_path / "pack" / "09-a").iterdir()
    assert ahead.name.startswith(".report.docx.") and ahead.name.endswith(".tmp") and ahead.read_bytes() == data
    inode = ahead.stat().st_ino
    assert w.sweep() == []  # not mistaken for what a killed build left
    placed = w.place("09-a/report.docx", data)
    assert placed.word == "create"
    assert sorted(p.name for p in (tmp_path / "pack" / "09-a").iterdir()) == ["report.docx"]
    assert (tmp_path / "pack" / "09-a" / "report.docx").stat().st_ino == inode  # renamed, not written again
    # Bytes identical to the file in place (a forced rebuild of unchanged content): nothing is
    # written ahead, nor replaced.
    w.prepare("09-a/report.docx", data)
    assert sorted(p.name for p in (tmp_path / "pack" / "09-a").iterdir()) == ["report.docx"]
    assert w.place("09-a/report.docx", data).word == "identical"
    # New bytes that place() does not take (a hand edit kept with --keep-edits): the file
    # written ahead goes with discard(), which the build calls once a pack is placed.
    (tmp_path / "pack" / "09-a" / "report.docx").write_bytes(b"edited by hand")
    kept = OutputWriter(tmp_path / "pack", {"09-a/report.docx": {"sha256": "recorded"}}, keep_edits=True)
    kept.prepare("09-a/report.docx", b"newer report")
    assert kept.place("09-a/report.docx", b"newer report").word == "kept"
    assert len(list((tmp_path / "pack" / "09-a").iterdir())) == 2
    kept.discard()
    assert sorted(p.name for p in (tmp_path / "pack" / "09-a").iterdir()) == ["report.docx"]
    # A build that stops before placing: the files written ahead and the folders made for them go.
    w.prepare("10-b/sub/list.xlsx", b"x")
    w.prepare("09-a/other.pptx", b"y")
    w.discard()
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == [
        "pack", "pack/09-a", "pack/09-a/report.docx"]


KILLER = r"""
import os, signal, sys
sys.path.insert(0, {root!r})
n = {{"renames": 0}}
real = os.replace
def replace(src, dst):
    n["renames"] += 1
    if n["renames"] == {at}:
        os.kill(os.getpid(), signal.{sig})
    return real(src, dst)
os.replace = replace
from pipeline.cli import main
from pipeline.renderers.finish import soffice as finishing_soffice
sys.argv = ["sowpack", "build", {eng!r}, "--specs", {specs!r}, "--out", {out!r}]
main()
"""


@pytest.mark.parametrize("sig", ["SIGKILL", "SIGTERM"])
def test_a_killed_build_leaves_each_file_old_or_new(mini, sig):
    old = mini.files()
    change_answer(mini)
    ref = CliRunner().invoke(main, ["build", str(mini.eng), "--specs", str(mini.specs), "--out", str(mini.out / "ref")])
    assert ref.exit_code == 0
    new = {p.relative_to(mini.out / "ref" / "eng").as_posix(): p.read_bytes()
           for p in (mini.out / "ref" / "eng").rglob("*") if p.is_file()}
    shutil.rmtree(mini.out / "ref")
    # Killed as the second file is about to replace the old one (the journal and the first file
    # are in place; every new file is written beside its place, ahead of the renames).
    script = KILLER.format(root=str(ROOT), at=3, sig=sig, eng=str(mini.eng), specs=str(mini.specs), out=str(mini.out))
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert proc.returncode in (-signal.SIGKILL, 128 + signal.SIGTERM), proc.stderr
    after = mini.files()
    temps = [p for p in after if p.endswith(".tmp")]
    assert bool(temps) is (sig == "SIGKILL")  # SIGTERM is turned into an exception: cleaned like Ctrl-C
    outputs = [p for p in old if p != "manifest.json"]
    assert all(after[p] in (old[p], new[p]) for p in outputs)  # never truncated, never a mix
    assert any(after[p] == new[p] != old[p] for p in outputs)  # the kill really came mid-write
    assert after["manifest.json"] == old["manifest.json"]
    # The inputs move on before the next build: files the killed build wrote are not taken for hand edits.
    mini.edit(ANSWERS, "未发现高风险问题", "未发现任何高风险问题")
    result = mini.build()
    assert result.exit_code == 0, result.output
    assert ("(left by an interrupted build)" in result.output) is (sig == "SIGKILL")
    final = mini.files()
    assert not [p for p in final if p.endswith(".tmp") or p == ".sowpack-journal.json"]


def test_two_deliverables_can_never_target_one_path(mini):
    mini.edit("specs/90-mini.yaml", "    seed_name: 《【XXX】资源清单》",
              "    seed_name: 《【XXX】资源清单》\n    title: 【XXX】迷你检查报告")
    mini.edit("specs/90-mini.yaml", "formats: [docx, pptx, pdf]", "formats: [docx, pptx, pdf, xlsx]")
    shutil.rmtree(mini.out)
    result = mini.build()
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == (
        "Error: spec: two deliverables target 90-mini-check/测试客户迷你检查报告.xlsx: 90/report and 90/catalog; "
        "give one of them its own 'title' in the spec")
    assert not mini.out.exists()


def test_values_a_template_reads_beyond_the_input_files_are_tracked(mini, tmp_path):
    """The sign-off ledger feeds the closing documents: only deliverables whose template reads it are rebuilt."""
    overlay = tmp_path / "tpl"
    (overlay / "text").mkdir(parents=True)
    (overlay / "text" / "report.md.j2").write_text(
        "附注：{{ '已有签收记录' if ledger.present else '尚无签收记录' }}\n", encoding="utf-8")
    assert mini.build("--templates", str(overlay)).exit_code == 0
    from pipeline.ledger.events import GENESIS, LEDGER
    line = json.dumps({"v": 1, "seq": 1, "event": "submit", "engagement": "eng", "service": 90,
                       "deliverable": "catalog", "on": "2026-04-01", "by": "张伟", "prev": GENESIS},
                      ensure_ascii=False, separators=(",", ":"))
    (mini.eng / LEDGER).write_text(line + "\n", encoding="utf-8")
    result = mini.build("--templates", str(overlay), "--explain")
    assert result.exit_code == 0, result.output
    assert explained(result) == {"90/report [docx, pptx, pdf]": "rebuilt: template value changed: ledger",
                                 "90/catalog [xlsx]": "not rebuilt: spec, inputs, templates and tool unchanged"}


@pytest.mark.parametrize("today, protected", [("2026-04-02", False), ("2026-05-06", True)])
def test_a_deliverable_deemed_accepted_is_protected_too(mini, monkeypatch, today, protected):
    mini.edit("specs/90-mini.yaml", "deemed_accepted: false", "deemed_accepted: true")
    write_ledger(mini, accepted=False)  # submitted on 2026-04-01, 5 working days to object
    change_answer(mini)
    monkeypatch.setenv("SOWPACK_TODAY", today)
    before = (mini.pack / REPORT).read_bytes()
    result = mini.build()
    assert result.exit_code == (1 if protected else 0), result.output
    assert ((mini.pack / REPORT).read_bytes() == before) is protected


def test_the_manifest_prepared_while_files_render_is_written_only_when_it_is_the_one_computed(mini, monkeypatch):
    """Each pack's manifest and overview page are made and written ahead as its last file arrives,
    as they will be when every file is placed; the commit renames them. A file kept beside a hand
    edit makes the manifest another one: that one and its page are made and written instead, and
    nothing of the prepared ones stays."""
    from pipeline.build import run
    from pipeline.overview import record

    encoded: list[dict] = []
    pages: list[dict] = []
    real_dumps, real_page = run.dumps, record.page_files

    def dumps(manifest):
        encoded.append(manifest)
        return real_dumps(manifest)

    def page_files(pack, **kwargs):
        pages.append(kwargs["manifest"])
        return real_page(pack, **kwargs)
    monkeypatch.setattr(run, "dumps", dumps)
    monkeypatch.setattr(run, "page_files", page_files)
    monkeypatch.setattr(record, "page_files", page_files)
    change_answer(mini)
    assert mini.build().exit_code == 0
    assert len(encoded) == 1 and pages == encoded
    assert json.loads((mini.pack / "manifest.json").read_text(encoding="utf-8")) == encoded[0]
    encoded.clear()
    pages.clear()
    hand_edit_docx(mini.pack / REPORT)
    mini.edit(ANSWERS, "覆盖 4 个业务系统", "覆盖 5 个业务系统")
    result = mini.build()
    assert result.exit_code == 1 and "conflict" in result.output
    assert len(encoded) == 2 and "pending" not in _entry_of(encoded[0], REPORT) and pages == encoded
    assert "pending" in mini.entry(REPORT)
    assert json.loads((mini.pack / "manifest.json").read_text(encoding="utf-8")) == encoded[1]
    assert not [p for p in mini.pack.rglob("*") if p.name.endswith(".tmp")]


def _entry_of(manifest: dict, rel: str) -> dict:
    return next(d for d in manifest["deliverables"] if d["path"] == rel)


def test_a_file_that_cannot_be_written_is_one_clear_line_and_the_next_build_retries(mini, monkeypatch):
    change_answer(mini)
    real = os.replace

    def locked(src, dst):
        if Path(dst).suffix == ".docx":  # like a file open in Word on a Windows share
            raise PermissionError(13, "Permission denied", str(dst))
        return real(src, dst)
    monkeypatch.setattr(os, "replace", locked)
    result = mini.build()
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.output.splitlines()[-1] == (
        f"Error: write: 1 file(s) could not be written (out/eng/{REPORT}: Permission denied); close them if they are "
        "open in another program, then build again")
    assert mini.entry(PDF)["built_from"]["inputs"] != mini.entry(REPORT)["built_from"]["inputs"]
    assert not [p for p in mini.files() if p.endswith(".tmp")]  # what was written ahead for it is gone too
    monkeypatch.setattr(os, "replace", real)
    again = mini.build("--explain")
    assert again.exit_code == 0, again.output
    assert explained(again)["90/report [docx]"] == f"rebuilt: input changed: {CHANGED_SECTION}"


def test_a_renderer_failing_in_a_worker_is_one_line_and_writes_nothing(mini_engagement, monkeypatch):
    from pipeline.renderers.docx import DocxRenderer

    def boom(self, document, *args, **kwargs):
        raise ValueError("boom")
    monkeypatch.setattr(DocxRenderer, "write", boom)  # forked workers inherit it
    result = mini_engagement.build("-j", "2")
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == "Error: render: render failed for 90/report (docx): ValueError: boom"
    assert not mini_engagement.pack.exists()


def test_a_file_failing_its_checks_is_reported_in_the_pack_whichever_process_checked_it(mini_engagement,
                                                                                     monkeypatch):
    """Each rendered file is checked by the process that rendered it; the findings name the file
    where the pack would hold it (not the staging folder), the same with one job or two, and
    nothing is written."""
    import io

    import docx

    from pipeline.renderers.docx import DocxRenderer

    def blank(self, document, pages=None):
        empty = docx.Document()  # Letter paper, no headings: the report's sections are missing
        empty.add_paragraph("空白")
        buf = io.BytesIO()
        empty.save(buf)
        return buf.getvalue()
    monkeypatch.setattr(DocxRenderer, "write", blank)  # forked workers inherit it
    outputs = []
    for jobs in ("1", "2"):
        result = mini_engagement.build("-j", jobs)
        assert result.exit_code == 1, result.output
        assert not mini_engagement.pack.exists()
        lines = result.output.splitlines()
        assert lines[-1].startswith("Error: render: ") and lines[-1].endswith("problem(s) found in the written files")
        found = [line for line in lines if REPORT in line]
        assert found and all(line.startswith(f"out/eng/{REPORT}: ") for line in found), found
        assert any("not A4" in line for line in found), found
        assert "sowpack-verify-" not in result.output
        outputs.append([line for line in lines if not line.startswith("[")])  # progress: in order of arrival
    assert outputs[0] == outputs[1]


@pytest.mark.skipif(finishing_soffice() is None, reason="LibreOffice is not installed (--finish is optional)")
def test_a_finish_build_checks_its_workbooks_where_rendered_and_its_word_files_once_laid_out(mini_engagement,
                                                                                          monkeypatch):
    """With --finish the Word files are checked once LibreOffice has laid them out; the other
    files are checked by the process that renders them: the same findings with one job or two."""
    import io

    import openpyxl

    from pipeline.renderers.xlsx import XlsxRenderer

    def empty(self, document):
        buf = io.BytesIO()
        openpyxl.Workbook().save(buf)  # no register: the catalog's rows are missing
        return buf.getvalue()
    monkeypatch.setattr(XlsxRenderer, "write", empty)  # forked workers inherit it
    outputs = []
    for jobs in ("1", "2"):
        result = mini_engagement.build("--finish", "-j", jobs)
        assert result.exit_code == 1, result.output
        assert not mini_engagement.pack.exists()
        lines = [line for line in result.output.splitlines() if not line.startswith("[")]
        assert any(line.startswith(f"out/eng/{CATALOG}: ERROR: ") for line in lines), lines
        assert not any(REPORT in line for line in lines), lines  # the finished Word file passes its checks
        assert any(line.startswith("finished 1 of 1 Word file(s)") for line in lines), lines
        outputs.append(lines)
    assert outputs[0] == outputs[1]


ORPHAN = r"""
import os, signal, sys
sys.path.insert(0, {root!r})
from pipeline.renderers.docx import DocxRenderer
def write(self, document, *args, **kwargs):
    print("worker", os.getpid(), flush=True)
    os.kill(os.getppid(), signal.SIGKILL)  # the build dies while its workers render
    signal.pause()
DocxRenderer.write = write
from pipeline.cli import main
sys.argv = ["sowpack", "build", {eng!r}, "--specs", {specs!r}, "--out", {out!r}, "-j", "2"]
main()
"""


def _gone(pid: int) -> bool:
    """Ended: no such process, or a zombie (its state is the field after the parenthesised name)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except (OSError, IndexError):
        return True


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_the_workers_of_a_killed_build_end_with_it(mini_engagement, tmp_path, monkeypatch):
    """A build killed while rendering leaves no worker behind waiting for tasks: each holds the
    build's output pipes, so this run would not return until they end. The next build removes
    what it left: temporary files in the pack, its staging folder in the temporary folder."""
    import tempfile

    m = mini_engagement
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    script = ORPHAN.format(root=str(ROOT), eng=str(m.eng), specs=str(m.specs), out=str(m.out))
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "TMPDIR": str(tmp)})
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    workers = [int(line.split()[1]) for line in proc.stdout.splitlines() if line.startswith("worker ")]
    assert workers
    # The run returned when the workers closed the pipes, which an exiting process does before it
    # becomes a zombie: give each a moment to get there.
    for pid in workers:
        deadline = time.monotonic() + 10
        while not _gone(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _gone(pid), Path(f"/proc/{pid}/stat").read_text()
    # What the killed build wrote ahead is temporary files only, which the next build removes.
    stages = list(tmp.iterdir())
    assert len(stages) == 1 and stages[0].name.startswith("sowpack-verify-"), stages
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    assert m.build().exit_code == 0
    assert not [p for p in m.out.rglob("*") if p.name.endswith(".tmp")]
    assert list(tmp.iterdir()) == stages  # untouched for less than an hour: left
    os.utime(stages[0], (time.time() - 7200, time.time() - 7200))
    assert m.build("--force").exit_code == 0  # the next build that renders removes it
    assert not list(tmp.iterdir())


def test_only_the_staging_folders_of_ended_builds_untouched_for_an_hour_are_removed(tmp_path):
    from pipeline.build.verify import remove_stale_stages

    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                           text=True, check=True).stdout.strip()
    names = [f"sowpack-verify-{ended}-a1b2", f"sowpack-verify-{os.getpid()}-c3d4", "sowpack-verify-x9y8",
             "other-folder"]
    for name in names:
        (tmp_path / name / "0").mkdir(parents=True)
    (tmp_path / f"sowpack-verify-{ended}-file").write_text("not a folder")
    (tmp_path / f"sowpack-verify-{ended}-recent").mkdir()  # a build in a container sharing the folder?
    hours_ago = time.time() - 7200
    for p in tmp_path.iterdir():
        if not p.name.endswith("recent"):
            os.utime(p, (hours_ago, hours_ago))
    remove_stale_stages(tmp_path)
    left = sorted(names[1:] + [f"sowpack-verify-{ended}-file", f"sowpack-verify-{ended}-recent"])
    assert sorted(p.name for p in tmp_path.iterdir()) == left
