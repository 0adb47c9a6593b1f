"""`sowpack signoff submit|accept|reject|status|verify`: the acceptance ledger of an engagement."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click

from pipeline.core.paths import DEFAULT_SPECS

_DATE = click.DateTime(formats=["%Y-%m-%d"])


def _common(f):
    f = click.option("--specs", "spec_dir", default=None, type=click.Path(exists=True, file_okay=False, path_type=Path),
                     help="Specs that say which deliverables the pack needs.  "
                          "[default: deliverable_specs/ when present]")(f)
    f = click.option("--pack", "pack", default=None, type=click.Path(file_okay=False, path_type=Path),
                     help="The built pack.  "
                          "[default: where `sowpack build` last wrote it, else output/<engagement folder name>]")(f)
    f = click.argument("engagement_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))(f)
    return f


def _day_option(name: str, help_text: str):
    return click.option(name, "day", type=_DATE, default=None, envvar="SOWPACK_TODAY", show_envvar=True,
                        help=help_text + "  [default: today]")


def _ws(engagement_dir: Path, pack: Path | None, spec_dir: Path | None):
    from pipeline.signoff import workspace

    if spec_dir is None and DEFAULT_SPECS.is_dir():
        spec_dir = DEFAULT_SPECS
    return workspace(engagement_dir, pack, spec_dir)


def _day(value) -> dt.date:
    from pipeline.signoff import today

    return value.date() if value is not None else today()


def _overview(ws, on) -> None:
    from pipeline.signoff.overview import refresh_overview

    refresh_overview(ws, on)


def _refused(exc) -> None:
    for f in getattr(exc, "findings", []):
        click.echo(str(f), err=True)
    raise exc


@click.group()
def signoff() -> None:
    """Record submissions and acceptances; show what is due, accepted or overdue.

    \b
    The ledger is ENGAGEMENT_DIR/signoff.jsonl: append-only, one JSON event a line,
    each submission bound to the SHA-256 of the files submitted. Deliverables are
    named SERVICE/ID (09/health-report) or by a unique id.
    \b
      sowpack signoff submit sample_inputs/hengxin-retail 09/health-report --by 张伟
      sowpack signoff accept sample_inputs/hengxin-retail 09/health-report --by 王强
      sowpack signoff reject sample_inputs/hengxin-retail 09/survey-report --by 王强 \\
          --issue "缺少数据库资源" --issue "风险等级未分级"
      sowpack signoff status sample_inputs/hengxin-retail --today 2026-04-20
      sowpack signoff verify sample_inputs/hengxin-retail
      sowpack signoff repair sample_inputs/hengxin-retail --by 张伟 --note "误删后从备份恢复"
    """


@signoff.command()
@_common
@click.argument("deliverables", nargs=-1, required=True)
@click.option("--by", required=True, help="Who submits (the vendor's project manager).")
@_day_option("--on", "Date of the submission (YYYY-MM-DD).")
@click.option("--note", default=None, help="Free text kept with the event.")
@click.option("--reopen", is_flag=True, help="Submit again a deliverable that was already accepted; a new version "
              "the build kept beside a signed-off file (*.new.*) is put in place and recorded.")
def submit(engagement_dir, pack, spec_dir, deliverables, by, day, note, reopen):
    """Submit DELIVERABLES for acceptance; refused if any fails `sowpack check`."""
    from pipeline.signoff import SignoffError, submit as run

    ws = _ws(engagement_dir, pack, spec_dir)
    try:
        events = run(ws, list(deliverables), by, _day(day), note, reopen,
                     warn=lambda text: click.echo(f"WARNING: {text}", err=True))
    except SignoffError as exc:
        _refused(exc)
    _overview(ws, _day(day))
    for ev in events:
        files = ", ".join(f"{f['format']} {f['sha256'][:12]}…" for f in ev["files"])
        click.echo(f"submitted  {ev['service']:02d}/{ev['deliverable']} on {ev['on']} by {ev['by']} "
                   f"(#{ev['seq']}: {files})")


@signoff.command()
@_common
@click.argument("deliverable")
@click.option("--by", required=True, help="The customer's representative who accepts.")
@_day_option("--on", "Date of the acceptance (YYYY-MM-DD).")
@click.option("--note", default=None, help="Free text kept with the event.")
def accept(engagement_dir, pack, spec_dir, deliverable, by, day, note):
    """Record the customer's acceptance of DELIVERABLE's pending submission."""
    from pipeline.signoff import SignoffError, accept as run

    ws = _ws(engagement_dir, pack, spec_dir)
    try:
        ev, warnings = run(ws, deliverable, by, _day(day), note)
    except SignoffError as exc:
        _refused(exc)
    _overview(ws, _day(day))
    for w in warnings:
        click.echo(f"WARNING: {w}", err=True)
    click.echo(f"accepted   {ev['service']:02d}/{ev['deliverable']} on {ev['on']} by {ev['by']} "
               f"(#{ev['seq']}, submission #{ev['submission']})")


@signoff.command()
@_common
@click.argument("deliverable")
@click.option("--by", required=True, help="The customer's representative who rejects.")
@click.option("--issue", "issues", multiple=True, required=True, help="One 不符点 (repeat for each).")
@_day_option("--on", "Date of the rejection (YYYY-MM-DD).")
def reject(engagement_dir, pack, spec_dir, deliverable, by, issues, day):
    """Record the rejection of DELIVERABLE's pending submission, with its 不符点."""
    from pipeline.signoff import SignoffError, reject as run

    ws = _ws(engagement_dir, pack, spec_dir)
    try:
        ev = run(ws, deliverable, by, _day(day), list(issues))
    except SignoffError as exc:
        _refused(exc)
    _overview(ws, _day(day))
    click.echo(f"rejected   {ev['service']:02d}/{ev['deliverable']} on {ev['on']} by {ev['by']} "
               f"(#{ev['seq']}): {'；'.join(ev['issues'])}")


