"""The sign-off ledger: submit/accept/reject, status in Chinese working days, verify, the closing document."""
from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.signoff import LEDGER, Rule, SignoffError, accept, compute, read_ledger, reject, status, submit, \
    verify, workspace
from pipeline.ledger.events import LedgerError, append

from conftest import SAMPLES, SPECS, per_engagement

D = dt.date
HEALTH = "09-health-check/恒信集团云上架构健康报告.docx"


@pytest.fixture(scope="module")
def unsigned(tmp_path_factory):
    """unsigned(name): sample_inputs/<name> without its sign-off ledger, and its pack built so (once per module).

    The samples carry their own acceptance story (tools/sample_ledgers.py), and a sample's pack
    records that ledger: without it, that pack refuses every sign-off (the ledger is missing).
    These tests start a fresh story, from a pack that never saw a ledger.
    """
    from pipeline.build.run import build
    from pipeline.core.reporting import MemoryReporter

    built: dict[str, tuple[Path, Path]] = {}

    def get(name: str) -> tuple[Path, Path]:
        if name not in built:
            root = tmp_path_factory.mktemp(f"unsigned-{name}")
            eng = root / name
            shutil.copytree(SAMPLES / name, eng, ignore=shutil.ignore_patterns(LEDGER, ".sowpack-*"))
            reporter = MemoryReporter()
            build([eng], root / "out", reporter)
            assert not [f for f in reporter.findings if f.is_error], [str(f) for f in reporter.findings]
            built[name] = eng, root / "out" / name
        return built[name]
    return get


@pytest.fixture(params=per_engagement(["hengxin-retail"]))
def ws(request, unsigned, tmp_path):
    """An engagement folder without a ledger yet and a private copy of its built pack."""
    src_eng, src_pack = unsigned(request.param)
    eng = tmp_path / request.param
    shutil.copytree(src_eng, eng, ignore=shutil.ignore_patterns(".sowpack-*"))
    pack = tmp_path / "out" / request.param
    shutil.copytree(src_pack, pack)
    return workspace(eng, pack, SPECS)


def state(ws, key: str, on: dt.date):
    return next(s for s in status(ws, on) if s.key == key)


def test_submit_binds_the_files_and_appends(ws):
    ev = submit(ws, ["09/health-report"], "张伟", D(2026, 4, 3))[0]
    from pipeline.core.manifest import sha256_file
    assert ev["files"] == [{"format": "docx", "path": HEALTH, "sha256": sha256_file(ws.pack / HEALTH)}]
    first = ws.ledger.read_bytes()
    submit(ws, ["survey-report", "09/check-plan"], "张伟", D(2026, 4, 3), note="第一批")
    lines = ws.ledger.read_bytes().splitlines(keepends=True)
    assert len(lines) == 3 and lines[0] == first  # append-only: earlier lines never change
    events, problems = read_ledger(ws.ledger)
    assert not problems and [e.seq for e in events] == [1, 2, 3]
    assert list(json.loads(lines[1])) == ["v", "seq", "event", "engagement", "service", "deliverable", "seed_name",
                                          "on", "by", "files", "note", "prev"]


def test_submit_refuses_a_deliverable_that_fails_check(ws):
    from docx import Document

    doc = Document(str(ws.pack / HEALTH))
    doc.paragraphs[-1].add_run("【XXX】")
    doc.save(str(ws.pack / HEALTH))
    with pytest.raises(SignoffError) as exc:
        submit(ws, ["09/health-report", "09/check-plan"], "张伟", D(2026, 4, 3))
    assert exc.value.findings[0].code == "completeness.placeholder"
    assert not ws.ledger.exists()  # nothing recorded, not even the good one


