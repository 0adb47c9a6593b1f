"""A `diagram:` answer -> a Diagram block: nodes, groups (account, VPC, zone, layer) and labelled
edges declared as data, or the same written in a small text language. The layout is the
renderers' (Graphviz, renderers/diagrams.py); nothing here draws.

As data:

    - diagram:
        title: 生产环境网络架构
        kind: network                   # architecture (default) / network / deployment / flow
        direction: TB                   # TB (default) or LR; a flow defaults to LR
        groups:
          - {id: prod, label: 生产账号, kind: account}
          - {id: vpc, label: 生产 VPC 10.64.0.0/16, kind: vpc, in: prod}
          - {id: az-e, label: 可用区 E, kind: zone, in: vpc}
        nodes:
          - {id: slb, label: 公网 SLB, kind: network, in: vpc}
          - {id: web, label: 商城前端 ×6, in: az-e}
          - 订单库                       # a plain string is a node whose id is its label
        edges:
          - {from: slb, to: web, label: HTTPS}
          - web -> 订单库: SQL            # the text form works here too

In the text language (`text:` instead of nodes and edges), one statement a line:

    group 生产 VPC: 商城前端, 订单服务    # a group and its nodes
    用户 -> 公网 SLB -> 商城前端: HTTPS     # a chain of edges; the label is the last edge's
    订单服务 --> 数据仓库: 每日同步         # --> draws a dashed line
"""
from __future__ import annotations

import difflib
import re

from pipeline.document.nodes import Diagram, DiagramEdge, DiagramGroup, DiagramNode

KINDS = ("architecture", "network", "deployment", "flow")
DIRECTIONS = ("TB", "LR")
GROUP_KINDS = ("account", "region", "vpc", "zone", "layer", "cluster", "")
NODE_KINDS = ("app", "compute", "database", "storage", "network", "security", "user", "external", "step",
              "decision", "")
_EDGE = re.compile(r"\s*(-->|->)\s*")
_KEYS = ("title", "kind", "direction", "groups", "nodes", "edges", "text")


def _text_edges(line: str) -> list[tuple[str, str, str, str]] | None:
    """'A -> B -> C: label' -> [(A, B, '', solid), (B, C, label, solid)]; None when the line is no edge."""
    body, label = line, ""
    m = re.search(r":\s*([^:>]*)$", line)
    if m and "->" in line[:m.start()]:
        body, label = line[:m.start()], m.group(1).strip()
    parts = _EDGE.split(body)
    if len(parts) < 3:
        return None
    names, arrows = parts[0::2], parts[1::2]
    out = []
    for k, arrow in enumerate(arrows):
        out.append((names[k].strip(), names[k + 1].strip(), label if k == len(arrows) - 1 else "",
                    "dashed" if arrow == "-->" else ""))
    return out


def diagram_block(raw: dict, section: str) -> tuple[Diagram | None, list[str]]:
    """The Diagram an answer declares, with a message per problem (unknown node, group loop...).

    Args:
        raw: the mapping under `diagram:`.
        section: the section title (the default diagram title).
    """
    d = _Reader()
    for k in raw:
        if k not in _KEYS:
            close = difflib.get_close_matches(str(k), _KEYS, n=1)
            d.problems.append(f"unknown diagram key '{k}'{'; did you mean ' + repr(close[0]) + '?' if close else ''} "
                              f"(keys: {', '.join(_KEYS)})")
    kind = str(raw.get("kind") or "architecture")
    if kind not in KINDS:
        d.problems.append(f"diagram kind must be one of {', '.join(KINDS)} (got '{kind}')")
        kind = "architecture"
    direction = str(raw.get("direction") or ("LR" if kind == "flow" else "TB")).upper()
    if direction not in DIRECTIONS:
        d.problems.append(f"diagram direction must be TB (top to bottom) or LR (left to right) (got '{direction}')")
        direction = "TB"
    d.read_groups(raw.get("groups") or [])
    text = raw.get("text")
    if text is not None and not isinstance(text, str):
        d.problems.append("'text' must be a block of lines (use |)")
        text = None
    d.read_text(text or "")
    d.read_nodes(raw.get("nodes") or [])
    d.read_edges(raw.get("edges") or [])
    d.check_references()
    if d.problems:
        return None, d.problems
    return Diagram(str(raw.get("title") or section), kind, direction, tuple(d.nodes.values()),
                   tuple(d.groups.values()), tuple(d.edges)), []


