"""Model of an engagement's inputs, every value keeping where it came from."""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.core.errors import Location


@dataclass(frozen=True)
class Purchase:
    """A service bought by the engagement, at one package."""

    service: int
    package: str
    applied_on: dt.date | None
    start: dt.date | None
    end: dt.date | None
    answers_path: Path | None
    location: Location
    extra: dict = field(default_factory=dict)
    #: Optional deliverables the customer chose (ids), e.g. courses from a reference list.
    select: tuple[str, ...] = ()
    #: The two project managers: {"vendor": name, "customer": name}.
    managers: dict = field(default_factory=dict)
    #: Who signs for each side: {"vendor": name, "customer": name}; default the managers.
    signatories: dict = field(default_factory=dict)
    #: Author and reviewer of this service's documents (document control).
    author: str = ""
    reviewer: str = ""
    #: Plan overrides: deliverable id -> planned date.
    dates: dict = field(default_factory=dict)
    #: Where each of the keys above is written: "managers", "dates.<id>", ... -> location.
    key_locations: dict = field(default_factory=dict)

    def where(self, key: str) -> Location:
        """The location of a key of this service entry (the entry itself when it is not written)."""
        return self.key_locations.get(key) or self.location


@dataclass
class Rows:
    """Register rows with the location of each cell."""

    header: list[str]
    rows: list[dict[str, Any]]
    #: (row index, column name) -> location; (-1, name) is the header cell.
    locations: Mapping[tuple[int, str], Location]
    source: Location


@dataclass(frozen=True)
class Member:
    """A person working on one service, with the role they hold in it."""

    name: str
    org: str
    role: str
    #: True for the vendor's people (org is the engagement's vendor).
    vendor: bool
    phone: str = ""
    email: str = ""
    dept: str = ""

    @property
    def side(self) -> str:
        return "vendor" if self.vendor else "customer"

    def as_dict(self) -> dict:
        """What templates see: name, org, role, phone, email, dept, side."""
        return {"name": self.name, "org": self.org, "role": self.role, "phone": self.phone, "email": self.email,
                "dept": self.dept, "side": self.side}


@dataclass(frozen=True)
class AgendaItem:
    """One agenda item of a meeting and what was said about it."""

    title: str
    discussion: str
    #: Review comments raised on the item (评审意见).
    comments: tuple[str, ...] = ()


@dataclass(frozen=True)
class Action:
    """An action a meeting decided: what, who, by when, how far."""

    action: str
    owner: str
    due: dt.date
    status: str


#: The states of a meeting's action.
ACTION_STATES = ("未开始", "进行中", "已完成")
#: The conclusions a review meeting can reach.
VERDICTS = ("通过", "有条件通过", "不通过")


@dataclass(frozen=True)
class Meeting:
    """The record of a meeting, from a minutes deliverable's answers (`meeting:`)."""

    date: dt.date
    time: str
    place: str
    host: str
    recorder: str
    attendees: tuple[str, ...]
    agenda: tuple[AgendaItem, ...]
    conclusion: str
    actions: tuple[Action, ...]
    #: For a review meeting: 通过 / 有条件通过 / 不通过.
    verdict: str | None
    location: Location
    #: "date", "attendees[2]", "actions[0].owner", "verdict"... -> where it is written.
    locations: dict = field(default_factory=dict)

    def where(self, key: str) -> Location:
        return self.locations.get(key) or self.location


@dataclass(frozen=True)
class Risk:
    """A project risk: what, how bad, what is done about it, who owns it."""

    risk: str
    impact: str
    mitigation: str
    owner: str


#: How bad a risk is.
RISK_LEVELS = ("高", "中", "低")


@dataclass(frozen=True)
class Project:
    """A service's project facts (answers `project:`): background, objectives, risks, communication."""

    background: str = ""
    objectives: tuple[str, ...] = ()
    risks: tuple[Risk, ...] = ()
    #: The recurring status meeting: {"when": ..., "place": ...}.
    status_meeting: dict = field(default_factory=dict)
    channels: tuple[str, ...] = ()
    location: Location | None = None
    locations: dict = field(default_factory=dict)

    def where(self, key: str) -> Location | None:
        return self.locations.get(key) or self.location


@dataclass
class DeliverableAnswers:
    """Answers for one deliverable: section contents, register rows, a meeting record."""

    sections: dict[str, Any]
    section_locations: dict[str, Location]
    rows: Rows | None
    location: Location
    #: The findings register (`findings:` or `findings_from:`), any report may carry one.
    findings: Rows | None = None
    meeting: Meeting | None = None


@dataclass
class Answers:
    """A service's survey answers."""

    service: int
    path: Path
    facts: dict[str, Any]
    fact_locations: dict[str, Location]
    deliverables: dict[str, DeliverableAnswers]
    location: Location
    excel_files: list[Path] = field(default_factory=list)
    #: Named tables written once (`data:`): charts, totals and prose read them by name.
    data: dict[str, Rows] = field(default_factory=dict)
    project: Project | None = None


@dataclass
class Engagement:
    """One engagement folder."""

    name: str
    root: Path
    customer: dict
    project: str
    vendor: str
    date: dt.date
    document_control: dict
    people: list[dict]
    purchases: list[Purchase]
    answers: dict[int, Answers]
    files: list[Path]
    #: Where engagement.yaml lists the people (for findings about them).
    people_location: Location | None = None

    @property
    def customer_name(self) -> str:
        return self.customer.get("name", "")

    #: service -> the people working on it, vendor first, in the order of `people`.
    teams: dict = field(default_factory=dict)

    @property
    def customer_short(self) -> str:
        return self.customer.get("short_name") or self.customer.get("name", "")

    def team(self, service: int) -> list[Member]:
        """The people working on a service, with their role in it."""
        return list(self.teams.get(service, ()))

    def member(self, service: int, name: str) -> Member | None:
        return next((m for m in self.teams.get(service, ()) if m.name == name), None)
