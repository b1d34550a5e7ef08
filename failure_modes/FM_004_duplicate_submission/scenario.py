"""FM_004: the reply to j1's submit is lost; the client retries and the server makes a second job."""

from runtime.core.faults import FaultPlan, SubmitTimeout
from runtime.core.policy import Policy
from runtime.core.scenario import JobSpec, Scenario

SCENARIO = Scenario(
    name="FM_004 duplicate submission",
    jobs=(
        JobSpec(job_id="j1", payload={"amount": 40}, idempotency_key="order-1001"),
        JobSpec(job_id="j2", payload={"amount": 15}, idempotency_key="order-1002", submit_at_ms=100),
    ),
    workers=("w1", "w2"),
    plan=FaultPlan(faults=(SubmitTimeout(job="j1"),)),
)

NAIVE_POLICY = Policy.naive()
FIXED_POLICY = NAIVE_POLICY.evolve(dedupe_submissions=True)
