"""Spec + engagement inputs + text templates -> one Document per deliverable."""
from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from jinja2.exceptions import SecurityError

from pipeline.document.glossary import glossary
from pipeline.document.markdown import to_blocks
from pipeline.document import findings as findings_register
from pipeline.document.blocks import BlockMaker, scan_text
from pipeline.core.facts import Facts, Source
from pipeline.document.nodes import (Block, ColumnDef, Document, Meta, Paragraph, Register, Section)
from pipeline.document.plan import PLANNED_KINDS, ServicePlan, plans_for
from pipeline.document.plan_view import (GANTT_MARK, gantt, meeting_context, person, plan_context,
                                         project_context)
from pipeline.core.errors import Finding, Location, relpath
from pipeline.core.formats import FORMATS
from pipeline.inputs.model import Answers, DeliverableAnswers, Engagement, Purchase
from pipeline.specs.model import DeliverableSpec, SectionSpec, SowSpec
from pipeline.core.paths import TEMPLATES
from pipeline.core.text import cn_date
from pipeline.document.templating import HEADING, environment, undeclared_headings, unknown_section
from pipeline.core.text import bad_char, find_placeholder, found_in_any, suspect
from pipeline.core.values import BadValue, parse
from pipeline.ledger.view import ledger_context

@dataclass
class Job:
    """One deliverable of one bought service: everything needed to assemble it."""

    spec: SowSpec
    deliverable: DeliverableSpec
    purchase: Purchase
    answers: Answers | None
    #: The service's plan (dates of every deliverable, phases, team); None outside a build.
    plan: ServicePlan | None = None

    @property
    def key(self) -> str:
        return f"{self.spec.service:02d}/{self.deliverable.id}"


def jobs_for(engagement: Engagement, specs: dict[int, SowSpec],
             plans: dict[int, ServicePlan] | None = None) -> list[Job]:
    """One job per deliverable of every bought service and package (and the optional ones
    selected), each with its service's plan.

    For a package the spec does not know (an error reported beside), the deliverables
    every package has and those the answers give are assembled, so that their answers
    are checked in the same build.

    Args:
        plans: the plans (document.plan.plans_for), when already made; their findings are the caller's to report.
    """
    if plans is None:
        plans = plans_for(engagement, specs)
    jobs = []
    for p in engagement.purchases:
        spec = specs.get(p.service)
        if spec is None:
            continue
        answers = engagement.answers.get(p.service)
        if p.package in spec.package_names:
            chosen = spec.for_package(p.package, p.select)
        else:
            answered = set(answers.deliverables) if answers else set()
            chosen = [d for d in spec.deliverables if (not d.packages or d.id in answered)
                      and (not d.optional or d.selected_by(set(p.select)))]
        for d in chosen:
            jobs.append(Job(spec, d, p, answers, plans.get(p.service)))
    return jobs


def _deliverable_view(spec: SowSpec, d: DeliverableSpec, customer_short: str, plan: ServicePlan | None = None,
                      purchase: Purchase | None = None) -> dict:
    day = plan.date_of(d.id) if plan is not None and plan.dated else None
    pd = plan.deliverables.get(d.id) if plan is not None else None
    return {"id": d.id, "title": d.display_title(customer_short), "seed_name": d.seed_name,
            "kind": d.kind, "formats": list(d.formats), "evidence_for": d.evidence_for or "",
            "sections": [s.title for s in d.sections], "aliases": list(d.aliases),
            "date": cn_date(day) if day else "", "short_date": f"{day.month}月{day.day}日" if day else "",
            "phase": pd.phase if pd else "", "reviews": list(d.reviews),
            "author": purchase.author if purchase else "", "reviewer": purchase.reviewer if purchase else "",
            # The spec's own sections, without the kind's (which a kind template writes itself).
            "own_sections": [s.title for s in d.sections if not s.from_kind]}


