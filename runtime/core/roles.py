"""Which protocol each actor runs, with what it reads of its scenario and policy: the one wiring both
worlds use (the simulator's actors, the real world's processes). A world adds only what is its own:
a clock, a process, where the caller's memory lives."""

from __future__ import annotations

from runtime.core.client import Caller, client
from runtime.core.effects import Steps
from runtime.core.policy import Policy
from runtime.core.relay import relay
from runtime.core.scenario import Scenario
from runtime.core.worker import Draw, worker
from runtime.core.workflow.processes import dispatcher, scheduler, trigger

ROLES = ("worker", "client", "relay", "dispatcher", "trigger", "scheduler")


def protocol_of(
    role: str,
    name: str,
    scenario: Scenario,
    policy: Policy,
    *,
    points: frozenset[str],
    draw: Draw | None = None,
    caller: Caller | None = None,
) -> Steps[None]:
    """A new incarnation of `name`'s protocol. `points`: where a fault can fire for it; `draw`: a
    worker's random stream; `caller`: what the client's caller remembers."""
    if role == "worker":
        assert draw is not None, "a worker draws its jitter and backoff from its own stream"
        jitter = scenario.duration_jitter_ms
        return worker(name, policy, poll_ms=scenario.poll_ms, jitter_ms=jitter, draw=draw, points=points)
    if role == "client":
        assert caller is not None, "the client sends what its caller remembers"
        return client(caller, policy, retry_ms=scenario.client_retry_ms, pace_ms=scenario.client_pace_ms, points=points)
    if role == "relay":
        return relay(poll_ms=scenario.poll_ms, points=points)
    if role == "dispatcher":
        return dispatcher(policy, poll_ms=scenario.poll_ms, dispatch_ms=scenario.dispatch_ms, points=points)
    spec = scenario.workflow
    assert spec is not None, f"a {role} runs only with a workflow"
    if role == "trigger":
        return trigger(spec, scenario.triggers, retry_ms=scenario.client_retry_ms)
    if role == "scheduler":
        return scheduler(
            policy,
            spec,
            name,
            ticks=scenario.ticks,
            lease_ms=scenario.leader_lease_ms,
            poll_ms=scenario.poll_ms,
            points=points,
        )
    raise ValueError(f"unknown role {role!r} (roles: {', '.join(ROLES)})")