def test_refusals(ws):
    with pytest.raises(SignoffError, match="no submission awaiting review"):
        accept(ws, "09/health-report", "王强", D(2026, 4, 8))
    submit(ws, ["09/health-report"], "张伟", D(2026, 4, 3))
    with pytest.raises(SignoffError, match="same files"):
        submit(ws, ["09/health-report"], "张伟", D(2026, 4, 4))
    with pytest.raises(SignoffError, match="before its submission"):
        accept(ws, "09/health-report", "王强", D(2026, 4, 2))
    with pytest.raises(SignoffError, match="不符点"):
        reject(ws, "09/health-report", "王强", D(2026, 4, 8), [" "])
    with pytest.raises(SignoffError, match="ambiguous"):
        ws.find("acceptance-report")
    with pytest.raises(SignoffError, match="did you mean"):
        ws.find("09/health-reprot")
    accept(ws, "09/health-report", "王强", D(2026, 4, 8))
    with pytest.raises(SignoffError, match="--reopen"):
        from docx import Document
        doc = Document(str(ws.pack / HEALTH))
        doc.add_paragraph("修订")
        doc.save(str(ws.pack / HEALTH))
        submit(ws, ["09/health-report"], "张伟", D(2026, 4, 9))
    submit(ws, ["09/health-report"], "张伟", D(2026, 4, 9), reopen=True)
    assert state(ws, "09/health-report", D(2026, 4, 9)).state == "pending"


def test_status_in_working_days_across_the_spring_festival(ws):
    # Service 9: 5 working days, no deemed acceptance. Submitted Friday 13 Feb 2026:
    # 2/14 (swapped Saturday), then the holiday 2/15-2/23, then 2/24..2/27 -> due 27 Feb.
    submit(ws, ["09/health-report"], "张伟", D(2026, 2, 13))
    st = state(ws, "09/health-report", D(2026, 2, 27))
    assert (st.state, st.due, st.label) == ("pending", D(2026, 2, 27), "待验收")
    assert state(ws, "09/health-report", D(2026, 2, 28)).state == "overdue"
    assert state(ws, "09/check-plan", D(2026, 2, 28)).state == "not-submitted"
    # Service 1: 5 working days, then deemed accepted (from the day after the due date).
    submit(ws, ["01/architecture-design"], "张伟", D(2026, 9, 30))
    st = state(ws, "01/architecture-design", D(2026, 10, 13))  # 10/8, 9, 10 (Sat), 12, 13
    assert (st.state, st.due) == ("pending", D(2026, 10, 13))
    st = state(ws, "01/architecture-design", D(2026, 10, 14))
    assert (st.state, st.closed_on, st.label) == ("deemed-accepted", D(2026, 10, 14), "视同验收")


def test_accept_and_reject_states(ws):
    submit(ws, ["09/health-report", "09/survey-report"], "张伟", D(2026, 4, 3))
    accept(ws, "09/health-report", "王强", D(2026, 4, 8))
    reject(ws, "09/survey-report", "王强", D(2026, 4, 8), ["缺少数据库资源", "风险等级未分级"])
    on = D(2026, 4, 20)
    acc, rej = state(ws, "09/health-report", on), state(ws, "09/survey-report", on)
    assert (acc.state, acc.closed_on, acc.closed_by, acc.due) == ("accepted", D(2026, 4, 8), "王强", D(2026, 4, 13))
    assert (rej.state, rej.issues) == ("rejected", ["缺少数据库资源", "风险等级未分级"])
    # Events after the day asked about are ignored.
    assert state(ws, "09/health-report", D(2026, 4, 7)).state == "pending"


@pytest.mark.parametrize("rule, submitted, on, expect, due", [
    (Rule(7, "calendar", False), D(2026, 9, 28), D(2026, 10, 5), "pending", D(2026, 10, 5)),
    (Rule(7, "calendar", False), D(2026, 9, 28), D(2026, 10, 6), "overdue", D(2026, 10, 5)),
    (Rule(30, "calendar", True), D(2026, 3, 2), D(2026, 4, 2), "deemed-accepted", D(2026, 4, 1)),
    (Rule(None, "working", False), D(2026, 3, 2), D(2026, 12, 31), "pending", None),
    (Rule(5, "working", True), D(2026, 12, 28), D(2026, 12, 31), "pending", None),  # due in 2027: unknown
])
def test_each_sows_rule(rule, submitted, on, expect, due):
    from pipeline.ledger.events import Event

    ev = Event(1, "submit", 9, "x", submitted, "张伟", {"files": []}, 1)
    st = compute([ev], [(9, "x", "《X》")], {9: rule}, on)[0]
    assert (st.state, st.due) == (expect, due)
    if rule.review_days is None:
        assert st.due_note == "no review period in the SOW"
    if submitted.month == 12:
        assert "2027" in st.due_note and "not guessed" in st.due_note


