"""Record the sample engagements' sign-off ledgers with the real `sowpack signoff` commands.

Each sample tells a short acceptance story (STORIES): by default the vendor's project
manager submits every deliverable a week before the service (or its acceptance stage)
ends and the customer's acceptor accepts it two working days later; then the pack is
rebuilt, so that the acceptance reports are final, and each report is submitted and
accepted in turn. A few samples stop part-way (a rejection, a stage still open, a
submission still under review, one left to be deemed accepted), so the packs show
every state an acceptance report can be in.

A submission binds the SHA-256 of the files built at that moment: after a change to
templates, specs or answers run this again (`make ledgers`), then `make golden`.

Usage: .venv/bin/python tools/sample_ledgers.py [ENGAGEMENT ...]   (default: every sample)
"""
from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
from pathlib import Path

from click.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.cli import main  # noqa: E402
from pipeline.core.workdays import CalendarUnknown, add_working_days, is_working_day  # noqa: E402
from pipeline.document.assemble import context, jobs_for  # noqa: E402
from pipeline.document.plan import plans_for  # noqa: E402
from pipeline.inputs.load import load_engagement  # noqa: E402
from pipeline.ledger.events import LEDGER  # noqa: E402
from pipeline.specs.load import require_specs  # noqa: E402

SAMPLES = ROOT / "sample_inputs"
SPECS = ROOT / "deliverable_specs"

#: engagement -> service -> what happens to that service's deliverables (default: all accepted).
#: A deliverable is never submitted before the date the plan gives it (then it is submitted that day).
#:   hold: deliverables submitted and left under review (no acceptance yet)
#:   reject: deliverable -> the 不符点 the customer records
#:   notes: deliverable -> the opinion recorded with its acceptance (验收意见)
#:   submit_on: the day the deliverables are submitted (default: a week before the stage ends, or the
#:   day the last of them is issued by the plan when that is later)
STORIES: dict[str, dict[int, dict]] = {
    # Service 1 deems a deliverable accepted 5 working days after submission without a reply.
    "hengxin-retail": {
        1: {"submit_on": "2026-04-27", "hold": ["dev-modeling-spec"],
            "notes": {"architecture-design": "架构设计符合恒信集团数据中台建设目标，同意按此开展详细设计。"}},
        9: {"notes": {"health-report": "高风险项已纳入“品牌节”大促前整改计划。"}},
    },
    # The customer rejects the SLA record: the ticket channel is under the 90% the SOW asks.
    "jinghua-logistics": {
        6: {"reject": {"sla-record": ["云产品技术工单支持渠道SLA达标率87.5%，未达到合同约定的大于90%",
                                      "请补充超时工单的原因分析与改进承诺的书面说明"]}},
    },
    # The design stage of 11 is accepted and signed; the cut-over stage waits on its issue list.
    "ruitong-manufacturing": {
        11: {"hold": ["issue-list"]},
    },
    # Everything submitted at the end of the service, still within the review period.
    "hengxin-outlets": {
        28: {"hold": "all"},
    },
}


def _run(*args: str) -> str:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    if result.exit_code != 0:
        raise SystemExit(f"sowpack {' '.join(args[:3])} failed:\n{result.output}")
    return result.output


def _workday(day: dt.date) -> dt.date:
    """The day itself when it is a working day, else the working day before it."""
    while not is_working_day(day):
        day -= dt.timedelta(days=1)
    return day


def _later(day: dt.date, n: int) -> dt.date:
    """n working days after day; the day itself when the holiday calendar does not know those days yet
    (a service ending in late December is answered the day it is submitted, never on a guessed day)."""
    try:
        return add_working_days(day, n)
    except CalendarUnknown:
        return day


