"""FM_003: the store is down from 100 to 900 ms while jobs try to commit."""

from runtime.core.faults import FaultPlan, StoreOutage
from runtime.core.policy import Policy
from runtime.core.scenario import JobSpec, Scenario

SCENARIO = Scenario(
    name="FM_003 store outage during execution",
    jobs=tuple(JobSpec(job_id=f"j{n}", payload={"amount": 10 * n}, submit_at_ms=50 * (n - 1)) for n in range(1, 5)),
    workers=("w1", "w2"),
    plan=FaultPlan(faults=(StoreOutage(start_ms=100, end_ms=900),)),
)

NAIVE_POLICY = Policy.naive()
FIXED_POLICY = NAIVE_POLICY.evolve(retry_on_store_error=True, backoff="exponential", backoff_base_ms=100, jitter="full")
