"""One sandboxed jinja environment for every text template."""
from __future__ import annotations

import re
from functools import lru_cache

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from pipeline.core.errors import Finding, Location, relpath
from pipeline.core.paths import TEMPLATES
from pipeline.core.text import cn_date

#: A section heading in a text template: `# <title>` at the start of a line.
HEADING = re.compile(r"^# +(.+?)\s*$", re.M)
_COMMENT = re.compile(r"\{#.*?#\}", re.S)


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>])")


def md(value) -> str:
    """Plain text placed in Markdown: emphasis, code and link characters stay characters (7*24 is not italics)."""
    return _MD_SPECIAL.sub(r"\\\1", str(value if value is not None else ""))


def md_cell(value) -> str:
    """Make a value safe inside a Markdown pipe-table cell (plain text: see md)."""
    return md(value).replace("|", "｜").replace("\n", " ")


def md_block(value) -> str:
    """Markdown from the inputs placed in a template: a line starting with '#' stays text, not a new section."""
    return "\n".join("\\" + line.lstrip() if line.lstrip().startswith("#") else line
                     for line in str(value if value is not None else "").splitlines())


@lru_cache(maxsize=4)
def environment(*roots: str) -> SandboxedEnvironment:
    """The text-template environment; roots are searched in order (an override folder, then templates/)."""
    # Sandboxed: templates may be edited by consultants, and their context holds
    # customer-supplied text; StrictUndefined turns a typo into a located error.
    env = SandboxedEnvironment(
        loader=jinja2.FileSystemLoader(list(roots) or [str(TEMPLATES)]),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # output is Markdown parsed with html disabled, then escaped per format
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["cn_date"] = cn_date
    env.filters["md"] = md
    env.filters["md_cell"] = md_cell
    env.filters["md_block"] = md_block
    return env


def template_headings(source: str) -> list[tuple[int, str]]:
    """The `# title` lines of a text template's source with their line numbers (jinja comments skipped)."""
    text = _COMMENT.sub(lambda m: "\n" * m.group().count("\n"), source)
    return [(text.count("\n", 0, m.start()) + 1, m.group(1)) for m in HEADING.finditer(text)]


def unknown_section(title: str, kind: str, declared: list[str], where: Location) -> Finding:
    """The finding for a template heading that is not one of its kind's sections."""
    said = "、".join(declared) if declared else "none"
    return Finding("template.unknown-section",
                   f"heading '{title}' is not a section of kind '{kind}' (it declares {said}); a template writes "
                   "only the bodies of its kind's sections, whose titles live in _kinds.yaml: use one of them "
                   "or declare the section there", where)


def undeclared_headings(source: str, filename: str, kind: str, declared: list[str]) -> list[Finding]:
    """A template writes only the bodies of the sections its kind declares: any other heading is an error.

    Section titles live in _kinds.yaml alone; a `# title` line of the template only says
    which of the kind's sections the text below it fills.
    """
    return [unknown_section(title, kind, declared, Location(relpath(filename), line))
            for line, title in template_headings(source) if title not in declared]
