"""FM_011: w2's clock runs 1.5 s fast; judging w1's live lease by it, w2 takes j1 mid-run."""

from runtime.core.faults import ClockSkew, FaultPlan
from runtime.core.policy import Policy
from runtime.core.scenario import JobSpec, Scenario

SCENARIO = Scenario(
    name="FM_011 clock skew on leases",
    jobs=(
        JobSpec(job_id="j1", payload={"amount": 10}, duration_ms=600),
        JobSpec(job_id="j2", payload={"amount": 20}, submit_at_ms=700),
    ),
    workers=("w1", "w2"),
    plan=FaultPlan(faults=(ClockSkew(actor="w2", skew_ms=1_500),)),
)

NAIVE_POLICY = Policy.naive().evolve(lease_ms=1_000, heartbeat_ms=250, idempotent_effects=True)
FIXED_POLICY = NAIVE_POLICY.evolve(lease_clock="store", lease_margin_ms=100)
