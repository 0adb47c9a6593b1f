"""A service's plan: phases, tasks and milestones placed in the service period, and the date of every deliverable.

The spec gives the structure (its `plan:`: phases with a weight, tasks with an owner
role, a milestone, the deliverables each phase closes; the kinds say where the others
go); the engagement gives the facts (the service period, per-deliverable overrides in
`dates:`, the date of each meeting). Dates are Chinese working days (core.workdays),
so the same inputs always give the same plan:

1. The period's working days are shared out among the phases by weight (each gets
   at least one when there are enough), and each phase's among its tasks.
2. A deliverable listed by a phase (or sent there by its kind) is dated on the
   phase's first day (anchor start: the kickoff), its last day (anchor end: the
   work plan, the acceptance report) or, for the rest, spread evenly over the
   phase in the order listed, the last on the phase's last day.
3. Minutes that review issued documents are dated the working day after the last of
   them (minutes that review drafts are placed by their phase, and the documents they
   review must not be dated before them); a sign-in sheet takes its training's date.
4. `dates:` overrides a deliverable's date; a meeting's own date dates its minutes.

Every document is then dated by its own milestone. A deliverable dated before the
kickoff or after the acceptance report, or minutes of a review dated before what they
review, are errors (`plan.*`), also found by `sowpack check` in a written pack.
"""
from __future__ import annotations

import datetime as dt
import difflib
from typing import Any
from dataclasses import dataclass, field

from pipeline.core.errors import Finding, Location
from pipeline.core.text import cn_date
from pipeline.core.workdays import CalendarUnknown, is_working_day
from pipeline.inputs.model import Engagement, Member, Purchase
from pipeline.specs.model import PLAN_ROLES, DeliverableSpec, PhaseSpec, SowSpec, TaskSpec


#: Kinds whose documents need the plan (and so a service period).
PLANNED_KINDS = ("kickoff", "work-plan", "minutes")
#: The phase a service without any plan runs as.
SINGLE_PHASE = PhaseSpec("服务实施", 1.0, "全部交付物提交客户确认",
                         (TaskSpec("实施服务并编制交付物", "服务方技术专家"),
                          TaskSpec("审核交付物并确认", "客户项目经理")))


@dataclass(frozen=True)
class PlannedTask:
    phase: str
    name: str
    owner: str  # a PLAN_ROLES label
    people: tuple[str, ...]
    start: dt.date
    end: dt.date


@dataclass(frozen=True)
class PlannedPhase:
    name: str
    start: dt.date
    end: dt.date
    milestone: str
    #: The milestone's date: the phase's end, or the last of its deliverables when an override moved it later.
    milestone_date: dt.date
    tasks: tuple[PlannedTask, ...]
    deliverables: tuple[str, ...]


@dataclass(frozen=True)
class PlannedDeliverable:
    id: str
    kind: str
    phase: str
    date: dt.date
    #: plan / override / meeting / training / review: what dated it.
    source: str
    reviews: tuple[str, ...] = ()
    #: final / draft: whether the meeting reviews the issued documents or their drafts.
    review_of: str = "final"


@dataclass
class ServicePlan:
    """Everything dated about one bought service."""

    service: int
    start: dt.date | None
    end: dt.date | None
    phases: list[PlannedPhase] = field(default_factory=list)
    deliverables: dict[str, PlannedDeliverable] = field(default_factory=dict)
    team: list[Member] = field(default_factory=list)
    #: PLAN_ROLES label -> names filling it on this service.
    roles: dict[str, list[str]] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)

    @property
    def dated(self) -> bool:
        """False when the service has no period: documents then carry the engagement's date."""
        return bool(self.phases)

    def date_of(self, did: str) -> dt.date | None:
        d = self.deliverables.get(did)
        return d.date if d else None

    @property
    def kickoff(self) -> dt.date | None:
        """The earliest kickoff document's date, else the service's start."""
        days = [d.date for d in self.deliverables.values() if d.kind == "kickoff"]
        return min(days) if days else self.start

    @property
    def acceptance(self) -> dt.date | None:
        """The latest acceptance report's date, else the service's end."""
        days = [d.date for d in self.deliverables.values() if d.kind == "acceptance-report"]
        return max(days) if days else self.end


def working_days_in(first: dt.date, last: dt.date, notes: list[str]) -> list[dt.date]:
    """Working days from first to last (inclusive); a day of an unknown year counts Monday to Friday (noted)."""
    days, day = [], first
    while day <= last:
        try:
            if is_working_day(day):
                days.append(day)
        except CalendarUnknown as exc:
            if not notes:
                notes.append(str(exc))
            if day.weekday() < 5:
                days.append(day)
        day += dt.timedelta(days=1)
    return days or [first]


