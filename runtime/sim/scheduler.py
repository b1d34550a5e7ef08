"""Scheduler: a single-threaded discrete-event loop over generator processes.

The only source of time in a run (its VirtualClock); randomness is each actor's own stream.
"""

# Theory of operation
# -------------------
# A process is a generator. Each `yield` hands back how many virtual milliseconds the process
# wants to sleep (0 means "let everything else due now run first"). The scheduler keeps a heap
# of (wake_time_ms, seq, process); `seq` is a global counter, so processes due at the same
# millisecond run in the order they were scheduled - never by object identity or hash order.
# `run` pops the earliest entry, advances the clock to its time (through the clock's guard, which
# refuses to go backwards), resumes the process, and pushes it
# back at now + the yielded delay. A process that returns is finished. There are no threads
# and no wall clock: the same seed and the same inputs replay the same interleaving exactly.

from __future__ import annotations

import heapq
import itertools
from collections.abc import Generator

from runtime.sim.clock import VirtualClock

Process = Generator[int, None, None]


class Scheduler:
    __slots__ = ("clock", "_heap", "_seq", "_stopped", "steps")

    def __init__(self) -> None:
        self.clock = VirtualClock()
        self._heap: list[tuple[int, int, Process]] = []
        self._seq = itertools.count()
        self._stopped = False
        self.steps = 0

    def spawn(self, process: Process, delay_ms: int = 0) -> None:
        """Start `process` `delay_ms` from now."""
        if delay_ms < 0:
            raise ValueError(f"a process can't start in the past: delay {delay_ms} ms")
        heapq.heappush(self._heap, (self.clock.now_ms + delay_ms, next(self._seq), process))

    def stop(self) -> None:
        """End the run after the current step (the system is quiet)."""
        self._stopped = True

    def run(self, until_ms: int) -> int:
        """Run until `until_ms`, until no process is left, or until `stop()`; return the time."""
        heap, seq = self._heap, self._seq
        advance = self.clock.advance_to  # the clock's guard: time only moves forward
        pop, push = heapq.heappop, heapq.heappush
        steps = 0
        while heap and not self._stopped:
            if heap[0][0] > until_ms:
                advance(until_ms)
                break
            time_ms, _, process = pop(heap)
            advance(time_ms)
            steps += 1
            try:
                delay = next(process)
            except StopIteration:
                continue
            if delay < 0:
                raise ValueError(f"a process can't sleep a negative time: {delay} ms at {time_ms} ms")
            push(heap, (time_ms + delay, next(seq), process))
        self.steps += steps
        return self.clock.now_ms
