"""The slide plan: a Document -> plain slide descriptions, by the rules a consultant's deck keeps.

No python-pptx here (write.py draws the plan), so every rule is unit-tested on plain data:

- a content slide's title states its message (a short lead sentence, a findings count, a
  chart's or a diagram's title), with its section shown above it;
- at most MAX_BULLETS bullets of at most MAX_CHARS characters: longer text becomes
  bullets (one per sentence, cut at a clause) and the full text goes to the speaker notes;
- a list's items are sub-bullets only under a lead-in sentence (one ending in "："); a list
  with no lead-in is a list of first-level bullets;
- tables are split to fit the slide, the header repeated on every part;
- charts and diagrams get a slide of their own;
- a section gets a divider slide only when it has DIVIDER_MIN content slides or more;
- a training deck teaches: per module, its objectives, content, an exercise and a summary.
"""
from __future__ import annotations

import dataclasses
import math
import re
import unicodedata
from dataclasses import dataclass, field

from pipeline.core.text import DRAFT_MARK
from pipeline.document.nodes import Chart, Diagram, Document, Gantt, ListBlock, Paragraph, Section, Table
from pipeline.document.walk import unknown_block
from pipeline.readers.office import SECTION_SEP
from pipeline.renderers.base import iter_numbered

MAX_BULLETS = 6
MAX_CHARS = 40
#: A section with this many content slides or more opens with a divider slide.
DIVIDER_MIN = 3
#: A bullet slide's body holds no more characters than this (the notes hold the rest).
MAX_SLIDE_CHARS = 300
#: Lines of 12 pt table text the content area holds below the header row.
TABLE_LINES = 18
MAX_TABLE_ROWS = 10
#: CJK characters of 12 pt text across the content area (12 in).
TABLE_CHARS = 70
#: Labels of the teaching blocks a training module's answer may hold (document/blocks.py).
OBJECTIVES, EXERCISE, SUMMARY = "学习目标", "课堂练习", "本节小结"
#: The sections of the training kind around its modules.
TRAINING_FRAME = ("培训目标", "课程大纲", "课后练习与答疑")
#: Between the sections of a slide's section path (read back by readers/office.py).
SEP = SECTION_SEP


#: Tasks per Gantt slide; a longer schedule continues on the next slide.
MAX_GANTT_BARS = 16


@dataclass
class Bullet:
    text: str
    level: int = 0


@dataclass
class SlidePlan:
    """One slide: what it shows, with no drawing in it."""

    #: title / agenda / divider / bullets / table / chart / diagram / gantt
    kind: str
    title: str
    #: The numbered section path shown above the title ("三、平台架构设计 › （一）技术架构").
    section: str = ""
    subtitle: str = ""
    bullets: list[Bullet] = field(default_factory=list)
    table: tuple[tuple[str, ...], list[tuple[str, ...]]] | None = None
    #: Relative column widths of the table.
    widths: tuple[float, ...] = ()
    chart: Chart | None = None
    diagram: Diagram | None = None
    gantt: Gantt | None = None
    #: Speaker notes: the full text the bullets shorten.
    notes: str = ""

    @property
    def layout(self) -> str:
        """The reference deck's layout the slide uses."""
        return {"title": "Title Slide", "agenda": "Title and Content", "divider": "Section Header",
                "bullets": "Title and Content"}.get(self.kind, "Title Only")


# --- text ------------------------------------------------------------------------------
def units(text: str) -> float:
    """Width in CJK characters: a wide character is 1, any other 0.5."""
    return sum(1 if unicodedata.east_asian_width(c) in "WF" else 0.5 for c in text)


_SENTENCE = re.compile(r"(?<=[。！？；])")


def sentences(text: str) -> list[str]:
    """A paragraph's sentences, without their final 。 (a sentence never splits a number)."""
    return [s.strip().rstrip("。；！？") for s in _SENTENCE.split(text) if s.strip().rstrip("。；！？")]


def shorten(text: str, limit: int = MAX_CHARS) -> str:
    """text cut to at most limit characters: at a clause (，；、：) when one is far enough in, else with …."""
    text = text.strip().rstrip("。；")
    if len(text) <= limit:
        return text
    for sep in "；，、：":
        k = text.rfind(sep, 0, limit)
        if k >= limit // 3:
            return text[:k]
    cut = limit - 1
    # Never inside a Latin word, a number or an ID (RocketMQ, 10.64.0.0/16).
    while cut > limit // 2 and re.match(r"[A-Za-z0-9._/-]", text[cut - 1]) and re.match(r"[A-Za-z0-9._/-]", text[cut]):
        cut -= 1
    return text[:cut].rstrip() + "…"