def _share(n: int, weights: list[float]) -> list[int]:
    """n days shared in proportion to the weights (largest remainder), at least one each."""
    k = len(weights)
    if n < k:
        return [1] * k  # phases overlap on the few days there are
    total = sum(weights)
    raw = [n * w / total for w in weights]
    out = [max(1, int(r)) for r in raw]
    while sum(out) > n:  # the minimum of one day took days from the others
        i = max((j for j in range(k) if out[j] > 1), key=lambda j: (out[j] - raw[j], out[j]))
        out[i] -= 1
    order = sorted(range(k), key=lambda i: (-(raw[i] - out[i]), i))
    for i in order[:n - sum(out)]:
        out[i] += 1
    return out


def _slices(days: list[dt.date], sizes: list[int]) -> list[list[dt.date]]:
    """Consecutive runs of days of the given sizes; past the end, the last day."""
    out, pos = [], 0
    for size in sizes:
        out.append(days[pos:pos + size] if pos < len(days) else [days[-1]])
        pos += size
    return out


def _spread(days: list[dt.date], count: int) -> list[dt.date]:
    """count dates spread over days, the i-th at i/count of the way, the last on the last day."""
    n = len(days)
    return [days[max(0, round(i * n / count) - 1)] for i in range(1, count + 1)]


def _roles(p: Purchase, team: list[Member]) -> dict[str, list[str]]:
    vendor_pm, customer_pm = p.managers.get("vendor"), p.managers.get("customer")
    acceptor = p.signatories.get("customer")
    roles = {
        "服务方项目经理": [vendor_pm] if vendor_pm else [],
        "服务方技术专家": [m.name for m in team if m.vendor and m.name != vendor_pm],
        "客户项目经理": [customer_pm] if customer_pm else [],
        "客户技术团队": ([m.name for m in team if not m.vendor and m.name not in (customer_pm, acceptor)]
                   or [n for n in (acceptor,) if n and n != customer_pm]),
        "客户验收人": [acceptor] if acceptor else [],
    }
    # A role nobody fills falls to the manager of its side.
    if not roles["服务方技术专家"]:
        roles["服务方技术专家"] = list(roles["服务方项目经理"])
    if not roles["客户技术团队"]:
        roles["客户技术团队"] = list(roles["客户项目经理"])
    return roles


#: For each owner role: the role accountable for its tasks and the role consulted on them.
_ACCOUNTABLE = {"服务方项目经理": "服务方项目经理", "服务方技术专家": "服务方项目经理",
                "客户项目经理": "客户项目经理", "客户技术团队": "客户项目经理", "客户验收人": "客户验收人"}
_CONSULTED = {"服务方项目经理": "客户项目经理", "服务方技术专家": "客户技术团队",
              "客户项目经理": "服务方项目经理", "客户技术团队": "服务方技术专家", "客户验收人": "服务方项目经理"}


def raci(phase: PlannedPhase) -> dict[str, str]:
    """role -> 'R/A'-style letters for one phase, from its tasks' owners (R), their side's
    accountable role (A), the other side's counterpart (C); every other role is informed (I)."""
    letters: dict[str, set[str]] = {r: set() for r in PLAN_ROLES}
    for t in phase.tasks:
        letters[t.owner].add("R")
        letters[_ACCOUNTABLE[t.owner]].add("A")
        letters[_CONSULTED[t.owner]].add("C")
    out = {}
    for role, got in letters.items():
        if "R" in got:
            got.discard("C")
        out[role] = "/".join(x for x in "RACI" if x in got) or "I"
    return out


def _placed_phase(d: DeliverableSpec, phases: list[PhaseSpec], weights: list[int]) -> int:
    for i, ph in enumerate(phases):
        if d.id in ph.deliverables:
            return i
    if d.phase == "first" or len(phases) == 1:
        return 0
    if d.phase == "last":
        return len(phases) - 1
    middle = list(range(1, len(phases) - 1)) or [0]
    return max(middle, key=lambda i: (weights[i], -i))


