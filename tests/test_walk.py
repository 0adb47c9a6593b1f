"""The generic walk over the document model, and cleaned() built on it."""
from __future__ import annotations

import copy
import dataclasses

import pytest

from pipeline.document.nodes import (Chart, ColumnDef, Diagram, Gantt, GanttBar, ListBlock, Meta, Paragraph, Register,
                                     Run, Section, Table)
from pipeline.document.walk import BLOCK_TYPES, walk
from pipeline.renderers.base import cleaned
from test_renderers import sample_document


@dataclasses.dataclass(frozen=True)
class Callout:
    """A block type the document model does not have."""

    text: str


def test_block_types_are_the_model_blocks():
    assert BLOCK_TYPES == (Paragraph, ListBlock, Table, Chart, Diagram, Gantt)


def test_walk_without_actions_copies_the_document():
    doc = sample_document()
    before = copy.deepcopy(doc)
    out = walk(doc, {})
    assert out == doc and out is not doc and out.sections[0] is not doc.sections[0]
    assert doc == before


def test_walk_reaches_every_node_type_children_first():
    doc = sample_document()
    seen: list[str] = []

    def note(node):
        seen.append(type(node).__name__)
        return node
    walk(doc, {t: note for t in (Meta, Section, Run, Paragraph, ListBlock, Table, Chart, Gantt, GanttBar, Register,
                                 ColumnDef)})
    assert seen[0] == "Meta" and seen[-1] == "Register"
    assert {"Section", "Run", "Paragraph", "ListBlock", "Table", "Chart", "Gantt", "GanttBar", "ColumnDef"} <= set(seen)
    assert seen.index("Gantt") > seen.index("GanttBar")  # a Gantt's bars before the Gantt
    # a list's item paragraphs before the list, a section's blocks and children before the section
    assert seen.index("ListBlock") > seen.index("Paragraph") and seen.index("Section") > seen.index("ListBlock")


def test_walk_maps_runs_inside_paragraphs_and_lists():
    out = walk(sample_document(), {Run: lambda r: dataclasses.replace(r, text=r.text.upper() + "!")})
    assert out.sections[0].blocks[0].runs[0].text == "本次检查覆盖!"
    assert [i.text for i in out.sections[0].children[0].blocks[0].items] == ["网络!", "存储!"]


def test_walk_raises_on_an_unknown_block_naming_its_type():
    doc = sample_document()
    doc.sections[0].children[0].blocks.append(Callout("x"))
    with pytest.raises(TypeError, match=r"unknown block type .*Callout: a section holds only Paragraph, "
                                        r"ListBlock, Table, Chart, Diagram, Gantt"):
        walk(doc, {})


def test_cleaned_raises_on_an_unknown_block():
    doc = sample_document()
    doc.sections[1].blocks.append(Callout("x"))
    with pytest.raises(TypeError, match="Callout"):
        cleaned(doc)


def test_cleaned_cleans_every_text_node():
    bad = "a\x00b\x07"
    doc = sample_document()
    doc.meta = dataclasses.replace(doc.meta, title=bad)
    doc.sections[0] = dataclasses.replace(doc.sections[0], title=bad, blocks=[
        Paragraph((Run(bad),)), ListBlock((Paragraph((Run(bad),)),)), Table((bad,), ((bad,),), bad),
        Chart("bar", bad, (bad,), ((bad, (1.0,)),), bad),
        Gantt(bad, (GanttBar(bad, "2026-03-02", "2026-03-03", bad),))])
    doc.register = Register(bad, [ColumnDef(bad, (bad,))], [[bad, 3]])
    before = copy.deepcopy(doc)
    out = cleaned(doc)
    assert doc == before
    assert bad not in repr(out) and "ab" in repr(out)
    assert out.register.rows == [["ab", 3]]
