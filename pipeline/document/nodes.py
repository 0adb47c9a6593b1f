"""Document model: sections, paragraphs, lists, tables, charts, diagrams and a register."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator, Union

from pipeline.core.text import DRAFT_MARK


@dataclass(frozen=True)
class Run:
    """Inline text with emphasis."""

    text: str
    bold: bool = False
    italic: bool = False
    code: bool = False


@dataclass(frozen=True)
class Paragraph:
    runs: tuple[Run, ...]

    @property
    def text(self) -> str:
        return "".join(r.text for r in self.runs)


@dataclass(frozen=True)
class ListBlock:
    """A bullet or numbered list; each item is a paragraph."""

    items: tuple[Paragraph, ...]
    ordered: bool = False


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    caption: str = ""


@dataclass(frozen=True)
class Chart:
    """A chart drawn natively (xlsx, pptx) or as an image (docx, pdf)."""

    type: str  # line | bar
    title: str
    categories: tuple[str, ...]
    series: tuple[tuple[str, tuple[float, ...]], ...]
    unit: str = ""


@dataclass(frozen=True)
class DiagramGroup:
    """A box that holds nodes and other groups: an account, a VPC, a zone, a layer."""

    id: str
    label: str
    #: The id of the group it sits in ("" at the top).
    parent: str = ""
    #: account / vpc / zone / layer / cluster / region: how it is drawn.
    kind: str = ""


@dataclass(frozen=True)
class DiagramNode:
    """A box of a diagram: a system, a service, a product instance, a step."""

    id: str
    label: str
    #: The id of its group ("" for none).
    group: str = ""
    #: app / compute / database / storage / network / security / user / external / step / decision.
    kind: str = ""


@dataclass(frozen=True)
class DiagramEdge:
    """A line from one node to another, with an optional label."""

    source: str
    target: str
    label: str = ""
    #: solid / dashed (asynchronous, replication, backup).
    style: str = ""


@dataclass(frozen=True)
class Diagram:
    """An architecture, network, deployment or flow diagram declared as data; renderers lay it
    out with Graphviz (vector in PDF, an image in Word and PowerPoint)."""

    title: str
    #: architecture / network / deployment / flow.
    kind: str
    #: LR (left to right) or TB (top to bottom).
    direction: str
    nodes: tuple[DiagramNode, ...]
    groups: tuple[DiagramGroup, ...] = ()
    edges: tuple[DiagramEdge, ...] = ()


@dataclass(frozen=True)
class GanttBar:
    """One bar of a Gantt chart: a task (start to end) or a milestone (one day, drawn as a diamond)."""

    label: str
    start: str  # ISO date
    end: str  # ISO date
    group: str = ""  # the phase it belongs to
    milestone: bool = False


@dataclass(frozen=True)
class Gantt:
    """A schedule: an image in docx and pdf, a native bar chart in pptx, shaded week cells in xlsx."""

    title: str
    bars: tuple[GanttBar, ...]


Block = Union[Paragraph, ListBlock, Table, Chart, Diagram, Gantt]


@dataclass
class Section:
    title: str
    level: int
    blocks: list[Block] = field(default_factory=list)
    children: list["Section"] = field(default_factory=list)

    def walk(self) -> Iterator["Section"]:
        yield self
        for c in self.children:
            yield from c.walk()

    def has_content(self) -> bool:
        return bool(self.blocks) or any(c.has_content() for c in self.children)


@dataclass(frozen=True)
class ColumnDef:
    name: str
    allowed: tuple[str, ...] = ()
    type: str = "text"
    width: float | None = None


@dataclass
class Register:
    """Tabular deliverable content: one sheet in xlsx, a table elsewhere."""

    title: str
    columns: list[ColumnDef]
    rows: list[list[object]]


@dataclass(frozen=True)
class Meta:
    """What covers, headers and the front matter (document control, distribution, glossary) show."""

    title: str
    seed_name: str
    service: int
    #: The service as the customer bought it (the spec's `name`), never the contract's title.
    service_title: str
    customer: str
    customer_short: str
    project: str
    vendor: str
    date: str  # ISO date
    date_cn: str  # 2026年3月2日
    version: str
    author: str
    reviewer: str
    #: The deliverable's kind (report, deck, training...): a training's deck teaches (renderers/pptx/plan.py).
    kind_label: str
    deliverable: str
    #: The package bought (基础版...), shown with the service.
    package: str = ""
    #: Who approved the release (修订记录's 批准人).
    approver: str = ""
    #: 密级, shown on the cover and in the document information.
    classification: str = "内部"
    #: A draft awaiting signature (an acceptance report with deliverables not yet accepted):
    #: marked 草稿 on the cover and in the running header.
    draft: bool = False
    #: 分发范围: (name, organisation, role) of each recipient.
    distribution: tuple[tuple[str, str, str], ...] = ()
    #: 术语与缩略语: (term, explanation) of each glossary term the document uses.
    glossary: tuple[tuple[str, str], ...] = ()

    @property
    def service_line(self) -> str:
        """The service with its package: 健康检查服务（基础版）."""
        return f"{self.service_title}（{self.package}）" if self.package else self.service_title

    @property
    def running_header(self) -> str:
        """The running header: the title, after the customer's short name unless the title names it already,
        after 草稿 when a draft."""
        name = self.title if self.customer_short and self.customer_short in self.title \
            else " · ".join(x for x in (self.customer_short, self.title) if x)
        return f"{DRAFT_MARK} · {name}" if self.draft else name



@dataclass
class Document:
    meta: Meta
    sections: list[Section]
    register: Register | None = None
    #: The findings register (a sheet of its own in xlsx; in the sections elsewhere).
    findings: Register | None = None
    #: Every `{=...}` reference computed for it: {section, expr, value, sources} (recorded in the manifest).
    computed: list[dict] = field(default_factory=list)

    def walk(self) -> Iterator[Section]:
        for s in self.sections:
            yield from s.walk()

    def charts(self) -> list[Chart]:
        return [b for s in self.walk() for b in s.blocks if isinstance(b, Chart)]

    def diagrams(self) -> list[Diagram]:
        return [b for s in self.walk() for b in s.blocks if isinstance(b, Diagram)]

    def gantts(self) -> list[Gantt]:
        return [b for s in self.walk() for b in s.blocks if isinstance(b, Gantt)]
