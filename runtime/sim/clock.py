"""VirtualClock: integer milliseconds of simulated time that only move forward.

Nothing in the runtime reads the wall clock; the scheduler advances this one.
"""


class VirtualClock:
    __slots__ = ("now_ms",)

    def __init__(self, start_ms: int = 0) -> None:
        if start_ms < 0:
            raise ValueError(f"start_ms must be >= 0, got {start_ms}")
        self.now_ms = start_ms

    def advance_to(self, time_ms: int) -> None:
        if time_ms < self.now_ms:
            raise ValueError(f"time can't go backwards: {time_ms} < {self.now_ms}")
        self.now_ms = time_ms
