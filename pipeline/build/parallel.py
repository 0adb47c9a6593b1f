"""The RENDER phase on several cores: a process pool fed as packs are planned.

Rendering is a pure function of the Document and the format, so a file is the same
bytes whichever process renders it, and results are taken back by task number, never
by arrival; everything else (reading, planning, verifying, writing, the manifest)
stays in the calling process.
"""
from __future__ import annotations

import functools
import gc
import os
import signal
import sys
from typing import Any, Callable

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


def _run(fn: Callable[..., Any], args: tuple) -> Any:
    return fn(*args)


def _worker_start(parent: int) -> None:
    """A worker's first step: end with the build.

    A worker waits for its next task on a pipe that it holds open itself, so a build killed
    without a chance to stop its pool (SIGKILL, or SIGTERM while rendering) would leave its
    workers waiting forever. On Linux the kernel sends each worker SIGTERM when the process
    that forked it ends (PR_SET_PDEATHSIG).
    """
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1: PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
        if os.getppid() != parent:  # the build ended before the request: no signal will come
            os._exit(1)


class RenderPool:
    """Tasks given as they become ready, rendered in up to `jobs` processes, results collected at the end.

    With one job, or one task, nothing runs until collect(), which renders in the order given
    (what a build without a pool does). With more, a process pool starts at the second task, so workers render
    one pack while the calling process assembles the next; its workers are forked where fork
    exists, inheriting every module imported so far.
    """

    def __init__(self, fn: Callable[..., Any], jobs: int, prepare: Callable[[], None] | None = None) -> None:
        """prepare() runs in this process just before the workers fork (imports they will all need,
        which the forked workers then share instead of each importing its own copy)."""
        self.fn, self.jobs, self.prepare = fn, max(1, jobs), prepare
        self.tasks: list[tuple] = []
        self.labels: list[str] = []
        self._futures: dict = {}
        self._pool: Any = None

    def submit(self, args: tuple, label: str = "") -> int:
        """Queue fn(*args); returns the task's number."""
        self.tasks.append(args)
        self.labels.append(label)
        # The pool starts with the second task: a build that renders one file (`--only`, one
        # changed answer) renders it here, without forking and pickling the document.
        if self.jobs > 1 and len(self.tasks) > 1:
            if self._pool is None:
                import multiprocessing  # imported here: a build that renders one file needs no pool
                from concurrent.futures import ProcessPoolExecutor

                fork = "fork" in multiprocessing.get_all_start_methods() and sys.platform != "darwin"
                if fork:
                    if self.prepare is not None:
                        self.prepare()
                    # What exists now is never collected in the workers: the garbage collector
                    # does not write to (and so copy) the pages they share with this process.
                    gc.freeze()
                self._pool = ProcessPoolExecutor(max_workers=self.jobs,
                                                 mp_context=multiprocessing.get_context("fork" if fork else None),
                                                 initializer=functools.partial(_worker_start, os.getpid()))
                self._futures[self._pool.submit(_run, self.fn, self.tasks[0])] = 0
            self._futures[self._pool.submit(_run, self.fn, args)] = len(self.tasks) - 1
        return len(self.tasks) - 1

    def collect(self, on_result: Callable[[int, Any], None] | None = None,
                progress: Callable[[int, int, str], None] | None = None) -> list[Any]:
        """Every result, in task order; on_result(number, result) and progress(done, total, label)
        are called in this process as each one arrives.

        Raises:
            The first exception a task raised; the tasks not yet started are cancelled.
        """
        total = len(self.tasks)
        results: list[Any] = [None] * total

        def arrived(done: int, i: int, value: Any) -> None:
            results[i] = value
            if on_result is not None:
                on_result(i, value)
            if progress is not None:
                progress(done, total, self.labels[i])
        if self._pool is None:
            for i, args in enumerate(self.tasks):
                arrived(i + 1, i, self.fn(*args))
            return results
        from concurrent.futures import as_completed

        try:
            for done, fut in enumerate(as_completed(self._futures), 1):
                exc = fut.exception()
                if exc is not None:
                    raise exc
                arrived(done, self._futures[fut], fut.result())
        finally:
            self.close()
        return results

    def close(self) -> None:
        """Stop: cancel what has not started, wait for what has."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
