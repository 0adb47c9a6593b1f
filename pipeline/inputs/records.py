"""Project facts and meeting records in a service's answers: `project:` and `deliverables.<id>.meeting:`.

Shapes and types are checked here, each problem at its line; names are checked
against the service's team by check_names() once engagement.yaml's people are known;
what the spec asks of them (a review's verdict, a meeting dated after what it
reviews) is checked where the documents are planned (document/plan.py).
"""
from __future__ import annotations

import difflib
from typing import Any

from pipeline.core.text import unfold
from pipeline.core.validate import Collector, keyname
from pipeline.core.yamlio import loc
from pipeline.inputs.model import (ACTION_STATES, RISK_LEVELS, VERDICTS, Action, AgendaItem, Meeting, Member,
                                   Project, Risk)

MEETING_REQUIRED = ("date", "time", "place", "host", "recorder", "attendees", "agenda", "conclusion", "actions")
MEETING_OPTIONAL = ("verdict",)
PROJECT_KEYS = ("background", "objectives", "risks", "status_meeting", "channels")


def _text(c: Collector, value: Any, kp: tuple, what: str = "text") -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not c.typed(value, kp, str, what=what):
        return ""
    if not value.strip():
        c.add("missing-key", f"'{keyname(kp)}' is empty; write it", kp)
    return unfold(value.strip())


