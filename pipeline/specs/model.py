"""Frozen model of a SOW spec: services, packages, deliverables, sections, columns."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterator

from pipeline.core.formats import FORMATS as _FORMAT_TABLE
from pipeline.core.values import TYPES as _VALUE_TYPES

FORMATS = tuple(_FORMAT_TABLE)  # the formats a spec may name: the rows of core.formats
#: The value types a column or a fact may declare (core.values.TYPES).
COLUMN_TYPES = tuple(_VALUE_TYPES)
#: The roles a plan's tasks are owned by; inputs say who fills each one per service.
PLAN_ROLES = ("服务方项目经理", "服务方技术专家", "客户项目经理", "客户技术团队", "客户验收人")
#: Where a kind's deliverable sits in its phase when the plan does not say: its first day, its last day.
ANCHORS = ("start", "end")
#: What a review meeting reviews: the issued documents, or drafts issued after the meeting.
REVIEW_OF = ("final", "draft")
#: Which phase takes a kind's deliverable that no phase of the plan lists.
KIND_PHASES = ("first", "main", "last")


@dataclass(frozen=True)
class ColumnSpec:
    """A required spreadsheet column."""

    name: str
    #: Allowed values; the xlsx renderer adds a list validation.
    allowed: tuple[str, ...] = ()
    #: text / int / number / date / time / datetime (core.values.TYPES).
    type: str = "text"
    #: Column width in characters; derived from the name when absent.
    width: float | None = None


@dataclass(frozen=True)
class FactSpec:
    """A fact the answers give (`facts:`), with its value type; rules' facts are numbers."""

    name: str
    #: A value type of core.values.TYPES.
    type: str = "number"
    #: The fact's name in messages (default: the key).
    label: str = ""
    #: Allowed values, when the fact is one of a list.
    allowed: tuple[str, ...] = ()
    #: True when every engagement's answers must give it.
    required: bool = False


#: What a spec section may require besides text (`requires:`), checked at build and by `check`.
SECTION_REQUIRES = ("diagram", "chart", "table", "findings")


@dataclass(frozen=True)
class SectionSpec:
    """A required section, in the seed's words, with its required subsections."""

    title: str
    children: tuple["SectionSpec", ...] = ()
    #: True for a section its kind declares (in _kinds.yaml): only these may take their
    #: body from the kind's text template, whose headings must be among them.
    from_kind: bool = False
    #: What the SOW asks for in this section (spec key `hint`); else derived from the seed.
    hint: str = ""
    #: Blocks the section must hold (SECTION_REQUIRES): a solution's architecture needs a diagram.
    requires: tuple[str, ...] = ()

    def walk(self) -> Iterator["SectionSpec"]:
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass(frozen=True)
class Kind:
    """A shared deliverable kind (kickoff, work plan, acceptance report...)."""

    name: str
    label: str
    formats: tuple[str, ...]
    template: str
    sections: tuple[SectionSpec, ...] = ()
    columns: tuple[ColumnSpec, ...] = ()
    #: Sections that stay last, after a spec's own sections (signatures, to-dos).
    closing: tuple[SectionSpec, ...] = ()
    #: The phase that takes this kind's deliverables when the plan lists them nowhere (first, main, last).
    phase: str = "main"
    #: start / end: dated on its phase's first or last day instead of spread over the phase.
    anchor: str | None = None


@dataclass(frozen=True)
class TaskSpec:
    """A task of a plan phase, owned by one of PLAN_ROLES."""

    name: str
    owner: str


@dataclass(frozen=True)
class PhaseSpec:
    """A phase of a service's plan: its share of the service period, tasks, milestone and the
    deliverables it closes (the SOW's service flow and completion criteria)."""

    name: str
    #: Relative length: the service period's working days are shared out by weight.
    weight: float = 1.0
    #: What is true when the phase ends (the SOW's 完工标准); default '<name>完成'.
    milestone: str = ""
    tasks: tuple[TaskSpec, ...] = ()
    #: Ids of the deliverables finished in this phase, in order (spread over the phase).
    deliverables: tuple[str, ...] = ()
    #: The phase is part of the plan only for these packages (empty: every package).
    packages: tuple[str, ...] = ()
    line: int | None = None

    def included_in(self, covered: set[str]) -> bool:
        return not self.packages or bool(covered & set(self.packages))


