"""One sandboxed jinja environment for every text template."""
from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from pipeline.core.paths import TEMPLATES
from pipeline.core.text import cn_date



def md_cell(value) -> str:
    """Make a value safe inside a Markdown pipe-table cell."""
    return str(value if value is not None else "").replace("|", "｜").replace("\n", " ")


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
    env.filters["md_cell"] = md_cell
    return env
