"""FM_017: a worker takes three jobs in one batch; one of them fails, and the batch is acked whole."""

from runtime.core.policy import Policy
from runtime.core.scenario import JobSpec, Scenario

SCENARIO = Scenario(
    name="FM_017 batch ack loses a failed job",
    jobs=(
        JobSpec(job_id="j1", payload={"amount": 10}),
        JobSpec(job_id="j2", payload={"amount": 20, "fail_n_times": 1}),
        JobSpec(job_id="j3", payload={"amount": 30}),
    ),
    workers=("w1",),
)

NAIVE_POLICY = Policy.naive().evolve(lease_ms=1_000, max_attempts=3, batch_size=3, batch_ack="batch")
FIXED_POLICY = NAIVE_POLICY.evolve(batch_ack="per_job")
