"""FM_007: j1 runs for 3 s under a 1 s lease with no heartbeat; w2 takes it while w1 still runs."""

from runtime.core.policy import Policy
from runtime.core.scenario import JobSpec, Scenario

SCENARIO = Scenario(
    name="FM_007 lease expires during a long job",
    jobs=(
        JobSpec(job_id="j1", payload={"amount": 10}, duration_ms=3_000),
        JobSpec(job_id="j2", payload={"amount": 20}, submit_at_ms=10),
    ),
    workers=("w1", "w2"),
)

NAIVE_POLICY = Policy.naive().evolve(lease_ms=1_000, idempotent_effects=True)
FIXED_POLICY = NAIVE_POLICY.evolve(heartbeat_ms=250)
