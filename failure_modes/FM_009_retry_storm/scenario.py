"""FM_009: a 2.5 s outage fails every job; fixed backoff keeps them in lockstep and they hammer the
store (capacity 24 calls/s) while it is down and the moment it comes back."""

from runtime.core.faults import FaultPlan, StoreOutage
from runtime.core.policy import Policy
from runtime.core.scenario import JobSpec, Scenario

SCENARIO = Scenario(
    name="FM_009 retry storm",
    jobs=tuple(
        JobSpec(job_id=f"j{n}", payload={"amount": n}, submit_at_ms=100 * (n - 1), duration_ms=40) for n in range(1, 41)
    ),
    workers=("w1", "w2", "w3", "w4", "w5", "w6"),
    plan=FaultPlan(faults=(StoreOutage(start_ms=520, end_ms=3_000),)),  # j6 (500-540 ms) meets its start
    store_capacity_per_s=24,
)

NAIVE_POLICY = Policy.naive().evolve(retry_on_store_error=True, backoff_base_ms=200)
FIXED_POLICY = NAIVE_POLICY.evolve(
    backoff="exponential",
    backoff_base_ms=500,
    backoff_max_ms=8_000,
    jitter="full",
    retry_budget_per_s=5,
)
