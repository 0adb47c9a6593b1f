"""Error types, source locations and findings shared by every phase."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

ERROR = "ERROR"
WARNING = "WARNING"

#: Default severity of every finding code (Pandoc's messageVerbosity).
SEVERITY: dict[str, str] = {
    "spec.yaml": ERROR,
    "spec.unknown-key": WARNING,
    "spec.missing-key": ERROR,
    "spec.bad-type": ERROR,
    "spec.bad-value": ERROR,
    "spec.bad-format": ERROR,
    "spec.duplicate": ERROR,
    "spec.bad-version": ERROR,
    "spec.unknown-kind": ERROR,
    "input.yaml": ERROR,
    "input.unknown-key": WARNING,
    "input.missing-key": ERROR,
    "input.bad-type": ERROR,
    "input.bad-value": ERROR,
    "input.missing-file": ERROR,
    "input.unknown-service": ERROR,
    "input.unknown-package": ERROR,
    "input.missing-answer": ERROR,
    "input.unknown-section": WARNING,
    "input.unknown-deliverable": WARNING,
    "input.missing-rows": ERROR,
    "input.missing-column": ERROR,
    "input.unknown-column": WARNING,
    "input.blank-cell": ERROR,
    "input.not-allowed": ERROR,
    "input.bad-excel": ERROR,
    "input.placeholder": ERROR,
    "input.not-on-team": ERROR,
    "input.service-not-bought": WARNING,
    "input.no-team": ERROR,
    "input.missing-meeting": ERROR,
    "input.missing-verdict": ERROR,
    "input.missing-project": ERROR,
    # The plan: document dates in the build (document/plan.py) and in `sowpack check` (checks/records.py).
    "plan.before-kickoff": ERROR,
    "plan.after-acceptance": ERROR,
    "plan.review-before-document": ERROR,
    "plan.final-before-review": ERROR,
    "plan.outside-period": ERROR,
    "plan.no-period": ERROR,
    "plan.calendar-unknown": WARNING,
    "template.undefined": ERROR,
    "template.syntax": ERROR,
    "template.missing": ERROR,
    "template.error": ERROR,
}


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
        text = self.path
        if self.sheet is not None:
            text += f"[{self.sheet}]"
            if self.cell:
                text += f"!{self.cell}"
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
            object.__setattr__(self, "severity", SEVERITY.get(self.code, ERROR))

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


class IncompleteError(PipelineError):
    category = "incomplete"


class BusyError(PipelineError):
    """Another build holds the output folder."""

    category = "busy"


def relpath(path: Path | str) -> str:
    """Path as shown to users: relative to the working directory when inside it."""
    p = Path(path)
    try:
        return str(p.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(p)


def replace(finding: Finding, **changes) -> Finding:
    return dataclasses.replace(finding, **changes)
