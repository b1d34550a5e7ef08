"""FM_024: j1 kills whichever worker runs it; the queue does not count a dead worker's attempt, so j1
comes back, kills again, and is never buried."""

from runtime.core.faults import WORKER_BEFORE_COMMIT, CrashJob, FaultPlan
from runtime.core.policy import Policy
from runtime.core.scenario import JobSpec, Scenario

SCENARIO = Scenario(
    name="FM_024 a worker-killing job loops forever",
    jobs=(
        JobSpec(job_id="j1", payload={"amount": 10}, duration_ms=100),
        JobSpec(job_id="j2", payload={"amount": 20}, submit_at_ms=10),
    ),
    workers=("w1", "w2"),
    plan=FaultPlan(faults=(CrashJob(job="j1", point=WORKER_BEFORE_COMMIT),)),
)

NAIVE_POLICY = Policy.naive().evolve(
    lease_ms=1_000, lease_clock="store", max_attempts=3, idempotent_effects=True, expiry_counts_attempt=False
)
FIXED_POLICY = NAIVE_POLICY.evolve(expiry_counts_attempt=True)
