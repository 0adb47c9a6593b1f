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
from pipeline.document.nodes import Block, ColumnDef, Document, Meta, Register, Section
from pipeline.core.errors import Finding, Location, relpath
from pipeline.inputs.model import Answers, DeliverableAnswers, Engagement, Purchase
from pipeline.specs.model import DeliverableSpec, SectionSpec, SowSpec
from pipeline.core.paths import TEMPLATES
from pipeline.core.text import cn_date
from pipeline.document.templating import HEADING, environment, undeclared_headings, unknown_section
from pipeline.core.text import bad_char, find_placeholder
from pipeline.core.values import BadValue, parse
from pipeline.ledger.view import ledger_context

@dataclass
class Job:
    """One deliverable of one bought service: everything needed to assemble it."""

    spec: SowSpec
    deliverable: DeliverableSpec
    purchase: Purchase
    answers: Answers | None

    @property
    def key(self) -> str:
        return f"{self.spec.service:02d}/{self.deliverable.id}"


def jobs_for(engagement: Engagement, specs: dict[int, SowSpec]) -> list[Job]:
    """The deliverables of every bought service and package (and the optional ones selected).

    For a package the spec does not know (an error reported beside), the deliverables
    every package has and those the answers give are assembled, so that their answers
    are checked in the same build.
    """
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
            jobs.append(Job(spec, d, p, answers))
    return jobs


def _deliverable_view(spec: SowSpec, d: DeliverableSpec, customer_short: str) -> dict:
    return {"id": d.id, "title": d.display_title(customer_short), "seed_name": d.seed_name,
            "kind": d.kind, "formats": list(d.formats), "evidence_for": d.evidence_for or "",
            "sections": [s.title for s in d.sections], "aliases": list(d.aliases),
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


def _person(people: list[dict], mine, prefer: tuple[str, ...]) -> dict:
    """The first person of one party whose role holds a preferred word (in that order), else its first person."""
    own = [p for p in people if mine(p)]
    for word in prefer:
        for p in own:
            if word in str(p.get("role", "")):
                return p
    return own[0] if own else {}


def signatories(eng: Engagement) -> dict[str, dict]:
    """Who signs for each party: the customer's acceptor (验收人) and the vendor's project manager."""
    vendor = lambda p: p.get("org") == eng.vendor  # noqa: E731
    customer = _person(eng.people, lambda p: not vendor(p), ("验收", "项目经理", "负责人"))
    ours = _person(eng.people, vendor, ("项目经理", "负责人"))
    return {"customer": {"name": str(customer.get("name", "")), "role": str(customer.get("role", ""))},
            "vendor": {"name": str(ours.get("name", "")), "role": str(ours.get("role", ""))}}


#: Default 密级 of a document when document_control gives no `classification`.
CLASSIFICATION = "内部"


def context(job: Job, eng: Engagement) -> dict[str, Any]:
    """The typed context every text template receives."""
    spec, p = job.spec, job.purchase
    short = eng.customer_short
    dc = eng.document_control
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
        "people": eng.people,
        "signatories": signatories(eng),
        "document_control": {"version": dc.get("version", "V1.0"), "author": dc.get("author", ""),
                             "reviewer": dc.get("reviewer", ""), "approver": dc.get("approver", ""),
                             "classification": dc.get("classification") or CLASSIFICATION},
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
        "deliverable": _deliverable_view(spec, job.deliverable, short),
        "deliverables": [_deliverable_view(spec, d, short) for d in spec.for_package(p.package, p.select)],
        "facts": job.answers.facts if job.answers else {},
        # Sign-off ledger (engagement folder): each covered deliverable's dates and status, for closing documents.
        "ledger": ledger,
    }


#: Kinds written at the start of a service; everything else is dated at its end.
START_KINDS = ("kickoff", "work-plan")
#: Kinds dated by the ledger: the day their statuses are given as of.
LEDGER_DATED = ("acceptance-report",)


