"""Parsing YAML text with PyYAML: limits checked, a position map (key path -> line), one-line errors.

Imported only when a file is not in the user cache's parse records (core/yamlio.py): a
build whose inputs are unchanged never imports PyYAML.
"""
from __future__ import annotations

from typing import Any

import yaml

from pipeline.core.errors import Finding, Location
from pipeline.core.limits import MAX_YAML_DEPTH, MAX_YAML_NODES

#: key path -> (line, column), as core.yamlio.Positions (which imports this module, not the reverse).
Positions = dict[tuple, tuple[int, int]]


def _timestamp(self, node):
    # '2026-13-45' looks like a date to YAML but is none: keep the text, so the
    # schema reports it at its line instead of the loader crashing.
    try:
        return yaml.constructor.SafeConstructor.construct_yaml_timestamp(self, node)
    except ValueError:
        return self.construct_scalar(node)


class _LimitError(yaml.YAMLError):
    """The document is valid YAML but over a limit of core.limits (too deep, too many values)."""

    def __init__(self, message: str, mark) -> None:
        super().__init__(message)
        self.message, self.mark = message, mark


class _Loader(yaml.SafeLoader):
    """SafeLoader (pure Python) that keeps impossible dates as text and refuses deep nesting
    before its recursive composer overflows the stack. Used to word the errors."""

    _depth = 0

    def compose_node(self, parent, index):
        self._depth += 1
        try:
            if self._depth > MAX_YAML_DEPTH:
                raise _LimitError(_too_deep(), self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)

# libyaml composes eight times faster than pure Python (a 1 MB register: 0.6 s against 5 s);
# it gives the same nodes, values and marks (checked on every YAML file of the project).
_CLoader: type[yaml.CSafeLoader] | None = None
if getattr(yaml, "__with_libyaml__", False):
    class _FastLoader(yaml.CSafeLoader):
        """CSafeLoader with the same date rule as _Loader."""

    _FastLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)
    _CLoader = _FastLoader


def _too_deep() -> str:
    return (f"nested more than {MAX_YAML_DEPTH} levels deep, which sowpack does not read; "
            "flatten the structure here")


def _check_graph(root: yaml.Node) -> None:
    """Refuse a node graph that is too deep, too large once aliases are expanded, or recursive.

    Every node is visited once (aliases share nodes), iteratively: the check itself
    neither recurses nor expands anything.
    """
    size: dict[int, int] = {}
    height: dict[int, int] = {}
    open_: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]

    def kids(node):
        if isinstance(node, yaml.MappingNode):
            return [x for pair in node.value for x in pair]
        return node.value if isinstance(node, yaml.SequenceNode) else []

    while stack:
        node, done = stack.pop()
        k = id(node)
        if done:
            children = kids(node)
            size[k] = 1 + sum(size[id(c)] for c in children)
            height[k] = 1 + max((height[id(c)] for c in children), default=0)
            open_.discard(k)
            if size[k] > MAX_YAML_NODES:
                raise _LimitError(f"this value holds more than {MAX_YAML_NODES} YAML values once its aliases "
                                  "(*name) are expanded, which sowpack does not read; write the values out, or put "
                                  "a large register in an Excel sheet (rows_from)", node.start_mark)
            continue
        if k in size:
            continue
        if k in open_:
            raise _LimitError("an alias (*name) refers to the value that contains it, which never ends; "
                              "remove the alias", node.start_mark)
        open_.add(k)
        stack.append((node, True))
        stack.extend((c, False) for c in kids(node) if id(c) not in size)
    if height[id(root)] > MAX_YAML_DEPTH:
        node = root
        for _ in range(MAX_YAML_DEPTH):
            node = max(kids(node), key=lambda c: height[id(c)])
        raise _LimitError(_too_deep(), node.start_mark)


def _compose(text: str):
    """(loader, root node or None) with every limit checked; raises yaml.YAMLError."""
    if _CLoader is not None:
        fast: yaml.CSafeLoader | None = _CLoader(text)
        assert fast is not None
        try:
            node = fast.get_single_node()
        except yaml.YAMLError:
            fast.dispose()
            fast = None  # the pure-Python loader words the error (the messages users know)
        if fast is not None:
            if node is not None:
                try:
                    _check_graph(node)
                except _LimitError:
                    fast.dispose()
                    raise
            return fast, node
    loader = _Loader(text)  # the reader rejects control characters right here
    try:
        node = loader.get_single_node()
        if node is not None:
            _check_graph(node)
    except yaml.YAMLError:
        loader.dispose()
        raise
    return loader, node


def _yaml_error(exc: yaml.YAMLError, text: str, shown: str) -> tuple[str, Location]:
    """One message with its place for any YAML error, including a fix hint."""
    if isinstance(exc, yaml.reader.ReaderError):
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        return (f"the control character U+{exc.character:04X} is not allowed in YAML; delete it",
                Location(shown, line, column))
    problem_mark = getattr(exc, "problem_mark", None)
    context_mark = getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context = getattr(exc, "context", None)
    mark = problem_mark or context_mark
    if context_mark is not None and problem_mark is not None and "end of stream" in problem:
        # An unclosed quote or bracket: the place to fix is where it opens, not the end of the file.
        mark = context_mark
    msg = f"invalid YAML: {problem}" + (f" ({context})" if context else "")
    hint = ("indent with spaces, not tabs" if "\\t" in problem or "\t" in problem
            else "check the quotes, brackets, colons and indentation here")
    return f"{msg}; {hint}", (Location(shown, mark.line + 1, mark.column + 1) if mark else Location(shown))


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


def parse(text: str, shown: str, code_prefix: str) -> tuple[Any, Positions, list[Finding]]:
    """(data, positions, findings) of a YAML text; data is None when it does not parse (one finding)."""
    try:
        loader, node = _compose(text)
    except _LimitError as exc:
        return None, {}, [Finding(f"{code_prefix}.yaml", exc.message,
                                  Location(shown, exc.mark.line + 1, exc.mark.column + 1))]
    except yaml.YAMLError as exc:
        msg, where = _yaml_error(exc, text, shown)
        return None, {}, [Finding(f"{code_prefix}.yaml", msg, where)]
    try:
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        msg, where = _yaml_error(exc, text, shown)
        return None, {}, [Finding(f"{code_prefix}.yaml", msg, where)]
    finally:
        loader.dispose()
    positions: Positions = {}
    if node is not None:
        _walk(node, (), positions)
    return data, positions, []
