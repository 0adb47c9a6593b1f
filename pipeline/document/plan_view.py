"""The plan, the team and the project facts as the text templates see them (plain dicts, Chinese dates),
and the Gantt block the templates place with the line `@@gantt@@`."""
from __future__ import annotations

from pipeline.core.text import cn_date
from pipeline.core.workdays import CalendarUnknown, working_days_between
from pipeline.document.nodes import Gantt, GanttBar
from pipeline.document.plan import ServicePlan, raci, working_days_in
from pipeline.inputs.model import Engagement, Meeting, Project, Purchase
from pipeline.specs.model import PLAN_ROLES, SowSpec

#: The line a template writes where the plan's Gantt chart goes.
GANTT_MARK = "@@gantt@@"
#: Prefixes of a deliverable's evidence_for that name the kind of event, not the event.
_EVENT_PREFIXES = ("会议：", "培训：", "专场咨询：")
_ORDINALS = "一二三四五六七八九十"


def short_date(day) -> str:
    """3月16日: the year is on the cover, a table of one service's dates needs only month and day."""
    return f"{day.month}月{day.day}日" if day else "—"


def ordinal(n: int) -> str:
    return _ORDINALS[n - 1] if 1 <= n <= 10 else str(n)


def person(eng: Engagement, service: int, name: str | None) -> dict:
    m = eng.member(service, name) if name else None
    return m.as_dict() if m else {"name": name or "", "org": "", "role": "", "phone": "", "email": "", "dept": "",
                                  "side": ""}


def _event(d_title: str, evidence: str | None) -> str:
    text = evidence or d_title
    for p in _EVENT_PREFIXES:
        if text.startswith(p):
            return text[len(p):]
    return text


def plan_context(plan: ServicePlan | None, spec: SowSpec, p: Purchase, eng: Engagement, titles: dict[str, str]) -> dict:
    """{dated, start, end, working_days, phases, milestones, deliverables, roles, raci, meetings} for templates."""
    if plan is None or not plan.dated:
        return {"dated": False, "start": "", "end": "", "working_days": 0, "phases": [], "milestones": [],
                "deliverables": {}, "roles": [], "raci": [], "meetings": []}
    assert plan.start is not None and plan.end is not None  # a dated plan has its period
    try:
        working = working_days_between(plan.start, plan.end) + 1
    except CalendarUnknown:
        working = sum(len(_days(ph)) for ph in plan.phases)
    phases = []
    for i, ph in enumerate(plan.phases, 1):
        phases.append({
            "number": ordinal(i), "name": ph.name, "start": short_date(ph.start), "end": short_date(ph.end),
            "start_full": cn_date(ph.start), "end_full": cn_date(ph.end), "days": len(_days(ph)),
            "milestone": ph.milestone, "milestone_date": short_date(ph.milestone_date),
            "tasks": [{"name": t.name, "owner": t.owner, "people": "、".join(t.people) or "—",
                       "start": short_date(t.start), "end": short_date(t.end)} for t in ph.tasks],
            "deliverables": [titles[d] for d in ph.deliverables if d in titles],
        })
    milestones = [{"number": i, "name": ph.milestone, "phase": ph.name, "date": short_date(ph.milestone_date),
                   "date_full": cn_date(ph.milestone_date),
                   "deliverables": "、".join(f"《{titles[d]}》" for d in ph.deliverables if d in titles) or "—"}
                  for i, ph in enumerate(plan.phases, 1)]
    deliverables = {d.id: {"date": cn_date(d.date), "short_date": short_date(d.date), "phase": d.phase,
                           "iso": d.date.isoformat()} for d in plan.deliverables.values()}
    roles = [{"role": r, "people": "、".join(plan.roles.get(r) or []) or "—",
              "header": f"{r}（{'、'.join(plan.roles[r])}）" if plan.roles.get(r) else r}
             for r in PLAN_ROLES if plan.roles.get(r)]
    matrix = []
    for ph in plan.phases:
        letters = raci(ph)
        matrix.append({"phase": ph.name, "cells": [letters[r["role"]] for r in roles]})
    return {"dated": True, "start": cn_date(plan.start), "end": cn_date(plan.end), "working_days": working,
            "phases": phases, "milestones": milestones, "deliverables": deliverables, "roles": roles,
            "raci": matrix, "meetings": meetings(plan, spec, p, eng, titles)}


def _days(ph) -> list:
    return working_days_in(ph.start, ph.end, [])