def document_date(job: Job, eng: Engagement) -> dt.date:
    """The date of a service's document: its start or end, else the engagement date (the ledger may date an
    acceptance report later: context()['date'])."""
    p = job.purchase
    when = p.start if job.deliverable.kind in START_KINDS else p.end
    return when or eng.date


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
            blocks = to_blocks(templated[s.title])
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
    if value is None or (isinstance(value, str) and not value.strip()):
        return "", None
    try:
        return parse(value, ctype), None
    except BadValue as exc:
        return str(value).strip(), str(exc)


def _register(job: Job, eng: Engagement, title: str, da: DeliverableAnswers | None, answers_loc: Location,
              findings: list[Finding]) -> Register | None:
    d = job.deliverable
    if not d.columns:
        return None
    cols = [ColumnDef(c.name, c.allowed, c.type, c.width) for c in d.columns]
    ids: dict[str, Any] = dict(service=job.spec.service, deliverable=d.id)
    if d.template == "sign-in" and (da is None or da.rows is None or "序号" not in da.rows.header):
        # The attendees (an attendee list given once in the answers' data, shared by every
        # sheet of the course), else the customer's project members; 序号 is counted, and
        # sign-in time and signature are filled by hand at the session.
        if da is not None and da.rows is not None:
            attendees = [{k: "" if v is None else str(v).strip() for k, v in r.items()} for r in da.rows.rows]
        else:
            people = [p for p in eng.people if p.get("org") != eng.vendor] or eng.people
            attendees = [{"姓名": p.get("name", ""), "部门": p.get("dept") or p.get("org", ""),
                          "职务": p.get("role", ""), "联系方式": p.get("phone", "") or p.get("email", "")}
                         for p in people]
            for p, known in zip(people, attendees, strict=True):
                blank = [k for k in ("姓名", "部门", "职务", "联系方式")
                         if any(c.name == k for c in cols) and not known[k]]
                if blank:
                    findings.append(Finding("input.blank-cell",
                                            f"{d.seed_name} ('{d.id}') lists {p.get('name') or 'a person'}"
                                            f" from engagement.yaml people, who has no {'、'.join(blank)}; add "
                                            "phone: (or email:) and role: to that person", eng.people_location, **ids))
            if not attendees:
                findings.append(Finding("input.missing-rows", f"{d.seed_name} ('{d.id}') lists the customer's people: "
                                        "add them under people: in engagement.yaml (name, org, role), or give "
                                        f"deliverables.{d.id}.rows", answers_loc if da is None else da.location,
                                        **ids))
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
    for i, row in enumerate(rows.rows):
        out = []
        for c in cols:
            value, bad = typed_cell(row.get(c.name), c.type)
            is_blank = value == "" and c.name in rows.header
            if not bad and not is_blank and not (c.allowed and value != "" and str(value) not in c.allowed) and not (
                    isinstance(value, str) and (find_placeholder(value) or bad_char(value))):
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
    findings: list[Finding] = []
    ctx = context(job, eng) if ctx is None else ctx
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
    sections = _build_sections(d.sections, 1, job, templated, da, answers_loc, maker, findings)
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
                classification=str(dc["classification"]), draft=draft, distribution=distribution(eng))
    doc = Document(meta, sections, register,
                   findings=findings_register.register(own_findings) if own_findings else None,
                   computed=maker.computed)
    return dataclasses.replace(doc, meta=dataclasses.replace(meta, glossary=glossary(doc))), findings


def distribution(eng: Engagement) -> tuple[tuple[str, str, str], ...]:
    """分发范围: the engagement's people, the customer's first, each as (name, organisation, role)."""
    people = sorted(eng.people, key=lambda p: p.get("org") == eng.vendor)
    return tuple((str(p.get("name", "")), str(p.get("org", "")), str(p.get("role", ""))) for p in people)
