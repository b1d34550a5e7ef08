"""FM_001: w1 charges j1, crashes before its ack; the lease expires and w2 charges j1 again."""

from runtime.core.faults import WORKER_AFTER_COMMIT, Crash, FaultPlan
from runtime.core.policy import Policy
from runtime.core.scenario import JobSpec, Scenario

SCENARIO = Scenario(
    name="FM_001 duplicate retry",
    jobs=(
        JobSpec(job_id="j1", payload={"amount": 10}),
        JobSpec(job_id="j2", payload={"amount": 25}, submit_at_ms=50),
    ),
    workers=("w1", "w2"),
    plan=FaultPlan(faults=(Crash(actor="w1", point=WORKER_AFTER_COMMIT, hit=1),)),
    restart_delay_ms=2_000,
)

NAIVE_POLICY = Policy.naive().evolve(lease_ms=1_000)
FIXED_POLICY = NAIVE_POLICY.evolve(idempotent_effects=True)
