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


@dataclass
class Rows:
    """Register rows with the location of each cell."""

    header: list[str]
    rows: list[dict[str, Any]]
    #: (row index, column name) -> location; (-1, name) is the header cell.
    locations: Mapping[tuple[int, str], Location]
    source: Location


@dataclass
class DeliverableAnswers:
    """Answers for one deliverable: section contents and register rows."""

    sections: dict[str, Any]
    section_locations: dict[str, Location]
    rows: Rows | None
    location: Location
    #: The findings register (`findings:` or `findings_from:`), any report may carry one.
    findings: Rows | None = None


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

    @property
    def customer_short(self) -> str:
        return self.customer.get("short_name") or self.customer.get("name", "")