@dataclass(frozen=True)
class DeliverableSpec:
    """One deliverable named by the seed."""

    id: str
    seed_name: str
    kind: str
    formats: tuple[str, ...]
    template: str
    aliases: tuple[str, ...] = ()
    #: Packages that include it; empty means every package.
    packages: tuple[str, ...] = ()
    #: Kind sections first, then the spec's own.
    sections: tuple[SectionSpec, ...] = ()
    columns: tuple[ColumnSpec, ...] = ()
    evidence_for: str | None = None
    title: str | None = None
    line: int | None = None
    #: Built only when the engagement selects it (services[].select): a course the
    #: customer picks from the SOW's reference list.
    optional: bool = False
    #: The name a selection uses for it (shared by a course and its sign-in sheet).
    choice: str | None = None
    #: The acceptance stage it is accepted in (acceptance.stages); None when the SOW
    #: accepts everything at once.
    stage: str | None = None
    #: For minutes of a review meeting: the ids of the deliverables the meeting reviews.
    reviews: tuple[str, ...] = ()
    #: final: the meeting reviews the issued documents (dated on or after them); draft: it reviews
    #: their drafts, and the documents are issued afterwards (dated on or after the meeting).
    review_of: str = "final"
    #: From its kind: the phase that takes it when no phase lists it, and its anchor in the phase.
    phase: str = "main"
    anchor: str | None = None

    def selected_by(self, chosen) -> bool:
        return self.id in chosen or (self.choice is not None and self.choice in chosen)

    def all_sections(self) -> list[SectionSpec]:
        return [s for top in self.sections for s in top.walk()]

    def included_in(self, package: str) -> bool:
        return not self.packages or package in self.packages

    def display_title(self, customer_short: str) -> str:
        """Document title: seed name without 《》, placeholders replaced by the customer."""
        base = self.title or self.seed_name
        base = base.strip().strip("《》")
        return re.sub(r"【\s*X+\s*】|X{3,}|x{3,}", lambda m: _fill(customer_short, base[m.end():]), base)


def _fill(name: str, rest: str) -> str:
    """The customer name for a placeholder, without doubling a word the seed repeats (【XXX】集团 + 恒信集团)."""
    for n in range(min(len(name), len(rest)), 1, -1):
        if name.endswith(rest[:n]):
            return name[:-n]
    return name


@dataclass(frozen=True)
class PackageSpec:
    """A package or tier of a service."""

    name: str
    description: str = ""
    #: Packages whose deliverables this one also delivers (an implementation
    #: package that contains its consulting package; a tier that contains the lower one).
    includes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Acceptance:
    """The SOW's acceptance rule."""

    rule: str
    review_days: int | None
    day_type: str
    deemed_accepted: bool
    document: str | None
    #: Acceptance milestones in order, when the SOW accepts in stages (7.3 验收计划):
    #: each deliverable names its stage, and each stage's acceptance report covers
    #: only the deliverables of that stage.
    stages: tuple[str, ...] = ()


@dataclass(frozen=True)
class SowSpec:
    """One SOW service of the seed."""

    service: int
    title: str
    slug: str
    path: str
    packages: tuple[PackageSpec, ...]
    acceptance: Acceptance
    deliverables: tuple[DeliverableSpec, ...]
    rules: tuple[dict, ...] = ()
    formats_rule: str | None = None
    seed_lines: tuple[int, ...] = ()
    #: The service flow: phases in order (from the spec, else the default plan of _kinds.yaml).
    plan: tuple[PhaseSpec, ...] = ()
    digest: str = field(default="", compare=False)
    #: The facts the answers give, with their types (`facts:`, plus every rule's fact as a number).
    facts: tuple[FactSpec, ...] = ()

    def fact(self, name: str) -> FactSpec | None:
        return next((f for f in self.facts if f.name == name), None)

    #: The service as the customer buys it (spec key `name`): what documents call it.
    #: The seed's `title` is the contract document's name (…工作说明书) and stays internal.
    customer_name: str = ""

    @property
    def folder(self) -> str:
        """Output folder name: NN-slug."""
        return f"{self.service:02d}-{self.slug}"

    @property
    def package_names(self) -> list[str]:
        return [p.name for p in self.packages]

    def deliverable(self, did: str) -> DeliverableSpec | None:
        return next((d for d in self.deliverables if d.id == did), None)

    def covered(self, package: str) -> set[str]:
        """The package and every package it includes, transitively."""
        seen: set[str] = set()
        todo = [package]
        by_name = {p.name: p for p in self.packages}
        while todo:
            name = todo.pop()
            if name in seen:
                continue
            seen.add(name)
            todo.extend(by_name[name].includes if name in by_name else ())
        return seen

    def for_package(self, package: str, selected=()) -> list[DeliverableSpec]:
        """Deliverables of a package: its own, those of packages it includes, and the optional ones selected."""
        covered = self.covered(package)
        chosen = set(selected)
        return [d for d in self.deliverables if (not d.packages or covered & set(d.packages))
                and (not d.optional or d.selected_by(chosen))]

    @property
    def name(self) -> str:
        """The service as documents name it: the spec's `name`, else the title without 工作说明书/说明书."""
        if self.customer_name:
            return self.customer_name
        for suffix in ("工作说明书", "说明书"):
            if self.title.endswith(suffix):
                return self.title[: -len(suffix)]
        return self.title

    def covered_by(self, report: DeliverableSpec, package: str, selected=()) -> list[DeliverableSpec]:
        """The deliverables an acceptance report lists: those of its stage (every stage when the
        SOW has none), never an acceptance report, so that no report waits on itself, on another
        stage's report or on a later stage."""
        return [d for d in self.for_package(package, selected) if d.kind != "acceptance-report"
                and (not self.acceptance.stages or d.stage == report.stage)]
