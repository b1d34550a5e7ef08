"""FM_019: j1 commits its charge, its worker dies before the ack on the only attempt it has, so j1 is
dead-lettered with its effect committed; an operator redrives the dead-letter queue under new job ids."""

from runtime.core.faults import WORKER_AFTER_COMMIT, Crash, FaultPlan, Redrive
from runtime.core.policy import Policy
from runtime.core.scenario import JobSpec, Scenario

SCENARIO = Scenario(
    name="FM_019 dead-letter redrive re-runs committed work",
    jobs=(
        JobSpec(job_id="j1", payload={"amount": 10}, idempotency_key="order-1"),
        JobSpec(job_id="j2", payload={"amount": 20}, submit_at_ms=50, idempotency_key="order-2"),
    ),
    workers=("w1", "w2"),
    plan=FaultPlan(faults=(Crash(actor="w1", point=WORKER_AFTER_COMMIT, hit=1), Redrive(at_ms=3_000))),
)

NAIVE_POLICY = Policy.naive().evolve(lease_ms=1_000, max_attempts=1, idempotent_effects=True)
FIXED_POLICY = NAIVE_POLICY.evolve(redrive_ids="keep")
