"""What a render worker runs: one file rendered and, when it is staged, checked.

Apart from run.py, and light to import, so that workers started before the build reads its
inputs (parallel.start_ahead) need not import the whole build to take their first task.
"""
from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from pipeline.core.errors import Finding, PipelineError, RenderError, WriteError
from pipeline.renderers import get_renderer

if TYPE_CHECKING:
    from pipeline.build.verify import StagedFile
    from pipeline.document.nodes import Document


@contextlib.contextmanager
def phase(name: str, what: str = ""):
    """Name the phase (and deliverable) in any unexpected failure."""
    try:
        yield
    except PipelineError:
        raise
    except Exception as exc:
        raise RenderError(f"{name} failed{f' for {what}' if what else ''}: {type(exc).__name__}: {exc}") from exc


def render(doc: Document, fmt: str, what: str,
           staged: StagedFile | None = None) -> tuple[bytes, list[Finding] | None]:
    """One output's bytes, and what its checks found when it is staged (run in a worker process
    when building with several jobs: the worker that renders a file checks it too)."""
    with phase("render", what):
        data = get_renderer(fmt).render(doc)
    if staged is None:
        return data, None  # checked later (a Word file LibreOffice lays out first), or not at all
    try:
        return data, staged.check(data)
    except OSError as exc:
        raise staging_error(exc) from None


def staging_error(exc: OSError) -> WriteError:
    import tempfile

    return WriteError(f"cannot stage the rendered files in {tempfile.gettempdir()} to check them: "
                      f"{exc.strerror or exc}; free some space there or point TMPDIR elsewhere; nothing was "
                      "written")
