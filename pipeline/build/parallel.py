"""The RENDER phase on several cores: a process pool whose results come back in a fixed order.

Rendering is a pure function of the Document and the format, so a file is the same
bytes whichever process renders it; everything before and after (reading, planning,
verifying, writing, the manifest) stays in the calling process.
"""
from __future__ import annotations

import os
import sys
from typing import Any, Callable, Sequence

#: The tasks of the running pool, inherited by forked workers so that no Document is pickled.
_TASKS: Sequence[tuple] = ()
_FN: Callable[..., Any] | None = None


def default_jobs() -> int:
    """The number of cores this process may use."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def render_weight(doc, fmt: str) -> float:
    """A rough relative cost of rendering one document in one format (PDF layout is the slowest)."""
    blocks = sum(len(s.blocks) for s in doc.walk()) + (len(doc.register.rows) if doc.register is not None else 0)
    charts = len(doc.charts()) if fmt in ("docx", "pdf") else 0
    return {"pdf": 20.0, "pptx": 3.0, "docx": 1.5}.get(fmt, 1.0) * (10 + blocks) + 100 * charts


def _run_inherited(i: int) -> Any:
    return _FN(*_TASKS[i])  # type: ignore[misc]


def _run_given(fn: Callable[..., Any], args: tuple) -> Any:
    return fn(*args)


def run_all(fn: Callable[..., Any], tasks: Sequence[tuple], jobs: int, *, weights: Sequence[float] = (),
            labels: Sequence[str] = (), progress: Callable[[int, int, str], None] | None = None,
            on_result: Callable[[int, Any], None] | None = None) -> list[Any]:
    """fn(*task) for every task, in up to `jobs` processes; the results in task order.

    Args:
        fn: a module-level function (it must be importable by name where fork is unavailable).
        weights: the expected cost of each task; the heaviest start first, so that one large
            PDF does not run alone at the end.
        labels: shown by `progress` as each task finishes.
        progress: called with (done, total, label) in the calling process.
        on_result: called with (task index, result) in the calling process as each result
            arrives, while the other tasks run.

    Raises:
        The first exception a task raised; the tasks not yet started are cancelled.
    """
    global _TASKS, _FN
    total = len(tasks)
    results: list[Any] = [None] * total

    def report(done: int, i: int) -> None:
        if on_result is not None:
            on_result(i, results[i])
        if progress is not None:
            progress(done, total, labels[i] if labels else "")

    jobs = max(1, min(jobs, total))
    if jobs == 1:
        for done, i in enumerate(range(total), 1):
            results[i] = fn(*tasks[i])
            report(done, i)
        return results
    import multiprocessing  # imported here: a build that renders one file needs no pool
    from concurrent.futures import ProcessPoolExecutor, as_completed

    order = sorted(range(total), key=lambda i: -weights[i]) if weights else list(range(total))
    fork = "fork" in multiprocessing.get_all_start_methods() and sys.platform != "darwin"
    ctx = multiprocessing.get_context("fork" if fork else None)
    _TASKS, _FN = tasks, fn
    try:
        with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx) as pool:
            futures = {(pool.submit(_run_inherited, i) if fork else pool.submit(_run_given, fn, tasks[i])): i
                       for i in order}
            for done, fut in enumerate(as_completed(futures), 1):
                exc = fut.exception()
                if exc is not None:
                    pool.shutdown(wait=True, cancel_futures=True)
                    raise exc
                results[futures[fut]] = fut.result()
                report(done, futures[fut])
    finally:
        _TASKS, _FN = (), None
    return results
