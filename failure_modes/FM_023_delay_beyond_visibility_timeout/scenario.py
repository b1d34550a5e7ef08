"""FM_023: j1 is due 5 s after it is submitted; a worker takes it at once and holds it for its ETA under a
1-second visibility timeout, so the queue hands it to the other worker too, and again."""

from runtime.core.policy import Policy
from runtime.core.scenario import JobSpec, Scenario

SCENARIO = Scenario(
    name="FM_023 delay beyond the visibility timeout",
    jobs=(
        JobSpec(job_id="j1", payload={"amount": 10, "eta_ms": 5_000}, duration_ms=100),
        JobSpec(job_id="j2", payload={"amount": 20}, submit_at_ms=10),
    ),
    workers=("w1", "w2"),
)

NAIVE_POLICY = Policy.naive().evolve(lease_ms=1_000, lease_clock="store", eta_wait="worker")
FIXED_POLICY = NAIVE_POLICY.evolve(eta_wait="queue")
