"""FM_002: w1 dies while executing j1; without lease expiry j1 is never picked up again."""

from runtime.core.faults import WORKER_BEFORE_COMMIT, Crash, FaultPlan
from runtime.core.policy import Policy
from runtime.core.scenario import JobSpec, Scenario

SCENARIO = Scenario(
    name="FM_002 worker crash mid-job",
    jobs=(
        JobSpec(job_id="j1", payload={"amount": 10}, duration_ms=200),
        JobSpec(job_id="j2", payload={"amount": 20}, submit_at_ms=10),
        JobSpec(job_id="j3", payload={"amount": 30}, submit_at_ms=20),
    ),
    workers=("w1", "w2"),
    plan=FaultPlan(faults=(Crash(actor="w1", point=WORKER_BEFORE_COMMIT, hit=1),)),
)

NAIVE_POLICY = Policy.naive()
FIXED_POLICY = NAIVE_POLICY.evolve(lease_ms=1_000, lease_clock="store", idempotent_effects=True)