def test_verify_detects_changed_files_and_a_damaged_ledger(ws):
    submit(ws, ["09/health-report", "09/check-plan"], "张伟", D(2026, 4, 3))
    accept(ws, "09/health-report", "王强", D(2026, 4, 8))
    assert verify(ws, D(2026, 4, 9)) == []
    from docx import Document
    for rel in (HEALTH, "09-health-check/恒信集团健康检查方案.docx"):
        doc = Document(str(ws.pack / rel))
        doc.add_paragraph("会后修改")
        doc.save(str(ws.pack / rel))
    found = {(f.code, f.deliverable) for f in verify(ws, D(2026, 4, 9))}
    assert found == {("signoff.changed-after-signoff", "health-report"), ("signoff.changed-after-submit", "check-plan")}
    # check-plan falls due 4/13 with no deemed acceptance: a change is a warning only.
    assert [f.severity for f in verify(ws, D(2026, 4, 9)) if f.deliverable == "check-plan"] == ["WARNING"]
    lines = ws.ledger.read_text(encoding="utf-8").splitlines()
    lines[0] = lines[0].replace("张伟", "李四")
    ws.ledger.write_text("\n".join(lines) + "\n", encoding="utf-8")
    damaged = [f for f in verify(ws, D(2026, 4, 9)) if f.code == "signoff.ledger-damaged"]
    assert damaged and damaged[0].location.line == 2 and "hash chain" in damaged[0].message
    with pytest.raises(SignoffError, match="damaged"):
        submit(ws, ["09/survey-report"], "张伟", D(2026, 4, 10))


def test_interrupted_write_is_refused_not_glued(tmp_path):
    path = tmp_path / LEDGER
    append(path, lambda events: {"event": "submit", "service": 9, "deliverable": "x", "on": "2026-04-03", "by": "a"})
    with open(path, "ab") as fh:
        fh.write(b'{"v":1,"seq":2,"event":"acc')
    events, problems = read_ledger(path)
    assert len(events) == 1 and "incomplete last line" in problems[0].message
    with pytest.raises(LedgerError, match="incomplete line"):
        append(path, lambda events: {"event": "accept", "service": 9, "deliverable": "x", "on": "2026-04-04"})


def test_cli(ws, monkeypatch):
    monkeypatch.setenv("SOWPACK_TODAY", "2026-04-03")
    cli = CliRunner()
    base = [str(ws.engagement_dir), "--pack", str(ws.pack), "--specs", str(SPECS)]
    r = cli.invoke(main, ["signoff", "submit", *base, "09/health-report", "--by", "张伟"])
    assert r.exit_code == 0 and "submitted  09/health-report on 2026-04-03" in r.output, r.output
    r = cli.invoke(main, ["signoff", "accept", *base, "09/health-report", "--by", "王强", "--on", "2026-04-08"])
    assert r.exit_code == 0, r.output
    r = cli.invoke(main, ["signoff", "reject", *base, "09/check-plan", "--by", "王强", "--issue", "缺项"])
    assert r.exit_code == 1 and "Error: signoff:" in r.output
    r = cli.invoke(main, ["signoff", "status", *base, "--today", "2026-04-20", "--format", "json"])
    data = json.loads(r.output)
    hr = next(d for d in data["deliverables"] if d["deliverable"] == "health-report")
    assert (hr["state"], hr["due"], hr["closed_on"]) == ("accepted", "2026-04-13", "2026-04-08")
    assert data["rules"]["9"] == {"review_days": 5, "day_type": "working", "deemed_accepted": False}
    text = cli.invoke(main, ["signoff", "status", *base]).output  # as of $SOWPACK_TODAY: before the acceptance
    assert "status on 2026-04-03" in text and "09/health-report" in text and "待验收" in text and "已验收" not in text
    assert cli.invoke(main, ["signoff", "verify", *base]).exit_code == 0
    (ws.pack / HEALTH).write_bytes(b"gone")
    r = cli.invoke(main, ["signoff", "verify", *base])
    assert r.exit_code == 1 and "signoff.changed-after-signoff" in r.output
    r = cli.invoke(main, ["signoff", "submit", *base, "09/check-plan", "--by", "张伟", "--on", "2026-13-01"])
    assert r.exit_code == 2


