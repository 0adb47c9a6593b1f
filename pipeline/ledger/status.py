"""Where each deliverable stands: submitted, due by, accepted, rejected, deemed accepted, overdue.

Due dates follow each SOW's acceptance rule (spec `acceptance`): review_days counted
in Chinese working days or calendar days after the day of submission; past the due
date a submission is deemed accepted when the SOW says so, overdue otherwise; a SOW
without a review period never falls due. A due date in a year the working-day
calendar does not know is reported as unknown, never guessed.
"""
from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field

from pipeline.ledger.events import DECISIONS, Event
from pipeline.core.workdays import CalendarUnknown, add_days

TODAY_ENV = "SOWPACK_TODAY"

#: state -> label used in documents and the console.
LABELS = {"not-submitted": "未提交", "pending": "待验收", "accepted": "已验收", "rejected": "已驳回",
          "deemed-accepted": "视同验收", "overdue": "已逾期"}
CLOSED = ("accepted", "deemed-accepted")


def today(value: dt.date | str | None = None) -> dt.date:
    """The date sign-off commands act on: --today, else $SOWPACK_TODAY, else the clock."""
    if isinstance(value, dt.date):
        return value
    text = value or os.environ.get(TODAY_ENV)
    if text:
        try:
            return dt.date.fromisoformat(str(text))
        except ValueError:
            raise ValueError(f"{TODAY_ENV} / --today must be a date written YYYY-MM-DD (got {text!r})") from None
    return dt.date.today()


@dataclass(frozen=True)
class Rule:
    """A SOW's acceptance rule as the status needs it."""

    review_days: int | None
    day_type: str = "working"
    deemed_accepted: bool = False
    text: str = ""

    @classmethod
    def from_json(cls, d: dict | None) -> "Rule":
        d = d or {}
        days = d.get("review_days")
        return cls(days if isinstance(days, int) else None, str(d.get("day_type") or "working"),
                   bool(d.get("deemed_accepted")), str(d.get("rule") or ""))

    def describe(self) -> str:
        if self.review_days is None:
            return "no review period: accepted only when the customer confirms"
        unit = "working day(s)" if self.day_type == "working" else "calendar day(s)"
        then = "then deemed accepted" if self.deemed_accepted else "no deemed acceptance"
        return f"{self.review_days} {unit} to review, {then}"


@dataclass
class State:
    """One deliverable's sign-off state on a given day."""

    service: int
    deliverable: str
    seed_name: str
    state: str = "not-submitted"
    submission: Event | None = None
    submissions: int = 0
    due: dt.date | None = None
    due_note: str | None = None
    closed_on: dt.date | None = None  # accepted, deemed accepted or rejected on
    closed_by: str | None = None
    issues: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.service:02d}/{self.deliverable}"

    @property
    def label(self) -> str:
        return LABELS[self.state]

    @property
    def submitted_on(self) -> dt.date | None:
        return self.submission.on if self.submission else None

    def to_json(self) -> dict:
        return {"service": self.service, "deliverable": self.deliverable, "seed_name": self.seed_name,
                "state": self.state, "label": self.label,
                "submitted_on": _iso(self.submitted_on),
                "submitted_by": self.submission.by if self.submission else None,
                "submission": self.submission.seq if self.submission else None, "submissions": self.submissions,
                "due": _iso(self.due), "due_note": self.due_note, "closed_on": _iso(self.closed_on),
                "closed_by": self.closed_by, "issues": self.issues,
                "files": self.submission.files if self.submission else []}


def _iso(d: dt.date | None) -> str | None:
    return d.isoformat() if d else None


def due_date(submitted: dt.date, rule: Rule) -> tuple[dt.date | None, str | None]:
    """The last day of the review period, or (None, why)."""
    if rule.review_days is None:
        return None, "no review period in the SOW"
    try:
        return add_days(submitted, rule.review_days, rule.day_type), None
    except CalendarUnknown as exc:
        return None, str(exc)


def compute(events: list[Event], deliverables: list[tuple[int, str, str]], rules: dict[int, Rule],
            on: dt.date) -> list[State]:
    """The state of each (service, deliverable id, seed name) on day `on`.

    Events after `on` are ignored, so a status can be computed as of any past day.
    """
    states = {(s, d): State(s, d, name) for s, d, name in deliverables}
    for ev in sorted(events, key=lambda e: e.seq):
        if ev.on > on or ev.event not in DECISIONS:
            continue
        st = states.get((ev.service, ev.deliverable))
        if st is None:
            st = states[(ev.service, ev.deliverable)] = State(ev.service, ev.deliverable,
                                                              str(ev.raw.get("seed_name") or ev.deliverable))
        if ev.event == "submit":
            st.submission, st.submissions = ev, st.submissions + 1
            st.state, st.closed_on, st.closed_by, st.issues = "pending", None, None, []
        elif st.submission is not None and ev.submission == st.submission.seq:
            st.state = "accepted" if ev.event == "accept" else "rejected"
            st.closed_on, st.closed_by, st.issues = ev.on, ev.by, ev.issues
    for st in states.values():
        if st.submission is None:
            continue
        rule = rules.get(st.service, Rule(None))
        st.due, st.due_note = due_date(st.submission.on, rule)
        if st.state == "pending" and st.due is not None and on > st.due:
            if rule.deemed_accepted:
                st.state, st.closed_on, st.closed_by = "deemed-accepted", st.due + dt.timedelta(days=1), None
            else:
                st.state = "overdue"
    return list(states.values())


def pending_submission(events: list[Event], service: int, deliverable: str) -> Event | None:
    """The latest submission of a deliverable if nobody has accepted or rejected it yet."""
    sub = None
    for ev in sorted(events, key=lambda e: e.seq):
        if (ev.service, ev.deliverable) != (service, deliverable):
            continue
        if ev.event == "submit":
            sub = ev
        elif sub is not None and ev.submission == sub.seq:
            sub = None
    return sub


def last_closed(events: list[Event], service: int, deliverable: str) -> Event | None:
    """The latest accept event of a deliverable whose submission is still the latest one."""
    sub, acc = None, None
    for ev in sorted(events, key=lambda e: e.seq):
        if (ev.service, ev.deliverable) != (service, deliverable):
            continue
        if ev.event == "submit":
            sub, acc = ev, None
        elif ev.event == "accept" and sub is not None and ev.submission == sub.seq:
            acc = ev
    return acc
