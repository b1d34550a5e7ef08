"""FM_008: w1 freezes for 3 s before writing; w2 redoes j1, then the zombie's stale write lands."""

from runtime.core.faults import WORKER_BEFORE_COMMIT, FaultPlan, Pause
from runtime.core.policy import Policy
from runtime.core.scenario import JobSpec, Scenario

SCENARIO = Scenario(
    name="FM_008 zombie worker",
    jobs=(JobSpec(job_id="j1", payload={"write": "report:7"}),),
    workers=("w1", "w2"),
    plan=FaultPlan(faults=(Pause(actor="w1", point=WORKER_BEFORE_COMMIT, hit=1, duration_ms=3_000),)),
)

NAIVE_POLICY = Policy.naive().evolve(lease_ms=1_000)
FIXED_POLICY = NAIVE_POLICY.evolve(fencing=True)
