"""Hypothesis strategies for fault plans, drawn from the explorer's table of fault kinds and ranges."""

from __future__ import annotations

from hypothesis import strategies as st

from faultline.explore.plans import FAULT_DRAWS, points_of
from runtime.core.faults import CLIENT, FAULT_TYPES, RELAY, WORKER_POINTS, FaultPlan


def _field(spec, *, jobs, workers, window_ms, actor_strategy):
    if spec == "actor":
        return actor_strategy
    if spec == "worker":
        return st.sampled_from(workers)
    if spec == "job":
        return st.sampled_from(jobs)
    if spec == "worker_point":
        return st.sampled_from(WORKER_POINTS)
    if spec in ("window", "after_dead_letters"):  # a redrive anywhere, early or after dead letters
        return st.integers(0, 4 * window_ms)
    low, high = spec
    return st.integers(low, high)


def fault_of(kind: str, *, jobs, workers, window_ms, actors):
    spec = FAULT_DRAWS[kind]

    @st.composite
    def build(draw):
        values = {}
        for field, field_spec in spec.items():
            if field_spec == "point":
                values[field] = draw(st.sampled_from(points_of(values["actor"])))
            else:
                strategy = _field(
                    field_spec, jobs=jobs, workers=workers, window_ms=window_ms, actor_strategy=st.sampled_from(actors)
                )
                values[field] = draw(strategy)
        if kind == "store_outage":
            values["end_ms"] = values["start_ms"] + values.pop("length_ms")
        return FAULT_TYPES[kind](**values)

    return build()


def fault_plans(
    jobs: int, workers: int, max_faults: int = 6, window_ms: int = 2_000, relay: bool = False, heartbeats: bool = False
):
    """Plans over jobs j1..jN and workers w1..wW (and the client; the relay when `relay`; a heartbeat_stop
    only with `heartbeats`, for a policy that renews leases); Hypothesis shrinks a failing one toward
    fewer, earlier, shorter faults."""
    job_ids = [f"j{n}" for n in range(1, jobs + 1)]
    worker_names = [f"w{n}" for n in range(1, workers + 1)]
    actors = [*worker_names, CLIENT] + ([RELAY] if relay else [])
    fault = st.one_of(
        *(
            fault_of(kind, jobs=job_ids, workers=worker_names, window_ms=window_ms, actors=actors)
            for kind in FAULT_DRAWS
            if heartbeats or kind != "heartbeat_stop"
        )
    )
    one_stop_per_worker = lambda f: (f.actor, "stop") if f.kind == "heartbeat_stop" else f  # noqa: E731
    return st.lists(fault, max_size=max_faults, unique_by=one_stop_per_worker).map(
        lambda faults: FaultPlan(faults=tuple(faults))
    )
