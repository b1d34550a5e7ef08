"""The simulated world's fault injector: one entry point, `at(point, actor, job)`, owns every fault
decision (a pure lookup on the plan, counting visits). The plan's kinds answer at these points:

- crash, pause: the named point, on the planned visit; crash_job: the named point, for that job;
- submit_timeout at client.reply, duplicate_delivery at queue.ack, store_outage at store.call
  (by virtual time), clock_skew at worker.clock, heartbeat_stop at worker.heartbeat.
"""

from __future__ import annotations

from runtime.core.faults import (
    BROKER_PUBLISH,
    CLIENT_REPLY,
    QUEUE_ACK,
    STORE_CALL,
    WORKER_CLOCK,
    WORKER_HEARTBEAT,
    FaultPlan,
    StoreOutage,
    index_plan,
    request_of,
)


class FaultInjector:
    __slots__ = (
        "_clock",
        "_index",
        "_at_point",
        "_hits",
        "_crash_jobs",
        "_left",
        "_skews",
        "_heartbeat_stops",
        "_outages",
        "has_outages",
        "acks_lost",
    )

    def __init__(self, plan: FaultPlan, clock) -> None:
        self._clock = clock
        self._index = index = index_plan(plan)
        self._at_point, self._crash_jobs, self._skews = index.at_point, index.crash_jobs, index.skews
        self._heartbeat_stops = index.heartbeat_stops
        self._left = index.counted  # (point, job) -> faults not yet used (one each)
        self._hits: dict[tuple[str, str], int] = {}
        self._outages = tuple(sorted(((f.start_ms, f.end_ms), f) for f in plan.outages()))
        self.has_outages = bool(self._outages)
        self.acks_lost = any(point == QUEUE_ACK for point, _ in self._left)  # else the queue need not ask

    def live_points(self, actor: str) -> frozenset[str]:
        """The points where a fault can fire for `actor` (its protocol passes the others silently)."""
        return self._index.live_points(actor)

    def outage_span(self) -> tuple[int, int] | None:
        """From the first outage's start to the last one's end: outside it, no store call is refused."""
        if not self._outages:
            return None
        return self._outages[0][0][0], max(end for (_, end), _ in self._outages)

    def at(self, point: str, actor: str, job_id: str | None = None):
        """The fault that fires for this visit of `actor` to `point`, or None."""
        key = (actor, point)
        planned = self._at_point.get(key)
        if planned is not None and not self._crash_jobs:  # the common case: a crash or pause planned here
            return self._visit(key, planned)
        if point == STORE_CALL:
            now = self._clock.now_ms
            for (start, end), outage in self._outages:
                if start <= now < end:
                    return outage
            return None
        if point == WORKER_CLOCK:
            return self._skews.get(actor)
        if point == WORKER_HEARTBEAT:  # the driver applies it from its at_ms on (SilencedHeartbeat)
            return self._heartbeat_stops.get(actor)
        if point in (QUEUE_ACK, CLIENT_REPLY, BROKER_PUBLISH):
            subject = job_id if point == QUEUE_ACK else request_of(job_id or "")
            left = self._left.get((point, subject or ""))
            return left.pop() if left else None
        if self._crash_jobs and job_id is not None:
            doomed = self._crash_jobs.get((point, request_of(job_id)))
            if doomed is not None:
                return doomed
        if planned is None:
            return None
        return self._visit(key, planned)

    def _visit(self, key: tuple[str, str], planned):
        """Count this visit of (actor, point); the crash or pause planned for this visit, or None."""
        count = self._hits.get(key, 0) + 1
        self._hits[key] = count
        for fault in planned:
            if fault.hit == count:
                return fault
        return None

    def last_fault_ms(self) -> int:
        """When the last time-bound fault ends: the run is not quiet before this."""
        return max((end for (_, end), _ in self._outages), default=0)

    @property
    def outage_windows(self) -> tuple[tuple[int, int], ...]:
        return tuple(window for window, _ in self._outages)


__all__ = ["FaultInjector", "StoreOutage"]