def plan_service(spec: SowSpec, p: Purchase, eng: Engagement) -> ServicePlan:
    """The plan of one bought service, with every finding about its dates."""
    team = eng.team(p.service)
    plan = ServicePlan(p.service, p.start, p.end, team=team, roles=_roles(p, team))
    ids: dict[str, Any] = dict(service=p.service)
    delivs = spec.for_package(p.package, p.select)
    by_id = {d.id: d for d in delivs}
    answers = eng.answers.get(p.service)
    meetings = {did: a.meeting for did, a in (answers.deliverables.items() if answers else ()) if a.meeting}
    if p.start is None or p.end is None or p.end < p.start:
        need = sorted({d.kind for d in delivs if d.kind in PLANNED_KINDS})
        if need:
            what = "an end on or after its start" if p.start and p.end else "'start' and 'end' dates"
            plan.findings.append(Finding("plan.no-period", f"service {p.service} needs {what} to plan its "
                                         f"{'、'.join(need)} documents", p.location, **ids))
        return plan
    notes: list[str] = []
    days = working_days_in(p.start, p.end, notes)
    covered = spec.covered(p.package)
    phases = [ph for ph in spec.plan if ph.included_in(covered)] or [SINGLE_PHASE]
    sizes = _share(len(days), [ph.weight for ph in phases])
    chunks = _slices(days, sizes)
    # Place the deliverables that depend on no other.
    placed: dict[int, list[DeliverableSpec]] = {i: [] for i in range(len(phases))}
    later: list[DeliverableSpec] = []
    for d in delivs:
        listed = any(d.id in ph.deliverables for ph in phases)
        trains = d.kind == "sign-in" and _training_of(d, delivs) is not None
        reviews = d.kind == "minutes" and d.review_of == "final" and any(r in by_id for r in d.reviews)
        if not listed and (trains or reviews):
            later.append(d)
        else:
            placed[_placed_phase(d, phases, sizes)].append(d)
    dates = _place(phases, chunks, placed, delivs)  # id -> (date, source, phase)
    overrides = _overrides(p, by_id, plan.findings)
    for did, day in overrides.items():
        if did in dates:
            dates[did] = (day, "override", dates[did][2])
    # Then those that follow another: a training's sign-in sheet, a review's minutes.
    for d in later:
        if d.kind == "sign-in":
            t = _training_of(d, delivs)
            assert t is not None  # `later` holds only sheets whose training is bought
            day, _, phase = dates[t.id]
            dates[d.id] = (day, "training", phase)
        else:
            reviewed = [dates[r] for r in d.reviews if r in dates]
            last = max(reviewed)
            day = _next_working_day(last[0], p.end, notes)
            dates[d.id] = (day, "review", last[2])
        if d.id in overrides:
            dates[d.id] = (overrides[d.id], "override", dates[d.id][2])
    for did, m in meetings.items():
        if did not in dates:
            continue
        if did in overrides and overrides[did] != m.date:
            plan.findings.append(Finding("input.bad-value", f"'dates.{did}' ({overrides[did].isoformat()}) and the "
                                         f"meeting's date ({m.date.isoformat()}) differ; the minutes are dated by "
                                         "the meeting: remove the override", p.where(f"dates.{did}"),
                                         deliverable=did, **ids))
        dates[did] = (m.date, "meeting", dates[did][2])
    for d in delivs:
        day, source, phase = dates[d.id]
        plan.deliverables[d.id] = PlannedDeliverable(d.id, d.kind, phase, day, source,
                                                     tuple(r for r in d.reviews if r in by_id), d.review_of)
    # Phases, their tasks and milestones.
    for i, ph in enumerate(phases):
        chunk = chunks[i]
        tasks = ph.tasks or SINGLE_PHASE.tasks
        tsizes = _share(len(chunk), [1.0] * len(tasks))
        planned = []
        for task, tchunk in zip(tasks, _slices(chunk, tsizes), strict=True):
            planned.append(PlannedTask(ph.name, task.name, task.owner, tuple(plan.roles.get(task.owner, ())),
                                       tchunk[0], tchunk[-1]))
        mine = tuple(d.id for d in delivs if plan.deliverables[d.id].phase == ph.name)
        # The milestone is the phase's end, or later when an override moved one of its deliverables.
        closing = [plan.deliverables[x].date for x in mine]
        plan.phases.append(PlannedPhase(ph.name, chunk[0], chunk[-1], ph.milestone or f"{ph.name}完成",
                                        max([chunk[-1]] + closing), tuple(planned), mine))
    if notes:
        plan.findings.append(Finding("plan.calendar-unknown", f"{notes[0]}: service {p.service} is planned on "
                                     "Monday to Friday for those days", p.location, **ids))
    plan.findings += check_order(plan, spec, p, meetings)
    return plan


def _place(phases: list[PhaseSpec], chunks: list[list[dt.date]], placed: dict[int, list[DeliverableSpec]],
           delivs: list[DeliverableSpec]) -> dict[str, tuple[dt.date, str, str]]:
    """Each placed deliverable's (date, 'plan', phase): anchored on its phase's first or last day, the
    others spread over the phase in the order it lists them."""
    dates: dict[str, tuple[dt.date, str, str]] = {}
    for i, ph in enumerate(phases):
        chunk = chunks[i]
        order = list(ph.deliverables)
        items = sorted(placed[i], key=lambda d: (order.index(d.id) if d.id in order else len(order), delivs.index(d)))
        spread = [d for d in items if d.anchor is None]
        # The anchored ones keep their day to themselves when the phase has others to spare.
        room = chunk[1 if any(d.anchor == "start" for d in items) and len(chunk) > 2 else 0:]
        room = room[:-1] if any(d.anchor == "end" for d in items) and len(room) > 1 else room
        for d, day in zip(spread, _spread(room, len(spread)) if spread else [], strict=True):
            dates[d.id] = (day, "plan", ph.name)
        for d in items:
            if d.anchor == "start":
                dates[d.id] = (chunk[0], "plan", ph.name)
            elif d.anchor == "end":
                dates[d.id] = (chunk[-1], "plan", ph.name)
    return dates


