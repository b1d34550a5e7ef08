"""FM_012: the relay publishes j1's outbox row, dies before marking it sent, and publishes it again."""

from runtime.core.faults import RELAY, RELAY_AFTER_PUBLISH, Crash, FaultPlan
from runtime.core.policy import Policy
from runtime.core.scenario import JobSpec, Scenario

SCENARIO = Scenario(
    name="FM_012 outbox relayed twice",
    jobs=(
        JobSpec(job_id="j1", payload={"amount": 10}, business_row=True),
        JobSpec(job_id="j2", payload={"amount": 20}, business_row=True, submit_at_ms=900),
    ),
    workers=("w1", "w2"),
    plan=FaultPlan(faults=(Crash(actor=RELAY, point=RELAY_AFTER_PUBLISH, hit=1),)),
)

NAIVE_POLICY = Policy.naive().evolve(outbox=True, lease_ms=1_000)
FIXED_POLICY = NAIVE_POLICY.evolve(idempotent_effects=True)
