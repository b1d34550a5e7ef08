"""FM_018: a failed job is retried by publishing a copy and then acking the original; the worker
dies between the two steps, so the original comes back beside its copy."""

from runtime.core.faults import WORKER_AFTER_RETRY, CrashJob, FaultPlan
from runtime.core.policy import Policy
from runtime.core.scenario import JobSpec, Scenario

SCENARIO = Scenario(
    name="FM_018 retry by republish-then-ack",
    jobs=(
        JobSpec(job_id="j1", payload={"amount": 10, "fail_n_times": 1}, idempotency_key="order-1"),
        JobSpec(job_id="j2", payload={"amount": 20}, submit_at_ms=50, idempotency_key="order-2"),
    ),
    workers=("w1", "w2"),
    # Whichever worker arranges j1's retry dies right after (the copy's attempt succeeds: no retry).
    plan=FaultPlan(faults=(CrashJob(job="j1", point=WORKER_AFTER_RETRY),)),
)

NAIVE_POLICY = Policy.naive().evolve(lease_ms=1_000, max_attempts=5, backoff_base_ms=200, retry_strategy="republish")
FIXED_POLICY = NAIVE_POLICY.evolve(retry_strategy="redeliver")
