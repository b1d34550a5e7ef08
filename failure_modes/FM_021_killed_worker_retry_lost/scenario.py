"""FM_021: w1 dies holding j1; its lease expires and the queue buries j1 though its retries remain."""

from runtime.core.faults import WORKER_BEFORE_COMMIT, Crash, FaultPlan
from runtime.core.policy import Policy
from runtime.core.scenario import JobSpec, Scenario

SCENARIO = Scenario(
    name="FM_021 killed worker's retry lost",
    jobs=(
        JobSpec(job_id="j1", payload={"amount": 10}, duration_ms=200),
        JobSpec(job_id="j2", payload={"amount": 20}, submit_at_ms=10),
    ),
    workers=("w1", "w2"),
    plan=FaultPlan(faults=(Crash(actor="w1", point=WORKER_BEFORE_COMMIT, hit=1),)),
)

NAIVE_POLICY = Policy.naive().evolve(
    lease_ms=1_000, lease_clock="store", max_attempts=3, idempotent_effects=True, expired_lease="bury"
)
FIXED_POLICY = NAIVE_POLICY.evolve(expired_lease="retry")
