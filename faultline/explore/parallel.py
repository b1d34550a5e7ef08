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


def map_on_processes(fn: Callable, tasks: Iterable, size_of: Callable, processes: int) -> Iterator:
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=processes) as pool:
        yield from windowed(tasks, lambda task: pool.submit(fn, task), size_of, processes * 4)