def acceptance_summary(spec: SowSpec, customer: str) -> str:
    """The SOW's acceptance rule in plain words for the customer (the clause itself is never pasted)."""
    acc = spec.acceptance
    if acc.review_days is None:
        return f"交付物提交后，由{customer}指定的验收人审核，并以书面或线上方式确认验收。"
    unit = "个工作日" if acc.day_type == "working" else "天"
    if acc.deemed_accepted:
        return (f"交付物提交后，{customer}在{acc.review_days}{unit}内审核确认；期满未提出书面意见的，"
                "视同验收。")
    return f"交付物提交后，{customer}在{acc.review_days}{unit}内审核，并以书面或线上方式确认验收。"


#: Default 密级 of a document when document_control gives no `classification`.
CLASSIFICATION = "内部"


def context(job: Job, eng: Engagement) -> dict[str, Any]:
    """The typed context every text template receives."""
    spec, p = job.spec, job.purchase
    short = eng.customer_short
    dc = eng.document_control
    siblings = spec.for_package(p.package, p.select)
    titles = {d.id: d.display_title(short) for d in siblings}
    views = {d.id: _deliverable_view(spec, d, short, job.plan, p) for d in siblings}
    answers = job.answers
    da = answers.deliverables.get(job.deliverable.id) if answers else None
    reviewed = [dict(views[r], draft=job.deliverable.review_of == "draft")
                for r in job.deliverable.reviews if r in views]
    team = [m.as_dict() for m in eng.team(p.service)]
    ledger = ledger_context(job, eng, document_date(job, eng))
    when = (dt.date.fromisoformat(ledger["as_of_date"]) if job.deliverable.kind in LEDGER_DATED
            else document_date(job, eng))
    stages = spec.acceptance.stages
    stage = job.deliverable.stage
    return {
        "customer": {"name": eng.customer_name, "short_name": short},
        "project": eng.project,
        "vendor": eng.vendor,
        "date": cn_date(when),
        "date_iso": when.isoformat(),
        # Only the people working on this service, with their role in it.
        "people": team,
        "team": team,
        "managers": {side: person(eng, p.service, p.managers.get(side)) for side in ("vendor", "customer")},
        "signatories": {side: person(eng, p.service, p.signatories.get(side)) for side in ("vendor", "customer")},
        "document_control": {"version": dc.get("version", "V1.0"), "author": p.author or dc.get("author", ""),
                             "reviewer": p.reviewer or dc.get("reviewer", ""), "approver": dc.get("approver", ""),
                             "classification": dc.get("classification") or CLASSIFICATION},
        "plan": plan_context(job.plan, spec, p, eng, titles),
        "project_facts": project_context(answers.project if answers else None, job.plan),
        "meeting": meeting_context(da.meeting if da else None, eng, p.service, reviewed),
        # The service as the customer bought it: `title` and `name` are both the spec's
        # customer-facing name; the seed's contract title never reaches a document.
        "service": {
            "number": spec.service, "title": spec.name, "name": spec.name, "package": p.package,
            "package_description": next((x.description for x in spec.packages if x.name == p.package), ""),
            "applied_on": cn_date(p.applied_on), "start": cn_date(p.start), "end": cn_date(p.end),
            "acceptance_summary": acceptance_summary(spec, short),
            "review_days": spec.acceptance.review_days,
            "day_type": "工作日" if spec.acceptance.day_type == "working" else "自然日",
            "deemed_accepted": spec.acceptance.deemed_accepted,
        },
        "stage": {"name": stage or "", "number": stages.index(stage) + 1 if stage in stages else 0,
                  "count": len(stages)},
        "deliverable": views[job.deliverable.id],
        "deliverables": [views[d.id] for d in siblings],
        "facts": job.answers.facts if job.answers else {},
        # Sign-off ledger (engagement folder): each covered deliverable's dates and status, for closing documents.
        "ledger": ledger,
    }


#: Kinds dated by the ledger: the day their statuses are given as of (at the earliest their planned date).
LEDGER_DATED = ("acceptance-report",)


def document_date(job: Job, eng: Engagement) -> dt.date:
    """The date of a document: its own date in the service's plan, else the engagement's date (the ledger
    may date an acceptance report later, or earlier once everything it covers is accepted:
    context()['date'])."""
    if job.plan is not None and job.plan.dated:
        day = job.plan.date_of(job.deliverable.id)
        if day is not None:
            return day
    return eng.date


