"""The simulated world's supervisor: records an actor's crash (a killed process can't speak) and its
restart as a new incarnation with empty memory. The driver calls it when a process dies."""

from __future__ import annotations

from runtime.core import history as ev


def crashed(sim, actor, point: str) -> int:
    """Record the crash with what the process held; forget its memory; return the restart delay."""
    held = actor.in_hand()
    sim.history.record(
        ev.CRASHED,
        actor.name,
        getattr(held, "job_id", held),
        getattr(held, "attempt", None),
        getattr(held, "token", None),
        point,
        actor.incarnation,
    )
    actor.holding = None
    if actor.on_crash is not None:
        actor.on_crash()
    return sim.scenario.restart_delay_ms


def restarted(sim, actor) -> None:
    actor.incarnation += 1
    sim.history.record(ev.RESTARTED, actor.name, None, None, None, actor.incarnation)
