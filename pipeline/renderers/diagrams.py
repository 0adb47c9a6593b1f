"""Diagram images: a Diagram -> Graphviz DOT -> SVG (vector, for PDF) or PNG (Word, PowerPoint).

Graphviz (`dot`, Debian package graphviz) lays the diagram out; labels are set in Noto Sans
CJK SC. The same diagram gives the same bytes: the DOT text is generated in declaration
order, and the comments Graphviz writes with its version are removed from the SVG.
"""
from __future__ import annotations

import re
import shutil
import struct
import subprocess
from functools import lru_cache

from pipeline.core.errors import RenderError
from pipeline.core.fonts import PDF_SANS
from pipeline.document.nodes import Diagram
from pipeline.renderers.remembered import remembered

#: Resolution of the PNG (Word and PowerPoint scale it to the page).
DPI = 150
_TIMEOUT = 60

#: How each group kind is drawn (Graphviz cluster attributes).
GROUP_STYLE = {
    "account": 'style="rounded,dashed,bold" color="#1f3a5f" fontcolor="#1f3a5f"',
    "region": 'style="rounded,dashed" color="#5b7db1" fontcolor="#1f3a5f"',
    "vpc": 'style="rounded,filled" fillcolor="#eaf1fb" color="#5b7db1" fontcolor="#1f3a5f"',
    "zone": 'style="rounded,dotted" color="#7f8c9d" fontcolor="#3c4a5c"',
    "layer": 'style="filled" fillcolor="#f3f5f8" color="#c0c8d2" fontcolor="#1f3a5f"',
    "cluster": 'style="rounded,filled" fillcolor="#fdf3e6" color="#d99a4e" fontcolor="#7a4b12"',
    "": 'style="rounded" color="#9aa5b1" fontcolor="#3c4a5c"',
}
#: How each node kind is drawn (Graphviz node attributes).
NODE_STYLE = {
    "app": 'shape=box style="rounded,filled" fillcolor="#ffffff" color="#1f3a5f"',
    "compute": 'shape=box style="filled" fillcolor="#e8f0fe" color="#1f3a5f"',
    "database": 'shape=cylinder style="filled" fillcolor="#fff4e0" color="#b26b00"',
    "storage": 'shape=folder style="filled" fillcolor="#fff4e0" color="#b26b00"',
    "network": 'shape=box style="rounded,filled" fillcolor="#e6f4ea" color="#2e7d32"',
    "security": 'shape=box style="rounded,filled" fillcolor="#fdecea" color="#b3261e"',
    "user": 'shape=ellipse style="filled" fillcolor="#f3e8fd" color="#6a3d9a"',
    "external": 'shape=box style="dashed,rounded" color="#6b7785"',
    "step": 'shape=box style="rounded,filled" fillcolor="#eaf1fb" color="#1f3a5f"',
    "decision": 'shape=diamond style="filled" fillcolor="#fff8e1" color="#b26b00"',
    "": 'shape=box style="rounded,filled" fillcolor="#ffffff" color="#1f3a5f"',
}