def _template_line(exc: BaseException, filename: str) -> int | None:
    tb = exc.__traceback__
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def render_text(template: str, ctx: dict, job: Job,
                templates: Path | None = None) -> tuple[dict[str, str], list[Finding]]:
    """Render templates/text/<template>.md.j2 (looked up first in templates, when given) into {title: markdown}."""
    env = environment(str(templates), str(TEMPLATES)) if templates else environment()
    name = f"text/{template}.md.j2"
    where: dict[str, Any] = dict(service=job.spec.service, deliverable=job.deliverable.id)
    try:
        tpl = env.get_template(name)
    except jinja2.TemplateNotFound:
        return {}, [Finding("template.missing", f"template '{name}' does not exist (deliverable '{job.deliverable.id}' "
                                                f"uses template '{template}'); create it or fix 'template:'",
                            Location(relpath(TEMPLATES / name)), **where)]
    except jinja2.TemplateSyntaxError as exc:
        return {}, [Finding("template.syntax", f"template syntax error: {exc.message}; fix the template's jinja tags",
                            Location(relpath(exc.filename or TEMPLATES / name), exc.lineno), **where)]
    # The kind declares the sections (their titles live in _kinds.yaml); a `# title` line
    # of the template only says which of them the text below it fills.
    d = job.deliverable
    declared = [s.title for s in d.all_sections() if s.from_kind]
    assert env.loader is not None and tpl.filename is not None  # environment() always has a file loader
    source = env.loader.get_source(env, name)[0]
    findings = undeclared_headings(source, tpl.filename, d.kind, declared)
    try:
        text = tpl.render(ctx)
    except SecurityError as exc:
        return {}, findings + [Finding("template.unsafe", f"{exc} The sandbox refuses it: templates may only read "
                                               "the values sowpack passes them (customer, service, deliverable, "
                                               "facts...)",
                            Location(relpath(tpl.filename), _template_line(exc, tpl.filename)), **where)]
    except jinja2.UndefinedError as exc:
        return {}, findings + [Finding("template.undefined", f"{exc.message} while rendering '{job.deliverable.id}'; "
                                                  "fix the name in the template or add the fact to the inputs",
                            Location(relpath(tpl.filename), _template_line(exc, tpl.filename)), **where)]
    except jinja2.TemplateError as exc:
        return {}, findings + [Finding("template.error", f"{type(exc).__name__}: {exc}",
                            Location(relpath(tpl.filename), _template_line(exc, tpl.filename)), **where)]
    parts = HEADING.split(text)
    sections = {parts[i].strip(): parts[i + 1].strip() for i in range(1, len(parts) - 1, 2)}
    if not findings:
        # A heading only the rendering shows (printed by an expression) breaks the same rule, at no line.
        findings = [unknown_section(title, d.kind, declared, Location(relpath(tpl.filename)))
                    for title in sections if title not in declared]
    return sections, findings


def empty_answer(value: Any) -> bool:
    """Nothing written yet: a key left empty (as `sowpack new` writes it), blank text or an empty list."""
    return value is None or (isinstance(value, str) and not value.strip()) or value == [] or value == {}