def clauses(text: str, limit: int = MAX_CHARS) -> list[str]:
    """A sentence as bullets of at most limit characters: its clauses (split at ，；：) packed in
    order; a clause longer than a bullet is cut at a 、 or with …."""
    text = text.strip().rstrip("。；")
    if len(text) <= limit:
        return [text] if text else []
    out: list[str] = []
    for part in re.split(r"(?<=[，；：])", text):
        part = part.strip()
        if not part:
            continue
        if out and len(out[-1]) + len(part) <= limit:
            out[-1] += part
        else:
            out.append(part)
    done: list[str] = []
    for x in out:
        x = x.rstrip("，；")
        if len(x) > limit and "、" in x:
            # A long enumeration: its items, packed, rather than its first few words.
            pieces: list[str] = []
            for item in re.split(r"(?<=、)", x):
                if pieces and len(pieces[-1]) + len(item) <= limit:
                    pieces[-1] += item
                else:
                    pieces.append(item)
            done += [shorten(y.rstrip("、"), limit) for y in pieces]
        else:
            done.append(shorten(x, limit))
    return done


def lead(text: str, limit: int = 16) -> str:
    """The lead phrase of a bullet written 'label：explanation' ('数据采集：…' -> '数据采集'); '' for any other."""
    if "：" not in text:
        return ""
    head = text.split("：", 1)[0].strip()
    return head if 2 <= len(head) <= limit else ""


def _para_text(p: Paragraph) -> str:
    return p.text.strip()


def _is_label(b, label: str) -> bool:
    return isinstance(b, Paragraph) and len(b.runs) == 1 and b.runs[0].bold and b.text.strip() == label


# --- the planner -------------------------------------------------------------------------
@dataclass
class _Section:
    """A section's slides before dividers are decided."""

    section: Section
    number: str
    level: int
    path: str
    slides: list[SlidePlan] = field(default_factory=list)


