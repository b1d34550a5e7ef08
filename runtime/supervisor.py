"""Supervisor: runs an actor's incarnations, records its crashes and restarts (a killed process
can't speak), and the fault-point helper every actor shares."""

from __future__ import annotations

from runtime import history as ev
from runtime.faults import Pause


class ProcessCrashed(Exception):
    def __init__(self, point: str) -> None:
        super().__init__(point)
        self.point = point


def endure(sim, actor: str, point: str, job_id: str | None = None):
    """A fault point: ask the injector; a crash raises ProcessCrashed, a pause sleeps (recorded).
    Returns the pause that fired, if any."""
    fault = sim.faults.at(point, actor, job_id)
    if fault is None:
        return None
    if not isinstance(fault, Pause):
        raise ProcessCrashed(point)
    sim.history.record(ev.PAUSED, actor, job_id, point=point, duration_ms=fault.duration_ms)
    yield fault.duration_ms
    sim.history.record(ev.RESUMED, actor, job_id)
    return fault


def supervise(sim, actor):
    """Run `actor.serve()` until it returns; after a crash, record it, wait the restart delay and
    start a new incarnation. `actor.holding` says what the dead process held (a Delivery or a job id)."""
    history = sim.history
    while True:
        try:
            yield from actor.serve()
            return
        except ProcessCrashed as crash:
            held = actor.holding
            job_id = getattr(held, "job_id", held)
            history.record(
                ev.CRASHED,
                actor.name,
                job_id,
                getattr(held, "attempt", None),
                getattr(held, "token", None),
                point=crash.point,
                incarnation=actor.incarnation,
            )
            actor.lose_memory()
            yield sim.scenario.restart_delay_ms
            actor.incarnation += 1
            history.record(ev.RESTARTED, actor.name, incarnation=actor.incarnation)
