"""Batches of seeds on local processes: submitted lazily, a few in flight, results in order."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator


def windowed(tasks: Iterable, submit: Callable, size_of: Callable, limit: int) -> Iterator:
    """Submit tasks lazily, at most `limit` in flight; yield (size, result) in task order. Memory stays
    flat however many tasks there are."""
    window: deque = deque()
    for task in tasks:
        window.append((size_of(task), submit(task)))
        if len(window) >= limit:
            size, future = window.popleft()
            yield size, future.result()
    while window:
        size, future = window.popleft()
        yield size, future.result()


def _ignore_interrupts() -> None:
    """In a pool's process: Ctrl-C is the parent's to handle (it stops the pool)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def map_on_processes(fn: Callable, tasks: Iterable, size_of: Callable, processes: int) -> Iterator:
    """`windowed` on a process pool. On Ctrl-C (or any error) the pool's processes are killed at once:
    what the parent has gathered so far stands, nothing waits for batches in flight."""
    from concurrent.futures import ProcessPoolExecutor

    pool = ProcessPoolExecutor(max_workers=processes, initializer=_ignore_interrupts)
    finished = False
    try:
        yield from windowed(tasks, lambda task: pool.submit(fn, task), size_of, processes * 4)
        finished = True
    finally:
        if finished:
            pool.shutdown(wait=True)
        else:
            manager = getattr(pool, "_executor_manager_thread", None)
            for process in list(getattr(pool, "_processes", {}).values()):
                process.kill()
            pool.shutdown(wait=False, cancel_futures=True)
            if manager is not None:  # it sees the killed processes and ends: at exit nothing wakes a
                manager.join(timeout=10)  # closed pipe (CPython 3.11 races there: "Bad file descriptor")