class Planner:
    """Plans one document's slides; findings note what the plan had to do (a table split...)."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.notes: list[str] = []
        self.training = doc.meta.kind_label == "training"

    # bullets ------------------------------------------------------------------------
    def bullets(self, blocks, path: str, title: str, message: str = "") -> list[SlidePlan]:
        """Text blocks -> bullet slides of at most MAX_BULLETS bullets and MAX_SLIDE_CHARS characters."""
        items: list[tuple[Bullet, str]] = []  # (bullet, the full text it stands for)
        lead_in = False
        for b in blocks:
            if isinstance(b, Paragraph):
                text = _para_text(b)
                if not text:
                    continue
                parts = [c for x in (sentences(text) or [text]) for c in clauses(x)]
                for k, s in enumerate(parts):
                    items.append((Bullet(s), text if k == 0 else ""))
                lead_in = text.endswith(("：", ":"))
            elif isinstance(b, ListBlock):
                level = 1 if lead_in else 0
                for i in b.items:
                    text = _para_text(i)
                    # A long item keeps all its clauses, as bullets of the same level.
                    for k, part in enumerate(c for x in (sentences(text) or [text]) for c in clauses(x)):
                        items.append((Bullet(part, level), text if k == 0 else ""))
                lead_in = False
            else:
                raise unknown_block(b)
        slides = [SlidePlan("bullets", message or title, path, bullets=[b for b, _ in page],
                            notes="\n".join(t for _, t in page if t)) for page in _paginate(items)]
        for k, sp in enumerate(slides[1:], 2):
            sp.title = f"{sp.title}（续{k - 1}）" if len(slides) > 2 else f"{sp.title}（续）"
        return slides

    # tables -------------------------------------------------------------------------
    @staticmethod
    def widths(header, rows) -> tuple[float, ...]:
        """Column weights from content: at least the header, long columns get the rest."""
        n = max([len(header)] + [len(r) for r in rows]) or 1
        out = []
        for j in range(n):
            head = units(str(header[j])) if j < len(header) else 0
            cells = sorted(units(str(r[j])) for r in rows if j < len(r))
            typical = cells[int(len(cells) * 0.8)] if cells else 0
            out.append(max(head, min(typical, 40), 3) + 1)
        return tuple(out)

    def table(self, header, rows, path: str, title: str) -> list[SlidePlan]:
        """A table split over as many slides as it needs, the header on every one."""
        header = tuple(str(h) for h in header)
        rows = [tuple("" if v is None else str(v) for v in r) for r in rows] or [("",) * len(header)]
        w = self.widths(header, rows)
        per_line = [max(4, int(TABLE_CHARS * x / sum(w)) - 1) for x in w]

        def lines(r) -> int:
            return max([math.ceil(units(c) / per_line[j]) for j, c in enumerate(r) if j < len(per_line)] or [1])
        parts: list[list[tuple[str, ...]]] = [[]]
        used = 0
        for r in rows:
            need = max(lines(r), 1)
            if parts[-1] and (used + need > TABLE_LINES or len(parts[-1]) >= MAX_TABLE_ROWS):
                parts.append([])
                used = 0
            parts[-1].append(r)
            used += need
        if len(parts) > 1:
            self.notes.append(f"table of {len(rows)} rows under '{path}' split over {len(parts)} slides")
        counted = self.table_message(header, rows)
        message = f"{title}：{counted}" if counted else title
        out = []
        for k, part in enumerate(parts, 1):
            name = message if len(parts) == 1 else f"{message}（{k}/{len(parts)}）"
            out.append(SlidePlan("table", name, path, table=(header, part), widths=w))
        return out

    @staticmethod
    def table_message(header, rows) -> str:
        """A findings table says how many findings and how many high risks it lists."""
        if "风险等级" not in header:
            return ""
        j = header.index("风险等级")
        risks = [r for r in rows if j < len(r) and r[j] in ("高", "中", "低")]
        high = sum(1 for r in risks if r[j] == "高")
        passed = sum(1 for r in rows if j < len(r) and r[j] == "通过")
        parts = [f"{len(risks)} 项风险"] + ([f"其中高风险 {high} 项"] if high else []) + \
                ([f"{passed} 项通过"] if passed else [])
        return "，".join(parts)

    # sections -----------------------------------------------------------------------
    def message(self, blocks) -> tuple[str, list]:
        """A short lead sentence of the first paragraph becomes the title; the rest stays as bullets."""
        if blocks and isinstance(blocks[0], Paragraph):
            parts = sentences(_para_text(blocks[0]))
            if len(parts) > 1 and 6 <= len(parts[0]) <= 28:
                rest = "。".join(parts[1:]) + "。"
                from pipeline.document.nodes import Run
                return parts[0], [Paragraph((Run(rest),))] + list(blocks[1:])
        return "", list(blocks)

    def section_slides(self, s: Section, path: str, title: str) -> list[SlidePlan]:
        """A section's own blocks: text runs become bullet slides; tables, charts, diagrams their own."""
        out: list[SlidePlan] = []
        run: list = []
        message, blocks = self.message(s.blocks)

        def flush() -> None:
            nonlocal message
            if run:
                out.extend(self.bullets(run, path, title, message))
                message = ""
                run.clear()
        for b in blocks:
            if isinstance(b, (Paragraph, ListBlock)):
                run.append(b)
            elif isinstance(b, Table):
                flush()
                out.extend(self.table(b.header, b.rows, path, b.caption or title))
            elif isinstance(b, Chart):
                flush()
                out.append(SlidePlan("chart", b.title + (f"（{b.unit}）" if b.unit else ""), path, chart=b))
            elif isinstance(b, Diagram):
                flush()
                out.append(SlidePlan("diagram", b.title, path, diagram=b))
            elif isinstance(b, Gantt):
                flush()
                # A native chart of at most MAX_GANTT_BARS tasks a slide; a longer schedule continues.
                for k in range(0, max(len(b.bars), 1), MAX_GANTT_BARS):
                    part = dataclasses.replace(b, bars=b.bars[k:k + MAX_GANTT_BARS])
                    out.append(SlidePlan("gantt", b.title if k == 0 else f"{b.title}（续）", path, gantt=part))
            else:
                raise unknown_block(b)
        flush()
        return out

    def module_slides(self, s: Section, path: str, title: str) -> list[SlidePlan]:
        """A training module teaches: objectives, content, an exercise and a summary.

        The answer's 学习目标 / 课堂练习 / 本节小结 blocks are used as written; a module
        without them gets objectives and a summary from its own content's lead phrases, and
        a discussion exercise on the module.
        """
        parts: dict[str, list] = {OBJECTIVES: [], EXERCISE: [], SUMMARY: []}
        content: list = []
        current = None
        for b in s.blocks:
            label = next((x for x in parts if _is_label(b, x)), None)
            if label:
                current = label
                continue
            if current and isinstance(b, (Paragraph, ListBlock)) and not parts[current]:
                parts[current].append(b)
                current = None
                continue
            current = None
            content.append(b)
        body = Section(s.title, s.level, content)
        slides = self.section_slides(body, path, title)
        texts = [i.text for b in content if isinstance(b, ListBlock) for i in b.items]
        leads = [x for x in dict.fromkeys(lead(t) for t in texts) if x]
        if len(leads) < 2:
            # Content that is not written as 'label：explanation' gives no reliable lead
            # phrases: the objectives and the summary then name the module itself.
            leads = [f"{title}的核心概念与方法", f"{title}在{self.doc.meta.customer_short}的落地做法"]
        objectives = self.bullets(parts[OBJECTIVES], path, "") if parts[OBJECTIVES] else \
            self.bullets([Paragraph(_runs("学完本模块，你将能够：")),
                          ListBlock(tuple(Paragraph(_runs(f"说明{x}")) for x in leads[:3]))], path, "")
        exercise = self.bullets(parts[EXERCISE], path, "") if parts[EXERCISE] else \
            self.bullets([Paragraph(_runs(f"结合{self.doc.meta.customer_short}的实际，分组讨论：")),
                          ListBlock((Paragraph(_runs(f"“{s.title}”中的哪一项最先落地，由谁负责、何时完成")),
                                     Paragraph(_runs("落地时最大的障碍是什么，如何应对")),
                                     Paragraph(_runs("每组用 3 分钟分享结论"))))], path, "")
        summary = self.bullets(parts[SUMMARY], path, "") if parts[SUMMARY] else \
            self.bullets([ListBlock(tuple(Paragraph(_runs(x)) for x in leads[:4]))], path, "")
        for group, name in ((objectives, f"{title}：{OBJECTIVES}"), (exercise, f"{title}：{EXERCISE}"),
                            (summary, f"{title}：{SUMMARY}")):
            for k, p in enumerate(group):
                p.title = name if k == 0 else f"{name}（续）"
        return objectives + slides + exercise + summary

    def plan(self) -> list[SlidePlan]:
        m = self.doc.meta
        draft = f"（{DRAFT_MARK}）\n" if m.draft else ""
        slides = [SlidePlan("title", m.title, subtitle=f"{draft}{m.customer}\n{m.project}\n{m.vendor}  {m.date_cn}")]
        tops = [(s, num) for s, num, level in iter_numbered(self.doc.sections) if level == 1]
        agenda = [f"{num}{s.title}" for s, num in tops]
        if self.doc.register is not None:
            agenda.append(f"附表：{self.doc.register.title}")
        pages = [agenda[i:i + MAX_BULLETS] for i in range(0, len(agenda), MAX_BULLETS)]
        for k, page in enumerate(pages, 1):
            name = "目录" if len(pages) == 1 else f"目录（{k}/{len(pages)}）"
            slides.append(SlidePlan("agenda", name, bullets=[Bullet(shorten(x)) for x in page]))
        # Every section's slides, then a divider before each top-level section long enough to need one.
        stack: list[str] = []
        groups: list[tuple[SlidePlan, list[SlidePlan]]] = []
        for s, num, level in iter_numbered(self.doc.sections):
            stack[level - 1:] = [f"{num}{s.title}"]
            path = SEP.join(stack)
            module = self.training and level == 1 and s.title not in TRAINING_FRAME
            made = (self.module_slides if module else self.section_slides)(s, path, s.title)
            if level == 1:
                groups.append((SlidePlan("divider", f"{num}{s.title}", path,
                                         subtitle=f"{m.customer_short} · {m.title}"), []))
            groups[-1][1].extend(made)
        for divider, content in groups:
            if len(content) >= DIVIDER_MIN:
                slides.append(divider)
            slides.extend(content)
        if self.doc.register is not None:
            reg = self.doc.register
            name = f"附表：{reg.title}"
            slides.extend(self.table([c.name for c in reg.columns], reg.rows, name, name))
        if m.glossary:
            # The deck's glossary closes it, as the front matter of a Word or PDF document holds it.
            slides.extend(self.table(("术语", "说明"), [tuple(t) for t in m.glossary], "术语与缩略语", "术语与缩略语"))
        return slides


