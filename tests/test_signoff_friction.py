"""Sign-off without friction: the pack is found, a conflict says how to reopen, reopening records the new
file, and a resubmission of rejected files is pointed out."""
from __future__ import annotations

from click.testing import CliRunner

from pipeline.cli import main
from pipeline.core.manifest import sha256_file
from pipeline.ledger.events import read_ledger

REPORT = "90-mini-check/测试客户迷你检查报告.docx"


def _signoff(mini, *args):
    """A sign-off command with no --pack: the pack is where the engagement was last built."""
    return CliRunner().invoke(main, ["signoff", args[0], str(mini.eng), *args[1:], "--specs", str(mini.specs)])


def test_reopen_after_a_signed_off_conflict_delivers_and_records_the_new_file(mini_engagement):
    mini = mini_engagement
    assert mini.build().exit_code == 0                       # into out/, not output/
    assert _signoff(mini, "submit", "90/report", "--by", "张伟", "--on", "2026-04-01").exit_code == 0
    assert _signoff(mini, "accept", "90/report", "--by", "王芳", "--on", "2026-04-02").exit_code == 0
    signed = sha256_file(mini.pack / REPORT)
    mini.edit("answers/90-mini.yaml", "覆盖 3 个业务系统", "覆盖 4 个业务系统")
    result = mini.build()
    assert result.exit_code == 1
    last = result.output.rstrip().splitlines()[-1]
    assert "to deliver them, reopen the sign-off" in last
    assert "sowpack signoff submit eng 90/report --reopen --by NAME" in last
    assert sha256_file(mini.pack / REPORT) == signed
    new = mini.pack / "90-mini-check/测试客户迷你检查报告.new.docx"
    new_sha = sha256_file(new)
    r = _signoff(mini, "submit", "90/report", "--by", "张伟", "--on", "2026-04-05")
    assert r.exit_code == 1 and "--reopen" in r.output
    r = _signoff(mini, "submit", "90/report", "--by", "张伟", "--on", "2026-04-05", "--reopen")
    assert r.exit_code == 0, r.output
    assert sha256_file(mini.pack / REPORT) == new_sha and not new.exists()
    events, _ = read_ledger(mini.eng / "signoff.jsonl")
    recorded = {f["format"]: f["sha256"] for f in events[-1].files}
    assert recorded["docx"] == new_sha                       # the new file's hash, not the old one's
    assert _signoff(mini, "verify").exit_code == 0
    again = mini.build()
    assert again.exit_code == 0, again.output                # nothing left in conflict


def test_resubmitting_rejected_files_unchanged_warns(mini_engagement):
    mini = mini_engagement
    assert mini.build().exit_code == 0
    assert _signoff(mini, "submit", "90/report", "--by", "张伟", "--on", "2026-04-01").exit_code == 0
    assert _signoff(mini, "reject", "90/report", "--by", "王芳", "--on", "2026-04-02", "--issue",
                    "结论不完整").exit_code == 0
    r = _signoff(mini, "submit", "90/report", "--by", "张伟", "--on", "2026-04-03")
    assert r.exit_code == 0
    assert ("WARNING: 90/report: these are the same files the customer rejected on 2026-04-02 (不符点：结论不完整)"
            in r.output)
    status = _signoff(mini, "status", "--today", "2026-04-03")
    assert status.exit_code == 0 and "待验收" in status.output
