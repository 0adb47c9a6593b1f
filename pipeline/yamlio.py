"""YAML loading with a position map (key path -> line) and one-line errors."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from pipeline.errors import Finding, Location, relpath

#: Largest YAML file accepted (specs and answers are hand-written text).
MAX_YAML_BYTES = 5 * 1024 * 1024

Positions = dict[tuple, tuple[int, int]]


class _Loader(yaml.SafeLoader):
    """SafeLoader that keeps dates as ISO strings' date objects and nothing else exotic."""


def _walk(node: yaml.Node, path: tuple, positions: Positions) -> None:
    positions[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        for knode, vnode in node.value:
            key = knode.value if isinstance(knode, yaml.ScalarNode) else str(knode.start_mark)
            sub = path + (key,)
            _walk(vnode, sub, positions)
            positions[sub] = (knode.start_mark.line + 1, knode.start_mark.column + 1)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, path + (i,), positions)


def load_yaml(path: Path, code_prefix: str) -> tuple[Any, Positions, list[Finding]]:
    """Load one YAML file.

    Returns:
        (data, positions, findings): data is None when the file cannot be read.
    """
    shown = relpath(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return None, {}, [Finding(f"{code_prefix}.missing-file", f"cannot read file: {exc.strerror}",
                                  Location(shown))]
    if len(raw) > MAX_YAML_BYTES:
        return None, {}, [Finding(f"{code_prefix}.yaml",
                                  f"file is {len(raw)} bytes, larger than the {MAX_YAML_BYTES} allowed",
                                  Location(shown))]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, {}, [Finding(f"{code_prefix}.yaml",
                                  f"not UTF-8 text (byte {exc.start}); save the file as UTF-8",
                                  Location(shown))]
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        context = getattr(exc, "context", None)
        msg = f"invalid YAML: {problem}" + (f" ({context})" if context else "")
        loc = Location(shown, mark.line + 1, mark.column + 1) if mark else Location(shown)
        return None, {}, [Finding(f"{code_prefix}.yaml", msg, loc)]
    finally:
        loader.dispose()
    positions: Positions = {}
    if node is not None:
        _walk(node, (), positions)
    return data, positions, []


def loc(path: Path | str, positions: Positions, keypath: tuple) -> Location:
    """Location of the deepest known prefix of keypath."""
    shown = relpath(path)
    kp = tuple(keypath)
    while kp and kp not in positions:
        kp = kp[:-1]
    if kp in positions:
        line, col = positions[kp]
        return Location(shown, line, col)
    return Location(shown)
