"""Scheduler: a single-threaded discrete-event loop over generator processes.

The only source of time in a run (its VirtualClock); randomness is each actor's own stream.
"""

# Theory of operation
# -------------------
# A process is a generator. Each `yield` hands back how many virtual milliseconds the process
# wants to sleep (0 means "let everything else due now run first"). The scheduler keeps entries
# (wake_time_ms, seq, process); `seq` is a global counter, so processes due at the same
# millisecond run in the order they were scheduled - never by object identity or hash order.
# `run` pops the earliest entry, advances the clock to its time (through the clock's guard, which
# refuses to go backwards), resumes the process, and pushes it back at now + the yielded delay.
# A process that returns is finished. There are no threads and no wall clock: the same seed and
# the same inputs replay the same interleaving exactly.
#
# Idle polls. A process that yields a `Poll` (a worker finding no job, the relay finding no
# outbox row, the reaper finding no expired lease) will only look again. Polls wait in a heap of
# their own. When the earliest entry is a poll due before the next change the world can see (the
# next other entry, or the time the world says something becomes due), every poll before that
# change would find nothing: each poller jumps to its first tick at or after it, keeping its phase.
# Its tie order is that of its last skipped tick: a virtual push later than every entry already
# queued and earlier than any push still to come; among pollers of one phase, the one that already
# ticked at the current instant stays ahead. So the interleaving - and the history - is exactly the
# one polling tick by tick gives (benchmarks/compare_runs.py and tests/sim/test_idle_polls.py check it).

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Generator

from runtime.sim.clock import VirtualClock

Process = Generator[int, None, None]
NEVER = 2**62  # later than any run


class Poll(int):
    """A delay that says "I only poll again then": the scheduler may skip the ticks that find nothing."""

    __slots__ = ()


class Scheduler:
    __slots__ = ("clock", "_heap", "_polls", "_seq", "_stopped", "steps", "skipped", "next_change")

    def __init__(self, next_change: Callable[[int], int | None] | None = None) -> None:
        self.clock = VirtualClock()
        self._heap: list[tuple[int, int, Process]] = []
        self._polls: list[tuple[int, int, Process, int]] = []
        self._seq = itertools.count()
        self._stopped = False
        self.steps = 0
        self.skipped = 0
        self.next_change = next_change
        """(horizon) -> the earliest time, capped at `horizon` (when the next other process runs), that
        the world can change on its own (a delayed message due, a lease reclaimed...), or None when
        a poll would see something now (then no tick is skipped)."""

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
        heap, polls, seq, clock = self._heap, self._polls, self._seq, self.clock
        pop, push = heapq.heappop, heapq.heappush
        steps = 0
        while (heap or polls) and not self._stopped:
            if polls and (not heap or polls[0] < heap[0]):
                if self.next_change is not None and self._skip_idle_polls():
                    continue
                time_ms, _, process, _ = pop(polls)
            else:
                time_ms, _, process = pop(heap)
            if time_ms > until_ms:
                clock.advance_to(until_ms)
                break
            if time_ms < clock.now_ms:  # the clock's guard, inlined on the hot path (VirtualClock.advance_to)
                clock.advance_to(time_ms)  # raises: time can't go backwards
            clock.now_ms = time_ms
            steps += 1
            try:
                delay = next(process)
            except StopIteration:
                continue
            if delay < 0:
                raise ValueError(f"a process can't sleep a negative time: {delay} ms at {time_ms} ms")
            if delay.__class__ is Poll:
                push(polls, (time_ms + delay, next(seq), process, delay))
            else:
                push(heap, (time_ms + delay, next(seq), process))
        self.steps += steps
        return self.clock.now_ms

    def next_run_ms(self, process, not_before_ms: int) -> int | None:
        """When `process` runs next: its first poll tick at or after `not_before_ms` if it is polling
        (polling on, as it does while it finds nothing), or when it wakes if it sleeps. None when it
        is not scheduled (finished)."""
        for time_ms, _, waiting, period in self._polls:
            if waiting is process:
                if time_ms >= not_before_ms:
                    return time_ms
                return time_ms + -(-(not_before_ms - time_ms) // period) * period
        for time_ms, _, waiting in self._heap:
            if waiting is process:
                return time_ms
        return None

    def close(self) -> None:
        """End every process still waiting (a run that stopped quiet or at its time limit)."""
        for _, _, process in self._heap:
            process.close()
        for _, _, process, _ in self._polls:
            process.close()
        self._heap.clear()
        self._polls.clear()
        self.next_change = None

    def _skip_idle_polls(self) -> bool:
        """Move every poll due before the next change to its first tick at or after it. A poll due at
        the same instant as the next other entry but ordered before it is idle too when the world
        itself changes only later: it moves to its next tick."""
        heap, polls = self._heap, self._polls
        first = heap[0] if heap else None
        horizon = first[0] if first is not None else NEVER
        next_change = self.next_change
        if next_change is None:
            return False
        change = next_change(horizon + 1)
        if change is None:
            return False
        if change <= horizon:
            limit, first = change, None
        else:
            limit = horizon
        head = polls[0]
        if head[0] >= limit and (first is None or not head < first):
            return False
        pop = heapq.heappop
        moved = []
        skipped = 0
        while polls and (polls[0][0] < limit or (first is not None and polls[0] < first)):
            time_ms, seq, process, period = pop(polls)
            ticks = -(-(limit - time_ms) // period) or 1
            skipped += ticks
            target = time_ms + ticks * period
            # Same tick: the earlier skipped tick first. Same skipped tick (same period and phase): the
            # one that already ticked now (its entry a period later) first, then the old order. (The
            # unique seq decides before the process is ever compared.)
            moved.append((target, target - period, -time_ms, seq, process, period))
        self.skipped += skipped
        if len(moved) > 1:
            moved.sort()
        push, counter = heapq.heappush, self._seq
        for target, _, _, _, process, period in moved:
            push(polls, (target, next(counter), process, period))
        return True