def _acceptance_text(eng_dir: Path) -> str:
    """Assemble (no rendering) service 9's acceptance report from the engagement folder."""
    from pipeline.document.assemble import assemble, jobs_for
    from pipeline.inputs.load import load_engagement
    from pipeline.specs.load import require_specs

    specs = {s.service: s for s in require_specs(SPECS)[0]}
    eng, _ = load_engagement(eng_dir)
    job = next(j for j in jobs_for(eng, specs) if j.spec.service == 9 and j.deliverable.kind == "acceptance-report")
    doc, findings = assemble(job, eng)
    assert not [f for f in findings if f.is_error], [str(f) for f in findings]

    def text(blocks):
        out = []
        for b in blocks:
            out.append(" | ".join(" | ".join(r) for r in [getattr(b, "header", ())] + list(getattr(b, "rows", ())))
                       if hasattr(b, "rows") else getattr(b, "text", ""))
        return "\n".join(out)
    return "\n".join(f"# {s.title}\n{text(s.blocks)}" for s in doc.sections)


def test_closing_document_from_the_ledger(ws, monkeypatch):
    monkeypatch.delenv("SOWPACK_TODAY", raising=False)
    before = _acceptance_text(ws.engagement_dir)
    assert "尚无交付物签收记录" in before and "未提交" in before and "同意本项目通过验收" not in before
    keys = ["09/kickoff-report", "09/check-plan", "09/survey-report", "09/health-report"]
    submit(ws, keys, "张伟", D(2026, 4, 3))
    for k in keys[:3]:
        accept(ws, k, "王强", D(2026, 4, 8))
    partly = _acceptance_text(ws.engagement_dir)
    assert "2026年4月3日 | 2026年4月13日 | 2026年4月8日 | 已验收" in partly
    assert "已验收3项" in partly and "待验收1项" in partly
    accept(ws, keys[3], "王强", D(2026, 4, 9))
    done = _acceptance_text(ws.engagement_dir)
    assert "同意本项目通过验收" in done and "未提交" not in done


# --- the ledger fails closed (issue 9): the tiny engagement, signed off through the CLI ----------

REPORT_FILES = [f"90-mini-check/测试客户迷你检查报告.{f}" for f in ("docx", "pptx", "pdf")]
CATALOG = "90-mini-check/测试客户资源清单.xlsx"
ANSWERS = "answers/90-mini.yaml"


def signoff(m, command: str, *args: str, pack: Path | None = None):
    return CliRunner().invoke(main, ["signoff", command, str(m.eng), *args, "--specs", str(m.specs),
                                     "--pack", str(pack or m.pack)])


def sign_off(m) -> None:
    """Build, then: 1 submit report, 2 submit catalog, 3 accept report, 4 reject catalog."""
    assert m.build().exit_code == 0
    for command, *args in (("submit", "report", "catalog", "--by", "张伟", "--on", "2026-04-03"),
                           ("accept", "report", "--by", "王芳", "--on", "2026-04-08"),
                           ("reject", "catalog", "--by", "王芳", "--on", "2026-04-08", "--issue", "缺项")):
        r = signoff(m, command, *args)
        assert r.exit_code == 0, r.output