def _overrides(p: Purchase, by_id: dict[str, DeliverableSpec], findings: list[Finding]) -> dict[str, dt.date]:
    """The inputs' `dates:` overrides that name a deliverable of the service inside its period."""
    assert p.start is not None and p.end is not None  # plan_service plans only a service with a period
    ids: dict[str, Any] = dict(service=p.service)
    overrides = dict(p.dates)
    for did in sorted(overrides):
        if did not in by_id:
            close = difflib.get_close_matches(did, list(by_id), n=1)
            hint = f"; did you mean '{close[0]}'?" if close else f"; the deliverables are {', '.join(by_id)}"
            findings.append(Finding("input.unknown-deliverable", f"'dates' names '{did}', which is not a "
                                    f"deliverable of service {p.service} ({p.package}){hint}",
                                    p.where(f"dates.{did}"), **ids))
            del overrides[did]
        elif not p.start <= overrides[did] <= p.end:
            findings.append(Finding("plan.outside-period", f"'dates.{did}' is {overrides[did].isoformat()}, "
                                    f"outside the service period {p.start.isoformat()} – {p.end.isoformat()}",
                                    p.where(f"dates.{did}"), deliverable=did, **ids))
    return overrides


def _training_of(d: DeliverableSpec, delivs: list[DeliverableSpec]) -> DeliverableSpec | None:
    for t in delivs:
        if t.kind == "training" and ((d.choice and t.choice == d.choice) or
                                     (d.evidence_for and t.evidence_for == d.evidence_for)):
            return t
    return None


def _next_working_day(day: dt.date, last: dt.date, notes: list[str]) -> dt.date:
    """The first working day after day, but never after last (then day itself, or last)."""
    if day >= last:
        return day
    return working_days_in(day + dt.timedelta(days=1), last, notes)[0]


def _where(p: Purchase, spec: SowSpec, pd: PlannedDeliverable, meetings: dict) -> Location:
    """Where a date comes from: the meeting's date, the override, else the spec's phase that placed it."""
    if pd.source == "meeting":
        return meetings[pd.id].where("date")
    if pd.source == "override":
        return p.where(f"dates.{pd.id}")
    line = next((ph.line for ph in spec.plan if ph.name == pd.phase), None)
    return Location(spec.path, line)


def check_order(plan: ServicePlan, spec: SowSpec, p: Purchase, meetings: dict) -> list[Finding]:
    """Deliverables dated before the kickoff or after the acceptance report; reviews before what they review."""
    out = []
    first, last = plan.kickoff, plan.acceptance
    for pd in plan.deliverables.values():
        ids: dict[str, Any] = dict(service=p.service, deliverable=pd.id)
        where = _where(p, spec, pd, meetings)
        if pd.kind != "kickoff" and first and pd.date < first:
            out.append(Finding("plan.before-kickoff", f"'{pd.id}' is dated {cn_date(pd.date)}, before the kickoff "
                               f"({cn_date(first)})", where, **ids))
        if pd.kind != "acceptance-report" and last and pd.date > last:
            out.append(Finding("plan.after-acceptance", f"'{pd.id}' is dated {cn_date(pd.date)}, after the acceptance "
                               f"report ({cn_date(last)})", where, **ids))
        for r in pd.reviews:
            reviewed = plan.deliverables[r]
            if pd.review_of == "final" and pd.date < reviewed.date:
                out.append(Finding("plan.review-before-document", f"the review meeting '{pd.id}' is dated "
                                   f"{cn_date(pd.date)}, before '{r}' which it reviews ({cn_date(reviewed.date)})",
                                   where, **ids))
            elif pd.review_of == "draft" and reviewed.date < pd.date:
                out.append(Finding("plan.final-before-review", f"'{r}' is dated {cn_date(reviewed.date)}, before the "
                                   f"meeting '{pd.id}' that reviewed its draft ({cn_date(pd.date)}); the issued "
                                   "document follows its review", _where(p, spec, reviewed, meetings), **ids))
    return out


def plans_for(eng: Engagement, specs: dict[int, SowSpec]) -> dict[int, ServicePlan]:
    """The plan of every bought service that has a spec."""
    return {p.service: plan_service(specs[p.service], p, eng) for p in eng.purchases if p.service in specs}
