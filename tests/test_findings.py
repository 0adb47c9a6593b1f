"""One catalogue of finding codes: the source emits exactly its codes, rule types agree with it, the README shows it."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from pipeline.core.errors import Finding
from pipeline.core.findings import CODES, ERROR, INFO, WARNING, update_tables
from pipeline.rules.types import RULES

ROOT = Path(__file__).resolve().parent.parent
PIPELINE = ROOT / "pipeline"
CATALOGUE = PIPELINE / "core" / "findings.py"
AREAS = sorted({c.split(".")[0] for c in CODES})
FULL = re.compile(rf"^(?:{'|'.join(AREAS)})\.[a-z]+(?:-[a-z]+)*$")
SHORT = re.compile(r"^[a-z]+(?:-[a-z]+)*$")
FILE_NAMES = re.compile(r"\.(?:json|jsonl|ya?ml|xlsx|docx|pptx|pdf)$")


def _name(func: ast.expr) -> str:
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


#: Modules that validate with a Collector someone else made: the areas of the files they check.
BORROWED = {"pipeline/rules": {"spec"}, "pipeline/inputs/team.py": {"input"}, "pipeline/inputs/records.py": {"input"}}


def _scan() -> tuple[dict[str, str], dict[str, tuple[str, set[str]]]]:
    """Codes written out in full, and short codes ("bad-type") with the areas a Collector or load_yaml
    gives them in their module (its own calls' prefixes, else every prefix), each with its place."""
    full, short, own = {}, {}, {}
    for path in sorted(PIPELINE.rglob("*.py")):
        if path == CATALOGUE:
            continue
        where, text = str(path.relative_to(ROOT)), path.read_text(encoding="utf-8")
        collects = "Collector" in text  # c.add("bad-type") there is a short code
        own[where] = set()
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and FULL.match(node.value) \
                    and not FILE_NAMES.search(node.value):
                full.setdefault(node.value, f"{where}:{node.lineno}")
            if isinstance(node, ast.Call):
                name = _name(node.func)
                if name in ("Collector", "load_yaml") and isinstance(node.args[-1], ast.Constant):
                    own[where].add(node.args[-1].value)
                found = [k.value for k in node.keywords
                         if k.arg in ("code", "unknown") and name in ("choice", "mapping")]
                if name == "add" and collects and node.args:
                    found.append(node.args[0])
                for a in found:
                    if isinstance(a, ast.Constant) and isinstance(a.value, str) and SHORT.match(a.value):
                        short.setdefault(a.value, f"{where}:{node.lineno}")
                # Finding(f"{prefix}.yaml", ...): a code whose area is the caller's
                first = node.args[0] if node.args else None
                if (name == "Finding" and isinstance(first, ast.JoinedStr)
                        and isinstance(first.values[-1], ast.Constant)):
                    tail = str(first.values[-1].value)
                    if tail.startswith(".") and SHORT.match(tail[1:]):
                        short.setdefault(tail[1:], f"{where}:{node.lineno}")
            if isinstance(node, ast.FunctionDef) and collects:
                args = node.args.args[len(node.args.args) - len(node.args.defaults):]
                for arg, default in zip(args, node.args.defaults, strict=True):
                    if arg.arg in ("code", "unknown") and isinstance(default, ast.Constant):
                        short.setdefault(default.value, f"{where}:{node.lineno}")
    prefixes = set().union(*own.values())
    areas = {c: (w, next((v for k, v in BORROWED.items() if w.startswith(k)), None) or own[w.split(":")[0]] or prefixes)
             for c, w in short.items()}
    return full, areas


def test_the_catalogue_is_well_formed():
    for code, entry in CODES.items():
        assert FULL.match(code), code
        assert entry.severity in (ERROR, WARNING, INFO), code
        assert entry.meaning and "\n" not in entry.meaning and "|" not in entry.meaning, code


def test_every_code_the_source_emits_is_catalogued_and_every_catalogued_code_is_emitted():
    full, short = _scan()
    assert {c: w for c, w in full.items() if c not in CODES} == {}, "codes missing from pipeline/core/findings.py"
    # A short code ("bad-type") becomes "<area>.bad-type" for the file a Collector or load_yaml reads.
    made = {f"{area}.{c}": w for c, (w, areas) in short.items() for area in areas}
    assert {c: w for c, w in made.items() if c not in CODES} == {}, "codes missing from pipeline/core/findings.py"
    assert sorted(set(CODES) - set(full) - set(made)) == [], "catalogued codes nothing emits"


def test_rule_types_declare_catalogued_codes():
    declared = {code for cls in RULES.values() for code in cls.codes}
    assert declared | {"rules.not-recorded"} == {c for c in CODES if c.startswith("rules.")}
    for cls in RULES.values():
        assert cls.severities() == {c: CODES[c].severity for c in cls.codes}
        assert cls.__doc__ and cls.__doc__.strip(), cls.__name__


def test_severities_come_from_the_catalogue_only():
    for path in sorted(PIPELINE.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        assert "SEVERITY" not in text.replace("location: SEVERITY: message", ""), path
        if path != CATALOGUE:
            assert not re.search(r"CODES\s*(\[.*\]\s*=|\.update|\.setdefault|\.pop)", text), path
    assert Finding("rules.package-oversized", "m").severity == INFO
    with pytest.raises(KeyError, match="not in the catalogue"):
        Finding("rules.made-up", "m")


def test_the_readme_tables_are_generated_from_the_catalogue():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert update_tables(text) == text, "README.md is stale: run .venv/bin/python tools/codes_table.py"
    blocks = re.findall(r"<!-- codes: ([a-z ]+) -->\n(.*?)<!-- /codes -->", text, re.S)
    listed = [m for _, table in blocks for m in re.findall(r"^\| `([^`]+)` \| (\w+) \|", table, re.M)]
    assert sorted(c for c, _ in listed) == sorted(CODES), "every code in exactly one README table"
    assert all(CODES[c].severity == s for c, s in listed)


def test_a_broken_glossary_is_one_line_naming_its_place(tmp_path):
    from pipeline.core.errors import TemplateError
    from pipeline.document import glossary

    bad = tmp_path / "glossary.yaml"
    bad.write_text("terms:\n  SLB: [负载均衡\n", encoding="utf-8")
    with pytest.raises(TemplateError) as info:
        glossary._terms(str(bad))
    assert str(info.value).startswith(f"{bad}:") or str(info.value).startswith("glossary.yaml:")
    assert "invalid YAML" in str(info.value) and "\n" not in str(info.value)