def _runs(text: str):
    from pipeline.document.nodes import Run
    return (Run(text),)


def _split(items: list, cap: int) -> list[list]:
    """Greedy pages of at most `cap` bullets and MAX_SLIDE_CHARS characters."""
    pages: list[list] = [[]]
    for item in items:
        chars = sum(len(b.text) for b, _ in pages[-1]) + len(item[0].text)
        if pages[-1] and (len(pages[-1]) >= cap or chars > MAX_SLIDE_CHARS):
            pages.append([])
        pages[-1].append(item)
    return pages


def _paginate(items: list) -> list[list]:
    """Bullets over as few slides as the limits allow, evenly (seven bullets are 4 + 3, never
    6 + 1), and a continued slide never opens with sub-bullets whose lead-in stayed behind."""
    if not items:
        return []
    pages = _split(items, MAX_BULLETS)
    if len(pages) > 1:
        even = _split(items, math.ceil(len(items) / len(pages)))
        if len(even) == len(pages):
            pages = even
    for k in range(1, len(pages)):
        prev, page = pages[k - 1], pages[k]
        if page[0][0].level > 0 and len(prev) > 1 and prev[-1][0].level == 0 and len(page) < MAX_BULLETS:
            page.insert(0, prev.pop())
    return pages


def plan(doc: Document) -> tuple[list[SlidePlan], list[str]]:
    """The slides of a deck, and notes on what the plan had to do (tables split over slides).

    Args:
        doc: a cleaned document.
    """
    p = Planner(doc)
    slides = p.plan()
    return slides, p.notes