def _strings(c: Collector, value: Any, kp: tuple, what: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not c.typed(value, kp, list, what=what):
        return ()
    return tuple(t for i, v in enumerate(value) if (t := _text(c, v, kp + (i,))))


def read_meeting(c: Collector, raw: Any, kp: tuple) -> Meeting | None:
    """deliverables.<id>.meeting: the record a minutes document is written from."""
    m = c.mapping(raw, kp, MEETING_REQUIRED, MEETING_OPTIONAL)
    if m is None or any(m.get(k) is None for k in MEETING_REQUIRED):
        return None
    locs = {}

    def at(key: tuple) -> tuple:
        locs[".".join(str(k) if not isinstance(k, int) else f"[{k}]" for k in key).replace(".[", "[")] = \
            loc(c.path, c.positions, kp + key)
        return kp + key

    day = c.date(m["date"], at(("date",)))
    attendees = _strings(c, m["attendees"], at(("attendees",)), "a list of names")
    for i in range(len(m["attendees"]) if isinstance(m["attendees"], list) else 0):
        at(("attendees", i))
    agenda = []
    if c.typed(m["agenda"], at(("agenda",)), list, what="a list of {item, discussion}"):
        for i, a in enumerate(m["agenda"]):
            am = c.mapping(a, at(("agenda", i)), ["item", "discussion"], ["comments"])
            if am and am.get("item") is not None and am.get("discussion") is not None:
                agenda.append(AgendaItem(_text(c, am["item"], kp + ("agenda", i, "item")),
                                         _text(c, am["discussion"], kp + ("agenda", i, "discussion")),
                                         _strings(c, am.get("comments"), kp + ("agenda", i, "comments"),
                                                  "a list of comments")))
        if not m["agenda"]:
            c.add("missing-key", f"'{keyname(kp + ('agenda',))}' is empty; list what the meeting discussed",
                  kp + ("agenda",))
    actions = []
    if c.typed(m["actions"], at(("actions",)), list, what="a list of {action, owner, due, status}"):
        for i, a in enumerate(m["actions"]):
            ak = ("actions", i)
            am = c.mapping(a, at(ak), ["action", "owner", "due", "status"], [])
            if not am or any(am.get(k) is None for k in ("action", "owner", "due", "status")):
                continue
            at(ak + ("owner",))
            at(ak + ("due",))
            due = c.date(am["due"], kp + ak + ("due",))
            if c.choice(am["status"], at(ak + ("status",)), ACTION_STATES) and due is not None:
                actions.append(Action(_text(c, am["action"], kp + ak + ("action",)),
                                      _text(c, am["owner"], kp + ak + ("owner",)), due, am["status"]))
        if not m["actions"]:
            c.add("missing-key", f"'{keyname(kp + ('actions',))}' is empty; minutes record at least one action "
                  "with its owner, due date and status", kp + ("actions",))
    verdict = m.get("verdict")
    if verdict is not None and not c.choice(verdict, at(("verdict",)), VERDICTS):
        verdict = None
    for key in ("host", "recorder", "time", "place"):
        at((key,))
    if day is None:
        return None
    return Meeting(day, _text(c, m["time"], kp + ("time",)), _text(c, m["place"], kp + ("place",)),
                   _text(c, m["host"], kp + ("host",)), _text(c, m["recorder"], kp + ("recorder",)), attendees,
                   tuple(agenda), _text(c, m["conclusion"], kp + ("conclusion",)), tuple(actions), verdict,
                   loc(c.path, c.positions, kp), locs)


def read_project(c: Collector, raw: Any, kp: tuple) -> Project | None:
    """project: background, objectives, risks and how the project communicates."""
    m = c.mapping(raw, kp, [], PROJECT_KEYS)
    if m is None:
        return None
    locs = {k: loc(c.path, c.positions, kp + (k,)) for k in m}
    risks = []
    raw_risks = m.get("risks") or []
    if c.typed(raw_risks, kp + ("risks",), list, what="a list of {risk, impact, mitigation, owner}"):
        for i, r in enumerate(raw_risks):
            rk = kp + ("risks", i)
            rm = c.mapping(r, rk, ["risk", "impact", "mitigation", "owner"], [])
            if not rm or any(rm.get(k) is None for k in ("risk", "impact", "mitigation", "owner")):
                continue
            locs[f"risks[{i}].owner"] = loc(c.path, c.positions, rk + ("owner",))
            if c.choice(rm["impact"], rk + ("impact",), RISK_LEVELS):
                risks.append(Risk(_text(c, rm["risk"], rk + ("risk",)), rm["impact"],
                                  _text(c, rm["mitigation"], rk + ("mitigation",)),
                                  _text(c, rm["owner"], rk + ("owner",))))
    status = {}
    if m.get("status_meeting") is not None:
        sm = c.mapping(m["status_meeting"], kp + ("status_meeting",), ["when", "place"], [])
        if sm and sm.get("when") is not None and sm.get("place") is not None:
            status = {"when": _text(c, sm["when"], kp + ("status_meeting", "when")),
                      "place": _text(c, sm["place"], kp + ("status_meeting", "place"))}
    background = _text(c, m["background"], kp + ("background",)) if m.get("background") is not None else ""
    return Project(background, _strings(c, m.get("objectives"), kp + ("objectives",), "a list of objectives"),
                   tuple(risks), status, _strings(c, m.get("channels"), kp + ("channels",), "a list of channels"),
                   loc(c.path, c.positions, kp), locs)


def check_names(meeting: Meeting | None, project: Project | None, team: list[Member], service: int,
                people: list[str]) -> list[tuple[str, Any]]:
    """(message, location) for every name in a meeting or the risks that is not on the service's team.

    Attendees, host, recorder and action owners must work on the service; an attendee
    from outside the team (a guest) must still be one of engagement.yaml's people.
    """
    names = [m.name for m in team]
    out = []

    def check(name: str, where, what: str, team_only: bool = True) -> None:
        pool = names if team_only else people
        if name in pool:
            return
        close = difflib.get_close_matches(name, pool, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        whose = f"on the team of service {service}" if team_only else "in engagement.yaml's people"
        out.append((f"{what} '{name}' is not {whose} (team: {'、'.join(names) or 'nobody'}){hint}", where))

    if meeting is not None:
        check(meeting.host, meeting.where("host"), "the host")
        check(meeting.recorder, meeting.where("recorder"), "the recorder")
        for i, a in enumerate(meeting.attendees):
            check(a, meeting.where(f"attendees[{i}]"), "attendee", team_only=False)
        for i, act in enumerate(meeting.actions):
            check(act.owner, meeting.where(f"actions[{i}].owner"), "the owner of an action")
    if project is not None:
        for i, r in enumerate(project.risks):
            check(r.owner, project.where(f"risks[{i}].owner"), "the owner of a risk")
    return out
