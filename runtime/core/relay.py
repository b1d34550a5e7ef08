"""Outbox relay: publishes committed outbox rows to the queue, then marks them sent.

At least once: a crash between the publish and the mark publishes the row again on restart.
"""

from __future__ import annotations

from runtime.core.effects import READ_OUTBOX, AwaitOutbox, Enqueue, Hold, MarkRelayed, Point, Sleep, Steps, store_error
from runtime.core.faults import ALL_POINTS, RELAY_AFTER_PUBLISH, RELAY_AFTER_READ
from runtime.core.ports import OK


def relay(*, poll_ms: int, points: frozenset[str] = ALL_POINTS) -> Steps[None]:
    """Publish the outbox's rows until the system is quiet; `points` as the worker's."""
    await_rows = (AwaitOutbox, poll_ms)
    while (yield await_rows):
        outcome, rows = yield READ_OUTBOX
        if outcome != OK:
            yield store_error(None, "read_outbox", outcome)
        else:
            if RELAY_AFTER_READ in points:
                yield Point, RELAY_AFTER_READ, None
            for job_id, job in rows:
                yield Hold, job_id
                yield Enqueue, job_id, job["payload"], job["duration_ms"], job["request"], job["key"], True
                if RELAY_AFTER_PUBLISH in points:
                    yield Point, RELAY_AFTER_PUBLISH, job_id
                outcome = yield MarkRelayed, job_id
                yield Hold, None
                if outcome != OK:
                    yield store_error(job_id, "mark_relayed", outcome)
                    break
        yield Sleep, poll_ms