def _stage_end(p, index: int, count: int) -> dt.date:
    span = (p.end - p.start).days
    return p.start + dt.timedelta(days=span * (index + 1) // count)


def record(eng_dir: Path, specs: dict) -> None:
    """Rewrite ENGAGEMENT/signoff.jsonl from the engagement's story, through the CLI."""
    (eng_dir / LEDGER).unlink(missing_ok=True)
    eng, _ = load_engagement(eng_dir)
    plans = plans_for(eng, specs)
    story = STORIES.get(eng.name, {})
    with tempfile.TemporaryDirectory(prefix="sowpack-ledger-") as tmp:
        out = Path(tmp)
        pack = out / eng_dir.name
        build = ("build", str(eng_dir), "--out", str(out), "--specs", str(SPECS))
        common = ("--pack", str(pack), "--specs", str(SPECS))
        _run(*build)
        for p in eng.purchases:
            spec, plan = specs[p.service], story.get(p.service, {})
            # Each service's own signatories submit and accept its deliverables.
            vendor, customer = p.signatories["vendor"], p.signatories["customer"]
            dated = plans[p.service]
            deliverables = spec.for_package(p.package, p.select)
            stages = spec.acceptance.stages or (None,)
            for i, stage in enumerate(stages):
                items = [d for d in deliverables
                         if d.kind != "acceptance-report" and (stage is None or d.stage == stage)]
                if not items:
                    continue
                if "submit_on" in plan:
                    sub = dt.date.fromisoformat(plan["submit_on"])
                else:
                    sub = _workday(max(p.start, _stage_end(p, i, len(stages)) - dt.timedelta(days=7)))
                # Never before a document is issued (each is dated by its own milestone): a document
                # issued after that day is submitted the day it is issued.
                by_day: dict[dt.date, list] = {}
                for d in items:
                    by_day.setdefault(max(sub, dated.date_of(d.id) or sub), []).append(d)
                actions: list[tuple[dt.date, int, tuple[str, ...]]] = []
                for day, group in sorted(by_day.items()):
                    actions.append((day, 0, ("submit", str(eng_dir), *[f"{p.service:02d}/{d.id}" for d in group],
                                             "--by", vendor, "--on", day.isoformat(), *common)))
                    answer = _later(day, 2)
                    for d in group:
                        key = f"{p.service:02d}/{d.id}"
                        if plan.get("hold") == "all" or d.id in plan.get("hold", ()):
                            continue
                        if d.id in plan.get("reject", {}):
                            issues = [x for issue in plan["reject"][d.id] for x in ("--issue", issue)]
                            actions.append((answer, 1, ("reject", str(eng_dir), key, "--by", customer, "--on",
                                                        answer.isoformat(), *issues, *common)))
                            continue
                        note = plan.get("notes", {}).get(d.id)
                        actions.append((answer, 1, ("accept", str(eng_dir), key, "--by", customer, "--on",
                                                    answer.isoformat(), *(("--note", note) if note else ()),
                                                    *common)))
                # In the order they happen: the ledger reads as the story went.
                for _, _, args in sorted(actions, key=lambda a: (a[0], a[1])):
                    _run("signoff", *args)
        # The acceptance reports now say what the ledger says: sign those that are final.
        _run(*build)
        eng, _ = load_engagement(eng_dir)
        for job in jobs_for(eng, specs):
            if job.deliverable.kind != "acceptance-report":
                continue
            ctx = context(job, eng)
            if not ctx["ledger"]["all_closed"]:
                continue
            day = dt.date.fromisoformat(ctx["date_iso"])
            key = f"{job.spec.service:02d}/{job.deliverable.id}"
            vendor, customer = job.purchase.signatories["vendor"], job.purchase.signatories["customer"]
            _run("signoff", "submit", str(eng_dir), key, "--by", vendor, "--on", day.isoformat(), *common)
            _run("signoff", "accept", str(eng_dir), key, "--by", customer,
                 "--on", _later(day, 1).isoformat(), *common)
    lines = (eng_dir / LEDGER).read_text(encoding="utf-8").count("\n")
    print(f"{eng_dir.relative_to(ROOT)}/{LEDGER}: {lines} event(s)")


def main_(names: list[str]) -> None:
    # Dates come from each story, never from the clock or the caller's $SOWPACK_TODAY.
    os.environ.pop("SOWPACK_TODAY", None)
    specs = {s.service: s for s in require_specs(SPECS)[0]}
    dirs = [SAMPLES / n for n in names] if names else sorted(p.parent for p in SAMPLES.glob("*/engagement.yaml"))
    for d in dirs:
        record(d, specs)


if __name__ == "__main__":
    main_(sys.argv[1:])