def _build_sections(specs: tuple[SectionSpec, ...], level: int, job: Job, templated: dict[str, str],
                    da: DeliverableAnswers | None, answers_loc: Location, maker: BlockMaker,
                    findings: list[Finding]) -> list[Section]:
    out = []
    for s in specs:
        ids: dict[str, Any] = dict(service=job.spec.service, deliverable=job.deliverable.id, target=s.title)
        blocks: list[Block] = []
        if da is not None and not empty_answer(da.sections.get(s.title)):
            where = da.section_locations[s.title]
            findings += scan_text(da.sections[s.title], where, f"section '{s.title}'", **ids)
            blocks, found = maker.content(da.sections[s.title], where, s.title)
            findings += found
        elif s.title in templated:
            blocks = [_directive(b, job) for b in to_blocks(templated[s.title])]
        children = _build_sections(s.children, level + 1, job, templated, da, answers_loc, maker, findings)
        section = Section(s.title, level, blocks, children)
        d = job.deliverable
        if not blocks and not s.children:
            findings.append(Finding(
                "input.missing-answer",
                f"{d.seed_name} ('{d.id}'): section '{s.title}' has no answer; add it under "
                f"deliverables.{d.id}.sections",
                (da.section_locations.get(s.title) or da.location) if da else answers_loc, **ids))
        for need in s.requires:
            if s.title not in maker.holds.get(need, set()) and (blocks or s.children):
                example = {"diagram": "- diagram: {title: ..., nodes: [...], edges: [...]}",
                           "chart": "- chart: {type: bar, ...}", "table": "a table",
                           "findings": "- findings: {领域: ...}"}[need]
                findings.append(Finding(
                    "input.missing-block", f"{d.seed_name} ('{d.id}'): section '{s.title}' must hold a {need} (the "
                    f"spec requires it); add {example} to its answer",
                    da.section_locations.get(s.title, da.location) if da else answers_loc, **ids))
        out.append(section)
    return out


def typed_cell(value: Any, ctype: str) -> tuple[Any, str | None]:
    """(canonical value, None) of a register cell of type ctype, or (its text, why it is refused).

    Blank cells are "" (the caller decides whether the column may be blank).
    """
    if isinstance(value, str) and ctype == "text":
        return value.strip(), None  # most cells of a register: nothing to parse
    if value is None or (isinstance(value, str) and not value.strip()):
        return "", None
    try:
        return parse(value, ctype), None
    except BadValue as exc:
        return str(value).strip(), str(exc)


def _directive(block: Block, job: Job) -> Block:
    """A template's `@@gantt@@` line becomes the plan's Gantt chart (templates only: answers stay text)."""
    if isinstance(block, Paragraph) and block.text.strip() == GANTT_MARK:
        return gantt(job.plan, f"{job.spec.name}进度计划（甘特图）")
    return block


def record_findings(job: Job, eng: Engagement) -> list[Finding]:
    """What the kind's records need from the inputs: a meeting for minutes (with a verdict for a
    review), the project's background and risks for a kickoff or work plan."""
    d = job.deliverable
    ids: dict[str, Any] = dict(service=job.spec.service, deliverable=d.id)
    da = job.answers.deliverables.get(d.id) if job.answers else None
    where = da.location if da else (job.answers.location if job.answers else job.purchase.location)
    out = []
    if d.kind == "minutes":
        m = da.meeting if da else None
        if m is None:
            out.append(Finding("input.missing-meeting", f"{d.seed_name} ('{d.id}') records a meeting: add "
                               f"deliverables.{d.id}.meeting with date, time, place, host, recorder, attendees, "
                               "agenda (item, discussion), conclusion and actions (action, owner, due, status)",
                               where, **ids))
        else:
            if d.reviews and not m.verdict:
                out.append(Finding("input.missing-verdict", f"'{d.id}' is the minutes of a review meeting: add "
                                   "'verdict: 通过', '有条件通过' or '不通过'", m.location, **ids))
            for a in m.actions:
                if a.due < m.date:
                    out.append(Finding("input.bad-value", f"the action '{a.action[:30]}' is due {a.due.isoformat()}, "
                                       f"before the meeting ({m.date.isoformat()})", m.location, **ids))
            texts = [m.time, m.place, m.conclusion]
            texts += [x for a in m.agenda for x in (a.title, a.discussion, *a.comments)]
            for text in texts + [a.action for a in m.actions]:
                found = scan_text(text, m.location, f"the meeting of '{d.id}'", **ids)
                if found:
                    out += found
                    break
    if d.kind in ("kickoff", "work-plan"):
        pr = job.answers.project if job.answers else None
        missing = [k for k, v in (("background", pr.background if pr else ""), ("risks", pr.risks if pr else ()))
                   if not v]
        if missing:
            out.append(Finding("input.missing-project", f"{d.seed_name} ('{d.id}') needs the project's "
                               f"{' and '.join(missing)}: add project.{missing[0]} to the answers of service "
                               f"{job.spec.service}", pr.location if pr and pr.location else where,
                               **ids))
    return out


