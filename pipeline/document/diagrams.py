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
    problems: list[str] = []
    for k in raw:
        if k not in _KEYS:
            close = difflib.get_close_matches(str(k), _KEYS, n=1)
            problems.append(f"unknown diagram key '{k}'{'; did you mean ' + repr(close[0]) + '?' if close else ''} "
                            f"(keys: {', '.join(_KEYS)})")
    kind = str(raw.get("kind") or "architecture")
    if kind not in KINDS:
        problems.append(f"diagram kind must be one of {', '.join(KINDS)} (got '{kind}')")
        kind = "architecture"
    direction = str(raw.get("direction") or ("LR" if kind == "flow" else "TB")).upper()
    if direction not in DIRECTIONS:
        problems.append(f"diagram direction must be TB (top to bottom) or LR (left to right) (got '{direction}')")
        direction = "TB"
    groups: dict[str, DiagramGroup] = {}
    nodes: dict[str, DiagramNode] = {}
    edges: list[DiagramEdge] = []

    def add_node(nid: str, label: str = "", group: str = "", nkind: str = "") -> None:
        if nid in nodes:
            if label or group or nkind:
                problems.append(f"node '{nid}' is declared twice")
            return
        nodes[nid] = DiagramNode(nid, label or nid, group, nkind)

    for i, g in enumerate(raw.get("groups") or []):
        if not isinstance(g, dict) or not g.get("id"):
            problems.append(f"groups[{i}] must be {{id, label, kind?, in?}}")
            continue
        gkind = str(g.get("kind") or "")
        if gkind not in GROUP_KINDS:
            problems.append(f"group '{g['id']}': kind must be one of {', '.join(k for k in GROUP_KINDS if k)} "
                            f"(got '{gkind}')")
            gkind = ""
        if str(g["id"]) in groups:
            problems.append(f"group '{g['id']}' is declared twice")
        groups[str(g["id"])] = DiagramGroup(str(g["id"]), str(g.get("label") or g["id"]), str(g.get("in") or ""), gkind)
    text = raw.get("text")
    if text is not None and not isinstance(text, str):
        problems.append("'text' must be a block of lines (use |)")
        text = None
    for n, line in enumerate((text or "").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        m = re.match(r"^group\s+([^:]+):\s*(.+)$", line)
        if m:
            gid = m.group(1).strip()
            groups.setdefault(gid, DiagramGroup(gid, gid))
            for name in (x.strip() for x in re.split(r"[,，、]", m.group(2)) if x.strip()):
                if name in nodes and not nodes[name].group:
                    nodes[name] = DiagramNode(name, nodes[name].label, gid, nodes[name].kind)
                else:
                    add_node(name, group=gid)
            continue
        chain = _text_edges(line)
        if chain is None:
            add_node(line)
            continue
        for a, b, label, style in chain:
            for name in (a, b):
                if name not in nodes:
                    add_node(name)
            edges.append(DiagramEdge(a, b, label, style))
    for i, nd in enumerate(raw.get("nodes") or []):
        if isinstance(nd, (str, int, float)):
            add_node(str(nd))
            continue
        if not isinstance(nd, dict) or not nd.get("id"):
            problems.append(f"nodes[{i}] must be a name or {{id, label?, kind?, in?}}")
            continue
        nkind = str(nd.get("kind") or "")
        if nkind not in NODE_KINDS:
            problems.append(f"node '{nd['id']}': kind must be one of {', '.join(k for k in NODE_KINDS if k)} "
                            f"(got '{nkind}')")
            nkind = ""
        add_node(str(nd["id"]), str(nd.get("label") or nd["id"]), str(nd.get("in") or ""), nkind)
    for i, e in enumerate(raw.get("edges") or []):
        if isinstance(e, dict) and len(e) == 1 and "->" in str(next(iter(e))):
            # `- a -> b: label` in a YAML list is the mapping {"a -> b": "label"}.
            key, value = next(iter(e.items()))
            e = f"{key}: {'' if value is None else value}"
        if isinstance(e, str):
            chain = _text_edges(e)
            if chain is None:
                problems.append(f"edges[{i}] '{e[:30]}' must read 'A -> B' or 'A -> B: label'")
                continue
            edges += [DiagramEdge(a, b, label, style) for a, b, label, style in chain]
        elif isinstance(e, dict) and e.get("from") and e.get("to"):
            edges.append(DiagramEdge(str(e["from"]), str(e["to"]), str(e.get("label") or ""),
                                     "dashed" if e.get("style") == "dashed" else ""))
        else:
            problems.append(f"edges[{i}] must be {{from, to, label?, style?}} or 'A -> B: label'")
    # References: every group's parent, every node's group, every edge's ends.
    for g in groups.values():
        if g.parent and g.parent not in groups:
            problems.append(_unknown("group", g.parent, groups, f"group '{g.id}' sits in"))
        seen, at = {g.id}, g.parent
        while at in groups:
            if at in seen:
                problems.append(f"group '{g.id}' sits inside itself (through '{at}')")
                break
            seen.add(at)
            at = groups[at].parent
    for nd in nodes.values():
        if nd.group and nd.group not in groups:
            problems.append(_unknown("group", nd.group, groups, f"node '{nd.id}' sits in"))
    for e in edges:
        for end in (e.source, e.target):
            if end not in nodes:
                problems.append(_unknown("node", end, nodes, f"an edge {e.source} -> {e.target} names"))
    if not nodes:
        problems.append("a diagram needs nodes (nodes: [...], or text: with lines 'A -> B')")
    if problems:
        return None, problems
    return Diagram(str(raw.get("title") or section), kind, direction, tuple(nodes.values()), tuple(groups.values()),
                   tuple(edges)), []


def _unknown(what: str, name: str, known: dict, where: str) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    return f"{where} the unknown {what} '{name}'{'; did you mean ' + repr(close[0]) + '?' if close else ''}"
