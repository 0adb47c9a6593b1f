"""Error types, source locations and findings shared by every phase."""
from __future__ import annotations

import dataclasses
import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from pipeline.core.findings import ERROR, INFO, WARNING, severity as severity_of
from pipeline.core.text import printable

__all__ = ["ERROR", "INFO", "WARNING", "Location", "Finding", "errors_in", "PipelineError", "SpecError", "InputError",
           "TemplateError", "RenderError", "BusyError", "relpath", "replace"]


@dataclass(frozen=True)
class Location:
    """Where a finding points: a file and optionally a line, or a sheet and cell."""

    path: str
    line: int | None = None
    column: int | None = None
    sheet: str | None = None
    cell: str | None = None
    key: str | None = None

    def __str__(self) -> str:
        # File and sheet names come from the user's disk: never print their control characters.
        text = printable(self.path)
        if self.sheet is not None:
            text += f"[{printable(self.sheet)}]"
            if self.cell:
                text += f"!{printable(self.cell)}"
        if self.line is not None:
            text += f":{self.line}"
            if self.column is not None:
                text += f":{self.column}"
        return text


@dataclass(frozen=True)
class Finding:
    """One problem found in a spec, an input, a template or an output."""

    code: str
    message: str
    location: Location | None = None
    severity: str = ""
    service: int | None = None
    deliverable: str | None = None
    format: str | None = None
    target: str | None = None  # the section or column concerned

    def __post_init__(self) -> None:
        if not self.severity:
            object.__setattr__(self, "severity", severity_of(self.code))
        # A message quotes input text: escape what a terminal would obey (ESC sequences,
        # bidirectional overrides) and line breaks, so every finding stays one honest line.
        object.__setattr__(self, "message", printable(self.message))

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        return f"{where}{self.severity}: {self.message} [{self.code}]"

    def to_json(self) -> dict:
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "location": str(self.location) if self.location else None,
            "service": self.service,
            "deliverable": self.deliverable,
            "format": self.format,
            "target": self.target,
        }


def errors_in(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.is_error]


class PipelineError(Exception):
    """A failure a user can cause and fix; the CLI prints it as one line and exits with exit_code."""

    category = "error"
    exit_code = 1

    def __init__(self, message: str, findings: Iterable[Finding] = ()) -> None:
        message = printable(message)
        super().__init__(message)
        self.message = message
        self.findings = list(findings)

    def format_message(self) -> str:
        return f"{self.category}: {self.message}"


class SpecError(PipelineError):
    category = "spec"


class InputError(PipelineError):
    category = "input"


class TemplateError(PipelineError):
    category = "template"


class RenderError(PipelineError):
    category = "render"


class UsageError(PipelineError):
    """A command given arguments it cannot use (an unknown service, an existing folder): exit 2."""

    category = "usage"
    exit_code = 2


class BusyError(PipelineError):
    """Another build holds the output folder."""

    category = "busy"


def relpath(path: Path | str) -> str:
    """Path as shown to users: relative to the working directory when inside it."""
    return _relpath(str(path), os.getcwd())


@functools.lru_cache(maxsize=4096)
def _relpath(path: str, cwd: str) -> str:
    # Cached: every located answer cell asks for its file's path (resolve() stats each part).
    try:
        return str(_resolved(Path(cwd, path)).relative_to(_resolved_dir(cwd)))
    except ValueError:
        return str(Path(path))


def _resolved(p: Path) -> Path:
    """p.resolve() for an absolute p, with its folder's resolution shared by the files in it (an
    lstat of each part of the path once per folder, then one per file)."""
    if p.name in ("", ".", "..") or os.path.islink(p):
        return _resolve(p)
    return _resolved_dir(str(p.parent)) / p.name


@functools.lru_cache(maxsize=1024)
def _resolved_dir(folder: str) -> Path:
    return _resolve(Path(folder))


def _resolve(p: Path) -> Path:
    """p.resolve(), or p as it is when a symbolic link leads back to itself (Python 3.11 raises
    RuntimeError there): a message still names the path."""
    try:
        return p.resolve()
    except RuntimeError:
        return p


def replace(finding: Finding, **changes) -> Finding:
    return dataclasses.replace(finding, **changes)