@pytest.fixture
def signed(mini_engagement, monkeypatch):
    """The tiny engagement with its report accepted and its catalog rejected; then an answer changes."""
    monkeypatch.setenv("SOWPACK_TODAY", "2026-04-10")
    sign_off(mini_engagement)
    mini_engagement.edit(ANSWERS, "本次检查覆盖", "本次检查全面覆盖")
    return mini_engagement


def ledger_lines(m) -> list[bytes]:
    return (m.eng / LEDGER).read_bytes().splitlines(keepends=True)


def write_lines(m, lines: list[bytes]) -> None:
    (m.eng / LEDGER).write_bytes(b"".join(lines))


def signed_bytes(m) -> dict[str, bytes]:
    return {rel: (m.pack / rel).read_bytes() for rel in REPORT_FILES}


def test_the_pack_records_the_end_of_the_ledger_and_the_signed_files(signed):
    anchor = signed.manifest()["signoff"]
    lines = ledger_lines(signed)
    from pipeline.ledger.events import line_hash
    assert (anchor["lines"], anchor["head"]) == (4, line_hash(lines[-1]))
    assert [s["path"] for s in anchor["signed"]] == sorted(REPORT_FILES)
    assert all(s["submission"] == 1 and s["deliverable"] == "report" for s in anchor["signed"])
    r = signoff(signed, "verify")
    assert r.exit_code == 0 and r.output.endswith("0 error(s), 0 warning(s): signed-off files unchanged\n"), r.output


def test_a_damaged_accept_line_stops_every_write(signed):
    """The issue: the accept line made invalid JSON, an answer changed, build: the signed files were replaced."""
    lines = ledger_lines(signed)
    lines[2] = b"X" + lines[2]
    write_lines(signed, lines)
    before, ledger = signed.files(), (signed.eng / LEDGER).read_bytes()
    for args in ((), ("--force",)):
        result = signed.build(*args)
        assert result.exit_code == 1 and "Traceback" not in result.output
        out = result.output.splitlines()
        assert out[0] == ("eng/signoff.jsonl:3: ERROR: not a JSON event (Expecting value: line 1 column 1 (char 0)); "
                          "restore it, or accept it as it is with `sowpack signoff repair eng --by NAME` "
                          "[signoff.ledger-damaged]")
        assert out[-1] == ("Error: ledger: 2 problem(s) in the sign-off ledger eng/signoff.jsonl: signed-off files "
                           "cannot be told apart, so nothing was written")
        assert signed.files() == before  # nothing written at all, not even a .new file
    for command, *args in (("submit", "catalog", "--by", "张伟"), ("accept", "catalog", "--by", "王芳"),
                           ("reject", "report", "--by", "王芳", "--issue", "x")):
        r = signoff(signed, command, *args)
        assert r.exit_code == 1, r.output
        assert r.output.startswith("Error: signoff: eng/signoff.jsonl:3: the ledger is damaged: not a JSON event"), \
            r.output
        assert "sowpack signoff repair eng --by NAME" in r.output
    assert (signed.eng / LEDGER).read_bytes() == ledger


