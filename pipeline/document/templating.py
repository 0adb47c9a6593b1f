"""One sandboxed jinja environment for every text template."""
from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from pathlib import Path

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from pipeline.core.paths import TEMPLATES
from pipeline.core.text import cn_date



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
