"""A generic walk over the document model (Pandoc's Walk): rebuild a Document, mapping each node of chosen types."""
from __future__ import annotations

import dataclasses
from typing import Any, Callable, Mapping, get_args

from pipeline.document.nodes import Block, Document, Gantt, ListBlock, Paragraph, Register, Section

#: The block types a section may hold (nodes.Block); every renderer has a rule for each.
BLOCK_TYPES: tuple[type, ...] = get_args(Block)

#: Node type -> function returning the node that replaces it.
Actions = Mapping[type, Callable[[Any], Any]]


def unknown_block(block: object) -> TypeError:
    """The error for a block outside nodes.Block, raised by the walk and by every renderer's dispatch.

    Args:
        block: the block no rule covers.

    Returns:
        A TypeError naming its type and the block types there are.
    """
    kind = type(block)
    known = ", ".join(t.__name__ for t in BLOCK_TYPES)
    return TypeError(f"unknown block type {kind.__module__}.{kind.__qualname__}: a section holds only {known}")


def walk(document: Document, actions: Actions) -> Document:
    """A copy of the document with each action applied to every node of its type, children first.

    The walk visits the Meta, every Section (children included), every block of a section
    (a Paragraph's Runs, a ListBlock's item Paragraphs, Tables, Charts, Diagrams, a Gantt's
    GanttBars), the Register, the findings Register and their ColumnDefs. A node whose type (or a
    base of it) has no action is rebuilt around its walked children; the document passed in is never changed.

    Args:
        document: the document to walk.
        actions: node type -> function returning the node's replacement.

    Returns:
        The rebuilt document.

    Raises:
        TypeError: a section holds a block whose type is not in nodes.Block.
    """
    def apply(node):
        for t in type(node).__mro__:
            if t in actions:
                return actions[t](node)
        return node

    def para(p: Paragraph) -> Paragraph:
        return apply(dataclasses.replace(p, runs=tuple(apply(r) for r in p.runs)))

    def block(b):
        if isinstance(b, Paragraph):
            return para(b)
        if isinstance(b, ListBlock):
            return apply(dataclasses.replace(b, items=tuple(para(i) for i in b.items)))
        if isinstance(b, Gantt):
            return apply(dataclasses.replace(b, bars=tuple(apply(x) for x in b.bars)))
        if isinstance(b, BLOCK_TYPES):  # a leaf: Table, Chart, Diagram
            return apply(b)
        raise unknown_block(b)

    def section(s: Section) -> Section:
        return apply(dataclasses.replace(s, blocks=[block(b) for b in s.blocks],
                                         children=[section(c) for c in s.children]))

    def register(r: Register) -> Register:
        return apply(dataclasses.replace(r, columns=[apply(c) for c in r.columns]))

    return dataclasses.replace(document, meta=apply(document.meta), sections=[section(s) for s in document.sections],
                               register=register(document.register) if document.register is not None else None,
                               findings=register(document.findings) if document.findings is not None else None)
