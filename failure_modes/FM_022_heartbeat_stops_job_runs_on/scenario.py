"""FM_022: w1's heartbeat dies 300 ms into a 3-second job; its lease expires, w2 runs the job too."""

from runtime.core.faults import FaultPlan, HeartbeatStop
from runtime.core.policy import Policy
from runtime.core.scenario import JobSpec, Scenario

SCENARIO = Scenario(
    name="FM_022 heartbeat stops, job runs on",
    jobs=(
        JobSpec(job_id="j1", payload={"amount": 10}, duration_ms=3_000),
        JobSpec(job_id="j2", payload={"amount": 20}, submit_at_ms=10),
    ),
    workers=("w1", "w2"),
    plan=FaultPlan(faults=(HeartbeatStop(actor="w1", at_ms=300),)),
)

NAIVE_POLICY = Policy.naive().evolve(lease_ms=1_000, heartbeat_ms=250, lease_clock="store")
FIXED_POLICY = NAIVE_POLICY.evolve(heartbeat_mode="in_job")