def _kind_titles(d: DeliverableSpec) -> set[str]:
    return {s.title for top in d.sections for s in top.walk() if s.from_kind}


def _register(job: Job, eng: Engagement, title: str, da: DeliverableAnswers | None, answers_loc: Location,
              findings: list[Finding]) -> Register | None:
    d = job.deliverable
    if not d.columns:
        return None
    cols = [ColumnDef(c.name, c.allowed, c.type, c.width) for c in d.columns]
    ids: dict[str, Any] = dict(service=job.spec.service, deliverable=d.id)
    if d.template == "sign-in" and (da is None or da.rows is None or "序号" not in da.rows.header):
        # The attendees (an attendee list given once in the answers' data, shared by every
        # sheet of the course), else the customer's people on this service; 序号 is counted,
        # and sign-in time and signature are filled by hand at the session.
        if da is not None and da.rows is not None:
            attendees = [{k: "" if v is None else str(v).strip() for k, v in r.items()} for r in da.rows.rows]
        else:
            team = eng.team(job.spec.service)
            people = [m for m in team if not m.vendor] or team
            attendees = [{"姓名": m.name, "部门": m.dept or m.org, "职务": m.role, "联系方式": m.phone or m.email}
                         for m in people]
            for m, known in zip(people, attendees, strict=True):
                blank = [k for k in ("姓名", "部门", "职务", "联系方式")
                         if any(c.name == k for c in cols) and not known[k]]
                if blank:
                    findings.append(Finding("input.blank-cell",
                                            f"{d.seed_name} ('{d.id}') lists {m.name or 'a person'}"
                                            f" from engagement.yaml people, who has no {'、'.join(blank)}; add "
                                            "phone: (or email:) and role: to that person", eng.people_location, **ids))
            if not attendees:
                findings.append(Finding("input.missing-rows", f"{d.seed_name} ('{d.id}') lists the customer's people "
                                        f"on service {job.spec.service}: add them under people: in engagement.yaml "
                                        f"(name, org, role, services), or give deliverables.{d.id}.rows",
                                        answers_loc if da is None else da.location, **ids))
        listed = [[{"序号": i, **a}.get(c.name, "") for c in cols] for i, a in enumerate(attendees, 1)]
        return Register(title, cols, listed)
    if da is None or da.rows is None or not da.rows.rows:
        where = da.rows.source if da and da.rows else (da.location if da else answers_loc)
        fix = ("fill the sheet below its header row, one row per item" if da and da.rows and da.rows.source.sheet
               else f"add deliverables.{d.id}.rows or rows_from")
        findings.append(Finding("input.missing-rows", f"{d.seed_name} ('{d.id}') needs rows for its columns "
                                f"{'、'.join(c.name for c in cols)}; {fix}", where, **ids))
        return Register(title, cols, [])
    rows = da.rows
    names = [c.name for c in cols]
    missing = [n for n in names if n not in rows.header]
    extra = [h for h in rows.header if h and h not in names]
    for n in missing:
        hint = f" (found '{extra[0]}': renamed?)" if len(extra) == 1 and len(missing) == 1 else ""
        findings.append(Finding("input.missing-column", f"required column '{n}' is missing{hint}; "
                                f"the columns must be {'、'.join(names)}", rows.source, target=n, **ids))
    for h in extra:
        findings.append(Finding("input.unknown-column", f"column '{h}' is not in the spec of '{d.id}'; it is ignored",
                                rows.locations.get((-1, h), rows.source), target=h, **ids))
    out_rows = []
    in_header = set(rows.header)
    # Per column, once: (column, its type is text, whether a blank cell is one to report).
    plan = [(c, c.type == "text", c.name in in_header) for c in cols]
    # Cells are searched only when their text may hold a placeholder or a bad character (a
    # number's or a date's text is digits and separators, which match neither).
    maybe = found_in_any(suspect, (v for row in rows.rows for v in row.values() if isinstance(v, str)))
    for i, row in enumerate(rows.rows):
        out = []
        for c, text, required in plan:
            raw = row.get(c.name)
            # typed_cell's first case inline: most cells of a register are text.
            value, bad = (raw.strip(), None) if text and isinstance(raw, str) else typed_cell(raw, c.type)
            is_blank = required and value == ""
            if not bad and not is_blank and not (c.allowed and value != "" and str(value) not in c.allowed) and not (
                    maybe and isinstance(value, str) and suspect(value)
                    and (find_placeholder(value) or bad_char(value))):
                out.append(value)  # the common case: nothing to report, no location needed
                continue
            where = rows.locations.get((i, c.name), rows.source)
            if bad:
                findings.append(Finding("input.bad-type", f"column '{c.name}' in row {i + 1} {bad}", where,
                                        target=c.name, **ids))
            elif is_blank:
                findings.append(Finding("input.blank-cell",
                                        f"required column '{c.name}' is blank in row {i + 1}; fill it",
                                        where, target=c.name, **ids))
            elif c.allowed and value != "" and str(value) not in c.allowed:
                findings.append(Finding("input.not-allowed",
                                        f"'{value}' is not allowed in column '{c.name}'; use one of "
                                        f"{'、'.join(c.allowed)}", where, target=c.name, **ids))
            if isinstance(value, str):
                findings += scan_text(value, where, f"column '{c.name}'", target=c.name, **ids)
            out.append(value)
        out_rows.append(out)
    return Register(title, cols, out_rows)


