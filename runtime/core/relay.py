"""Outbox relay: publishes committed outbox rows to the queue, then marks them sent.

At least once: a crash between the publish and the mark publishes the row again on restart.
"""

from __future__ import annotations

from runtime.core import history as ev
from runtime.core.effects import READ_OUTBOX, AwaitOutbox, Enqueue, Hold, MarkRelayed, Point, Record, Sleep
from runtime.core.faults import RELAY_AFTER_PUBLISH, RELAY_AFTER_READ
from runtime.core.ports import ERROR_TEXT, OK, OVERLOADED


def _store_error(job_id, operation: str, outcome: str) -> Record:
    kind = ev.STORE_OVERLOADED if outcome == OVERLOADED else ev.STORE_UNAVAILABLE
    return Record(kind, job_id, detail={"operation": operation, "error": ERROR_TEXT[outcome]})


def relay(*, poll_ms: int, check_points: bool = True):
    await_rows = AwaitOutbox(poll_ms)
    while (yield await_rows):
        outcome, rows = yield READ_OUTBOX
        if outcome != OK:
            yield _store_error(None, "read_outbox", outcome)
        else:
            if check_points:
                yield Point(RELAY_AFTER_READ)
            for job_id, job in rows:
                yield Hold(job_id)
                yield Enqueue(job_id, job["payload"], job["duration_ms"], job["request"], job["key"], True)
                if check_points:
                    yield Point(RELAY_AFTER_PUBLISH, job_id)
                outcome = yield MarkRelayed(job_id)
                yield Hold(None)
                if outcome != OK:
                    yield _store_error(job_id, "mark_relayed", outcome)
                    break
        yield Sleep(poll_ms)