def _q(text: str) -> str:
    """A DOT string literal; labels are text, never markup or a file (no image=, no HTML labels)."""
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def dot_source(d: Diagram) -> str:
    """The DOT text of a diagram: clusters for its groups (nested), styled nodes, labelled edges."""
    ids = {n.id: f"n{i}" for i, n in enumerate(d.nodes)}
    gids = {g.id: f"cluster_{i}" for i, g in enumerate(d.groups)}
    font = _q(PDF_SANS)
    lines = ["digraph G {",
             (f"  graph [rankdir={d.direction} fontname={font} fontsize=12 nodesep=0.25 ranksep=0.45 "
              'compound=true newrank=true splines=true pad=0.2 labeljust=l bgcolor="white"];'),
             f'  node [fontname={font} fontsize=11 margin="0.12,0.06" penwidth=1.2];',
             f'  edge [fontname={font} fontsize=10 color="#4a5868" fontcolor="#3c4a5c" arrowsize=0.7];']

    # Layers stack in the order they are declared, each on one rank; the edges between
    # them then only draw, they do not pull the layers out of order.
    layers = [g for g in d.groups if g.kind == "layer" and not g.parent]
    stacked = len(layers) > 1 and d.kind == "architecture"

    def group(g, indent: str) -> None:
        lines.append(f"{indent}subgraph {gids[g.id]} {{")
        lines.append(f"{indent}  label={_q(g.label)} {GROUP_STYLE.get(g.kind, GROUP_STYLE[''])};")
        if stacked and g in layers and not any(c.parent == g.id for c in d.groups):
            lines.append(f"{indent}  rank=same;")
        for n in d.nodes:
            if n.group == g.id:
                lines.append(f"{indent}  {ids[n.id]} [label={_q(n.label)} {NODE_STYLE.get(n.kind, NODE_STYLE[''])}];")
        for child in d.groups:
            if child.parent == g.id:
                group(child, indent + "  ")
        lines.append(f"{indent}}}")

    for g in d.groups:
        if not g.parent:
            group(g, "  ")
    for n in d.nodes:
        if not n.group:
            lines.append(f"  {ids[n.id]} [label={_q(n.label)} {NODE_STYLE.get(n.kind, NODE_STYLE[''])}];")
    if stacked:
        firsts = [n for n in (next((n for n in d.nodes if n.group == g.id), None) for g in layers) if n is not None]
        for a, b in zip(firsts, firsts[1:], strict=False):
            lines.append(f"  {ids[a.id]} -> {ids[b.id]} [style=invis weight=10];")
        # Within a layer, nodes keep their declared order from left to right.
        for g in layers:
            row = [n for n in d.nodes if n.group == g.id]
            for a, b in zip(row, row[1:], strict=False):
                lines.append(f"  {ids[a.id]} -> {ids[b.id]} [style=invis];")
    for e in d.edges:
        attrs = f"label={_q(' ' + e.label + ' ')}" if e.label else ""
        if stacked:
            attrs += " constraint=false"
        if e.style == "dashed":
            attrs += " style=dashed"
        lines.append(f"  {ids[e.source]} -> {ids[e.target]} [{attrs.strip()}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _dot(source: str, fmt: str, *extra: str) -> bytes:
    exe = shutil.which("dot")
    if exe is None:
        raise RenderError("Graphviz is not installed, so diagrams cannot be drawn; install it: "
                          "apt-get install -y graphviz (make test and make deliverables do it when run as root)")
    try:
        done = subprocess.run([exe, f"-T{fmt}", *extra], input=source.encode("utf-8"), capture_output=True,
                              timeout=_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        raise RenderError(f"Graphviz took more than {_TIMEOUT} s to lay out a diagram") from None
    if done.returncode != 0:
        raise RenderError(f"Graphviz failed: {done.stderr.decode('utf-8', 'replace').strip()[:200]}")
    return done.stdout


_COMMENT = re.compile(rb"<!--.*?-->\s*", re.S)


#: A left-to-right layout this many times wider than high, and wider than a page, is laid out top to bottom.
MAX_ASPECT = 3.0
PAGE_MM = 156


@lru_cache(maxsize=64)
def laid_out(d: Diagram) -> Diagram:
    """The diagram as it is drawn: a left-to-right layout too long for a page is turned top to bottom."""
    if d.direction != "LR":
        return d
    w, h = png_size_mm(_dot(dot_source(d), "png", f"-Gdpi={DPI}"))
    if w > PAGE_MM and w / max(h, 1) > MAX_ASPECT:
        import dataclasses
        return dataclasses.replace(d, direction="TB")
    return d


@lru_cache(maxsize=64)
def diagram_svg(d: Diagram) -> bytes:
    """The diagram as SVG, without Graphviz's version comments (the same bytes on every machine's run);
    laid out once per machine (renderers/remembered.py)."""
    return remembered(d, _draw_svg, __file__, tools=("dot",))


def _draw_svg(d: Diagram) -> bytes:
    return _COMMENT.sub(b"", _dot(dot_source(laid_out(d)), "svg"))


@lru_cache(maxsize=64)
def diagram_png(d: Diagram) -> bytes:
    """The diagram as a PNG at DPI (laid out once per machine)."""
    return remembered(d, _draw_png, __file__, tools=("dot",))


def _draw_png(d: Diagram) -> bytes:
    return _dot(dot_source(laid_out(d)), "png", f"-Gdpi={DPI}")


def png_size_mm(png: bytes) -> tuple[float, float]:
    """Width and height of a PNG at DPI, in millimetres (from its IHDR header)."""
    w, h = struct.unpack(">II", png[16:24])
    return w / DPI * 25.4, h / DPI * 25.4