def _source_rows(rows, columns=None) -> list[dict[str, Any]]:
    """Rows as references read them: typed by their columns when known (bad cells stay text, reported elsewhere)."""
    types = {c.name: c.type for c in columns or ()}
    return [{k: typed_cell(v, types.get(k, "text"))[0] if k in types else v for k, v in r.items()} for r in rows.rows]


def facts_for(job: Job, register: Register | None, own_findings: list[dict] | None,
              findings: list[Finding]) -> Facts:
    """What this deliverable's references may read: the answers' facts and data tables, its own register
    (`rows`) and findings register (`findings`), and those of the service's other deliverables."""
    answers = job.answers
    facts = Facts(dict(answers.facts) if answers else {})
    ids = dict(service=job.spec.service, deliverable=job.deliverable.id)
    for name, rows in (answers.data.items() if answers else ()):
        findings += scan_text([list(r.values()) for r in rows.rows], rows.source, f"table '{name}'", **ids)
        facts.sources[name] = Source(name, list(rows.header), [dict(r) for r in rows.rows], f"table '{name}'")
    if answers:
        for did, da in answers.deliverables.items():
            other = job.spec.deliverable(did)
            if other is None or did == job.deliverable.id:
                continue
            if da.rows is not None and other.columns:
                facts.sources[f"{did}.rows"] = Source(f"{did}.rows", [c.name for c in other.columns],
                                                      _source_rows(da.rows, other.columns), f"the register of '{did}'")
            if da.findings is not None:
                facts.sources[f"{did}.findings"] = Source(f"{did}.findings", list(findings_register.NAMES),
                                                          findings_register.validate(da.findings, ids)[0],
                                                          f"the findings register of '{did}'")
    if register is not None:
        names = [c.name for c in register.columns]
        facts.sources["rows"] = Source("rows", names, [dict(zip(names, r, strict=False)) for r in register.rows],
                                       f"the register of '{job.deliverable.id}'")
    if own_findings is not None:
        facts.sources["findings"] = Source("findings", list(findings_register.NAMES), own_findings,
                                           f"the findings register of '{job.deliverable.id}'")
    return facts