@signoff.command()
@_common
@_day_option("--today", "Compute the status as of this date (YYYY-MM-DD).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def status(engagement_dir, pack, spec_dir, day, fmt):
    """Per deliverable: submitted on, due by, accepted / rejected / deemed accepted / overdue."""
    from pipeline.signoff import status as run

    from pipeline.signoff import ledger_problems

    ws = _ws(engagement_dir, pack, spec_dir)
    on = _day(day)
    states = run(ws, on)
    # A ledger that fails the guard may show acceptances nobody gave: say so first, and exit 1;
    # the pack (its overview page included) is not written to while the ledger fails.
    problems = ledger_problems(ws)
    for f in problems:
        click.echo(str(f), err=True)
    if not problems:
        _overview(ws, on)
    if fmt == "json":
        click.echo(json.dumps({"engagement": ws.manifest.get("engagement"), "today": on.isoformat(),
                               "rules": {str(k): {"review_days": r.review_days, "day_type": r.day_type,
                                                  "deemed_accepted": r.deemed_accepted}
                                         for k, r in sorted(ws.rules.items())},
                               "deliverables": [s.to_json() for s in states],
                               "ledger_problems": [f.to_json() for f in problems]}, ensure_ascii=False, indent=2))
        if problems:
            raise SystemExit(1)
        return
    click.echo(f"{ws.manifest.get('engagement')}: sign-off status on {on}")
    service = None
    for s in states:
        if s.service != service:
            service = s.service
            rule = ws.rules.get(service)
            click.echo(f"service {service}: {rule.describe() if rule else 'no acceptance rule recorded'}")
        parts = [f"  {s.key:<40} {s.label}"]
        if s.submission:
            parts.append(f"submitted {s.submitted_on} by {s.submission.by}")
            if s.state in ("pending", "overdue", "deemed-accepted"):
                parts.append(f"due {s.due}" if s.due else f"due: {s.due_note}")
        if s.state in ("accepted", "rejected"):
            parts.append(f"{s.state} {s.closed_on} by {s.closed_by}")
        elif s.state == "deemed-accepted":
            parts.append(f"deemed accepted from {s.closed_on}")
        if s.issues:
            parts.append("不符点: " + "；".join(s.issues))
        click.echo(" | ".join(parts))
    counts: dict[str, int] = {}
    for s in states:
        counts[s.label] = counts.get(s.label, 0) + 1
    click.echo("total: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    if problems:
        click.echo(f"{ws.ledger}: {len(problems)} problem(s) in the ledger: this status cannot be trusted "
                   "until it is restored or repaired (`sowpack signoff verify`)", err=True)
        raise SystemExit(1)


@signoff.command()
@_common
@_day_option("--today", "Judge deemed acceptance as of this date (YYYY-MM-DD).")
def verify(engagement_dir, pack, spec_dir, day):
    """Fail (exit 1) if a signed-off file changed since sign-off or the ledger is damaged."""
    from pipeline.signoff import verify as run

    ws = _ws(engagement_dir, pack, spec_dir)
    findings = run(ws, _day(day))
    for f in findings:
        click.echo(str(f))
    errors = [f for f in findings if f.is_error]
    click.echo(f"{ws.ledger}: {len(errors)} error(s), {len(findings) - len(errors)} warning(s): "
               f"{'signed-off files unchanged' if not errors else 'FAILED'}")
    raise SystemExit(1 if errors else 0)


@signoff.command()
@_common
@click.option("--by", required=True, help="Who accepts the ledger as it is (recorded in the ledger).")
@_day_option("--on", "Date of the repair (YYYY-MM-DD).")
@click.option("--note", default=None, help="Why: what happened to the ledger, where it was restored from.")
def repair(engagement_dir, pack, spec_dir, by, day, note):
    """Accept a damaged, cut or lost ledger as it is now, on the record.

    Restore the ledger from version control or a backup first when you can: that needs
    no repair. Otherwise this appends a `repair` event naming who accepted which damaged
    lines, and records the ledger's new end in the pack's manifest.json, so builds and
    sign-offs go on. Files the pack remembers as signed off stay protected.
    """
    from pipeline.signoff import repair as run

    ws = _ws(engagement_dir, pack, spec_dir)
    ev, guard = run(ws, by, _day(day), note)
    if ev is None:
        click.echo(f"nothing to repair: {ws.ledger} matches what {ws.pack / 'manifest.json'} recorded")
        return
    lines = ", ".join(str(w["line"]) for w in ev.get("waives") or []) or "none"
    click.echo(f"repaired   {ws.ledger} on {ev['on']} by {ev['by']} (#{ev['seq']}): accepted as it is; "
               f"damaged line(s) accepted: {lines}; {len(guard.open)} problem(s) resolved")
