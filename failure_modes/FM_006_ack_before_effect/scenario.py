"""FM_006: w1 acks j1 on receipt, then dies before the effect: the queue has already forgotten j1."""

from runtime.core.faults import WORKER_BEFORE_COMMIT, Crash, FaultPlan
from runtime.core.policy import Policy
from runtime.core.scenario import JobSpec, Scenario

SCENARIO = Scenario(
    name="FM_006 ack before effect",
    jobs=(
        JobSpec(job_id="j1", payload={"amount": 10}),
        JobSpec(job_id="j2", payload={"amount": 20}, submit_at_ms=30),
    ),
    workers=("w1", "w2"),
    plan=FaultPlan(faults=(Crash(actor="w1", point=WORKER_BEFORE_COMMIT, hit=1),)),
)

NAIVE_POLICY = Policy.naive().evolve(ack_mode="on_receipt", lease_ms=1_000)
FIXED_POLICY = NAIVE_POLICY.evolve(ack_mode="after_commit")