def meetings(plan: ServicePlan, spec: SowSpec, p: Purchase, eng: Engagement, titles: dict[str, str]) -> list[dict]:
    """The meeting calendar: the kickoff, every meeting with minutes, trainings, the acceptance; by date."""
    assert plan.start is not None  # only a dated plan has a calendar
    answers = eng.answers.get(p.service)
    recorded = {did: a.meeting for did, a in (answers.deliverables.items() if answers else ()) if a.meeting}
    vendor_pm = p.managers.get("vendor", "")
    customer_pm = p.managers.get("customer", "")
    rows = []
    for d in spec.for_package(p.package, p.select):
        pd = plan.deliverables.get(d.id)
        if pd is None:
            continue
        m: Meeting | None = recorded.get(d.id)
        if d.kind == "kickoff":
            name, who = "项目启动会", f"双方项目组（{vendor_pm}、{customer_pm}牵头）"
        elif d.kind == "minutes":
            name = _event(titles[d.id], d.evidence_for)
            who = "、".join(m.attendees) if m else f"{vendor_pm}、{customer_pm}及相关人员"
        elif d.kind == "training":
            name, who = f"培训：{_event(titles[d.id], d.evidence_for)}", f"{eng.customer_short}相关技术人员"
        elif d.kind == "acceptance-report":
            names = dict.fromkeys(x for x in (p.signatories.get("customer"), customer_pm, vendor_pm) if x)
            name, who = "验收确认", "、".join(names)
        else:
            continue
        rows.append({"date": short_date(pd.date), "iso": pd.date.isoformat(), "name": name,
                     "time": m.time if m else "", "place": m.place if m else "", "who": who,
                     "output": f"《{titles[d.id]}》"})
    if not any(d.kind == "kickoff" for d in spec.for_package(p.package, p.select)):
        # A service without a kickoff document still starts with a meeting of the two teams.
        plans = [titles[d.id] for d in spec.for_package(p.package, p.select) if d.kind == "work-plan"]
        rows.append({"date": short_date(plan.start), "iso": plan.start.isoformat(), "name": "服务启动会", "time": "",
                     "place": "", "who": f"双方项目组（{vendor_pm}、{customer_pm}牵头）",
                     "output": f"《{plans[0]}》（确认）" if plans else "服务范围与接口人确认"})
    rows.sort(key=lambda r: (r["iso"], r["name"]))
    return rows


def gantt(plan: ServicePlan | None, title: str) -> Gantt:
    """Tasks and milestones of every phase, in order."""
    bars = []
    for ph in (plan.phases if plan else ()):
        for t in ph.tasks:
            bars.append(GanttBar(t.name, t.start.isoformat(), t.end.isoformat(), ph.name))
        bars.append(GanttBar(ph.milestone, ph.milestone_date.isoformat(), ph.milestone_date.isoformat(), ph.name, True))
    return Gantt(title, tuple(bars))


def project_context(project: Project | None, plan: ServicePlan | None) -> dict:
    """Background, objectives, risks (owner with role), status meeting and channels."""
    if project is None:
        return {"background": "", "objectives": [], "risks": [], "status_meeting": {}, "channels": []}
    team = {m.name: m for m in (plan.team if plan else [])}
    return {"background": project.background, "objectives": list(project.objectives),
            "risks": [{"risk": r.risk, "impact": r.impact, "mitigation": r.mitigation, "owner": r.owner,
                       "owner_role": team[r.owner].role if r.owner in team else ""} for r in project.risks],
            "status_meeting": dict(project.status_meeting), "channels": list(project.channels)}


def meeting_context(m: Meeting | None, eng: Engagement, service: int, reviewed: list[dict]) -> dict:
    """A meeting record for the minutes template: attendees split by side, actions with Chinese dates."""
    if m is None:
        return {"present": False}

    def who(name: str) -> dict:
        member = eng.member(service, name)
        if member is not None:
            return member.as_dict()
        p = next((x for x in eng.people if x.get("name") == name), {})
        return {"name": name, "org": p.get("org", ""), "role": p.get("role", ""),
                "side": "vendor" if p.get("org") == eng.vendor else "customer"}
    attendees = [who(a) for a in m.attendees]
    return {"present": True, "date": cn_date(m.date), "time": m.time, "place": m.place, "host": who(m.host),
            "recorder": who(m.recorder),
            "customer": [a for a in attendees if a["side"] != "vendor"],
            "vendor": [a for a in attendees if a["side"] == "vendor"],
            "agenda": [{"number": ordinal(i), "item": a.title,
                        "discussion": a.discussion, "comments": list(a.comments)} for i, a in enumerate(m.agenda, 1)],
            "verdict": m.verdict or "", "conclusion": m.conclusion, "reviewed": reviewed,
            "actions": [{"action": a.action, "owner": a.owner, "owner_role": who(a.owner)["role"],
                         "due": cn_date(a.due), "status": a.status} for a in m.actions]}