@pytest.mark.parametrize("cut, first", [
    (lambda lines: lines[:-1], ("eng/signoff.jsonl:4: ERROR: the ledger ends at line 3, but out/eng/manifest.json "
                               "recorded 4 line(s): lines were cut from its end; restore it, or accept it as it is "
                               "with `sowpack signoff repair eng --by NAME` [signoff.ledger-truncated]")),
    (lambda lines: lines[:-1] + [lines[-1].replace(b'"event":"reject"', b'"event":"accept"')],
     ("eng/signoff.jsonl:4: ERROR: line 4 is not the line out/eng/manifest.json recorded as the ledger's end (sha256 "
     "{head}…): it was edited or replaced; restore it, or accept it as it is with `sowpack signoff repair eng --by "
     "NAME` [signoff.ledger-changed]")),
    (None, ("eng/signoff.jsonl: ERROR: the ledger is missing, but out/eng/manifest.json recorded 4 line(s) and 3 "
           "signed-off file(s); restore it, or accept it as it is with `sowpack signoff repair eng --by NAME` "
           "[signoff.ledger-truncated]")),
], ids=["last-line-deleted", "reject-made-accept", "ledger-deleted"])
def test_the_end_of_the_chain_is_anchored_in_the_pack(signed, cut, first):
    first = first.format(head=signed.manifest()["signoff"]["head"][:12])
    if cut is None:
        (signed.eng / LEDGER).unlink()
    else:
        write_lines(signed, cut(ledger_lines(signed)))
    before = signed.files()
    r = signoff(signed, "verify")
    assert r.exit_code == 1 and r.output.splitlines()[0] == first, r.output
    r = signoff(signed, "status")
    assert r.exit_code == 1 and r.output.splitlines()[0] == first, r.output  # said before any 已验收
    assert "this status cannot be trusted" in r.output.splitlines()[-1]
    r = signoff(signed, "status", "--format", "json")
    assert r.exit_code == 1
    result = signed.build()
    assert result.exit_code == 1 and result.output.splitlines()[0] == first
    assert signed.files() == before
    assert (signed.eng / LEDGER).exists() is (cut is not None)  # a refused write creates no ledger


def test_a_lost_ledger_unprotects_nothing_and_repair_is_on_the_record(signed):
    signed_before = signed_bytes(signed)
    (signed.eng / LEDGER).unlink()
    r = signoff(signed, "repair", "--by", "张伟", "--note", "误删", "--on", "2026-04-10")
    assert r.exit_code == 0 and r.output.startswith("repaired   "), r.output
    event = json.loads((signed.eng / LEDGER).read_bytes())
    assert (event["event"], event["by"], event["note"], event["anchor"]["lines"]) == ("repair", "张伟", "误删", 4)
    assert signoff(signed, "repair", "--by", "张伟").output.startswith("nothing to repair: ")
    assert signoff(signed, "verify").exit_code == 0
    # The pack still remembers the accepted report: a build keeps it, even with --force.
    result = signed.build("--force")
    assert result.exit_code == 1, result.output
    assert "signed off, so never replaced" in result.output
    assert signed_bytes(signed) == signed_before
    # Submitting it again is a reopening, as it would be with the ledger intact.
    r = signoff(signed, "submit", "report", "--by", "张伟", "--on", "2026-04-11")
    assert r.exit_code == 1 and "give --reopen" in r.output
    assert signoff(signed, "submit", "report", "--by", "张伟", "--on", "2026-04-11", "--reopen").exit_code == 0
    assert [s["path"] for s in signed.manifest()["signoff"]["signed"]] == []
    result = signed.build()
    assert result.exit_code == 0, result.output  # reopened: the pending .new versions take its place
    assert signed_bytes(signed) != signed_before


def test_repair_accepts_damaged_lines_only_through_the_pack(signed):
    lines = ledger_lines(signed)
    write_lines(signed, lines[:2] + [b"{garbage\n"] + lines[3:])
    r = signoff(signed, "repair", "--by", "张伟", "--on", "2026-04-10")
    assert r.exit_code == 0 and "damaged line(s) accepted: 3, 4" in r.output, r.output
    repair_line = json.loads(ledger_lines(signed)[-1])
    assert [w["line"] for w in repair_line["waives"]] == [3, 4] and repair_line["seq"] == 5
    assert [w["line"] for w in signed.manifest()["signoff"]["waived"]] == [3, 4]
    r = signoff(signed, "verify")
    assert r.exit_code == 0, r.output
    assert r.output.splitlines()[0].startswith("eng/signoff.jsonl:3: WARNING: not a JSON event")
    assert "(accepted as it is by 张伟 on 2026-04-10 (line 5)) [signoff.ledger-repaired]" in r.output
    # The damaged line was the acceptance; the pack remembers it, so the report stays protected.
    before = signed_bytes(signed)
    assert signed.build().exit_code == 1 and signed_bytes(signed) == before
    # The line before a damaged one is pinned by the waiver (the damaged line cannot vouch for it), and a
    # repair line written into the ledger by hand cannot excuse an edit of a line the pack saw.
    from pipeline.ledger.events import line_hash
    lines = ledger_lines(signed)
    lines[1] = lines[1].replace("张伟".encode(), "李四".encode())
    forged = {"v": 1, "seq": 6, "event": "repair", "on": "2026-04-11", "by": "x",
              "waives": [{"line": 3, "sha256": line_hash(lines[2]), "prev": line_hash(lines[1])}],
              "prev": line_hash(lines[-1])}
    write_lines(signed, lines + [json.dumps(forged).encode() + b"\n"])
    r = signoff(signed, "verify")
    assert r.exit_code == 1, r.output
    assert r.output.splitlines()[0].startswith("eng/signoff.jsonl:3: ERROR: not a JSON event"), r.output


