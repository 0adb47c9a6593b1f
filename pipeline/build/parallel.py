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


def render_cost(doc, fmt: str) -> float:
    """About how many milliseconds rendering one document in one format takes (fitted on the
    sample build's 663 files: a sign-in sheet 3 ms, a Word report 10-100 ms, a deck 40-120 ms,
    a PDF seconds). It orders a pack's files, heaviest first, and sizes the batches sent to workers."""
    blocks = sum(len(s.blocks) for s in doc.walk())
    if fmt == "xlsx":
        rows = len(doc.register.rows) if doc.register is not None else 0
        return 2.6 + 0.2 * blocks + 0.05 * rows
    if fmt == "pptx":
        return 36.0 + 6.3 * blocks
    charts = len(doc.charts())
    if fmt == "pdf":
        return 100.0 + 60.0 * blocks + 100.0 * charts
    return 9.0 + blocks + 14.0 * charts


#: Tasks go to a worker in batches of about this many milliseconds of rendering: each trip to a
#: worker and back costs it about 1.3 ms (0.9 s of the two workers' time in the sample build when
#: each of its 663 files travelled alone), so light files travel together; a heavier file goes alone.
BATCH_MS = 100.0


def _run(fn: Callable[..., Any], batch: list[tuple]) -> list[Any]:
    return [fn(*args) for args in batch]


def _worker_start(parent: int, warm: Callable[[], None] | None = None) -> None:
    """A worker's first step: end with the build; then import what rendering needs (warm).

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
    if warm is not None:
        try:
            warm()
        except Exception:  # noqa: BLE001 - a library that cannot load fails its first render, as one line
            pass


class RenderPool:
    """Tasks given as they become ready, rendered in up to `jobs` processes, results collected at the end.

    With one job, or one task, nothing runs until collect(), which renders in the order given
    (what a build without a pool does). With more, a process pool starts at the second task (or
    before, start()), so workers render one pack while the calling process assembles the next; its
    workers are forked where fork exists, and each imports what rendering needs as it starts (warm),
    in parallel with this process. The tasks travel in batches (flush()).
    """

    def __init__(self, fn: Callable[..., Any], jobs: int, warm: Callable[[], None] | None = None) -> None:
        """warm() runs in each worker as it starts, before its first task: the imports rendering needs."""
        self.fn, self.jobs, self.warm = fn, max(1, jobs), warm
        self.tasks: list[tuple] = []
        self.labels: list[str] = []
        self.costs: list[float] = []
        self._sent = 0  # the tasks before this one are in a batch
        self._futures: dict = {}  # future -> the numbers of the tasks in its batch
        self._pool: Any = None

    def start(self) -> None:
        """Start the workers now (with more than one job), e.g. once a build that renders whole packs
        has read its inputs: they import what rendering needs while this process assembles the
        first pack. Otherwise flush() starts them when there are two tasks."""
        if self.jobs == 1 or self._pool is not None:
            return
        import multiprocessing  # imported here: a build that renders one file needs no pool
        from concurrent.futures import ProcessPoolExecutor

        fork = "fork" in multiprocessing.get_all_start_methods() and sys.platform != "darwin"
        if fork:
            # What exists now is never collected in the workers: the garbage collector
            # does not write to (and so copy) the pages they share with this process.
            gc.freeze()
        self._pool = ProcessPoolExecutor(max_workers=self.jobs,
                                         mp_context=multiprocessing.get_context("fork" if fork else None),
                                         initializer=functools.partial(_worker_start, os.getpid(), self.warm))
        self._pool.submit(int)  # the workers start with the first task: this one is nothing

    def submit(self, args: tuple, label: str = "", cost: float = BATCH_MS) -> int:
        """Queue fn(*args), which takes about `cost` ms (render_cost); returns the task's number.
        Nothing is sent to the workers before flush()."""
        self.tasks.append(args)
        self.labels.append(label)
        self.costs.append(cost)
        return len(self.tasks) - 1

    def flush(self) -> list[list[int]]:
        """Send the tasks queued since the last flush to the workers, in order, in batches of about
        BATCH_MS ms; returns the batches sent (task numbers).

        Unless started before, the pool starts once there are two tasks: a build that renders one
        file (`--only`, one changed answer) renders it in this process, without forking and
        pickling the document.
        """
        if self.jobs == 1 or self._sent == len(self.tasks):
            return []
        if self._pool is None:
            if len(self.tasks) < 2:
                return []
            self.start()
        batches: list[list[int]] = [[]]
        cost = 0.0
        for i in range(self._sent, len(self.tasks)):
            if batches[-1] and cost >= BATCH_MS:
                batches.append([])
                cost = 0.0
            batches[-1].append(i)
            cost += self.costs[i]
        for batch in batches:
            self._futures[self._pool.submit(_run, self.fn, [self.tasks[k] for k in batch])] = batch
        self._sent = len(self.tasks)
        return batches

    def collect(self, on_result: Callable[[int, Any], None] | None = None,
                progress: Callable[[int, int, str], None] | None = None) -> list[Any]:
        """Every result, in task order; on_result(number, result) and progress(done, total, label)
        are called in this process as each one arrives.

        Raises:
            The first exception a task raised; the tasks not yet started are cancelled.
        """
        total = len(self.tasks)
        results: list[Any] = [None] * total
        done = 0

        def arrived(i: int, value: Any) -> None:
            nonlocal done
            done += 1
            results[i] = value
            if on_result is not None:
                on_result(i, value)
            if progress is not None:
                progress(done, total, self.labels[i])
        self.flush()
        if self._pool is None:
            for i, args in enumerate(self.tasks):
                arrived(i, self.fn(*args))
            return results
        from concurrent.futures import as_completed

        try:
            for fut in as_completed(self._futures):
                exc = fut.exception()
                if exc is not None:
                    raise exc
                for i, value in zip(self._futures[fut], fut.result(), strict=True):
                    arrived(i, value)
        finally:
            self.close()
        return results

    def close(self) -> None:
        """Stop: cancel what has not started, wait for what has."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