def assemble(job: Job, eng: Engagement, templates: Path | None = None,
             ctx: dict[str, Any] | None = None) -> tuple[Document, list[Finding]]:
    """Build the Document of one deliverable, with findings for every gap in the inputs.

    The registers come first (the deliverable's rows and findings), so that every number
    the sections print can be computed from them.

    Args:
        templates: a folder whose text/*.md.j2 override the project's templates.
        ctx: context(job, eng), when the caller has it already.
    """
    d, spec = job.deliverable, job.spec
    findings: list[Finding] = record_findings(job, eng)
    ctx = context(job, eng) if ctx is None else ctx
    # Without its meeting record or its plan, a record's kind template has nothing to write
    # from: the one finding above (or the plan's) says what to add, instead of a line per section.
    unplanned = d.kind in PLANNED_KINDS and (job.plan is None or not job.plan.dated)
    missing = unplanned or any(f.code in ("input.missing-meeting", "input.missing-project") for f in findings)
    templated: dict[str, str] = {}
    if not missing:
        templated, found = render_text(d.template, ctx, job, templates)
        findings += found
    da = job.answers.deliverables.get(d.id) if job.answers else None
    answers_loc = job.answers.location if job.answers else job.purchase.location
    title = d.display_title(eng.customer_short)
    ids = dict(service=spec.service, deliverable=d.id)
    register = _register(job, eng, title, da, answers_loc, findings)
    own_findings = None
    if da is not None and da.findings is not None:
        own_findings, found = findings_register.validate(da.findings, ids)
        findings += found
        findings += scan_text([list(r.values()) for r in da.findings.rows], da.findings.source,
                              "the findings register", **ids)
    maker = BlockMaker(facts_for(job, register, own_findings, findings), own_findings, ids)
    found_sections: list[Finding] = []
    sections = _build_sections(d.sections, 1, job, templated, da, answers_loc, maker, found_sections)
    findings += [f for f in found_sections if not (missing and f.code == "input.missing-answer"
                                                    and f.target in _kind_titles(d))]
    if own_findings and not maker.holds.get("findings"):
        # No section shows the register: it is printed whole after the spec's sections.
        sections.append(Section(findings_register.TITLE, 1, [findings_register.table(own_findings, {})]))
    if da is not None:
        known = {s.title for s in d.all_sections()}
        for t in da.sections:
            if t not in known:
                findings.append(Finding("input.unknown-section", f"'{t}' is not a section of '{d.id}' "
                                        f"(sections: {'、'.join(sorted(known)) or 'none'}); it is ignored",
                                        da.section_locations[t], service=spec.service, deliverable=d.id))
    dc = ctx["document_control"]
    doc_date = dt.date.fromisoformat(ctx["date_iso"])
    # An acceptance report is a draft until every deliverable it covers is accepted.
    draft = d.kind == "acceptance-report" and not ctx["ledger"]["all_closed"]
    meta = Meta(title=title, seed_name=d.seed_name, service=spec.service, service_title=spec.name,
                customer=eng.customer_name, customer_short=eng.customer_short, project=eng.project,
                vendor=eng.vendor, date=doc_date.isoformat(), date_cn=cn_date(doc_date),
                version=str(dc["version"]), author=str(dc["author"]), reviewer=str(dc["reviewer"]),
                kind_label=d.kind, deliverable=d.id, package=job.purchase.package, approver=str(dc["approver"]),
                classification=str(dc["classification"]), draft=draft, distribution=distribution(eng, spec.service))
    doc = Document(meta, sections, register,
                   findings=findings_register.register(own_findings) if own_findings else None,
                   computed=maker.computed)
    if not any(FORMATS[f].glossary for f in d.formats):
        return doc, findings
    return dataclasses.replace(doc, meta=dataclasses.replace(meta, glossary=glossary(doc))), findings


def distribution(eng: Engagement, service: int) -> tuple[tuple[str, str, str], ...]:
    """分发范围: the people working on the service (else the engagement's), the customer's first, each as
    (name, organisation, role in the service)."""
    team = eng.team(service)
    if team:
        return tuple((m.name, m.org, m.role) for m in sorted(team, key=lambda m: m.vendor))
    people = sorted(eng.people, key=lambda p: p.get("org") == eng.vendor)
    return tuple((str(p.get("name", "")), str(p.get("org", "")), str(p.get("role", ""))) for p in people)