def test_lines_appended_through_another_pack_are_taken_up(signed, tmp_path):
    other = tmp_path / "copy"
    shutil.copytree(signed.pack, other)
    r = signoff(signed, "submit", "catalog", "--by", "张伟", "--on", "2026-04-09", pack=other)
    assert r.exit_code == 0, r.output
    assert signed.manifest()["signoff"]["lines"] == 4  # this pack has not seen line 5
    assert signoff(signed, "verify").exit_code == 0
    result = signed.build()
    assert result.exit_code == 1 and "signed off, so never replaced" in result.output  # and nothing else refused
    assert signed.manifest()["signoff"]["lines"] == 5


# --- the pack is a boundary -------------------------------------------------------------------

SECRET = "TOP-SECRET-4242"


@pytest.mark.parametrize("field, value, first", [
    ("path", 5, "'deliverables[0].path' must be a relative path inside the pack ('folder/file.ext', no '..') (got 5)"),
    ("format", ["docx"], "'deliverables[0].format' must be one of docx, pptx, xlsx, pdf (got ['docx'])"),
    ("path", "../../etc/shadow", ("'deliverables[0].path' must be a relative path inside the pack ('folder/file.ext', "
                                 "no '..') (got '../../etc/shadow')")),
    ("path", "/etc/passwd", ("'deliverables[0].path' must be a relative path inside the pack ('folder/file.ext', no "
                            "'..') (got '/etc/passwd')")),
    ("path", "../outside.xlsx", ("'deliverables[0].path' must be a relative path inside the pack ('folder/file.ext', "
                                "no '..') (got '../outside.xlsx')")),
    ("service", True, "'deliverables[0].service' must be an integer (got True)"),
])
def test_manifest_fields_of_the_wrong_type_or_leaving_the_pack_are_refused(mini_engagement, field, value, first):
    m = mini_engagement
    assert m.build().exit_code == 0
    (m.out / "outside.xlsx").write_text(SECRET, encoding="utf-8")
    data = m.manifest()
    data["deliverables"][0][field] = value
    (m.pack / "manifest.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    want = f"out/eng/manifest.json: {first}; rebuild the pack or correct the manifest"
    r = CliRunner().invoke(main, ["check", str(m.pack), "--specs", str(m.specs)])
    assert (r.exit_code, r.output.splitlines()) == (2, [f"Error: input: {want}"])
    for command, *args in (("verify",), ("status",), ("submit", "report", "--by", "张伟")):
        r = signoff(m, command, *args)
        assert (r.exit_code, r.output.splitlines()) == (2, [f"Error: signoff: {want}"]), r.output
    assert not (m.eng / LEDGER).exists()


def test_a_link_out_of_the_pack_is_named_never_opened(signed, tmp_path):
    secret = tmp_path / "secret.xlsx"
    secret.write_text(SECRET, encoding="utf-8")
    (signed.pack / CATALOG).unlink()
    (signed.pack / CATALOG).symlink_to(secret)
    r = CliRunner().invoke(main, ["check", str(signed.pack), "--specs", str(signed.specs)])
    assert r.exit_code == 1 and SECRET not in r.output
    assert r.output.splitlines()[0] == (
        f"out/eng/{CATALOG}: ERROR: 《【XXX】资源清单》 (xlsx): {CATALOG} leads outside the pack (a link?), so it was "
        "not opened; put the file itself in the pack [completeness.outside-pack]")
    r = signoff(signed, "submit", "catalog", "--by", "张伟", "--on", "2026-04-09")
    assert r.exit_code == 1 and "completeness.outside-pack" in r.output
    (signed.pack / REPORT_FILES[0]).unlink()
    (signed.pack / REPORT_FILES[0]).symlink_to(secret)
    r = signoff(signed, "verify")
    assert r.exit_code == 1 and SECRET not in r.output
    assert f"out/eng/{REPORT_FILES[0]}: ERROR: 90/report (docx): {REPORT_FILES[0]} leads outside the pack" in r.output


# --- property: no cut, edit, reordering or truncation of the ledger goes unnoticed ------------

@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    """The signed-off tiny engagement, built once; each example works on a copy."""
    from conftest import MiniEngagement

    root = tmp_path_factory.mktemp("pristine")
    m = MiniEngagement(root)
    sign_off(m)
    m.edit(ANSWERS, "本次检查覆盖", "本次检查全面覆盖")  # so a build that got through would replace the report
    return m


def _mutations():
    from hypothesis import strategies as st

    def cut(lines, i):
        return lines[:i % len(lines)] + lines[i % len(lines) + 1:]

    def edit(data, at, byte):
        at %= len(data)
        return data[:at] + bytes([byte if byte != data[at] else (byte + 1) % 256]) + data[at + 1:]

    def reorder(lines, perm):
        order = sorted(range(len(lines)), key=lambda k: perm[k % len(perm)] * 10 + k)
        return [lines[k] for k in order]

    return st.one_of(
        st.tuples(st.just("cut"), st.integers(0, 10)).map(lambda a: ("lines", lambda ls: cut(ls, a[1]))),
        st.tuples(st.integers(0, 5000), st.integers(0, 255)).map(
            lambda a: ("bytes", lambda data: edit(data, a[0], a[1]))),
        st.lists(st.integers(0, 9), min_size=4, max_size=4).map(lambda p: ("lines", lambda ls: reorder(ls, p))),
        st.integers(0, 5000).map(lambda n: ("bytes", lambda data: data[:n % len(data)])),
        st.integers(1, 4).map(lambda k: ("lines", lambda ls: ls[:-k])),
        st.just(("delete", None)),
    )


def test_no_cut_edit_reorder_or_truncation_of_the_ledger_goes_unnoticed(pristine):
    from hypothesis import HealthCheck, assume, given, settings

    @settings(max_examples=30, deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(mutation=_mutations())
    def check(mutation):
        import tempfile
        from conftest import MiniEngagement

        kind, change = mutation
        with tempfile.TemporaryDirectory() as tmp:
            m = MiniEngagement.__new__(MiniEngagement)
            m.root, m.eng, m.specs, m.out = Path(tmp), Path(tmp) / "eng", Path(tmp) / "specs", Path(tmp) / "out"
            m.pack = m.out / "eng"
            for src, dst in ((pristine.eng, m.eng), (pristine.specs, m.specs), (pristine.out, m.out)):
                shutil.copytree(src, dst)
            path = m.eng / LEDGER
            raw = path.read_bytes()
            if kind == "delete":
                path.unlink()
            else:
                new = change(raw) if kind == "bytes" else b"".join(change(raw.splitlines(keepends=True)))
                assume(new != raw)
                path.write_bytes(new)
            before = signed_bytes(m)
            r = signoff(m, "verify")
            assert r.exit_code == 1 and "Traceback" not in r.output, r.output
            result = m.build("--force")
            assert result.exit_code == 1 and "Traceback" not in result.output, result.output
            assert result.output.splitlines()[-1].startswith("Error: ledger: "), result.output
            assert signed_bytes(m) == before

    check()
