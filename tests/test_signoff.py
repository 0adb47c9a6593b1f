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
HEALTH = "09-health-check/恒信集团项目架构健康报告.docx"


@pytest.fixture(params=per_engagement(["hengxin-retail"]))
def ws(request, sample_pack, tmp_path):
    """An engagement folder (for the ledger) and a private copy of its built pack."""
    eng = tmp_path / request.param
    shutil.copytree(SAMPLES / request.param, eng)
    pack = tmp_path / "out" / request.param
    shutil.copytree(sample_pack(request.param), pack)
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
    for rel in (HEALTH, "09-health-check/恒信集团项目健康检查方案.docx"):
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
