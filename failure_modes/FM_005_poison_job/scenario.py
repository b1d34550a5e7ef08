"""FM_005: p1 fails on every attempt and is requeued at the head; j1-j3 behind it starve."""

from runtime.core.policy import Policy
from runtime.core.scenario import JobSpec, Scenario

SCENARIO = Scenario(
    name="FM_005 poison job",
    jobs=(
        JobSpec(job_id="p1", payload={"amount": 5, "poison": True}, duration_ms=50),
        JobSpec(job_id="j1", payload={"amount": 10}, submit_at_ms=10),
        JobSpec(job_id="j2", payload={"amount": 20}, submit_at_ms=20),
        JobSpec(job_id="j3", payload={"amount": 30}, submit_at_ms=30),
    ),
    workers=("w1",),
)

NAIVE_POLICY = Policy.naive()
FIXED_POLICY = NAIVE_POLICY.evolve(max_attempts=3)
