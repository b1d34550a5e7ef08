"""FM_010: the job is enqueued before its business row commits; the commit fails or never happens."""

from runtime.core.faults import CLIENT_BEFORE_BUSINESS_COMMIT, Crash, FaultPlan, Pause, StoreOutage
from runtime.core.policy import Policy
from runtime.core.scenario import JobSpec, Scenario

SCENARIO = Scenario(
    name="FM_010 enqueue/commit dual write",
    jobs=(
        JobSpec(job_id="j1", payload={"amount": 10}, business_row=True, duration_ms=400),
        JobSpec(job_id="j2", payload={"amount": 20}, business_row=True, submit_at_ms=300),
        JobSpec(job_id="j3", payload={"amount": 30}, business_row=True, submit_at_ms=600),
    ),
    workers=("w1", "w2"),
    plan=FaultPlan(
        faults=(
            # j1's business commit waits (a slow client) into an outage that began after its enqueue:
            # the same moment in both worlds, where the queue lives in the store's database too.
            StoreOutage(start_ms=20, end_ms=300),
            Pause(actor="client", point=CLIENT_BEFORE_BUSINESS_COMMIT, hit=1, duration_ms=80),
            Crash(actor="client", point=CLIENT_BEFORE_BUSINESS_COMMIT, hit=2),
        )
    ),
)

NAIVE_POLICY = Policy.naive().evolve(max_attempts=3, backoff_base_ms=100)
FIXED_POLICY = NAIVE_POLICY.evolve(outbox=True, client_resubmits=True)
