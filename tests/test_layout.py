"""The package layout: every import follows the layering each package's docstring declares."""
from __future__ import annotations

import ast
import re
from pathlib import Path

PIPELINE = Path(__file__).resolve().parent.parent / "pipeline"


def _module(path: Path) -> str:
    parts = list(path.relative_to(PIPELINE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> list[tuple[str, int]]:
    """Every `pipeline...` module a file imports, at module level or inside functions."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] if node.module != "pipeline" else [f"pipeline.{a.name}" for a in node.names]
            out += [(n, node.lineno) for n in names if n.startswith("pipeline")]
        elif isinstance(node, ast.Import):
            out += [(a.name, node.lineno) for a in node.names if a.name.startswith("pipeline")]
    return out


def _package(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and (PIPELINE / parts[1]).is_dir() else None


def _declared() -> dict[str, set[str]]:
    out = {}
    for init in sorted(PIPELINE.glob("*/__init__.py")):
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))) or ""
        m = re.search(r"^May import: (.+)\.$", doc, re.M)
        assert m, f"{init}: the package docstring must say 'May import: a, b.' (or '(nothing in pipeline)')"
        out[init.parent.name] = (set() if m.group(1).startswith("(nothing")
                                 else {x.strip() for x in m.group(1).split(",")})
    return out


def test_only_packages_beside_init_and_main():
    loose = sorted(p.name for p in PIPELINE.glob("*.py") if p.name not in ("__init__.py", "__main__.py"))
    assert loose == [], f"modules beside the stage packages: {loose}"
    assert all((d / "__init__.py").is_file() for d in PIPELINE.iterdir() if d.is_dir() and d.name != "__pycache__")


def test_every_package_documents_its_layer():
    declared = _declared()
    for pkg, allowed in declared.items():
        assert allowed <= set(declared), f"{pkg} may import unknown packages {allowed - set(declared)}"
        assert pkg not in allowed


def test_imports_follow_the_layering():
    declared = _declared()
    bad = []
    for path in sorted(PIPELINE.rglob("*.py")):
        here = _package(_module(path))
        for target, line in _imports(path):
            there = _package(target)
            if here and there and there != here and there not in declared[here]:
                bad.append(f"{path.relative_to(PIPELINE.parent)}:{line}: {here} imports {target}")
            if target == "pipeline" or (there is None and target not in ("pipeline",)):
                # the root package holds only __version__
                assert target in ("pipeline", "pipeline.__main__") or target.startswith("pipeline."), target
    assert not bad, "imports against the documented layering:\n" + "\n".join(bad)


def test_the_declared_layering_has_no_cycle():
    declared = _declared()
    state: dict[str, int] = {}

    def visit(p: str, trail: list[str]) -> None:
        assert state.get(p) != 1, "cycle: " + " -> ".join(trail + [p])
        if state.get(p) == 2:
            return
        state[p] = 1
        for q in sorted(declared[p]):
            visit(q, trail + [p])
        state[p] = 2

    for p in declared:
        visit(p, [])


def test_no_module_import_cycle():
    graph = {_module(p): {t for t, _ in _imports(p)} for p in PIPELINE.rglob("*.py")}
    state: dict[str, int] = {}

    def visit(m: str, trail: list[str]) -> None:
        assert state.get(m) != 1, "import cycle: " + " -> ".join(trail + [m])
        if state.get(m) == 2 or m not in graph:
            return
        state[m] = 1
        for t in sorted(graph[m]):
            # importing a submodule runs its package's __init__ first; that edge is Python's, not a cycle
            if not m.startswith(t + ".") and t != m:
                visit(t, trail + [m])
        state[m] = 2

    for m in sorted(graph):
        visit(m, [])


def test_click_only_in_the_cli():
    users = []
    for path in sorted(PIPELINE.rglob("*.py")):
        if _package(_module(path)) == "cli":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import) and any(a.name.split(".")[0] == "click" for a in node.names) or \
                    isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "click":
                users.append(str(path.relative_to(PIPELINE.parent)))
    assert users == []
