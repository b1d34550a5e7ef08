"""Hypothesis strategies for fault plans, so property tests draw (and shrink) plans as data."""

from __future__ import annotations

from hypothesis import strategies as st

from runtime.faults import (
    WORKER_POINTS,
    ClockSkew,
    Crash,
    DuplicateDelivery,
    FaultPlan,
    Pause,
    PoisonJob,
    SlowJob,
    StoreOutage,
    SubmitTimeout,
)


def fault_plans(jobs: int, workers: int, max_faults: int = 6, window_ms: int = 2_000):
    """Plans over jobs j1..jN and workers w1..wW; shrinks toward fewer, earlier, shorter faults."""
    job = st.integers(1, jobs).map(lambda n: f"j{n}")
    actor = st.integers(1, workers).map(lambda n: f"w{n}")
    point = st.sampled_from(WORKER_POINTS)
    hit = st.integers(1, 4)
    outage = st.tuples(st.integers(0, window_ms), st.integers(1, 2_000)).map(
        lambda t: StoreOutage(start_ms=t[0], end_ms=t[0] + t[1])
    )
    fault = st.one_of(
        st.builds(Crash, actor=actor, point=point, hit=hit),
        st.builds(Pause, actor=actor, point=point, hit=hit, duration_ms=st.integers(1, 3_000)),
        st.builds(DuplicateDelivery, job=job),
        outage,
        st.builds(ClockSkew, actor=actor, skew_ms=st.integers(-2_000, 2_000)),
        st.builds(SubmitTimeout, job=job),
        st.builds(SlowJob, job=job, duration_ms=st.integers(1, 4_000)),
        st.builds(PoisonJob, job=job),
    )
    return st.lists(fault, max_size=max_faults).map(lambda faults: FaultPlan(faults=tuple(faults)))
