"""Document model: sections, paragraphs, lists, tables, charts and a register."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator, Union


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


Block = Union[Paragraph, ListBlock, Table, Chart, Gantt]


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
    """What covers, headers and document-control tables show."""

    title: str
    seed_name: str
    service: int
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
    kind_label: str
    deliverable: str


@dataclass
class Document:
    meta: Meta
    sections: list[Section]
    register: Register | None = None

    def walk(self) -> Iterator[Section]:
        for s in self.sections:
            yield from s.walk()

    def charts(self) -> list[Chart]:
        return [b for s in self.walk() for b in s.blocks if isinstance(b, Chart)]

    def gantts(self) -> list[Gantt]:
        return [b for s in self.walk() for b in s.blocks if isinstance(b, Gantt)]