class _Reader:
    """The groups, nodes and edges of one diagram answer, read part by part, with its problems."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.groups: dict[str, DiagramGroup] = {}
        self.nodes: dict[str, DiagramNode] = {}
        self.edges: list[DiagramEdge] = []

    def add_node(self, nid: str, label: str = "", group: str = "", nkind: str = "") -> None:
        if nid in self.nodes:
            if label or group or nkind:
                self.problems.append(f"node '{nid}' is declared twice")
            return
        self.nodes[nid] = DiagramNode(nid, label or nid, group, nkind)

    def kind(self, what: str, raw: dict, allowed) -> str:
        """raw's `kind` when it is one of allowed, else "" with a problem naming what has it."""
        kind = str(raw.get("kind") or "")
        if kind in allowed:
            return kind
        self.problems.append(f"{what}: kind must be one of {', '.join(k for k in allowed if k)} (got '{kind}')")
        return ""

    def read_groups(self, raw: list) -> None:
        for i, g in enumerate(raw):
            if not isinstance(g, dict) or not g.get("id"):
                self.problems.append(f"groups[{i}] must be {{id, label, kind?, in?}}")
                continue
            gkind = self.kind(f"group '{g['id']}'", g, GROUP_KINDS)
            if str(g["id"]) in self.groups:
                self.problems.append(f"group '{g['id']}' is declared twice")
            self.groups[str(g["id"])] = DiagramGroup(str(g["id"]), str(g.get("label") or g["id"]),
                                                     str(g.get("in") or ""), gkind)

    def read_text(self, text: str) -> None:
        """The text language: 'group G: a, b', 'A -> B: label' chains, and lone node names."""
        for line in text.splitlines():
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            m = re.match(r"^group\s+([^:]+):\s*(.+)$", line)
            if m:
                gid = m.group(1).strip()
                self.groups.setdefault(gid, DiagramGroup(gid, gid))
                for name in (x.strip() for x in re.split(r"[,，、]", m.group(2)) if x.strip()):
                    if name in self.nodes and not self.nodes[name].group:
                        self.nodes[name] = DiagramNode(name, self.nodes[name].label, gid, self.nodes[name].kind)
                    else:
                        self.add_node(name, group=gid)
                continue
            chain = _text_edges(line)
            if chain is None:
                self.add_node(line)
                continue
            for a, b, label, style in chain:
                for name in (a, b):
                    if name not in self.nodes:
                        self.add_node(name)
                self.edges.append(DiagramEdge(a, b, label, style))

    def read_nodes(self, raw: list) -> None:
        for i, nd in enumerate(raw):
            if isinstance(nd, (str, int, float)):
                self.add_node(str(nd))
                continue
            if not isinstance(nd, dict) or not nd.get("id"):
                self.problems.append(f"nodes[{i}] must be a name or {{id, label?, kind?, in?}}")
                continue
            nkind = self.kind(f"node '{nd['id']}'", nd, NODE_KINDS)
            self.add_node(str(nd["id"]), str(nd.get("label") or nd["id"]), str(nd.get("in") or ""), nkind)

    def read_edges(self, raw: list) -> None:
        for i, e in enumerate(raw):
            if isinstance(e, dict) and len(e) == 1 and "->" in str(next(iter(e))):
                # `- a -> b: label` in a YAML list is the mapping {"a -> b": "label"}.
                key, value = next(iter(e.items()))
                e = f"{key}: {'' if value is None else value}"
            if isinstance(e, str):
                chain = _text_edges(e)
                if chain is None:
                    self.problems.append(f"edges[{i}] '{e[:30]}' must read 'A -> B' or 'A -> B: label'")
                    continue
                self.edges += [DiagramEdge(a, b, label, style) for a, b, label, style in chain]
            elif isinstance(e, dict) and e.get("from") and e.get("to"):
                self.edges.append(DiagramEdge(str(e["from"]), str(e["to"]), str(e.get("label") or ""),
                                              "dashed" if e.get("style") == "dashed" else ""))
            else:
                self.problems.append(f"edges[{i}] must be {{from, to, label?, style?}} or 'A -> B: label'")

    def check_references(self) -> None:
        """Every group's parent, every node's group, every edge's ends; and at least one node."""
        groups, nodes = self.groups, self.nodes
        for g in groups.values():
            if g.parent and g.parent not in groups:
                self.problems.append(_unknown("group", g.parent, groups, f"group '{g.id}' sits in"))
            seen, at = {g.id}, g.parent
            while at in groups:
                if at in seen:
                    self.problems.append(f"group '{g.id}' sits inside itself (through '{at}')")
                    break
                seen.add(at)
                at = groups[at].parent
        for nd in nodes.values():
            if nd.group and nd.group not in groups:
                self.problems.append(_unknown("group", nd.group, groups, f"node '{nd.id}' sits in"))
        for e in self.edges:
            for end in (e.source, e.target):
                if end not in nodes:
                    self.problems.append(_unknown("node", end, nodes, f"an edge {e.source} -> {e.target} names"))
        if not nodes:
            self.problems.append("a diagram needs nodes (nodes: [...], or text: with lines 'A -> B')")


def _unknown(what: str, name: str, known: dict, where: str) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    return f"{where} the unknown {what} '{name}'{'; did you mean ' + repr(close[0]) + '?' if close else ''}"
