"""The real world's fault injector: the simulated injector's decisions (runtime/sim/injector.py),
with its counts in the database so that they outlive the processes they kill. A crash planned for a
worker's first visit to a point fires once, not again in the worker that restarts after it.

What each decision does is the driver's: a crash SIGKILLs the process, a pause SIGSTOPs it, a lost
reply or ack is answered as lost, a store outage takes the database away (the supervisor)."""

from __future__ import annotations

from runtime.core.faults import (
    BROKER_PUBLISH,
    CLIENT_REPLY,
    WORKER_CLOCK,
    WORKER_HEARTBEAT,
    FaultPlan,
    index_plan,
    request_of,
)
from runtime.real.db import Database, retry
from runtime.real.queries import queries

SQL = queries("injector")


def install_plan(db: Database, plan: FaultPlan) -> None:
    """The counted faults (lost acks, lost replies) as rows, each used up once."""
    with db.transaction() as tx:
        for (point, subject), faults in sorted(index_plan(plan).counted.items()):
            tx.run(SQL.install_plan_insert_faults_left, (point, subject, len(faults)))


class RealInjector:
    def __init__(self, db: Database, plan: FaultPlan) -> None:
        self.db = db
        self._index = index = index_plan(plan)
        self._at_point, self._crash_jobs, self._skews = index.at_point, index.crash_jobs, index.skews
        self._heartbeat_stops = index.heartbeat_stops
        self._replies = {
            (point, subject): faults[0]
            for (point, subject), faults in index.counted.items()
            if point in (CLIENT_REPLY, BROKER_PUBLISH)
        }

    def live_points(self, actor: str) -> frozenset[str]:
        """The points where a fault can fire for `actor` (its protocol passes the others silently)."""
        return self._index.live_points(actor)

    def at(self, point: str, actor: str, job_id: str | None = None):
        """The fault that fires for this visit of `actor` to `point`, or None."""
        if point == WORKER_CLOCK:
            return self._skews.get(actor)
        if point == WORKER_HEARTBEAT:  # the driver applies it from its at_ms on (SilencedHeartbeat)
            return self._heartbeat_stops.get(actor)
        if point in (CLIENT_REPLY, BROKER_PUBLISH):  # a lost reply or publish: each used up once
            request = request_of(job_id or "")
            if (point, request) not in self._replies:
                return None

            def take() -> bool:
                with self.db.transaction() as tx:
                    return tx.take_fault(point, request)

            return self._replies[(point, request)] if retry(self.db, take) else None
        if self._crash_jobs and job_id is not None:
            doomed = self._crash_jobs.get((point, request_of(job_id)))
            if doomed is not None:
                return doomed
        planned = self._at_point.get((actor, point))
        if planned is None:
            return None

        def count() -> int:  # the visit count lives in the database: it outlives a crash (and an outage)
            with self.db.transaction() as tx:
                return tx.one(
                    SQL.at_insert_fault_hits,
                    (actor, point),
                )[0]

        hits = retry(self.db, count)
        return next((fault for fault in planned if fault.hit == hits), None)
