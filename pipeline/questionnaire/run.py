"""The export as one call: load the engagement, write the questionnaire file atomically."""
from __future__ import annotations

from pathlib import Path

from pipeline.core.errors import UsageError
from pipeline.core.writer import OutputWriter
from pipeline.questionnaire.export import to_docx, to_xlsx
from pipeline.questionnaire.model import load


def export(root: Path, out: Path, fmt: str | None, specs: dict) -> tuple[str, int, int]:
    """Write the questionnaire; returns (status word, questions, register sheets)."""
    fmt = fmt or (Path(out).suffix.lstrip(".").lower() if Path(out).suffix.lower() in (".xlsx", ".docx") else "xlsx")
    if fmt not in ("xlsx", "docx"):
        raise UsageError(f"--format must be xlsx or docx (got '{fmt}')")
    eng, services = load(root, specs)
    data = to_xlsx(eng, services) if fmt == "xlsx" else to_docx(eng, services)
    word = OutputWriter.write(Path(out).resolve(), data)
    return word, sum(len(s.questions) for s in services), sum(len(s.registers) for s in services)
